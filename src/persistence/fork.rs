//! BGSAVE: the snapshot written by a fork()ed child (rdb.c
//! rdbSaveBackground / backgroundSaveDoneHandler, server.c
//! checkChildrenDone).
//!
//! The child inherits a copy-on-write image of the dataset, writes
//! `temp-<childpid>.rdb`, fsyncs and renames it exactly as SAVE does, and
//! leaves with `_exit` (no destructors, no atexit: the parent's state is
//! not the child's to tear down). The parent keeps serving and reaps the
//! child from cron with a non-blocking waitpid. FLUSHALL and SHUTDOWN kill
//! a running child and remove its temp file.
//!
//! While it works, the child reports once a second through a pipe (Redis'
//! child info pipe, childinfo.c): keys written so far and its
//! copy-on-write size (Private_Dirty of its mappings), and a final record
//! with the COW size when done. The parent drains the pipe from cron into
//! INFO's current_cow_size / current_save_keys_processed / rdb_last_cow_size.
//!
//! Invariants: at most one child at a time (`srv.rdb_child`); while it
//! lives the dicts avoid resizing (copy-on-write), and the child itself
//! never resizes or rehashes.

use log::{info, warn};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};
use std::os::fd::{AsRawFd, OwnedFd};

use crate::db::dict::{set_resize_policy, ResizePolicy};
use crate::server::Server;

/// A running background save.
#[derive(Debug)]
pub struct RdbChild {
    pub pid: i32,
    /// Unix seconds when it started (rdb_current_bgsave_time_sec).
    pub start: i64,
    /// Read end of the child info pipe (non-blocking).
    info: Option<InfoReader>,
    /// The snapshot goes to replica sockets through a pipe (diskless
    /// sync), not to a file (rdb_child_type SOCKET).
    pub socket: bool,
    /// A diskless child that exited cleanly before its last bytes were
    /// relayed: reaped already, reported once the pipe is drained.
    exited: Option<WaitStatus>,
}

/// Child info record: kind byte, keys written (u64 LE), COW bytes (u64 LE).
/// 17 bytes, under PIPE_BUF, so each write arrives whole.
const RECORD: usize = 17;
const INFO_CURRENT: u8 = 1;
pub const INFO_RDB_COW: u8 = 2;
pub const INFO_AOF_COW: u8 = 3;

/// The process's private dirty memory (zmalloc_get_private_dirty): what a
/// forked child has copied so far.
pub(super) fn private_dirty_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup")
        .or_else(|_| std::fs::read_to_string("/proc/self/smaps"))
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

fn send_info(fd: &OwnedFd, kind: u8, keys: u64) {
    let mut rec = [0u8; RECORD];
    rec[0] = kind;
    rec[1..9].copy_from_slice(&keys.to_le_bytes());
    rec[9..].copy_from_slice(&private_dirty_bytes().to_le_bytes());
    match nix::unistd::write(fd, &rec) {
        // A full pipe just loses this sample.
        Ok(_) | Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINTR) => {}
        Err(e) => {
            // The parent is gone (killed, crashed): nobody wants the
            // snapshot any more.
            warn!(
                "Child failed reporting info to parent, exiting. {}",
                e.desc()
            );
            // SAFETY: _exit ends this fork child at once, as it must.
            unsafe { nix::libc::_exit(1) }
        }
    }
}

/// A fork child's side of the info pipe: progress about once a second
/// (the clock is read every 1024 keys), then its final COW size. A child
/// whose parent died exits at its next report.
pub struct InfoWriter {
    fd: Option<OwnedFd>,
    last: std::time::Instant,
}

impl InfoWriter {
    pub fn new(fd: Option<OwnedFd>) -> InfoWriter {
        InfoWriter {
            fd,
            last: std::time::Instant::now(),
        }
    }

    /// `keys` written so far.
    pub fn progress(&mut self, keys: u64) {
        if keys.is_multiple_of(1024) && self.last.elapsed().as_secs() >= 1 {
            self.last = std::time::Instant::now();
            if let Some(fd) = &self.fd {
                send_info(fd, INFO_CURRENT, keys);
            }
        }
    }

    /// The work is done: report the COW size as `kind`.
    pub fn done(&self, kind: u8) {
        if let Some(fd) = &self.fd {
            send_info(fd, kind, 0);
        }
    }
}

/// The parent's side of a child's info pipe (receiveChildInfo): records
/// split across reads wait for their rest.
#[derive(Debug)]
pub struct InfoReader {
    fd: OwnedFd,
    partial: Vec<u8>,
}

impl InfoReader {
    pub fn new(fd: OwnedFd) -> InfoReader {
        InfoReader {
            fd,
            partial: Vec::new(),
        }
    }

    /// Drain the pipe into INFO's current_* fields and the last COW sizes.
    pub fn apply(&mut self, srv: &mut Server) {
        let mut buf = [0u8; RECORD * 16];
        loop {
            match nix::unistd::read(self.fd.as_raw_fd(), &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => self.partial.extend_from_slice(&buf[..n]),
            }
        }
        let whole = self.partial.len() / RECORD * RECORD;
        for r in self.partial[..whole].chunks_exact(RECORD) {
            let mut k = [0u8; 8];
            k.copy_from_slice(&r[1..9]);
            let mut c = [0u8; 8];
            c.copy_from_slice(&r[9..]);
            let (keys, cow) = (u64::from_le_bytes(k), u64::from_le_bytes(c));
            match r[0] {
                INFO_CURRENT => {
                    srv.current_cow_size = cow;
                    srv.current_cow_peak = srv.current_cow_peak.max(cow);
                    srv.current_cow_size_age = crate::logging::now_ms();
                    srv.current_save_keys_processed = keys;
                }
                INFO_RDB_COW => {
                    srv.rdb_last_cow_size = cow;
                    info!("Fork CoW for RDB: current {} MB", cow / (1024 * 1024));
                }
                INFO_AOF_COW => {
                    srv.aof.last_cow_size = cow;
                    info!(
                        "Fork CoW for AOF rewrite: current {} MB",
                        cow / (1024 * 1024)
                    );
                }
                _ => {}
            }
        }
        self.partial.drain(..whole);
    }
}

/// First steps of every fork child (redisFork's child branch): its log
/// role and title, no dict resizing (it would copy pages for nothing), the
/// background-child OOM score, and no inherited listeners.
pub fn enter_child(srv: &mut Server, title: &str) {
    crate::logging::set_role(b'C');
    crate::proctitle::set(title);
    set_resize_policy(ResizePolicy::Forbid);
    // A failure is logged; the child goes on, as Redis' does.
    srv.oom_score
        .apply(&srv.cfg, crate::linux_tuning::OomClass::BackgroundChild);
    close_listeners_in_child(srv);
}

/// In a fork child: close the listening sockets it inherited
/// (closeChildUnusedResourceAfterFork), so a port is never held by a child
/// that outlives the server, and connections never queue on it.
fn close_listeners_in_child(srv: &Server) {
    use std::os::fd::AsRawFd;
    for l in &srv.listeners {
        let fd = match l {
            crate::net::listener::Listener::Tcp(t) => t.as_raw_fd(),
            crate::net::listener::Listener::Unix(u) => u.as_raw_fd(),
        };
        // SAFETY: the fd belongs to this (child) process' copy of the
        // listener, which it never uses again and leaves through _exit.
        unsafe { nix::libc::close(fd) };
    }
}

/// rdbSaveBackground: fork a child that saves. False when a child already
/// runs or fork fails (logged).
pub fn bgsave(srv: &mut Server) -> bool {
    fork_save(srv, None)
}

/// rdbSaveToSlavesSockets: fork a child that writes the snapshot, EOF-mark
/// framed, into `pipe` (the write end); the parent relays it to replicas.
/// `reader` is the parent's end of that pipe: the child closes its copy,
/// so that if the parent dies its writes fail (EPIPE) and it exits instead
/// of blocking on a full pipe forever.
pub fn bgsave_to_pipe(srv: &mut Server, pipe: OwnedFd, reader: std::os::fd::RawFd) -> bool {
    fork_save(srv, Some((pipe, reader)))
}

/// The child's work for a diskless sync: the framed snapshot into the pipe.
fn save_to_pipe(srv: &Server, pipe: OwnedFd, on_key: &mut dyn FnMut(u64)) -> bool {
    let out = std::io::BufWriter::with_capacity(64 * 1024, std::fs::File::from(pipe));
    crate::replication::transfer::write_eof_marked(out, |w| {
        super::write_snapshot(srv, &mut *w, on_key).map(|_| ())
    })
    .is_ok()
}

fn fork_save(srv: &mut Server, to_pipe: Option<(OwnedFd, std::os::fd::RawFd)>) -> bool {
    if super::aof::has_active_child(srv) {
        return false;
    }
    let socket = to_pipe.is_some();
    let pipe =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC).ok();
    if !socket {
        srv.dirty_before_bgsave = srv.dirty;
        srv.last_bgsave_try = crate::logging::now_ms() / 1000;
        srv.rdb_saves += 1;
    }
    let start = std::time::Instant::now();
    // SAFETY: the server runs one thread, so the child starts with a
    // consistent heap; it only serialises the dataset (reads), writes a
    // file, logs, and leaves through _exit without running destructors.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            enter_child(srv, "redis-rdb-bgsave");
            let mut report = InfoWriter::new(pipe.map(|(_, w)| w));
            let mut progress = |keys: u64| report.progress(keys);
            let ok = match to_pipe {
                Some((p, reader)) => {
                    // SAFETY: `reader` is this child's inherited copy of the
                    // parent's end of the pipe; nothing here uses it.
                    unsafe { nix::libc::close(reader) };
                    save_to_pipe(srv, p, &mut progress)
                }
                None => super::rdb_save_with(srv, &mut progress),
            };
            if ok {
                report.done(INFO_RDB_COW);
            }
            // SAFETY: _exit ends the child at once, which is what a forked
            // copy of the server must do (no flushing of shared buffers).
            unsafe { nix::libc::_exit(if ok { 0 } else { 1 }) }
        }
        Ok(ForkResult::Parent { child }) => {
            srv.stat_fork_time_us = start.elapsed().as_micros() as u64;
            srv.latency_sample("fork", srv.stat_fork_time_us);
            srv.stat_total_forks += 1;
            // Moving entries between tables would copy every page the
            // child still shares (updateDictResizePolicy).
            set_resize_policy(ResizePolicy::Avoid);
            drop(to_pipe); // the child's end: EOF reaches us when it exits
            if socket {
                info!("Background RDB transfer started by pid {child}");
            } else {
                info!("Background saving started by pid {child}");
            }
            srv.current_save_keys_total = srv.dbs.iter().map(|d| d.len() as u64).sum();
            srv.rdb_child = Some(RdbChild {
                pid: child.as_raw(),
                start: crate::logging::now_ms() / 1000,
                info: pipe.map(|(r, _)| InfoReader::new(r)),
                exited: None,
                socket,
            });
            true
        }
        Err(e) => {
            srv.lastbgsave_ok = false;
            warn!("Can't save in background: fork: {}", e.desc());
            false
        }
    }
}

fn temp_file(pid: i32) -> String {
    format!("temp-{pid}.rdb")
}

/// Reaps a finished child (checkChildrenDone), run from cron.
pub fn check_child_done(srv: &mut Server) {
    read_child_info(srv);
    let Some(ch) = srv.rdb_child.as_ref() else {
        return;
    };
    let (pid, start, socket) = (ch.pid, ch.start, ch.socket);
    let status = match ch.exited {
        Some(s) => s,
        None => match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return,
            Ok(s) => s,
            Err(e) => {
                warn!(
                    "waitpid() returned an error: {}. child_type: RDB, child_pid = {}",
                    e.desc(),
                    ch.pid
                );
                WaitStatus::Exited(Pid::from_raw(ch.pid), 1)
            }
        },
    };
    // A diskless child that finished may exit before we relayed its last
    // bytes: hold the report until the pipe is drained. One that died
    // (killed, failed) is reported now, even with the relay stuck on a
    // slow replica.
    if socket
        && matches!(status, WaitStatus::Exited(_, 0))
        && !crate::replication::transfer::pipe_drained(srv)
    {
        if let Some(ch) = srv.rdb_child.as_mut() {
            ch.exited = Some(status);
        }
        return;
    }
    // Its last record (the COW size) was written before it exited.
    read_child_info(srv);
    let now = crate::logging::now_ms() / 1000;
    srv.rdb_child = None;
    set_resize_policy(ResizePolicy::Enable);
    reset_current_info(srv);
    srv.rdb_save_time_last = now - start;
    if socket {
        let ok = match status {
            WaitStatus::Exited(_, 0) => {
                info!("Background RDB transfer terminated with success");
                true
            }
            WaitStatus::Signaled(_, sig, _) => {
                warn!("Background transfer terminated by signal {}", sig as i32);
                false
            }
            _ => {
                warn!("Background transfer error");
                false
            }
        };
        crate::replication::transfer::bgsave_done(srv, ok, true);
        return;
    }
    let ok = matches!(status, WaitStatus::Exited(_, 0));
    match status {
        WaitStatus::Exited(_, 0) => {
            info!("Background saving terminated with success");
            srv.dirty = srv.dirty.saturating_sub(srv.dirty_before_bgsave);
            srv.last_save = now;
            srv.lastbgsave_ok = true;
        }
        WaitStatus::Exited(..) => {
            warn!("Background saving error");
            srv.lastbgsave_ok = false;
        }
        WaitStatus::Signaled(_, sig, _) => {
            warn!("Background saving terminated by signal {}", sig as i32);
            let _ = std::fs::remove_file(temp_file(pid));
            // A kill we asked for (SIGUSR1) is not a failure.
            if sig != Signal::SIGUSR1 {
                srv.lastbgsave_ok = false;
            }
        }
        _ => {}
    }
    crate::replication::transfer::bgsave_done(srv, ok, false);
}

/// killRDBChild: stop a running save (FLUSHALL, SHUTDOWN) and reap it.
pub fn kill_child(srv: &mut Server) {
    let Some(ch) = srv.rdb_child.take() else {
        return;
    };
    reset_current_info(srv);
    set_resize_policy(ResizePolicy::Enable);
    let pid = Pid::from_raw(ch.pid);
    let _ = kill(pid, Signal::SIGUSR1);
    let _ = waitpid(pid, None);
    let _ = std::fs::remove_file(temp_file(ch.pid));
    // Replicas waiting for this snapshot must start over.
    crate::replication::transfer::bgsave_done(srv, false, ch.socket);
}

/// Drains the child info pipe (receiveChildInfo).
fn read_child_info(srv: &mut Server) {
    let Some(mut reader) = srv.rdb_child.as_mut().and_then(|ch| ch.info.take()) else {
        return;
    };
    reader.apply(srv);
    if let Some(ch) = srv.rdb_child.as_mut() {
        ch.info = Some(reader);
    }
}

pub fn reset_current_info(srv: &mut Server) {
    srv.current_cow_size = 0;
    srv.current_cow_peak = 0;
    srv.current_cow_size_age = 0;
    srv.current_save_keys_processed = 0;
    srv.current_save_keys_total = 0;
}

/// Save points (`save <secs> <changes>`), checked from cron: start a
/// background save when one is due; after a failed save, retry only every
/// CONFIG_BGSAVE_RETRY_DELAY (5) seconds.
pub fn cron_save_points(srv: &mut Server) {
    if super::aof::has_active_child(srv) || srv.cfg.save.is_empty() {
        return;
    }
    let now = crate::logging::now_ms() / 1000;
    let retry_ok = srv.lastbgsave_ok || now - srv.last_bgsave_try > 5;
    let due = srv.cfg.save.iter().copied().find(|&(secs, changes)| {
        srv.dirty >= changes.max(0) as u64 && now - srv.last_save > secs && retry_ok
    });
    if let Some((secs, changes)) = due {
        info!("{changes} changes in {secs} seconds. Saving...");
        bgsave(srv);
    }
}
