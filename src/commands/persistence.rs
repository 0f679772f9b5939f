//! SAVE, DUMP and RESTORE (rdb.c saveCommand, cluster.c dumpCommand /
//! restoreCommand), plus DEBUG RELOAD's body (debug.c). The format work is
//! in `crate::persistence`; this file parses arguments and replies.

use super::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::persistence::{self, dump, LoadFailure};
use crate::types::value::Obj;

const BGSAVE_IN_PROGRESS: &str = "ERR Background save already in progress";

pub fn save(cx: &mut Ctx) -> CmdResult {
    if cx.srv.rdb_child.is_some() {
        return Err(CmdError::msg(BGSAVE_IN_PROGRESS));
    }
    cx.srv.rdb_saves += 1;
    if !persistence::rdb_save(cx.srv) {
        return Err(CmdError::msg("ERR"));
    }
    cx.reply().ok();
    Ok(())
}

/// BGSAVE [SCHEDULE]: SCHEDULE only matters while another kind of child
/// (an AOF rewrite) runs: the save starts from cron once it is gone.
pub fn bgsave(cx: &mut Ctx) -> CmdResult {
    if cx.argc() > 2 || (cx.argc() == 2 && !cx.arg_is(1, "schedule")) {
        return Err(CmdError::Syntax);
    }
    if cx.srv.rdb_child.is_some() {
        return Err(CmdError::msg(BGSAVE_IN_PROGRESS));
    }
    if cx.srv.aof.child.is_some() || cx.srv.in_exec {
        // Another kind of child runs (or we are inside EXEC): save when
        // it is done, if asked to; inside EXEC always.
        if cx.argc() == 2 || cx.srv.in_exec {
            cx.srv.rdb_bgsave_scheduled = true;
            cx.reply().simple(b"Background saving scheduled");
            return Ok(());
        }
        return Err(CmdError::msg("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."));
    }
    if !persistence::fork::bgsave(cx.srv) {
        return Err(CmdError::msg("ERR"));
    }
    cx.reply().simple(b"Background saving started");
    Ok(())
}

/// BGREWRITEAOF (bgrewriteaofCommand): start a rewrite now, or schedule
/// it while a BGSAVE runs.
pub fn bgrewriteaof(cx: &mut Ctx) -> CmdResult {
    if cx.srv.aof.child.is_some() {
        return Err(CmdError::msg(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if persistence::aof::has_active_child(cx.srv) || cx.srv.in_exec {
        cx.srv.aof.rewrite_scheduled = true;
        // Asked for by hand: run as soon as possible, whatever the back-off.
        cx.srv.aof.rewrites_consecutive_failures = 0;
        cx.reply()
            .simple(b"Background append only file rewriting scheduled");
        return Ok(());
    }
    if persistence::aof_rewrite::rewrite_background(cx.srv) {
        cx.reply()
            .simple(b"Background append only file rewriting started");
        Ok(())
    } else {
        Err(CmdError::msg("ERR Can't execute an AOF background rewriting. Please check the server logs for more information."))
    }
}

/// DEBUG LOADAOF: flush the AOF, empty the dataset and load the AOF back.
pub fn debug_loadaof(cx: &mut Ctx) -> CmdResult {
    use persistence::aof_load::{self, AofStatus};
    if cx.srv.aof.state != persistence::aof::AofState::Off {
        persistence::aof::flush(cx.srv, true);
    }
    crate::db::signal_flushed_db(cx.srv, None, false);
    for db in cx.srv.dbs.iter_mut() {
        drop(db.take_all());
    }
    aof_load::load_manifest_from_disk(cx.srv);
    persistence::aof::del_history_files(cx.srv);
    let ret = aof_load::load_append_only_files(cx.srv);
    if ret != AofStatus::Ok && ret != AofStatus::Empty {
        std::process::exit(1);
    }
    // What was loaded is already in the AOF: nothing to propagate.
    cx.srv.dirty = 0;
    log::warn!("Append Only File loaded by DEBUG LOADAOF");
    cx.reply().ok();
    Ok(())
}

pub fn dump(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let compress = cx.srv.cfg.rdbcompression;
    let payload =
        super::lookup_read(cx.srv, cx.c.db, &key).map(|o| dump::dump_payload(&o.val, compress));
    match payload {
        Some(p) => cx.reply().bulk(&p),
        None => cx.reply().null(),
    }
    Ok(())
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]
pub fn restore(cx: &mut Ctx) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < cx.argc() {
        let more = cx.argc() - j - 1;
        if cx.arg_is(j, "replace") {
            replace = true;
        } else if cx.arg_is(j, "absttl") {
            absttl = true;
        } else if cx.arg_is(j, "idletime") && more >= 1 && freq.is_none() {
            let v = cx.arg_i64(j + 1)?;
            if v < 0 {
                return Err(CmdError::msg("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if cx.arg_is(j, "freq") && more >= 1 && idle.is_none() {
            let v = cx.arg_i64(j + 1)?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::msg(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    if !replace && super::lookup_write(cx.srv, db, &key).is_some() {
        return Err(CmdError::msg("BUSYKEY Target key name already exists."));
    }
    let mut ttl = cx.arg_i64(2)?;
    if ttl < 0 {
        return Err(CmdError::msg("ERR Invalid TTL value, must be >= 0"));
    }
    let payload = cx.arg_bytes(3);
    if !dump::verify_payload(&payload, cx.srv.skip_checksum_validation) {
        return Err(CmdError::msg(
            "ERR DUMP payload version or checksum are wrong",
        ));
    }
    let opts = persistence::load_opts(cx.srv, true);
    let val = match dump::restore_value(&payload, &opts) {
        Ok(v) => v,
        Err(e) => {
            // Redis logs RESTORE's load errors at verbose level only.
            log::debug!("Internal error in RDB reading offset 0, function at rdb.c:0 -> {e}");
            return Err(CmdError::msg("ERR Bad data format"));
        }
    };
    let deleted = replace && cx.srv.dbs[db].delete(&key).is_some();
    if ttl > 0 && !absttl {
        ttl = ttl.saturating_add(crate::logging::now_ms());
    }
    if ttl > 0 && ttl <= crate::logging::now_ms() && !cx.srv.loading {
        // Already expired: the key is (or stays) gone.
        if deleted {
            cx.dirty(1);
            cx.propagate_as(&[b"DEL", &key]);
            cx.modified(&key);
            cx.notify(crate::config::NOTIFY_GENERIC, "del", &key);
        }
        cx.reply().ok();
        return Ok(());
    }
    let lru = restored_lru(cx, idle, freq);
    crate::db::add_key(cx.srv, db, &key, Obj { val, lru });
    if ttl > 0 {
        cx.srv.dbs[db].set_expire(&key, ttl);
        // A relative TTL is propagated as the absolute time, with ABSTTL.
        if !absttl && cx.propagating() {
            let mut argv: Vec<bytes::Bytes> = cx.c.argv.clone();
            argv[2] = crate::persistence::propagate::int_arg(ttl);
            argv.push(bytes::Bytes::from_static(b"ABSTTL"));
            crate::persistence::propagate::set_rewrite(cx.srv, argv);
        }
    }
    cx.modified(&key);
    cx.notify(crate::config::NOTIFY_GENERIC, "restore", &key);
    cx.dirty(1);
    cx.reply().ok();
    Ok(())
}

/// objectSetLRUOrLFU for RESTORE's IDLETIME / FREQ (each only applies
/// under the matching kind of maxmemory-policy).
fn restored_lru(cx: &Ctx, idle: Option<i64>, freq: Option<i64>) -> u32 {
    let fresh = cx.srv.new_lru_field();
    if cx.srv.cfg.maxmemory_policy.is_lfu() {
        match freq {
            Some(f) => (fresh & !0xff) | f as u32,
            None => fresh,
        }
    } else {
        match idle {
            Some(s) => {
                let max = crate::cron::LRU_CLOCK_MAX as i64;
                let mut abs = cx.srv.lruclock as i64 - s.min(max);
                if abs < 0 {
                    abs += max;
                }
                abs as u32
            }
            None => fresh,
        }
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), empty
/// the dataset (unless NOFLUSH) and load the file back.
pub fn debug_reload(cx: &mut Ctx) -> CmdResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for j in 2..cx.argc() {
        if cx.arg_is(j, "merge") {
            merge = true;
        } else if cx.arg_is(j, "noflush") {
            flush = false;
        } else if cx.arg_is(j, "nosave") {
            save = false;
        } else {
            return Err(CmdError::msg(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    if save && !persistence::rdb_save(cx.srv) {
        return Err(CmdError::msg("ERR"));
    }
    if flush {
        // emptyData: watchers and tracking clients see every db flushed.
        crate::db::signal_flushed_db(cx.srv, None, false);
        for db in cx.srv.dbs.iter_mut() {
            drop(db.take_all());
        }
    }
    match persistence::rdb_load(cx.srv, merge) {
        Ok(_) => {}
        Err(LoadFailure::Data(e)) => {
            // A broken file while the server runs: Redis stops here too.
            persistence::report_load_error(&e);
            std::process::exit(1);
        }
        Err(_) => return Err(CmdError::msg("ERR Error trying to load the RDB dump")),
    }
    log::warn!("DB reloaded by DEBUG RELOAD");
    cx.reply().ok();
    Ok(())
}
