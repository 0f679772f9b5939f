//! ZPOPMIN, ZPOPMAX and ZMPOP, around `zpop_reply` (genericZpopCommand),
//! which the blocking BZPOPMIN/BZPOPMAX/BZMPOP call once a key is ready.

use bytes::Bytes;

use super::arg_long_in;
use crate::commands::{lookup_write, Ctx};
use crate::config::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::errors::{CmdError, CmdResult};
use crate::net::client::Client;
use crate::server::Server;

/// How a pop reply is shaped (genericZpopCommand's flags).
#[derive(Clone, Copy)]
pub struct PopShape {
    /// Lead the reply with the key name (BZPOP*, ZMPOP, BZMPOP).
    pub emit_key: bool,
    /// Member/score pairs as nested arrays (RESP3 counts, ZMPOP, BZMPOP).
    pub nested: bool,
    /// Null array instead of an empty one when no key has elements (ZMPOP).
    pub nil_when_empty: bool,
}

/// What `zpop_reply` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Popped {
    /// No key in `keys` exists: the empty reply was sent.
    Nothing,
    /// `n` elements popped from `keys[i]`; `deleted` when that emptied it.
    From { i: usize, n: usize, deleted: bool },
}

/// The pop core (genericZpopCommand): pops up to `count` elements (-1: a
/// plain single pop) from the lowest (or, with `max`, highest) end of the
/// first existing key of `keys` in database `db`, replying to `c`. A key
/// of another type ends the search with WRONGTYPE (nothing written).
/// Deletes the key when emptied and bumps `dirty` per element. Blocking
/// pops call this once a key is ready.
pub fn zpop_reply(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    keys: &[Bytes],
    max: bool,
    count: i64,
    shape: PopShape,
) -> Result<Popped, CmdError> {
    let mut found = None;
    for (i, k) in keys.iter().enumerate() {
        if let Some(o) = lookup_write(srv, db, k) {
            o.val.as_zset()?;
            found = Some(i);
            break;
        }
    }
    let mut r = c.reply();
    let Some(i) = found else {
        if shape.nil_when_empty {
            r.null_array();
        } else {
            r.array_len(0);
        }
        return Ok(Popped::Nothing);
    };
    if count == 0 {
        r.array_len(0);
        return Ok(Popped::From {
            i,
            n: 0,
            deleted: false,
        });
    }
    let key = &keys[i];
    let Some(z) = srv.dbs[db]
        .keys
        .get_mut(key)
        .and_then(|o| o.val.as_zset_mut().ok())
    else {
        r.array_len(0);
        return Ok(Popped::Nothing);
    };
    let want = if count < 0 { 1 } else { count as u64 };
    let n = want.min(z.len() as u64) as usize;
    match (shape.nested, shape.emit_key) {
        (false, false) => r.array_len(n * 2),
        (true, false) => r.array_len(n),
        (false, true) => {
            r.array_len(n * 2 + 1);
            r.bulk(key);
        }
        (true, true) => {
            r.array_len(2);
            r.bulk(key);
            r.array_len(n);
        }
    }
    for _ in 0..n {
        let Some((m, s)) = z.pop(max) else { break };
        if shape.nested {
            r.array_len(2);
        }
        r.bulk(&m);
        r.double(s);
    }
    let deleted = z.is_empty();
    // One event for the whole pop (Redis sends it with the first element).
    if n > 0 {
        let event = if max { "zpopmax" } else { "zpopmin" };
        crate::notify::keyspace_event(srv, NOTIFY_ZSET, event, key, db);
        crate::db::signal_modified_key(srv, db, key);
    }
    if deleted {
        srv.dbs[db].delete(key);
        crate::notify::keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
    }
    srv.dirty += n as u64;
    Ok(Popped::From { i, n, deleted })
}

fn zpop_minmax(cx: &mut Ctx, max: bool) -> CmdResult {
    if cx.argc() > 3 {
        return Err(CmdError::Syntax);
    }
    let mut count = -1;
    if cx.argc() == 3 {
        count = arg_long_in(cx, 2, 0, "ERR value is out of range, must be positive")?;
    }
    let shape = PopShape {
        emit_key: false,
        nested: cx.c.resp == 3 && count != -1,
        nil_when_empty: false,
    };
    let keys = [cx.arg_bytes(1)];
    let db = cx.c.db;
    zpop_reply(cx.srv, cx.c, db, &keys, max, count, shape)?;
    Ok(())
}

pub fn zpopmin(cx: &mut Ctx) -> CmdResult {
    zpop_minmax(cx, false)
}

pub fn zpopmax(cx: &mut Ctx) -> CmdResult {
    zpop_minmax(cx, true)
}

/// ZMPOP / BZMPOP arguments from `numkeys_idx`: (keys, max, count).
pub fn parse_mpop(cx: &Ctx, numkeys_idx: usize) -> Result<(Vec<Bytes>, bool, i64), CmdError> {
    let (keys, where_idx, count) = super::super::blocking::mpop_layout(cx, numkeys_idx, |w| {
        w.eq_ignore_ascii_case(b"min") || w.eq_ignore_ascii_case(b"max")
    })?;
    let max = if cx.arg_is(where_idx, "min") {
        false
    } else if cx.arg_is(where_idx, "max") {
        true
    } else {
        return Err(CmdError::Syntax);
    };
    let keys = keys.map(|i| cx.arg_bytes(i)).collect();
    Ok((keys, max, count as i64))
}

pub fn zmpop(cx: &mut Ctx) -> CmdResult {
    let (keys, max, count) = parse_mpop(cx, 1)?;
    let shape = PopShape {
        emit_key: true,
        nested: true,
        nil_when_empty: true,
    };
    let db = cx.c.db;
    // Propagated as ZPOPMIN/ZPOPMAX key <count popped>.
    let popped = zpop_reply(cx.srv, cx.c, db, &keys, max, count, shape)?;
    if let (Popped::From { i, n, .. }, true) = (popped, cx.propagating()) {
        let cmd: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        let n = crate::persistence::propagate::int_arg(n as i64);
        cx.propagate_as(&[cmd, &keys[i], &n]);
    }
    Ok(())
}
