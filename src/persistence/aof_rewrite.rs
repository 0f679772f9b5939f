//! AOF rewriting (aof.c rewriteAppendOnlyFile*, backgroundRewriteDoneHandler):
//! BGREWRITEAOF forks a child that writes a new BASE file from the dataset
//! as it was at the fork, while the parent goes on appending to a NEW incr
//! file opened at that moment. When the child succeeds the parent renames
//! the temp file to the next base name, turns the old base and the incr
//! files the new base covers into HISTORY, and persists the manifest in one
//! atomic rename; the history files are then deleted in the background.
//! On failure nothing the manifest names has changed, so the AOF stays
//! loadable at every instant.
//!
//! The base is an RDB image (`aof-use-rdb-preamble yes`, with the
//! `aof-base` aux field set) or commands: per key a SET / RPUSH / SADD /
//! ZADD / HMSET of at most AOF_REWRITE_ITEMS_PER_CMD items per command and
//! a PEXPIREAT for a TTL, after a SELECT per non-empty database.
//!
//! Invariants: one fork child at a time (BGSAVE or rewrite); while it lives
//! the dicts avoid resizing.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use log::{info, warn};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};

use super::aof::{self, AofChild, AofState};
use crate::db::dict::{set_resize_policy, ResizePolicy};
use crate::db::Db;
use crate::server::Server;
use crate::types::value::{StrRef, Value};
use crate::util::number::write_f64_g17;

/// Items per variadic command in a command-format base (AOF_REWRITE_ITEMS_PER_CMD).
pub const ITEMS_PER_CMD: usize = 64;

/// The temp file a background rewrite child writes in `dir`.
fn bg_temp_name(pid: i32) -> String {
    format!("temp-rewriteaof-bg-{pid}.aof")
}

// ---------------------------------------------------------------------------
// The content of a base file
// ---------------------------------------------------------------------------

/// Emits RESP commands into a writer, counting nothing but errors.
struct Cmds<W: Write> {
    out: W,
    scratch: Vec<u8>,
}

impl<W: Write> Cmds<W> {
    fn header(&mut self, argc: usize) -> std::io::Result<()> {
        self.scratch.clear();
        self.scratch.push(b'*');
        crate::util::number::write_u64(&mut self.scratch, argc as u64);
        self.scratch.extend_from_slice(b"\r\n");
        self.out.write_all(&self.scratch)
    }

    fn bulk(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.scratch.clear();
        self.scratch.push(b'$');
        crate::util::number::write_u64(&mut self.scratch, b.len() as u64);
        self.scratch.extend_from_slice(b"\r\n");
        self.out.write_all(&self.scratch)?;
        self.out.write_all(b)?;
        self.out.write_all(b"\r\n")
    }

    fn bulk_i64(&mut self, n: i64) -> std::io::Result<()> {
        let mut buf = [0u8; 20];
        let s = crate::util::number::fmt_i64(n, &mut buf).to_vec();
        self.bulk(&s)
    }

    fn bulk_f64(&mut self, x: f64) -> std::io::Result<()> {
        let mut s = Vec::with_capacity(24);
        write_f64_g17(&mut s, x);
        self.bulk(&s)
    }

    /// Start a chunk of a variadic command when `done % ITEMS_PER_CMD == 0`.
    fn chunk(
        &mut self,
        done: usize,
        total: usize,
        per_item: usize,
        cmd: &[u8],
        key: &[u8],
    ) -> std::io::Result<()> {
        if done.is_multiple_of(ITEMS_PER_CMD) {
            let items = (total - done).min(ITEMS_PER_CMD);
            self.header(2 + items * per_item)?;
            self.bulk(cmd)?;
            self.bulk(key)?;
        }
        Ok(())
    }
}

/// One key as the commands that rebuild it (the rewrite*Object functions).
fn write_key<W: Write>(c: &mut Cmds<W>, key: &[u8], v: &Value) -> std::io::Result<()> {
    match v {
        Value::List(ql) => {
            let total = ql.len();
            for (i, item) in ql.iter().enumerate() {
                c.chunk(i, total, 1, b"RPUSH", key)?;
                match item {
                    crate::types::quicklist::Item::Int(n) => c.bulk_i64(n)?,
                    crate::types::quicklist::Item::Str(s) => c.bulk(&s)?,
                }
            }
        }
        Value::Set(s) => {
            let total = s.len();
            for (i, e) in s.iter().enumerate() {
                c.chunk(i, total, 1, b"SADD", key)?;
                write_entry(c, e)?;
            }
        }
        Value::ZSet(z) => {
            let total = z.len();
            for (i, (member, score)) in z.iter().enumerate() {
                c.chunk(i, total, 2, b"ZADD", key)?;
                c.bulk_f64(score)?;
                write_entry(c, member)?;
            }
        }
        Value::Hash(h) => {
            let total = h.len();
            for (i, (f, val)) in h.iter().enumerate() {
                c.chunk(i, total, 2, b"HMSET", key)?;
                write_entry(c, f)?;
                write_entry(c, val)?;
            }
        }
        Value::Stream(s) => write_stream(c, key, s)?,
        other => {
            c.header(3)?;
            c.bulk(b"SET")?;
            c.bulk(key)?;
            match other.as_str() {
                Some(StrRef::Int(n)) => c.bulk_i64(n)?,
                Some(StrRef::Bytes(b)) => c.bulk(b)?,
                None => c.bulk(b"")?,
            }
        }
    }
    Ok(())
}

/// rewriteStreamObject: XADD per entry (or an XADD MAXLEN 0 that leaves
/// an empty stream), XSETID with the counters, XGROUP CREATE per group,
/// XCLAIM per pending entry and XGROUP CREATECONSUMER per idle consumer.
fn write_stream<W: Write>(
    c: &mut Cmds<W>,
    key: &[u8],
    s: &crate::types::stream::Stream,
) -> std::io::Result<()> {
    use crate::types::stream::StreamId;
    if s.length > 0 {
        for e in s.range(StreamId::MIN, StreamId::MAX, false) {
            c.header(3 + 2 * e.nfields())?;
            c.bulk(b"XADD")?;
            c.bulk(key)?;
            c.bulk(&e.id.to_bytes())?;
            for (f, v) in e.fields() {
                write_entry(c, f)?;
                write_entry(c, v)?;
            }
        }
    } else {
        c.header(7)?;
        for a in [&b"XADD"[..], key, b"MAXLEN", b"0", b"0-1", b"x", b"y"] {
            c.bulk(a)?;
        }
    }
    c.header(7)?;
    c.bulk(b"XSETID")?;
    c.bulk(key)?;
    c.bulk(&s.last_id.to_bytes())?;
    c.bulk(b"ENTRIESADDED")?;
    c.bulk_i64(s.entries_added as i64)?;
    c.bulk(b"MAXDELETEDID")?;
    c.bulk(&s.max_deleted_id.to_bytes())?;
    for (name, g) in &s.groups {
        c.header(7)?;
        for a in [&b"XGROUP"[..], b"CREATE", key, name] {
            c.bulk(a)?;
        }
        c.bulk(&g.last_id.to_bytes())?;
        c.bulk(b"ENTRIESREAD")?;
        c.bulk_i64(g.entries_read)?;
        for cons in g.consumers() {
            if cons.pel.is_empty() {
                c.header(5)?;
                for a in [&b"XGROUP"[..], b"CREATECONSUMER", key, name, &cons.name] {
                    c.bulk(a)?;
                }
                continue;
            }
            for id in &cons.pel {
                let Some(n) = g.pel.get(id) else {
                    continue;
                };
                c.header(12)?;
                for a in [&b"XCLAIM"[..], key, name, &cons.name, b"0"] {
                    c.bulk(a)?;
                }
                c.bulk(&id.to_bytes())?;
                c.bulk(b"TIME")?;
                c.bulk_i64(n.delivery_time)?;
                c.bulk(b"RETRYCOUNT")?;
                c.bulk_i64(n.delivery_count as i64)?;
                c.bulk(b"JUSTID")?;
                c.bulk(b"FORCE")?;
            }
        }
    }
    Ok(())
}

fn write_entry<W: Write>(
    c: &mut Cmds<W>,
    e: crate::types::listpack::Entry<'_>,
) -> std::io::Result<()> {
    match e {
        crate::types::listpack::Entry::Int(n) => c.bulk_i64(n),
        crate::types::listpack::Entry::Str(s) => c.bulk(s),
    }
}

/// The whole dataset as commands (rewriteAppendOnlyFileRio).
pub fn write_commands<W: Write>(
    out: W,
    dbs: &[Db],
    timestamp: Option<i64>,
    key_save_delay_us: i64,
    on_key: &mut dyn FnMut(u64),
) -> std::io::Result<W> {
    let mut written = 0u64;
    let mut c = Cmds {
        out,
        scratch: Vec::with_capacity(32),
    };
    if let Some(ts) = timestamp {
        c.out.write_all(format!("#TS:{ts}\r\n").as_bytes())?;
    }
    for db in dbs {
        if db.keys.is_empty() {
            continue;
        }
        c.header(2)?;
        c.bulk(b"SELECT")?;
        c.bulk_i64(db.id as i64)?;
        for (k, obj) in db.keys.iter() {
            let key = k.as_bytes();
            write_key(&mut c, key, &obj.val)?;
            if let Some(&when) = db.expires.peek(key) {
                c.header(3)?;
                c.bulk(b"PEXPIREAT")?;
                c.bulk(key)?;
                c.bulk_i64(when)?;
            }
            if key_save_delay_us != 0 {
                super::save::debug_delay(key_save_delay_us);
            }
            written += 1;
            on_key(written);
        }
    }
    Ok(c.out)
}

/// Write a complete base file at `target` (rewriteAppendOnlyFile): a temp
/// file in `dir`, flushed and fsynced, renamed over `target`. False (logged)
/// on failure.
pub fn rewrite_to_file(srv: &Server, target: &Path, on_key: &mut dyn FnMut(u64)) -> bool {
    let tmp = format!("temp-rewriteaof-{}.aof", std::process::id());
    let file = match File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            warn!(
                "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
                super::io_text(&e)
            );
            return false;
        }
    };
    let bw = BufWriter::with_capacity(1 << 16, file);
    let written = if srv.cfg.aof_use_rdb_preamble {
        super::write_snapshot_with(srv, bw, true, on_key)
    } else {
        let ts = srv
            .cfg
            .aof_timestamp_enabled
            .then(|| crate::logging::now_ms() / 1000);
        write_commands(bw, &srv.dbs, ts, srv.cfg.rdb_key_save_delay as i64, on_key)
    };
    let result = written
        .and_then(|bw| bw.into_inner().map_err(|e| e.into_error()))
        .and_then(|f| f.sync_all());
    if let Err(e) = result {
        warn!(
            "Write error writing append only file on disk: {}",
            super::io_text(&e)
        );
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    if let Err(e) = std::fs::rename(&tmp, target) {
        warn!(
            "Error moving temp append only file on the final destination: {}",
            super::io_text(&e)
        );
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    true
}

// ---------------------------------------------------------------------------
// The background rewrite
// ---------------------------------------------------------------------------

/// rewriteAppendOnlyFileBackground: flush, open a new incr file, fork the
/// child. False (logged, status err) when it could not start.
pub fn rewrite_background(srv: &mut Server) -> bool {
    if aof::has_active_child(srv) {
        return false;
    }
    if let Err(e) = aof::create_dir_if_missing(srv) {
        warn!(
            "Can't open or create append-only dir {}: {}",
            srv.cfg.appenddirname,
            super::io_text(&e)
        );
        srv.aof.lastbgrewrite_ok = false;
        return false;
    }
    // The new incr file must start with a SELECT.
    srv.aof.selected_db = None;
    aof::flush(srv, true);
    if !aof::open_new_incr_for_append(srv) {
        srv.aof.lastbgrewrite_ok = false;
        return false;
    }
    srv.aof.rewrites += 1;
    let pipe =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC).ok();
    let start = std::time::Instant::now();
    // SAFETY: the only other thread (the AOF fsync helper) holds no lock
    // the child needs beyond the allocator's, which is fork-safe; the child
    // reads the dataset, writes one file, logs and leaves through _exit.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            super::fork::enter_child(srv, "redis-aof-rewrite");
            let tmp = bg_temp_name(std::process::id() as i32);
            let mut report = super::fork::InfoWriter::new(pipe.map(|(_, w)| w));
            let ok = rewrite_to_file(srv, Path::new(&tmp), &mut |keys| report.progress(keys));
            if ok {
                info!("Successfully created the temporary AOF base file {tmp}");
                // The COW size for INFO aof_last_cow_size (sendChildCowInfo).
                report.done(super::fork::INFO_AOF_COW);
            }
            // SAFETY: a forked copy of the server ends without running
            // destructors or flushing state shared with the parent.
            unsafe { nix::libc::_exit(if ok { 0 } else { 1 }) }
        }
        Ok(ForkResult::Parent { child }) => {
            srv.stat_fork_time_us = start.elapsed().as_micros() as u64;
            srv.latency_sample("fork", srv.stat_fork_time_us);
            srv.stat_total_forks += 1;
            set_resize_policy(ResizePolicy::Avoid);
            info!("Background append only file rewriting started by pid {child}");
            srv.aof.rewrite_scheduled = false;
            srv.aof.rewrite_time_start = crate::logging::now_ms() / 1000;
            srv.current_save_keys_total = srv.dbs.iter().map(|d| d.len() as u64).sum();
            srv.aof.child = Some(AofChild {
                pid: child.as_raw(),
                info: pipe.map(|(r, _)| super::fork::InfoReader::new(r)),
            });
            true
        }
        Err(e) => {
            srv.aof.lastbgrewrite_ok = false;
            warn!(
                "Can't rewrite append only file in background: fork: {}",
                e.desc()
            );
            false
        }
    }
}

/// aofRewriteLimited: after three consecutive failures, automatic rewrites
/// back off 1, 2, 4 ... 60 minutes (BGREWRITEAOF still runs at once).
pub fn rewrite_limited(srv: &mut Server) -> bool {
    let a = &mut srv.aof;
    if a.rewrites_consecutive_failures < 3 {
        a.next_rewrite_delay_min = 0;
        a.next_rewrite_time = 0;
        return false;
    }
    if a.next_rewrite_time != 0 {
        if srv.unixtime < a.next_rewrite_time {
            return true;
        }
        a.next_rewrite_time = 0;
        return false;
    }
    a.next_rewrite_delay_min = if a.next_rewrite_delay_min == 0 {
        1
    } else {
        (a.next_rewrite_delay_min * 2).min(60)
    };
    a.next_rewrite_time = srv.unixtime + a.next_rewrite_delay_min * 60;
    warn!(
        "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
        a.next_rewrite_delay_min
    );
    true
}

/// killAppendOnlyChild: stop a running rewrite and remove its temp files.
pub fn kill_child(srv: &mut Server) {
    let Some(ch) = srv.aof.child.take() else {
        return;
    };
    info!("Killing running AOF rewrite child: {}", ch.pid);
    let pid = Pid::from_raw(ch.pid);
    if kill(pid, Signal::SIGUSR1).is_ok() {
        let _ = waitpid(pid, None);
    }
    remove_temp_files(ch.pid);
    set_resize_policy(ResizePolicy::Enable);
    super::fork::reset_current_info(srv);
    srv.aof.rewrite_time_start = -1;
}

fn remove_temp_files(pid: i32) {
    let _ = std::fs::remove_file(bg_temp_name(pid));
    let _ = std::fs::remove_file(format!("temp-rewriteaof-{pid}.aof"));
}

/// Reap a finished rewrite child (checkChildrenDone), from cron.
pub fn check_child_done(srv: &mut Server) {
    read_child_info(srv);
    let Some(pid) = srv.aof.child.as_ref().map(|c| c.pid) else {
        return;
    };
    let status = match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::StillAlive) => return,
        Ok(s) => s,
        Err(e) => {
            warn!(
                "waitpid() returned an error: {}. child_type: AOF, child_pid = {pid}",
                e.desc()
            );
            WaitStatus::Exited(Pid::from_raw(pid), 1)
        }
    };
    // The child wrote its report (if any) before exiting: it is in the pipe.
    read_child_info(srv);
    srv.aof.child = None;
    set_resize_policy(ResizePolicy::Enable);
    super::fork::reset_current_info(srv);
    match status {
        WaitStatus::Exited(_, 0) => rewrite_done_ok(srv, pid),
        WaitStatus::Exited(..) => {
            srv.aof.lastbgrewrite_ok = false;
            srv.aof.rewrites_consecutive_failures += 1;
            warn!("Background AOF rewrite terminated with error");
        }
        WaitStatus::Signaled(_, sig, _) => {
            // A kill we asked for (SIGUSR1) is not a failure.
            if sig != Signal::SIGUSR1 {
                srv.aof.lastbgrewrite_ok = false;
                srv.aof.rewrites_consecutive_failures += 1;
            }
            warn!("Background AOF rewrite terminated by signal {}", sig as i32);
        }
        _ => {}
    }
    rewrite_cleanup(srv, pid);
}

/// Drain the child's progress and COW reports (receiveChildInfo).
fn read_child_info(srv: &mut Server) {
    let Some(mut reader) = srv.aof.child.as_mut().and_then(|c| c.info.take()) else {
        return;
    };
    reader.apply(srv);
    if let Some(c) = srv.aof.child.as_mut() {
        c.info = Some(reader);
    }
}

/// A rewrite's temp files go whatever happened; a WaitRewrite that did
/// not complete drops what it buffered and tries again.
fn rewrite_cleanup(srv: &mut Server, pid: i32) {
    remove_temp_files(pid);
    if srv.aof.state == AofState::WaitRewrite {
        srv.aof.buf = Vec::new();
        let name = aof::temp_incr_name(srv);
        info!("Removing the temp incr aof file {name} in the background");
        let _ = std::fs::remove_file(aof::aof_path(srv, &name));
        srv.aof.rewrite_scheduled = true;
    }
    let now = crate::logging::now_ms() / 1000;
    srv.aof.rewrite_time_last = if srv.aof.rewrite_time_start == -1 {
        -1
    } else {
        now - srv.aof.rewrite_time_start
    };
    srv.aof.rewrite_time_start = -1;
}

/// The success half of backgroundRewriteDoneHandler.
fn rewrite_done_ok(srv: &mut Server, pid: i32) {
    info!("Background AOF rewrite terminated with success");
    let tmp = bg_temp_name(pid);
    let mut am = srv.aof.manifest.clone();
    let fname = srv.cfg.appendfilename.clone();
    let base = am.new_base(&fname, srv.cfg.aof_use_rdb_preamble);
    let base_path = aof::aof_path(srv, &base);
    let fail = |srv: &mut Server| {
        srv.aof.lastbgrewrite_ok = false;
        srv.aof.rewrites_consecutive_failures += 1;
    };
    if let Err(e) = std::fs::rename(&tmp, &base_path) {
        warn!(
            "Error trying to rename the temporary AOF base file {tmp} into {}: {}",
            base_path.display(),
            super::io_text(&e)
        );
        return fail(srv);
    }
    info!("Successfully renamed the temporary AOF base file {tmp} into {base}");
    let mut new_incr_path = None;
    if srv.aof.state == AofState::WaitRewrite {
        let temp_incr = aof::temp_incr_name(srv);
        let temp_path = aof::aof_path(srv, &temp_incr);
        let incr = am.new_incr(&fname);
        let incr_path = aof::aof_path(srv, &incr);
        if let Err(e) = std::fs::rename(&temp_path, &incr_path) {
            warn!(
                "Error trying to rename the temporary AOF incr file {} into {}: {}",
                temp_path.display(),
                incr_path.display(),
                super::io_text(&e)
            );
            let _ = std::fs::remove_file(&base_path);
            return fail(srv);
        }
        info!("Successfully renamed the temporary AOF incr file {temp_incr} into {incr}");
        new_incr_path = Some(incr_path);
    }
    // The incr file being written stays INCR; the ones the base covers go.
    am.mark_rewritten_incrs_as_history(srv.aof.file.is_some());
    if !aof::persist_manifest(srv, &mut am) {
        let _ = std::fs::remove_file(&base_path);
        if let Some(p) = new_incr_path {
            let _ = std::fs::remove_file(p);
        }
        return fail(srv);
    }
    srv.aof.manifest = am;
    if srv.aof.state != AofState::Off {
        let base_size = aof::file_size(srv, &base).unwrap_or(0);
        srv.aof.current_size = base_size + srv.aof.last_incr_size;
        srv.aof.rewrite_base_size = srv.aof.current_size;
    }
    aof::del_history_files(srv);
    srv.aof.lastbgrewrite_ok = true;
    srv.aof.rewrites_consecutive_failures = 0;
    info!("Background AOF rewrite finished successfully");
    if srv.aof.state == AofState::WaitRewrite {
        srv.aof.state = AofState::On;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::value::Obj;

    #[test]
    fn strings_and_ttls_become_set_and_pexpireat() {
        let mut db = Db::new(3);
        db.set(
            b"k",
            Obj {
                val: Value::from_bytes(b"v"),
                lru: 0,
            },
            false,
        );
        db.set_expire(b"k", 1234);
        let out = write_commands(
            Vec::new(),
            std::slice::from_ref(&db),
            Some(7),
            0,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(
            out,
            b"#TS:7\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
              *3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$4\r\n1234\r\n"
                .to_vec()
        );
    }

    #[test]
    fn variadic_commands_are_cut_every_64_items() {
        let mut c = Cmds {
            out: Vec::new(),
            scratch: Vec::new(),
        };
        for i in 0..130 {
            c.chunk(i, 130, 1, b"SADD", b"s").unwrap();
        }
        let text = String::from_utf8(c.out).unwrap();
        assert_eq!(text.matches("*66\r\n").count(), 2);
        assert_eq!(text.matches("*4\r\n").count(), 1);
    }
}
