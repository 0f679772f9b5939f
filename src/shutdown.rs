//! Shutdown: signal handlers that only set a flag (cron acts on it), and
//! `prepare_shutdown` (Redis' prepareForShutdown/finishShutdown) shared by
//! signals and the SHUTDOWN command.

use log::{info, warn};
use std::sync::atomic::{AtomicI32, Ordering};

use crate::server::Server;

static PENDING_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: nix::libc::c_int) {
    // Only an atomic store: anything else is not async-signal-safe.
    PENDING_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Install SIGTERM/SIGINT handlers and ignore SIGPIPE (a closed client must
/// not kill the server).
pub fn install_signal_handlers() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let act = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    let ign = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: the handler only performs an atomic store, which is
    // async-signal-safe; the ignore disposition has no handler at all.
    unsafe {
        let _ = sigaction(Signal::SIGTERM, &act);
        let _ = sigaction(Signal::SIGINT, &act);
        let _ = sigaction(Signal::SIGPIPE, &ign);
    }
}

/// The signal received since the last call, if any.
pub fn take_signal() -> Option<i32> {
    match PENDING_SIGNAL.swap(0, Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

#[derive(Default, Clone, Copy)]
pub struct ShutdownFlags {
    pub nosave: bool,
    pub save: bool,
    pub now: bool,
    pub force: bool,
}

/// Whether every replica acknowledged our whole stream (isReadyToShutdown).
pub fn replicas_in_sync(srv: &Server) -> bool {
    let off = srv.repl.master_repl_offset;
    srv.repl
        .replicas
        .iter()
        .filter_map(|&s| srv.clients.get(s)?.as_ref()?.repl.as_ref())
        .all(|r| r.ack_off == off)
}

/// cancelShutdown: the attempt failed or was aborted; the clients waiting
/// in SHUTDOWN get an error, writes resume.
pub fn cancel_shutdown(srv: &mut Server) {
    let waiting = srv.shutdown_mstime != 0;
    srv.shutdown_asap = false;
    srv.shutdown_mstime = 0;
    srv.shutdown_flags = ShutdownFlags::default();
    crate::blocking::fail_shutdown_waiters(srv, "ERR Errors trying to SHUTDOWN. Check logs.");
    if waiting {
        srv.unpause();
    }
}

/// From cron: a shutdown waiting for replicas goes ahead once they caught
/// up or the time is up. True when the process may exit now.
pub fn cron_check(srv: &mut Server) -> bool {
    if srv.shutdown_mstime == 0 {
        return false;
    }
    if crate::logging::now_ms() >= srv.shutdown_mstime || replicas_in_sync(srv) {
        let fl = srv.shutdown_flags;
        return finish_shutdown(srv, fl);
    }
    false
}

/// Get ready to exit (prepareForShutdown): returns true when the process
/// may exit now. With replicas behind (and no NOW), writes are paused and
/// cron finishes the job once they caught up or `shutdown-timeout` passed.
pub fn prepare_shutdown(srv: &mut Server, fl: ShutdownFlags) -> bool {
    if srv.shutdown_mstime != 0 {
        return false; // already waiting for the replicas
    }
    warn!("User requested shutdown...");
    if !fl.now && srv.cfg.shutdown_timeout != 0 && !replicas_in_sync(srv) {
        srv.shutdown_mstime = crate::logging::now_ms() + srv.cfg.shutdown_timeout as i64 * 1000;
        srv.shutdown_flags = fl;
        let paused = srv.pause_until_ms != 0 && srv.is_paused();
        if !paused {
            crate::replication::master::send_getack(srv);
        }
        if srv.pause_until_ms == 0 {
            srv.pause_write_only = true;
        }
        srv.pause_until_ms = i64::MAX;
        info!("Waiting for replicas before shutting down.");
        return false;
    }
    finish_shutdown(srv, fl)
}

/// finishShutdown: report lagging replicas, stop children, flush the AOF,
/// save if asked to, and clean up. False (after cancel_shutdown) when an
/// error keeps the server running.
fn finish_shutdown(srv: &mut Server, fl: ShutdownFlags) -> bool {
    let off = srv.repl.master_repl_offset;
    let mut total = 0;
    let mut lagging = 0;
    let now = crate::logging::now_ms();
    for &s in &srv.repl.replicas {
        let Some(Some(c)) = srv.clients.get(s) else {
            continue;
        };
        let Some(r) = c.repl.as_ref() else {
            continue;
        };
        total += 1;
        if r.ack_off != off {
            lagging += 1;
            let lag = if r.state == crate::replication::ReplicaState::Online {
                (now - r.ack_time_ms) / 1000
            } else {
                0
            };
            warn!(
                "Lagging replica {} reported offset {} behind master, lag={lag}, state={}.",
                crate::replication::master::replica_name(c),
                off - r.ack_off,
                r.state.info_name()
            );
        }
    }
    if total > 0 {
        info!(
            "{} of {total} replicas are in sync when shutting down.",
            total - lagging
        );
    }
    if !finish_shutdown_body(srv, fl) {
        cancel_shutdown(srv);
        return false;
    }
    true
}

fn finish_shutdown_body(srv: &mut Server, fl: ShutdownFlags) -> bool {
    if srv.rdb_child.is_some() {
        warn!("There is a child saving an .rdb. Killing it!");
        crate::persistence::fork::kill_child(srv);
    }
    // The AOF: a rewrite child is killed (unless it writes the first base
    // and the shutdown is not forced), the buffer flushed and fsynced.
    if !crate::persistence::aof::prepare_shutdown(srv, fl.force) {
        warn!("Errors trying to shut down the server. Check the logs for more information.");
        return false;
    }
    // The final snapshot: asked for explicitly, or implied by configured
    // save points unless NOSAVE. A failed save keeps the server running
    // unless FORCE (prepareForShutdown).
    // Never while loading: the keyspace is not all there yet.
    if !srv.loading && ((crate::persistence::has_save_points(srv) && !fl.nosave) || fl.save) {
        info!("Saving the final RDB snapshot before exiting.");
        // A second SIGINT during this save means "exit now": the partial
        // temp file goes and the process ends (sigShutdownHandler).
        let logfile = srv.cfg.logfile.clone();
        let insist = &mut |_keys: u64| {
            if PENDING_SIGNAL.load(Ordering::SeqCst) == nix::libc::SIGINT {
                crate::logging::raw(
                    &logfile,
                    &format!(
                        "{}:signal-handler ({}) You insist... exiting now.\n",
                        std::process::id(),
                        crate::logging::now_ms() / 1000
                    ),
                );
                let _ = std::fs::remove_file(format!("temp-{}.rdb", std::process::id()));
                std::process::exit(1);
            }
        };
        if !crate::persistence::rdb_save_with(srv, insist) {
            if fl.force {
                warn!("Error trying to save the DB. Exit anyway.");
            } else {
                warn!("Error trying to save the DB, can't exit.");
                warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                return false;
            }
        }
    }
    // Flush what we can to clients and replicas still connected, as Redis
    // does (flushSlavesOutputBuffers).
    crate::replication::master::flush_all(srv);
    srv.handle_pending_writes();
    if srv.pidfile_written {
        info!("Removing the pid file.");
        let path = srv
            .cfg
            .pidfile
            .clone()
            .unwrap_or_else(|| "/var/run/redis.pid".to_string());
        let _ = std::fs::remove_file(path);
    }
    // Close the listeners before any client connection goes with the
    // process (closeListeningSockets): whoever saw SHUTDOWN's connection
    // close must find the port closed, not a listener about to vanish.
    srv.listeners.clear();
    if let Some(path) = srv.cfg.unixsocket.as_deref().filter(|p| !p.is_empty()) {
        info!("Removing the unix socket file.");
        if let Err(e) = std::fs::remove_file(path) {
            warn!("Error removing the unix socket file: {e}");
        }
    }
    warn!("Redis is now ready to exit, bye bye...");
    true
}
