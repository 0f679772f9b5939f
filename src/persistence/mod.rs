//! Persistence: Redis' RDB snapshot format and the server-side operations
//! built on it (SAVE, loading at start-up, DEBUG RELOAD, DUMP/RESTORE).
//!
//! * `crc64`      — the CRC-64 (Jones) of RDB trailers and DUMP footers.
//! * `rdb`        — opcodes, length/string encodings, reader and writer.
//! * `save`       — values and snapshots out (rdbSaveObject, rdbSaveRio).
//! * `load`       — values in (rdbLoadObject) for strings, sets, hashes;
//!   `collections` the same for lists and sorted sets.
//! * `ziplist`    — the legacy ziplist and zipmap readers.
//! * `snapshot`   — a whole file in (rdbLoadRio).
//! * `dump`       — DUMP/RESTORE payloads.
//! * `fork`       — BGSAVE in a child process, save points.
//! * `propagate`  — the one path commands' effects take to the AOF (and
//!   later the replicas).
//! * `aof`        — the append-only file: feeding, writing, fsync;
//!   `manifest` its multi-part manifest, `aof_load` loading it,
//!   `aof_rewrite` BGREWRITEAOF.
//! * `check_rdb`, `check_aof` — the file checkers (redis-check-rdb and
//!   redis-check-aof), the logic of the `ferrodis-check-*` binaries.
//!
//! This file is the glue with `Server`: where the file lives, what the
//! config says, the log lines and INFO counters (rdbSave, rdbLoad,
//! loadDataFromDisk of rdb.c and server.c).

pub mod aof;
pub mod aof_load;
pub mod aof_rewrite;
pub mod check_aof;
pub mod check_rdb;
pub mod collections;
pub mod crc64;
pub mod dump;
pub mod fork;
pub mod load;
pub mod manifest;
pub mod propagate;
pub mod rdb;
pub mod save;
pub mod snapshot;
pub mod stream_rdb;
pub mod ziplist;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{BufWriter, Write};

use log::{info, warn};

use crate::config::SanitizeDumpPayload;
use crate::server::Server;
use load::LoadOpts;
use rdb::{RdbError, Writer};
use save::{AuxInfo, SaveOpts};
use snapshot::{LoadCtx, LoadStats};

/// The loading limits and sanitization mode in force. `from_client` says
/// whether the payload comes from a client (RESTORE) rather than a file:
/// `sanitize-dump-payload clients` validates deeply only then.
pub fn load_opts(srv: &Server, from_client: bool) -> LoadOpts {
    let c = &srv.cfg;
    LoadOpts {
        deep: match c.sanitize_dump_payload {
            SanitizeDumpPayload::Yes => true,
            SanitizeDumpPayload::Clients => from_client && !srv.loading,
            SanitizeDumpPayload::No => false,
        },
        hash_max_listpack_entries: c.hash_max_listpack_entries,
        hash_max_listpack_value: c.hash_max_listpack_value,
        set_max_intset_entries: c.set_max_intset_entries,
        zset_max_listpack_entries: c.zset_max_listpack_entries,
        zset_max_listpack_value: c.zset_max_listpack_value,
        list_max_listpack_size: c.list_max_listpack_size,
        list_compress_depth: c.list_compress_depth,
    }
}

/// The per-key opcodes `maxmemory-policy` asks for, with the clocks.
pub fn save_opts(srv: &Server) -> SaveOpts {
    let p = srv.cfg.maxmemory_policy;
    SaveOpts {
        lru: p.is_lru(),
        lfu: p.is_lfu(),
        lfu_decay_time: srv.cfg.lfu_decay_time as i64,
        lruclock: srv.lruclock,
        unix_secs: srv.unixtime,
        key_save_delay_us: srv.cfg.rdb_key_save_delay as i64,
    }
}

/// Writes the dataset as an RDB image to `out` (rdbSaveRio); `on_key`
/// hears the number of keys written so far.
pub fn write_snapshot<W: Write>(
    srv: &Server,
    out: W,
    on_key: &mut dyn FnMut(u64),
) -> std::io::Result<W> {
    write_snapshot_with(srv, out, false, on_key)
}

/// `write_snapshot`; `aof_base` marks the image as an AOF base (the
/// `aof-base` aux field), as a rewrite with an RDB preamble writes it.
pub fn write_snapshot_with<W: Write>(
    srv: &Server,
    out: W,
    aof_base: bool,
    on_key: &mut dyn FnMut(u64),
) -> std::io::Result<W> {
    let mut w = Writer::new(out, srv.cfg.rdbcompression, srv.cfg.rdbchecksum);
    let aux = AuxInfo {
        ctime: crate::logging::now_ms() / 1000,
        used_mem: crate::memory::used_memory(),
        repl_id: &srv.repl.replid,
        repl_offset: srv.repl.master_repl_offset,
        repl_stream_db: crate::replication::replica::stream_db(srv),
        aof_base,
    };
    save::write_rdb(&mut w, &srv.dbs, &aux, &save_opts(srv), on_key)?;
    Ok(w.into_inner())
}

/// `SAVE` (rdbSave): write `temp-<pid>.rdb` in the working directory (the
/// `dir`), fsync, rename it over `dbfilename`, fsync the directory. On
/// success (true) `dirty` restarts from 0, LASTSAVE moves and the save
/// status is ok again; on failure the temp file is removed and the error
/// logged (only a failed BGSAVE marks the status as failed, as in Redis).
pub fn rdb_save(srv: &mut Server) -> bool {
    rdb_save_with(srv, &mut |_| {})
}

/// `rdb_save` with a progress callback (keys written so far).
pub fn rdb_save_with(srv: &mut Server, on_key: &mut dyn FnMut(u64)) -> bool {
    let tmp = format!("temp-{}.rdb", std::process::id());
    let cwd = || {
        std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "unknown".into())
    };
    let file = match File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            warn!(
                "Failed opening the temp RDB file {tmp} (in server root dir {}) for saving: {}",
                cwd(),
                io_text(&e)
            );
            return false;
        }
    };
    let result = write_snapshot(srv, BufWriter::with_capacity(1 << 16, file), on_key)
        .and_then(|bw| bw.into_inner().map_err(|e| e.into_error()))
        .map_err(|e| ("rdbSaveRio", e))
        .and_then(|f| f.sync_all().map_err(|e| ("fsync", e)));
    if let Err((op, e)) = result {
        warn!("Write error saving DB on disk({op}): {}", io_text(&e));
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    let target = srv.cfg.dbfilename.clone();
    if let Err(e) = std::fs::rename(&tmp, &target) {
        warn!(
            "Error moving temp DB file {tmp} on the final destination {target} (in server root dir {}): {}",
            cwd(),
            io_text(&e)
        );
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    // Make the rename itself durable (fsyncFileDir).
    if let Ok(d) = File::open(".") {
        let _ = d.sync_all();
    }
    info!("DB saved on disk");
    srv.dirty = 0;
    srv.last_save = crate::logging::now_ms() / 1000;
    srv.lastbgsave_ok = true;
    true
}

/// strerror-like text of an I/O error, without Rust's " (os error N)".
fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Why `rdb_load` did not load.
pub enum LoadFailure {
    /// No file: a fresh start, not an error.
    NotFound,
    /// The file could not be opened or read (text as strerror).
    Open(String),
    /// The header was refused before anything was loaded.
    Header(String),
    /// The content is broken (Redis aborts the process for these).
    Data(RdbError),
}

/// Loads `dbfilename` into the (possibly non-empty) databases (rdbLoad).
/// `merge` is DEBUG RELOAD MERGE. Updates the load counters and `loading`.
pub fn rdb_load(srv: &mut Server, merge: bool) -> Result<LoadStats, LoadFailure> {
    rdb_load_with(srv, merge, false)
}

/// `rdb_load`; with `serve` (start-up), clients are served while the file
/// loads, every `loading-process-events-interval-bytes`: the data goes into
/// fresh databases swapped in at the end, so commands running meanwhile
/// (INFO, and `-LOADING` for the rest) never see a half-loaded keyspace.
fn rdb_load_with(srv: &mut Server, merge: bool, serve: bool) -> Result<LoadStats, LoadFailure> {
    let buf = match std::fs::read(&srv.cfg.dbfilename) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(LoadFailure::NotFound),
        Err(e) => return Err(LoadFailure::Open(io_text(&e))),
    };
    load_buffer(srv, &buf, merge, serve)
}

/// Loads an RDB image held in memory (a replica's sync payload), serving
/// clients meanwhile (`-LOADING`).
pub fn rdb_load_buffer(srv: &mut Server, buf: &[u8]) -> Result<LoadStats, LoadFailure> {
    load_buffer(srv, buf, false, true)
}

/// Clocks and policy for loading a snapshot into this server now.
pub fn load_ctx(srv: &Server, merge: bool) -> LoadCtx {
    LoadCtx {
        now_ms: srv.now_ms,
        lfu: srv.cfg.maxmemory_policy.is_lfu(),
        lruclock: crate::cron::lru_clock(srv.now_ms),
        unix_secs: srv.unixtime,
        // A replica keeps keys that expired: its master's DELs remove them.
        expire_on_load: !srv.repl.replica.is_replica(),
        allow_dup: merge,
        verify_crc: srv.cfg.rdbchecksum && !srv.skip_checksum_validation,
    }
}

/// A long load's pause to serve clients (processEventsWhileBlocked): they
/// get `-LOADING` or INFO meanwhile. Cron does not run, so SIGTERM/SIGINT
/// are acted on here, without saving (whileBlockedCron).
pub fn serve_while_loading(srv: &mut Server) {
    srv.process_events_while_blocked();
    if crate::shutdown::take_signal().is_some() {
        warn!("Received shutdown signal during loading, scheduling shutdown.");
        let nosave = crate::shutdown::ShutdownFlags {
            nosave: true,
            ..Default::default()
        };
        if crate::shutdown::prepare_shutdown(srv, nosave) {
            std::process::exit(0);
        }
    }
}

fn load_buffer(
    srv: &mut Server,
    buf: &[u8],
    merge: bool,
    serve: bool,
) -> Result<LoadStats, LoadFailure> {
    srv.loading = true;
    srv.update_cached_time();
    srv.loading_start_time = srv.unixtime;
    srv.loading_total_bytes = buf.len() as u64;
    srv.loading_loaded_bytes = 0;
    let ctx = load_ctx(srv, merge);
    let opts = load_opts(srv, false);
    let delay = srv.cfg.key_load_delay as i64;
    let interval = srv.cfg.loading_process_events_interval_bytes.max(1) as usize;
    let result = if serve {
        let mut dbs: Vec<crate::db::Db> = (0..srv.dbs.len()).map(crate::db::Db::new).collect();
        let mut last_serve = 0usize;
        let r = snapshot::read_rdb(buf, &mut dbs, &opts, &ctx, &mut |pos| {
            if delay != 0 {
                save::debug_delay(delay);
            }
            if pos / interval > last_serve / interval {
                last_serve = pos;
                srv.loading_loaded_bytes = pos as u64;
                serve_while_loading(srv);
            }
        });
        srv.dbs = dbs;
        r
    } else {
        snapshot::read_rdb(buf, &mut srv.dbs, &opts, &ctx, &mut |_| {
            if delay != 0 {
                save::debug_delay(delay);
            }
        })
    };
    srv.loading = false;
    match result {
        Ok(stats) => {
            srv.rdb_last_load_keys_loaded = stats.keys_loaded;
            srv.rdb_last_load_keys_expired = stats.keys_expired;
            Ok(stats)
        }
        Err(RdbError::BadHeader(text)) => {
            warn!("{text}");
            Err(LoadFailure::Header(text))
        }
        Err(e) => Err(LoadFailure::Data(e)),
    }
}

/// Logs a broken file the way Redis does before it gives up on it: its
/// own line, then the report redis-check-rdb prints (Redis runs the
/// checker on the file at this point).
pub fn report_load_error(e: &RdbError) {
    let (offset, inner) = match e {
        RdbError::At(off, inner) => (*off, &**inner),
        e => (0, e),
    };
    if matches!(inner, RdbError::Eof) {
        warn!("Short read or OOM loading DB. Unrecoverable error, aborting now.");
    }
    warn!("Internal error in RDB reading offset {offset}, function at rdb.c:0 -> {inner}");
    warn!("--- RDB ERROR DETECTED ---");
    warn!("[offset {offset}] {inner}");
    warn!("Terminating server after rdb file reading failure.");
}

/// Start-up loading (loadDataFromDisk): the AOF when it is on (it then
/// takes precedence over the RDB file), else the RDB file. Exits the
/// process when an existing file cannot be loaded, as Redis does. Then the
/// AOF is opened for appending and its history files removed.
pub fn load_data_from_disk(srv: &mut Server) {
    aof_load::load_manifest_from_disk(srv);
    if srv.aof.state == aof::AofState::On {
        aof_load::load_at_startup(srv);
    } else {
        load_rdb_at_startup(srv);
    }
    aof::open_if_needed_on_server_start(srv);
    aof::del_history_files(srv);
}

fn load_rdb_at_startup(srv: &mut Server) {
    let start = std::time::Instant::now();
    let master = srv.cfg.replicaof.is_none();
    match rdb_load_with(srv, false, true) {
        Ok(stats) => {
            info!(
                "DB loaded from disk: {:.3} seconds",
                start.elapsed().as_secs_f64()
            );
            if master {
                crate::replication::master::restore_after_restart(srv, &stats);
            } else if let Some(id) = stats.repl_id {
                // A replica restarting may continue its master's history.
                srv.repl.rdb_info = Some((id, stats.repl_offset, stats.repl_stream_db));
            }
        }
        Err(LoadFailure::NotFound) => {}
        Err(LoadFailure::Open(text)) => {
            warn!("Fatal error loading the DB: {text}. Exiting.");
            std::process::exit(1);
        }
        Err(LoadFailure::Header(_)) => {
            warn!("Fatal error loading the DB: Invalid argument. Exiting.");
            std::process::exit(1);
        }
        Err(LoadFailure::Data(e)) => {
            report_load_error(&e);
            std::process::exit(1);
        }
    }
}

/// Whether save points are configured (`save` not empty): SHUTDOWN and
/// FLUSHALL save then.
pub fn has_save_points(srv: &Server) -> bool {
    !srv.cfg.save.is_empty()
}
