//! Set commands (the command half of Redis' t_set.c): SADD SREM SMOVE
//! SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMEMBERS SINTER SINTERCARD
//! SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.
//!
//! The structure and its encodings live in `types/set.rs`; this file reads
//! arguments, picks Redis' algorithm for each case and replies. What a client
//! can observe follows Redis 7.0.15 exactly:
//! * errors and the order in which they are checked (argument parsing,
//!   then the key lookups, then the type of each key in argument order);
//! * reply types: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count
//!   send RESP3 sets (`~`), SRANDMEMBER and SMISMEMBER arrays;
//! * result encodings: the STORE variants build their result in a set that
//!   starts as an intset, so integer results stay intsets; they delete the
//!   destination when the result is empty;
//! * `dirty` counts, which drive save points and (later) propagation;
//! * keyspace events and `signal_modified_key` calls: the same events, in
//!   the same order, only when something changed (SADD of existing
//!   members, SREM of absent ones report nothing).
//!
//! Sets never hold clients, so there is no blocking variant here.

use std::collections::HashSet;

use bytes::Bytes;

use super::keyspace::{parse_cursor, parse_scan_opts};
use super::{lookup_read, lookup_write, Ctx, Handler};
use crate::config::{NOTIFY_GENERIC, NOTIFY_SET};
use crate::errors::{CmdError, CmdResult};
use crate::net::reply::Reply;
use crate::types::listpack::Entry;
use crate::types::set::Set;
use crate::types::value::Value;
use crate::util::glob::glob_match;
use crate::util::number::parse_i64;

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("sadd", sadd),
    ("srem", srem),
    ("smove", smove),
    ("sismember", sismember),
    ("smismember", smismember),
    ("scard", scard),
    ("spop", spop),
    ("srandmember", srandmember),
    ("smembers", smembers),
    ("sinter", sinter),
    ("sintercard", sintercard),
    ("sinterstore", sinterstore),
    ("sunion", sunion),
    ("sunionstore", sunionstore),
    ("sdiff", sdiff),
    ("sdiffstore", sdiffstore),
    ("sscan", sscan),
];

/// SPOP with a count rebuilds the set from the members that stay when it
/// would otherwise pop more than this many times the members left.
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;
/// SRANDMEMBER with a count copies the whole set and removes members when
/// the set is less than this many times the count.
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

fn max_intset(cx: &Ctx) -> usize {
    cx.srv.cfg.set_max_intset_entries
}

/// Writes a member as a bulk string.
fn bulk_entry(r: &mut Reply, e: Entry<'_>) {
    match e {
        Entry::Int(v) => r.bulk_i64(v),
        Entry::Str(s) => r.bulk(s),
    }
}

/// Redis' getPositiveLongFromObjectOrReply with the given range message.
fn parse_non_negative(b: &[u8], not_int: CmdError, negative: CmdError) -> Result<u64, CmdError> {
    let v = parse_i64(b).ok_or(not_int)?;
    if v < 0 {
        return Err(negative);
    }
    Ok(v as u64)
}

// ---------------------------------------------------------------------------
// SADD SREM SMOVE
// ---------------------------------------------------------------------------

/// dbAdd of a new set key, which the caller knows is absent: the one place
/// SADD and SMOVE create keys.
fn add_set(cx: &mut Ctx, key: &[u8], set: Set) {
    let obj = cx.obj(Value::Set(set));
    crate::db::add_key(cx.srv, cx.c.db, key, obj);
}

pub fn sadd(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let max = max_intset(cx);
    let db = cx.c.db;
    let added = match lookup_write(cx.srv, db, &key) {
        Some(o) => {
            let set = o.val.as_set_mut()?;
            cx.c.argv[2..].iter().filter(|m| set.add(m, max)).count()
        }
        None => {
            let mut set = Set::new_for(cx.arg(2));
            let n = cx.c.argv[2..].iter().filter(|m| set.add(m, max)).count();
            add_set(cx, &key, set);
            n
        }
    };
    if added > 0 {
        cx.modified(&key);
        cx.notify(NOTIFY_SET, "sadd", &key);
    }
    cx.dirty(added as u64);
    cx.reply().int(added as i64);
    Ok(())
}

pub fn srem(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        cx.reply().int(0);
        return Ok(());
    };
    let set = o.val.as_set_mut()?;
    let mut deleted = 0;
    for m in &cx.c.argv[2..] {
        if set.remove(m) {
            deleted += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let removed_key = set.is_empty();
    if removed_key {
        cx.db().delete(&key);
    }
    if deleted > 0 {
        cx.modified(&key);
        cx.notify(NOTIFY_SET, "srem", &key);
        if removed_key {
            cx.notify(NOTIFY_GENERIC, "del", &key);
        }
    }
    cx.dirty(deleted);
    cx.reply().int(deleted as i64);
    Ok(())
}

/// SMOVE checks in Redis' order: both keys are looked up (and may expire)
/// first; a missing source answers 0 before any type check, then the source's
/// type, then the destination's.
pub fn smove(cx: &mut Ctx) -> CmdResult {
    let (src, dst, ele) = (cx.arg_bytes(1), cx.arg_bytes(2), cx.arg_bytes(3));
    let db = cx.c.db;
    let src_is_set = lookup_write(cx.srv, db, &src).map(|o| o.val.as_set().is_ok());
    let dst_is_set = lookup_write(cx.srv, db, &dst).map(|o| o.val.as_set().is_ok());
    let Some(src_is_set) = src_is_set else {
        cx.reply().int(0);
        return Ok(());
    };
    if !src_is_set || dst_is_set == Some(false) {
        return Err(CmdError::WrongType);
    }
    let keys = &mut cx.srv.dbs[db].keys;
    let Some(src_obj) = keys.get_mut(&src) else {
        cx.reply().int(0);
        return Ok(());
    };
    let src_set = src_obj.val.as_set_mut()?;
    if src == dst {
        // Same set: nothing moves, the reply says whether it is a member.
        let member = src_set.contains(&ele);
        cx.reply().int(member as i64);
        return Ok(());
    }
    if !src_set.remove(&ele) {
        cx.reply().int(0);
        return Ok(());
    }
    let src_emptied = src_set.is_empty();
    cx.notify(NOTIFY_SET, "srem", &src);
    if src_emptied {
        cx.db().delete(&src);
        cx.notify(NOTIFY_GENERIC, "del", &src);
    }
    let max = max_intset(cx);
    let added = match cx.srv.dbs[db].keys.get_mut(&dst) {
        Some(o) => o.val.as_set_mut()?.add(&ele, max),
        None => {
            let mut set = Set::new_for(&ele);
            set.add(&ele, max);
            add_set(cx, &dst, set);
            true
        }
    };
    cx.modified(&src);
    if added {
        cx.modified(&dst);
        cx.notify(NOTIFY_SET, "sadd", &dst);
    }
    cx.dirty(1 + added as u64);
    cx.reply().int(1);
    Ok(())
}

// ---------------------------------------------------------------------------
// SISMEMBER SMISMEMBER SCARD
// ---------------------------------------------------------------------------

pub fn sismember(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let found = match lookup_read(cx.srv, cx.c.db, &key) {
        Some(o) => o.val.as_set_mut()?.contains(cx.c.argv[2].as_ref()),
        None => false,
    };
    cx.reply().int(found as i64);
    Ok(())
}

/// A missing key is an empty set: every answer is 0.
pub fn smismember(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let members = arg_range(cx, 2, cx.argc());
    let mut set = match lookup_read(cx.srv, cx.c.db, &key) {
        Some(o) => Some(o.val.as_set_mut()?),
        None => None,
    };
    let mut r = cx.c.reply();
    r.array_len(members.len());
    for m in &members {
        let found = set.as_mut().is_some_and(|s| s.contains(m));
        r.int(found as i64);
    }
    Ok(())
}

pub fn scard(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let n = match lookup_read(cx.srv, cx.c.db, &key) {
        Some(o) => o.val.as_set()?.len(),
        None => 0,
    };
    cx.reply().int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// SPOP
// ---------------------------------------------------------------------------

pub fn spop(cx: &mut Ctx) -> CmdResult {
    match cx.argc() {
        3 => return spop_with_count(cx),
        n if n > 3 => return Err(CmdError::Syntax),
        _ => {}
    }
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let propagating = cx.propagating();
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        cx.reply().null();
        return Ok(());
    };
    let set = o.val.as_set_mut()?;
    // A key is never an empty set, so there is always a member to pop.
    let Some(m) = set.pop_random() else {
        cx.reply().null();
        return Ok(());
    };
    let now_empty = set.is_empty();
    let member = propagating.then(|| m.entry().to_vec());
    bulk_entry(&mut cx.c.reply(), m.entry());
    cx.notify(NOTIFY_SET, "spop", &key);
    if now_empty {
        cx.db().delete(&key);
        cx.notify(NOTIFY_GENERIC, "del", &key);
    }
    cx.modified(&key);
    cx.dirty(1);
    // Which member went is random: propagate the SREM it amounted to.
    if let Some(member) = member {
        cx.propagate_as(&[b"SREM", &key, &member]);
    }
    Ok(())
}

/*
 * SPOP key count has Redis' three cases:
 * 1. count >= size: reply with the whole set (as SUNION of the key would)
 *    and delete the key;
 * 2. few members popped compared to those that stay: pop `count` random
 *    members one at a time;
 * 3. most members popped: move the `size - count` members that stay into a
 *    new set, reply with what is left in the old one, and store the new set
 *    in its place (keeping the TTL). The new set is built like any new set,
 *    so a hashtable whose survivors are few integers becomes an intset.
 */
fn spop_with_count(cx: &mut Ctx) -> CmdResult {
    // Redis passes its range message down to the integer parse too, so a
    // non-number gets the same text.
    let positive = CmdError::msg("ERR value is out of range, must be positive");
    let count = parse_non_negative(cx.arg(2), positive.clone(), positive)?;
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let max = max_intset(cx);
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        cx.reply().set_len(0);
        return Ok(());
    };
    let size = o.val.as_set()?.len() as u64;
    if count == 0 {
        cx.reply().set_len(0);
        return Ok(());
    }
    // Reported before anything goes, as Redis does.
    cx.notify(NOTIFY_SET, "spop", &key);
    cx.dirty(count.min(size));
    if count >= size {
        sunion_diff_generic(cx, std::slice::from_ref(&key), None, SetOp::Union)?;
        cx.db().delete(&key);
        cx.notify(NOTIFY_GENERIC, "del", &key);
        // The whole set went: one DEL says it.
        cx.propagate_as(&[b"DEL", &key]);
        cx.modified(&key);
        return Ok(());
    }
    // Otherwise one SREM per member popped, and not the SPOP itself.
    let propagating = cx.propagating();
    cx.prevent_propagation();
    let mut popped: Vec<Vec<u8>> = Vec::new();
    let res = spop_some(
        cx,
        db,
        &key,
        count,
        size,
        max,
        propagating.then_some(&mut popped),
    );
    for m in &popped {
        cx.also_propagate(&[b"SREM", &key, m]);
    }
    cx.modified(&key);
    res
}

/// Cases 2 and 3 of SPOP with a count; `popped` collects the members
/// removed when effects are being recorded.
fn spop_some(
    cx: &mut Ctx,
    db: usize,
    key: &[u8],
    count: u64,
    size: u64,
    max: usize,
    mut popped: Option<&mut Vec<Vec<u8>>>,
) -> CmdResult {
    let Some(o) = cx.srv.dbs[db].keys.get_mut(key) else {
        return Ok(());
    };
    let set = o.val.as_set_mut()?;
    let mut r = cx.c.reply();
    r.set_len(count as usize);
    let remaining = size - count;
    if remaining.saturating_mul(SPOP_MOVE_STRATEGY_MUL) > count {
        for _ in 0..count {
            if let Some(m) = set.pop_random() {
                bulk_entry(&mut r, m.entry());
                if let Some(p) = popped.as_mut() {
                    p.push(m.entry().to_vec());
                }
            }
        }
        return Ok(());
    }
    let mut kept: Option<Set> = None;
    for _ in 0..remaining {
        let Some(m) = set.pop_random() else {
            break;
        };
        let new = kept.get_or_insert_with(|| Set::new_for(&m.to_vec()));
        new.add_member(m, max);
    }
    for e in set.iter() {
        bulk_entry(&mut r, e);
        if let Some(p) = popped.as_mut() {
            p.push(e.to_vec());
        }
    }
    if let Some(new) = kept {
        o.val = Value::Set(new);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// SRANDMEMBER
// ---------------------------------------------------------------------------

pub fn srandmember(cx: &mut Ctx) -> CmdResult {
    match cx.argc() {
        3 => return srandmember_with_count(cx),
        n if n > 3 => return Err(CmdError::Syntax),
        _ => {}
    }
    let key = cx.arg_bytes(1);
    let Some(o) = lookup_read(cx.srv, cx.c.db, &key) else {
        cx.reply().null();
        return Ok(());
    };
    let set = o.val.as_set_mut()?;
    let mut r = cx.c.reply();
    match set.random() {
        Some(e) => bulk_entry(&mut r, e),
        None => r.null(),
    }
    Ok(())
}

/*
 * SRANDMEMBER key count, Redis' four cases:
 * 1. negative count (or 1): that many independent picks, repeats allowed,
 *    streamed straight into the reply: a huge count allocates nothing up
 *    front and stops when the client passes its output buffer hard limit
 *    (the client is then closed after the command, as Redis does);
 * 2. count >= size: the whole set;
 * 3. count close to size (size < 3 * count): copy the set and drop random
 *    members until `count` remain;
 * 4. otherwise: random picks until `count` distinct members are found.
 */
fn srandmember_with_count(cx: &mut Ctx) -> CmdResult {
    let l = cx.arg_i64(2)?;
    if l == i64::MIN {
        return Err(CmdError::msg(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    let key = cx.arg_bytes(1);
    let hard_limit =
        cx.srv.cfg.client_output_buffer_limit[crate::config::CLIENT_TYPE_NORMAL].hard_limit_bytes;
    let Some(o) = lookup_read(cx.srv, cx.c.db, &key) else {
        cx.reply().array_len(0);
        return Ok(());
    };
    let set = o.val.as_set_mut()?;
    let size = set.len() as u64;
    let c = &mut *cx.c;
    if count == 0 {
        c.reply().array_len(0);
        return Ok(());
    }
    if !uniq || count == 1 {
        c.reply().array_len(count as usize);
        for i in 0..count {
            // Checking the buffer every 1024 members keeps the loop cheap.
            if hard_limit > 0 && i % 1024 == 0 && c.pending_output() as u64 >= hard_limit {
                break;
            }
            let mut r = c.reply();
            match set.random() {
                Some(e) => bulk_entry(&mut r, e),
                None => break,
            }
        }
        return Ok(());
    }
    let mut r = c.reply();
    if count >= size {
        r.array_len(size as usize);
        for e in set.iter() {
            bulk_entry(&mut r, e);
        }
        return Ok(());
    }
    if count.saturating_mul(SRANDMEMBER_SUB_STRATEGY_MUL) > size {
        let mut all: Vec<Vec<u8>> = set.iter().map(|e| e.to_vec()).collect();
        while all.len() as u64 > count {
            all.swap_remove(crate::db::dict::random_below(all.len()));
        }
        r.bulks(all.iter());
        return Ok(());
    }
    // count < size / 3 here, so the picks end quickly.
    let mut picked: HashSet<Vec<u8>> = HashSet::with_capacity(count as usize);
    let mut order: Vec<Vec<u8>> = Vec::with_capacity(count as usize);
    while (order.len() as u64) < count {
        let Some(e) = set.random() else {
            break;
        };
        let m = e.to_vec();
        if picked.insert(m.clone()) {
            order.push(m);
        }
    }
    r.bulks(order.iter());
    Ok(())
}

// ---------------------------------------------------------------------------
// SINTER SINTERCARD SINTERSTORE SMEMBERS
// ---------------------------------------------------------------------------

/// What an intersection produces.
enum InterTarget {
    /// A set reply (SINTER, SMEMBERS).
    Reply,
    /// Only the count, stopping at `limit` (0 = none) (SINTERCARD).
    Card(u64),
    /// Stored at the key (SINTERSTORE).
    Store(Bytes),
}

/// Looks every key up for reading, in order, and fails with WRONGTYPE at
/// the first one that holds another type (lookups before it still count).
/// Returns which keys exist.
fn lookup_sets(cx: &mut Ctx, keys: &[Bytes]) -> Result<Vec<bool>, CmdError> {
    let db = cx.c.db;
    let mut exists = Vec::with_capacity(keys.len());
    for k in keys {
        match lookup_read(cx.srv, db, k) {
            Some(o) => {
                o.val.as_set()?;
                exists.push(true);
            }
            None => exists.push(false),
        }
    }
    Ok(exists)
}

/// The sets at `keys` (None for missing keys), after `lookup_sets`.
fn peek_sets<'a>(db: &'a crate::db::Db, keys: &[Bytes]) -> Vec<Option<&'a Set>> {
    keys.iter()
        .map(|k| db.keys.peek(k).and_then(|o| o.val.as_set().ok()))
        .collect()
}

/// Replies to a STORE variant and stores (or deletes) the destination:
/// an empty result deletes it and replies 0. `event` is the command's
/// (sinterstore, sunionstore, sdiffstore); a deleted destination reports
/// `del` instead.
fn store_result(cx: &mut Ctx, dst: &[u8], result: Set, event: &'static str) {
    let n = result.len();
    if n > 0 {
        // setKey: store, then signal the change.
        cx.set_key(dst, Value::Set(result), false);
        cx.reply().int(n as i64);
        cx.notify(NOTIFY_SET, event, dst);
        cx.dirty(1);
        return;
    }
    cx.reply().int(0);
    if cx.db().delete(dst).is_some() {
        cx.dirty(1);
        cx.modified(dst);
        cx.notify(NOTIFY_GENERIC, "del", dst);
    }
}

fn sinter_generic(cx: &mut Ctx, keys: &[Bytes], target: InterTarget) -> CmdResult {
    let exists = lookup_sets(cx, keys)?;
    if exists.contains(&false) {
        // An intersection with an empty set is empty.
        match target {
            InterTarget::Store(dst) => store_result(cx, &dst, Set::new(), "sinterstore"),
            InterTarget::Card(_) => cx.reply().int(0),
            InterTarget::Reply => cx.reply().set_len(0),
        }
        return Ok(());
    }
    let max = max_intset(cx);
    let Ctx { srv, c, .. } = cx;
    // (argument index, set), smallest first: the first set's members are
    // the candidates. A stable sort, like the merge sort of glibc's qsort.
    let mut sets: Vec<(usize, &Set)> = peek_sets(&srv.dbs[c.db], keys)
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s?)))
        .collect();
    sets.sort_by_key(|(_, s)| s.len());
    let Some((&(_, first), rest)) = sets.split_first() else {
        return Ok(());
    };
    let mut lookups = LookupSteps::new(keys.len());
    let mut r = c.reply();
    let deferred = matches!(target, InterTarget::Reply).then(|| r.defer_len());
    let mut result = Set::new();
    let mut card: u64 = 0;
    for e in first.iter() {
        let in_all = rest
            .iter()
            .all(|&(i, s)| std::ptr::eq(s, first) || lookups.contains(i, s, e));
        if !in_all {
            continue;
        }
        card += 1;
        match &target {
            InterTarget::Card(limit) => {
                if *limit != 0 && card >= *limit {
                    break;
                }
            }
            InterTarget::Reply => bulk_entry(&mut r, e),
            InterTarget::Store(_) => {
                result.add_entry(e, max);
            }
        }
    }
    match target {
        InterTarget::Card(_) => r.int(card as i64),
        InterTarget::Reply => {
            if let Some(d) = deferred {
                r.set_deferred_set(d, card as usize);
            }
        }
        InterTarget::Store(dst) => {
            lookups.apply(cx, keys);
            store_result(cx, &dst, result, "sinterstore");
            return Ok(());
        }
    }
    lookups.apply(cx, keys);
    Ok(())
}

/// Counts the membership checks made on each rehashing source set while the
/// sources are borrowed together, so the rehash steps Redis' dictFind would
/// have done along the way can be run once the borrows end.
struct LookupSteps {
    per_key: Vec<usize>,
}

impl LookupSteps {
    fn new(n: usize) -> Self {
        LookupSteps {
            per_key: vec![0; n],
        }
    }

    /// `set.contains_entry(e)`, counted against argument `i`.
    fn contains(&mut self, i: usize, set: &Set, e: Entry<'_>) -> bool {
        if set.is_rehashing() {
            if let Some(n) = self.per_key.get_mut(i) {
                *n += 1;
            }
        }
        set.contains_entry(e)
    }

    fn apply(&self, cx: &mut Ctx, keys: &[Bytes]) {
        let db = cx.c.db;
        for (k, &n) in keys.iter().zip(&self.per_key) {
            if n == 0 {
                continue;
            }
            if let Some(o) = cx.srv.dbs[db].keys.get_mut(k) {
                if let Ok(s) = o.val.as_set_mut() {
                    s.rehash_steps(n);
                }
            }
        }
    }
}

fn arg_range(cx: &Ctx, from: usize, to: usize) -> Vec<Bytes> {
    cx.c.argv[from..to].to_vec()
}

/// SMEMBERS is SINTER of one key in Redis 7.0 (same reply, a set).
pub fn smembers(cx: &mut Ctx) -> CmdResult {
    let keys = arg_range(cx, 1, 2);
    sinter_generic(cx, &keys, InterTarget::Reply)
}

pub fn sinter(cx: &mut Ctx) -> CmdResult {
    let keys = arg_range(cx, 1, cx.argc());
    sinter_generic(cx, &keys, InterTarget::Reply)
}

pub fn sinterstore(cx: &mut Ctx) -> CmdResult {
    let keys = arg_range(cx, 2, cx.argc());
    sinter_generic(cx, &keys, InterTarget::Store(cx.arg_bytes(1)))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard(cx: &mut Ctx) -> CmdResult {
    let numkeys_err = CmdError::msg("ERR numkeys should be greater than 0");
    let numkeys = parse_i64(cx.arg(1)).ok_or(numkeys_err.clone())?;
    if numkeys < 1 {
        return Err(numkeys_err);
    }
    let argc = cx.argc();
    if numkeys as u64 > (argc - 2) as u64 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let end = 2 + numkeys as usize;
    let mut limit = 0;
    let mut j = end;
    while j < argc {
        if cx.arg_is(j, "limit") && j + 1 < argc {
            let neg = CmdError::msg("ERR LIMIT can't be negative");
            limit = parse_non_negative(cx.arg(j + 1), neg.clone(), neg)?;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys = arg_range(cx, 2, end);
    sinter_generic(cx, &keys, InterTarget::Card(limit))
}

// ---------------------------------------------------------------------------
// SUNION SUNIONSTORE SDIFF SDIFFSTORE
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/*
 * Union and difference both build their result in a new set (starting as an
 * intset) and then reply with it or store it. For SDIFF Redis picks between
 * two algorithms by estimated work:
 * 1. for each member of the first set, check it against every other set:
 *    about size(first) * number of sets (halved: it is cheaper per step and
 *    stops at the first match); the other sets are tried largest first;
 * 2. copy the first set, then remove the members of every other set: the
 *    total size of all sets; stops early once the result is empty.
 * A key given twice as the first and a later set makes the result empty.
 */
fn sunion_diff_generic(cx: &mut Ctx, keys: &[Bytes], dst: Option<Bytes>, op: SetOp) -> CmdResult {
    lookup_sets(cx, keys)?;
    let max = max_intset(cx);
    let mut lookups = LookupSteps::new(keys.len());
    let result = {
        let db = &cx.srv.dbs[cx.c.db];
        let mut sets: Vec<(usize, Option<&Set>)> =
            peek_sets(db, keys).into_iter().enumerate().collect();
        let same_set =
            sets[0].1.is_some() && keys.iter().skip(1).any(|k| k == &keys[0]) && op == SetOp::Diff;
        match op {
            SetOp::Union => union_of(&sets, max),
            SetOp::Diff if same_set => Set::new(),
            SetOp::Diff => diff_of(&mut sets, max, &mut lookups),
        }
    };
    lookups.apply(cx, keys);
    match dst {
        Some(dst) => {
            let event = match op {
                SetOp::Union => "sunionstore",
                SetOp::Diff => "sdiffstore",
            };
            store_result(cx, &dst, result, event);
        }
        None => {
            let mut r = cx.reply();
            r.set_len(result.len());
            for e in result.iter() {
                bulk_entry(&mut r, e);
            }
        }
    }
    Ok(())
}

/// Sources as (argument index, set or None for a missing key).
type Sources<'a> = [(usize, Option<&'a Set>)];

fn union_of(sets: &Sources, max: usize) -> Set {
    let mut result = Set::new();
    for s in sets.iter().filter_map(|(_, s)| *s) {
        for e in s.iter() {
            result.add_entry(e, max);
        }
    }
    result
}

fn diff_of(sets: &mut Sources, max: usize, lookups: &mut LookupSteps) -> Set {
    let mut result = Set::new();
    let Some(first) = sets[0].1 else {
        return result;
    };
    let first_len = first.len() as u64;
    let (mut algo_one, mut algo_two) = (0u64, 0u64);
    for s in sets.iter().filter_map(|(_, s)| *s) {
        algo_one += first_len;
        algo_two += s.len() as u64;
    }
    if algo_one / 2 <= algo_two {
        // Largest first, so a member is likely rejected early.
        let size = |s: &Option<&Set>| s.map_or(0, |s| s.len());
        sets[1..].sort_by_key(|s| std::cmp::Reverse(size(&s.1)));
        for e in first.iter() {
            let elsewhere = sets[1..].iter().any(|&(i, s)| {
                s.is_some_and(|s| std::ptr::eq(s, first) || lookups.contains(i, s, e))
            });
            if !elsewhere {
                result.add_entry(e, max);
            }
        }
    } else {
        for e in first.iter() {
            result.add_entry(e, max);
        }
        for s in sets[1..].iter().filter_map(|(_, s)| *s) {
            if result.is_empty() {
                break;
            }
            for e in s.iter() {
                result.remove_entry(e);
            }
        }
    }
    result
}

pub fn sunion(cx: &mut Ctx) -> CmdResult {
    let keys = arg_range(cx, 1, cx.argc());
    sunion_diff_generic(cx, &keys, None, SetOp::Union)
}

pub fn sunionstore(cx: &mut Ctx) -> CmdResult {
    let keys = arg_range(cx, 2, cx.argc());
    sunion_diff_generic(cx, &keys, Some(cx.arg_bytes(1)), SetOp::Union)
}

pub fn sdiff(cx: &mut Ctx) -> CmdResult {
    let keys = arg_range(cx, 1, cx.argc());
    sunion_diff_generic(cx, &keys, None, SetOp::Diff)
}

pub fn sdiffstore(cx: &mut Ctx) -> CmdResult {
    let keys = arg_range(cx, 2, cx.argc());
    sunion_diff_generic(cx, &keys, Some(cx.arg_bytes(1)), SetOp::Diff)
}

// ---------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------

/// SSCAN key cursor [MATCH pattern] [COUNT count]. Checks in Redis' order:
/// the cursor, then the key (a missing key answers an empty scan without
/// looking at the options), its type, then the options. An intset is
/// returned whole with cursor 0.
pub fn sscan(cx: &mut Ctx) -> CmdResult {
    let mut cursor = parse_cursor(cx.arg(2))?;
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    match lookup_read(cx.srv, db, &key) {
        None => {
            cx.reply().raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
            return Ok(());
        }
        Some(o) => {
            o.val.as_set()?;
        }
    }
    let opts = parse_scan_opts(cx, 3, false)?;
    let Some(set) = cx.srv.dbs[db]
        .keys
        .peek(&key)
        .and_then(|o| o.val.as_set().ok())
    else {
        return Ok(());
    };
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut max_iter = opts.count.saturating_mul(10);
    loop {
        cursor = set.scan(cursor, |e| found.push(e.to_vec()));
        if cursor == 0 || max_iter == 0 || found.len() >= opts.count {
            break;
        }
        max_iter -= 1;
    }
    if let Some(p) = &opts.pattern {
        found.retain(|m| glob_match(p, m, false));
    }
    let mut r = cx.c.reply();
    r.array_len(2);
    r.bulk(cursor.to_string().as_bytes());
    r.bulks(found.iter());
    Ok(())
}
