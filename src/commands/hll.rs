//! HyperLogLog commands (the command half of hyperloglog.c): PFADD, PFCOUNT,
//! PFMERGE, PFDEBUG and PFSELFTEST. The sketch itself, its byte format and
//! the estimator are in `types/hll.rs`; here we find keys, check that their
//! strings are sketches, and signal, notify and count changes as Redis does.
//!
//! A sketch is an ordinary string value, edited in place as `raw` (Redis
//! unshares the string first: an `embstr` sketch set with SET becomes `raw`
//! once any of these commands touches it, even a read).
//!
//! Side effects, as in Redis 7.0:
//! * PFADD: `pfadd` event, `dirty` += registers changed (+1 for a new key),
//!   only when something changed.
//! * PFMERGE: always `pfadd` on the destination and `dirty` += 1.
//! * PFCOUNT of one key: a stale cached cardinality is recomputed and
//!   written back; that signals the key and bumps `dirty`, so the PFCOUNT is
//!   propagated (replicas update their cache the same way). No event.
//! * PFDEBUG GETREG/TODENSE: turning a sketch dense bumps `dirty` (so the
//!   conversion reaches replicas) without signalling the key.

use super::{Ctx, Handler};
use crate::config::NOTIFY_STRING;
use crate::errors::{CmdError, CmdResult};
use crate::server::Server;
use crate::types::hll::{self, Encoding, REGISTERS};
use crate::types::value::{StrRef, Value};

pub const HANDLERS: &[(&str, Handler)] = &[
    ("pfadd", pfadd),
    ("pfcount", pfcount),
    ("pfmerge", pfmerge),
    ("pfdebug", pfdebug),
    ("pfselftest", pfselftest),
];

/// A string that is not a sketch (isHLLObjectOrReply's error).
fn not_hll() -> CmdError {
    CmdError::msg("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

/// A sketch whose registers do not add up (sparse runs gone wrong).
fn corrupt() -> CmdError {
    CmdError::msg("INVALIDOBJ Corrupted HLL object detected")
}

/// The encoding of a value that must be a sketch: plain WRONGTYPE for a
/// non-string, the HyperLogLog variant for a string that is not a sketch.
fn check_value(val: &Value) -> Result<Encoding, CmdError> {
    match val.as_str().ok_or(CmdError::WrongType)? {
        // An `int` string is never a sketch (Redis: not sds-encoded).
        StrRef::Int(_) => Err(not_hll()),
        StrRef::Bytes(b) => hll::check(b).ok_or_else(not_hll),
    }
}

/// The bytes of an existing sketch, made `raw` for in-place edits
/// (dbUnshareStringValue). The caller has already checked the value.
fn sketch_mut<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Vec<u8>> {
    srv.dbs[db].keys.get_mut(key)?.val.make_raw()
}

/// Create an empty sparse sketch at `key`, known to be absent (dbAdd).
fn add_empty(cx: &mut Ctx, key: &[u8]) {
    let obj = cx.obj(Value::raw(hll::new_sparse()));
    crate::db::add_key(cx.srv, cx.c.db, key, obj);
}

/// PFADD key [element ...]: 1 when a register changed or the key was
/// created, else 0.
pub fn pfadd(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let mut updated = 0u64;
    match cx.lookup_write(&key) {
        Some(o) => {
            check_value(&o.val)?;
        }
        None => {
            add_empty(cx, &key);
            updated += 1;
        }
    }
    let sparse_max = cx.srv.cfg.hll_sparse_max_bytes;
    let db = cx.c.db;
    let Some(s) = sketch_mut(cx.srv, db, &key) else {
        return Err(CmdError::WrongType);
    };
    for ele in &cx.c.argv[2..] {
        // A corrupt sketch stops the command where it is: the registers
        // already raised stay raised, as in Redis, but nothing is signalled.
        if hll::add(s, ele, sparse_max).map_err(|_| corrupt())? {
            updated += 1;
        }
    }
    if updated > 0 {
        hll::invalidate_cache(s);
        cx.modified(&key);
        cx.notify(NOTIFY_STRING, "pfadd", &key);
        cx.dirty(updated);
    }
    cx.reply().int((updated > 0) as i64);
    Ok(())
}

/// PFCOUNT key [key ...]: the estimated cardinality of one sketch (cached in
/// its header) or of the union of several (computed on a scratch register
/// array, leaving the keys alone). Missing keys count as empty sketches.
pub fn pfcount(cx: &mut Ctx) -> CmdResult {
    if cx.argc() > 2 {
        return pfcount_union(cx);
    }
    let key = cx.arg_bytes(1);
    match cx.lookup_read(&key) {
        None => {
            cx.reply().int(0);
            return Ok(());
        }
        Some(o) => check_value(&o.val)?,
    };
    let db = cx.c.db;
    let Some(s) = sketch_mut(cx.srv, db, &key) else {
        return Err(CmdError::WrongType);
    };
    if let Some(card) = hll::cached_card(s) {
        cx.reply().int(card as i64);
        return Ok(());
    }
    let card = hll::count(s).map_err(|_| corrupt())?;
    hll::set_cached_card(s, card);
    // The cache lives in the value, so the write is a change of the key.
    cx.modified(&key);
    cx.dirty(1);
    // Redis replies with the unsigned count through a signed integer.
    cx.reply().int(card as i64);
    Ok(())
}

fn pfcount_union(cx: &mut Ctx) -> CmdResult {
    let mut max = vec![0u8; REGISTERS];
    for j in 1..cx.argc() {
        let key = cx.arg_bytes(j);
        let Some(o) = cx.lookup_read(&key) else {
            continue;
        };
        check_value(&o.val)?;
        if let Some(StrRef::Bytes(b)) = o.val.as_str() {
            hll::merge_into(&mut max, b).map_err(|_| corrupt())?;
        }
    }
    cx.reply().int(hll::count_registers(&max) as i64);
    Ok(())
}

/// PFMERGE destkey [sourcekey ...]: the destination (created if missing,
/// and itself one of the inputs) gets the register-wise maximum. It turns
/// dense when any input is dense; a sparse one may still turn dense on size.
pub fn pfmerge(cx: &mut Ctx) -> CmdResult {
    let mut max = vec![0u8; REGISTERS];
    let mut use_dense = false;
    for j in 1..cx.argc() {
        let key = cx.arg_bytes(j);
        let Some(o) = cx.lookup_read(&key) else {
            continue;
        };
        if check_value(&o.val)? == Encoding::Dense {
            use_dense = true;
        }
        if let Some(StrRef::Bytes(b)) = o.val.as_str() {
            hll::merge_into(&mut max, b).map_err(|_| corrupt())?;
        }
    }
    let key = cx.arg_bytes(1);
    if cx.lookup_write(&key).is_none() {
        add_empty(cx, &key);
    }
    let sparse_max = cx.srv.cfg.hll_sparse_max_bytes;
    let db = cx.c.db;
    let Some(s) = sketch_mut(cx.srv, db, &key) else {
        return Err(CmdError::WrongType);
    };
    if use_dense {
        hll::to_dense(s).map_err(|_| corrupt())?;
    }
    for (j, &m) in max.iter().enumerate() {
        // The inputs were all checked above, so an error is impossible
        // here; Redis ignores it too.
        if m != 0 {
            let _ = hll::set_register(s, j, m, sparse_max);
        }
    }
    hll::invalidate_cache(s);
    cx.modified(&key);
    // Redis announces a merge as `pfadd`: in effect a bulk add.
    cx.notify(NOTIFY_STRING, "pfadd", &key);
    cx.dirty(1);
    cx.reply().ok();
    Ok(())
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. The key is looked up and
/// checked before the subcommand name, as in Redis.
pub fn pfdebug(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(2);
    let enc = match cx.lookup_write(&key) {
        None => return Err(CmdError::msg("ERR The specified key does not exist")),
        Some(o) => check_value(&o.val)?,
    };
    let db = cx.c.db;
    let Some(s) = sketch_mut(cx.srv, db, &key) else {
        return Err(CmdError::WrongType);
    };
    let sub = cx.c.argv[1].clone();
    if sub.eq_ignore_ascii_case(b"getreg") {
        if hll::to_dense(s).map_err(|_| corrupt())? {
            cx.dirty(1);
        }
        let Some(s) = sketch_mut(cx.srv, db, &key) else {
            return Err(CmdError::WrongType);
        };
        let regs = hll::registers(s).map_err(|_| corrupt())?;
        let mut r = cx.c.reply();
        r.array_len(regs.len());
        for v in regs {
            r.int(v as i64);
        }
    } else if sub.eq_ignore_ascii_case(b"decode") {
        if enc != Encoding::Sparse {
            return Err(CmdError::msg("ERR HLL encoding is not sparse"));
        }
        let text = hll::decode_sparse(s);
        cx.reply().bulk(text.as_bytes());
    } else if sub.eq_ignore_ascii_case(b"encoding") {
        cx.reply().simple(enc.name().as_bytes());
    } else if sub.eq_ignore_ascii_case(b"todense") {
        let converted = hll::to_dense(s).map_err(|_| corrupt())?;
        if converted {
            cx.dirty(1);
        }
        cx.reply().int(converted as i64);
    } else {
        return Err(CmdError::owned(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(&sub)
        )));
    }
    Ok(())
}

/// PFSELFTEST: the register packing and estimator checks of
/// `hll::self_test`; OK or a `TESTFAILED` error. Blocks for a second or so.
pub fn pfselftest(cx: &mut Ctx) -> CmdResult {
    let sparse_max = cx.srv.cfg.hll_sparse_max_bytes;
    hll::self_test(sparse_max, &mut crate::db::dict::random_u64).map_err(CmdError::owned)?;
    cx.reply().ok();
    Ok(())
}
