//! Reading a whole RDB file into the databases (rdbLoadRioWithLoadingCtx):
//! the header, the opcode loop with its per-key state (expire, idle, freq),
//! aux fields and their log lines, expired keys dropped on load, empty keys
//! skipped, and the CRC64 trailer.
//!
//! The file is parsed from memory: callers read it whole first (a snapshot
//! must fit in memory once loaded anyway, and this keeps the parser a plain
//! slice walk with no I/O error paths in the middle).

use log::{info, trace, warn};

use super::crc64::crc64;
use super::load::{read_value, LoadOpts};
use super::rdb::*;
use crate::db::Db;
use crate::types::value::Obj;

/// Clocks and policy that decide expiry and the LRU/LFU field of loaded keys.
#[derive(Clone, Copy, Debug)]
pub struct LoadCtx {
    pub now_ms: i64,
    pub lfu: bool,
    pub lruclock: u32,
    pub unix_secs: i64,
    /// Drop keys whose expire time has passed (a master loading at start-up).
    pub expire_on_load: bool,
    /// DEBUG RELOAD MERGE: a key already present is replaced, not an error.
    pub allow_dup: bool,
    /// Check the trailer (`rdbchecksum yes` and no SET-SKIP-CHECKSUM).
    pub verify_crc: bool,
}

/// What a successful load found.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct LoadStats {
    pub keys_loaded: u64,
    pub keys_expired: u64,
    pub empty_keys_skipped: u64,
    pub version: u32,
    /// Bytes the image took (an AOF may go on with commands after it).
    pub end: usize,
    /// The replication aux fields (repl-stream-db, repl-id, repl-offset):
    /// a replica restarting from this file may continue from them.
    pub repl_stream_db: usize,
    pub repl_id: Option<String>,
    pub repl_offset: i64,
    /// Keys dropped because they had expired, in file order.
    pub expired: Vec<(usize, Vec<u8>)>,
}

/// The version in "REDISdddd", read as C's atoi would.
fn header_version(magic: &[u8]) -> Result<u32> {
    if magic.get(..5) != Some(b"REDIS") {
        return Err(RdbError::BadHeader(
            "Wrong signature trying to load DB from file".into(),
        ));
    }
    let digits = magic[5..].iter().take_while(|b| b.is_ascii_digit());
    let v = digits.fold(0u32, |acc, d| acc * 10 + (d - b'0') as u32);
    if v < 1 || v > RDB_VERSION as u32 {
        return Err(RdbError::BadHeader(format!(
            "Can't handle RDB format version {v}"
        )));
    }
    Ok(v)
}

/// The LRU/LFU field of a loaded key (objectSetLRUOrLFU): the file's FREQ
/// under an LFU policy, its IDLE otherwise, else a fresh stamp.
fn lru_field(ctx: &LoadCtx, freq: Option<u8>, idle: Option<u64>) -> u32 {
    let fresh = crate::db::lru::initial(ctx.lfu, ctx.lruclock, ctx.unix_secs);
    if ctx.lfu {
        match freq {
            Some(f) => (fresh & !0xff) | f as u32,
            None => fresh,
        }
    } else {
        match idle {
            Some(idle) => {
                let max = crate::cron::LRU_CLOCK_MAX as i64;
                let idle = idle.min(max as u64) as i64;
                let mut abs = ctx.lruclock as i64 - idle;
                if abs < 0 {
                    abs += max;
                }
                abs as u32
            }
            None => fresh,
        }
    }
}

/// Loads an RDB image into `dbs`. On error the databases hold what was
/// loaded before it (callers at start-up exit; DEBUG RELOAD does too).
/// `on_key` hears the bytes consumed after each key (loading progress,
/// `key-load-delay`, serving clients meanwhile).
pub fn read_rdb(
    buf: &[u8],
    dbs: &mut [Db],
    o: &LoadOpts,
    ctx: &LoadCtx,
    on_key: &mut dyn FnMut(usize),
) -> Result<LoadStats> {
    let mut loader = Loader::new();
    let mut r = Reader::new(buf);
    loop {
        match loader.step(&mut r, dbs, o, ctx) {
            Ok(Step::Record) => {}
            Ok(Step::Key) => on_key(r.pos),
            Ok(Step::Done) => return Ok(loader.finish(r.pos)),
            Err(e) => return Err(loader.locate(e, r.pos)),
        }
    }
}

/// What one `Loader::step` read.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// The header, an opcode or an aux field.
    Record,
    /// A key (loaded, expired or skipped as empty).
    Key,
    /// The EOF opcode and the checksum: the image is complete.
    Done,
}

/// The RDB parser as a resumable state machine: each `step` reads one
/// record (the header, an opcode with its operands, or one key) from the
/// reader. The image may arrive in pieces (a replica loading straight from
/// its master's socket): a step that runs out of input returns
/// `RdbError::Eof` having changed nothing, so the caller can rewind the
/// reader to where that step began, append more input and call it again.
/// The per-key state (expire, idle, freq) lives here between steps, and
/// the CRC of input the caller has already dropped is carried in `crc`.
pub struct Loader {
    started: bool,
    stats: LoadStats,
    db: usize,
    expire: Option<i64>,
    idle: Option<u64>,
    freq: Option<u8>,
    /// CRC64 of the input before the reader's window (`drop_window`).
    crc: u64,
    /// Absolute offset of the reader's first byte.
    base: usize,
}

impl Default for Loader {
    fn default() -> Self {
        Loader::new()
    }
}

impl Loader {
    pub fn new() -> Loader {
        Loader {
            started: false,
            stats: LoadStats::default(),
            db: 0,
            expire: None,
            idle: None,
            freq: None,
            crc: 0,
            base: 0,
        }
    }

    /// The caller drops `consumed`, the first bytes of its window (whole
    /// steps only): they still count for the checksum and offsets.
    pub fn drop_window(&mut self, consumed: &[u8]) {
        self.crc = crc64(self.crc, consumed);
        self.base += consumed.len();
    }

    /// Absolute offset of position `pos` in the current window.
    pub fn offset(&self, pos: usize) -> usize {
        self.base + pos
    }

    /// An error with the absolute offset it happened at, as Redis reports it.
    pub fn locate(&self, e: RdbError, pos: usize) -> RdbError {
        match e {
            RdbError::BadHeader(_) => e,
            e => RdbError::At(self.base + pos, Box::new(e)),
        }
    }

    /// The stats after `Step::Done`, `pos` being where the image ended.
    pub fn finish(mut self, pos: usize) -> LoadStats {
        self.stats.end = self.base + pos;
        self.stats
    }

    /// Read one record. On `Err` the reader's position is meaningless and
    /// nothing was loaded by this call.
    pub fn step(
        &mut self,
        r: &mut Reader<'_>,
        dbs: &mut [Db],
        o: &LoadOpts,
        ctx: &LoadCtx,
    ) -> Result<Step> {
        if !self.started {
            self.stats.version = header_version(r.take(9)?)?;
            self.started = true;
            return Ok(Step::Record);
        }
        let t = r.u8()?;
        match t {
            OPCODE_EXPIRETIME => {
                self.expire = Some(r.secs()? as i64 * 1000);
                return Ok(Step::Record);
            }
            OPCODE_EXPIRETIME_MS => {
                self.expire = Some(r.millis()?);
                return Ok(Step::Record);
            }
            OPCODE_FREQ => {
                self.freq = Some(r.u8()?);
                return Ok(Step::Record);
            }
            OPCODE_IDLE => {
                self.idle = Some(r.length()?);
                return Ok(Step::Record);
            }
            OPCODE_EOF => return self.trailer(r, ctx),
            OPCODE_SELECTDB => {
                let id = r.length()?;
                if id >= dbs.len() as u64 {
                    return Err(RdbError::Corrupt(format!(
                        "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting\n",
                        dbs.len()
                    )));
                }
                self.db = id as usize;
                return Ok(Step::Record);
            }
            OPCODE_RESIZEDB => {
                let keys = r.length()?;
                let expires = r.length()?;
                // Only a hint: a lying size must not allocate a huge table.
                let cap = r.remaining() as u64;
                let _ = dbs[self.db].keys.try_expand(keys.min(cap) as usize);
                let _ = dbs[self.db].expires.try_expand(expires.min(cap) as usize);
                return Ok(Step::Record);
            }
            OPCODE_AUX => {
                let k = r.string()?;
                let v = r.string()?;
                log_aux(&k, &v);
                let num = || {
                    std::str::from_utf8(&v)
                        .ok()
                        .and_then(|s| s.trim().parse::<i64>().ok())
                        .unwrap_or(0)
                };
                let stats = &mut self.stats;
                match k.to_ascii_lowercase().as_slice() {
                    b"repl-stream-db" => stats.repl_stream_db = num().clamp(0, 1 << 20) as usize,
                    b"repl-id" if v.len() == 40 => {
                        stats.repl_id = Some(String::from_utf8_lossy(&v).into_owned())
                    }
                    b"repl-offset" => stats.repl_offset = num(),
                    _ => {}
                }
                return Ok(Step::Record);
            }
            OPCODE_MODULE_AUX => {
                let id = r.length()?;
                return Err(RdbError::Unsupported(format!(
                    "The RDB file contains AUX module data I can't load: no matching module '{}'",
                    super::load::module_type_name(id)
                )));
            }
            OPCODE_FUNCTION | OPCODE_FUNCTION2 => {
                return Err(RdbError::Unsupported(
                    "Failed loading library, functions are not supported by this server yet".into(),
                ));
            }
            t if !is_object_type(t) => {
                return corrupt(format!("Unknown RDB encoding type {t}"));
            }
            _ => {}
        }
        let key = r.string()?;
        let val = read_value(r, t, o)?;
        let (e, i, f) = (self.expire.take(), self.idle.take(), self.freq.take());
        let stats = &mut self.stats;
        let Some(val) = val else {
            if stats.empty_keys_skipped < 10 {
                warn!(
                    "rdbLoadObject skipping empty key: {}",
                    String::from_utf8_lossy(&key)
                );
            }
            stats.empty_keys_skipped += 1;
            return Ok(Step::Key);
        };
        let db = self.db;
        if ctx.expire_on_load && e.is_some_and(|ms| ms < ctx.now_ms) {
            stats.keys_expired += 1;
            // A master restarting tells its future replicas (DEL in the
            // backlog); the start-up loader feeds these.
            stats.expired.push((db, key.to_vec()));
            return Ok(Step::Key);
        }
        let obj = Obj {
            val,
            lru: lru_field(ctx, f, i),
        };
        let d = &mut dbs[db];
        if d.keys.contains_key(&key) {
            if !ctx.allow_dup {
                warn!(
                    "RDB has duplicated key '{}' in DB {db}",
                    String::from_utf8_lossy(&key)
                );
                return corrupt("Duplicated key found in RDB file");
            }
            d.delete(&key);
        }
        d.add(&key, obj);
        if let Some(ms) = e {
            d.set_expire(&key, ms);
        }
        stats.keys_loaded += 1;
        Ok(Step::Key)
    }

    /// After the EOF opcode: the CRC64 trailer (version 5 on), then the
    /// closing log line.
    fn trailer(&mut self, r: &mut Reader<'_>, ctx: &LoadCtx) -> Result<Step> {
        if self.stats.version >= 5 {
            let expected = crc64(self.crc, r.consumed());
            let stored = r.millis()? as u64;
            if ctx.verify_crc {
                if stored == 0 {
                    warn!("RDB file was saved with checksum disabled: no check performed.");
                } else if stored != expected {
                    warn!(
                        "Wrong RDB checksum expected: ({expected:x}) but got ({stored:x}). Aborting now."
                    );
                    return corrupt("RDB CRC error");
                }
            }
        }
        let stats = &self.stats;
        if stats.empty_keys_skipped > 0 {
            warn!(
                "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
                stats.keys_loaded, stats.keys_expired, stats.empty_keys_skipped
            );
        } else {
            info!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                stats.keys_loaded, stats.keys_expired
            );
        }
        Ok(Step::Done)
    }
}

/// The notice lines Redis logs for the aux fields it knows.
fn log_aux(k: &[u8], v: &[u8]) {
    let val = String::from_utf8_lossy(v);
    let num = || val.trim().parse::<i64>().unwrap_or(0);
    match k.to_ascii_lowercase().as_slice() {
        [b'%', ..] => info!("RDB '{}': {val}", String::from_utf8_lossy(k)),
        b"redis-ver" => info!("Loading RDB produced by version {val}"),
        b"ctime" => {
            let age = (crate::logging::now_ms() / 1000 - num()).max(0);
            info!("RDB age {age} seconds");
        }
        b"used-mem" => info!(
            "RDB memory usage when created {:.2} Mb",
            num() as f64 / (1024.0 * 1024.0)
        ),
        b"aof-preamble" if num() != 0 => info!("RDB has an AOF tail"),
        b"aof-base" if num() != 0 => info!("RDB is base AOF"),
        b"repl-stream-db" | b"repl-id" | b"repl-offset" | b"lua" | b"redis-bits"
        | b"aof-preamble" | b"aof-base" => {}
        _ => trace!(
            "Unrecognized RDB AUX field: '{}'",
            String::from_utf8_lossy(k)
        ),
    }
}
