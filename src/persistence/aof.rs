//! The append-only file, Redis 7.0's multi-part layout (aof.c): the writing
//! side. Loading is in `aof_load`, rewriting (BGREWRITEAOF) in `aof_rewrite`,
//! the manifest format in `manifest`.
//!
//! Where it sits in the loop:
//! * every propagated effect (`propagate::propagate_now`) is appended as
//!   RESP to `Aof::buf` by `feed`, with a SELECT when the db changes and a
//!   `#TS:<unix>` annotation each new second under `aof-timestamp-enabled`;
//! * `before_sleep` calls `flush` BEFORE any reply is written, so a client
//!   never sees the acknowledgement of a write that is not in the file;
//!   `appendfsync always` also fdatasyncs there; `everysec` hands the fsync
//!   to a helper thread (Redis' bio) at most once a second, and if that
//!   fsync is still running, postpones the write up to two seconds
//!   (`aof_delayed_fsync` counts the times it could wait no longer);
//! * cron retries postponed or failed writes, starts scheduled and
//!   automatic rewrites, and reaps the rewrite child.
//!
//! States (aof_state): `Off`; `On`; `WaitRewrite` — just turned on by
//! CONFIG SET, the first rewrite (which creates the base) is running and
//! the commands meanwhile go to a temp incr file that becomes a real incr
//! file when that rewrite succeeds.
//!
//! Files live in `appenddirname` inside `dir` (the working directory);
//! temp files of a rewrite are written in `dir` itself, as Redis does.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use bytes::Bytes;
use log::{info, warn};

use super::manifest::Manifest;
use crate::config::AppendFsync;
use crate::server::Server;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AofState {
    Off,
    On,
    WaitRewrite,
}

/// A running BGREWRITEAOF child.
#[derive(Debug)]
pub struct AofChild {
    pub pid: i32,
    /// Read end of the child info pipe (progress, copy-on-write size).
    pub(super) info: Option<super::fork::InfoReader>,
}

/// Everything the server keeps about the AOF (the aof_* fields of Redis'
/// server struct).
pub struct Aof {
    pub state: AofState,
    /// Effects not yet written (aof_buf).
    pub buf: Vec<u8>,
    /// The incr file being appended to.
    pub(super) file: Option<File>,
    pub manifest: Manifest,
    /// Db of the last command written, None forces a SELECT.
    pub(super) selected_db: Option<usize>,
    /// Unix seconds of the last `#TS:` annotation.
    pub(super) cur_timestamp: i64,
    /// Size of the current incr file, and how much of it is fsynced.
    pub last_incr_size: u64,
    pub(super) last_incr_fsync_offset: u64,
    /// Base + incr sizes (aof_current_size) and that size after the last
    /// rewrite (aof_base_size), for auto-aof-rewrite-percentage.
    pub current_size: u64,
    pub rewrite_base_size: u64,
    /// Unix seconds of the last fsync started.
    pub(super) last_fsync: i64,
    /// When a write started waiting for a running background fsync.
    pub(super) flush_postponed_start: i64,
    pub delayed_fsync: u64,
    pub rewrite_scheduled: bool,
    /// Unix seconds the running rewrite started (-1: none); duration of
    /// the last one (-1: none yet).
    pub rewrite_time_start: i64,
    pub rewrite_time_last: i64,
    pub lastbgrewrite_ok: bool,
    pub last_write_ok: bool,
    /// strerror text of the last write error (MISCONF message).
    pub last_write_error: String,
    pub rewrites: u64,
    pub rewrites_consecutive_failures: u64,
    pub last_cow_size: u64,
    pub child: Option<AofChild>,
    /// aofRewriteLimited's back-off after repeated failures.
    pub(super) next_rewrite_delay_min: i64,
    pub(super) next_rewrite_time: i64,
    /// DEBUG AOF-FLUSH-SLEEP: µs to sleep before each write (tests use it
    /// to widen the window between the write and the replies).
    pub flush_sleep_us: u64,
    pub(super) bio: Bio,
}

impl Aof {
    pub fn new(enabled: bool) -> Aof {
        Aof {
            state: if enabled { AofState::On } else { AofState::Off },
            buf: Vec::new(),
            file: None,
            manifest: Manifest::default(),
            selected_db: None,
            cur_timestamp: 0,
            last_incr_size: 0,
            last_incr_fsync_offset: 0,
            current_size: 0,
            rewrite_base_size: 0,
            last_fsync: crate::logging::now_ms() / 1000,
            flush_postponed_start: 0,
            delayed_fsync: 0,
            rewrite_scheduled: false,
            rewrite_time_start: -1,
            rewrite_time_last: -1,
            lastbgrewrite_ok: true,
            last_write_ok: true,
            last_write_error: String::new(),
            rewrites: 0,
            rewrites_consecutive_failures: 0,
            last_cow_size: 0,
            child: None,
            next_rewrite_delay_min: 0,
            next_rewrite_time: 0,
            flush_sleep_us: 0,
            bio: Bio::default(),
        }
    }

    /// Background fsyncs queued or running (aof_pending_bio_fsync).
    pub fn pending_fsync(&self) -> u64 {
        self.bio.pending.load(Ordering::Acquire)
    }

    /// Whether the last background fsync failed (aof_bio_fsync_status).
    pub fn bio_fsync_failed(&self) -> bool {
        self.bio.failed.load(Ordering::Acquire)
    }

    /// The MISCONF text when writes must be refused for AOF errors
    /// (writeCommandsDeniedByDiskError), else None.
    pub fn write_denied_error(&self) -> Option<String> {
        if self.state == AofState::Off {
            return None;
        }
        if !self.last_write_ok {
            return Some(self.last_write_error.clone());
        }
        if self.bio_fsync_failed() {
            let e = self.bio.error.lock().map(|e| e.clone()).unwrap_or_default();
            return Some(e);
        }
        None
    }
}

// ---------------------------------------------------------------------------
// The background thread (bio.c's BIO_AOF_FSYNC and BIO_CLOSE_FILE jobs)
// ---------------------------------------------------------------------------

enum BioJob {
    /// fdatasync a duplicate of the AOF descriptor.
    Fsync(File),
    /// fsync, then close, an incr file we stopped writing to.
    Close(File),
    /// Remove a history file (bg_unlink).
    Unlink(PathBuf),
}

/// The helper thread, started on first use. Jobs run in order.
#[derive(Default)]
pub(super) struct Bio {
    tx: Option<mpsc::Sender<BioJob>>,
    pending: Arc<AtomicU64>,
    failed: Arc<AtomicBool>,
    error: Arc<Mutex<String>>,
}

impl Bio {
    fn submit(&mut self, job: BioJob) {
        if self.tx.is_none() {
            let (tx, rx) = mpsc::channel::<BioJob>();
            let (pending, failed, error) = (
                self.pending.clone(),
                self.failed.clone(),
                self.error.clone(),
            );
            let spawned = std::thread::Builder::new()
                .name("bio_aof".into())
                .spawn(move || {
                    for job in rx {
                        run_job(job, &failed, &error);
                        pending.fetch_sub(1, Ordering::AcqRel);
                    }
                });
            if spawned.is_err() {
                // No thread: do the work inline rather than lose it.
                run_job(job, &self.failed, &self.error);
                return;
            }
            self.tx = Some(tx);
        }
        self.pending.fetch_add(1, Ordering::AcqRel);
        if let Some(tx) = &self.tx {
            if let Err(mpsc::SendError(job)) = tx.send(job) {
                self.pending.fetch_sub(1, Ordering::AcqRel);
                run_job(job, &self.failed, &self.error);
            }
        }
    }
}

fn run_job(job: BioJob, failed: &AtomicBool, error: &Mutex<String>) {
    let res = match job {
        BioJob::Fsync(f) => f.sync_data(),
        BioJob::Close(f) => f.sync_data(),
        BioJob::Unlink(p) => {
            let _ = std::fs::remove_file(p);
            return;
        }
    };
    match res {
        Ok(()) => failed.store(false, Ordering::Release),
        Err(e) => {
            if let Ok(mut s) = error.lock() {
                *s = super::io_text(&e);
            }
            failed.store(true, Ordering::Release);
        }
    }
}

// ---------------------------------------------------------------------------
// Paths and the manifest on disk
// ---------------------------------------------------------------------------

/// `appenddirname/name` (makePath).
pub fn aof_path(srv: &Server, name: &str) -> PathBuf {
    Path::new(&srv.cfg.appenddirname).join(name)
}

pub fn manifest_name(srv: &Server) -> String {
    format!("{}.manifest", srv.cfg.appendfilename)
}

/// The temp incr file used while waiting for the first rewrite.
pub fn temp_incr_name(srv: &Server) -> String {
    format!("temp-{}.incr", srv.cfg.appendfilename)
}

/// Create `appenddirname` if missing (dirCreateIfMissing).
pub fn create_dir_if_missing(srv: &Server) -> std::io::Result<()> {
    match std::fs::create_dir(&srv.cfg.appenddirname) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Write `am` to disk if it changed (persistAofManifest): temp file,
/// fsync, rename, directory fsync. False (logged) on failure.
pub fn persist_manifest(srv: &Server, am: &mut Manifest) -> bool {
    if !am.dirty {
        return true;
    }
    let name = manifest_name(srv);
    let tmp_name = format!("temp-{name}");
    let (path, tmp) = (aof_path(srv, &name), aof_path(srv, &tmp_name));
    let mut f = match OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&tmp)
    {
        Ok(f) => f,
        Err(e) => {
            warn!(
                "Can't open the AOF manifest file {tmp_name}: {}",
                super::io_text(&e)
            );
            return false;
        }
    };
    if let Err(e) = f.write_all(am.render().as_bytes()) {
        warn!(
            "Error trying to write the temporary AOF manifest file {tmp_name}: {}",
            super::io_text(&e)
        );
        return false;
    }
    if let Err(e) = f.sync_data() {
        warn!(
            "Fail to fsync the temp AOF file {tmp_name}: {}.",
            super::io_text(&e)
        );
        return false;
    }
    if let Err(e) = std::fs::rename(&tmp, &path) {
        warn!(
            "Error trying to rename the temporary AOF manifest file {tmp_name} into {name}: {}",
            super::io_text(&e)
        );
        return false;
    }
    // New files may have been added to the directory too.
    if let Ok(d) = File::open(&srv.cfg.appenddirname) {
        if let Err(e) = d.sync_all() {
            warn!(
                "Fail to fsync AOF directory {}: {}.",
                path.display(),
                super::io_text(&e)
            );
            return false;
        }
    }
    am.dirty = false;
    true
}

/// Persist the server's own manifest.
pub fn persist_own_manifest(srv: &mut Server) -> bool {
    let mut am = std::mem::take(&mut srv.aof.manifest);
    let ok = persist_manifest(srv, &mut am);
    srv.aof.manifest = am;
    ok
}

/// Remove the HISTORY files (aofDelHistoryFiles), unless
/// `aof-disable-auto-gc`; the removals run on the helper thread.
pub fn del_history_files(srv: &mut Server) -> bool {
    if srv.cfg.aof_disable_auto_gc || srv.aof.manifest.history.is_empty() {
        return true;
    }
    for ai in std::mem::take(&mut srv.aof.manifest.history) {
        info!("Removing the history file {} in the background", ai.name);
        let p = aof_path(srv, &ai.name);
        srv.aof.bio.submit(BioJob::Unlink(p));
    }
    srv.aof.manifest.dirty = true;
    persist_own_manifest(srv)
}

/// Size of a file of the AOF dir (getAppendOnlyFileSize); logs and
/// returns the error kind when it cannot be read.
pub fn file_size(srv: &Server, name: &str) -> Result<u64, std::io::Error> {
    match std::fs::metadata(aof_path(srv, name)) {
        Ok(m) => Ok(m.len()),
        Err(e) => {
            warn!(
                "Unable to obtain the AOF file {name} length. stat: {}",
                super::io_text(&e)
            );
            Err(e)
        }
    }
}

fn open_append(path: &Path, truncate: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).mode(0o644);
    if truncate {
        o.write(true).truncate(true);
    } else {
        o.append(true);
    }
    o.open(path)
}

// ---------------------------------------------------------------------------
// Start-up, CONFIG SET appendonly
// ---------------------------------------------------------------------------

/// After loading at start-up with the AOF on (aofOpenIfNeededOnServerStart):
/// create a base if there is no AOF at all, open the last incr file (or a
/// new one) for appending, persist the manifest. Exits on failure.
pub fn open_if_needed_on_server_start(srv: &mut Server) {
    if srv.aof.state != AofState::On {
        return;
    }
    if let Err(e) = create_dir_if_missing(srv) {
        warn!(
            "Can't open or create append-only dir {}: {}",
            srv.cfg.appenddirname,
            super::io_text(&e)
        );
        std::process::exit(1);
    }
    let had_incr = !srv.aof.manifest.incrs.is_empty();
    if srv.aof.manifest.base.is_none() && !had_incr {
        let preamble = srv.cfg.aof_use_rdb_preamble;
        let fname = srv.cfg.appendfilename.clone();
        let base = srv.aof.manifest.new_base(&fname, preamble);
        let path = aof_path(srv, &base);
        if !super::aof_rewrite::rewrite_to_file(srv, &path, &mut |_| {}) {
            std::process::exit(1);
        }
        info!("Creating AOF base file {base} on server start");
    }
    let fname = srv.cfg.appendfilename.clone();
    let name = srv.aof.manifest.last_incr_or_new(&fname);
    match open_append(&aof_path(srv, &name), false) {
        Ok(f) => srv.aof.file = Some(f),
        Err(e) => {
            warn!(
                "Can't open the append-only file {name}: {}",
                super::io_text(&e)
            );
            std::process::exit(1);
        }
    }
    if !persist_own_manifest(srv) {
        std::process::exit(1);
    }
    srv.aof.last_incr_size = file_size(srv, &name).unwrap_or(0);
    srv.aof.last_incr_fsync_offset = srv.aof.last_incr_size;
    if had_incr {
        info!("Opening AOF incr file {name} on server start");
    } else {
        info!("Creating AOF incr file {name} on server start");
    }
}

/// Open a new incr file when a rewrite starts (openNewIncrAofForAppend):
/// with the AOF on, a new numbered incr recorded in the manifest; while
/// waiting for the first rewrite, the temp incr file. All or nothing.
pub fn open_new_incr_for_append(srv: &mut Server) -> bool {
    if srv.aof.state == AofState::Off {
        return true;
    }
    let mut temp_am = None;
    let name = if srv.aof.state == AofState::WaitRewrite {
        temp_incr_name(srv)
    } else {
        let mut am = srv.aof.manifest.clone();
        let n = am.new_incr(&srv.cfg.appendfilename);
        temp_am = Some(am);
        n
    };
    let file = match open_append(&aof_path(srv, &name), true) {
        Ok(f) => f,
        Err(e) => {
            warn!(
                "Can't open the append-only file {name}: {}",
                super::io_text(&e)
            );
            return false;
        }
    };
    if let Some(am) = temp_am.as_mut() {
        if !persist_manifest(srv, am) {
            return false;
        }
    }
    info!("Creating AOF incr file {name} on background rewrite");
    if let Some(old) = srv.aof.file.take() {
        // everysec may fsync the old file late; under always it is
        // already synced.
        srv.aof.bio.submit(BioJob::Close(old));
        srv.aof.last_fsync = srv.unixtime;
    }
    srv.aof.file = Some(file);
    srv.aof.last_incr_size = 0;
    srv.aof.last_incr_fsync_offset = 0;
    if let Some(am) = temp_am {
        srv.aof.manifest = am;
    }
    true
}

/// CONFIG SET appendonly yes (startAppendOnly): the first rewrite creates
/// the base; until it finishes the state is WaitRewrite.
pub fn start_append_only(srv: &mut Server) -> bool {
    srv.aof.state = AofState::WaitRewrite;
    if srv.rdb_child.is_some() {
        srv.aof.rewrite_scheduled = true;
        warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
    } else if srv.in_exec {
        srv.aof.rewrite_scheduled = true;
        warn!("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
    } else {
        if srv.aof.child.is_some() {
            warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
            super::aof_rewrite::kill_child(srv);
        }
        if !super::aof_rewrite::rewrite_background(srv) {
            srv.aof.state = AofState::Off;
            warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
            return false;
        }
    }
    srv.aof.last_fsync = srv.unixtime;
    if srv.aof.bio_fsync_failed() {
        warn!("AOF reopen, just ignore the AOF fsync error in bio job");
        srv.aof.bio.failed.store(false, Ordering::Release);
    }
    if !srv.aof.last_write_ok {
        warn!("AOF reopen, just ignore the last error.");
        srv.aof.last_write_ok = true;
    }
    true
}

/// CONFIG SET appendonly no (stopAppendOnly): flush, fsync and close the
/// file, stop any rewrite.
pub fn stop_append_only(srv: &mut Server) {
    flush(srv, true);
    if let Some(f) = srv.aof.file.take() {
        match f.sync_data() {
            Ok(()) => srv.aof.last_fsync = srv.unixtime,
            Err(e) => warn!("Fail to fsync the AOF file: {}", super::io_text(&e)),
        }
    }
    srv.aof.selected_db = None;
    srv.aof.state = AofState::Off;
    srv.aof.rewrite_scheduled = false;
    srv.aof.last_incr_size = 0;
    srv.aof.last_incr_fsync_offset = 0;
    super::aof_rewrite::kill_child(srv);
    srv.aof.buf = Vec::new();
}

/// SHUTDOWN's part (prepareForShutdown): false when the initial AOF is
/// still being written and the shutdown is not forced.
pub fn prepare_shutdown(srv: &mut Server, force: bool) -> bool {
    if srv.aof.child.is_some() {
        if srv.aof.state == AofState::WaitRewrite {
            if force {
                warn!("Writing initial AOF. Exit anyway.");
            } else {
                warn!("Writing initial AOF, can't exit.");
                return false;
            }
        }
        warn!("There is a child rewriting the AOF. Killing it!");
        super::aof_rewrite::kill_child(srv);
    }
    if srv.aof.state != AofState::Off {
        info!("Calling fsync() on the AOF file.");
        flush(srv, true);
        if let Some(f) = &srv.aof.file {
            if let Err(e) = f.sync_data() {
                warn!("Fail to fsync the AOF file: {}.", super::io_text(&e));
            }
        }
    }
    true
}

// ---------------------------------------------------------------------------
// Feeding and flushing
// ---------------------------------------------------------------------------

/// Append one effect to the AOF buffer (feedAppendOnlyFile).
pub fn feed(srv: &mut Server, db: usize, argv: &[Bytes]) {
    let a = &mut srv.aof;
    let accepting =
        a.state == AofState::On || (a.state == AofState::WaitRewrite && a.child.is_some());
    if !accepting {
        return;
    }
    if srv.cfg.aof_timestamp_enabled && a.cur_timestamp < srv.unixtime {
        a.cur_timestamp = srv.unixtime;
        a.buf.extend_from_slice(b"#TS:");
        crate::util::number::write_i64(&mut a.buf, srv.unixtime);
        a.buf.extend_from_slice(b"\r\n");
    }
    if a.selected_db != Some(db) {
        let mut n = [0u8; 20];
        let id = crate::util::number::fmt_u64(db as u64, &mut n);
        cat_command(&mut a.buf, &[b"SELECT", id]);
        a.selected_db = Some(db);
    }
    let args: Vec<&[u8]> = argv.iter().map(|b| &b[..]).collect();
    cat_command(&mut a.buf, &args);
}

/// A command as a RESP multibulk (catAppendOnlyGenericCommand).
pub fn cat_command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    out.push(b'*');
    crate::util::number::write_u64(out, argv.len() as u64);
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        crate::util::number::write_u64(out, a.len() as u64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// write(2) until done, retrying EINTR and short writes (aofWrite).
/// Returns the bytes written and the error that stopped it, if any.
fn write_all(mut f: &File, mut buf: &[u8]) -> (usize, Option<std::io::Error>) {
    let mut total = 0;
    while !buf.is_empty() {
        match f.write(buf) {
            Ok(0) => {
                return (
                    total,
                    Some(std::io::Error::from_raw_os_error(nix::libc::ENOSPC)),
                )
            }
            Ok(n) => {
                total += n;
                buf = &buf[n..];
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (total, Some(e)),
        }
    }
    (total, None)
}

/// Whether a fork child (BGSAVE or rewrite) is running (hasActiveChildProcess).
pub fn has_active_child(srv: &Server) -> bool {
    srv.rdb_child.is_some() || srv.aof.child.is_some()
}

/// Write the buffer to the incr file, and fsync per `appendfsync`
/// (flushAppendOnlyFile). With `force`, write even while a background
/// fsync runs (everysec would otherwise wait up to two seconds).
pub fn flush(srv: &mut Server, force: bool) {
    let policy = srv.cfg.appendfsync;
    let now = srv.unixtime;
    let child = has_active_child(srv);
    let no_fsync_on_rewrite = srv.cfg.no_appendfsync_on_rewrite;
    let monitor = srv.cfg.latency_monitor_threshold > 0;
    let a = &mut srv.aof;
    let Some(file) = a.file.as_ref() else {
        return;
    };
    let sync_in_progress = policy == AppendFsync::Everysec && a.pending_fsync() != 0;
    if a.buf.is_empty() {
        // Nothing to write, but an everysec/always fsync may still be due
        // for what an earlier write left unsynced.
        let due = match policy {
            AppendFsync::Everysec => {
                a.last_incr_fsync_offset != a.last_incr_size
                    && now > a.last_fsync
                    && !sync_in_progress
            }
            AppendFsync::Always => a.last_incr_fsync_offset != a.last_incr_size,
            AppendFsync::No => false,
        };
        if !due {
            return;
        }
    } else {
        if policy == AppendFsync::Everysec && !force && sync_in_progress {
            if a.flush_postponed_start == 0 {
                a.flush_postponed_start = now;
                return;
            } else if now - a.flush_postponed_start < 2 {
                return;
            }
            a.delayed_fsync += 1;
            info!("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
        }
        if a.flush_sleep_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(a.flush_sleep_us));
        }
        let started = monitor.then(std::time::Instant::now);
        let (n, err) = write_all(file, &a.buf);
        a.flush_postponed_start = 0;
        if let Some(t) = started {
            let us = t.elapsed().as_micros() as u64;
            let kind = if sync_in_progress {
                "aof-write-pending-fsync"
            } else if child {
                "aof-write-active-child"
            } else {
                "aof-write-alone"
            };
            srv.latency_sample(kind, us);
            srv.latency_sample("aof-write", us);
        }
        let a = &mut srv.aof;
        if let Some(e) = err {
            write_failed(srv, n, e, policy);
            return;
        }
        if !a.last_write_ok {
            warn!("AOF write error looks solved, Redis can write again.");
            a.last_write_ok = true;
        }
        a.current_size += n as u64;
        a.last_incr_size += n as u64;
        // Keep a small buffer's allocation, drop a big one.
        if a.buf.capacity() < 4000 {
            a.buf.clear();
        } else {
            a.buf = Vec::new();
        }
    }
    if no_fsync_on_rewrite && child {
        return;
    }
    let a = &mut srv.aof;
    let Some(file) = a.file.as_ref() else {
        return;
    };
    match policy {
        AppendFsync::Always => {
            // The client is about to be told its write is durable: a
            // failed fsync cannot be survived.
            let started = monitor.then(std::time::Instant::now);
            if let Err(e) = file.sync_data() {
                warn!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...", super::io_text(&e));
                std::process::exit(1);
            }
            a.last_incr_fsync_offset = a.last_incr_size;
            a.last_fsync = now;
            if let Some(t) = started {
                srv.latency_sample("aof-fsync-always", t.elapsed().as_micros() as u64);
            }
        }
        AppendFsync::Everysec if now > a.last_fsync => {
            if !sync_in_progress {
                if let Ok(dup) = file.try_clone() {
                    a.bio.submit(BioJob::Fsync(dup));
                }
                a.last_incr_fsync_offset = a.last_incr_size;
            }
            a.last_fsync = now;
        }
        _ => {}
    }
}

/// A write error or short write: under `always` the process must stop (a
/// reply may already promise durability); otherwise writes are refused
/// (MISCONF) until a retry from cron succeeds.
fn write_failed(srv: &mut Server, written: usize, e: std::io::Error, policy: AppendFsync) {
    let a = &mut srv.aof;
    let text = super::io_text(&e);
    let mut written = written;
    if written == 0 {
        warn!("Error writing to the AOF file: {text}");
        a.last_write_error = text;
    } else {
        warn!(
            "Short write while writing to the AOF file: (nwritten={written}, expected={})",
            a.buf.len()
        );
        // Undo the partial write so the file still ends on a whole command.
        if let Some(f) = &a.file {
            match f.set_len(a.last_incr_size) {
                Ok(()) => written = 0,
                Err(te) => warn!("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {}", super::io_text(&te)),
            }
        }
        a.last_write_error = "No space left on device".into();
    }
    if policy == AppendFsync::Always {
        warn!(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
        );
        std::process::exit(1);
    }
    a.last_write_ok = false;
    if written > 0 {
        a.current_size += written as u64;
        a.last_incr_size += written as u64;
        a.buf.drain(..written.min(a.buf.len()));
    }
}

/// before_sleep's part: flush what the commands of this iteration queued.
#[inline]
pub fn before_sleep(srv: &mut Server) {
    if srv.aof.state != AofState::Off {
        flush(srv, false);
    }
}

/// cron's part (serverCron): scheduled and automatic rewrites, reaping the
/// child, postponed flushes, retries after write errors.
pub fn cron(srv: &mut Server) {
    use super::aof_rewrite::{check_child_done, rewrite_background, rewrite_limited};
    if !has_active_child(srv) && srv.aof.rewrite_scheduled && !rewrite_limited(srv) {
        rewrite_background(srv);
    }
    if srv.aof.child.is_some() {
        check_child_done(srv);
    } else if srv.aof.state == AofState::On
        && !has_active_child(srv)
        && srv.cfg.auto_aof_rewrite_percentage > 0
        && srv.aof.current_size > srv.cfg.auto_aof_rewrite_min_size.max(0) as u64
    {
        let base = srv.aof.rewrite_base_size.max(1);
        let growth = (srv.aof.current_size * 100 / base) as i64 - 100;
        if growth >= srv.cfg.auto_aof_rewrite_percentage as i64 && !rewrite_limited(srv) {
            info!("Starting automatic rewriting of AOF on {growth}% growth");
            rewrite_background(srv);
        }
    }
    if srv.aof.state != AofState::Off && srv.aof.flush_postponed_start != 0 {
        flush(srv, false);
    }
    let once_a_second = srv.cronloops.is_multiple_of(srv.hz.max(1) as u64);
    if srv.aof.state != AofState::Off && !srv.aof.last_write_ok && once_a_second {
        flush(srv, false);
    }
}

/// The AOF fields of INFO persistence.
pub fn info_fields(srv: &Server, o: &mut String) {
    use std::fmt::Write as _;
    let a = &srv.aof;
    let now = crate::logging::now_ms() / 1000;
    let _ = write!(
        o,
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:{}\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
        (a.state != AofState::Off) as i32,
        a.child.is_some() as i32,
        a.rewrite_scheduled as i32,
        a.rewrite_time_last,
        if a.rewrite_time_start == -1 { -1 } else { now - a.rewrite_time_start },
        if a.lastbgrewrite_ok { "ok" } else { "err" },
        a.rewrites,
        a.rewrites_consecutive_failures,
        if a.last_write_ok && !a.bio_fsync_failed() { "ok" } else { "err" },
        a.last_cow_size,
    );
    if srv.cfg.appendonly {
        let _ = write!(
            o,
            "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:{}\r\n",
            a.current_size,
            a.rewrite_base_size,
            a.rewrite_scheduled as i32,
            a.buf.len(),
            a.pending_fsync(),
            a.delayed_fsync,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_written_as_resp_multibulk() {
        let mut out = Vec::new();
        cat_command(&mut out, &[b"SET", b"k", b""]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }
}
