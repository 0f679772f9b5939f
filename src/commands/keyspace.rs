//! Generic keyspace commands (db.c): DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN,
//! RANDOMKEY, RENAME(NX), MOVE, COPY, SWAPDB, DBSIZE, FLUSHDB, FLUSHALL,
//! TOUCH.

use super::Ctx;
use crate::config::NOTIFY_GENERIC;
use crate::errors::{CmdError, CmdResult};
use crate::util::glob::glob_match;

fn del_generic(cx: &mut Ctx, lazy: bool) -> CmdResult {
    let mut n = 0;
    for j in 1..cx.argc() {
        let key = cx.arg_bytes(j);
        crate::db::expire::expire_if_needed(cx.srv, cx.c.db, &key);
        if let Some(old) = cx.db().delete(&key) {
            if lazy {
                crate::lazyfree::free_obj(old);
            } else {
                drop(old);
            }
            cx.modified(&key);
            cx.notify(NOTIFY_GENERIC, "del", &key);
            n += 1;
        }
    }
    cx.dirty(n as u64);
    cx.reply().int(n);
    Ok(())
}

pub fn del(cx: &mut Ctx) -> CmdResult {
    let lazy = cx.srv.cfg.lazyfree_lazy_user_del;
    del_generic(cx, lazy)
}

/// UNLINK: big values are freed by the lazyfree thread.
pub fn unlink(cx: &mut Ctx) -> CmdResult {
    del_generic(cx, true)
}

/// EXISTS counts without touching; TOUCH counts and touches.
fn count_existing(cx: &mut Ctx, touch: bool) -> CmdResult {
    let mut n = 0;
    for j in 1..cx.argc() {
        let key = cx.arg_bytes(j);
        if super::lookup_read_flags(cx.srv, cx.c.db, &key, touch).is_some() {
            n += 1;
        }
    }
    cx.reply().int(n);
    Ok(())
}

pub fn exists(cx: &mut Ctx) -> CmdResult {
    count_existing(cx, false)
}

pub fn touch(cx: &mut Ctx) -> CmdResult {
    count_existing(cx, true)
}

pub fn type_(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let name = match super::lookup_read_flags(cx.srv, cx.c.db, &key, false) {
        Some(o) => o.val.value_type().name(),
        None => "none",
    };
    cx.reply().simple(name.as_bytes());
    Ok(())
}

pub fn keys(cx: &mut Ctx) -> CmdResult {
    let pat = cx.arg_bytes(1);
    let all = &pat[..] == b"*";
    let now = cx.srv.now_ms;
    let db = &cx.srv.dbs[cx.c.db];
    let mut out: Vec<Vec<u8>> = Vec::new();
    for (k, _) in db.keys.iter() {
        let kb = k.as_bytes();
        if (all || glob_match(&pat, kb, false)) && !is_expired(db, kb, now) {
            out.push(kb.to_vec());
        }
    }
    cx.reply().bulks(out.iter());
    Ok(())
}

fn is_expired(db: &crate::db::Db, key: &[u8], now: i64) -> bool {
    !db.expires.is_empty() && db.expires.peek(key).is_some_and(|&w| w <= now)
}

/// Parse a SCAN cursor the way strtoul does, with Redis' extra checks.
pub fn parse_cursor(b: &[u8]) -> Result<u64, CmdError> {
    let err = CmdError::msg("ERR invalid cursor");
    // strtoul consumes nothing from "", so Redis reads it as cursor 0.
    if b.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(err);
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .ok_or(err.clone())?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// SCAN-family options (COUNT, MATCH, TYPE) starting at `from`.
pub struct ScanOpts {
    pub count: usize,
    pub pattern: Option<Vec<u8>>,
    pub type_name: Option<Vec<u8>>,
}

pub fn parse_scan_opts(cx: &Ctx, from: usize, allow_type: bool) -> Result<ScanOpts, CmdError> {
    let mut o = ScanOpts {
        count: 10,
        pattern: None,
        type_name: None,
    };
    let mut i = from;
    while i < cx.argc() {
        let left = cx.argc() - i;
        if cx.arg_is(i, "count") && left >= 2 {
            let n = cx.arg_i64(i + 1)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = n as usize;
        } else if cx.arg_is(i, "match") && left >= 2 {
            let p = cx.arg(i + 1);
            o.pattern = if p == b"*" { None } else { Some(p.to_vec()) };
        } else if cx.arg_is(i, "type") && allow_type && left >= 2 {
            o.type_name = Some(cx.arg(i + 1).to_vec());
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

pub fn scan(cx: &mut Ctx) -> CmdResult {
    let mut cursor = parse_cursor(cx.arg(1))?;
    let o = parse_scan_opts(cx, 2, true)?;
    let db = &mut cx.srv.dbs[cx.c.db];
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut max_iter = o.count.saturating_mul(10);
    loop {
        cursor = db
            .keys
            .scan(cursor, |k, _| keys.push(k.as_bytes().to_vec()));
        if cursor == 0 || max_iter == 0 || keys.len() >= o.count {
            break;
        }
        max_iter -= 1;
    }
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(p) = &o.pattern {
            if !glob_match(p, &k, false) {
                continue;
            }
        }
        if let Some(t) = &o.type_name {
            let ty = cx.srv.dbs[cx.c.db]
                .keys
                .peek(&k)
                .map(|v| v.val.value_type().name());
            if !ty.is_some_and(|n| n.as_bytes().eq_ignore_ascii_case(t)) {
                continue;
            }
        }
        if crate::db::expire::expire_if_needed(cx.srv, cx.c.db, &k) {
            continue;
        }
        out.push(k);
    }
    let mut r = cx.reply();
    r.array_len(2);
    r.bulk(cursor.to_string().as_bytes());
    r.bulks(out.iter());
    Ok(())
}

pub fn randomkey(cx: &mut Ctx) -> CmdResult {
    // Expired keys found at random are deleted and the draw repeated; a
    // bounded number of tries keeps an all-expired keyspace from looping.
    for _ in 0..100 {
        let db = &mut cx.srv.dbs[cx.c.db];
        let Some((k, _)) = db.keys.random_entry() else {
            break;
        };
        let key = k.as_bytes().to_vec();
        if crate::db::expire::expire_if_needed(cx.srv, cx.c.db, &key) {
            continue;
        }
        cx.reply().bulk(&key);
        return Ok(());
    }
    cx.reply().null();
    Ok(())
}

fn rename_generic(cx: &mut Ctx, nx: bool) -> CmdResult {
    let src = cx.arg_bytes(1);
    let dst = cx.arg_bytes(2);
    if cx.lookup_write(&src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        if nx {
            cx.reply().int(0);
        } else {
            cx.reply().ok();
        }
        return Ok(());
    }
    // The destination is looked up even without NX, as Redis does: an
    // expired one is reported and propagated as such before it goes.
    if cx.lookup_write(&dst).is_some() && nx {
        cx.reply().int(0);
        return Ok(());
    }
    let db = cx.db();
    let when = db.expire_at_ms(&src);
    let Some(obj) = db.delete(&src) else {
        return Err(CmdError::NoSuchKey);
    };
    db.delete(&dst);
    // An overwritten destination is deleted then added again, so it is
    // announced as `new` too (dbDelete + dbAdd).
    crate::db::add_key(cx.srv, cx.c.db, &dst, obj);
    if let Some(w) = when {
        cx.db().set_expire(&dst, w);
    }
    cx.modified(&src);
    cx.modified(&dst);
    cx.notify(NOTIFY_GENERIC, "rename_from", &src);
    cx.notify(NOTIFY_GENERIC, "rename_to", &dst);
    cx.dirty(1);
    if nx {
        cx.reply().int(1);
    } else {
        cx.reply().ok();
    }
    Ok(())
}

pub fn rename(cx: &mut Ctx) -> CmdResult {
    rename_generic(cx, false)
}

pub fn renamenx(cx: &mut Ctx) -> CmdResult {
    rename_generic(cx, true)
}

pub fn move_(cx: &mut Ctx) -> CmdResult {
    if cx.srv.cfg.cluster_enabled {
        return Err(CmdError::msg("ERR MOVE is not allowed in cluster mode"));
    }
    let key = cx.arg_bytes(1);
    let n = crate::util::number::parse_i64(cx.arg(2)).ok_or(CmdError::NotInteger)?;
    if n < 0 || n >= cx.srv.dbs.len() as i64 || n > i32::MAX as i64 {
        return Err(CmdError::DbIndexOutOfRange);
    }
    let dst = n as usize;
    let src = cx.c.db;
    if src == dst {
        return Err(CmdError::msg(
            "ERR source and destination objects are the same",
        ));
    }
    if cx.lookup_write(&key).is_none() {
        cx.reply().int(0);
        return Ok(());
    }
    crate::db::expire::expire_if_needed(cx.srv, dst, &key);
    if cx.srv.dbs[dst].keys.contains_key(&key) {
        cx.reply().int(0);
        return Ok(());
    }
    let when = cx.srv.dbs[src].expire_at_ms(&key);
    let Some(obj) = cx.srv.dbs[src].delete(&key) else {
        return Ok(());
    };
    crate::db::add_key(cx.srv, dst, &key, obj);
    if let Some(w) = when {
        cx.srv.dbs[dst].set_expire(&key, w);
    }
    crate::db::signal_modified_key(cx.srv, src, &key);
    crate::db::signal_modified_key(cx.srv, dst, &key);
    crate::notify::keyspace_event(cx.srv, NOTIFY_GENERIC, "move_from", &key, src);
    crate::notify::keyspace_event(cx.srv, NOTIFY_GENERIC, "move_to", &key, dst);
    cx.dirty(1);
    cx.reply().int(1);
    Ok(())
}

pub fn copy(cx: &mut Ctx) -> CmdResult {
    let src = cx.arg_bytes(1);
    let dst = cx.arg_bytes(2);
    let mut dst_db = cx.c.db;
    let mut replace = false;
    let mut j = 3;
    while j < cx.argc() {
        if cx.arg_is(j, "replace") {
            replace = true;
        } else if cx.arg_is(j, "db") && j + 1 < cx.argc() {
            let n = crate::util::number::parse_i64(cx.arg(j + 1)).ok_or(CmdError::NotInteger)?;
            if n < 0 || n >= cx.srv.dbs.len() as i64 || n > i32::MAX as i64 {
                return Err(CmdError::DbIndexOutOfRange);
            }
            dst_db = n as usize;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if cx.srv.cfg.cluster_enabled && dst_db != 0 {
        return Err(CmdError::msg(
            "ERR Copying to another database is not allowed in cluster mode",
        ));
    }
    if src == dst && dst_db == cx.c.db {
        return Err(CmdError::msg(
            "ERR source and destination objects are the same",
        ));
    }
    let Some(obj) = cx.lookup_read(&src).map(|o| o.clone()) else {
        cx.reply().int(0);
        return Ok(());
    };
    let when = cx.srv.dbs[cx.c.db].expire_at_ms(&src);
    crate::db::expire::expire_if_needed(cx.srv, dst_db, &dst);
    let d = &mut cx.srv.dbs[dst_db];
    if d.keys.contains_key(&dst) {
        if !replace {
            cx.reply().int(0);
            return Ok(());
        }
        d.delete(&dst);
    }
    crate::db::add_key(cx.srv, dst_db, &dst, obj);
    if let Some(w) = when {
        cx.srv.dbs[dst_db].set_expire(&dst, w);
    }
    crate::db::signal_modified_key(cx.srv, dst_db, &dst);
    crate::notify::keyspace_event(cx.srv, NOTIFY_GENERIC, "copy_to", &dst, dst_db);
    cx.dirty(1);
    cx.reply().int(1);
    Ok(())
}

pub fn swapdb(cx: &mut Ctx) -> CmdResult {
    if cx.srv.cfg.cluster_enabled {
        return Err(CmdError::msg("ERR SWAPDB is not allowed in cluster mode"));
    }
    let a = crate::util::number::parse_i64(cx.arg(1))
        .ok_or(CmdError::msg("ERR invalid first DB index"))?;
    let b = crate::util::number::parse_i64(cx.arg(2))
        .ok_or(CmdError::msg("ERR invalid second DB index"))?;
    let n = cx.srv.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n || a > i32::MAX as i64 || b > i32::MAX as i64 {
        return Err(CmdError::DbIndexOutOfRange);
    }
    if a != b {
        let (a, b) = (a as usize, b as usize);
        // Watchers of a key that exists on either side see it change.
        crate::multi::touch_all_watched_keys_in_db(cx.srv, a, Some(b));
        crate::multi::touch_all_watched_keys_in_db(cx.srv, b, Some(a));
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = cx.srv.dbs.split_at_mut(hi);
        left[lo].swap_data(&mut right[0]);
        cx.dirty(1);
    }
    cx.reply().ok();
    Ok(())
}

pub fn dbsize(cx: &mut Ctx) -> CmdResult {
    let n = cx.db().len();
    cx.reply().int(n as i64);
    Ok(())
}

/// FLUSHDB/FLUSHALL's optional ASYNC|SYNC argument (getFlushCommandFlags):
/// whether the flush is asynchronous, which without an argument
/// lazyfree-lazy-user-flush decides.
fn flush_mode(cx: &Ctx) -> Result<bool, CmdError> {
    match cx.argc() {
        1 => Ok(cx.srv.cfg.lazyfree_lazy_user_flush),
        2 if cx.arg_is(1, "sync") => Ok(false),
        2 if cx.arg_is(1, "async") => Ok(true),
        _ => Err(CmdError::Syntax),
    }
}

pub fn flushdb(cx: &mut Ctx) -> CmdResult {
    let lazy = flush_mode(cx)?;
    // Watchers and tracking clients learn of it while the keys are there.
    crate::db::signal_flushed_db(cx.srv, Some(cx.c.db), lazy);
    let (keys, expires) = cx.db().take_all();
    cx.dirty(keys.len() as u64);
    if lazy {
        crate::lazyfree::free_db(keys, expires);
    }
    // Logged even when the db was already empty, as Redis does.
    crate::persistence::propagate::force(cx.srv);
    cx.reply().ok();
    Ok(())
}

pub fn flushall(cx: &mut Ctx) -> CmdResult {
    let lazy = flush_mode(cx)?;
    crate::db::signal_flushed_db(cx.srv, None, lazy);
    let mut removed = 0;
    for db in cx.srv.dbs.iter_mut() {
        let (keys, expires) = db.take_all();
        removed += keys.len() as u64;
        if lazy {
            crate::lazyfree::free_db(keys, expires);
        }
    }
    cx.dirty(removed);
    crate::persistence::fork::kill_child(cx.srv);
    // With save points configured the empty dataset is saved at once
    // (flushAllDataAndResetRDB), which also resets the change counter.
    if crate::persistence::has_save_points(cx.srv) {
        crate::persistence::rdb_save(cx.srv);
    }
    crate::persistence::propagate::force(cx.srv);
    cx.reply().ok();
    Ok(())
}
