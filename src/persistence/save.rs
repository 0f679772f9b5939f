//! Writing values and whole snapshots in RDB version 10 (rdb.c's
//! rdbSaveObjectType / rdbSaveObject / rdbSaveKeyValuePair / rdbSaveRio).
//!
//! Every in-memory encoding has a direct RDB form, so nothing is converted
//! on the way out:
//!
//! | value                   | type byte          | body                          |
//! |-------------------------|--------------------|-------------------------------|
//! | string (any encoding)   | STRING             | string (int forms when short) |
//! | list (quicklist)        | LIST_QUICKLIST_2   | nodes: container + blob; a    |
//! |                         |                    | compressed node as its LZF    |
//! | hash listpack / table   | HASH_LISTPACK/HASH | listpack blob / len + pairs   |
//! | set intset / table      | SET_INTSET / SET   | intset blob / len + members   |
//! | zset listpack / index   | ZSET_LISTPACK/ZSET_2 | blob / len + (member, f64), |
//! |                         |                    | highest score first           |
//!
//! This module knows values and databases only; `mod.rs` feeds it the
//! server's state and owns files.

use std::io::{self, Write};

use super::rdb::*;
use crate::cron::LRU_CLOCK_MAX;
use crate::db::Db;
use crate::types::listpack::Entry;
use crate::types::value::{Obj, Value};

/// What decides the bytes besides the data: config and clocks at save time.
#[derive(Clone, Copy, Debug)]
pub struct SaveOpts {
    /// Write IDLE (an LRU maxmemory-policy) or FREQ (LFU) before each key.
    pub lru: bool,
    pub lfu: bool,
    pub lfu_decay_time: i64,
    pub lruclock: u32,
    pub unix_secs: i64,
    /// `rdb-key-save-delay`: microseconds to sleep after each key (tests
    /// use it to keep a BGSAVE running); negative -N sleeps 1 us with
    /// probability 1/N, as Redis' debugDelay.
    pub key_save_delay_us: i64,
}

impl SaveOpts {
    /// No LRU/LFU opcodes (DUMP payloads and tests).
    pub fn plain() -> Self {
        SaveOpts {
            lru: false,
            lfu: false,
            lfu_decay_time: 1,
            lruclock: 0,
            unix_secs: 0,
            key_save_delay_us: 0,
        }
    }
}

/// The aux fields of a snapshot (rdbSaveInfoAuxFields).
pub struct AuxInfo<'a> {
    pub ctime: i64,
    pub used_mem: u64,
    pub repl_id: &'a str,
    pub repl_offset: i64,
    /// The db the replication stream last selected (repl-stream-db).
    pub repl_stream_db: usize,
    pub aof_base: bool,
}

/// The RDB type byte of a value (rdbSaveObjectType).
pub fn value_type(v: &Value) -> u8 {
    match v {
        Value::Int(_) | Value::Inline(_) | Value::Emb(_) | Value::Raw(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Hash(h) if h.listpack().is_some() => TYPE_HASH_LISTPACK,
        Value::Hash(_) => TYPE_HASH,
        Value::Set(s) if s.as_intset().is_some() => TYPE_SET_INTSET,
        Value::Set(_) => TYPE_SET,
        Value::ZSet(z) => super::collections::zset_type(z),
        Value::Stream(_) => TYPE_STREAM_LISTPACKS_2,
    }
}

fn entry_string<W: Write>(w: &mut Writer<W>, e: Entry<'_>) -> io::Result<()> {
    match e {
        Entry::Str(s) => w.string(s),
        // An integer element is written from its text, which is what
        // Redis' rdbSaveRawString sees after decoding it.
        Entry::Int(v) => {
            let mut buf = [0u8; 20];
            w.string(crate::util::number::fmt_i64(v, &mut buf))
        }
    }
}

/// The value's body (rdbSaveObject), after its type byte.
pub fn write_value<W: Write>(w: &mut Writer<W>, v: &Value) -> io::Result<()> {
    match v {
        Value::Int(n) => w.int_string(*n),
        Value::Inline(_) | Value::Emb(_) | Value::Raw(_) => match v.as_str() {
            Some(crate::types::value::StrRef::Bytes(b)) => w.string(b),
            _ => w.string(b""),
        },
        Value::List(l) => super::collections::write_list(w, l),
        Value::Hash(h) => {
            if let Some(lp) = h.listpack() {
                return w.string(lp.as_bytes());
            }
            w.len(h.len() as u64)?;
            for (f, val) in h.iter() {
                entry_string(w, f)?;
                entry_string(w, val)?;
            }
            Ok(())
        }
        Value::Set(s) => {
            if let Some(is) = s.as_intset() {
                return w.string(is.as_bytes());
            }
            w.len(s.len() as u64)?;
            for m in s.iter() {
                entry_string(w, m)?;
            }
            Ok(())
        }
        Value::ZSet(z) => super::collections::write_zset(w, z),
        Value::Stream(s) => super::stream_rdb::write_stream(w, s),
    }
}

/// One key with its expire and LRU/LFU opcodes (rdbSaveKeyValuePair).
pub fn write_key_value<W: Write>(
    w: &mut Writer<W>,
    key: &[u8],
    obj: &Obj,
    expire_at_ms: Option<i64>,
    o: &SaveOpts,
) -> io::Result<()> {
    if let Some(ms) = expire_at_ms {
        w.byte(OPCODE_EXPIRETIME_MS)?;
        w.millis(ms)?;
    }
    if o.lru {
        // estimateObjectIdleTime, in seconds.
        let idle = if o.lruclock >= obj.lru {
            o.lruclock - obj.lru
        } else {
            o.lruclock + (LRU_CLOCK_MAX - obj.lru)
        };
        w.byte(OPCODE_IDLE)?;
        w.len(idle as u64)?;
    }
    if o.lfu {
        let freq = crate::db::lru::lfu_decayed(obj.lru, o.lfu_decay_time, o.unix_secs);
        w.byte(OPCODE_FREQ)?;
        w.byte(freq.min(255) as u8)?;
    }
    w.byte(value_type(&obj.val))?;
    w.string(key)?;
    write_value(w, &obj.val)
}

/// A whole snapshot: header, aux fields, every non-empty database, EOF and
/// the checksum (0 when the writer does not checksum, as with
/// `rdbchecksum no`). `on_key` hears the running count of keys written
/// (a BGSAVE child reports progress from it).
pub fn write_rdb<W: Write>(
    w: &mut Writer<W>,
    dbs: &[Db],
    aux: &AuxInfo<'_>,
    o: &SaveOpts,
    on_key: &mut dyn FnMut(u64),
) -> io::Result<()> {
    w.raw(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
    w.aux("redis-ver", crate::REDIS_VERSION.as_bytes())?;
    w.aux("redis-bits", b"64")?;
    w.aux("ctime", aux.ctime.to_string().as_bytes())?;
    w.aux("used-mem", aux.used_mem.to_string().as_bytes())?;
    w.aux("repl-stream-db", aux.repl_stream_db.to_string().as_bytes())?;
    w.aux("repl-id", aux.repl_id.as_bytes())?;
    w.aux("repl-offset", aux.repl_offset.to_string().as_bytes())?;
    w.aux("aof-base", if aux.aof_base { b"1" } else { b"0" })?;
    let mut keys = 0u64;
    for db in dbs {
        write_db(w, db, o, &mut keys, on_key)?;
    }
    w.byte(OPCODE_EOF)?;
    let crc = w.crc();
    w.raw(&crc.to_le_bytes())
}

/// rdbSaveDb: SELECTDB, RESIZEDB, then every key.
fn write_db<W: Write>(
    w: &mut Writer<W>,
    db: &Db,
    o: &SaveOpts,
    keys: &mut u64,
    on_key: &mut dyn FnMut(u64),
) -> io::Result<()> {
    if db.keys.is_empty() {
        return Ok(());
    }
    w.byte(OPCODE_SELECTDB)?;
    w.len(db.id as u64)?;
    w.byte(OPCODE_RESIZEDB)?;
    w.len(db.keys.len() as u64)?;
    w.len(db.expires.len() as u64)?;
    for (k, obj) in db.keys.iter() {
        let key = k.as_bytes();
        let expire = if db.expires.is_empty() {
            None
        } else {
            db.expires.peek(key).copied()
        };
        write_key_value(w, key, obj, expire, o)?;
        if o.key_save_delay_us != 0 {
            debug_delay(o.key_save_delay_us);
        }
        *keys += 1;
        on_key(*keys);
    }
    Ok(())
}

/// debugDelay: sleep `us` microseconds; a negative -N sleeps one
/// microsecond with probability 1/N (rdb-key-save-delay, key-load-delay).
pub fn debug_delay(us: i64) {
    let us = if us < 0 {
        u64::from(crate::db::dict::random_below(us.unsigned_abs() as usize) == 0)
    } else {
        us as u64
    };
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us));
    }
}

/// Bytes the value takes in an RDB body (DEBUG OBJECT serializedlength,
/// rdbSavedObjectLen), with `rdbcompression` as configured.
pub fn serialized_len(v: &Value, compress: bool) -> u64 {
    let mut w = Writer::new(io::sink(), compress, false);
    match write_value(&mut w, v) {
        Ok(()) => w.written,
        Err(_) => 0,
    }
}
