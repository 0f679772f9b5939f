//! Clients blocked on keys (Redis' blocked.c): BLPOP and friends park the
//! client until one of its keys gets data, its timeout passes, or CLIENT
//! UNBLOCK ends the wait.
//!
//! Bookkeeping, as in Redis:
//! * each `Db` maps a key to the FIFO of client slots blocked on it
//!   (`blocking_keys`), and the client keeps what it waits for
//!   (`Client::blocked`);
//! * adding a list or sorted set under a watched key queues it in the
//!   db's `ready` list (`Db::add`/`Db::set` do it, like Redis' dbAdd);
//! * after each command, `handle_ready_keys` serves the clients of every
//!   ready key in the order they blocked, until the key runs out; serving
//!   BLMOVE may make another key ready, so it loops until nothing is left;
//! * deadlines sit in an ordered set, so the loop can sleep until the
//!   nearest one and expire exactly the clients that are due;
//! * while a client is served it stands in as the running client (Redis
//!   sets current_client), so the keyspace events and WATCH signals of its
//!   pop or move reach it too.
//!
//! A blocked client's later requests stay in its query buffer; once
//! unblocked it is queued to run them (flag UNBLOCKED).

use std::collections::VecDeque;

use bytes::Bytes;

use crate::commands::CmdId;
use crate::net::client::{flags, Client};
use crate::server::{Server, CLIENT_TOKEN_BASE};
use crate::types::key::Key;
use crate::types::value::Value;

pub use crate::types::quicklist::End;

/// What a blocked client will do once a key is ready.
#[derive(Clone, Debug)]
pub enum BlockOp {
    /// BLPOP / BRPOP (`count` None) and BLMPOP (`count` Some).
    ListPop { from: End, count: Option<usize> },
    /// BLMOVE and BRPOPLPUSH: pop from the ready key, push to `dst`.
    ListMove {
        dst: Bytes,
        from: End,
        to: End,
        rpoplpush: bool,
    },
    /// BZPOPMIN / BZPOPMAX (`count` None) and BZMPOP (`count` Some).
    ZPop { max: bool, count: Option<usize> },
    /// WAIT: until `replicas` replicas acknowledged `offset` (no keys).
    Wait { offset: i64, replicas: usize },
    /// SHUTDOWN waiting for replicas: the process exits, or the attempt
    /// fails and the client gets an error.
    Shutdown,
    /// XREAD / XREADGROUP: per key the ID entries must be greater than
    /// (for a group, its last delivered ID is read again when served).
    XRead(Box<XReadWait>),
}

/// What a client blocked in XREAD / XREADGROUP waits for.
#[derive(Clone, Debug)]
pub struct XReadWait {
    pub ids: Vec<(Bytes, crate::types::stream::StreamId)>,
    /// Entries to deliver at most (COUNT, or 1000).
    pub count: usize,
    /// XREADGROUP: group name, consumer name, NOACK.
    pub group: Option<(Bytes, Bytes, bool)>,
}

impl BlockOp {
    /// Whether a value of this type can serve the operation.
    fn served_by(&self, v: &Value) -> bool {
        match self {
            BlockOp::ListPop { .. } | BlockOp::ListMove { .. } => matches!(v, Value::List(_)),
            BlockOp::ZPop { .. } => matches!(v, Value::ZSet(_)),
            BlockOp::XRead(_) => matches!(v, Value::Stream(_)),
            BlockOp::Wait { .. } | BlockOp::Shutdown => false,
        }
    }
}

/// A client's wait: its keys (without repeats), deadline and operation.
#[derive(Debug)]
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Bytes>,
    /// Absolute Unix ms; 0 waits forever.
    pub deadline_ms: i64,
    pub op: BlockOp,
    /// The blocking command, for its stats when it finally completes.
    pub cmd: CmdId,
    /// Its arguments, for the slow log then (`block` fills this in).
    pub argv: Vec<Bytes>,
}

/// Whether a value added under `key` may wake a blocked client: the Db
/// calls this from add/set (signalKeyAsReady).
pub fn may_serve(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::ZSet(_) | Value::Stream(_))
}

/// Park `c` (whose slot is its token's) until a key of `b` is ready.
pub fn block(srv: &mut Server, c: &mut Client, mut b: Blocked) {
    let slot = c.token - CLIENT_TOKEN_BASE;
    b.argv = c.argv.clone();
    let mut seen: Vec<Bytes> = Vec::with_capacity(b.keys.len());
    for k in b.keys.drain(..) {
        if seen.contains(&k) {
            continue;
        }
        let db = &mut srv.dbs[b.db];
        match db.blocking_keys.get_mut(&k) {
            Some(q) => q.push_back(slot),
            None => db
                .blocking_keys
                .insert_new(Key::new(&k), VecDeque::from([slot])),
        }
        seen.push(k);
    }
    b.keys = seen;
    if b.deadline_ms > 0 {
        srv.block_deadlines.insert((b.deadline_ms, c.id, slot));
    }
    c.flags |= flags::BLOCKED;
    c.blocked = Some(Box::new(b));
    srv.blocked_clients += 1;
}

/// Forget `c`'s wait (unblockClient without the reply): its key queues, its
/// deadline and the counters. The caller decides what it is told.
pub fn forget(srv: &mut Server, c: &mut Client) {
    let Some(b) = c.blocked.take() else {
        return;
    };
    let slot = c.token - CLIENT_TOKEN_BASE;
    if matches!(b.op, BlockOp::Wait { .. }) {
        srv.repl.waiting.retain(|&s| s != slot);
    }
    let db = &mut srv.dbs[b.db];
    for k in &b.keys {
        let emptied = match db.blocking_keys.get_mut(k) {
            Some(q) => {
                q.retain(|&s| s != slot);
                q.is_empty()
            }
            None => false,
        };
        if emptied {
            db.blocking_keys.remove(k);
        }
    }
    if b.deadline_ms > 0 {
        srv.block_deadlines.remove(&(b.deadline_ms, c.id, slot));
    }
    c.flags &= !flags::BLOCKED;
    srv.blocked_clients -= 1;
}

/// End `c`'s wait after its reply was written: it goes on with whatever
/// requests it sent meanwhile.
fn finish(srv: &mut Server, c: &mut Client, cmd: CmdId, start_ns: u64, failed: bool) {
    let argv = c.blocked.as_mut().map(|b| std::mem::take(&mut b.argv));
    forget(srv, c);
    let usec = crate::server::mono_ns().saturating_sub(start_ns) / 1000;
    if let Some(argv) = argv {
        // The slow log shows the command as sent; the client's argv has
        // moved on to whatever it sent after it.
        let later = std::mem::replace(&mut c.argv, argv);
        crate::commands::slowlog_push(srv, c, usec);
        c.argv = later;
    }
    let tracking = srv.cfg.latency_tracking;
    let st = &mut srv.commands.get_mut(cmd).stats;
    st.calls += 1;
    st.usec += usec;
    if failed {
        st.failed_calls += 1;
    }
    if tracking {
        st.record_latency(usec);
    }
    // The time it took to serve the woken client (updateStatsOnUnblock).
    srv.latency_sample("command-unblocking", usec);
    c.flags |= flags::UNBLOCKED;
    srv.pending_reads.push(c.token - CLIENT_TOKEN_BASE);
}

/// Whether any key is waiting to be served (cheap when nobody blocks).
#[inline]
pub fn has_ready_keys(srv: &Server) -> bool {
    srv.blocked_clients > 0 && srv.dbs.iter().any(|d| !d.ready.is_empty())
}

/// Serve the clients blocked on every ready key (handleClientsBlockedOnKeys).
pub fn handle_ready_keys(srv: &mut Server) {
    loop {
        let mut batch = Vec::new();
        for (i, db) in srv.dbs.iter_mut().enumerate() {
            for k in db.ready.drain(..) {
                batch.push((i, k));
            }
        }
        if batch.is_empty() {
            // A key found expired while serving left its DEL queued.
            crate::persistence::propagate::propagate_pending(srv, true);
            return;
        }
        for (db, key) in batch {
            // Expiry is judged against the time now, not the pushing
            // command's start (a MULTI may have slept meanwhile), as
            // handleClientsBlockedOnKeys refreshes the cached time.
            srv.update_cached_time();
            serve_key(srv, db, key.as_bytes());
        }
    }
}

/// Serve, in FIFO order, the clients waiting on one ready key, while the
/// key still holds something they can take.
fn serve_key(srv: &mut Server, db: usize, key: &[u8]) {
    let Some(queue) = srv.dbs[db].blocking_keys.get(key) else {
        return;
    };
    let waiting: Vec<usize> = queue.iter().copied().collect();
    for slot in waiting {
        // A key found expired is gone: only XREADGROUP waiters still have
        // something to be told.
        let expired = crate::db::expire::expire_if_needed(srv, db, key);
        let Some(Some(mut c)) = srv.clients.get_mut(slot).map(Option::take) else {
            continue;
        };
        let stream_wait = matches!(c.blocked.as_ref().map(|b| &b.op), Some(BlockOp::XRead(_)));
        let serves = if stream_wait {
            crate::commands::stream::blocked_can_serve(srv, &c, db, key)
        } else {
            !expired
                && match (srv.dbs[db].keys.peek(key), c.blocked.as_ref()) {
                    (Some(v), Some(b)) => b.op.served_by(&v.val),
                    _ => false,
                }
        };
        if serves {
            let start = crate::server::mono_ns();
            let errors_before = srv.stats.total_error_replies;
            let cmd = c.blocked.as_ref().map(|b| b.cmd);
            let outer = become_current(srv, &c);
            let mark = c.out.len();
            if stream_wait {
                crate::commands::stream::serve_blocked(srv, &mut c, db, key);
            } else {
                crate::commands::blocking::serve(srv, &mut c, key);
            }
            restore_current(srv, &mut c, mark, outer);
            if let Some(cmd) = cmd {
                let failed = srv.stats.total_error_replies != errors_before;
                finish(srv, &mut c, cmd, start, failed);
            }
        }
        srv.clients[slot] = Some(c);
        if serves {
            srv.queue_write(slot);
        }
    }
}

/// The running client's routing state (Server::exec_*), saved while a
/// blocked client is served in its place.
struct CurrentClient {
    slot: usize,
    resp3: bool,
    id: u64,
    out: Vec<u8>,
    flags: u32,
}

/// Make the served client the current one, as Redis points current_client
/// at the receiver: what its pop publishes or signals (a RESP3 client may
/// be subscribed, it may WATCH the key it pops) reaches it although it is
/// out of the client table, and tracking's NOLOOP sees it as the writer.
/// The pushing client's own pending messages and flags are kept aside.
fn become_current(srv: &mut Server, c: &Client) -> CurrentClient {
    let outer = CurrentClient {
        slot: srv.exec_slot,
        resp3: srv.exec_resp3,
        id: srv.exec_client_id,
        out: std::mem::take(&mut srv.exec_out),
        flags: std::mem::take(&mut srv.exec_flags),
    };
    srv.exec_slot = c.token - CLIENT_TOKEN_BASE;
    srv.exec_resp3 = c.resp == 3;
    srv.exec_client_id = c.id;
    outer
}

/// Hand the served client what reached it while it was current (messages
/// go before its reply, which starts at `mark`, as call() does), then put
/// the pushing client back.
fn restore_current(srv: &mut Server, c: &mut Client, mark: usize, outer: CurrentClient) {
    crate::pubsub::flush_exec_out(srv, c, mark);
    c.flags |= std::mem::take(&mut srv.exec_flags);
    srv.exec_slot = outer.slot;
    srv.exec_resp3 = outer.resp3;
    srv.exec_client_id = outer.id;
    srv.exec_out = outer.out;
    srv.exec_flags = outer.flags;
}

/// Answer a WAIT whose replicas acknowledged enough (`acked` of them).
pub fn finish_wait(srv: &mut Server, slot: usize, acked: usize) {
    let Some(Some(mut c)) = srv.clients.get_mut(slot).map(Option::take) else {
        return;
    };
    if let Some(cmd) = c.blocked.as_ref().map(|b| b.cmd) {
        c.reply().int(acked as i64);
        finish(srv, &mut c, cmd, crate::server::mono_ns(), false);
    }
    srv.clients[slot] = Some(c);
    srv.queue_write(slot);
}

/// The nearest deadline of a blocked client, in Unix ms.
pub fn next_deadline(srv: &Server) -> Option<i64> {
    srv.block_deadlines.first().map(|d| d.0)
}

/// Answer the clients whose timeout passed with a null array
/// (replyToBlockedClientTimedOut).
pub fn handle_timeouts(srv: &mut Server) {
    let now = crate::logging::now_ms();
    while let Some(&(when, _, slot)) = srv.block_deadlines.first() {
        if when > now {
            break;
        }
        let Some(Some(mut c)) = srv.clients.get_mut(slot).map(Option::take) else {
            srv.block_deadlines.pop_first();
            continue;
        };
        timed_out(srv, &mut c);
        srv.clients[slot] = Some(c);
        srv.queue_write(slot);
    }
}

fn timed_out(srv: &mut Server, c: &mut Client) {
    let Some((cmd, op)) = c.blocked.as_ref().map(|b| (b.cmd, b.op.clone())) else {
        return;
    };
    if let BlockOp::Wait { offset, .. } = op {
        // WAIT answers how many replicas got there in time.
        let n = crate::replication::master::count_acks(srv, offset);
        let slot = c.token - CLIENT_TOKEN_BASE;
        srv.repl.waiting.retain(|&s| s != slot);
        c.reply().int(n as i64);
    } else {
        c.reply().null_array();
    }
    finish(srv, c, cmd, crate::server::mono_ns(), false);
}

/// disconnectAllBlockedClients: a master turning replica answers every
/// blocked client with an error and closes it (what it waited for may now
/// arrive from the master, on another history).
pub fn disconnect_all_blocked(srv: &mut Server) {
    let slots: Vec<usize> = srv.client_slots().collect();
    for slot in slots {
        let Some(Some(mut c)) = srv.clients.get_mut(slot).map(Option::take) else {
            continue;
        };
        let blocked = c.flags & flags::BLOCKED != 0 && c.flags & flags::POSTPONED == 0;
        if blocked {
            let cmd = c.blocked.as_ref().map(|b| b.cmd);
            crate::commands::add_error_reply(
                srv,
                &mut c,
                "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
            );
            srv.repl.waiting.retain(|&s| s != slot);
            if let Some(cmd) = cmd {
                finish(srv, &mut c, cmd, crate::server::mono_ns(), true);
            }
            c.flags |= flags::CLOSE_AFTER_REPLY;
        }
        srv.clients[slot] = Some(c);
        if blocked {
            srv.queue_write(slot);
        }
    }
}

/// The clients blocked in SHUTDOWN get `err` (replyToClientsBlockedOnShutdown).
pub fn fail_shutdown_waiters(srv: &mut Server, err: &str) {
    let slots: Vec<usize> = srv.client_slots().collect();
    for slot in slots {
        let Some(Some(mut c)) = srv.clients.get_mut(slot).map(Option::take) else {
            continue;
        };
        let cmd = match c.blocked.as_ref() {
            Some(b) if matches!(b.op, BlockOp::Shutdown) => Some(b.cmd),
            _ => None,
        };
        if let Some(cmd) = cmd {
            crate::commands::add_error_reply(srv, &mut c, err);
            finish(srv, &mut c, cmd, crate::server::mono_ns(), true);
        }
        srv.clients[slot] = Some(c);
        if cmd.is_some() {
            srv.queue_write(slot);
        }
    }
}

/// CLIENT UNBLOCK: end the wait of the client in `slot` as a timeout, or
/// with an error. False when that client is not blocked.
pub fn unblock_by_request(srv: &mut Server, slot: usize, error: bool) -> bool {
    let Some(Some(mut c)) = srv.clients.get_mut(slot).map(Option::take) else {
        return false;
    };
    let blocked = c.flags & flags::BLOCKED != 0;
    if blocked {
        if error {
            let cmd = c.blocked.as_ref().map(|b| b.cmd);
            crate::commands::add_error_reply(
                srv,
                &mut c,
                "UNBLOCKED client unblocked via CLIENT UNBLOCK",
            );
            if let Some(cmd) = cmd {
                finish(srv, &mut c, cmd, crate::server::mono_ns(), true);
            }
        } else {
            timed_out(srv, &mut c);
        }
    }
    srv.clients[slot] = Some(c);
    if blocked {
        srv.queue_write(slot);
    }
    blocked
}
