//! Freeing big values away from the event loop (Redis' lazyfree.c and its
//! bio lazy-free thread).
//!
//! UNLINK, FLUSHALL/FLUSHDB ASYNC and the lazyfree-lazy-* paths hand a
//! value over here. One whose freeing costs more than `THRESHOLD`
//! allocations (Redis' effort estimate: list nodes, hash-table entries,
//! stream nodes and PEL entries...) is sent to a background thread that
//! just drops it; anything cheaper is dropped on the spot, since a channel
//! round trip would cost more. INFO's `lazyfree_pending_objects` and
//! `lazyfreed_objects` count what went through the thread.
//!
//! Values own all their memory (no shared pointers into the dataset), so
//! dropping one on another thread is safe; jemalloc frees across threads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, OnceLock};

use crate::db::dict::Dict;
use crate::types::key::Key;
use crate::types::value::{Obj, Value};

/// Redis' LAZYFREE_THRESHOLD: values cheaper than this are freed inline.
pub const THRESHOLD: usize = 64;

static PENDING: AtomicU64 = AtomicU64::new(0);
static FREED: AtomicU64 = AtomicU64::new(0);

enum Job {
    Obj(Obj),
    Db(Dict<Key, Obj>, Dict<Key, i64>),
}

fn worker() -> Option<&'static Mutex<Sender<Job>>> {
    static TX: OnceLock<Option<Mutex<Sender<Job>>>> = OnceLock::new();
    TX.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || {
                for job in rx {
                    let n = match job {
                        Job::Obj(o) => {
                            drop(o);
                            1
                        }
                        Job::Db(keys, expires) => {
                            let n = keys.len() as u64;
                            drop(keys);
                            drop(expires);
                            n
                        }
                    };
                    PENDING.fetch_sub(n, Ordering::Relaxed);
                    FREED.fetch_add(n, Ordering::Relaxed);
                }
            });
        spawned.ok().map(|_| Mutex::new(tx))
    })
    .as_ref()
}

/// lazyfreeGetFreeEffort: roughly how many allocations freeing `v` takes.
pub fn free_effort(v: &Value) -> usize {
    match v {
        Value::List(l) => l.node_count(),
        Value::Set(s) if s.as_intset().is_none() => s.len(),
        Value::Hash(h) if h.listpack().is_none() => h.len(),
        Value::ZSet(z) if z.listpack().is_none() => z.len(),
        Value::Stream(s) => {
            // Every node is an allocation; groups are estimated from the
            // first one's PEL, as Redis does.
            let mut effort = s.rax_nodes() as usize;
            if let Some(g) = s.groups.values().next() {
                effort += s.groups.len() * (1 + g.pel.len());
            }
            effort
        }
        _ => 1,
    }
}

/// Hands `job` to the thread; if there is none it is dropped right here
/// (the caller's value is freed either way).
fn send(job: Job, n: u64) {
    let Some(tx) = worker() else {
        return;
    };
    let Ok(tx) = tx.lock() else {
        return;
    };
    PENDING.fetch_add(n, Ordering::Relaxed);
    if tx.send(job).is_err() {
        PENDING.fetch_sub(n, Ordering::Relaxed);
    }
}

/// freeObjAsync: drop `o` in the background if it is big enough to matter.
pub fn free_obj(o: Obj) {
    if free_effort(&o.val) > THRESHOLD {
        send(Job::Obj(o), 1);
    }
}

/// emptyDbAsync: drop a whole keyspace in the background.
pub fn free_db(keys: Dict<Key, Obj>, expires: Dict<Key, i64>) {
    let n = keys.len() as u64;
    if n == 0 {
        return;
    }
    send(Job::Db(keys, expires), n);
}

/// INFO: objects waiting to be freed, and freed so far.
pub fn pending() -> u64 {
    PENDING.load(Ordering::Relaxed)
}

pub fn freed() -> u64 {
    FREED.load(Ordering::Relaxed)
}

/// CONFIG RESETSTAT.
pub fn reset_stats() {
    FREED.store(0, Ordering::Relaxed);
}
