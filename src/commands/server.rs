//! Server commands: TIME, LASTSAVE, LOLWUT, SHUTDOWN, MEMORY and LATENCY
//! HISTOGRAM. (SAVE/BGSAVE arrive with persistence.)

use super::{help::reply_help, Ctx};
use crate::errors::{CmdError, CmdResult};
use crate::shutdown::{prepare_shutdown, ShutdownFlags};

pub fn time(cx: &mut Ctx) -> CmdResult {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut r = cx.reply();
    r.array_len(2);
    r.bulk_i64(now.as_secs() as i64);
    r.bulk_i64(now.subsec_micros() as i64);
    Ok(())
}

pub fn lastsave(cx: &mut Ctx) -> CmdResult {
    let t = cx.srv.last_save;
    cx.reply().int(t);
    Ok(())
}

pub fn lolwut(cx: &mut Ctx) -> CmdResult {
    if cx.argc() >= 3 && cx.arg_is(1, "version") {
        cx.arg_i64(2)?;
    }
    let text = format!("Redis ver. {}\n", crate::REDIS_VERSION);
    cx.reply().verbatim(text.as_bytes(), "txt");
    Ok(())
}

pub fn shutdown(cx: &mut Ctx) -> CmdResult {
    let mut fl = ShutdownFlags::default();
    let mut abort = false;
    for j in 1..cx.argc() {
        if cx.arg_is(j, "nosave") {
            fl.nosave = true;
        } else if cx.arg_is(j, "save") {
            fl.save = true;
        } else if cx.arg_is(j, "now") {
            fl.now = true;
        } else if cx.arg_is(j, "force") {
            fl.force = true;
        } else if cx.arg_is(j, "abort") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (abort && cx.argc() != 2) || (fl.nosave && fl.save) {
        return Err(CmdError::Syntax);
    }
    if abort {
        // A signal scheduled a shutdown that cron has not run yet (or has
        // only flagged), or one waits for replicas: cancel it (abortShutdown).
        let pending = crate::shutdown::take_signal().is_some();
        if !pending && !cx.srv.shutdown_asap && cx.srv.shutdown_mstime == 0 {
            return Err(CmdError::msg("ERR No shutdown in progress."));
        }
        log::warn!("Shutdown manually aborted.");
        crate::shutdown::cancel_shutdown(cx.srv);
        cx.reply().ok();
        return Ok(());
    }
    // A client that may not block does not wait for the replicas.
    if cx.c.flags & crate::net::client::flags::DENY_BLOCKING != 0 {
        fl.now = true;
    }
    if prepare_shutdown(cx.srv, fl) {
        std::process::exit(0);
    }
    if cx.srv.shutdown_mstime != 0 {
        // Waiting for the replicas: the answer is the exit, or an error.
        let b = crate::blocking::Blocked {
            db: cx.c.db,
            keys: Vec::new(),
            deadline_ms: 0,
            op: crate::blocking::BlockOp::Shutdown,
            cmd: cx.cmd,
            argv: Vec::new(),
        };
        crate::blocking::block(cx.srv, cx.c, b);
        return Ok(());
    }
    Err(CmdError::msg("ERR Errors trying to SHUTDOWN. Check logs."))
}

pub fn memory_usage(cx: &mut Ctx) -> CmdResult {
    // OBJ_COMPUTE_SIZE_DEF_SAMPLES; 0 means every element.
    let mut samples = 5usize;
    let mut j = 3;
    while j < cx.argc() {
        if cx.arg_is(j, "samples") && j + 1 < cx.argc() {
            let n = cx.arg_i64(j + 1)?;
            if n < 0 {
                return Err(CmdError::Syntax);
            }
            samples = if n == 0 { usize::MAX } else { n as usize };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let key = cx.arg_bytes(2);
    crate::db::expire::expire_if_needed(cx.srv, cx.c.db, &key);
    let db = &cx.srv.dbs[cx.c.db];
    match db.keys.peek(&key) {
        None => cx.reply().null(),
        Some(o) => {
            // Entry header + key + value, as Redis sums dictEntry, sds key and robj.
            // dictEntry + the key's sds + the value, as objectComputeSize adds them.
            let key_sds = crate::types::value::alloc_size(
                crate::types::value::sds_header(key.len()) + key.len() + 1,
            );
            let n = 24 + key_sds + o.val.mem_usage(samples);
            cx.c.reply().int(n as i64);
        }
    }
    Ok(())
}

pub fn memory_stats(cx: &mut Ctx) -> CmdResult {
    let m = crate::memory::sample();
    let keys: usize = cx.srv.dbs.iter().map(|d| d.keys.len()).sum();
    let startup = cx.srv.used_memory_startup;
    let dataset = m.allocated.saturating_sub(startup);
    let mut r = cx.reply();
    let fields: Vec<(&str, i64)> = vec![
        ("peak.allocated", crate::memory::peak(m.allocated) as i64),
        ("total.allocated", m.allocated as i64),
        ("startup.allocated", startup as i64),
        ("replication.backlog", 0),
        ("clients.slaves", 0),
        ("clients.normal", 0),
        ("cluster.links", 0),
        ("aof.buffer", 0),
        ("lua.caches", 0),
        ("functions.caches", 0),
        ("overhead.total", startup as i64),
        ("keys.count", keys as i64),
        (
            "keys.bytes-per-key",
            if keys > 0 {
                (dataset / keys as u64) as i64
            } else {
                0
            },
        ),
        ("dataset.bytes", dataset as i64),
    ];
    r.map_len(fields.len() + 11);
    for (k, v) in fields {
        r.bulk(k.as_bytes());
        r.int(v);
    }
    let pct = |a: u64, b: u64| {
        if b > 0 {
            a as f64 * 100.0 / b as f64
        } else {
            0.0
        }
    };
    r.bulk(b"dataset.percentage");
    r.double(pct(dataset, m.allocated.saturating_sub(startup).max(1)));
    r.bulk(b"peak.percentage");
    r.double(pct(m.allocated, crate::memory::peak(m.allocated)));
    r.bulk(b"allocator.allocated");
    r.int(m.allocated as i64);
    r.bulk(b"allocator.active");
    r.int(m.active as i64);
    r.bulk(b"allocator.resident");
    r.int(m.resident as i64);
    r.bulk(b"allocator-fragmentation.ratio");
    r.double(if m.allocated > 0 {
        m.active as f64 / m.allocated as f64
    } else {
        0.0
    });
    r.bulk(b"allocator-fragmentation.bytes");
    r.int(m.active as i64 - m.allocated as i64);
    r.bulk(b"allocator.rss-ratio");
    r.double(if m.active > 0 {
        m.resident as f64 / m.active as f64
    } else {
        0.0
    });
    r.bulk(b"allocator.rss-bytes");
    r.int(m.resident as i64 - m.active as i64);
    r.bulk(b"rss-overhead.ratio");
    r.double(if m.resident > 0 {
        m.rss as f64 / m.resident as f64
    } else {
        0.0
    });
    r.bulk(b"fragmentation");
    r.double(if m.allocated > 0 {
        m.rss as f64 / m.allocated as f64
    } else {
        0.0
    });
    Ok(())
}

pub fn memory_doctor(cx: &mut Ctx) -> CmdResult {
    let text = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.";
    cx.reply().verbatim(text.as_bytes(), "txt");
    Ok(())
}

pub fn memory_malloc_stats(cx: &mut Ctx) -> CmdResult {
    let m = crate::memory::sample();
    let text = format!(
        "jemalloc stats: allocated={} active={} resident={} rss={}\n",
        m.allocated, m.active, m.resident, m.rss
    );
    cx.reply().verbatim(text.as_bytes(), "txt");
    Ok(())
}

pub fn memory_purge(cx: &mut Ctx) -> CmdResult {
    // Ask jemalloc to return dirty pages of every arena to the system.
    let _ = tikv_jemalloc_ctl::epoch::advance();
    // SAFETY: "arena.4096.purge" (MALLCTL_ARENAS_ALL) takes no input and
    // writes no output; it is a documented void mallctl.
    unsafe {
        let _ = tikv_jemalloc_ctl::raw::write(b"arena.4096.purge\0", ());
    }
    cx.reply().ok();
    Ok(())
}

pub fn memory_help(cx: &mut Ctx) -> CmdResult {
    reply_help(
        cx,
        "MEMORY",
        &[
            "DOCTOR",
            "    A short report on memory problems, if any.",
            "MALLOC-STATS",
            "    The allocator's own statistics.",
            "PURGE",
            "    Ask the allocator to give unused memory back to the system.",
            "STATS",
            "    Memory usage figures of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Bytes used by <key> and its value.",
        ],
    );
    Ok(())
}
