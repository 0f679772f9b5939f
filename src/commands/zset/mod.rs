//! Sorted set commands (t_zset.c's command half). The data structure
//! lives in `types::zset`; these files parse arguments in Redis' order (so
//! the first error is Redis' first error), act, and reply. Scores go out
//! through `Reply::double`: `%.17g` bulk strings in RESP2, `,` doubles in
//! RESP3.
//!
//! * here: ZADD/ZINCRBY, ZREM, the point reads (ZCARD, ZSCORE, ZMSCORE,
//!   ZRANK, ZCOUNT, ZLEXCOUNT), ZRANDMEMBER, ZSCAN and shared helpers;
//! * `range.rs`: the ZRANGE family, ZRANGESTORE, ZREMRANGEBY*;
//! * `pop.rs`: ZPOPMIN/ZPOPMAX/ZMPOP and `zpop_reply`, the pop core the
//!   blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP) share;
//! * `setops.rs`: ZUNION/ZINTER/ZDIFF[STORE] and ZINTERCARD.
//!
//! Every write publishes t_zset.c's keyspace events and calls
//! `signal_modified_key` at the same points, only when something changed.
//! New keys go in through `Db::add` (dbAdd) or `Ctx::set_key` (setKey).

mod pop;
mod range;
mod setops;

use std::collections::HashSet;

use super::{lookup_read, lookup_write, Ctx, Handler};
use crate::config::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::db::dict::random_below;
use crate::errors::{CmdError, CmdResult};
use crate::net::reply::Reply;
use crate::server::Server;
use crate::types::listpack::Entry;
use crate::types::value::{Obj, Value};
use crate::types::zset::{add_flags, AddOutcome, LexRange, Limits, ScoreRange, ZSet};
use crate::util::glob::glob_match;
use crate::util::number::{parse_f64, parse_i64};
pub use pop::{parse_mpop, zpop_reply, PopShape, Popped};
use pop::{zmpop, zpopmax, zpopmin};
use range::{
    zrange, zrangebylex, zrangebyscore, zrangestore, zremrangebylex, zremrangebyrank,
    zremrangebyscore, zrevrange, zrevrangebylex, zrevrangebyscore,
};
use setops::{zdiff, zdiffstore, zinter, zintercard, zinterstore, zunion, zunionstore};

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("zadd", zadd),
    ("zincrby", zincrby),
    ("zrem", zrem),
    ("zcard", zcard),
    ("zcount", zcount),
    ("zlexcount", zlexcount),
    ("zscore", zscore),
    ("zmscore", zmscore),
    ("zrank", zrank),
    ("zrevrank", zrevrank),
    ("zrange", zrange),
    ("zrangestore", zrangestore),
    ("zrevrange", zrevrange),
    ("zrangebyscore", zrangebyscore),
    ("zrevrangebyscore", zrevrangebyscore),
    ("zrangebylex", zrangebylex),
    ("zrevrangebylex", zrevrangebylex),
    ("zremrangebyrank", zremrangebyrank),
    ("zremrangebyscore", zremrangebyscore),
    ("zremrangebylex", zremrangebylex),
    ("zpopmin", zpopmin),
    ("zpopmax", zpopmax),
    ("zmpop", zmpop),
    ("zunion", zunion),
    ("zinter", zinter),
    ("zdiff", zdiff),
    ("zunionstore", zunionstore),
    ("zinterstore", zinterstore),
    ("zdiffstore", zdiffstore),
    ("zintercard", zintercard),
    ("zrandmember", zrandmember),
    ("zscan", zscan),
];

const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";
const NAN_RESULT: &str = "ERR resulting score is not a number (NaN)";

fn limits(srv: &Server) -> Limits {
    Limits {
        max_entries: srv.cfg.zset_max_listpack_entries,
        max_value: srv.cfg.zset_max_listpack_value,
    }
}

/// A member as a bulk string (listpack integers are formatted).
fn bulk_entry(r: &mut Reply, e: Entry<'_>) {
    match e {
        Entry::Str(s) => r.bulk(s),
        Entry::Int(v) => r.bulk_i64(v),
    }
}

/// One element of a reply: member, then the score when asked; RESP3 wraps
/// the pair in its own array.
fn emit(r: &mut Reply, e: Entry<'_>, score: f64, withscores: bool) {
    if withscores && r.resp3 {
        r.array_len(2);
    }
    bulk_entry(r, e);
    if withscores {
        r.double(score);
    }
}

/// The array header for `n` elements (flat 2n in RESP2 with scores).
fn elements_len(r: &mut Reply, n: usize, withscores: bool) {
    r.array_len(if withscores && !r.resp3 { n * 2 } else { n });
}

/// getDoubleFromObjectOrReply with its default message.
fn arg_f64(cx: &Ctx, i: usize) -> Result<f64, CmdError> {
    parse_f64(cx.arg(i)).ok_or(CmdError::NotFloat)
}

/// getRangeLongFromObjectOrReply with a custom message for both failures.
fn arg_long_in(cx: &Ctx, i: usize, min: i64, msg: &'static str) -> Result<i64, CmdError> {
    match parse_i64(cx.arg(i)) {
        Some(v) if v >= min => Ok(v),
        _ => Err(CmdError::msg(msg)),
    }
}

/// Adds a new zset under `key`, which the caller knows is absent (dbAdd),
/// with a fresh LRU stamp.
fn add_zset(srv: &mut Server, db: usize, key: &[u8], z: ZSet) {
    let obj = Obj {
        val: Value::ZSet(z),
        lru: srv.new_lru_field(),
    };
    crate::db::add_key(srv, db, key, obj);
}

/// The end of every *STORE: keep a non-empty result (replacing the key and
/// its TTL, as setKey) and report `event`, or delete the destination
/// (reporting `del` if it existed); reply with the stored size.
fn finish_store(cx: &mut Ctx, dst: &[u8], result: Option<ZSet>, event: &'static str) {
    let db = cx.c.db;
    match result.filter(|z| !z.is_empty()) {
        Some(z) => {
            let n = z.len();
            cx.set_key(dst, Value::ZSet(z), false);
            cx.c.reply().int(n as i64);
            cx.notify(NOTIFY_ZSET, event, dst);
            cx.srv.dirty += 1;
        }
        None => {
            cx.c.reply().int(0);
            if cx.srv.dbs[db].delete(dst).is_some() {
                cx.modified(dst);
                cx.notify(NOTIFY_GENERIC, "del", dst);
                cx.srv.dirty += 1;
            }
        }
    }
}

// ---------------------------------------------------------------- ZADD

pub fn zadd(cx: &mut Ctx) -> CmdResult {
    zadd_generic(cx, 0)
}

pub fn zincrby(cx: &mut Ctx) -> CmdResult {
    zadd_generic(cx, add_flags::INCR)
}

/// ZADD and ZINCRBY (zaddGenericCommand): options, then score/member pairs.
fn zadd_generic(cx: &mut Ctx, mut flags: u8) -> CmdResult {
    use add_flags::*;
    let mut ch = false;
    let mut idx = 2;
    while idx < cx.argc() {
        let a = cx.arg(idx);
        let f = if a.eq_ignore_ascii_case(b"nx") {
            NX
        } else if a.eq_ignore_ascii_case(b"xx") {
            XX
        } else if a.eq_ignore_ascii_case(b"ch") {
            ch = true;
            0
        } else if a.eq_ignore_ascii_case(b"incr") {
            INCR
        } else if a.eq_ignore_ascii_case(b"gt") {
            GT
        } else if a.eq_ignore_ascii_case(b"lt") {
            LT
        } else {
            break;
        };
        flags |= f;
        idx += 1;
    }
    let has = |f: u8| flags & f != 0;
    let elements = cx.argc() - idx;
    if elements % 2 == 1 || elements == 0 {
        return Err(CmdError::Syntax);
    }
    if has(NX) && has(XX) {
        return Err(CmdError::msg(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (has(GT) && has(NX)) || (has(LT) && has(NX)) || (has(GT) && has(LT)) {
        return Err(CmdError::msg(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if has(INCR) && elements > 2 {
        return Err(CmdError::msg(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    // All scores are checked before anything changes.
    let mut scores = Vec::with_capacity(elements / 2);
    for j in 0..elements / 2 {
        scores.push(arg_f64(cx, idx + 2 * j)?);
    }
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let lim = limits(cx.srv);
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last_score = 0.0;
    let mut failed = false;
    let exists = match lookup_write(cx.srv, db, &key) {
        Some(o) => {
            o.val.as_zset()?;
            true
        }
        None => false,
    };
    if exists || !has(XX) {
        let mut fresh = None;
        let z: &mut ZSet = if exists {
            match cx.srv.dbs[db].keys.get_mut(&key) {
                Some(o) => o.val.as_zset_mut()?,
                None => return Ok(()),
            }
        } else {
            fresh.insert(ZSet::new_for(cx.arg(idx + 1).len(), lim))
        };
        for (j, &score) in scores.iter().enumerate() {
            let member = &cx.c.argv[idx + 1 + 2 * j];
            match z.add(score, member, flags, lim) {
                Ok(AddOutcome::Added(s)) => {
                    added += 1;
                    processed += 1;
                    last_score = s;
                }
                Ok(AddOutcome::Updated(s)) => {
                    updated += 1;
                    processed += 1;
                    last_score = s;
                }
                Ok(AddOutcome::Same(s)) => {
                    processed += 1;
                    last_score = s;
                }
                Ok(AddOutcome::Nop) => {}
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if let Some(z) = fresh {
            if !z.is_empty() {
                add_zset(cx.srv, db, &key, z);
            }
        }
    }
    // Redis reports even a failed call if it changed something first.
    if added + updated > 0 {
        cx.modified(&key);
        let event = if has(INCR) { "zincr" } else { "zadd" };
        cx.notify(NOTIFY_ZSET, event, &key);
    }
    if failed {
        return Err(CmdError::msg(NAN_RESULT));
    }
    cx.srv.dirty += (added + updated) as u64;
    let mut r = cx.c.reply();
    if has(INCR) {
        if processed > 0 {
            r.double(last_score);
        } else {
            r.null();
        }
    } else {
        r.int(if ch { added + updated } else { added });
    }
    Ok(())
}

// ---------------------------------------------------------------- ZREM

pub fn zrem(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        cx.c.reply().int(0);
        return Ok(());
    };
    let z = o.val.as_zset_mut()?;
    let mut deleted = 0;
    let mut emptied = false;
    for m in &cx.c.argv[2..] {
        if z.remove(m) {
            deleted += 1;
        }
        if z.is_empty() {
            emptied = true;
            break;
        }
    }
    if emptied {
        cx.srv.dbs[db].delete(&key);
    }
    if deleted > 0 {
        cx.notify(NOTIFY_ZSET, "zrem", &key);
        if emptied {
            cx.notify(NOTIFY_GENERIC, "del", &key);
        }
        cx.modified(&key);
        cx.srv.dirty += deleted as u64;
    }
    cx.c.reply().int(deleted);
    Ok(())
}

// ---------------------------------------------------------------- reads

pub fn zcard(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let n = match lookup_read(cx.srv, cx.c.db, &key) {
        Some(o) => o.val.as_zset()?.len() as i64,
        None => 0,
    };
    cx.c.reply().int(n);
    Ok(())
}

pub fn zscore(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let score = match lookup_read(cx.srv, cx.c.db, &key) {
        Some(o) => o.val.as_zset()?.score(&cx.c.argv[2]),
        None => None,
    };
    let mut r = cx.c.reply();
    match score {
        Some(s) => r.double(s),
        None => r.null(),
    }
    Ok(())
}

pub fn zmscore(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let z = match lookup_read(cx.srv, cx.c.db, &key) {
        Some(o) => Some(o.val.as_zset()?),
        None => None,
    };
    let mut r = Reply::new(&mut cx.c.out, cx.c.resp == 3);
    r.array_len(cx.c.argv.len() - 2);
    for m in &cx.c.argv[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => r.double(s),
            None => r.null(),
        }
    }
    Ok(())
}

fn zrank_generic(cx: &mut Ctx, rev: bool) -> CmdResult {
    let key = cx.arg_bytes(1);
    let rank = match lookup_read(cx.srv, cx.c.db, &key) {
        Some(o) => o.val.as_zset()?.rank(&cx.c.argv[2], rev),
        None => None,
    };
    let mut r = cx.c.reply();
    match rank {
        Some(n) => r.int(n as i64),
        None => r.null(),
    }
    Ok(())
}

pub fn zrank(cx: &mut Ctx) -> CmdResult {
    zrank_generic(cx, false)
}

pub fn zrevrank(cx: &mut Ctx) -> CmdResult {
    zrank_generic(cx, true)
}

pub fn zcount(cx: &mut Ctx) -> CmdResult {
    let range = ScoreRange::parse(cx.arg(2), cx.arg(3)).ok_or(CmdError::msg(NOT_FLOAT_RANGE))?;
    let key = cx.arg_bytes(1);
    let n = match lookup_read(cx.srv, cx.c.db, &key) {
        Some(o) => {
            let (lo, hi) = o.val.as_zset()?.score_ranks(&range);
            hi - lo
        }
        None => 0,
    };
    cx.c.reply().int(n as i64);
    Ok(())
}

pub fn zlexcount(cx: &mut Ctx) -> CmdResult {
    let range = LexRange::parse(cx.arg(2), cx.arg(3)).ok_or(CmdError::msg(NOT_LEX_RANGE))?;
    let key = cx.arg_bytes(1);
    let n = match lookup_read(cx.srv, cx.c.db, &key) {
        Some(o) => {
            let (lo, hi) = o.val.as_zset()?.lex_ranks(&range, false);
            hi - lo
        }
        None => 0,
    };
    cx.c.reply().int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------- ZRANDMEMBER

pub fn zrandmember(cx: &mut Ctx) -> CmdResult {
    if cx.argc() < 3 {
        let key = cx.arg_bytes(1);
        let pick = match lookup_read(cx.srv, cx.c.db, &key) {
            Some(o) => {
                let z = o.val.as_zset()?;
                z.at(random_below(z.len().max(1))).map(|(e, _)| e.to_vec())
            }
            None => None,
        };
        let mut r = cx.c.reply();
        match pick {
            Some(m) => r.bulk(&m),
            None => r.null(),
        }
        return Ok(());
    }
    let l = match parse_i64(cx.arg(2)) {
        None => return Err(CmdError::NotInteger),
        Some(i64::MIN) => {
            return Err(CmdError::msg("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"))
        }
        Some(v) => v,
    };
    let withscores = match cx.argc() {
        3 => false,
        4 if cx.arg_is(3, "withscores") => true,
        _ => return Err(CmdError::Syntax),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let key = cx.arg_bytes(1);
    let Some(o) = lookup_read(cx.srv, cx.c.db, &key) else {
        cx.c.reply().array_len(0);
        return Ok(());
    };
    let z = o.val.as_zset()?;
    let mut r = Reply::new(&mut cx.c.out, cx.c.resp == 3);
    randmember_reply(&mut r, z, l, withscores);
    Ok(())
}

/// zrandmemberWithCountCommand's four cases.
fn randmember_reply(r: &mut Reply, z: &ZSet, l: i64, withscores: bool) {
    let size = z.len();
    let count = l.unsigned_abs();
    if count == 0 || size == 0 {
        r.array_len(0);
        return;
    }
    // Case 1: repeats allowed (or a single one): independent picks.
    if l < 0 || count == 1 {
        elements_len(r, count as usize, withscores);
        for _ in 0..count {
            if let Some((e, s)) = z.at(random_below(size)) {
                emit(r, e, s, withscores);
            }
        }
        return;
    }
    // Case 2: everything, highest first (Redis' zset iterator walks from
    // the tail).
    if count >= size as u64 {
        elements_len(r, size, withscores);
        z.for_each_in(0, size, true, |e, s| emit(r, e, s, withscores));
        return;
    }
    let count = count as usize;
    elements_len(r, count, withscores);
    let mut ranks: Vec<usize>;
    if count * 3 > size {
        // Case 3: drop random ranks until `count` remain.
        ranks = (0..size).collect();
        while ranks.len() > count {
            let i = random_below(ranks.len());
            ranks.swap_remove(i);
        }
    } else {
        // Case 4: draw distinct ranks.
        let mut seen = HashSet::with_capacity(count);
        ranks = Vec::with_capacity(count);
        while ranks.len() < count {
            let i = random_below(size);
            if seen.insert(i) {
                ranks.push(i);
            }
        }
        if z.listpack().is_some() {
            // lpRandomPairsUnique returns them in listpack order.
            ranks.sort_unstable();
        }
    }
    for i in ranks {
        if let Some((e, s)) = z.at(i) {
            emit(r, e, s, withscores);
        }
    }
}

// ---------------------------------------------------------------- ZSCAN

pub fn zscan(cx: &mut Ctx) -> CmdResult {
    let cursor = super::keyspace::parse_cursor(cx.arg(2))?;
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    if lookup_read(cx.srv, db, &key).is_none() {
        let mut r = cx.c.reply();
        r.array_len(2);
        r.bulk(b"0");
        r.array_len(0);
        return Ok(());
    }
    if let Some(o) = cx.srv.dbs[db].keys.peek(&key) {
        o.val.as_zset()?;
    }
    let opts = super::keyspace::parse_scan_opts(cx, 3, false)?;
    let Some(z) = cx.srv.dbs[db]
        .keys
        .peek(&key)
        .and_then(|o| o.val.as_zset().ok())
    else {
        return Ok(());
    };
    let mut items: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let next = z.scan(cursor, opts.count, |m, s| {
        if opts
            .pattern
            .as_deref()
            .is_none_or(|p| glob_match(p, m, false))
        {
            items.push((m.to_vec(), s.to_vec()));
        }
    });
    let mut r = cx.c.reply();
    r.array_len(2);
    r.bulk(next.to_string().as_bytes());
    r.array_len(items.len() * 2);
    for (m, s) in &items {
        r.bulk(m);
        r.bulk(s);
    }
    Ok(())
}
