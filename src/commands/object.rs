//! OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ|HELP (object.c objectCommand).

use super::{help::reply_help, Ctx};
use crate::cron::LRU_CLOCK_MAX;
use crate::errors::{CmdError, CmdResult};
use crate::types::value::{Obj, Value, OBJ_SHARED_INTEGERS};

/// The object at argv[2] without touching its LRU (LOOKUP_NOTOUCH), or a
/// null reply when missing.
fn with_obj<T>(cx: &mut Ctx, f: impl FnOnce(&Obj) -> T) -> Option<T> {
    let key = cx.arg_bytes(2);
    crate::db::expire::expire_if_needed(cx.srv, cx.c.db, &key);
    match cx.srv.dbs[cx.c.db].keys.peek(&key) {
        Some(o) => Some(f(o)),
        None => {
            cx.reply().null();
            None
        }
    }
}

pub fn encoding(cx: &mut Ctx) -> CmdResult {
    if let Some(name) = with_obj(cx, |o| o.val.encoding_name()) {
        cx.reply().bulk(name.as_bytes());
    }
    Ok(())
}

pub fn refcount(cx: &mut Ctx) -> CmdResult {
    let shared_ok = !(cx.srv.cfg.maxmemory_policy.is_lru() || cx.srv.cfg.maxmemory_policy.is_lfu());
    if let Some(n) = with_obj(cx, |o| match o.val {
        // Small integers are shared objects in Redis (refcount INT_MAX),
        // unless an LRU/LFU policy needs a per-key access time.
        Value::Int(v) if shared_ok && (0..OBJ_SHARED_INTEGERS).contains(&v) => i32::MAX as i64,
        _ => 1,
    }) {
        cx.reply().int(n);
    }
    Ok(())
}

const LFU_SWITCH_NOTE: &str = "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

pub fn idletime(cx: &mut Ctx) -> CmdResult {
    if cx.srv.cfg.maxmemory_policy.is_lfu() {
        return Err(CmdError::owned(format!(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. {LFU_SWITCH_NOTE}"
        )));
    }
    let now = cx.srv.lruclock;
    if let Some(idle) = with_obj(cx, |o| {
        if now >= o.lru {
            now - o.lru
        } else {
            now + (LRU_CLOCK_MAX - o.lru)
        }
    }) {
        cx.reply().int(idle as i64);
    }
    Ok(())
}

pub fn freq(cx: &mut Ctx) -> CmdResult {
    if !cx.srv.cfg.maxmemory_policy.is_lfu() {
        return Err(CmdError::owned(format!(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. {LFU_SWITCH_NOTE}"
        )));
    }
    let (decay, now) = (cx.srv.cfg.lfu_decay_time as i64, cx.srv.unixtime);
    if let Some(f) = with_obj(cx, |o| crate::db::lru::lfu_decayed(o.lru, decay, now)) {
        cx.reply().int(f as i64);
    }
    Ok(())
}

pub fn help(cx: &mut Ctx) -> CmdResult {
    reply_help(
        cx,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Name of the internal representation used to store the value at <key>.",
            "FREQ <key>",
            "    Access frequency counter of <key> (only with an LFU maxmemory policy).",
            "IDLETIME <key>",
            "    Seconds since <key> was last read or written (not with an LFU policy).",
            "REFCOUNT <key>",
            "    Number of references held to the value at <key>.",
        ],
    );
    Ok(())
}
