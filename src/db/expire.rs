//! Key expiry: lazy (on access, `expire_if_needed`) and active (Redis'
//! activeExpireCycle from expire.c).
//!
//! The active cycle walks each database's `expires` table with a SCAN
//! cursor, sampling `keys_per_loop` keys at a time and deleting the expired
//! ones; it keeps going on a database while more than `acceptable_stale`
//! percent of a sample was expired, and stops when its time budget is used.
//! The slow cycle runs from cron with a budget of a share of CPU time; the
//! fast cycle runs before sleeping, for at most ~1 ms, only when the last
//! slow cycle left work behind.

use std::time::{Duration, Instant};

use crate::server::Server;

const KEYS_PER_LOOP: u64 = 20;
const FAST_DURATION_US: u64 = 1000;
const SLOW_TIME_PERC: u64 = 25;
const ACCEPTABLE_STALE: u64 = 10;
const DBS_PER_CALL: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CycleKind {
    Fast,
    Slow,
}

/// Cycle state carried between calls (the statics of activeExpireCycle).
#[derive(Default)]
pub struct CycleState {
    current_db: usize,
    timelimit_exit: bool,
    last_fast_start_us: u64,
}

thread_local! {
    static STATE: std::cell::RefCell<CycleState> = std::cell::RefCell::new(CycleState::default());
}

/// Delete `key` if its TTL has passed. Returns true if the key is gone
/// (or, on a replica later, logically expired).
pub fn expire_if_needed(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    let Some(when) = srv.dbs[db].expire_at_ms(key) else {
        return false;
    };
    if when > srv.now_ms || srv.loading {
        return false;
    }
    // A replica never deletes on its own: its master's DEL does. The key
    // reads as gone, except to the master's own commands.
    // (A writable replica's own write commands do delete it, as Redis'
    // lookupKeyWrite forces: the command then works on a fresh key.)
    if srv.repl.replica.is_replica() && !srv.dbs[db].track_local_expires {
        return !srv.repl.replica.executing_master;
    }
    // While clients are paused nothing may change the dataset: the key is
    // reported as expired but deleted only after the pause.
    if srv.pause_until_ms != 0 && srv.is_paused() {
        return true;
    }
    delete_expired_key(srv, db, key);
    true
}

/// Delete a key whose TTL has passed (Redis' deleteExpiredKeyAndPropagate):
/// the `expired` event, WATCH/tracking invalidation, a DEL (or UNLINK) for
/// the AOF and replicas, and the `expired_keys` stat. Not counted in
/// `dirty` (as in Redis): the DEL is propagated on its own, ahead of the
/// command that found the key expired. Returns whether the key existed.
pub fn delete_expired_key(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    let Some(old) = srv.dbs[db].delete(key) else {
        return false;
    };
    let lazy = srv.cfg.lazyfree_lazy_expire;
    if lazy {
        crate::lazyfree::free_obj(old);
    } else {
        drop(old);
    }
    crate::notify::keyspace_event(srv, crate::config::NOTIFY_EXPIRED, "expired", key, db);
    crate::db::signal_modified_key_no_client(srv, db, key);
    crate::persistence::propagate::propagate_deletion(srv, db, key, lazy);
    srv.stats.expired_keys += 1;
    true
}

fn now_us(start: Instant) -> u64 {
    start.elapsed().as_micros() as u64
}

/// One active expire cycle over the databases (see the file header).
pub fn active_expire_cycle(srv: &mut Server, kind: CycleKind) {
    if srv.dbs.iter().all(|d| d.expires.is_empty()) {
        return;
    }
    if srv.pause_until_ms != 0 && srv.is_paused() {
        return;
    }
    let effort = (srv.cfg.active_expire_effort.clamp(1, 10) - 1) as u64;
    let keys_per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort;
    let fast_duration = FAST_DURATION_US + FAST_DURATION_US / 4 * effort;
    let slow_perc = SLOW_TIME_PERC + 2 * effort;
    let acceptable = ACCEPTABLE_STALE - effort;
    let start = Instant::now();
    let epoch_us = (srv.now_ms as u64).wrapping_mul(1000);

    let mut st = STATE.with(|s| std::mem::take(&mut *s.borrow_mut()));
    if kind == CycleKind::Fast {
        // Only when the slow cycle left work (time limit hit or many stale
        // keys) and not more often than every 2 fast durations.
        if !st.timelimit_exit && srv.stats.expired_stale_perc < acceptable as f64 {
            STATE.with(|s| *s.borrow_mut() = st);
            return;
        }
        if epoch_us < st.last_fast_start_us + fast_duration * 2 {
            STATE.with(|s| *s.borrow_mut() = st);
            return;
        }
        st.last_fast_start_us = epoch_us;
    }
    let timelimit = if kind == CycleKind::Fast {
        fast_duration
    } else {
        (1_000_000 * slow_perc / srv.hz.max(1) as u64 / 100).max(1)
    };
    st.timelimit_exit = false;
    let dbs = srv.dbs.len().min(DBS_PER_CALL);
    let (mut total_sampled, mut total_expired) = (0u64, 0u64);
    let mut iteration = 0u64;
    let now_ms = srv.now_ms;
    let mut keys: Vec<(Vec<u8>, i64)> = Vec::new();

    'dbs: for _ in 0..dbs {
        let idx = st.current_db % srv.dbs.len();
        st.current_db += 1;
        loop {
            iteration += 1;
            let db = &mut srv.dbs[idx];
            let num = db.expires.len() as u64;
            if num == 0 {
                db.avg_ttl = 0;
                break;
            }
            let want = num.min(keys_per_loop);
            keys.clear();
            let mut buckets = 0u64;
            let mut cursor = db.expires_cursor;
            while (keys.len() as u64) < want && buckets < want * 20 {
                cursor = db
                    .expires
                    .scan(cursor, |k, v| keys.push((k.as_bytes().to_vec(), *v)));
                buckets += 1;
                if cursor == 0 {
                    break;
                }
            }
            db.expires_cursor = cursor;
            let (mut sampled, mut expired, mut ttl_sum, mut ttl_samples) = (0u64, 0u64, 0i64, 0i64);
            for (k, when) in &keys {
                sampled += 1;
                if *when <= now_ms {
                    if delete_expired_key(srv, idx, k) {
                        expired += 1;
                    }
                } else {
                    ttl_sum += when - now_ms;
                    ttl_samples += 1;
                }
            }
            let db = &mut srv.dbs[idx];
            if ttl_samples > 0 {
                let avg = ttl_sum / ttl_samples;
                // A running average that weighs the new sample by 2%.
                db.avg_ttl = if db.avg_ttl == 0 {
                    avg
                } else {
                    (db.avg_ttl / 50) * 49 + avg / 50
                };
            }
            total_sampled += sampled;
            total_expired += expired;
            if iteration.is_multiple_of(16) && now_us(start) > timelimit {
                st.timelimit_exit = true;
                srv.stats.expired_time_cap_reached_count += 1;
                break 'dbs;
            }
            if sampled == 0 || expired * 100 / sampled <= acceptable {
                break;
            }
        }
    }
    // The DELs go out one by one, never as a transaction.
    crate::persistence::propagate::propagate_pending(srv, false);
    let elapsed = now_us(start);
    srv.stats.expire_cycle_time_used_us += elapsed;
    srv.latency_sample("expire-cycle", elapsed);
    let current_perc = if total_sampled > 0 {
        total_expired as f64 / total_sampled as f64
    } else {
        0.0
    };
    srv.stats.expired_stale_perc = current_perc * 0.05 + srv.stats.expired_stale_perc * 0.95;
    STATE.with(|s| *s.borrow_mut() = st);
    let _ = Duration::ZERO;
}
