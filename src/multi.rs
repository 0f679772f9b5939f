//! Transactions and optimistic locking (Redis' multi.c): the queue a client
//! builds between MULTI and EXEC, and WATCH.
//!
//! WATCH bookkeeping is kept on both sides, as in Redis:
//! * each `Db` maps a watched key to its watchers (`Db::watched_keys`):
//!   the client slot, and whether the key was already logically expired
//!   when watched (an expired key that is then deleted is no change);
//! * the client keeps the (db, key) pairs it watches, to unwatch them.
//!
//! Touching a key (`touch_watched_key`, from `db::signal_modified_key`)
//! marks its watchers CLIENT_DIRTY_CAS, so their EXEC answers a null array.
//! The running client is not in the client table while its command runs:
//! its flag goes through `Server::exec_flags` (see commands::call).

use bytes::Bytes;

use crate::commands::CmdId;
use crate::net::client::{flags, Client};
use crate::server::{Server, CLIENT_TOKEN_BASE};

/// Server-wide transaction state.
#[derive(Default)]
pub struct MultiState {
    /// Clients with at least one WATCHed key (a fast "nobody watches").
    pub watching_clients: usize,
}

/// One watcher of a key, in `Db::watched_keys`.
#[derive(Clone, Copy, Debug)]
pub struct Watcher {
    pub slot: usize,
    /// The key was logically expired when WATCH ran.
    pub expired: bool,
}

/// A command queued between MULTI and EXEC.
pub struct Queued {
    pub id: CmdId,
    pub argv: Vec<Bytes>,
}

/// A client's transaction: its queue and its watched keys.
#[derive(Default)]
pub struct ClientMulti {
    pub queue: Vec<Queued>,
    /// OR of the queued commands' flags, and of their complements (to ask
    /// "does any queued command lack flag X").
    pub cmd_flags: u64,
    pub cmd_inv_flags: u64,
    /// Bytes of the queued arguments (CLIENT LIST multi-mem).
    pub argv_mem: usize,
    pub watched: Vec<(usize, Bytes)>,
}

fn slot_of(c: &Client) -> usize {
    c.token - CLIENT_TOKEN_BASE
}

/// Whether `key` in `db` has a TTL in the past (keyIsExpired), without
/// deleting it.
pub fn key_is_expired(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    if srv.loading {
        return false;
    }
    let now = srv.now_ms;
    srv.dbs[db].expire_at_ms(key).is_some_and(|w| w <= now)
}

/// WATCH one key in the client's current db (watchForKey).
pub fn watch_key(srv: &mut Server, c: &mut Client, key: &Bytes) {
    let db = c.db;
    let m = c.mstate.get_or_insert_with(Default::default);
    if m.watched.iter().any(|(d, k)| *d == db && k == key) {
        return;
    }
    if m.watched.is_empty() {
        srv.multi.watching_clients += 1;
    }
    m.watched.push((db, key.clone()));
    let expired = key_is_expired(srv, db, key);
    srv.dbs[db]
        .watched_keys
        .entry(key.clone())
        .or_default()
        .push(Watcher {
            slot: slot_of(c),
            expired,
        });
}

/// Forget every key the client watches (unwatchAllKeys); the DIRTY_CAS
/// flag is the caller's business.
pub fn unwatch_all(srv: &mut Server, c: &mut Client) {
    let Some(m) = c.mstate.as_mut() else {
        return;
    };
    if m.watched.is_empty() {
        return;
    }
    let slot = c.token - CLIENT_TOKEN_BASE;
    for (db, key) in m.watched.drain(..) {
        let table = &mut srv.dbs[db].watched_keys;
        if let Some(list) = table.get_mut(&key) {
            list.retain(|w| w.slot != slot);
            if list.is_empty() {
                table.remove(&key);
            }
        }
    }
    srv.multi.watching_clients -= 1;
}

/// Whether a key watched while it still existed has expired since
/// (isWatchedKeyExpired): EXEC then fails.
pub fn watched_key_expired(srv: &mut Server, c: &Client) -> bool {
    let Some(m) = c.mstate.as_ref() else {
        return false;
    };
    let slot = slot_of(c);
    for (db, key) in &m.watched {
        let was_expired = srv.dbs[*db]
            .watched_keys
            .get(key)
            .and_then(|l| l.iter().find(|w| w.slot == slot))
            .is_some_and(|w| w.expired);
        if !was_expired && key_is_expired(srv, *db, key) {
            return true;
        }
    }
    false
}

/// Mark a client slot DIRTY_CAS, also when it is the running client.
fn mark_dirty(srv: &mut Server, slot: usize) {
    if slot == srv.exec_slot {
        srv.exec_flags |= flags::DIRTY_CAS;
    } else if let Some(Some(c)) = srv.clients.get_mut(slot) {
        c.flags |= flags::DIRTY_CAS;
    }
}

/// A key changed: its watchers' next EXEC fails (touchWatchedKey).
pub fn touch_watched_key(srv: &mut Server, db: usize, key: &[u8]) {
    if !srv.dbs[db].watched_keys.contains_key(key) {
        return;
    }
    let exists = srv.dbs[db].keys.contains_key(key);
    let mut dirty = Vec::new();
    let list = match srv.dbs[db].watched_keys.get_mut(key) {
        Some(l) => l,
        None => return,
    };
    for w in list.iter_mut() {
        if w.expired {
            if !exists {
                // The expired key is now deleted: logically no change,
                // and from now on the key is simply absent.
                w.expired = false;
                continue;
            }
            // Redis stops at such a watcher (the remaining ones are not
            // marked); kept for identical behaviour.
            break;
        }
        dirty.push(w.slot);
    }
    for slot in dirty {
        mark_dirty(srv, slot);
    }
}

/// A whole db was emptied or swapped (touchAllWatchedKeysInDb): watchers
/// of keys that existed in it — or, for SWAPDB, exist in the db that
/// replaces it — are marked dirty.
pub fn touch_all_watched_keys_in_db(
    srv: &mut Server,
    emptied: usize,
    replaced_with: Option<usize>,
) {
    if srv.dbs[emptied].watched_keys.is_empty() {
        return;
    }
    let keys: Vec<Bytes> = srv.dbs[emptied].watched_keys.keys().cloned().collect();
    let mut dirty = Vec::new();
    for key in keys {
        let in_emptied = srv.dbs[emptied].keys.contains_key(&key);
        let in_other = replaced_with.is_some_and(|r| srv.dbs[r].keys.contains_key(&key));
        if !in_emptied && !in_other {
            continue;
        }
        let other_expired = match replaced_with {
            Some(r) if in_other => key_is_expired(srv, r, &key),
            _ => false,
        };
        let Some(list) = srv.dbs[emptied].watched_keys.get_mut(&key) else {
            continue;
        };
        for w in list.iter_mut() {
            if w.expired {
                if !in_other {
                    w.expired = false;
                    continue;
                } else if other_expired {
                    continue;
                }
            } else if !in_emptied && other_expired {
                // A missing key replaced by an expired one: still absent.
                w.expired = true;
                continue;
            }
            dirty.push(w.slot);
        }
    }
    for slot in dirty {
        mark_dirty(srv, slot);
    }
}

/// Leave MULTI, dropping the queue and the watched keys (discardTransaction).
pub fn discard(srv: &mut Server, c: &mut Client) {
    unwatch_all(srv, c);
    c.mstate = None;
    c.flags &= !(flags::MULTI | flags::DIRTY_CAS | flags::DIRTY_EXEC);
}

/// A command was refused while in MULTI: EXEC will abort (flagTransaction).
pub fn flag_transaction(c: &mut Client) {
    if c.flags & flags::MULTI != 0 {
        c.flags |= flags::DIRTY_EXEC;
    }
}

/// Queue the client's current command (queueMultiCommand); nothing is
/// kept once the transaction is doomed.
pub fn queue_command(c: &mut Client, id: CmdId, cmd_flags: u64) {
    if c.flags & (flags::DIRTY_CAS | flags::DIRTY_EXEC) != 0 {
        return;
    }
    let argv = std::mem::take(&mut c.argv);
    let m = c.mstate.get_or_insert_with(Default::default);
    m.argv_mem += argv.iter().map(|a| a.len()).sum::<usize>() + argv.len() * 8;
    m.cmd_flags |= cmd_flags;
    m.cmd_inv_flags |= !cmd_flags;
    m.queue.push(Queued { id, argv });
}

/// Commands queued so far (CLIENT LIST multi=, -1 outside MULTI).
pub fn queued_count(c: &Client) -> i64 {
    if c.flags & flags::MULTI == 0 {
        return -1;
    }
    c.mstate.as_ref().map_or(0, |m| m.queue.len() as i64)
}

/// Memory the transaction holds (multiStateMemOverhead).
pub fn mem_overhead(c: &Client) -> usize {
    c.mstate.as_ref().map_or(0, |m| {
        m.argv_mem + m.watched.len() * 40 + m.queue.capacity() * std::mem::size_of::<Queued>()
    })
}
