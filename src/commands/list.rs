//! List commands (t_list.c): LPUSH/RPUSH[X], LPOP/RPOP, LLEN, LINDEX,
//! LSET, LRANGE, LTRIM, LREM, LINSERT, LPOS, LMOVE, RPOPLPUSH, LMPOP.
//!
//! Each handler parses and checks in Redis' order (which argument errors
//! come before the key lookup matters for the reply), then calls the
//! quicklist (types/quicklist.rs) and replies byte for byte as 7.0.15.
//!
//! The pop and move bodies are public so the blocking commands reuse them
//! when they serve a client, now or after it was blocked:
//! * [`serve_pop`] pops from a list and writes any of the four pop reply
//!   shapes (LPOP, LPOP COUNT, BLPOP, LMPOP) to a given client;
//! * [`serve_move`] is LMOVE's pop-and-push;
//! * [`first_nonempty_list`] is the key scan of LMPOP/BLPOP;
//! * [`parse_mpop`] and [`parse_end`] parse LMPOP/BLMPOP and LEFT|RIGHT.
//!
//! A list key is created only through [`add_list`] (Redis' dbAdd, where
//! blocked clients get signalled). Every change publishes its keyspace
//! event and calls `signal_modified_key` where t_list.c does, in the same
//! order (e.g. a pop: `lpop`, then `del` if the list emptied, then the
//! WATCH/tracking signal).

use std::ops::Range;

use super::{lookup_read, lookup_write, Ctx, Handler};
use crate::config::{NOTIFY_GENERIC, NOTIFY_LIST};
use crate::db::signal_modified_key;
use crate::errors::{CmdError, CmdResult};
use crate::net::client::Client;
use crate::net::reply::Reply;
use crate::server::Server;
use crate::types::listpack::Entry;
use crate::types::quicklist::{entry_matches, needle_int, End, Item, Quicklist};
use crate::types::value::{Obj, Value};
use crate::util::number::parse_i64;

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("lpush", lpush),
    ("rpush", rpush),
    ("lpushx", lpushx),
    ("rpushx", rpushx),
    ("lpop", lpop),
    ("rpop", rpop),
    ("llen", llen),
    ("lindex", lindex),
    ("lset", lset),
    ("lrange", lrange),
    ("ltrim", ltrim),
    ("lrem", lrem),
    ("linsert", linsert),
    ("lpos", lpos),
    ("lmove", lmove),
    ("rpoplpush", rpoplpush),
    ("lmpop", lmpop),
];

/// getPositiveLongFromObjectOrReply's text when the caller gives none
/// (also for a non-number, since Redis passes it down as the message).
const MUST_BE_POSITIVE: &str = "ERR value is out of range, must be positive";

// -------------------------------------------------------------------
// Shared pieces
// -------------------------------------------------------------------

/// A new empty list with the server's current `list-max-listpack-size`
/// and `list-compress-depth` (createQuicklistObject + quicklistSetOptions).
pub fn new_list(srv: &Server) -> Quicklist {
    Quicklist::new(srv.cfg.list_max_listpack_size, srv.cfg.list_compress_depth)
}

/// dbAdd of a new list key. The one place list keys are created, so the
/// blocking commands can hook "key became ready" here.
pub fn add_list(srv: &mut Server, db: usize, key: &[u8], list: Quicklist) {
    let obj = Obj {
        val: Value::List(Box::new(list)),
        lru: srv.new_lru_field(),
    };
    crate::db::add_key(srv, db, key, obj);
}

/// A list event (notifyKeyspaceEvent with NOTIFY_LIST).
fn list_event(srv: &mut Server, db: usize, event: &'static str, key: &[u8]) {
    crate::notify::keyspace_event(srv, NOTIFY_LIST, event, key, db);
}

/// The event of a pop from `end`.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    }
}

/// The event of a push at `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

/// Deletes `key` when its list became empty (Redis never keeps empty
/// lists), with its generic `del` event; true when it did.
fn delete_if_empty(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    let empty =
        matches!(srv.dbs[db].keys.peek(key), Some(Obj { val: Value::List(l), .. }) if l.is_empty());
    if empty {
        srv.dbs[db].delete(key);
        crate::notify::keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
    }
    empty
}

/// LEFT or RIGHT, case-insensitive (getListPositionFromObjectOrReply).
pub fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(End::Head)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(End::Tail)
    } else {
        Err(CmdError::Syntax)
    }
}

/// getRangeLongFromObjectOrReply with a message: `msg` for a non-number
/// as well as for a value outside `min..=max`.
fn range_long(arg: &[u8], min: i64, max: i64, msg: &'static str) -> Result<i64, CmdError> {
    match parse_i64(arg) {
        Some(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(CmdError::msg(msg)),
    }
}

fn reply_entry(r: &mut Reply<'_>, e: Entry<'_>) {
    match e {
        Entry::Int(v) => r.bulk_i64(v),
        Entry::Str(s) => r.bulk(s),
    }
}

fn reply_item(r: &mut Reply<'_>, item: &Item<'_>) {
    reply_entry(r, item.as_entry());
}

/// The list at `key`, or WRONGTYPE (the value of a lookup already made).
fn list_of(o: &mut Obj) -> Result<&mut Quicklist, CmdError> {
    o.val.as_list_mut()
}

/// addListRangeReply: elements `start..=end` (negative = from the tail,
/// clipped to the list), reversed when `reverse`.
fn reply_range(r: &mut Reply<'_>, list: &Quicklist, start: i64, end: i64, reverse: bool) {
    let llen = list.len() as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    // start >= 0 now, so this also covers end < 0.
    if start > end || start >= llen {
        r.array_len(0);
        return;
    }
    if end >= llen {
        end = llen - 1;
    }
    let n = (end - start + 1) as usize;
    r.array_len(n);
    let from = if reverse { end } else { start } as usize;
    let mut left = n;
    list.walk(from, reverse, |e| {
        reply_entry(r, e);
        left -= 1;
        left > 0
    });
}

// -------------------------------------------------------------------
// Pops (reused by the blocking commands)
// -------------------------------------------------------------------

/// The reply shapes of the pop family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopReply {
    /// LPOP/RPOP: one bulk string.
    Single,
    /// LPOP/RPOP key count: an array of up to `n` elements.
    Array(usize),
    /// BLPOP/BRPOP: `[key, element]`.
    KeyElement,
    /// LMPOP/BLMPOP: `[key, [up to n elements]]`.
    KeyArray(usize),
}

/// Pops from the list at `key` of database `db` and writes the reply to
/// `c` in the shape `how` asks for; then the housekeeping of
/// listElementsRemoved: the pop event, deleting the key once empty (and
/// its `del` event), `signal_modified_key` unless `signal` is false, and
/// `dirty`. Popping several goes from `end` inwards, in that order.
///
/// `signal` is false only for a BLPOP/BRPOP served once its key became
/// ready: Redis skips the signal there, as the push that made the key
/// ready already sent it (serveClientBlockedOnList).
///
/// The caller has looked the key up (lazy expiry done). Returns the number
/// of elements popped, which is what a blocking pop propagates as
/// `[LR]POP key n`; 0 when the key is missing or its list empty (nothing
/// is written then). WRONGTYPE when the key holds another type (nothing
/// written or changed; the caller sends the error).
pub fn serve_pop(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    key: &[u8],
    end: End,
    how: PopReply,
    signal: bool,
) -> Result<usize, CmdError> {
    let Some(o) = srv.dbs[db].keys.get_mut(key) else {
        return Ok(0);
    };
    let list = list_of(o)?;
    let llen = list.len();
    if llen == 0 {
        return Ok(0);
    }
    let mut r = c.reply();
    if let PopReply::Array(0) | PopReply::KeyArray(0) = how {
        // Nothing to take (LPOP key 0 answers before calling us).
        if how == PopReply::KeyArray(0) {
            r.array_len(2);
            r.bulk(key);
        }
        r.array_len(0);
        return Ok(0);
    }
    let popped = match how {
        PopReply::Single | PopReply::KeyElement => {
            if how == PopReply::KeyElement {
                r.array_len(2);
                r.bulk(key);
            }
            match list.pop(end) {
                Some(item) => reply_item(&mut r, &item),
                None => r.null(),
            }
            1
        }
        PopReply::Array(count) | PopReply::KeyArray(count) => {
            if matches!(how, PopReply::KeyArray(_)) {
                r.array_len(2);
                r.bulk(key);
            }
            let n = count.min(llen);
            let ni = n as i64;
            match end {
                End::Head => {
                    reply_range(&mut r, list, 0, ni - 1, false);
                    list.del_range(0, ni);
                }
                End::Tail => {
                    reply_range(&mut r, list, -ni, -1, true);
                    list.del_range(-ni, ni);
                }
            }
            n
        }
    };
    list_event(srv, db, pop_event(end), key);
    delete_if_empty(srv, db, key);
    if signal {
        signal_modified_key(srv, db, key);
    }
    srv.dirty += popped as u64;
    Ok(popped)
}

/// LMOVE's body (lmoveGenericCommand after the source lookup, and
/// serveClientBlockedOnList for BLMOVE): pops one element from `end`
/// `from` of the list at `src` and pushes it at `to` of the list at `dst`
/// (created with the current settings if missing; `src` and `dst` may be
/// the same key), replying with the element as a bulk string.
///
/// Events and signals as lmoveGenericCommand: `dst` is signalled, then
/// gets its push event; `src` its pop event, `del` if it emptied, then its
/// signal, which a blocked client served later skips (`signal_src` false:
/// the push that woke it already signalled `src`).
///
/// Returns Ok(false) without writing anything when `src` is missing or
/// empty; Err(WRONGTYPE) when either key holds another type, before any
/// change.
#[allow(clippy::too_many_arguments)]
pub fn serve_move(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    signal_src: bool,
) -> Result<bool, CmdError> {
    match srv.dbs[db].keys.get_mut(src) {
        None => return Ok(false),
        Some(o) => {
            if list_of(o)?.is_empty() {
                return Ok(false);
            }
        }
    }
    let same = src == dst;
    let dst_exists = if same {
        true
    } else {
        match lookup_write(srv, db, dst) {
            Some(o) => {
                list_of(o)?;
                true
            }
            None => false,
        }
    };
    let Some(item) = srv.dbs[db]
        .keys
        .get_mut(src)
        .and_then(|o| o.val.as_list_mut().ok())
        .and_then(|l| l.pop(from))
    else {
        return Ok(false);
    };
    let value = item.into_vec();
    // lmoveHandlePush: create the destination if needed, signal, push.
    if !dst_exists {
        add_list(srv, db, dst, new_list(srv));
    }
    signal_modified_key(srv, db, dst);
    if let Some(l) = srv.dbs[db]
        .keys
        .get_mut(dst)
        .and_then(|o| o.val.as_list_mut().ok())
    {
        l.push(&value, to);
    }
    list_event(srv, db, push_event(to), dst);
    c.reply().bulk(&value);
    list_event(srv, db, pop_event(from), src);
    delete_if_empty(srv, db, src);
    if signal_src {
        signal_modified_key(srv, db, src);
    }
    srv.dirty += 1;
    Ok(true)
}

/// The scan of LMPOP and the blocking pops: the index in `keys` of the
/// first key holding a non-empty list, skipping missing keys (after lazy
/// expiry) and empty lists. A key of another type met before that is
/// WRONGTYPE. None when no key qualifies.
pub fn first_nonempty_list<K: AsRef<[u8]>>(
    srv: &mut Server,
    db: usize,
    keys: &[K],
) -> Result<Option<usize>, CmdError> {
    for (i, key) in keys.iter().enumerate() {
        let Some(o) = lookup_write(srv, db, key.as_ref()) else {
            continue;
        };
        if !list_of(o)?.is_empty() {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// The parsed arguments of LMPOP / BLMPOP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpopArgs {
    /// argv indexes of the keys.
    pub keys: Range<usize>,
    pub end: End,
    /// COUNT, 1 when not given.
    pub count: usize,
}

/// lmpopGenericCommand's parsing: `numkeys key... LEFT|RIGHT [COUNT n]`
/// with numkeys at argv[`numkeys_idx`] (1 for LMPOP, 2 for BLMPOP).
pub fn parse_mpop(cx: &Ctx, numkeys_idx: usize) -> Result<MpopArgs, CmdError> {
    let (keys, where_idx, count) =
        super::blocking::mpop_layout(cx, numkeys_idx, |w| parse_end(w).is_ok())?;
    let end = parse_end(cx.arg(where_idx))?;
    Ok(MpopArgs { keys, end, count })
}

// -------------------------------------------------------------------
// Handlers
// -------------------------------------------------------------------

/// LPUSH/RPUSH/LPUSHX/RPUSHX (pushGenericCommand); `xx`: only when the
/// key exists.
fn push_generic(cx: &mut Ctx, end: End, xx: bool) -> CmdResult {
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let values = &cx.c.argv[2..];
    let len = match lookup_write(cx.srv, db, &key) {
        Some(o) => {
            let list = list_of(o)?;
            for v in values {
                list.push(v, end);
            }
            list.len()
        }
        None if xx => {
            cx.c.reply().int(0);
            return Ok(());
        }
        None => {
            let mut list = new_list(cx.srv);
            for v in values {
                list.push(v, end);
            }
            let len = list.len();
            add_list(cx.srv, db, &key, list);
            len
        }
    };
    cx.srv.dirty += values.len() as u64;
    cx.c.reply().int(len as i64);
    cx.modified(&key);
    cx.notify(NOTIFY_LIST, push_event(end), &key);
    Ok(())
}

pub fn lpush(cx: &mut Ctx) -> CmdResult {
    push_generic(cx, End::Head, false)
}

pub fn rpush(cx: &mut Ctx) -> CmdResult {
    push_generic(cx, End::Tail, false)
}

pub fn lpushx(cx: &mut Ctx) -> CmdResult {
    push_generic(cx, End::Head, true)
}

pub fn rpushx(cx: &mut Ctx) -> CmdResult {
    push_generic(cx, End::Tail, true)
}

/// LPOP/RPOP key [count] (popGenericCommand).
fn pop_generic(cx: &mut Ctx, end: End) -> CmdResult {
    if cx.argc() > 3 {
        return Err(cx.wrong_arity());
    }
    let count = if cx.argc() == 3 {
        Some(range_long(cx.arg(2), 0, i64::MAX, MUST_BE_POSITIVE)? as usize)
    } else {
        None
    };
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    match lookup_write(cx.srv, db, &key) {
        None => {
            let mut r = cx.c.reply();
            if count.is_some() {
                r.null_array();
            } else {
                r.null();
            }
            return Ok(());
        }
        Some(o) => {
            list_of(o)?;
        }
    }
    let how = match count {
        None => PopReply::Single,
        Some(0) => {
            // Redis answers COUNT 0 before touching the list.
            cx.c.reply().array_len(0);
            return Ok(());
        }
        Some(n) => PopReply::Array(n),
    };
    serve_pop(cx.srv, cx.c, db, &key, end, how, true)?;
    Ok(())
}

pub fn lpop(cx: &mut Ctx) -> CmdResult {
    pop_generic(cx, End::Head)
}

pub fn rpop(cx: &mut Ctx) -> CmdResult {
    pop_generic(cx, End::Tail)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]. Like Redis, it
/// is propagated as `[LR]POP key n` (n = what was popped).
pub fn lmpop(cx: &mut Ctx) -> CmdResult {
    let args = parse_mpop(cx, 1)?;
    let db = cx.c.db;
    let keys = &cx.c.argv[args.keys.clone()];
    match first_nonempty_list(cx.srv, db, keys)? {
        Some(i) => {
            let key = keys[i].clone();
            let len = cx.srv.dbs[db].keys.peek(&key).map_or(0, |o| match &o.val {
                Value::List(l) => l.len(),
                _ => 0,
            });
            serve_pop(
                cx.srv,
                cx.c,
                db,
                &key,
                args.end,
                PopReply::KeyArray(args.count),
                true,
            )?;
            // Propagated as [LR]POP key <what was actually popped>.
            if cx.propagating() {
                let n = crate::persistence::propagate::int_arg(args.count.min(len) as i64);
                let cmd: &[u8] = if args.end == End::Head {
                    b"LPOP"
                } else {
                    b"RPOP"
                };
                cx.propagate_as(&[cmd, &key, &n]);
            }
        }
        None => cx.c.reply().null_array(),
    }
    Ok(())
}

pub fn llen(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let len = match lookup_read(cx.srv, cx.c.db, &key) {
        None => 0,
        Some(o) => list_of(o)?.len(),
    };
    cx.c.reply().int(len as i64);
    Ok(())
}

pub fn lindex(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let Some(o) = lookup_read(cx.srv, cx.c.db, &key) else {
        cx.c.reply().null();
        return Ok(());
    };
    let list = list_of(o)?;
    // The index is parsed only once the key is known to be a list.
    let index = parse_i64(&cx.c.argv[2]).ok_or(CmdError::NotInteger)?;
    let mut r = cx.c.reply();
    match list.get(index) {
        Some(item) => reply_item(&mut r, &item),
        None => r.null(),
    }
    Ok(())
}

pub fn lset(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        return Err(CmdError::NoSuchKey);
    };
    let list = list_of(o)?;
    let index = parse_i64(&cx.c.argv[2]).ok_or(CmdError::NotInteger)?;
    if !list.replace_at(index, &cx.c.argv[3]) {
        return Err(CmdError::OutOfRange);
    }
    cx.c.reply().ok();
    cx.modified(&key);
    cx.notify(NOTIFY_LIST, "lset", &key);
    cx.srv.dirty += 1;
    Ok(())
}

pub fn lrange(cx: &mut Ctx) -> CmdResult {
    let start = cx.arg_i64(2)?;
    let end = cx.arg_i64(3)?;
    let key = cx.arg_bytes(1);
    let Some(o) = lookup_read(cx.srv, cx.c.db, &key) else {
        cx.c.reply().array_len(0);
        return Ok(());
    };
    let list = list_of(o)?;
    reply_range(&mut cx.c.reply(), list, start, end, false);
    Ok(())
}

pub fn ltrim(cx: &mut Ctx) -> CmdResult {
    let start = cx.arg_i64(2)?;
    let end = cx.arg_i64(3)?;
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        cx.c.reply().ok();
        return Ok(());
    };
    let list = list_of(o)?;
    let llen = list.len() as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    let (ltrim, rtrim) = if start > end || start >= llen {
        // Out of range, or start past end: the list goes entirely.
        (llen, 0)
    } else {
        if end >= llen {
            end = llen - 1;
        }
        (start, llen - end - 1)
    };
    list.del_range(0, ltrim);
    list.del_range(-rtrim, rtrim);
    // Redis reports the trim even when nothing was cut.
    cx.notify(NOTIFY_LIST, "ltrim", &key);
    delete_if_empty(cx.srv, db, &key);
    cx.modified(&key);
    cx.srv.dirty += (ltrim + rtrim) as u64;
    cx.c.reply().ok();
    Ok(())
}

pub fn lrem(cx: &mut Ctx) -> CmdResult {
    let toremove = cx.arg_i64(2)?;
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        cx.c.reply().int(0);
        return Ok(());
    };
    let list = list_of(o)?;
    // A negative count scans from the tail; 0 removes every match.
    let removed = list.remove(&cx.c.argv[3], toremove.unsigned_abs(), toremove < 0);
    cx.srv.dirty += removed;
    if removed > 0 {
        cx.modified(&key);
        cx.notify(NOTIFY_LIST, "lrem", &key);
    }
    delete_if_empty(cx.srv, db, &key);
    cx.c.reply().int(removed as i64);
    Ok(())
}

pub fn linsert(cx: &mut Ctx) -> CmdResult {
    let after = if cx.arg_is(2, "after") {
        true
    } else if cx.arg_is(2, "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        cx.c.reply().int(0);
        return Ok(());
    };
    let list = list_of(o)?;
    if !list.insert_by_pivot(&cx.c.argv[3], &cx.c.argv[4], after) {
        cx.c.reply().int(-1);
        return Ok(());
    }
    let len = list.len();
    cx.modified(&key);
    cx.notify(NOTIFY_LIST, "linsert", &key);
    cx.srv.dirty += 1;
    cx.c.reply().int(len as i64);
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub fn lpos(cx: &mut Ctx) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let argc = cx.argc();
    let mut j = 3;
    while j < argc {
        let moreargs = argc - 1 - j > 0;
        if cx.arg_is(j, "rank") && moreargs {
            j += 1;
            rank = cx.arg_i64(j)?;
            if rank == 0 {
                return Err(CmdError::msg(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if cx.arg_is(j, "count") && moreargs {
            j += 1;
            count = Some(range_long(
                cx.arg(j),
                0,
                i64::MAX,
                "ERR COUNT can't be negative",
            )?);
        } else if cx.arg_is(j, "maxlen") && moreargs {
            j += 1;
            maxlen = range_long(cx.arg(j), 0, i64::MAX, "ERR MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    // A negative rank searches from the tail. (Redis negates LONG_MIN in
    // place; it stays negative and every match then counts.)
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let key = cx.arg_bytes(1);
    let ele = cx.arg_bytes(2);
    let Some(o) = lookup_read(cx.srv, cx.c.db, &key) else {
        let mut r = cx.c.reply();
        if count.is_some() {
            r.array_len(0);
        } else {
            r.null();
        }
        return Ok(());
    };
    let list = list_of(o)?;
    let ele_int = needle_int(&ele);
    let llen = list.len() as i64;
    let mut r = cx.c.reply();
    let deferred = count.map(|_| r.defer_len());
    let (mut index, mut matches, mut emitted) = (0i64, 0i64, 0usize);
    let mut found: Option<i64> = None;
    let start = if from_tail {
        list.len().saturating_sub(1)
    } else {
        0
    };
    list.walk(start, from_tail, |e| {
        if maxlen != 0 && index >= maxlen {
            return false;
        }
        if entry_matches(e, &ele, ele_int) {
            matches += 1;
            let at = if from_tail { llen - index - 1 } else { index };
            if matches >= rank {
                match count {
                    None => {
                        found = Some(at);
                        return false;
                    }
                    Some(want) => {
                        emitted += 1;
                        r.int(at);
                        if want != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= want {
                            return false;
                        }
                    }
                }
            }
        }
        index += 1;
        true
    });
    match (deferred, found) {
        (Some(d), _) => r.set_deferred_array(d, emitted),
        (None, Some(at)) => r.int(at),
        (None, None) => r.null(),
    }
    Ok(())
}

/// LMOVE and RPOPLPUSH (lmoveGenericCommand).
fn move_generic(cx: &mut Ctx, from: End, to: End) -> CmdResult {
    let src = cx.arg_bytes(1);
    let dst = cx.arg_bytes(2);
    let db = cx.c.db;
    match lookup_write(cx.srv, db, &src) {
        None => {
            cx.c.reply().null();
            return Ok(());
        }
        Some(o) => {
            list_of(o)?;
        }
    }
    if !serve_move(cx.srv, cx.c, db, &src, &dst, from, to, true)? {
        // Only an empty list left by an old RDB file gets here.
        cx.c.reply().null();
    }
    Ok(())
}

pub fn lmove(cx: &mut Ctx) -> CmdResult {
    let from = parse_end(cx.arg(3))?;
    let to = parse_end(cx.arg(4))?;
    move_generic(cx, from, to)
}

pub fn rpoplpush(cx: &mut Ctx) -> CmdResult {
    move_generic(cx, End::Tail, End::Head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_parse_case_insensitively() {
        assert_eq!(parse_end(b"LeFt"), Ok(End::Head));
        assert_eq!(parse_end(b"RIGHT"), Ok(End::Tail));
        assert_eq!(parse_end(b"up"), Err(CmdError::Syntax));
    }

    #[test]
    fn range_long_uses_the_message_for_every_failure() {
        let msg = "ERR count should be greater than 0";
        assert_eq!(range_long(b"5", 1, i64::MAX, msg), Ok(5));
        assert_eq!(range_long(b"0", 1, i64::MAX, msg), Err(CmdError::msg(msg)));
        assert_eq!(range_long(b"x", 1, i64::MAX, msg), Err(CmdError::msg(msg)));
        assert_eq!(range_long(b"-1", 0, i64::MAX, msg), Err(CmdError::msg(msg)));
    }

    #[test]
    fn range_replies_clip_like_redis() {
        let mut l = Quicklist::new(2, 0);
        for v in ["a", "b", "c", "d"] {
            l.push(v.as_bytes(), End::Tail);
        }
        let run = |s: i64, e: i64, rev: bool| {
            let mut out = Vec::new();
            reply_range(&mut Reply::new(&mut out, false), &l, s, e, rev);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(run(1, -2, false), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
        assert_eq!(run(-100, 100, false).len(), "*4\r\n".len() + 4 * 7);
        assert_eq!(run(2, 1, false), "*0\r\n");
        assert_eq!(run(5, 10, false), "*0\r\n");
        assert_eq!(run(-2, -1, true), "*2\r\n$1\r\nd\r\n$1\r\nc\r\n");
        assert_eq!(run(i64::MIN, i64::MAX, false).len(), "*4\r\n".len() + 4 * 7);
    }
}
