//! DEBUG (debug.c debugCommand): the subcommands the test suite uses for
//! the units ferrodis claims. Guarded by `enable-debug-command` in
//! process_command. Subcommands of later features (LOADAOF ...)
//! answer Redis' unknown-subcommand error.

use super::{help::reply_help, Ctx};
use crate::db::digest;
use crate::errors::{CmdError, CmdResult};
use crate::types::quicklist::{self, Quicklist};
use crate::types::value::Value;

pub fn debug(cx: &mut Ctx) -> CmdResult {
    let sub = cx.arg(1).to_ascii_lowercase();
    let argc = cx.argc();
    match (sub.as_slice(), argc) {
        (b"help", 2) => help(cx),
        (b"sleep", 3) => sleep(cx),
        (b"segfault", 2) => crate::crash::segfault(),
        (b"mallctl", 3..=4) => {
            let new = if argc == 4 {
                Some(cx.arg_i64(3)?)
            } else {
                None
            };
            let reply = crate::mallctl::int(cx.arg(2), new);
            mallctl_reply(cx, reply)
        }
        (b"mallctl-str", 3..=4) => {
            let reply = crate::mallctl::string(cx.arg(2), (argc == 4).then(|| cx.arg(3)));
            mallctl_reply(cx, reply)
        }
        (b"panic", 2) => panic!("DEBUG PANIC called at Unix time {}", cx.srv.unixtime),
        (b"set-active-expire", 3) => {
            cx.srv.active_expire_enabled = cx.arg_i64(2)? != 0;
            cx.reply().ok();
            Ok(())
        }
        (b"pause-cron", 3) => {
            cx.srv.cron_paused = cx.arg_i64(2)? != 0;
            cx.reply().ok();
            Ok(())
        }
        (b"object", 3) => object(cx),
        (b"digest", 2) => {
            let d = digest::dataset_digest(&cx.srv.dbs);
            cx.reply().simple(digest::hex(&d).as_bytes());
            Ok(())
        }
        (b"digest-value", _) => digest_value(cx),
        (b"protocol", 3) => protocol(cx),
        (b"populate", 3..=5) => populate(cx),
        (b"log", 3) => {
            log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(cx.arg(2)));
            cx.reply().ok();
            Ok(())
        }
        (b"jmap", _) => {
            cx.reply().ok();
            Ok(())
        }
        (b"replybuffer", 4) => {
            if cx.arg_is(2, "peak-reset-time") {
                cx.srv.reply_buffer_peak_reset_ms = if cx.arg_is(3, "never") {
                    -1
                } else if cx.arg_is(3, "reset") {
                    crate::server::REPLY_BUFFER_PEAK_RESET_MS
                } else {
                    cx.arg_i64(3)?
                };
            } else if cx.arg_is(2, "resizing") {
                // atoi: anything not a number is 0.
                let v = crate::util::number::parse_i64(&cx.c.argv[3]).unwrap_or(0);
                cx.srv.reply_buffer_resizing = v != 0;
            } else {
                return Err(CmdError::Syntax);
            }
            cx.reply().ok();
            Ok(())
        }
        (b"stringmatch-test", 2) => stringmatch_test(cx),
        (b"change-repl-id", 2) => {
            log::warn!("Changing replication IDs after receiving DEBUG change-repl-id");
            cx.srv.repl.change_id();
            cx.srv.repl.clear_id2();
            cx.reply().ok();
            Ok(())
        }
        (b"htstats", 3) => htstats(cx),
        (b"config-rewrite-force-all", 2) => config_rewrite_force_all(cx),
        (b"htstats-key", 3) => htstats_key(cx),
        (b"quicklist-packed-threshold", 3) => quicklist_packed_threshold(cx),
        (b"quicklist", 3 | 4) => quicklist(cx),
        (b"listpack", 3) => listpack(cx),
        (b"reload", _) => super::persistence::debug_reload(cx),
        (b"loadaof", 2) => super::persistence::debug_loadaof(cx),
        (b"aof-flush-sleep", 3) => {
            // atoi: garbage is 0, negative is taken as no sleep.
            let us = crate::util::number::parse_i64(cx.arg(2)).unwrap_or(0);
            cx.srv.aof.flush_sleep_us = us.max(0) as u64;
            cx.reply().ok();
            Ok(())
        }
        (b"set-skip-checksum-validation", 3) => {
            cx.srv.skip_checksum_validation = cx.arg_i64(2)? != 0;
            cx.reply().ok();
            Ok(())
        }
        (b"set-disable-deny-scripts", 3) => {
            cx.arg_i64(2)?;
            cx.reply().ok();
            Ok(())
        }
        _ => Err(super::help::subcommand_syntax_error(cx)),
    }
}

fn help(cx: &mut Ctx) -> CmdResult {
    reply_help(
        cx,
        "DEBUG",
        &[
            "CHANGE-REPL-ID",
            "    Pick a new replication ID.",
            "DIGEST",
            "    A digest of the whole dataset, as a hex string.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    A digest of each key's value.",
            "HTSTATS <dbid>",
            "    Hash table statistics of a database.",
            "HTSTATS-KEY <key>",
            "    Hash table statistics of a value stored as a hash table.",
            "JMAP",
            "    Accepted for compatibility; does nothing.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "OBJECT <key>",
            "    Low-level details of the value at <key>.",
            "MALLCTL <key> [<val>]",
            "    Read (and with <val>, set) a numeric jemalloc control; the old value is returned.",
            "MALLCTL-STR <key> [<val>]",
            "    The same for a string jemalloc control.",
            "PANIC",
            "    Stop the server with a panic report in the log.",
            "PAUSE-CRON <0|1>",
            "    Stop or resume the periodic tasks.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named <prefix>:<n> (default 'key').",
            "PROTOCOL <type>",
            "    Reply with a sample of a RESP type: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false.",
            "QUICKLIST <key> [<0|1>]",
            "    Print the quicklist layout of the list at <key> on stdout.",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Elements of <size> bytes or more get a quicklist node of their own (0 = 1gb).",
            "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
            "    Save the RDB on disk and reload it back to memory. MERGE replaces keys that",
            "    already exist, NOFLUSH keeps the current dataset, NOSAVE loads the file as it is.",
            "REPLYBUFFER PEAK-RESET-TIME|RESIZING <value>",
            "    Tune reply buffer management.",
            "SEGFAULT",
            "    Crash the server with a segmentation fault (crash report in the log).",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Turn the active expiry cycle off or on.",
            "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
            "    Skip the checksum check of RESTORE payloads and RDB files.",
            "SLEEP <seconds>",
            "    Block the server for <seconds> (fractions allowed).",
            "STRINGMATCH-TEST",
            "    Fuzz the glob matcher with random patterns.",
        ],
    );
    Ok(())
}

fn mallctl_reply(cx: &mut Ctx, reply: crate::mallctl::Reply) -> CmdResult {
    use crate::mallctl::Reply;
    match reply {
        Reply::Int(n) => cx.reply().int(n),
        Reply::Text(t) => cx.reply().bulk(&t),
        Reply::Ok => cx.reply().ok(),
        Reply::Err(e) => return Err(CmdError::owned(format!("ERR {e}"))),
    }
    Ok(())
}

fn sleep(cx: &mut Ctx) -> CmdResult {
    let secs = std::str::from_utf8(cx.arg(2))
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    if secs > 0.0 && secs.is_finite() {
        std::thread::sleep(std::time::Duration::from_secs_f64(secs));
    }
    cx.reply().ok();
    Ok(())
}

fn object(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(2);
    let now = cx.srv.lruclock;
    let Some(o) = cx.srv.dbs[cx.c.db].keys.peek(&key) else {
        return Err(CmdError::NoSuchKey);
    };
    let idle = now.wrapping_sub(o.lru) & crate::cron::LRU_CLOCK_MAX;
    // The real encoder's byte count (rdbSavedObjectLen).
    let serialized = crate::persistence::save::serialized_len(&o.val, cx.srv.cfg.rdbcompression);
    let extra = match &o.val {
        Value::List(l) => quicklist_fields(l),
        _ => String::new(),
    };
    let text = format!(
        "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
        o as *const _,
        o.val.encoding_name(),
        serialized,
        o.lru,
        idle,
        extra
    );
    cx.reply().simple(text.as_bytes());
    Ok(())
}

/// DEBUG OBJECT's quicklist fields, as debug.c formats them.
fn quicklist_fields(l: &Quicklist) -> String {
    // Redis divides by the node count even for an empty list (nan), which
    // a stored key never is.
    let avg = l.len() as f64 / l.node_count() as f64;
    format!(
        " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
        l.node_count(),
        avg,
        l.fill(),
        u8::from(l.compress_depth() != 0),
        l.uncompressed_size()
    )
}

/// DEBUG QUICKLIST-PACKED-THRESHOLD <size>: the size at which a list
/// element gets a PLAIN node of its own.
fn quicklist_packed_threshold(cx: &mut Ctx) -> CmdResult {
    match memtoull(cx.arg(2)).filter(|&sz| quicklist::set_packed_threshold(sz)) {
        Some(_) => {
            cx.reply().ok();
            Ok(())
        }
        None => Err(CmdError::msg(
            "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
        )),
    }
}

/// Redis' memtoull for the DEBUG argument: digits and an optional unit
/// (b, k, kb, m, mb, g, gb; case-insensitive). None for anything else.
fn memtoull(p: &[u8]) -> Option<u64> {
    let digits = p.iter().take_while(|c| c.is_ascii_digit()).count();
    let mul: u64 = match p[digits..].to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let mut v: u64 = 0;
    for &d in &p[..digits] {
        v = v.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    Some(v.wrapping_mul(mul))
}

/// DEBUG QUICKLIST <key> [<0|1>]: the layout goes to stdout, as in Redis.
fn quicklist(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(2);
    let Some(o) = cx.srv.dbs[cx.c.db].keys.peek(&key) else {
        return Err(CmdError::NoSuchKey);
    };
    let Value::List(l) = &o.val else {
        return Err(CmdError::msg("ERR Not a quicklist encoded object."));
    };
    print!("{}", l.repr());
    cx.reply().simple(b"Quicklist structure printed on stdout");
    Ok(())
}

/// DEBUG LISTPACK <key>: a listpack-encoded value's entries go to stdout.
fn listpack(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(2);
    let Some(o) = cx.srv.dbs[cx.c.db].keys.peek(&key) else {
        return Err(CmdError::NoSuchKey);
    };
    let lp = match &o.val {
        Value::Hash(h) => h.listpack(),
        Value::ZSet(z) => z.listpack(),
        _ => None,
    };
    let Some(lp) = lp else {
        return Err(CmdError::msg("ERR Not a listpack encoded object."));
    };
    let mut text = format!(
        "{{total bytes {}}} {{num entries {}}}\n",
        lp.bytes_len(),
        lp.len()
    );
    for (i, e) in lp.iter().enumerate() {
        text.push_str(&format!(
            "{{ index {i} }} {}\n",
            String::from_utf8_lossy(&e.to_vec())
        ));
    }
    print!("{text}");
    cx.reply().simple(b"Listpack structure printed on stdout");
    Ok(())
}

fn digest_value(cx: &mut Ctx) -> CmdResult {
    let n = cx.argc() - 2;
    let mut out = Vec::with_capacity(n);
    let db = &cx.srv.dbs[cx.c.db];
    for j in 2..cx.argc() {
        let mut d = [0u8; 20];
        if let Some(o) = db.keys.peek(cx.arg(j)) {
            let has_expire = db.expires.peek(cx.arg(j)).is_some();
            digest::object_digest(&mut d, o, has_expire);
        }
        out.push(digest::hex(&d));
    }
    let mut r = cx.reply();
    r.array_len(n);
    for s in out {
        r.simple(s.as_bytes());
    }
    Ok(())
}

fn protocol(cx: &mut Ctx) -> CmdResult {
    let name = cx.arg(2).to_ascii_lowercase();
    let resp3 = cx.c.resp >= 3;
    let mut r = cx.reply();
    match name.as_slice() {
        b"string" => r.bulk(b"Hello World"),
        b"integer" => r.int(12345),
        // Redis' fixed sample value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => r.double(3.141),
        b"bignum" => {
            if resp3 {
                r.raw(b"(1234567999999999999999999999999999999\r\n");
            } else {
                r.bulk(b"1234567999999999999999999999999999999");
            }
        }
        b"null" => r.null(),
        b"array" => {
            r.array_len(3);
            (0..3).for_each(|j| r.int(j));
        }
        b"set" => {
            r.set_len(3);
            (0..3).for_each(|j| r.int(j));
        }
        b"map" => {
            r.map_len(3);
            for j in 0..3 {
                r.int(j);
                r.bool(j == 1);
            }
        }
        b"attrib" => {
            if resp3 {
                r.raw(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n");
            }
            r.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !resp3 {
                return Err(CmdError::msg("ERR RESP2 is not supported by this command"));
            }
            r.push_len(2);
            r.bulk(b"server-cpu-usage");
            r.int(42);
            r.bulk(b"Some real reply following the push reply");
        }
        b"true" => r.bool(true),
        b"false" => r.bool(false),
        b"verbatim" => r.verbatim(b"This is a verbatim\nstring", "txt"),
        _ => {
            return Err(CmdError::msg("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"))
        }
    }
    Ok(())
}

fn positive(cx: &Ctx, i: usize) -> Result<usize, CmdError> {
    match crate::util::number::parse_i64(cx.arg(i)) {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(CmdError::msg("ERR value is out of range, must be positive")),
    }
}

fn populate(cx: &mut Ctx) -> CmdResult {
    let count = positive(cx, 2)?;
    let valsize = if cx.argc() == 5 { positive(cx, 4)? } else { 0 };
    let prefix = if cx.argc() >= 4 {
        cx.arg(3).to_vec()
    } else {
        b"key".to_vec()
    };
    let lru = cx.srv.new_lru_field();
    let db = cx.c.db;
    // A count too big to pre-size for just grows the table as keys arrive.
    let _ = cx.srv.dbs[db].keys.try_expand(count);
    let mut key = Vec::with_capacity(prefix.len() + 21);
    let mut val = Vec::with_capacity(32);
    for j in 0..count {
        key.clear();
        key.extend_from_slice(&prefix);
        key.push(b':');
        crate::util::number::write_i64(&mut key, j as i64);
        crate::db::expire::expire_if_needed(cx.srv, db, &key);
        if cx.srv.dbs[db].keys.contains_key(&key) {
            continue;
        }
        val.clear();
        val.extend_from_slice(b"value:");
        crate::util::number::write_i64(&mut val, j as i64);
        if valsize > 0 {
            val.resize(valsize, 0);
        }
        // DEBUG POPULATE stores plain strings: never int-encoded.
        let obj = crate::types::value::Obj {
            val: Value::embstr_or_raw(&val),
            lru,
        };
        crate::db::add_key(cx.srv, db, &key, obj);
        crate::db::signal_modified_key(cx.srv, db, &key);
    }
    cx.reply().ok();
    Ok(())
}

/// Throw random patterns at the glob matcher (stringmatchlen_fuzz_test):
/// the point is only that nothing hangs or panics.
fn stringmatch_test(cx: &mut Ctx) -> CmdResult {
    let mut seed = cx.srv.now_ms as u64 | 1;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..1_000_000 {
        let plen = (next() % 32) as usize;
        let slen = (next() % 32) as usize;
        let pat: Vec<u8> = (0..plen).map(|_| (next() % 256) as u8).collect();
        let s: Vec<u8> = (0..slen).map(|_| (next() % 256) as u8).collect();
        crate::util::glob::glob_match(&pat, &s, false);
    }
    cx.reply()
        .simple(b"Apparently Redis did not crash: test passed");
    Ok(())
}

/// Rewrite the config file with every directive, defaults included.
fn config_rewrite_force_all(cx: &mut Ctx) -> CmdResult {
    let Some(path) = cx.srv.config_file.clone() else {
        return Err(CmdError::msg(
            "ERR The server is running without a config file",
        ));
    };
    let extras = super::config::rewrite_extras(cx);
    match cx.srv.cfg.rewrite_with(&path, &extras, true) {
        Ok(()) => {
            cx.reply().ok();
            Ok(())
        }
        Err(e) => Err(CmdError::owned(format!(
            "ERR CONFIG-REWRITE-FORCE-ALL failed: {e}"
        ))),
    }
}

fn htstats(cx: &mut Ctx) -> CmdResult {
    let id = cx.arg_i64(2)?;
    if id < 0 || id >= cx.srv.dbs.len() as i64 {
        return Err(CmdError::msg("ERR Out of range database"));
    }
    let db = &cx.srv.dbs[id as usize];
    let mut s = String::from("[Dictionary HT]\n");
    s.push_str(&db.keys.stats_text());
    s.push_str("[Expires HT]\n");
    s.push_str(&db.expires.stats_text());
    cx.reply().verbatim(s.as_bytes(), "txt");
    Ok(())
}

fn htstats_key(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(2);
    let stats = match cx.srv.dbs[cx.c.db].keys.peek(&key) {
        None => return Err(CmdError::NoSuchKey),
        Some(o) => match &o.val {
            Value::Hash(h) => h.table_stats(),
            Value::Set(s) => s.ht_stats(),
            _ => None,
        },
    };
    let Some(text) = stats else {
        return Err(CmdError::msg(
            "ERR The value stored at the specified key is not represented using an hash table",
        ));
    };
    cx.reply().verbatim(text.as_bytes(), "txt");
    Ok(())
}
