//! SLOWLOG GET | LEN | RESET | HELP (the log itself is src/slowlog.rs).

use super::{help::reply_help, Ctx};
use crate::errors::{CmdError, CmdResult};

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for
/// all), each [id, time, microseconds, args, peer, name].
pub fn get(cx: &mut Ctx) -> CmdResult {
    let mut count = 10usize;
    if cx.argc() == 3 {
        let n = cx.arg_i64(2)?;
        if n < -1 {
            return Err(CmdError::msg(
                "ERR count should be greater than or equal to -1",
            ));
        }
        count = if n == -1 { usize::MAX } else { n as usize };
    } else if cx.argc() > 3 {
        return Err(cx.wrong_arity());
    }
    let srv = &*cx.srv;
    let shown = srv.slowlog.entries.len().min(count);
    let mut r = cx.c.reply();
    r.array_len(shown);
    for e in srv.slowlog.entries.iter().take(shown) {
        r.array_len(6);
        r.int(e.id as i64);
        r.int(e.time);
        r.int(e.usec as i64);
        r.array_len(e.args.len());
        for a in &e.args {
            r.bulk(a);
        }
        r.bulk(e.peer.as_bytes());
        r.bulk(&e.name);
    }
    Ok(())
}

pub fn len(cx: &mut Ctx) -> CmdResult {
    let n = cx.srv.slowlog.entries.len();
    cx.reply().int(n as i64);
    Ok(())
}

pub fn reset(cx: &mut Ctx) -> CmdResult {
    cx.srv.slowlog.reset();
    cx.reply().ok();
    Ok(())
}

pub fn help(cx: &mut Ctx) -> CmdResult {
    reply_help(
        cx,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}
