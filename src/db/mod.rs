//! The databases: `Db` holds `keys` and `expires` (Redis' redisDb), with the
//! low-level add/overwrite/delete operations. Expiry policy (lazy and
//! active) lives in `expire.rs`; commands reach keys through `Ctx` helpers,
//! which apply lazy expiry and keep the stats.
//!
//! The free functions are the server-level hooks of db.c: `add_key`,
//! `put_key` and `set_key` (dbAdd / setKey) publish the `new` keyspace
//! event for a key that did not exist, `signal_modified_key` and
//! `signal_flushed_db` tell WATCH and client-side caching about changes.
//! `Db` itself cannot publish (it has no access to the clients), so a
//! command that creates a key must go through these, not `Db::add`.

pub mod dict;
pub mod digest;
pub mod expire;
pub mod lru;

use crate::types::key::Key;
use crate::types::value::{Obj, Value};
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

/// `signal_modified_key` for a change no client made (Redis'
/// signalModifiedKey with a NULL client: expiry, eviction). WATCH sees it
/// as any change; client-side caching tells NOLOOP BCAST clients of it even
/// when their own command found the key expired.
pub fn signal_modified_key_no_client(srv: &mut crate::server::Server, db: usize, key: &[u8]) {
    if srv.multi.watching_clients > 0 {
        crate::multi::touch_watched_key(srv, db, key);
    }
    crate::tracking::invalidate_key_no_client(srv, key);
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

/// Add `key`, which the caller knows is absent (Redis' dbAdd): besides
/// storing it, a new key is announced with the `new` keyspace event. Every
/// command path that creates a key goes through here or `put_key`.
pub fn add_key(srv: &mut crate::server::Server, db: usize, key: &[u8], obj: Obj) {
    srv.dbs[db].add(key, obj);
    crate::notify::keyspace_event(srv, crate::config::NOTIFY_NEW, "new", key, db);
}

/// Add or overwrite `key` (dbAdd or dbOverwrite, whichever applies),
/// dropping its TTL unless `keep_ttl`; `new` is published only when the
/// key was absent. No signalModifiedKey: for commands that signal later
/// themselves (APPEND, INCR, SETRANGE...). Returns whether it was added.
pub fn put_key(
    srv: &mut crate::server::Server,
    db: usize,
    key: &[u8],
    obj: Obj,
    keep_ttl: bool,
) -> bool {
    let added = srv.dbs[db].set(key, obj, keep_ttl);
    if added {
        crate::notify::keyspace_event(srv, crate::config::NOTIFY_NEW, "new", key, db);
    }
    added
}

/// Store a value as Redis' setKey does: a write lookup first (so a key
/// whose TTL passed is reported `expired` and then added as `new`), then
/// `put_key` and signalModifiedKey. The command still publishes its own
/// event (`set`, `sortstore`...).
pub fn set_key(srv: &mut crate::server::Server, db: usize, key: &[u8], obj: Obj, keep_ttl: bool) {
    expire::expire_if_needed(srv, db, key);
    put_key(srv, db, key, obj, keep_ttl);
    signal_modified_key(srv, db, key);
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
            keys: guarded_dict(),
            expires: expires_dict(),
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

    /// Add or overwrite `key`, dropping any TTL unless `keep_ttl`. Returns
    /// true if the key was added (it did not exist).
    pub fn set(&mut self, key: &[u8], obj: Obj, keep_ttl: bool) -> bool {
        self.signal_ready(key, &obj);
        let added = if let Some(old) = self.keys.get_mut(key) {
            // A stream replaced by anything wakes its XREADGROUP waiters
            // (they get an error), as dbOverwrite does.
            let was_stream = matches!(old.val, Value::Stream(_));
            *old = obj;
            if was_stream {
                self.signal_key_ready(key);
            }
            false
        } else {
            self.keys.insert_new(Key::new(key), obj);
            true
        };
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.remove(key);
        }
        added
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

    /// Queue `key` for its blocked clients whatever it holds now (XADD to
    /// an existing stream, XGROUP DESTROY, a stream deleted).
    pub fn signal_key_ready(&mut self, key: &[u8]) {
        if !self.blocking_keys.is_empty()
            && self.blocking_keys.contains_key(key)
            && !self.ready.iter().any(|k| k.as_bytes() == key)
        {
            self.ready.push(Key::new(key));
        }
    }

    /// Delete `key` and its TTL; returns the old value.
    pub fn delete(&mut self, key: &[u8]) -> Option<Obj> {
        let (_, obj) = self.keys.remove(key)?;
        if matches!(obj.val, Value::Stream(_)) {
            self.signal_key_ready(key);
        }
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

    /// After SWAPDB every waited key is re-examined: new data may serve
    /// its clients, and a stream that went away ends XREADGROUP waits
    /// (scanDatabaseForReadyKeys / scanDatabaseForDeletedStreams).
    fn scan_ready(&mut self) {
        let waited: Vec<Key> = self.blocking_keys.keys().cloned().collect();
        for k in waited {
            if !self.ready.contains(&k) {
                self.ready.push(k);
            }
        }
    }

    /// Before a flush: waited keys holding streams are queued, so their
    /// XREADGROUP clients learn the stream is gone.
    fn signal_streams_going(&mut self) {
        if self.blocking_keys.is_empty() {
            return;
        }
        let waited: Vec<Key> = self.blocking_keys.keys().cloned().collect();
        for k in waited {
            let stream = self
                .keys
                .peek(k.as_bytes())
                .is_some_and(|o| matches!(o.val, Value::Stream(_)));
            if stream && !self.ready.contains(&k) {
                self.ready.push(k);
            }
        }
    }

    /// Drop every key (FLUSHDB); the old tables are returned so a caller can
    /// free them elsewhere (lazy free).
    pub fn take_all(&mut self) -> (Dict<Key, Obj>, Dict<Key, i64>) {
        self.signal_streams_going();
        self.avg_ttl = 0;
        self.expires_cursor = 0;
        (
            std::mem::replace(&mut self.keys, guarded_dict()),
            std::mem::replace(&mut self.expires, expires_dict()),
        )
    }
}

/// A keyspace or expires table: it grows only if the new bucket array fits
/// under `maxmemory` (or the load factor gets too high), as Redis' db dict
/// types do with dictExpandAllowed; the check itself is `evict.rs`'.
fn guarded_dict<V>() -> Dict<Key, V> {
    let mut d = Dict::new();
    d.set_guarded(true);
    d
}

/// An expires table: guarded like the keyspace, and two entries per bucket
/// (see `Dict::set_entries_per_bucket`).
fn expires_dict() -> Dict<Key, i64> {
    let mut d = guarded_dict();
    d.set_entries_per_bucket(2);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::value::Value;

    fn obj(s: &[u8]) -> Obj {
        Obj {
            val: Value::from_bytes(s),
            lru: 0,
        }
    }

    /// `set` reports an add (which publishes `new`) only for an absent
    /// key, and keeps or drops the TTL as asked.
    #[test]
    fn set_reports_whether_the_key_was_added() {
        let mut db = Db::new(0);
        assert!(db.set(b"k", obj(b"1"), false));
        db.set_expire(b"k", 1_000);
        assert!(!db.set(b"k", obj(b"2"), true));
        assert_eq!(db.expire_at_ms(b"k"), Some(1_000));
        assert!(!db.set(b"k", obj(b"3"), false));
        assert_eq!(db.expire_at_ms(b"k"), None);
        db.delete(b"k");
        assert!(db.set(b"k", obj(b"4"), false));
        assert_eq!(db.len(), 1);
    }
}
