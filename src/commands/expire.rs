//! TTL commands (expire.c): EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX XX GT
//! LT, TTL/PTTL, EXPIRETIME/PEXPIRETIME, PERSIST. Times are stored as
//! absolute Unix ms (`expire_at_ms`).

use super::Ctx;
use crate::config::NOTIFY_GENERIC;
use crate::errors::{CmdError, CmdResult};

const NX: u8 = 1;
const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;

fn parse_flags(cx: &Ctx) -> Result<u8, CmdError> {
    let mut f = 0;
    for j in 3..cx.argc() {
        f |= match cx.arg(j).to_ascii_lowercase().as_slice() {
            b"nx" => NX,
            b"xx" => XX,
            b"gt" => GT,
            b"lt" => LT,
            _ => {
                return Err(CmdError::owned(format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(cx.arg(j))
                )))
            }
        };
    }
    if f & NX != 0 && f & (XX | GT | LT) != 0 {
        return Err(CmdError::msg(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f & GT != 0 && f & LT != 0 {
        return Err(CmdError::msg(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// The shared body: `base_ms` is now for relative forms, 0 for absolute.
fn expire_generic(cx: &mut Ctx, base_ms: i64, seconds: bool) -> CmdResult {
    let f = parse_flags(cx)?;
    let mut when = cx.arg_i64(2)?;
    let bad = CmdError::InvalidExpire(cx.fullname());
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(bad);
        }
        when *= 1000;
    }
    if when > i64::MAX - base_ms {
        return Err(bad);
    }
    when += base_ms;
    let key = cx.arg_bytes(1);
    if cx.lookup_write(&key).is_none() {
        cx.reply().int(0);
        return Ok(());
    }
    if f != 0 {
        let current = cx.db().expire_at_ms(&key);
        let refuse = (f & NX != 0 && current.is_some())
            || (f & XX != 0 && current.is_none())
            || (f & GT != 0 && current.is_none_or(|c| when <= c))
            || (f & LT != 0 && current.is_some_and(|c| when >= c));
        if refuse {
            cx.reply().int(0);
            return Ok(());
        }
    }
    if when <= cx.srv.now_ms && !cx.srv.loading {
        cx.db().delete(&key);
        // Already in the past: what happened is a deletion.
        let del: &[u8] = if cx.srv.cfg.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        };
        cx.propagate_as(&[del, &key]);
        cx.modified(&key);
        cx.notify(NOTIFY_GENERIC, "del", &key);
    } else {
        cx.db().set_expire(&key, when);
        // PEXPIREAT with the absolute time; NX/XX/GT/LT stay as sent.
        if cx.propagating() {
            let mut argv: Vec<&[u8]> = (0..cx.argc()).map(|i| cx.arg(i)).collect();
            let ms = crate::persistence::propagate::int_arg(when);
            argv[0] = b"PEXPIREAT";
            argv[2] = &ms;
            let owned: Vec<bytes::Bytes> = argv
                .iter()
                .map(|a| bytes::Bytes::copy_from_slice(a))
                .collect();
            crate::persistence::propagate::set_rewrite(cx.srv, owned);
        }
        cx.modified(&key);
        cx.notify(NOTIFY_GENERIC, "expire", &key);
    }
    cx.dirty(1);
    cx.reply().int(1);
    Ok(())
}

pub fn expire(cx: &mut Ctx) -> CmdResult {
    let now = cx.srv.now_ms;
    expire_generic(cx, now, true)
}

pub fn pexpire(cx: &mut Ctx) -> CmdResult {
    let now = cx.srv.now_ms;
    expire_generic(cx, now, false)
}

pub fn expireat(cx: &mut Ctx) -> CmdResult {
    expire_generic(cx, 0, true)
}

pub fn pexpireat(cx: &mut Ctx) -> CmdResult {
    expire_generic(cx, 0, false)
}

/// TTL and friends: -2 missing, -1 no TTL, else relative or absolute time.
fn ttl_generic(cx: &mut Ctx, ms: bool, absolute: bool) -> CmdResult {
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let expired = crate::db::expire::expire_if_needed(cx.srv, db, &key);
    if expired || !cx.srv.dbs[db].keys.contains_key(&key) {
        cx.srv.stats.keyspace_misses += 1;
        cx.reply().int(-2);
        return Ok(());
    }
    cx.srv.stats.keyspace_hits += 1;
    let Some(when) = cx.db().expire_at_ms(&key) else {
        cx.reply().int(-1);
        return Ok(());
    };
    let t = if absolute {
        when
    } else {
        (when - cx.srv.now_ms).max(0)
    };
    cx.reply().int(if ms { t } else { (t + 500) / 1000 });
    Ok(())
}

pub fn ttl(cx: &mut Ctx) -> CmdResult {
    ttl_generic(cx, false, false)
}

pub fn pttl(cx: &mut Ctx) -> CmdResult {
    ttl_generic(cx, true, false)
}

pub fn expiretime(cx: &mut Ctx) -> CmdResult {
    ttl_generic(cx, false, true)
}

pub fn pexpiretime(cx: &mut Ctx) -> CmdResult {
    ttl_generic(cx, true, true)
}

pub fn persist(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    if cx.lookup_write(&key).is_none() {
        cx.reply().int(0);
        return Ok(());
    }
    let removed = cx.db().persist(&key);
    if removed {
        cx.modified(&key);
        cx.notify(NOTIFY_GENERIC, "persist", &key);
        cx.dirty(1);
    }
    cx.reply().int(removed as i64);
    Ok(())
}
