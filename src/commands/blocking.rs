//! The blocking list and sorted-set commands: BLPOP BRPOP BLMOVE
//! BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP.
//!
//! Each parses its arguments (the timeout first, as Redis does), then
//! either serves at once from the first key that holds data, or parks the
//! client (`crate::blocking::block`). When a key becomes ready, `serve` runs the
//! same pop or move for the parked client on that key.

use bytes::Bytes;

use super::list::{parse_end, serve_move, serve_pop, PopReply};
use super::zset::{zpop_reply, PopShape};
use super::{lookup_write, Ctx, Handler};
use crate::blocking::{BlockOp, Blocked, End};
use crate::errors::{CmdError, CmdResult};
use crate::net::client::{flags, Client};
use crate::server::Server;
use crate::types::value::Value;
use crate::util::number::LongDouble;

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("blpop", blpop),
    ("brpop", brpop),
    ("blmove", blmove),
    ("brpoplpush", brpoplpush),
    ("blmpop", blmpop),
    ("bzpopmin", bzpopmin),
    ("bzpopmax", bzpopmax),
    ("bzmpop", bzmpop),
];

/// getTimeoutFromObjectOrReply in seconds: a long double, rounded up to
/// ms; 0 waits forever. Returns the absolute deadline in Unix ms.
fn parse_timeout(cx: &Ctx, i: usize) -> Result<i64, CmdError> {
    let t = LongDouble::parse(cx.arg(i))
        .filter(|t| !t.is_nan())
        .ok_or(CmdError::msg("ERR timeout is not a float or out of range"))?;
    let ms = t.seconds_to_ms_ceil();
    if ms < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    Ok(if ms > 0 {
        ms.wrapping_add(crate::logging::now_ms())
    } else {
        0
    })
}

/// The layout `numkeys key... WHERE [COUNT n]` shared by LMPOP, BLMPOP,
/// ZMPOP and BZMPOP (numkeys at argv[`numkeys_idx`]): returns the key
/// range, the index of WHERE (for the caller to read), and COUNT (1 when
/// absent). Errors are Redis' for both families.
/// `where_ok` vets WHERE before COUNT is read, as Redis checks them in
/// that order.
pub fn mpop_layout(
    cx: &Ctx,
    numkeys_idx: usize,
    where_ok: impl Fn(&[u8]) -> bool,
) -> Result<(std::ops::Range<usize>, usize, usize), CmdError> {
    let numkeys = crate::util::number::parse_i64(cx.arg(numkeys_idx))
        .filter(|&n| n > 0)
        .ok_or(CmdError::msg("ERR numkeys should be greater than 0"))?;
    let where_idx = (numkeys as u64).saturating_add(numkeys_idx as u64 + 1);
    if where_idx >= cx.argc() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_idx = where_idx as usize;
    if !where_ok(cx.arg(where_idx)) {
        return Err(CmdError::Syntax);
    }
    let mut count = None;
    let mut j = where_idx + 1;
    while j < cx.argc() {
        let more = cx.argc() - 1 - j;
        if count.is_none() && cx.arg_is(j, "count") && more > 0 {
            j += 1;
            let n = crate::util::number::parse_i64(cx.arg(j))
                .filter(|&n| n > 0)
                .ok_or(CmdError::msg("ERR count should be greater than 0"))?;
            count = Some(n as usize);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok((numkeys_idx + 1..where_idx, where_idx, count.unwrap_or(1)))
}

pub fn blpop(cx: &mut Ctx) -> CmdResult {
    bpop(cx, End::Head)
}

pub fn brpop(cx: &mut Ctx) -> CmdResult {
    bpop(cx, End::Tail)
}

fn bpop(cx: &mut Ctx, from: End) -> CmdResult {
    let deadline = parse_timeout(cx, cx.argc() - 1)?;
    let keys: Vec<Bytes> = (1..cx.argc() - 1).map(|i| cx.arg_bytes(i)).collect();
    serve_or_block(cx, keys, deadline, BlockOp::ListPop { from, count: None })
}

pub fn blmpop(cx: &mut Ctx) -> CmdResult {
    let deadline = parse_timeout(cx, 1)?;
    let args = super::list::parse_mpop(cx, 2)?;
    let keys: Vec<Bytes> = args.keys.map(|i| cx.arg_bytes(i)).collect();
    let op = BlockOp::ListPop {
        from: args.end,
        count: Some(args.count),
    };
    serve_or_block(cx, keys, deadline, op)
}

pub fn blmove(cx: &mut Ctx) -> CmdResult {
    let from = parse_end(cx.arg(3))?;
    let to = parse_end(cx.arg(4))?;
    let deadline = parse_timeout(cx, 5)?;
    let dst = cx.arg_bytes(2);
    let op = BlockOp::ListMove {
        dst,
        from,
        to,
        rpoplpush: false,
    };
    serve_or_block(cx, vec![cx.arg_bytes(1)], deadline, op)
}

pub fn brpoplpush(cx: &mut Ctx) -> CmdResult {
    let deadline = parse_timeout(cx, 3)?;
    let dst = cx.arg_bytes(2);
    let op = BlockOp::ListMove {
        dst,
        from: End::Tail,
        to: End::Head,
        rpoplpush: true,
    };
    serve_or_block(cx, vec![cx.arg_bytes(1)], deadline, op)
}

pub fn bzpopmin(cx: &mut Ctx) -> CmdResult {
    bzpop(cx, false)
}

pub fn bzpopmax(cx: &mut Ctx) -> CmdResult {
    bzpop(cx, true)
}

fn bzpop(cx: &mut Ctx, max: bool) -> CmdResult {
    let deadline = parse_timeout(cx, cx.argc() - 1)?;
    let keys: Vec<Bytes> = (1..cx.argc() - 1).map(|i| cx.arg_bytes(i)).collect();
    serve_or_block(cx, keys, deadline, BlockOp::ZPop { max, count: None })
}

pub fn bzmpop(cx: &mut Ctx) -> CmdResult {
    let deadline = parse_timeout(cx, 1)?;
    let (keys, max, count) = super::zset::parse_mpop(cx, 2)?;
    let op = BlockOp::ZPop {
        max,
        count: Some(count as usize),
    };
    serve_or_block(cx, keys, deadline, op)
}

/// Serve from the first key holding data, else block (or, where blocking
/// is not allowed, answer as a timeout would).
fn serve_or_block(cx: &mut Ctx, keys: Vec<Bytes>, deadline_ms: i64, op: BlockOp) -> CmdResult {
    let db = cx.c.db;
    let is_list = !matches!(op, BlockOp::ZPop { .. });
    for key in &keys {
        let Some(o) = lookup_write(cx.srv, db, key) else {
            continue;
        };
        match (&o.val, is_list) {
            (Value::List(_), true) | (Value::ZSet(_), false) => {}
            _ => return Err(CmdError::WrongType),
        }
        if let BlockOp::ListMove { dst, .. } = &op {
            // LMOVE checks the destination's type before popping.
            if let Some(d) = lookup_write(cx.srv, db, dst) {
                if !matches!(d.val, Value::List(_)) {
                    return Err(CmdError::WrongType);
                }
            }
        }
        let effect = if cx.propagating() {
            effect_of(cx.srv, db, key, &op)
        } else {
            None
        };
        run_op(cx.srv, cx.c, db, key, &op, false);
        // Propagated as the non-blocking command it amounted to, except
        // BLMOVE, which keeps the directions as the client spelled them.
        if let Some(mut argv) = effect {
            if let BlockOp::ListMove {
                rpoplpush: false, ..
            } = op
            {
                argv = (0..5).map(|i| cx.arg_bytes(i)).collect();
                argv[0] = Bytes::from_static(b"LMOVE");
            }
            crate::persistence::propagate::set_rewrite(cx.srv, argv);
        }
        return Ok(());
    }
    if cx.c.flags & flags::DENY_BLOCKING != 0 {
        if matches!(op, BlockOp::ListMove { .. }) {
            cx.reply().null();
        } else {
            cx.reply().null_array();
        }
        return Ok(());
    }
    let b = Blocked {
        db,
        keys,
        deadline_ms,
        op,
        cmd: cx.cmd,
        argv: Vec::new(),
    };
    crate::blocking::block(cx.srv, cx.c, b);
    Ok(())
}

/// Serve a client blocked on `key`, which now holds a value of the type it
/// waits for (called by crate::blocking::serve_key).
pub fn serve(srv: &mut Server, c: &mut Client, key: &[u8]) {
    let Some(b) = c.blocked.as_ref() else {
        return;
    };
    let (db, op) = (b.db, b.op.clone());
    if let BlockOp::ListMove { dst, .. } = &op {
        if let Some(d) = lookup_write(srv, db, dst) {
            if !matches!(d.val, Value::List(_)) {
                super::add_error_reply(srv, c, &CmdError::WrongType.text());
                return;
            }
        }
    }
    let effect = effect_of(srv, db, key, &op);
    let dirty = srv.dirty;
    run_op(srv, c, db, key, &op, true);
    // The pop happened outside the blocked command's call(): it is
    // propagated here, as what it amounts to (serveClientBlockedOnList).
    if let (Some(argv), true) = (effect, srv.dirty > dirty) {
        crate::persistence::propagate::also_propagate(srv, db, argv);
    }
    crate::persistence::propagate::propagate_pending(srv, true);
}

/// The non-blocking command a pop or move from `key` amounts to, computed
/// before it runs (the count is capped by the length it finds). None when
/// nothing records effects.
fn effect_of(srv: &Server, db: usize, key: &[u8], op: &BlockOp) -> Option<Vec<Bytes>> {
    if !crate::persistence::propagate::should_propagate(srv) {
        return None;
    }
    let len = srv.dbs[db].keys.peek(key).map_or(0, |o| match &o.val {
        Value::List(l) => l.len(),
        Value::ZSet(z) => z.len(),
        _ => 0,
    });
    let key = Bytes::copy_from_slice(key);
    let count = |n: usize| crate::persistence::propagate::int_arg(n.min(len) as i64);
    let side = |e: End| Bytes::from_static(if e == End::Head { b"left" } else { b"right" });
    Some(match op {
        BlockOp::ListPop { from, count: n } => {
            let cmd: &'static [u8] = if *from == End::Head { b"LPOP" } else { b"RPOP" };
            let mut v = vec![Bytes::from_static(cmd), key];
            if let Some(n) = n {
                v.push(count(*n));
            }
            v
        }
        BlockOp::ListMove {
            dst,
            from,
            to,
            rpoplpush,
        } => {
            if *rpoplpush {
                vec![Bytes::from_static(b"RPOPLPUSH"), key, dst.clone()]
            } else {
                let cmd = Bytes::from_static(b"LMOVE");
                vec![cmd, key, dst.clone(), side(*from), side(*to)]
            }
        }
        BlockOp::ZPop { max, count: n } => {
            let cmd: &'static [u8] = if *max { b"ZPOPMAX" } else { b"ZPOPMIN" };
            let mut v = vec![Bytes::from_static(cmd), key];
            if let Some(n) = n {
                v.push(count(*n));
            }
            v
        }
        // WAIT and SHUTDOWN are never served by a key.
        BlockOp::Wait { .. } | BlockOp::Shutdown | BlockOp::XRead(_) => return None,
    })
}

/// Pop or move from `key` (known to hold a non-empty value of the right
/// type) and write the reply the blocking command gives. `served`: for a
/// client that was blocked (serveClientBlockedOnList), where Redis sends
/// no WATCH/tracking signal for the source key of BLPOP/BRPOP and BLMOVE
/// (the push that woke the client sent one); BLMPOP and the zset pops
/// signal either way, as their shared pop code does.
fn run_op(srv: &mut Server, c: &mut Client, db: usize, key: &[u8], op: &BlockOp, served: bool) {
    match op {
        BlockOp::ListPop { from, count } => {
            let how = match count {
                None => PopReply::KeyElement,
                Some(n) => PopReply::KeyArray(*n),
            };
            let signal = !served || count.is_some();
            if let Err(e) = serve_pop(srv, c, db, key, *from, how, signal) {
                super::add_error_reply(srv, c, &e.text());
            }
        }
        BlockOp::ListMove { dst, from, to, .. } => {
            if let Err(e) = serve_move(srv, c, db, key, dst, *from, *to, !served) {
                super::add_error_reply(srv, c, &e.text());
            }
        }
        BlockOp::ZPop { max, count } => {
            // BZPOPMIN/MAX reply flat [key, member, score]; BZMPOP nests.
            let shape = PopShape {
                emit_key: true,
                nested: count.is_some(),
                nil_when_empty: count.is_some(),
            };
            let n = count.map_or(-1, |n| n as i64);
            let keys = [Bytes::copy_from_slice(key)];
            if let Err(e) = zpop_reply(srv, c, db, &keys, *max, n, shape) {
                super::add_error_reply(srv, c, &e.text());
            }
        }
        BlockOp::Wait { .. } | BlockOp::Shutdown | BlockOp::XRead(_) => {}
    }
}
