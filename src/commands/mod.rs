//! Command dispatch: the runtime command table, `process_command` (the
//! checks Redis makes before running a command, in Redis' order) and
//! `call` (run the handler, time it, count it).
//!
//! A handler is `fn(&mut Ctx) -> CmdResult`: it parses all its arguments
//! first, then acts and writes exactly one reply; an `Err` becomes the
//! error reply.

mod name_index;
pub mod spec;
pub mod spec_data;
mod table;

pub mod bitops;
pub mod blocking;
pub mod client;
pub mod command;
pub mod config;
pub mod connection;
pub mod debug;
pub mod expire;
pub mod geo;
pub mod hash;
pub mod help;
pub mod hll;
pub mod info;
pub mod keyspace;
pub mod latency;
pub mod lcs;
pub mod list;
pub mod migrate;
pub mod object;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod server;
pub mod set;
pub mod slowlog;
pub mod sort;
pub mod stream;
pub mod string;
pub mod transaction;
pub mod zset;

use bytes::Bytes;

use crate::db::Db;
use crate::errors::{CmdError, CmdResult};
use crate::net::client::{flags, Client};
use crate::net::reply::Reply;
use crate::server::Server;
pub use table::{CmdId, Command, CommandTable, Role};

pub type Handler = fn(&mut Ctx) -> CmdResult;

/// What a handler sees: the server and the calling client.
pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    pub c: &'a mut Client,
    pub cmd: CmdId,
}

impl Ctx<'_> {
    #[inline]
    pub fn argc(&self) -> usize {
        self.c.argv.len()
    }

    #[inline]
    pub fn arg(&self, i: usize) -> &[u8] {
        &self.c.argv[i]
    }

    /// A cheap clone of argument `i` (a refcount bump, not a copy).
    #[inline]
    pub fn arg_bytes(&self, i: usize) -> Bytes {
        self.c.argv[i].clone()
    }

    #[inline]
    pub fn reply(&mut self) -> Reply<'_> {
        self.c.reply()
    }

    /// The client's selected database.
    #[inline]
    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.dbs[self.c.db]
    }

    /// Argument `i` as an i64, or Redis' "not an integer" error.
    pub fn arg_i64(&self, i: usize) -> Result<i64, CmdError> {
        crate::util::number::parse_i64(self.arg(i)).ok_or(CmdError::NotInteger)
    }

    /// Argument `i` upper-cased into an owned String (for messages).
    pub fn arg_upper(&self, i: usize) -> String {
        String::from_utf8_lossy(self.arg(i)).to_uppercase()
    }

    /// Case-insensitive comparison of argument `i` with an ASCII word.
    #[inline]
    pub fn arg_is(&self, i: usize, word: &str) -> bool {
        self.arg(i).eq_ignore_ascii_case(word.as_bytes())
    }

    /// The command's full name ("config|get").
    pub fn fullname(&self) -> &'static str {
        self.srv.commands.get(self.cmd).fullname
    }

    pub fn wrong_arity(&self) -> CmdError {
        CmdError::WrongArity(self.fullname().to_string())
    }
}

/// Redis' processCommand: look the command up, check it may run now, then
/// call it — or, inside MULTI, queue it. The client's argv holds a
/// complete, non-empty request.
pub fn process_command(srv: &mut Server, c: &mut Client) {
    if c.argv.is_empty() {
        // Never expected (the parser skips empty requests); a broken
        // caller must not take the server down.
        return;
    }
    // One clock read per command serves both the cached time (expiry) and
    // the command's duration (stats); in a pipelined batch even that is the
    // previous command's end (see Server::chained_start_ns).
    let start = match std::mem::take(&mut srv.chained_start_ns) {
        0 => crate::server::mono_ns(),
        t => t,
    };
    srv.now_ms = srv.unix_ms_at(start);
    srv.unixtime = srv.now_ms / 1000;
    // While it runs the client is out of the client table: what is sent
    // to it meanwhile (Pub/Sub, WATCH) is routed through these.
    srv.exec_slot = c.token - crate::server::CLIENT_TOKEN_BASE;
    srv.exec_resp3 = c.resp == 3;
    srv.exec_client_id = c.id;
    check_and_run(srv, c, start);
    let end = c.out.len();
    crate::pubsub::flush_exec_out(srv, c, end);
    c.flags |= std::mem::take(&mut srv.exec_flags);
    // Invalidations that waited for a client out of reach (one served
    // after a blocking wait, or this one) go out now, after the replies.
    if srv.tracking.has_pending() {
        crate::tracking::settle(srv, c);
    }
    if c.tracking.as_ref().is_some_and(|t| t.caching)
        && c.flags & (flags::POSTPONED | flags::BLOCKED) == 0
    {
        let client_cmd = srv
            .commands
            .lookup(&c.argv)
            .is_some_and(|id| srv.commands.get(id).fullname.starts_with("client"));
        crate::tracking::after_command(c, client_cmd);
    }
    srv.exec_slot = usize::MAX;
    srv.exec_client_id = 0;
}

fn check_and_run(srv: &mut Server, c: &mut Client, start: u64) {
    let Some(id) = srv.commands.lookup(&c.argv) else {
        crate::multi::flag_transaction(c);
        let err = unknown_command_error(srv, &c.argv);
        add_error_reply_bytes(srv, c, &err);
        return;
    };
    let cmd = srv.commands.get(id);
    c.last_cmd = cmd.fullname;
    let arity = cmd.arity;
    let role = cmd.role;
    let argc = c.argv.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity {
        let err = format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.fullname
        );
        reject(srv, c, id, &err);
        return;
    }
    let mut cflags = cmd.flags;
    let fullname = cmd.fullname;
    if cflags & spec::CMD_PROTECTED != 0 && fullname.starts_with("debug") {
        let local = c.flags & flags::UNIX_SOCKET != 0
            || c.addr.starts_with("127.0.0.1:")
            || c.addr.starts_with("::1:");
        let allowed = srv.cfg.enable_debug_command.allows(local);
        if !allowed {
            reject(srv, c, id, "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
            return;
        }
    }
    // EXEC is judged by what it will run: a queued write makes it a
    // write, a queued command that may not run while loading makes it one
    // of those (the cmd_inv_flags trick: "some queued command lacks X").
    if role == Role::Exec {
        if let Some(m) = c.mstate.as_ref() {
            cflags |= m.cmd_flags & (spec::CMD_WRITE | spec::CMD_DENYOOM | spec::CMD_MAY_REPLICATE);
            cflags &= !(m.cmd_inv_flags & (spec::CMD_STALE | spec::CMD_LOADING));
        }
    }
    if !c.authenticated && cflags & spec::CMD_NO_AUTH == 0 {
        reject(srv, c, id, "NOAUTH Authentication required.");
        return;
    }
    if c.flags & flags::MULTI != 0 && cflags & spec::CMD_NO_MULTI != 0 {
        reject(srv, c, id, "ERR Command not allowed inside a transaction");
        return;
    }
    // Close the biggest clients if all of them use more than
    // maxmemory-clients (evictClients), before any key is evicted; if that
    // was this client, its command is dropped unanswered.
    if crate::client_evict::evict_clients(srv, Some(&mut *c)) {
        return;
    }
    // Make room under maxmemory before anything that may grow memory; a
    // client in MULTI may not even queue then, since queues grow without
    // bound (only EXEC, DISCARD, QUIT and RESET get through).
    if srv.cfg.maxmemory != 0 {
        let out_of_memory = crate::evict::perform_evictions(srv) == crate::evict::Outcome::Fail;
        // Invalidations of evicted keys reach this client before its reply:
        // what it is about to read is the key's new state, not the old one.
        if srv.tracking.has_pending() {
            crate::tracking::settle(srv, c);
        }
        let deny = cflags & spec::CMD_DENYOOM != 0
            || (c.flags & flags::MULTI != 0
                && !matches!(role, Role::Exec | Role::Discard | Role::Quit | Role::Reset));
        if out_of_memory && deny {
            reject(srv, c, id, OOM);
            return;
        }
    }
    // Keep the tracking table within tracking-table-max-keys (Redis does
    // it here, after the memory check): this client hears of its evicted
    // keys before its reply.
    if srv.tracking.clients() > 0 {
        crate::tracking::limit_used_slots(srv, Some(&mut *c));
    }
    let from_master = c.flags & flags::MASTER != 0;
    // writeCommandsDeniedByDiskError: with save points and
    // stop-writes-on-bgsave-error, a failed save stops writes (and PING,
    // so monitoring notices) until a save succeeds.
    if !srv.lastbgsave_ok
        && !from_master
        && srv.cfg.stop_writes_on_bgsave_error
        && !srv.cfg.save.is_empty()
        && (cflags & spec::CMD_WRITE != 0 || role == Role::Ping)
    {
        reject(srv, c, id, MISCONF);
        return;
    }
    // The other half of writeCommandsDeniedByDiskError: AOF write or
    // fsync errors stop writes until a write succeeds again.
    if !from_master
        && srv.aof.state != crate::persistence::aof::AofState::Off
        && (cflags & spec::CMD_WRITE != 0 || role == Role::Ping)
    {
        if let Some(e) = srv.aof.write_denied_error() {
            let err = format!("MISCONF Errors writing to the AOF file: {e}");
            reject(srv, c, id, &err);
            return;
        }
    }
    if !from_master {
        if let Some(err) = replication_refusal(srv, cflags) {
            reject(srv, c, id, err);
            return;
        }
    }
    // A RESP2 subscriber's connection carries pushes: only the commands
    // that manage subscriptions (and PING, QUIT, RESET) make sense on it.
    if c.resp == 2
        && c.subs.is_some()
        && !matches!(
            role,
            Role::Ping | Role::Subscribe | Role::Quit | Role::Reset
        )
        && crate::pubsub::is_subscriber(c)
    {
        let err = format!("ERR Can't execute '{fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
        reject(srv, c, id, &err);
        return;
    }
    // Async loading (a replica loading in the background) serves the old
    // data but for commands that cannot run meanwhile.
    if srv.loading
        && if srv.async_loading {
            cflags & spec::CMD_NO_ASYNC_LOADING != 0
        } else {
            cflags & spec::CMD_LOADING == 0
        }
    {
        reject(srv, c, id, "LOADING Redis is loading the dataset in memory");
        return;
    }
    // A replica's link carries ACKs, not commands on our data (it is
    // exempt from CLIENT PAUSE, so this would be a way around it).
    if c.flags & flags::REPLICA != 0
        && cflags & (spec::CMD_MAY_REPLICATE | spec::CMD_WRITE | spec::CMD_READONLY) != 0
    {
        reject(srv, c, id, "ERR Replica can't interact with the keyspace");
        return;
    }
    // Same place as Redis: a paused server holds the command back (all
    // commands, or only those that may write) and runs it on unpause.
    if srv.pause_until_ms != 0
        && c.flags & flags::REPLICA == 0
        && (!srv.pause_write_only || cflags & (spec::CMD_WRITE | spec::CMD_MAY_REPLICATE) != 0)
        && srv.is_paused()
    {
        srv.postpone(c);
        return;
    }
    if c.flags & flags::MULTI != 0
        && !matches!(
            role,
            Role::Exec | Role::Discard | Role::Multi | Role::Watch | Role::Quit | Role::Reset
        )
    {
        crate::multi::queue_command(c, id, cflags);
        c.reply().simple(b"QUEUED");
        return;
    }
    srv.repl.replica.executing_master = from_master;
    // A writable replica's own writes: their TTLs are ours to enforce.
    let local_write =
        !from_master && cflags & spec::CMD_WRITE != 0 && srv.repl.replica.is_replica();
    if local_write {
        srv.dbs
            .iter_mut()
            .for_each(|d| d.track_local_expires = true);
    }
    call(srv, c, id, start);
    if local_write {
        srv.dbs
            .iter_mut()
            .for_each(|d| d.track_local_expires = false);
    }
    srv.repl.replica.executing_master = false;
    if crate::blocking::has_ready_keys(srv) {
        crate::blocking::handle_ready_keys(srv);
    }
}

/// The replication rules of processCommand: -NOREPLICAS on a master
/// without enough good replicas, -READONLY on a read-only replica,
/// -MASTERDOWN on a replica that may not serve stale data.
fn replication_refusal(srv: &Server, cflags: u64) -> Option<&'static str> {
    let write = cflags & spec::CMD_WRITE != 0;
    if !srv.repl.replica.is_replica() {
        let min = srv.cfg.min_replicas_to_write;
        if write
            && min > 0
            && srv.cfg.min_replicas_max_lag > 0
            && (srv.repl.good_replicas as i64) < min as i64
        {
            return Some("NOREPLICAS Not enough good replicas to write.");
        }
        return None;
    }
    if write && srv.cfg.replica_read_only {
        return Some("READONLY You can't write against a read only replica.");
    }
    if !srv.repl.replica.is_connected()
        && !srv.cfg.replica_serve_stale_data
        && cflags & spec::CMD_STALE == 0
    {
        return Some(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        );
    }
    None
}

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Redis prints arguments with `%.*s`: C strings, so a NUL ends them,
/// and at most `max` bytes. Bytes are kept as they are (not UTF-8 checked).
fn c_str_prefix(b: &[u8], max: usize) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len()).min(max);
    &b[..end]
}

/// The error for a command or subcommand not in the table
/// (commandCheckExistence), byte for byte.
fn unknown_command_error(srv: &Server, argv: &[Bytes]) -> Vec<u8> {
    let mut e = Vec::with_capacity(128);
    if argv.len() > 1 && srv.commands.is_container(&argv[0]) {
        e.extend_from_slice(b"ERR unknown subcommand '");
        e.extend_from_slice(c_str_prefix(&argv[1], 128));
        e.extend_from_slice(b"'. Try ");
        e.extend(
            c_str_prefix(&argv[0], usize::MAX)
                .iter()
                .map(u8::to_ascii_uppercase),
        );
        e.extend_from_slice(b" HELP.");
        return e;
    }
    let mut args = Vec::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push(b'\'');
        args.extend_from_slice(c_str_prefix(a, room));
        args.extend_from_slice(b"' ");
    }
    e.extend_from_slice(b"ERR unknown command '");
    e.extend_from_slice(c_str_prefix(argv.first().map_or(&b""[..], |a| &a[..]), 128));
    e.extend_from_slice(b"', with args beginning with: ");
    e.extend_from_slice(&args);
    e
}

/// Refuse a command before it runs (rejectCommand): the error is sent and
/// counted, the command's `rejected_calls` grows, and an open transaction
/// is doomed. A refused EXEC discards the transaction with EXECABORT.
fn reject(srv: &mut Server, c: &mut Client, id: CmdId, err: &str) {
    crate::multi::flag_transaction(c);
    let cmd = srv.commands.get_mut(id);
    cmd.stats.rejected_calls += 1;
    if cmd.role == Role::Exec {
        crate::multi::discard(srv, c);
        let err = format!("EXECABORT Transaction discarded because of: {err}");
        add_error_reply(srv, c, &err);
        crate::commands::transaction::feed_monitors_exec(srv, c);
        return;
    }
    add_error_reply(srv, c, err);
}

/// Send an error and count it (afterErrorReply): `total_error_replies` and
/// the `errorstat_<CODE>` line of INFO.
pub fn add_error_reply(srv: &mut Server, c: &mut Client, err: &str) {
    add_error_reply_bytes(srv, c, err.as_bytes());
}

/// `add_error_reply` for texts that carry client bytes as they are.
pub fn add_error_reply_bytes(srv: &mut Server, c: &mut Client, err: &[u8]) {
    if should_reply(c) {
        c.reply().error_bytes(err);
    }
    let code = err.split(|&b| b == b' ').next().unwrap_or(b"ERR");
    srv.stats.count_error(&String::from_utf8_lossy(code));
}

#[inline]
fn should_reply(c: &Client) -> bool {
    c.flags & (flags::REPLY_OFF | flags::REPLY_SKIP) == 0
}

/// Run a command's handler (Redis' call()): time it, count it, turn an Err
/// into the error reply.
/// `start` is the command's start in `mono_ns` time.
pub fn call(srv: &mut Server, c: &mut Client, id: CmdId, start: u64) {
    let handler = srv.commands.get(id).handler;
    // CLIENT REPLY SKIP applies to the command after it.
    if c.flags & flags::REPLY_SKIP_NEXT != 0 {
        c.flags &= !flags::REPLY_SKIP_NEXT;
        c.flags |= flags::REPLY_SKIP;
    }
    let mark = c.out.len();
    let repl_off = srv.repl.master_repl_offset;
    if srv.commands.get(id).flags & spec::CMD_TOUCHES_ARBITRARY_KEYS != 0 {
        srv.prop.arbitrary_keys = true;
    }
    let prop = crate::persistence::propagate::begin_call(srv);
    srv.tracking.call_depth += 1;
    let res = {
        let mut cx = Ctx { srv, c, cmd: id };
        handler(&mut cx)
    };
    // afterCommand: the command's effects (if it changed anything) go to
    // the AOF buffer now, before any reply can leave.
    crate::persistence::propagate::end_call(srv, prop, c.db, &c.argv);
    c.flags |= std::mem::take(&mut srv.exec_flags);
    // WAIT counts the replicas that reached this client's last write.
    if srv.repl.master_repl_offset != repl_off {
        c.woff = srv.repl.master_repl_offset;
    }
    let end = crate::server::mono_ns();
    srv.call_end_ns = end;
    let usec = end.saturating_sub(start) / 1000;
    let failed = res.is_err();
    if let Err(e) = res {
        let text = e.text();
        add_error_reply(srv, c, &text);
    }
    // Replies are produced then dropped for REPLY OFF/SKIP clients, so
    // handlers need not know.
    if c.flags & (flags::REPLY_OFF | flags::REPLY_SKIP) != 0 {
        c.out.truncate(mark.max(c.sent));
        c.flags &= !flags::REPLY_SKIP;
    }
    // Pushes published to this client while it ran (messages, and its own
    // (un)subscribe acknowledgements) come before the command's reply, as
    // if written into its buffer at once, and ignore CLIENT REPLY OFF.
    crate::pubsub::flush_exec_out(srv, c, mark);
    // Client-side caching: remember what a read-only command read, then,
    // at the end of the top-level call (a whole EXEC), tell this client of
    // the keys its own command changed, after its reply. Pushes ignore
    // CLIENT REPLY OFF, hence after the truncation above.
    if c.flags & flags::TRACKING != 0 {
        crate::tracking::remember_keys(srv, c, id);
    }
    srv.tracking.call_depth -= 1;
    if srv.tracking.call_depth == 0 && srv.tracking.has_pending() {
        crate::tracking::settle(srv, c);
    }
    srv.stats.total_commands_processed += 1;
    // The latency monitor sees the time this call held the loop, blocked
    // or not (Redis' call()).
    if srv.cfg.latency_monitor_threshold > 0 {
        let fast = srv.commands.get(id).flags & spec::CMD_FAST != 0;
        srv.latency_sample(if fast { "fast-command" } else { "command" }, usec);
    }
    // A command that blocked is counted when it completes (src/blocking.rs).
    if c.flags & flags::BLOCKED != 0 {
        return;
    }
    // MONITOR sees commands after they ran (7.0's order), except the
    // administrative ones and those that ask not to be shown.
    if !srv.monitors.is_empty()
        && srv.commands.get(id).flags & (spec::CMD_SKIP_MONITOR | spec::CMD_ADMIN) == 0
    {
        crate::commands::transaction::feed_monitors(srv, c, &c.argv.clone());
    }
    // Cheap test first: almost no command is slow enough.
    let slow = srv.cfg.slowlog_log_slower_than;
    if slow >= 0 && usec as i64 >= slow && srv.commands.get(id).flags & spec::CMD_SKIP_SLOWLOG == 0
    {
        slowlog_push(srv, c, usec);
    }
    c.redact_mask = 0;
    let cmd = srv.commands.get_mut(id);
    cmd.stats.calls += 1;
    cmd.stats.usec += usec;
    if failed {
        cmd.stats.failed_calls += 1;
    }
    // The histogram is allocated on first use: not at all when off.
    if srv.cfg.latency_tracking {
        srv.commands.get_mut(id).stats.record_latency(usec);
    }
}

/// Log the command `c` just completed in the slow log, if it was slow.
pub fn slowlog_push(srv: &mut Server, c: &Client, usec: u64) {
    let (threshold, max_len) = (srv.cfg.slowlog_log_slower_than, srv.cfg.slowlog_max_len);
    srv.slowlog
        .push_if_needed(threshold, max_len, srv.unixtime, c, usec);
}

/// Key access with Redis' semantics (db.c lookupKey*): lazy expiry first,
/// then the LRU stamp; reads also count keyspace hits and misses.
impl Ctx<'_> {
    /// A key for reading (lookupKeyRead).
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Obj> {
        lookup_read(self.srv, self.c.db, key)
    }

    /// A key for writing (lookupKeyWrite): no hit/miss accounting.
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Obj> {
        lookup_write(self.srv, self.c.db, key)
    }

    /// Whether a key exists, without touching its LRU (EXISTS-like checks).
    pub fn key_exists(&mut self, key: &[u8]) -> bool {
        let db = self.c.db;
        !crate::db::expire::expire_if_needed(self.srv, db, key)
            && self.srv.dbs[db].keys.contains_key(key)
    }

    /// A new object stamped with the current LRU clock (or a fresh LFU
    /// counter under an LFU policy).
    pub fn obj(&self, val: Value) -> Obj {
        Obj {
            val,
            lru: self.srv.new_lru_field(),
        }
    }

    /// Store a value (setKey): overwrite or add, clearing the TTL unless
    /// `keep_ttl`. Marks the change for save points and watchers.
    pub fn set_key(&mut self, key: &[u8], val: Value, keep_ttl: bool) {
        let obj = self.obj(val);
        crate::db::set_key(self.srv, self.c.db, key, obj, keep_ttl);
    }

    /// The key's value changed (signalModifiedKey): invalidates WATCH and
    /// client-side caches. Call it where Redis does, for every write.
    #[inline]
    pub fn modified(&mut self, key: &[u8]) {
        crate::db::signal_modified_key(self.srv, self.c.db, key);
    }

    /// Publish a keyspace notification about `key` in the client's db
    /// (notifyKeyspaceEvent); `class` is a `config::NOTIFY_*` bit.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        crate::notify::keyspace_event(self.srv, class, event, key, self.c.db);
    }

    /// Hide argument `i` from MONITOR (redactClientCommandArgument).
    pub fn redact(&mut self, i: usize) {
        if i < 64 {
            self.c.redact_mask |= 1 << i;
        }
    }

    /// Bump `dirty` (drives save points and tells call() to propagate).
    pub fn dirty(&mut self, n: u64) {
        self.srv.dirty += n;
    }

    /// Whether effects are recorded (AOF on; replicas later): handlers skip
    /// building a rewritten argv otherwise.
    #[inline]
    pub fn propagating(&self) -> bool {
        crate::persistence::propagate::should_propagate(self.srv)
    }

    /// Propagate this command as `argv` instead of what the client sent
    /// (rewriteClientCommandVector): its deterministic effect, e.g.
    /// EXPIRE → PEXPIREAT with the absolute time.
    pub fn propagate_as(&mut self, argv: &[&[u8]]) {
        if self.propagating() {
            let v = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
            crate::persistence::propagate::set_rewrite(self.srv, v);
        }
    }

    /// Propagate `argv` as well, before the command itself (alsoPropagate).
    pub fn also_propagate(&mut self, argv: &[&[u8]]) {
        if self.propagating() {
            let v = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
            crate::persistence::propagate::also_propagate(self.srv, self.c.db, v);
        }
    }

    /// Do not propagate the command itself (preventCommandPropagation):
    /// what it queued with `also_propagate` says everything.
    pub fn prevent_propagation(&mut self) {
        crate::persistence::propagate::prevent(self.srv);
    }
}

use crate::types::value::{Obj, Value};

/// lookupKeyWrite on an explicit database, borrowing only the server.
pub fn lookup_write<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Obj> {
    if crate::db::expire::expire_if_needed(srv, db, key) {
        return None;
    }
    let stamp = srv.access_stamp();
    let o = srv.dbs[db].keys.get_mut(key)?;
    o.lru = stamp.apply(o.lru);
    Some(o)
}

/// lookupKeyRead on an explicit database, borrowing only the server (so a
/// caller can reply to its client while holding the value).
pub fn lookup_read<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Obj> {
    lookup_read_flags(srv, db, key, true)
}

/// lookupKeyReadWithFlags: `touch` false is LOOKUP_NOTOUCH (TYPE, EXISTS,
/// TTL must not change a key's idle time).
pub fn lookup_read_flags<'a>(
    srv: &'a mut Server,
    db: usize,
    key: &[u8],
    touch: bool,
) -> Option<&'a mut Obj> {
    if crate::db::expire::expire_if_needed(srv, db, key) {
        srv.stats.keyspace_misses += 1;
        return None;
    }
    let stamp = srv.access_stamp();
    match srv.dbs[db].keys.get_mut(key) {
        Some(o) => {
            srv.stats.keyspace_hits += 1;
            if touch {
                o.lru = stamp.apply(o.lru);
            }
            Some(o)
        }
        None => {
            srv.stats.keyspace_misses += 1;
            None
        }
    }
}
