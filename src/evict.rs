//! Keeping the dataset under `maxmemory` (Redis' evict.c): before each
//! command `perform_evictions` frees keys chosen by `maxmemory-policy`
//! until used memory is back under the limit, or says that it could not,
//! and a command that may grow memory is refused with `-OOM`.
//!
//! Used memory here is `memory::used_memory_fast()` minus what Redis does
//! not count for eviction (`not_counted_memory`: replication buffer beyond
//! the backlog, the AOF buffer), so that evicting keys cannot be undone by
//! buffers that grow with the DELs of the evictions themselves.
//!
//! Choosing keys is Redis' approximation, not an exact LRU/LFU:
//! * LRU, LFU and volatile-ttl sample `maxmemory-samples` keys of every
//!   database (the whole keyspace, or only keys with a TTL for volatile-*)
//!   into a pool of the 16 best candidates seen so far, across databases
//!   and across calls, scored by idle time, inverted access frequency or
//!   closeness of expiry; the best candidate that still exists goes. Keys
//!   in the pool may have been deleted since ("ghosts"): they are dropped
//!   when found, and the pool is refilled when it runs dry.
//! * The random policies take a random key of the next database that has
//!   one, rotating over the databases from call to call.
//!
//! The memory freed is measured around each deletion alone, not the DEL
//! sent to the AOF and replicas nor the invalidations sent to tracking
//! clients: those buffers empty by themselves, and counting them could
//! keep the loop evicting forever.
//!
//! Time: a call evicts for at most `maxmemory-eviction-tenacity`'s budget
//! (checked every 16 keys). Over budget, it starts the eviction timer,
//! which the event loop runs every iteration (without sleeping) until
//! memory is under the limit or nothing is left to evict; meanwhile calls
//! answer `Running`, and commands are not refused. CONFIG SET maxmemory
//! starts the timer too (`update_maxmemory`).
//!
//! Invariant: the pool holds at most `POOL_SIZE` candidates, sorted by
//! ascending score (the best last).

use std::cell::{Cell, RefCell};
use std::time::Instant;

use log::warn;

use crate::config::MaxmemoryPolicy;
use crate::server::Server;

/// Candidates kept between rounds (Redis' EVPOOL_SIZE).
pub const POOL_SIZE: usize = 16;

/// What `perform_evictions` achieved (Redis' EVICT_OK/RUNNING/FAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or no limit applies, or evicting is not safe now).
    Ok,
    /// Still over, but the eviction timer goes on freeing memory.
    Running,
    /// Over the limit and nothing more can be freed now.
    Fail,
}

/// A key that may be evicted, with its score: the higher, the better a
/// candidate (idle ms for LRU, 255 - frequency for LFU, u64::MAX - expire
/// time for volatile-ttl).
struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// The eviction pool (Redis' EvictionPoolLRU): the best candidates seen,
/// ascending by score. Key buffers of dropped entries are kept for reuse,
/// so a steady eviction allocates nothing (Redis' cached sds).
#[derive(Default)]
struct Pool {
    entries: Vec<Candidate>,
    spare: Vec<Vec<u8>>,
}

impl Pool {
    /// Offer a sampled key (the insertion of evictionPoolPopulate): it goes
    /// in while the pool has room, or in place of the worst entry when it
    /// beats that one; otherwise it is ignored.
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        let mut k = self.entries.partition_point(|c| c.score < score);
        if self.entries.len() >= POOL_SIZE {
            if k == 0 {
                return; // worse than every candidate we hold
            }
            // Full: the worst entry makes room on the left.
            let worst = self.entries.remove(0);
            self.spare.push(worst.key);
            k -= 1;
        }
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(key);
        self.entries.insert(
            k,
            Candidate {
                score,
                db,
                key: buf,
            },
        );
    }

    /// Take the best candidate out.
    fn pop_best(&mut self) -> Option<Candidate> {
        self.entries.pop()
    }

    /// Give a key buffer back for reuse (few are ever needed).
    fn recycle(&mut self, key: Vec<u8>) {
        if self.spare.len() < POOL_SIZE {
            self.spare.push(key);
        }
    }
}

/// What persists between calls (the statics of evict.c and the eviction
/// fields of Redis' server struct).
#[derive(Default)]
struct State {
    pool: Pool,
    /// The random policies' rotation over the databases.
    next_db: usize,
    /// The eviction timer is armed (isEvictionProcRunning).
    timer_running: bool,
    /// Since when memory is over the limit (stat_last_eviction_exceeded_time).
    exceeded_since: Option<Instant>,
    /// Closed over-the-limit periods, µs (stat_total_eviction_exceeded_time).
    total_exceeded_us: u64,
}

thread_local! {
    // Thread-local like expire.rs' cycle state: only the loop's thread
    // evicts, and the Server struct stays free of evict.c's internals.
    static STATE: RefCell<State> = RefCell::new(State::default());
    // What the dict expand guard needs, kept apart from STATE because
    // it runs inside dict inserts: maxmemory and the last not-counted
    // figure, refreshed by every perform_evictions.
    static LIMIT: Cell<u64> = const { Cell::new(0) };
    static NOT_COUNTED: Cell<u64> = const { Cell::new(0) };
}

/// Memory that counts against `maxmemory`.
pub fn counted_memory(srv: &Server) -> u64 {
    crate::memory::used_memory_fast().saturating_sub(not_counted_memory(srv))
}

/// Buffers left out of the eviction figure (freeMemoryGetNotCountedMemory,
/// INFO mem_not_counted_for_evict): the part of the replication buffer
/// beyond the backlog's configured size (what lagging replicas hold back;
/// also kept while a shrunk backlog is trimmed in the background), and the
/// AOF buffer not yet written.
pub fn not_counted_memory(srv: &Server) -> u64 {
    let mut overhead = 0;
    let data = crate::replication::master::buffer_mem(srv) as u64;
    let backlog = srv.cfg.repl_backlog_size.max(0) as u64;
    if data > backlog {
        // Estimated as Redis does: the blocks are (mostly) BLOCK_BYTES
        // each, and each has an entry in the buffer's block queue, which
        // grows by doubling. The backlog's share is its configured size
        // with the entries of its blocks.
        let block = crate::replication::buffer::BLOCK_BYTES as u64;
        let queue = (data / block + 1).next_power_of_two() * BLOCK_OVERHEAD;
        let counted = backlog + (backlog / block + 1) * BLOCK_OVERHEAD;
        overhead += (data + queue).saturating_sub(counted);
    }
    if srv.aof.state != crate::persistence::aof::AofState::Off {
        overhead += srv.aof.buf.capacity() as u64;
    }
    overhead
}

/// Bytes of a replication buffer block's entry in the block queue (its
/// start offset and the Vec header of its data).
const BLOCK_OVERHEAD: u64 = 32;

/// The bytes to free to get back under the limit, or None when under it
/// (getMaxmemoryState). The not-counted buffers are summed only when the
/// plain figure is over, so the usual case costs two loads.
fn memory_to_free(srv: &Server, limit: u64) -> Option<u64> {
    let used = crate::memory::used_memory_fast();
    if used <= limit {
        return None;
    }
    let not_counted = not_counted_memory(srv);
    NOT_COUNTED.with(|c| c.set(not_counted));
    let counted = used.saturating_sub(not_counted);
    (counted > limit).then(|| counted - limit)
}

/// Mirror `maxmemory` for the dict expand guard, and install the guard.
fn sync_limit(srv: &Server) {
    LIMIT.with(|l| l.set(srv.cfg.maxmemory));
    crate::db::dict::set_expand_guard(Some(expand_allowed));
}

/// The keyspace dicts' expand guard (overMaxmemoryAfterAlloc, negated):
/// may a new bucket array of `more` bytes be allocated without going over
/// `maxmemory`? A resize of a big keyspace would otherwise push the server
/// over the limit at once and evict many keys to pay for an empty table.
fn expand_allowed(more: usize) -> bool {
    let limit = LIMIT.with(Cell::get);
    if limit == 0 {
        return true;
    }
    let more = more as u64;
    let used = crate::memory::used_memory_fast();
    if used.saturating_add(more) <= limit {
        return true;
    }
    let counted = used.saturating_sub(NOT_COUNTED.with(Cell::get));
    counted.saturating_add(more) <= limit
}

/// Whether evicting may happen now (isSafeToPerformEvictions): not while
/// loading, not on a replica that leaves the limit to its master, and not
/// while clients are paused (the dataset must stay as it is then).
fn safe_to_evict(srv: &mut Server) -> bool {
    if srv.loading {
        return false;
    }
    if srv.cfg.replica_ignore_maxmemory && srv.repl.replica.is_replica() {
        return false;
    }
    !(srv.pause_until_ms != 0 && srv.is_paused())
}

/// The time one call may spend evicting (evictionTimeLimitUs): 50 µs per
/// tenacity point up to 10, then growing 15% a point (about 2 minutes at
/// 99); 100 means no limit.
pub fn time_limit_us(tenacity: i32) -> u64 {
    let t = tenacity.clamp(0, 100);
    if t <= 10 {
        50 * t as u64
    } else if t < 100 {
        (500.0 * 1.15f64.powi(t - 10)) as u64
    } else {
        u64::MAX
    }
}

/// Evict until under `maxmemory` if the policy allows (performEvictions;
/// see the file header). Called before every command while `maxmemory`
/// is set, and by the eviction timer.
pub fn perform_evictions(srv: &mut Server) -> Outcome {
    let limit = srv.cfg.maxmemory;
    sync_limit(srv);
    // Skipping is a fake Ok: the over-the-limit time is not accounted.
    if limit == 0 {
        note_outcome(Outcome::Ok);
        return Outcome::Ok;
    }
    if !safe_to_evict(srv) {
        return Outcome::Ok;
    }
    let Some(to_free) = memory_to_free(srv, limit) else {
        note_outcome(Outcome::Ok);
        return Outcome::Ok;
    };
    let policy = srv.cfg.maxmemory_policy;
    if policy == MaxmemoryPolicy::Noeviction {
        note_outcome(Outcome::Fail);
        return Outcome::Fail;
    }
    let budget_us = time_limit_us(srv.cfg.maxmemory_eviction_tenacity);
    let start = Instant::now();
    let lazy = srv.cfg.lazyfree_lazy_eviction;
    let (mut freed, mut keys_freed) = (0i64, 0u64);
    let mut result = Outcome::Fail; // unless the loop ends otherwise
    loop {
        if freed >= to_free as i64 {
            result = running_or_ok();
            break;
        }
        let Some((db, key)) = pick(srv, policy) else {
            break; // nothing left that the policy may evict
        };
        freed += evict_key(srv, db, &key, lazy);
        STATE.with(|s| s.borrow_mut().pool.recycle(key));
        keys_freed += 1;
        if keys_freed.is_multiple_of(16) && start.elapsed().as_micros() as u64 > budget_us {
            // The rest is the timer's job; commands go on meanwhile.
            start_timer();
            result = running_or_ok();
            break;
        }
    }
    // The DELs go out one by one, never wrapped in a transaction.
    crate::persistence::propagate::propagate_pending(srv, false);
    srv.latency_sample("eviction-cycle", start.elapsed().as_micros() as u64);
    note_outcome(result);
    result
}

fn running_or_ok() -> Outcome {
    if timer_running() {
        Outcome::Running
    } else {
        Outcome::Ok
    }
}

/// The next key to evict under `policy`, or None when there is none.
fn pick(srv: &mut Server, policy: MaxmemoryPolicy) -> Option<(usize, Vec<u8>)> {
    if policy.is_lru() || policy.is_lfu() || policy == MaxmemoryPolicy::VolatileTtl {
        pick_from_pool(srv, policy)
    } else {
        pick_random(srv, policy.is_allkeys())
    }
}

/// Refill the pool from every database, then take its best candidate that
/// still exists; ghosts are dropped on the way. Refills until a live
/// candidate turns up, which happens as long as some key may be evicted.
fn pick_from_pool(srv: &mut Server, policy: MaxmemoryPolicy) -> Option<(usize, Vec<u8>)> {
    let allkeys = policy.is_allkeys();
    let samples = srv.cfg.maxmemory_samples.max(1) as usize;
    let scorer = Scorer {
        policy,
        lruclock: srv.lruclock,
        unix_secs: srv.unixtime,
        decay_time: srv.cfg.lfu_decay_time as i64,
    };
    STATE.with(|s| {
        let pool = &mut s.borrow_mut().pool;
        loop {
            let mut total = 0usize;
            for (i, db) in srv.dbs.iter_mut().enumerate() {
                let n = if allkeys {
                    db.keys.len()
                } else {
                    db.expires.len()
                };
                if n > 0 {
                    populate(pool, i, db, allkeys, samples, &scorer);
                    total += n;
                }
            }
            if total == 0 {
                return None;
            }
            while let Some(c) = pool.pop_best() {
                let alive = srv.dbs.get_mut(c.db).is_some_and(|db| {
                    if allkeys {
                        db.keys.contains_key(&c.key)
                    } else {
                        db.expires.contains_key(&c.key)
                    }
                });
                if alive {
                    return Some((c.db, c.key));
                }
                pool.recycle(c.key);
            }
        }
    })
}

/// How a sampled key is scored for the pool (the idle computation of
/// evictionPoolPopulate).
struct Scorer {
    policy: MaxmemoryPolicy,
    lruclock: u32,
    unix_secs: i64,
    decay_time: i64,
}

impl Scorer {
    /// The score of a value from its 24-bit LRU/LFU field.
    fn of_field(&self, field: u32) -> u64 {
        if self.policy.is_lfu() {
            // Rare accesses first: invert the (decayed) frequency.
            255 - crate::db::lru::lfu_decayed(field, self.decay_time, self.unix_secs) as u64
        } else {
            idle_ms(self.lruclock, field)
        }
    }
}

/// Milliseconds since the access recorded in an LRU field, allowing one
/// wrap of the 24-bit clock (estimateObjectIdleTime).
pub fn idle_ms(lruclock: u32, field: u32) -> u64 {
    let (now, then) = (lruclock as u64, field as u64);
    let secs = if now >= then {
        now - then
    } else {
        now + (crate::cron::LRU_CLOCK_MAX as u64 - then)
    };
    secs * 1000
}

/// Sample `samples` keys of database `db_idx` into the pool
/// (evictionPoolPopulate): from the whole keyspace, or from the keys with
/// a TTL, whose values are then found in the keyspace.
fn populate(
    pool: &mut Pool,
    db_idx: usize,
    db: &mut crate::db::Db,
    allkeys: bool,
    samples: usize,
    scorer: &Scorer,
) {
    if allkeys {
        let mut out = Vec::new();
        db.keys.sample(samples, &mut out);
        for (k, o) in out {
            pool.offer(scorer.of_field(o.lru), db_idx, k.as_bytes());
        }
        return;
    }
    let (keys, expires) = (&db.keys, &mut db.expires);
    let mut out = Vec::new();
    expires.sample(samples, &mut out);
    for (k, when) in out {
        let score = if scorer.policy == MaxmemoryPolicy::VolatileTtl {
            // The sooner it expires, the better.
            u64::MAX - (*when).max(0) as u64
        } else {
            match keys.peek(k.as_bytes()) {
                Some(o) => scorer.of_field(o.lru),
                None => continue, // cannot happen: every TTL has its key
            }
        };
        pool.offer(score, db_idx, k.as_bytes());
    }
}

/// A random key of the next database that has one (the random policies),
/// rotating so that every database pays its share.
fn pick_random(srv: &mut Server, allkeys: bool) -> Option<(usize, Vec<u8>)> {
    let n = srv.dbs.len();
    let mut next = STATE.with(|s| s.borrow().next_db);
    let mut found = None;
    for _ in 0..n {
        next = next.wrapping_add(1);
        let j = next % n;
        let db = &mut srv.dbs[j];
        let key = if allkeys {
            db.keys
                .random_entry_by_bucket()
                .map(|(k, _)| k.as_bytes().to_vec())
        } else {
            db.expires
                .random_entry_by_bucket()
                .map(|(k, _)| k.as_bytes().to_vec())
        };
        if let Some(k) = key {
            found = Some((j, k));
            break;
        }
    }
    STATE.with(|s| s.borrow_mut().next_db = next);
    found
}

/// Delete one chosen key with everything an eviction entails; returns the
/// bytes its deletion freed (negative if memory grew meanwhile).
///
/// Like an expired key: WATCH and tracking invalidation, the `evicted`
/// event, a DEL (UNLINK under lazyfree-lazy-eviction) for the AOF and the
/// replicas. There is no background freeing: UNLINK drops values in place
/// too, so lazy eviction differs only in what is propagated.
fn evict_key(srv: &mut Server, db: usize, key: &[u8], lazy: bool) -> i64 {
    let before = crate::memory::used_memory_fast();
    let monitor = srv.cfg.latency_monitor_threshold > 0;
    let start = monitor.then(Instant::now);
    drop(srv.dbs[db].delete(key));
    if let Some(t) = start {
        srv.latency_sample("eviction-del", t.elapsed().as_micros() as u64);
    }
    let freed = before as i64 - crate::memory::used_memory_fast() as i64;
    srv.stats.evicted_keys += 1;
    crate::db::signal_modified_key_no_client(srv, db, key);
    crate::notify::keyspace_event(srv, crate::config::NOTIFY_EVICTED, "evicted", key, db);
    crate::persistence::propagate::propagate_deletion(srv, db, key, lazy);
    freed
}

/// Account the time spent over the limit (the update_metrics tail of
/// performEvictions).
fn note_outcome(result: Outcome) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        match result {
            Outcome::Running | Outcome::Fail => {
                if s.exceeded_since.is_none() {
                    s.exceeded_since = Some(Instant::now());
                }
            }
            Outcome::Ok => {
                if let Some(t) = s.exceeded_since.take() {
                    s.total_exceeded_us += t.elapsed().as_micros() as u64;
                }
            }
        }
    });
}

/// INFO's total_eviction_exceeded_time and current_eviction_exceeded_time,
/// in ms: the total includes the current period.
pub fn exceeded_time_ms() -> (u64, u64) {
    STATE.with(|s| {
        let s = s.borrow();
        let current = s
            .exceeded_since
            .map_or(0, |t| t.elapsed().as_micros() as u64);
        ((s.total_exceeded_us + current) / 1000, current / 1000)
    })
}

/// CONFIG RESETSTAT: forget the over-the-limit times.
pub fn reset_stats() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.total_exceeded_us = 0;
        s.exceeded_since = None;
    });
}

/// Arm the eviction timer (startEvictionTimeProc).
fn start_timer() {
    STATE.with(|s| s.borrow_mut().timer_running = true);
}

/// Whether the event loop must run `eviction_timer` (and not sleep).
#[inline]
pub fn timer_running() -> bool {
    STATE.with(|s| s.borrow().timer_running)
}

/// The eviction timer (evictionTimeProc), run by the event loop after the
/// socket events of each iteration while armed: evicts for another time
/// budget, and disarms once memory is fine or nothing is left to evict.
pub fn eviction_timer(srv: &mut Server) {
    if perform_evictions(srv) != Outcome::Running {
        STATE.with(|s| s.borrow_mut().timer_running = false);
    }
}

/// CONFIG SET maxmemory (updateMaxmemory): warn when the new limit is
/// already exceeded, and let the eviction timer bring memory down rather
/// than the CONFIG SET itself.
pub fn update_maxmemory(srv: &mut Server) {
    sync_limit(srv);
    let limit = srv.cfg.maxmemory;
    if limit == 0 {
        return;
    }
    let used = counted_memory(srv);
    if limit < used {
        warn!("WARNING: the new maxmemory value set via CONFIG SET ({limit}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.");
    }
    start_timer();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(p: &Pool) -> Vec<(u64, Vec<u8>)> {
        p.entries.iter().map(|c| (c.score, c.key.clone())).collect()
    }

    #[test]
    fn pool_keeps_the_best_sixteen_in_ascending_order() {
        let mut p = Pool::default();
        for i in 0..40u64 {
            // Scores in a scrambled order.
            let score = (i * 7) % 40;
            p.offer(score, 0, format!("k{score}").as_bytes());
        }
        let got = keys(&p);
        assert_eq!(got.len(), POOL_SIZE);
        let scores: Vec<u64> = got.iter().map(|e| e.0).collect();
        assert_eq!(scores, (24..40).collect::<Vec<u64>>());
        assert_eq!(p.pop_best().map(|c| c.key), Some(b"k39".to_vec()));
        // A worse key than all is ignored only while the pool is full.
        p.offer(1, 3, b"low");
        assert_eq!(p.entries.first().map(|c| c.score), Some(1));
        p.offer(0, 3, b"lower");
        assert_eq!(p.entries.first().map(|c| c.score), Some(1));
        assert_eq!(p.entries.len(), POOL_SIZE);
    }

    #[test]
    fn pool_reuses_key_buffers() {
        let mut p = Pool::default();
        for i in 0..POOL_SIZE as u64 {
            p.offer(i, 0, b"some-key");
        }
        // A better key pushes the worst out; its buffer goes to the spares
        // and is taken again by the next insertion.
        p.offer(100, 1, b"better");
        assert!(p.spare.is_empty());
        p.offer(200, 1, b"best");
        assert_eq!(
            p.pop_best().map(|c| (c.db, c.key)),
            Some((1, b"best".to_vec()))
        );
    }

    #[test]
    fn idle_time_handles_the_clock_wrap() {
        assert_eq!(idle_ms(100, 40), 60_000);
        let max = crate::cron::LRU_CLOCK_MAX;
        assert_eq!(idle_ms(5, max - 5), 10_000);
    }

    #[test]
    fn tenacity_maps_to_redis_time_limits() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert!(time_limit_us(99) > 100_000_000);
        assert_eq!(time_limit_us(100), u64::MAX);
    }

    #[test]
    fn exceeded_time_accumulates_between_fail_and_ok() {
        reset_stats();
        note_outcome(Outcome::Fail);
        std::thread::sleep(std::time::Duration::from_millis(3));
        let (total, current) = exceeded_time_ms();
        assert!(current >= 2 && total >= current);
        note_outcome(Outcome::Ok);
        let (total, current) = exceeded_time_ms();
        assert_eq!(current, 0);
        assert!(total >= 2);
        reset_stats();
        assert_eq!(exceeded_time_ms(), (0, 0));
    }
}
