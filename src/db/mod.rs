//! The databases: `Db` holds `keys` and `expires` (Redis' redisDb), with the
//! low-level add/overwrite/delete operations. Expiry policy (lazy and
//! active) lives in `expire.rs`; commands reach keys through `Ctx` helpers,
//! which apply lazy expiry and keep the stats.

pub mod dict;
pub mod digest;
pub mod expire;
pub mod lru;

use crate::types::key::Key;
use crate::types::value::Obj;
use dict::Dict;
use std::collections::VecDeque;

/// A key's value changed (Redis' signalModifiedKey): WATCH and client-side
/// caching learn of it. Every write to a key calls this (through
/// `Ctx::modified` in commands), next to its keyspace notification.
#[inline]
pub fn signal_modified_key(srv: &mut crate::server::Server, db: usize, key: &[u8]) {
    if srv.multi.watching_clients > 0 {
        crate::multi::touch_watched_key(srv, db, key);
    }
    crate::tracking::invalidate_key(srv, key, true);
}

/// A database (or, with None, every database) was emptied by FLUSHDB /
/// FLUSHALL (Redis' signalFlushedDb): call it before the keys go, so
/// WATCH sees which watched keys existed; client-side caches are flushed.
pub fn signal_flushed_db(srv: &mut crate::server::Server, dbid: Option<usize>, lazy: bool) {
    let ids: Vec<usize> = match dbid {
        Some(id) => vec![id],
        None => (0..srv.dbs.len()).collect(),
    };
    for id in ids {
        crate::multi::touch_all_watched_keys_in_db(srv, id, None);
    }
    crate::tracking::invalidate_on_flush(srv, lazy);
}

pub struct Db {
    pub id: usize,
    pub keys: Dict<Key, Obj>,
    /// Absolute Unix time in ms at which each volatile key expires; only
    /// keys with a TTL have an entry.
    pub expires: Dict<Key, i64>,
    /// Running average TTL of the keys sampled by the active expire cycle
    /// (INFO keyspace `avg_ttl`).
    pub avg_ttl: i64,
    /// Where the active expire cycle resumes scanning `expires`.
    pub expires_cursor: u64,
    /// Key -> slots of the clients blocked on it, in blocking order.
    pub blocking_keys: Dict<Key, VecDeque<usize>>,
    /// Keys with blocked clients that got a value since the last command
    /// (without repeats; served by blocking::handle_ready_keys).
    pub ready: Vec<Key>,
    /// On a writable replica: record keys given a TTL by our own clients
    /// (rememberSlaveKeyWithExpire), which only we can expire.
    pub track_local_expires: bool,
    pub local_expires: std::collections::HashSet<Vec<u8>>,
    /// WATCHed key -> its watchers (multi.rs).
    pub watched_keys: std::collections::HashMap<bytes::Bytes, Vec<crate::multi::Watcher>>,
}

impl Db {
    pub fn new(id: usize) -> Db {
        Db {
            id,
            keys: Dict::new(),
            expires: Dict::new(),
            avg_ttl: 0,
            expires_cursor: 0,
            blocking_keys: Dict::new(),
            ready: Vec::new(),
            track_local_expires: false,
            local_expires: Default::default(),
            watched_keys: Default::default(),
        }
    }

    /// The expire time of `key` in absolute ms, or None if it has no TTL.
    #[inline]
    pub fn expire_at_ms(&mut self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    /// Add or overwrite `key`, dropping any TTL unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], obj: Obj, keep_ttl: bool) {
        self.signal_ready(key, &obj);
        if let Some(old) = self.keys.get_mut(key) {
            *old = obj;
        } else {
            self.keys.insert_new(Key::new(key), obj);
        }
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.remove(key);
        }
    }

    /// Add `key`, which the caller knows is absent.
    pub fn add(&mut self, key: &[u8], obj: Obj) {
        self.signal_ready(key, &obj);
        self.keys.insert_new(Key::new(key), obj);
    }

    /// Queue `key` for the clients blocked on it when the new value may
    /// serve them (signalKeyAsReady).
    #[inline]
    fn signal_ready(&mut self, key: &[u8], obj: &Obj) {
        if self.blocking_keys.is_empty() || !crate::blocking::may_serve(&obj.val) {
            return;
        }
        if self.blocking_keys.contains_key(key) && !self.ready.iter().any(|k| k.as_bytes() == key) {
            self.ready.push(Key::new(key));
        }
    }

    /// Delete `key` and its TTL; returns the old value.
    pub fn delete(&mut self, key: &[u8]) -> Option<Obj> {
        let (_, obj) = self.keys.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(obj)
    }

    /// Set the absolute expire time of an existing key.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        if self.track_local_expires {
            self.local_expires.insert(key.to_vec());
        }
        if let Some(v) = self.expires.get_mut(key) {
            *v = when_ms;
        } else {
            self.expires.insert_new(Key::new(key), when_ms);
        }
    }

    /// Remove the TTL of `key`; true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Exchange the datasets of two databases (SWAPDB); the clients blocked
    /// on each db's keys stay with the db, and wake up if the data now
    /// there serves them (scanDatabaseForReadyKeys).
    pub fn swap_data(&mut self, other: &mut Db) {
        std::mem::swap(&mut self.keys, &mut other.keys);
        std::mem::swap(&mut self.expires, &mut other.expires);
        std::mem::swap(&mut self.avg_ttl, &mut other.avg_ttl);
        std::mem::swap(&mut self.expires_cursor, &mut other.expires_cursor);
        self.scan_ready();
        other.scan_ready();
    }

    fn scan_ready(&mut self) {
        let waited: Vec<Key> = self.blocking_keys.keys().cloned().collect();
        for k in waited {
            if let Some(o) = self.keys.peek(k.as_bytes()) {
                if crate::blocking::may_serve(&o.val) && !self.ready.contains(&k) {
                    self.ready.push(k);
                }
            }
        }
    }

    /// Drop every key (FLUSHDB); the old tables are returned so a caller can
    /// free them elsewhere (lazy free).
    pub fn take_all(&mut self) -> (Dict<Key, Obj>, Dict<Key, i64>) {
        self.avg_ttl = 0;
        self.expires_cursor = 0;
        (
            std::mem::replace(&mut self.keys, Dict::new()),
            std::mem::replace(&mut self.expires, Dict::new()),
        )
    }
}
