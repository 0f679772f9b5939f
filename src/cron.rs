//! `cron()`: the periodic work of the loop, `hz` times a second (Redis'
//! serverCron): clocks and stats sampling, client timeouts and buffer
//! trimming, the slow active expire cycle, incremental rehashing and table
//! shrinking, and acting on shutdown signals.

use log::{debug, warn};

use crate::db::expire::{active_expire_cycle, CycleKind};
use crate::net::client::flags;
use crate::server::Server;
use crate::shutdown;

/// Redis' LRU clock: seconds, 24 bits.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u32) & LRU_CLOCK_MAX
}

/// True once every `ms` milliseconds of cron ticks (run_with_period).
fn every(srv: &Server, ms: i64) -> bool {
    let period = 1000 / srv.hz.max(1) as i64;
    ms <= period || srv.cronloops.is_multiple_of((ms / period).max(1) as u64)
}

pub fn cron(srv: &mut Server) {
    srv.sync_clock();
    srv.update_cached_time();
    srv.lruclock = lru_clock(srv.now_ms);
    if srv.cfg.dynamic_hz {
        // Raise hz with the number of clients so per-client work per tick
        // stays bounded (as Redis does).
        let mut hz = srv.cfg.hz;
        while srv.num_clients as i64 / hz as i64 > 200 && hz < 500 {
            hz *= 2;
        }
        srv.hz = hz.min(500);
    } else {
        srv.hz = srv.cfg.hz;
    }
    // Push the watchdog's deadline one period further: it fires only if
    // the loop misses a whole period.
    if srv.cfg.watchdog_period > 0 {
        crate::crash::schedule_watchdog(srv.cfg.watchdog_period, srv.hz);
    }
    if let Some(sig) = shutdown::take_signal() {
        let name = if sig == nix::libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        if srv.shutdown_asap && sig == nix::libc::SIGINT {
            warn!("You insist... exiting now.");
            std::process::exit(1);
        }
        // Redis writes this line from the signal handler, in its own format.
        crate::logging::raw(
            &srv.cfg.logfile,
            &format!(
                "{}:signal-handler ({}) Received {name} scheduling shutdown...\n",
                std::process::id(),
                srv.unixtime
            ),
        );
        srv.shutdown_asap = true;
    }
    // A shutdown waiting for replicas: go ahead once they caught up.
    if crate::shutdown::cron_check(srv) {
        std::process::exit(0);
    }
    // Ends a CLIENT PAUSE whose time is up and wakes the postponed clients.
    srv.is_paused();
    if every(srv, 100) {
        srv.stats.sample(srv.now_ms);
        // A full memory reading keeps the cheap one of the maxmemory
        // check in step with what other threads allocate and free.
        if srv.cfg.maxmemory != 0 {
            crate::memory::rebase();
        }
    }
    clients_cron(srv);
    databases_cron(srv);
    // Apply tracking-table-max-keys even when no command comes.
    crate::tracking::cron(srv);
    if every(srv, 1000) {
        crate::commands::migrate::migrate_close_timedout_sockets(srv);
        crate::replication::cron(srv);
    }
    crate::persistence::fork::check_child_done(srv);
    crate::persistence::aof::cron(srv);
    crate::persistence::fork::cron_save_points(srv);
    // BGSAVE SCHEDULE waits for the rewrite child to go.
    if srv.rdb_bgsave_scheduled
        && !crate::persistence::aof::has_active_child(srv)
        && crate::persistence::fork::bgsave(srv)
    {
        srv.rdb_bgsave_scheduled = false;
    }
    srv.cronloops += 1;
}

/// Close idle clients past `timeout`, trim oversized query buffers, and
/// re-measure every client's memory (INFO `mem_clients_normal`, the
/// eviction buckets).
fn clients_cron(srv: &mut Server) {
    let timeout = srv.cfg.timeout;
    let now = srv.unixtime;
    let mut to_close = Vec::new();
    for slot in 0..srv.clients.len() {
        let Some(Some(c)) = srv.clients.get_mut(slot) else {
            continue;
        };
        if timeout > 0
            && now - c.last_interaction > timeout as i64
            && c.flags & (flags::MONITOR | flags::BLOCKED) == 0
        {
            debug!("Closing idle client");
            to_close.push(slot);
            continue;
        }
        resize_query_buffer(c, now);
        if srv.reply_buffer_resizing {
            match c.resize_reply_buffer(srv.now_ms, srv.reply_buffer_peak_reset_ms) {
                -1 => srv.stats.reply_buffer_shrinks += 1,
                1 => srv.stats.reply_buffer_expands += 1,
                _ => {}
            }
        }
        // The soft limit's time runs out without any new output: only this
        // periodic check notices a client that stays over it.
        if c.flags & (flags::REPLICA | flags::MASTER) == 0 && c.has_pending_output() {
            crate::server::enforce_output_limits(&srv.cfg, now, &mut srv.stats, c);
            if c.flags & flags::CLOSE_ASAP != 0 {
                to_close.push(slot);
            }
        }
        if let Some(c) = srv.clients[slot].take() {
            crate::client_evict::cron_client(srv, &c);
            srv.clients[slot] = Some(c);
        }
    }
    for slot in to_close {
        srv.free_client(slot);
    }
}

/// Query buffers above this may be trimmed to their recent peak.
const PROTO_RESIZE_THRESHOLD: usize = 32 * 1024;

/// Give query buffer memory back (clientsCronResizeQueryBuffer): all of
/// it once the client idles over 2 s, or down to the recent peak when the
/// buffer is more than twice what was recently used.
fn resize_query_buffer(c: &mut crate::net::client::Client, now: i64) {
    let free = c.qbuf.capacity() - c.qbuf.len();
    if free > 4 * 1024 {
        let idle = now - c.last_interaction;
        let size = c.qbuf.capacity();
        if idle > 2 {
            let mut b = bytes::BytesMut::with_capacity(c.qbuf.len());
            b.extend_from_slice(&c.qbuf);
            c.qbuf = b;
        } else if size > PROTO_RESIZE_THRESHOLD && size / 2 > c.qbuf_peak {
            // Never down to nothing: that is only for idle clients, and an
            // active one reads again right away.
            let pending = c.parser.pending_bulk().unwrap_or(0);
            let keep = c.qbuf.len().max(c.qbuf_peak).max(pending).max(64);
            let mut b = bytes::BytesMut::with_capacity(keep);
            b.extend_from_slice(&c.qbuf);
            c.qbuf = b;
        }
    }
    c.qbuf_peak = c.qbuf.len().max(c.parser.pending_bulk().unwrap_or(0));
}

fn databases_cron(srv: &mut Server) {
    // Replicas leave expiry to their master (its DELs reach them).
    if srv.active_expire_enabled && srv.repl.replica.is_replica() {
        crate::replication::replica::expire_local_keys(srv);
    } else if srv.active_expire_enabled {
        active_expire_cycle(srv, CycleKind::Slow);
    }
    for db in srv.dbs.iter_mut() {
        if db.keys.needs_shrink() {
            db.keys.shrink_to_fit();
        }
        if db.expires.needs_shrink() {
            db.expires.shrink_to_fit();
        }
    }
    if srv.cfg.activerehashing {
        // Up to 1 ms of rehashing per tick, on the first database that needs it.
        for db in srv.dbs.iter_mut() {
            if db.keys.is_rehashing() {
                db.keys.rehash_for(std::time::Duration::from_millis(1));
                break;
            }
            if db.expires.is_rehashing() {
                db.expires.rehash_for(std::time::Duration::from_millis(1));
                break;
            }
        }
    }
}
