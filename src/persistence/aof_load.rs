//! Loading the AOF (aof.c aofLoadManifestFromDisk, loadAppendOnlyFiles,
//! loadSingleAppendOnlyFile, aofUpgradePrepare).
//!
//! The manifest names a BASE (an RDB image, or commands) and INCR files
//! (commands), loaded in that order. Commands run through their handlers on
//! a fake client that never replies and never blocks; `loading` is set, so
//! nothing is propagated or expired meanwhile. MULTI ... EXEC in a file is
//! queued and applied at EXEC, so a transaction cut off by a crash is
//! dropped whole (and, with `aof-load-truncated`, cut from the file).
//!
//! File reading follows the C code's fgets/fread so the same bytes give
//! the same verdict: an annotation line starts with `#`, a command with
//! `*<argc>`, each argument is `$<len>` then the bytes and CRLF. A missing
//! tail is "unexpected EOF" (repairable: truncate to the last whole
//! command when `aof-load-truncated yes`, only in the last file); anything
//! else is a format error. Redis' log lines are kept word for word; the
//! suite greps for them.

use bytes::Bytes;
use log::{debug, info, warn};

use super::aof::{self, AofState};
use super::manifest::{AofInfo, Manifest, TYPE_BASE};
use crate::net::client::{flags, Client, Conn};
use crate::server::Server;

/// Outcome of loading one file or the whole set (AOF_OK, AOF_NOT_EXIST ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AofStatus {
    Ok,
    NotExist,
    Empty,
    OpenErr,
    Failed,
    Truncated,
}

/// fgets' buffer for annotation and header lines (AOF_ANNOTATION_LINE_MAX_LEN).
const LINE_MAX: usize = 1024;

/// Read the manifest into `srv.aof.manifest` (aofLoadManifestFromDisk):
/// no directory or no manifest is a fresh start; a bad manifest ends the
/// process with Redis' report.
pub fn load_manifest_from_disk(srv: &mut Server) {
    srv.aof.manifest = Manifest::default();
    if !std::path::Path::new(&srv.cfg.appenddirname).is_dir() {
        debug!("The AOF directory {} doesn't exist", srv.cfg.appenddirname);
        return;
    }
    let name = aof::manifest_name(srv);
    let path = aof::aof_path(srv, &name);
    if !path.exists() {
        debug!("The AOF manifest file {name} doesn't exist");
        return;
    }
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) => {
            warn!(
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                path.display(),
                super::io_text(&e)
            );
            std::process::exit(1);
        }
    };
    match Manifest::parse(&text) {
        Ok(m) => srv.aof.manifest = m,
        Err(e) => {
            warn!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
            if let Some((n, line)) = &e.line {
                warn!("Reading the manifest file, at line {n}\n");
                warn!(">>> '{line}'\n");
            }
            warn!("{}\n", e.msg);
            std::process::exit(1);
        }
    }
}

/// An `appendfilename` in `dir` from before multi-part AOF becomes the base
/// of a new manifest, moved into the directory (aofUpgradePrepare).
fn upgrade_prepare(srv: &mut Server) {
    if let Err(e) = aof::create_dir_if_missing(srv) {
        warn!(
            "Can't open or create append-only dir {}: {}",
            srv.cfg.appenddirname,
            super::io_text(&e)
        );
        std::process::exit(1);
    }
    let fname = srv.cfg.appendfilename.clone();
    let m = &mut srv.aof.manifest;
    m.base = Some(AofInfo {
        name: fname.clone(),
        seq: 1,
        kind: TYPE_BASE,
    });
    m.curr_base_seq = 1;
    m.dirty = true;
    if !aof::persist_own_manifest(srv) {
        std::process::exit(1);
    }
    if let Err(e) = std::fs::rename(&fname, aof::aof_path(srv, &fname)) {
        warn!(
            "Error trying to move the old AOF file {fname} into dir {}: {}",
            srv.cfg.appenddirname,
            super::io_text(&e)
        );
        std::process::exit(1);
    }
    info!(
        "Successfully migrated an old-style AOF file ({fname}) into the AOF directory ({}).",
        srv.cfg.appenddirname
    );
}

/// Load every file the manifest names (loadAppendOnlyFiles).
pub fn load_append_only_files(srv: &mut Server) -> AofStatus {
    let fname = srv.cfg.appendfilename.clone();
    if std::path::Path::new(&fname).exists() {
        let m = &srv.aof.manifest;
        let dir_missing = !std::path::Path::new(&srv.cfg.appenddirname).is_dir();
        let nothing = m.base.is_none() && m.incrs.is_empty();
        let only_old_base = m.incrs.is_empty()
            && m.base.as_ref().is_some_and(|b| b.name == fname)
            && !aof::aof_path(srv, &fname).exists();
        if dir_missing || nothing || only_old_base {
            upgrade_prepare(srv);
        }
    }
    let files: Vec<AofInfo> = srv.aof.manifest.load_order().into_iter().cloned().collect();
    if files.is_empty() {
        return AofStatus::NotExist;
    }
    let mut total = 0u64;
    for f in &files {
        match aof::file_size(srv, &f.name) {
            Ok(n) => total += n,
            Err(_) => return AofStatus::Failed,
        }
    }
    if total == 0 {
        return AofStatus::Empty;
    }
    srv.loading = true;
    srv.update_cached_time();
    srv.loading_start_time = srv.unixtime;
    srv.loading_total_bytes = total;
    srv.loading_loaded_bytes = 0;
    let mut ret = AofStatus::Ok;
    let mut base_size = 0;
    let count = files.len();
    for (i, f) in files.iter().enumerate() {
        let last = i + 1 == count;
        let is_base = f.kind == TYPE_BASE;
        if is_base {
            base_size = aof::file_size(srv, &f.name).unwrap_or(0);
        }
        let start = std::time::Instant::now();
        ret = load_single_file(srv, &f.name);
        if ret == AofStatus::Ok || (ret == AofStatus::Truncated && last) {
            info!(
                "DB loaded from {} file {}: {:.3} seconds",
                if is_base { "base" } else { "incr" },
                f.name,
                start.elapsed().as_secs_f64()
            );
        }
        // One empty incr file among non-empty ones is fine.
        if !is_base && ret == AofStatus::Empty {
            ret = AofStatus::Ok;
        }
        if ret == AofStatus::Truncated && !last {
            ret = AofStatus::Failed;
            warn!("Fatal error: the truncated file is not the last file");
        }
        if matches!(ret, AofStatus::OpenErr | AofStatus::Failed) {
            break;
        }
    }
    if !matches!(ret, AofStatus::OpenErr | AofStatus::Failed) {
        srv.aof.current_size = total;
        srv.aof.rewrite_base_size = base_size;
    }
    srv.loading = false;
    ret
}

/// Start-up loading with the AOF on (loadDataFromDisk's AOF branch).
pub fn load_at_startup(srv: &mut Server) {
    let start = std::time::Instant::now();
    let ret = load_append_only_files(srv);
    if matches!(ret, AofStatus::Failed | AofStatus::OpenErr) {
        std::process::exit(1);
    }
    if ret != AofStatus::NotExist {
        info!(
            "DB loaded from append only file: {:.3} seconds",
            start.elapsed().as_secs_f64()
        );
    }
}

/// The fake client that runs the file's commands (createAOFClient).
fn fake_client(srv: &Server) -> Option<Client> {
    let (a, _b) = mio::net::UnixStream::pair().ok()?;
    let mut c = Client::new(
        u64::MAX,
        usize::MAX,
        Conn::Unix(a),
        String::new(),
        String::new(),
        srv.unixtime,
    );
    c.authenticated = true;
    c.flags |= flags::DENY_BLOCKING | flags::REPLY_OFF;
    Some(c)
}

/// A read cursor with C stdio's semantics for the parts that matter.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// fgets into a LINE_MAX buffer: up to and including '\n', at most
    /// LINE_MAX-1 bytes; None at end of file.
    fn gets(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let rest = &self.buf[self.pos..];
        let limit = rest.len().min(LINE_MAX - 1);
        let n = match rest[..limit].iter().position(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => limit,
        };
        self.pos += n;
        Some(&rest[..n])
    }

    /// fread of exactly `n` bytes; None (and at the end) when fewer remain.
    fn read(&mut self, n: usize) -> Option<&'a [u8]> {
        let rest = &self.buf[self.pos..];
        if rest.len() < n {
            self.pos = self.buf.len();
            return None;
        }
        self.pos += n;
        Some(&rest[..n])
    }
}

/// C's atoi/strtol on a header line: sign, digits, stop at anything else.
fn c_atol(b: &[u8]) -> i64 {
    let (neg, d) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut n: i64 = 0;
    for &c in d.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((c - b'0') as i64);
    }
    if neg {
        -n
    } else {
        n
    }
}

/// How reading the command stream ended.
enum Stop {
    Eof,
    /// Short read: the file ends inside a command.
    Truncated,
    Format,
    UnknownCommand(String),
}

/// Load one file of the set (loadSingleAppendOnlyFile).
pub fn load_single_file(srv: &mut Server, name: &str) -> AofStatus {
    let path = aof::aof_path(srv, name);
    let buf = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            warn!(
                "The append log file {name} doesn't exist: {}",
                super::io_text(&e)
            );
            return AofStatus::NotExist;
        }
        Err(e) => {
            warn!(
                "Fatal error: can't open the append log file {name} for reading: {}",
                super::io_text(&e)
            );
            return AofStatus::OpenErr;
        }
    };
    if buf.is_empty() {
        return AofStatus::Empty;
    }
    // Nothing read from the file may be fed back into it.
    let old_state = std::mem::replace(&mut srv.aof.state, AofState::Off);
    let res = load_buffer(srv, name, &buf);
    srv.aof.state = old_state;
    let (stop, valid_up_to) = match res {
        Ok(v) => v,
        Err(status) => return status,
    };
    match stop {
        Stop::Eof => AofStatus::Ok,
        Stop::Format => {
            warn!("Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>");
            AofStatus::Failed
        }
        Stop::UnknownCommand(cmd) => {
            warn!("Unknown command '{cmd}' reading the append only file {name}");
            AofStatus::Failed
        }
        Stop::Truncated => truncated_tail(srv, name, &path, valid_up_to),
    }
}

/// The uxeof path: repair by truncation when allowed, else fail.
fn truncated_tail(srv: &Server, name: &str, path: &std::path::Path, valid: usize) -> AofStatus {
    if srv.cfg.aof_load_truncated {
        warn!("!!! Warning: short read while loading the AOF file {name}!!!");
        warn!("!!! Truncating the AOF {name} at offset {valid} !!!");
        let res = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(valid as u64));
        match res {
            Err(e) => warn!(
                "Error truncating the AOF file {name}: {}",
                super::io_text(&e)
            ),
            Ok(()) => {
                warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
                return AofStatus::Truncated;
            }
        }
    }
    warn!("Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
    AofStatus::Failed
}

/// Load an RDB image at the start of `buf`, if there is one; returns where
/// the commands start. Err: the file is refused.
fn load_rdb_part(srv: &mut Server, name: &str, buf: &[u8]) -> Result<usize, (AofStatus, usize)> {
    if !buf.starts_with(b"REDIS") {
        return Ok(0);
    }
    let old_style = name == srv.cfg.appendfilename;
    if old_style {
        info!("Reading RDB preamble from AOF file...");
    } else {
        info!("Reading RDB base file on AOF loading...");
    }
    let ctx = super::snapshot::LoadCtx {
        now_ms: srv.now_ms,
        lfu: srv.cfg.maxmemory_policy.is_lfu(),
        lruclock: crate::cron::lru_clock(srv.now_ms),
        unix_secs: srv.unixtime,
        // An AOF keeps expired keys; their DELs come when they expire.
        expire_on_load: false,
        allow_dup: false,
        verify_crc: srv.cfg.rdbchecksum && !srv.skip_checksum_validation,
    };
    let opts = super::load_opts(srv, false);
    let delay = srv.cfg.key_load_delay as i64;
    let res = super::snapshot::read_rdb(buf, &mut srv.dbs, &opts, &ctx, &mut |_| {
        if delay != 0 {
            super::save::debug_delay(delay);
        }
    });
    match res {
        Ok(stats) => {
            srv.loading_loaded_bytes += stats.end as u64;
            if old_style {
                info!("Reading the remaining AOF tail...");
            }
            Ok(stats.end)
        }
        Err(e) => {
            if old_style {
                warn!("Error reading the RDB preamble of the AOF file {name}, AOF loading aborted");
            } else {
                warn!("Error reading the RDB base file {name}, AOF loading aborted");
            }
            let eof = match &e {
                super::rdb::RdbError::At(_, inner) => {
                    matches!(**inner, super::rdb::RdbError::Eof)
                }
                super::rdb::RdbError::Eof => true,
                _ => false,
            };
            if eof {
                // stdio would be at EOF: the unexpected-EOF path, from 0.
                Err((AofStatus::Truncated, 0))
            } else {
                warn!("Unrecoverable error reading the append only file {name}: {e}");
                Err((AofStatus::Failed, 0))
            }
        }
    }
}

/// Read and run the commands of one file's bytes. Ok gives how reading
/// stopped and the offset after the last whole command applied.
fn load_buffer(srv: &mut Server, name: &str, buf: &[u8]) -> Result<(Stop, usize), AofStatus> {
    let start = match load_rdb_part(srv, name, buf) {
        Ok(n) => n,
        Err((AofStatus::Truncated, valid)) => return Ok((Stop::Truncated, valid)),
        Err((status, _)) => return Err(status),
    };
    let Some(mut c) = fake_client(srv) else {
        warn!(
            "Unrecoverable error reading the append only file {name}: can't create the AOF client"
        );
        return Err(AofStatus::Failed);
    };
    let mut cur = Cursor { buf, pos: start };
    let (mut valid_up_to, mut valid_before_multi) = (start, start);
    let mut multi: Option<Vec<Vec<Bytes>>> = None;
    let mut last_report = start;
    let delay = srv.cfg.key_load_delay as i64;
    let mut loops = 0u64;
    let stop = loop {
        if loops.is_multiple_of(1024) {
            srv.loading_loaded_bytes += (cur.pos - last_report) as u64;
            last_report = cur.pos;
            srv.process_events_while_blocked();
            srv.update_cached_time();
        }
        loops += 1;
        let argv = match read_command(&mut cur) {
            Ok(Some(a)) => a,
            Ok(None) => break Stop::Eof,
            Err(stop) => break stop,
        };
        // MULTI/EXEC are the loader's business: the queued commands run
        // at EXEC, whatever the command table has.
        let is = |w: &[u8]| argv[0].eq_ignore_ascii_case(w);
        let (is_multi, is_exec) = (is(b"multi"), is(b"exec"));
        if !is_multi && !is_exec && srv.commands.lookup(&argv).is_none() {
            break Stop::UnknownCommand(String::from_utf8_lossy(&argv[0]).into_owned());
        }
        if is_multi {
            valid_before_multi = valid_up_to;
            multi = Some(Vec::new());
        } else if is_exec {
            for queued in multi.take().unwrap_or_default() {
                run_command(srv, &mut c, queued);
            }
        } else if let Some(q) = multi.as_mut() {
            q.push(argv);
        } else {
            run_command(srv, &mut c, argv);
        }
        valid_up_to = cur.pos;
        if delay != 0 {
            super::save::debug_delay(delay);
        }
    };
    srv.loading_loaded_bytes += (cur.pos - last_report) as u64;
    match stop {
        Stop::Eof if multi.is_some() => {
            warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
            Ok((Stop::Truncated, valid_before_multi))
        }
        // A short read inside MULTI also drops the transaction.
        Stop::Truncated if multi.is_some() => Ok((Stop::Truncated, valid_before_multi)),
        stop => Ok((stop, valid_up_to)),
    }
}

/// One `*<argc>` command; Ok(None) at a clean end of file.
fn read_command(cur: &mut Cursor<'_>) -> Result<Option<Vec<Bytes>>, Stop> {
    let line = loop {
        let Some(line) = cur.gets() else {
            return Ok(None);
        };
        if line.first() == Some(&b'#') {
            continue; // annotation
        }
        break line;
    };
    if line.first() != Some(&b'*') {
        return Err(Stop::Format);
    }
    if line.len() == 1 {
        return Err(Stop::Truncated);
    }
    let argc = c_atol(&line[1..]);
    if argc < 1 || argc > i32::MAX as i64 {
        return Err(Stop::Format);
    }
    // Do not trust the count for the allocation: grow as arguments arrive.
    let mut argv = Vec::with_capacity((argc as usize).min(1024));
    for _ in 0..argc {
        let Some(h) = cur.gets() else {
            return Err(Stop::Truncated);
        };
        if h.first() != Some(&b'$') {
            return Err(Stop::Format);
        }
        let len = c_atol(&h[1..]).max(0) as usize;
        let Some(arg) = cur.read(len) else {
            return Err(Stop::Truncated);
        };
        let arg = Bytes::copy_from_slice(arg);
        if cur.read(2).is_none() {
            return Err(Stop::Truncated);
        }
        argv.push(arg);
    }
    Ok(Some(argv))
}

/// Run one command on the fake client; replies are dropped.
fn run_command(srv: &mut Server, c: &mut Client, argv: Vec<Bytes>) {
    let Some(id) = srv.commands.lookup(&argv) else {
        return;
    };
    let (arity, handler) = {
        let cmd = srv.commands.get(id);
        (cmd.arity, cmd.handler)
    };
    let argc = argv.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity {
        // Handlers rely on the arity check; Redis would misbehave here.
        warn!(
            "Skipping a command with a wrong number of arguments in the AOF: '{}'",
            String::from_utf8_lossy(&argv[0])
        );
        return;
    }
    c.argv = argv;
    let _ = {
        let mut cx = crate::commands::Ctx { srv, c, cmd: id };
        handler(&mut cx)
    };
    c.out.clear();
    c.sent = 0;
    c.argv.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(text: &[u8]) -> (Vec<Vec<Bytes>>, Option<&'static str>) {
        let mut cur = Cursor { buf: text, pos: 0 };
        let mut out = Vec::new();
        loop {
            match read_command(&mut cur) {
                Ok(Some(a)) => out.push(a),
                Ok(None) => return (out, None),
                Err(Stop::Truncated) => return (out, Some("truncated")),
                Err(Stop::Format) => return (out, Some("format")),
                Err(_) => return (out, Some("other")),
            }
        }
    }

    #[test]
    fn reads_commands_and_skips_annotations() {
        let (cmds, stop) = commands(b"#TS:1\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
        assert_eq!(stop, None);
        assert_eq!(cmds, vec![vec![Bytes::from("DEL"), Bytes::from("k")]]);
    }

    #[test]
    fn a_cut_tail_is_truncation_and_garbage_is_a_format_error() {
        assert_eq!(commands(b"*2\r\n$3\r\nDEL\r\n$1\r\n").1, Some("truncated"));
        assert_eq!(commands(b"*2\r\n$3\r\nDEL\r\n$1\r\nk").1, Some("truncated"));
        assert_eq!(commands(b"*").1, Some("truncated"));
        assert_eq!(commands(b"xyz\r\n").1, Some("format"));
        assert_eq!(commands(b"*0\r\n").1, Some("format"));
        assert_eq!(commands(b"*1\r\nfoo\r\n").1, Some("format"));
    }

    #[test]
    fn a_huge_count_does_not_allocate_up_front() {
        assert_eq!(commands(b"*2147483647\r\n$1\r\na\r\n").1, Some("truncated"));
        assert_eq!(commands(b"*1\r\n$99999999999\r\n").1, Some("truncated"));
    }
}
