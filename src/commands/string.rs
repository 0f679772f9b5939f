//! String commands (t_string.c): SET and its variants, GET family,
//! counters, APPEND/SETRANGE/GETRANGE, MGET/MSET, LCS.
//!
//! Every write signals the key and publishes Redis' event for it (`set`,
//! `append`, `incrby`...; `new` when the key is created) only once it has
//! succeeded: a refused or no-op command publishes nothing.

use bytes::Bytes;

use super::Ctx;
use crate::config::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::errors::{CmdError, CmdResult};
use crate::persistence::propagate;
use crate::types::value::{StrRef, Value};
use crate::util::number::LongDouble;

const WRONG_TYPE: CmdError = CmdError::WrongType;

/// SET/GETEX option bits (t_string.c OBJ_*).
mod opt {
    pub const NX: u32 = 1;
    pub const XX: u32 = 2;
    pub const EX: u32 = 4;
    pub const PX: u32 = 8;
    pub const KEEPTTL: u32 = 16;
    pub const GET: u32 = 32;
    pub const EXAT: u32 = 64;
    pub const PXAT: u32 = 128;
    pub const PERSIST: u32 = 256;
    pub const ANY_EXPIRE: u32 = EX | PX | EXAT | PXAT;
}

#[derive(PartialEq)]
enum Kind {
    Set,
    Get,
}

/// Parse SET/GETEX options starting at `from`; returns (flags, index of the
/// expire argument). Redis accepts repeats of the same option and refuses
/// conflicting ones with a syntax error.
fn parse_options(cx: &Ctx, from: usize, kind: Kind) -> Result<(u32, usize), CmdError> {
    let mut f = 0u32;
    let mut expire_idx = 0;
    let mut j = from;
    while j < cx.argc() {
        let a = cx.arg(j);
        let has_next = j + 1 < cx.argc();
        let set = kind == Kind::Set;
        if a.eq_ignore_ascii_case(b"nx") && f & opt::XX == 0 && set {
            f |= opt::NX;
        } else if a.eq_ignore_ascii_case(b"xx") && f & opt::NX == 0 && set {
            f |= opt::XX;
        } else if a.eq_ignore_ascii_case(b"get") && set {
            f |= opt::GET;
        } else if a.eq_ignore_ascii_case(b"keepttl")
            && f & (opt::PERSIST | opt::ANY_EXPIRE) == 0
            && set
        {
            f |= opt::KEEPTTL;
        } else if a.eq_ignore_ascii_case(b"persist")
            && !set
            && f & (opt::ANY_EXPIRE | opt::KEEPTTL) == 0
        {
            f |= opt::PERSIST;
        } else if let Some(bit) = expire_option(a) {
            let others = opt::ANY_EXPIRE & !bit;
            if f & (opt::KEEPTTL | opt::PERSIST | others) != 0 || !has_next {
                return Err(CmdError::Syntax);
            }
            f |= bit;
            expire_idx = j + 1;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok((f, expire_idx))
}

fn expire_option(a: &[u8]) -> Option<u32> {
    if a.eq_ignore_ascii_case(b"ex") {
        Some(opt::EX)
    } else if a.eq_ignore_ascii_case(b"px") {
        Some(opt::PX)
    } else if a.eq_ignore_ascii_case(b"exat") {
        Some(opt::EXAT)
    } else if a.eq_ignore_ascii_case(b"pxat") {
        Some(opt::PXAT)
    } else {
        None
    }
}

/// The absolute expire time in ms for an EX/PX/EXAT/PXAT argument
/// (getExpireMillisecondsOrReply), with Redis' range checks.
fn expire_ms(cx: &Ctx, idx: usize, f: u32) -> Result<i64, CmdError> {
    let name = cx.srv.commands.get(cx.cmd).fullname;
    let bad = CmdError::InvalidExpire(name);
    let mut ms = cx.arg_i64(idx)?;
    let seconds = f & (opt::EX | opt::EXAT) != 0;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        return Err(bad);
    }
    if seconds {
        ms *= 1000;
    }
    if f & (opt::EX | opt::PX) != 0 {
        ms = ms.checked_add(cx.srv.now_ms).ok_or(bad.clone())?;
    }
    if ms <= 0 {
        return Err(bad);
    }
    Ok(ms)
}

/// Store a string as Redis' setKey: add (announced as `new`) or overwrite,
/// drop the TTL unless `keep_ttl`, and signal the change.
fn set_key(cx: &mut Ctx, key: &[u8], val: Value, keep_ttl: bool) {
    let obj = cx.obj(val);
    crate::db::set_key(cx.srv, cx.c.db, key, obj, keep_ttl);
}

/// Add or overwrite without signalling (dbAdd / dbOverwrite), for commands
/// that signal and notify themselves once the value is final.
fn put_key(cx: &mut Ctx, key: &[u8], val: Value, keep_ttl: bool) {
    let obj = cx.obj(val);
    crate::db::put_key(cx.srv, cx.c.db, key, obj, keep_ttl);
}

/// Reply with the string at `key`, null if missing; WRONGTYPE otherwise.
/// Returns whether the key existed.
fn get_generic(cx: &mut Ctx, key_idx: usize) -> Result<bool, CmdError> {
    // The key is borrowed from argv, not cloned: GET is the hottest read,
    // and a clone is two atomic refcount updates.
    let Ctx { srv, c, .. } = cx;
    let Some(o) = super::lookup_read(srv, c.db, &c.argv[key_idx]) else {
        c.reply().null();
        return Ok(false);
    };
    let s = o.val.as_str().ok_or(WRONG_TYPE)?;
    match s {
        StrRef::Bytes(b) => c.reply().bulk(b),
        StrRef::Int(n) => c.reply().bulk_i64(n),
    }
    Ok(true)
}

/// The common body of SET, SETNX, SETEX and PSETEX (setGenericCommand).
fn set_generic(cx: &mut Ctx, f: u32, expire_idx: usize, ok_reply: Option<i64>) -> CmdResult {
    let when = if expire_idx > 0 {
        Some(expire_ms(cx, expire_idx, f)?)
    } else {
        None
    };
    let key = cx.arg_bytes(1);
    if f & opt::GET != 0 {
        // GET checks the type before anything changes.
        if let Some(o) = cx.lookup_read(&key) {
            if o.val.as_str().is_none() {
                return Err(WRONG_TYPE);
            }
        }
        get_generic(cx, 1)?;
    }
    let found = cx.key_exists(&key);
    if (f & opt::NX != 0 && found) || (f & opt::XX != 0 && !found) {
        if f & opt::GET == 0 {
            match ok_reply {
                Some(_) => cx.reply().int(0),
                None => cx.reply().null(),
            }
        }
        return Ok(());
    }
    let val_idx = if cx.srv.commands.get(cx.cmd).arity == 4 {
        3
    } else {
        2
    };
    let val = Value::from_bytes(cx.arg(val_idx));
    set_key(cx, &key, val, f & opt::KEEPTTL != 0);
    cx.dirty(1);
    cx.notify(NOTIFY_STRING, "set", &key);
    if let Some(ms) = when {
        cx.db().set_expire(&key, ms);
        // Relative times are resolved once, here: SET key val PXAT <ms>.
        if cx.propagating() {
            let ms = propagate::int_arg(ms);
            let val = cx.arg_bytes(val_idx);
            cx.propagate_as(&[b"SET", &key, &val, b"PXAT", &ms]);
        }
        cx.notify(NOTIFY_GENERIC, "expire", &key);
    } else if f & opt::GET != 0 && cx.propagating() {
        // GET changes nothing: propagate without it.
        let argv: Vec<Bytes> = (0..cx.argc())
            .filter(|&j| j < 3 || !cx.arg_is(j, "get"))
            .map(|j| cx.arg_bytes(j))
            .collect();
        propagate::set_rewrite(cx.srv, argv);
    }
    if f & opt::GET == 0 {
        match ok_reply {
            Some(n) => cx.reply().int(n),
            None => cx.reply().ok(),
        }
    }
    Ok(())
}

pub fn set(cx: &mut Ctx) -> CmdResult {
    let (f, idx) = parse_options(cx, 3, Kind::Set)?;
    set_generic(cx, f, idx, None)
}

pub fn setnx(cx: &mut Ctx) -> CmdResult {
    set_generic(cx, opt::NX, 0, Some(1))
}

pub fn setex(cx: &mut Ctx) -> CmdResult {
    set_generic(cx, opt::EX, 2, None)
}

pub fn psetex(cx: &mut Ctx) -> CmdResult {
    set_generic(cx, opt::PX, 2, None)
}

pub fn get(cx: &mut Ctx) -> CmdResult {
    get_generic(cx, 1).map(|_| ())
}

pub fn getex(cx: &mut Ctx) -> CmdResult {
    let (f, idx) = parse_options(cx, 2, Kind::Get)?;
    let key = cx.arg_bytes(1);
    let Some(o) = cx.lookup_read(&key) else {
        cx.reply().null();
        return Ok(());
    };
    if o.val.as_str().is_none() {
        return Err(WRONG_TYPE);
    }
    let when = if idx > 0 {
        Some(expire_ms(cx, idx, f)?)
    } else {
        None
    };
    get_generic(cx, 1)?;
    // GETEX is never propagated as sent: it becomes DEL/UNLINK, PEXPIREAT
    // or PERSIST, whichever it amounted to.
    match when {
        Some(ms) if f & (opt::EXAT | opt::PXAT) != 0 && ms <= cx.srv.now_ms => {
            cx.db().delete(&key);
            cx.dirty(1);
            let del: &[u8] = if cx.srv.cfg.lazyfree_lazy_expire {
                b"UNLINK"
            } else {
                b"DEL"
            };
            cx.propagate_as(&[del, &key]);
            cx.modified(&key);
            cx.notify(NOTIFY_GENERIC, "del", &key);
        }
        Some(ms) => {
            cx.db().set_expire(&key, ms);
            cx.dirty(1);
            cx.propagate_as(&[b"PEXPIREAT", &key, &propagate::int_arg(ms)]);
            cx.modified(&key);
            cx.notify(NOTIFY_GENERIC, "expire", &key);
        }
        None if f & opt::PERSIST != 0 && cx.db().persist(&key) => {
            cx.dirty(1);
            cx.modified(&key);
            cx.propagate_as(&[b"PERSIST", &key]);
            cx.notify(NOTIFY_GENERIC, "persist", &key);
        }
        None => {}
    }
    Ok(())
}

pub fn getdel(cx: &mut Ctx) -> CmdResult {
    if get_generic(cx, 1)? {
        let key = cx.arg_bytes(1);
        cx.db().delete(&key);
        cx.dirty(1);
        let del: &[u8] = if cx.srv.cfg.lazyfree_lazy_user_del {
            b"UNLINK"
        } else {
            b"DEL"
        };
        cx.propagate_as(&[del, &key]);
        cx.modified(&key);
        cx.notify(NOTIFY_GENERIC, "del", &key);
    }
    Ok(())
}

pub fn getset(cx: &mut Ctx) -> CmdResult {
    get_generic(cx, 1)?;
    let key = cx.arg_bytes(1);
    let val = Value::from_bytes(cx.arg(2));
    set_key(cx, &key, val, false);
    cx.notify(NOTIFY_STRING, "set", &key);
    cx.dirty(1);
    let val = cx.arg_bytes(2);
    cx.propagate_as(&[b"SET", &key, &val]);
    Ok(())
}

pub fn mget(cx: &mut Ctx) -> CmdResult {
    let n = cx.argc() - 1;
    cx.reply().array_len(n);
    for j in 1..=n {
        let key = cx.arg_bytes(j);
        let s = cx
            .lookup_read(&key)
            .and_then(|o| o.val.as_str().map(|s| s.to_owned_ref()));
        match s {
            Some(Owned::Bytes(ptr)) => cx.c.reply().bulk(&ptr),
            Some(Owned::Int(n)) => cx.c.reply().bulk_i64(n),
            None => cx.c.reply().null(),
        }
    }
    Ok(())
}

/// A string value detached from the keyspace borrow (for replies that
/// interleave lookups, like MGET).
pub enum Owned {
    Bytes(Vec<u8>),
    Int(i64),
}

trait ToOwnedRef {
    fn to_owned_ref(&self) -> Owned;
}

impl ToOwnedRef for StrRef<'_> {
    fn to_owned_ref(&self) -> Owned {
        match self {
            StrRef::Bytes(b) => Owned::Bytes(b.to_vec()),
            StrRef::Int(n) => Owned::Int(*n),
        }
    }
}

fn mset_generic(cx: &mut Ctx, nx: bool) -> CmdResult {
    if cx.argc().is_multiple_of(2) {
        return Err(cx.wrong_arity());
    }
    if nx {
        for j in (1..cx.argc()).step_by(2) {
            let key = cx.arg_bytes(j);
            if cx.lookup_write(&key).is_some() {
                cx.reply().int(0);
                return Ok(());
            }
        }
    }
    for j in (1..cx.argc()).step_by(2) {
        let key = cx.arg_bytes(j);
        let val = Value::from_bytes(cx.arg(j + 1));
        set_key(cx, &key, val, false);
        cx.notify(NOTIFY_STRING, "set", &key);
    }
    cx.dirty((cx.argc() as u64 - 1) / 2);
    if nx {
        cx.reply().int(1);
    } else {
        cx.reply().ok();
    }
    Ok(())
}

pub fn mset(cx: &mut Ctx) -> CmdResult {
    mset_generic(cx, false)
}

pub fn msetnx(cx: &mut Ctx) -> CmdResult {
    mset_generic(cx, true)
}

/// Redis' checkStringLength: a write may not build a string longer than
/// proto-max-bulk-len.
fn check_string_length(cx: &Ctx, size: usize, append: usize) -> CmdResult {
    match size.checked_add(append) {
        Some(total) if (total as u64) <= cx.srv.cfg.proto_max_bulk_len as u64 => Ok(()),
        _ => Err(CmdError::msg(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

pub fn append(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let tail = cx.arg_bytes(2);
    let limit = cx.srv.cfg.proto_max_bulk_len as u64;
    let total = match cx.lookup_write(&key) {
        None => {
            let val = Value::from_bytes(&tail);
            put_key(cx, &key, val, true);
            tail.len()
        }
        Some(o) => {
            let cur = o.val.as_str().ok_or(WRONG_TYPE)?.len();
            if (cur + tail.len()) as u64 > limit {
                return Err(CmdError::msg(
                    "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
                ));
            }
            let v = o.val.make_raw().ok_or(WRONG_TYPE)?;
            v.extend_from_slice(&tail);
            v.len()
        }
    };
    cx.modified(&key);
    cx.notify(NOTIFY_STRING, "append", &key);
    cx.dirty(1);
    cx.reply().int(total as i64);
    Ok(())
}

pub fn strlen(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let n = match cx.lookup_read(&key) {
        None => 0,
        Some(o) => o.val.as_str().ok_or(WRONG_TYPE)?.len(),
    };
    cx.reply().int(n as i64);
    Ok(())
}

pub fn setrange(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let offset = cx.arg_i64(2)?;
    let value = cx.arg_bytes(3);
    if offset < 0 {
        return Err(CmdError::msg("ERR offset is out of range"));
    }
    let offset = offset as usize;
    let exists = match cx.lookup_write(&key) {
        None => false,
        Some(o) => {
            let len = o.val.as_str().ok_or(WRONG_TYPE)?.len();
            if value.is_empty() {
                cx.reply().int(len as i64);
                return Ok(());
            }
            true
        }
    };
    if !exists && value.is_empty() {
        cx.reply().int(0);
        return Ok(());
    }
    check_string_length(cx, offset, value.len())?;
    if !exists {
        put_key(cx, &key, Value::raw(Vec::new()), false);
    }
    let Some(o) = cx.lookup_write(&key) else {
        return Ok(());
    };
    let v = o.val.make_raw().ok_or(WRONG_TYPE)?;
    let end = offset + value.len();
    if v.len() < end {
        v.resize(end, 0);
    }
    v[offset..end].copy_from_slice(&value);
    let len = v.len();
    // `value` is not empty here: an empty one returned above.
    cx.modified(&key);
    cx.notify(NOTIFY_STRING, "setrange", &key);
    cx.dirty(1);
    cx.reply().int(len as i64);
    Ok(())
}

pub fn getrange(cx: &mut Ctx) -> CmdResult {
    let mut start = cx.arg_i64(2)?;
    let mut end = cx.arg_i64(3)?;
    let key = cx.arg_bytes(1);
    let Some(o) = cx.lookup_read(&key) else {
        cx.reply().bulk(b"");
        return Ok(());
    };
    let s = o.val.as_str().ok_or(WRONG_TYPE)?.to_vec();
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        cx.reply().bulk(b"");
        return Ok(());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        cx.reply().bulk(b"");
    } else {
        cx.reply().bulk(&s[start as usize..=end as usize]);
    }
    Ok(())
}

/// INCR, DECR, INCRBY and DECRBY all end here.
fn incr_by(cx: &mut Ctx, delta: i64) -> CmdResult {
    let key = cx.arg_bytes(1);
    let (current, exists) = match cx.lookup_write(&key) {
        None => (0, false),
        Some(o) => match o.val.as_str().ok_or(WRONG_TYPE)? {
            StrRef::Int(n) => (n, true),
            StrRef::Bytes(b) => (
                crate::util::number::parse_i64(b).ok_or(CmdError::NotInteger)?,
                true,
            ),
        },
    };
    let new = current.checked_add(delta).ok_or(CmdError::Overflow)?;
    match cx.lookup_write(&key) {
        // Modify in place, keeping the TTL, as dbOverwrite would.
        Some(o) if exists => o.val = Value::Int(new),
        _ => put_key(cx, &key, Value::Int(new), true),
    }
    cx.modified(&key);
    cx.notify(NOTIFY_STRING, "incrby", &key);
    cx.dirty(1);
    cx.reply().int(new);
    Ok(())
}

pub fn incr(cx: &mut Ctx) -> CmdResult {
    incr_by(cx, 1)
}

pub fn decr(cx: &mut Ctx) -> CmdResult {
    incr_by(cx, -1)
}

pub fn incrby(cx: &mut Ctx) -> CmdResult {
    let d = cx.arg_i64(2)?;
    incr_by(cx, d)
}

pub fn decrby(cx: &mut Ctx) -> CmdResult {
    let d = cx.arg_i64(2)?;
    if d == i64::MIN {
        return Err(CmdError::msg("ERR decrement would overflow"));
    }
    incr_by(cx, -d)
}

pub fn incrbyfloat(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let current = match cx.lookup_write(&key) {
        None => None,
        Some(o) => Some(o.val.as_str().ok_or(WRONG_TYPE)?.to_vec()),
    };
    let value = match &current {
        None => LongDouble::parse(b"0"),
        Some(b) => LongDouble::parse(b),
    }
    .ok_or(CmdError::NotFloat)?;
    let incr = LongDouble::parse(cx.arg(2)).ok_or(CmdError::NotFloat)?;
    let sum = value.add(incr);
    if !sum.is_finite() {
        return Err(CmdError::msg("ERR increment would produce NaN or Infinity"));
    }
    let text = sum.format_human();
    put_key(cx, &key, Value::embstr_or_raw(text.as_bytes()), true);
    cx.modified(&key);
    cx.notify(NOTIFY_STRING, "incrbyfloat", &key);
    cx.dirty(1);
    // The sum is what replicas and the AOF must see, not the increment
    // (float formatting could differ elsewhere).
    cx.propagate_as(&[b"SET", &key, text.as_bytes(), b"KEEPTTL"]);
    cx.reply().bulk(text.as_bytes());
    Ok(())
}

pub fn lcs(cx: &mut Ctx) -> CmdResult {
    super::lcs::lcs(cx)
}
