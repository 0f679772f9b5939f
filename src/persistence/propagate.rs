//! Command propagation: the one path by which the effects of a command
//! reach the AOF and the replicas. Mirrors server.c's call() /
//! alsoPropagate() / propagatePendingCommands() and db.c's
//! propagateDeletion().
//!
//! How a command's effects are collected:
//! * while a command runs, side effects that must be logged before it
//!   (a key the command found expired, SPOP's SREMs, a served blocked
//!   client's LPOP) are queued with `also_propagate`;
//! * when the handler returns, `end_call` queues the command itself if it
//!   changed the dataset (`dirty` moved) — as rewritten by the handler
//!   (`set_rewrite`, Redis' rewriteClientCommandVector) when the argv as
//!   sent is not deterministic (EXPIRE → PEXPIREAT, SPOP → SREM ...) —
//!   unless the handler asked for nothing (`prevent`);
//! * at the end of the top-level call the queue is flushed as one unit:
//!   several effects are wrapped in MULTI/EXEC so a reader (the AOF loader,
//!   a replica) applies them atomically; one effect goes alone.
//!
//! Deletions outside any command (active expiry) are flushed without the
//! MULTI/EXEC wrapper, as Redis' propagate_no_multi does.
//!
//! Invariant: nothing is queued unless someone listens (`should_propagate`),
//! so with the AOF off and no replicas a write command pays one branch and
//! no allocation.

use bytes::Bytes;

use crate::server::Server;

/// One effect to propagate: a command's argv in the context of a database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropOp {
    pub db: usize,
    pub argv: Vec<Bytes>,
    /// For the replicas only, not the AOF (PUBLISH: PROPAGATE_REPL).
    pub repl_only: bool,
}

/// Propagation state of the command being executed (the `also_propagate`
/// array plus the client flags Redis keeps for it).
#[derive(Default, Debug)]
pub struct PropState {
    /// Effects queued for the end of the top-level call.
    pub ops: Vec<PropOp>,
    /// What the running command propagates as, instead of its argv.
    rewrite: Option<Vec<Bytes>>,
    /// The running command propagates nothing of itself (preventCommandPropagation).
    prevent: bool,
    /// The running command propagates even if it changed nothing
    /// (forceCommandPropagation: FLUSHALL on an empty server).
    force: bool,
    /// Forced, but for the replication stream only (PUBLISH).
    force_repl: bool,
    /// Nesting of call() (EXEC, scripts): only the outermost flushes.
    depth: u32,
    /// The top-level command may touch arbitrary keys (SCAN, RANDOMKEY):
    /// the DELs of keys it found expired go out unwrapped, as active
    /// expiry's do (propagatePendingCommands).
    pub arbitrary_keys: bool,
}

/// What `begin_call` saved, for `end_call` to restore (call() is re-entrant).
pub struct CallMark {
    dirty: u64,
    rewrite: Option<Vec<Bytes>>,
    prevent: bool,
    force: bool,
    force_repl: bool,
}

/// Whether anyone listens to propagated commands (shouldPropagate): never
/// while loading; the AOF when it is on or waiting for its first rewrite.
#[inline]
pub fn should_propagate(srv: &Server) -> bool {
    !srv.loading
        && (srv.aof.state != super::aof::AofState::Off || crate::replication::master::feeding(srv))
}

/// Queue an effect for the end of the current execution unit (alsoPropagate).
pub fn also_propagate(srv: &mut Server, db: usize, argv: Vec<Bytes>) {
    if should_propagate(srv) {
        srv.prop.ops.push(PropOp {
            db,
            argv,
            repl_only: false,
        });
    }
}

/// A key removed by expiry (or eviction) goes out as DEL, or UNLINK when the
/// server frees lazily (propagateDeletion).
pub fn propagate_deletion(srv: &mut Server, db: usize, key: &[u8], lazy: bool) {
    if should_propagate(srv) {
        let cmd: &'static [u8] = if lazy { b"UNLINK" } else { b"DEL" };
        let argv = vec![Bytes::from_static(cmd), Bytes::copy_from_slice(key)];
        srv.prop.ops.push(PropOp {
            db,
            argv,
            repl_only: false,
        });
    }
}

/// Start of call(): clear the per-command state, remembering the caller's.
pub fn begin_call(srv: &mut Server) -> CallMark {
    srv.prop.depth += 1;
    CallMark {
        dirty: srv.dirty,
        rewrite: srv.prop.rewrite.take(),
        prevent: std::mem::take(&mut srv.prop.prevent),
        force: std::mem::take(&mut srv.prop.force),
        force_repl: std::mem::take(&mut srv.prop.force_repl),
    }
}

/// End of call(): queue the command itself when it changed the dataset,
/// then flush the queue if this was the outermost call (afterCommand).
/// `db` is the client's database after the command, `argv` as executed.
pub fn end_call(srv: &mut Server, mark: CallMark, db: usize, argv: &[Bytes]) {
    let rewrite = std::mem::replace(&mut srv.prop.rewrite, mark.rewrite);
    let prevent = std::mem::replace(&mut srv.prop.prevent, mark.prevent);
    let force = std::mem::replace(&mut srv.prop.force, mark.force);
    let force_repl = std::mem::replace(&mut srv.prop.force_repl, mark.force_repl);
    srv.prop.depth -= 1;
    let changed = srv.dirty > mark.dirty || force;
    if (changed || force_repl) && !prevent && should_propagate(srv) {
        let argv = rewrite.unwrap_or_else(|| argv.to_vec());
        srv.prop.ops.push(PropOp {
            db,
            argv,
            repl_only: !changed,
        });
    }
    if srv.prop.depth == 0 {
        let multi = !std::mem::take(&mut srv.prop.arbitrary_keys);
        propagate_pending(srv, multi);
    }
}

/// The running command propagates as `argv` (rewriteClientCommandVector).
pub fn set_rewrite(srv: &mut Server, argv: Vec<Bytes>) {
    srv.prop.rewrite = Some(argv);
}

/// The running command is not propagated itself; what it queued with
/// `also_propagate` still is (preventCommandPropagation).
pub fn prevent(srv: &mut Server) {
    srv.prop.prevent = true;
}

/// The running command is propagated even if `dirty` did not move.
pub fn force(srv: &mut Server) {
    srv.prop.force = true;
}

/// `force` for the replicas only: a PUBLISH reaches their subscribers
/// but is no part of the dataset, so the AOF does not keep it.
pub fn force_repl(srv: &mut Server) {
    srv.prop.force_repl = true;
}

/// Flush the queued effects (propagatePendingCommands): several are wrapped
/// in MULTI/EXEC when `multi`, one goes alone.
pub fn propagate_pending(srv: &mut Server, multi: bool) {
    if srv.prop.ops.is_empty() {
        return;
    }
    let ops = std::mem::take(&mut srv.prop.ops);
    let wrap = multi && ops.len() > 1;
    if wrap {
        // MULTI in the first effect's db, so a SELECT precedes it; EXEC in
        // the last one's, so none is injected before EXEC.
        propagate_now(srv, ops[0].db, &[Bytes::from_static(b"MULTI")]);
    }
    for op in &ops {
        if op.repl_only {
            crate::replication::master::feed(srv, op.db, &op.argv);
        } else {
            propagate_now(srv, op.db, &op.argv);
        }
    }
    if let (true, Some(last)) = (wrap, ops.last()) {
        propagate_now(srv, last.db, &[Bytes::from_static(b"EXEC")]);
    }
    // Keep the allocation for the next command.
    let mut ops = ops;
    ops.clear();
    if srv.prop.ops.is_empty() {
        srv.prop.ops = ops;
    }
}

/// Hand one effect to every listener (propagateNow): the AOF and the
/// replication stream.
fn propagate_now(srv: &mut Server, db: usize, argv: &[Bytes]) {
    super::aof::feed(srv, db, argv);
    crate::replication::master::feed(srv, db, argv);
}

/// Bytes for an integer argument (timestamps, counts).
pub fn int_arg(n: i64) -> Bytes {
    let mut buf = [0u8; 20];
    Bytes::copy_from_slice(crate::util::number::fmt_i64(n, &mut buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::aof::AofState;

    fn server_with_aof() -> Server {
        let mut srv = Server::new(crate::config::Config::default(), String::new(), None).unwrap();
        srv.aof.state = AofState::On;
        srv
    }

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    #[test]
    fn several_effects_are_wrapped_in_multi_exec_with_a_select_first() {
        let mut srv = server_with_aof();
        let mark = begin_call(&mut srv);
        propagate_deletion(&mut srv, 3, b"old", false);
        srv.dirty += 1;
        end_call(&mut srv, mark, 3, &argv(&["SET", "k", "v"]));
        let text = String::from_utf8(srv.aof.buf.clone()).unwrap();
        assert_eq!(
            text,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$5\r\nMULTI\r\n\
             *2\r\n$3\r\nDEL\r\n$3\r\nold\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
             *1\r\n$4\r\nEXEC\r\n"
        );
    }

    #[test]
    fn a_rewrite_replaces_the_argv_and_no_change_means_nothing() {
        let mut srv = server_with_aof();
        let mark = begin_call(&mut srv);
        set_rewrite(&mut srv, argv(&["PEXPIREAT", "k", "5"]));
        srv.dirty += 1;
        end_call(&mut srv, mark, 0, &argv(&["EXPIRE", "k", "1"]));
        let mark = begin_call(&mut srv);
        end_call(&mut srv, mark, 0, &argv(&["GET", "k"]));
        let text = String::from_utf8(srv.aof.buf.clone()).unwrap();
        assert!(text.ends_with("*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$1\r\n5\r\n"));
        assert!(!text.contains("GET") && !text.contains("EXPIRE\r"));
    }

    #[test]
    fn prevent_keeps_what_was_queued_and_nothing_is_queued_with_the_aof_off() {
        let mut srv = server_with_aof();
        let mark = begin_call(&mut srv);
        prevent(&mut srv);
        also_propagate(&mut srv, 0, argv(&["SREM", "s", "a"]));
        srv.dirty += 1;
        end_call(&mut srv, mark, 0, &argv(&["SPOP", "s", "1"]));
        let text = String::from_utf8(srv.aof.buf.clone()).unwrap();
        assert!(text.contains("SREM") && !text.contains("SPOP") && !text.contains("MULTI"));
        srv.aof.state = AofState::Off;
        also_propagate(&mut srv, 0, argv(&["DEL", "x"]));
        assert!(srv.prop.ops.is_empty());
    }

    #[test]
    fn int_arg_formats_decimal() {
        assert_eq!(&int_arg(-42)[..], b"-42");
        assert_eq!(&int_arg(i64::MAX)[..], b"9223372036854775807");
    }
}
