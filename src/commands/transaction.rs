//! MULTI / EXEC / DISCARD / WATCH / UNWATCH (Redis' multi.c) and MONITOR
//! (replication.c's replicationFeedMonitors). The queue and the WATCH
//! bookkeeping are in `crate::multi`; process_command queues commands.

use super::{call, Ctx};
use crate::errors::{CmdError, CmdResult};
use crate::multi;
use crate::net::client::{flags, Client};
use crate::server::Server;

pub const HANDLERS: &[(&str, super::Handler)] = &[
    ("multi", multi_cmd),
    ("exec", exec),
    ("discard", discard),
    ("watch", watch),
    ("unwatch", unwatch),
    ("monitor", monitor),
];

pub fn multi_cmd(cx: &mut Ctx) -> CmdResult {
    if cx.c.flags & flags::MULTI != 0 {
        return Err(CmdError::msg("ERR MULTI calls can not be nested"));
    }
    cx.c.flags |= flags::MULTI;
    cx.reply().ok();
    Ok(())
}

pub fn discard(cx: &mut Ctx) -> CmdResult {
    if cx.c.flags & flags::MULTI == 0 {
        return Err(CmdError::msg("ERR DISCARD without MULTI"));
    }
    multi::discard(cx.srv, cx.c);
    cx.reply().ok();
    Ok(())
}

pub fn exec(cx: &mut Ctx) -> CmdResult {
    if cx.c.flags & flags::MULTI == 0 {
        return Err(CmdError::msg("ERR EXEC without MULTI"));
    }
    // A watched key that expired since WATCH counts as changed.
    if multi::watched_key_expired(cx.srv, cx.c) {
        cx.c.flags |= flags::DIRTY_CAS;
    }
    if cx.c.flags & (flags::DIRTY_CAS | flags::DIRTY_EXEC) != 0 {
        let aborted = cx.c.flags & flags::DIRTY_EXEC != 0;
        multi::discard(cx.srv, cx.c);
        // EXEC itself propagates nothing: its commands do.
        cx.prevent_propagation();
        if aborted {
            return Err(CmdError::msg(
                "EXECABORT Transaction discarded because of previous errors.",
            ));
        }
        cx.reply().null_array();
        return Ok(());
    }
    cx.prevent_propagation();
    let old_flags = cx.c.flags;
    // Blocking commands inside a transaction answer at once.
    cx.c.flags |= flags::DENY_BLOCKING | flags::IN_EXEC;
    multi::unwatch_all(cx.srv, cx.c);
    let queue =
        cx.c.mstate
            .as_mut()
            .map(|m| std::mem::take(&mut m.queue))
            .unwrap_or_default();
    let orig_argv = std::mem::take(&mut cx.c.argv);
    cx.reply().array_len(queue.len());
    cx.srv.in_exec = true;
    for q in queue {
        cx.c.argv = q.argv;
        call(cx.srv, cx.c, q.id, crate::server::mono_ns());
    }
    cx.srv.in_exec = false;
    cx.c.argv = orig_argv;
    if old_flags & flags::DENY_BLOCKING == 0 {
        cx.c.flags &= !flags::DENY_BLOCKING;
    }
    cx.c.flags &= !flags::IN_EXEC;
    multi::discard(cx.srv, cx.c);
    Ok(())
}

pub fn watch(cx: &mut Ctx) -> CmdResult {
    if cx.c.flags & flags::MULTI != 0 {
        return Err(CmdError::msg("ERR WATCH inside MULTI is not allowed"));
    }
    // Already doomed: watching more changes nothing.
    if cx.c.flags & flags::DIRTY_CAS == 0 {
        for i in 1..cx.argc() {
            let key = cx.arg_bytes(i);
            multi::watch_key(cx.srv, cx.c, &key);
        }
    }
    cx.reply().ok();
    Ok(())
}

pub fn unwatch(cx: &mut Ctx) -> CmdResult {
    multi::unwatch_all(cx.srv, cx.c);
    cx.c.flags &= !flags::DIRTY_CAS;
    cx.reply().ok();
    Ok(())
}

pub fn monitor(cx: &mut Ctx) -> CmdResult {
    if cx.c.flags & flags::DENY_BLOCKING != 0 && cx.c.flags & flags::IN_EXEC == 0 {
        return Err(CmdError::msg(
            "ERR MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    // A replica's connection can't become a monitor; asking twice is a no-op.
    if cx.c.flags & (flags::REPLICA | flags::MONITOR) != 0 {
        return Ok(());
    }
    cx.c.flags |= flags::MONITOR;
    let slot = cx.c.token - crate::server::CLIENT_TOKEN_BASE;
    cx.srv.monitors.push(slot);
    cx.reply().ok();
    Ok(())
}

/// Show a command to the MONITOR clients (replicationFeedMonitors):
/// `+<unix time with µs> [<db> <peer>] "arg" ...`, arguments quoted as
/// Redis' sdscatrepr does, secrets replaced by `(redacted)`.
pub fn feed_monitors(srv: &mut Server, c: &Client, argv: &[bytes::Bytes]) {
    if srv.monitors.is_empty() || srv.loading {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut line = format!("+{}.{:06} ", now.as_secs(), now.subsec_micros());
    if c.flags & flags::UNIX_SOCKET != 0 {
        let path = srv.cfg.unixsocket.as_deref().unwrap_or("");
        line.push_str(&format!("[{} unix:{}] ", c.db, path));
    } else {
        line.push_str(&format!("[{} {}] ", c.db, c.addr));
    }
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        if i < 64 && c.redact_mask & (1 << i) != 0 {
            line.push_str("\"(redacted)\"");
        } else {
            line.push_str(&crate::config::repr(a));
        }
    }
    line.push_str("\r\n");
    let monitors = srv.monitors.clone();
    for slot in monitors {
        crate::pubsub::send_raw(srv, slot, line.as_bytes());
    }
}

/// A refused EXEC still closes the MULTI the monitors saw (execCommandAbort).
pub fn feed_monitors_exec(srv: &mut Server, c: &Client) {
    if !srv.monitors.is_empty() {
        let argv = c.argv.clone();
        feed_monitors(srv, c, &argv);
    }
}
