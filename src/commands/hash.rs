//! Hash commands (the command half of Redis' t_hash.c): HSET HSETNX HMSET
//! HGET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL HINCRBY
//! HINCRBYFLOAT HRANDFIELD HSCAN.
//!
//! Handlers read argv, call `types::hash` and reply. They follow Redis'
//! order of checks, since that decides which error a client sees first:
//! numeric arguments of HINCRBY/HINCRBYFLOAT are parsed before the key is
//! looked up, HSCAN's cursor before and its options after. Writes create
//! the key when missing (hashTypeLookupWriteOrCreate) only once nothing can
//! fail any more, and a hash emptied by HDEL is deleted, so no empty hash
//! is ever stored.

use super::keyspace::{parse_cursor, parse_scan_opts};
use super::{lookup_read, lookup_write, Ctx, Handler};
use crate::config::{NOTIFY_GENERIC, NOTIFY_HASH};
use crate::errors::{CmdError, CmdResult};
use crate::net::reply::Reply;
use crate::server::Server;
use crate::types::hash::{entry_len, Hash, Limits};
use crate::types::listpack::Entry;
use crate::types::value::{Obj, Value};
use crate::util::glob::glob_match;
use crate::util::number::{parse_i64, LongDouble};

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("hset", hset),
    ("hmset", hset),
    ("hsetnx", hsetnx),
    ("hget", hget),
    ("hmget", hmget),
    ("hdel", hdel),
    ("hlen", hlen),
    ("hstrlen", hstrlen),
    ("hexists", hexists),
    ("hkeys", hkeys),
    ("hvals", hvals),
    ("hgetall", hgetall),
    ("hincrby", hincrby),
    ("hincrbyfloat", hincrbyfloat),
    ("hrandfield", hrandfield),
    ("hscan", hscan),
];

fn limits(cx: &Ctx) -> Limits {
    Limits {
        max_entries: cx.srv.cfg.hash_max_listpack_entries,
        max_value: cx.srv.cfg.hash_max_listpack_value,
    }
}

fn reply_entry(r: &mut Reply, e: &Entry<'_>) {
    match e {
        Entry::Str(s) => r.bulk(s),
        Entry::Int(v) => r.bulk_i64(*v),
    }
}

/// The hash at `key` for reading: `Ok(None)` when missing, WRONGTYPE for
/// another type.
fn read_hash<'a>(cx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Hash>, CmdError> {
    match lookup_read(cx.srv, cx.c.db, key) {
        None => Ok(None),
        Some(o) => o.val.as_hash_mut().map(Some),
    }
}

/// The hash at `key` for writing, created empty when missing (Redis'
/// hashTypeLookupWriteOrCreate). Call it only once the command cannot fail.
/// Borrows only the server, so the caller can still read its argv.
fn hash_for_write<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<&'a mut Hash, CmdError> {
    let exists = match lookup_write(srv, db, key) {
        None => false,
        Some(o) => o.val.as_hash().map(|_| true)?,
    };
    if !exists {
        let obj = Obj {
            val: Value::Hash(Hash::new()),
            lru: srv.new_lru_field(),
        };
        crate::db::add_key(srv, db, key, obj);
    }
    match srv.dbs[db].keys.get_mut(key) {
        Some(o) => o.val.as_hash_mut(),
        // add() just stored it; reaching this would be our own bug.
        None => Err(CmdError::NoSuchKey),
    }
}

/// HSET key field value [field value ...] and the deprecated HMSET.
pub fn hset(cx: &mut Ctx) -> CmdResult {
    if cx.argc() % 2 == 1 {
        return Err(cx.wrong_arity());
    }
    let key = cx.arg_bytes(1);
    let lim = limits(cx);
    let argv = &cx.c.argv;
    let h = hash_for_write(cx.srv, cx.c.db, &key)?;
    h.try_conversion(argv[2..].iter().map(|a| a.len()), lim.max_value);
    let mut created = 0;
    for pair in argv[2..].chunks_exact(2) {
        if !h.set(&pair[0], &pair[1], lim) {
            created += 1;
        }
    }
    // HSET answers with the number of new fields, HMSET with OK.
    if cx
        .arg(0)
        .get(1)
        .is_some_and(|c| c.eq_ignore_ascii_case(&b's'))
    {
        cx.reply().int(created);
    } else {
        cx.reply().ok();
    }
    cx.modified(&key);
    cx.notify(NOTIFY_HASH, "hset", &key);
    cx.dirty(((cx.argc() - 2) / 2) as u64);
    Ok(())
}

pub fn hsetnx(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let (field, value) = (cx.arg_bytes(2), cx.arg_bytes(3));
    let lim = limits(cx);
    let h = hash_for_write(cx.srv, cx.c.db, &key)?;
    if h.contains(&field) {
        cx.reply().int(0);
        return Ok(());
    }
    h.try_conversion([field.len(), value.len()], lim.max_value);
    h.set(&field, &value, lim);
    cx.reply().int(1);
    cx.modified(&key);
    cx.notify(NOTIFY_HASH, "hset", &key);
    cx.dirty(1);
    Ok(())
}

pub fn hget(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let field = cx.arg_bytes(2);
    let db = cx.c.db;
    let Some(o) = lookup_read(cx.srv, db, &key) else {
        cx.c.reply().null();
        return Ok(());
    };
    let h = o.val.as_hash_mut()?;
    let mut r = cx.c.reply();
    match h.get(&field) {
        Some(e) => reply_entry(&mut r, &e),
        None => r.null(),
    }
    Ok(())
}

pub fn hmget(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    // A missing key reads as an empty hash: one null per field.
    let mut h = match lookup_read(cx.srv, db, &key) {
        None => None,
        Some(o) => Some(o.val.as_hash_mut()?),
    };
    // Borrow the output buffer and argv separately.
    let c = &mut *cx.c;
    let mut r = Reply::new(&mut c.out, c.resp == 3);
    r.array_len(c.argv.len() - 2);
    for field in &c.argv[2..] {
        match h.as_deref_mut().and_then(|h| h.get(field)) {
            Some(e) => reply_entry(&mut r, &e),
            None => r.null(),
        }
    }
    Ok(())
}

pub fn hdel(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        cx.c.reply().int(0);
        return Ok(());
    };
    let h = o.val.as_hash_mut()?;
    let mut deleted = 0;
    let mut emptied = false;
    for field in &cx.c.argv[2..] {
        if h.delete(field) {
            deleted += 1;
            if h.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if emptied {
        cx.srv.dbs[db].delete(&key);
    }
    if deleted > 0 {
        cx.modified(&key);
        cx.notify(NOTIFY_HASH, "hdel", &key);
        if emptied {
            cx.notify(NOTIFY_GENERIC, "del", &key);
        }
    }
    cx.dirty(deleted);
    cx.reply().int(deleted as i64);
    Ok(())
}

pub fn hlen(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let n = read_hash(cx, &key)?.map_or(0, |h| h.len());
    cx.reply().int(n as i64);
    Ok(())
}

pub fn hstrlen(cx: &mut Ctx) -> CmdResult {
    let (key, field) = (cx.arg_bytes(1), cx.arg_bytes(2));
    let n = read_hash(cx, &key)?
        .and_then(|h| h.get(&field).map(|e| entry_len(&e)))
        .unwrap_or(0);
    cx.reply().int(n as i64);
    Ok(())
}

pub fn hexists(cx: &mut Ctx) -> CmdResult {
    let (key, field) = (cx.arg_bytes(1), cx.arg_bytes(2));
    let found = read_hash(cx, &key)?.is_some_and(|h| h.contains(&field));
    cx.reply().int(i64::from(found));
    Ok(())
}

/// What HKEYS, HVALS and HGETALL send of each pair.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Fields,
    Values,
    Both,
}

fn getall(cx: &mut Ctx, part: Part) -> CmdResult {
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let h = match lookup_read(cx.srv, db, &key) {
        None => None,
        Some(o) => Some(o.val.as_hash()?),
    };
    let mut r = cx.c.reply();
    let n = h.map_or(0, |h| h.len());
    // HGETALL is a map (a flat array in RESP2); the others are arrays.
    if part == Part::Both {
        r.map_len(n);
    } else {
        r.array_len(n);
    }
    for (k, v) in h.into_iter().flat_map(|h| h.iter()) {
        if part != Part::Values {
            reply_entry(&mut r, &k);
        }
        if part != Part::Fields {
            reply_entry(&mut r, &v);
        }
    }
    Ok(())
}

pub fn hkeys(cx: &mut Ctx) -> CmdResult {
    getall(cx, Part::Fields)
}

pub fn hvals(cx: &mut Ctx) -> CmdResult {
    getall(cx, Part::Values)
}

pub fn hgetall(cx: &mut Ctx) -> CmdResult {
    getall(cx, Part::Both)
}

pub fn hincrby(cx: &mut Ctx) -> CmdResult {
    let incr = cx.arg_i64(3)?;
    let (key, field) = (cx.arg_bytes(1), cx.arg_bytes(2));
    let lim = limits(cx);
    let old = match read_for_incr(cx, &key)? {
        None => 0,
        Some(h) => match h.get(&field) {
            None => 0,
            Some(Entry::Int(v)) => v,
            Some(Entry::Str(s)) => {
                parse_i64(s).ok_or(CmdError::msg("ERR hash value is not an integer"))?
            }
        },
    };
    let new = old.checked_add(incr).ok_or(CmdError::Overflow)?;
    let mut buf = [0u8; 20];
    let text = crate::util::number::fmt_i64(new, &mut buf);
    hash_for_write(cx.srv, cx.c.db, &key)?.set(&field, text, lim);
    cx.reply().int(new);
    cx.modified(&key);
    cx.notify(NOTIFY_HASH, "hincrby", &key);
    cx.dirty(1);
    Ok(())
}

/// HINCRBYFLOAT: x87 long double arithmetic and formatting, as Redis.
/// Redis propagates it as an HSET of the result (so replicas and the AOF
/// never redo the float maths); that rewrite belongs to propagation.
pub fn hincrbyfloat(cx: &mut Ctx) -> CmdResult {
    let incr = LongDouble::parse(cx.arg(3)).ok_or(CmdError::NotFloat)?;
    if !incr.is_finite() {
        return Err(CmdError::msg("ERR value is NaN or Infinity"));
    }
    let (key, field) = (cx.arg_bytes(1), cx.arg_bytes(2));
    let lim = limits(cx);
    let old = match read_for_incr(cx, &key)? {
        None => LongDouble::from_i64(0),
        Some(h) => match h.get(&field) {
            None => LongDouble::from_i64(0),
            Some(Entry::Int(v)) => LongDouble::from_i64(v),
            Some(Entry::Str(s)) => {
                LongDouble::parse(s).ok_or(CmdError::msg("ERR hash value is not a float"))?
            }
        },
    };
    let sum = old.add(incr);
    if !sum.is_finite() {
        return Err(CmdError::msg("ERR increment would produce NaN or Infinity"));
    }
    let text = sum.format_human();
    hash_for_write(cx.srv, cx.c.db, &key)?.set(&field, text.as_bytes(), lim);
    cx.reply().bulk(text.as_bytes());
    cx.modified(&key);
    cx.notify(NOTIFY_HASH, "hincrbyfloat", &key);
    cx.dirty(1);
    // Propagate the resulting value, not the float increment.
    cx.propagate_as(&[b"HSET", &key, &field, text.as_bytes()]);
    Ok(())
}

/// The existing hash for HINCRBY*, looked up as a write (WRONGTYPE for
/// another type); the key is created later, once the result is known.
fn read_for_incr<'a>(cx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Hash>, CmdError> {
    match lookup_write(cx.srv, cx.c.db, key) {
        None => Ok(None),
        Some(o) => o.val.as_hash_mut().map(Some),
    }
}

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    if cx.argc() >= 3 {
        let l = cx.arg_i64(2)?;
        if l < -i64::MAX {
            return Err(CmdError::owned(format!(
                "ERR value is out of range, value must between {} and {}",
                -i64::MAX,
                i64::MAX
            )));
        }
        let withvalues = match cx.argc() {
            3 => false,
            4 if cx.arg_is(3, "withvalues") => true,
            _ => return Err(CmdError::Syntax),
        };
        // The reply length is doubled for RESP2, so it must not overflow.
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::msg("ERR value is out of range"));
        }
        return hrandfield_count(cx, &key, l, withvalues);
    }
    let db = cx.c.db;
    let Some(o) = lookup_read(cx.srv, db, &key) else {
        cx.c.reply().null();
        return Ok(());
    };
    let h = o.val.as_hash_mut()?;
    let mut r = cx.c.reply();
    match h.random_pair() {
        Some((k, _)) => reply_entry(&mut r, &k),
        None => r.null(),
    }
    Ok(())
}

fn hrandfield_count(cx: &mut Ctx, key: &[u8], l: i64, withvalues: bool) -> CmdResult {
    let db = cx.c.db;
    // A client's output stops growing once it passes the hard limit of
    // client-output-buffer-limit: it is about to be dropped anyway (Redis
    // checks CLIENT_CLOSE_ASAP in the same loop).
    let hard =
        cx.srv.cfg.client_output_buffer_limit[crate::config::CLIENT_TYPE_NORMAL].hard_limit_bytes;
    let Some(o) = lookup_read(cx.srv, db, key) else {
        cx.c.reply().array_len(0);
        return Ok(());
    };
    let h = o.val.as_hash_mut()?;
    let count = l.unsigned_abs();
    let mut r = cx.c.reply();
    if count == 0 {
        r.array_len(0);
        return Ok(());
    }
    let resp3 = r.resp3;
    let per_pair = |r: &mut Reply, k: Entry<'_>, v: Entry<'_>| {
        if withvalues && resp3 {
            r.array_len(2);
        }
        reply_entry(r, &k);
        if withvalues {
            reply_entry(r, &v);
        }
    };
    let doubled = |n: u64| if withvalues && !resp3 { n * 2 } else { n };
    if l < 0 || count == 1 {
        // Repetitions allowed: each pick is independent.
        r.array_len(doubled(count) as usize);
        h.random_pairs(count, |k, v| {
            per_pair(&mut r, k, v);
            hard == 0 || (r.out.len() as u64) < hard
        });
        return Ok(());
    }
    let n = (count as usize).min(h.len());
    r.array_len(doubled(n as u64) as usize);
    h.random_pairs_unique(n, |k, v| per_pair(&mut r, k, v));
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub fn hscan(cx: &mut Ctx) -> CmdResult {
    let mut cursor = parse_cursor(cx.arg(2))?;
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    match lookup_read(cx.srv, db, &key) {
        None => {
            let mut r = cx.c.reply();
            r.array_len(2);
            r.bulk(b"0");
            r.array_len(0);
            return Ok(());
        }
        Some(o) => {
            o.val.as_hash()?;
        }
    }
    // Options are parsed only once the key is known to be a hash, as in
    // Redis' scanGenericCommand.
    let opts = parse_scan_opts(cx, 3, false)?;
    let Some(Value::Hash(h)) = cx.srv.dbs[db].keys.peek(&key).map(|o| &o.val) else {
        return Err(CmdError::WrongType);
    };
    let mut items: Vec<Vec<u8>> = Vec::new();
    if h.is_table() {
        // Fields and values both count towards COUNT, so it is doubled.
        let count = opts.count.saturating_mul(2);
        let mut max_iter = count.saturating_mul(10);
        loop {
            cursor = h
                .scan(cursor, |k, v| {
                    items.push(k.to_vec());
                    items.push(v.to_vec());
                })
                .unwrap_or(0);
            if cursor == 0 || max_iter == 0 || items.len() >= count {
                break;
            }
            max_iter -= 1;
        }
    } else {
        // A listpack is small: all of it in one reply, and the scan is over.
        for (k, v) in h.iter() {
            items.push(k.to_vec());
            items.push(v.to_vec());
        }
        cursor = 0;
    }
    let mut r = cx.c.reply();
    r.array_len(2);
    r.bulk(cursor.to_string().as_bytes());
    let keep = |field: &[u8]| {
        opts.pattern
            .as_ref()
            .is_none_or(|p| glob_match(p, field, false))
    };
    let kept: Vec<&[u8]> = items
        .chunks_exact(2)
        .filter(|pair| keep(&pair[0]))
        .flat_map(|pair| [&pair[0][..], &pair[1][..]])
        .collect();
    r.array_len(kept.len());
    for item in kept {
        r.bulk(item);
    }
    Ok(())
}
