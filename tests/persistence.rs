//! Persistence against the real thing: RDB files and DUMP payloads moved
//! between ferrodis and Debian's redis-server 7.0.15 in both directions,
//! checked with DEBUG DIGEST / DIGEST-VALUE (which both compute the same
//! way) and with `redis-check-rdb`; Redis' own RDB test assets; SAVE,
//! LASTSAVE, DEBUG RELOAD, SHUTDOWN SAVE and RESTORE's error replies.
//! When redis-server is not installed the interop tests print a note and
//! pass, since there is nothing to compare with.

mod common;

use common::{Client, Resp, Server, TempDir};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const REDIS: &str = "/usr/bin/redis-server";
const CHECK_RDB: &str = "/usr/bin/redis-check-rdb";
const ASSETS: &str = "/tmp/redis-src/redis-7.0.15/tests/assets";

fn have_redis() -> bool {
    let ok = Path::new(REDIS).exists();
    if !ok {
        eprintln!("note: {REDIS} is missing, skipping this interop test");
    }
    ok
}

/// Real Redis with DEBUG enabled and no automatic saves, plus `extra`.
fn start_redis(extra: &[&str]) -> Server {
    let mut args = vec!["--save", "", "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Server::start_bin(Path::new(REDIS), &args)
}

fn start_ferrodis(extra: &[&str]) -> Server {
    let mut args = vec!["--save", "", "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn err_text(r: &Resp) -> String {
    match r {
        Resp::Error(e) => e.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

fn ok(r: Resp) {
    assert_eq!(r, Resp::ok(), "expected OK");
}

/// A dataset with every type and encoding ferrodis has, in three dbs,
/// with expires; `Resp` replies are checked so a typo fails loudly.
fn populate(c: &mut Client) {
    let long = "x".repeat(300);
    let compressible = "ab".repeat(100);
    for db in ["0", "3", "15"] {
        ok(c.cmd(&["SELECT", db]));
        // Strings: int (8/16/32/64 bit), embstr, raw, compressible, binary.
        for (k, v) in [
            ("int8", "-7"),
            ("int16", "1234"),
            ("int32", "-2000000000"),
            ("int64", "9223372036854775807"),
            ("notcanon", "007"),
            ("emb", "hello world"),
            ("empty", ""),
            ("raw", &long),
            ("comp", &compressible),
        ] {
            ok(c.cmd(&["SET", k, v]));
        }
        c.cmd_bytes(&[b"SET", b"bin", &[0u8, 255, 1, 254, 13, 10]]);
        ok(c.cmd(&["SET", "withttl", "v", "PX", "100000000"]));
        // Hashes: listpack (with an int field) and hashtable (long value,
        // and by count).
        c.cmd(&["HSET", "h_lp", "a", "1", "b", "two", "100", "-5"]);
        c.cmd(&["HSET", "h_ht", "f", &long, "g", "1"]);
        for i in 0..600 {
            c.cmd(&["HSET", "h_many", &format!("f{i}"), &i.to_string()]);
        }
        c.cmd(&["EXPIRE", "h_lp", "100000"]);
        // Sets: intset (16/32/64-bit widths) and hashtable.
        c.cmd(&["SADD", "s_i16", "1", "2", "-300"]);
        c.cmd(&["SADD", "s_i64", "1", "5000000000", "-9"]);
        c.cmd(&["SADD", "s_ht", "a", "b", "1"]);
        for i in 0..600 {
            c.cmd(&["SADD", "s_bigints", &i.to_string()]);
        }
        // Sorted sets: listpack and skiplist, with odd scores.
        c.cmd(&[
            "ZADD", "z_lp", "1", "a", "2.5", "b", "-inf", "c", "1e300", "d",
        ]);
        c.cmd(&["ZADD", "z_sl", "1", &long, "0", "z"]);
        for i in 0..300 {
            c.cmd(&["ZADD", "z_many", &format!("{}.25", i), &format!("m{i}")]);
        }
        // Lists: small (one node), several nodes, a long element.
        c.cmd(&["RPUSH", "l_small", "a", "1", "-2", "bcd"]);
        for i in 0..2000 {
            c.cmd(&["RPUSH", "l_many", &format!("element-{i}")]);
        }
        c.cmd(&["RPUSH", "l_long", &long, "x"]);
    }
    ok(c.cmd(&["SELECT", "0"]));
}

/// (db, key) -> DEBUG DIGEST-VALUE of every key of every db.
fn digests(c: &mut Client) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for db in 0..16 {
        ok(c.cmd(&["SELECT", &db.to_string()]));
        let mut keys = c.cmd(&["KEYS", "*"]).strings();
        keys.sort();
        for k in keys {
            let d = c.cmd(&["DEBUG", "DIGEST-VALUE", &k]).items()[0].text();
            out.push((db, k, d));
        }
    }
    ok(c.cmd(&["SELECT", "0"]));
    out
}

fn encodings(c: &mut Client) -> Vec<(String, String)> {
    let mut keys = c.cmd(&["KEYS", "*"]).strings();
    keys.sort();
    keys.into_iter()
        .map(|k| {
            let e = c.cmd(&["OBJECT", "ENCODING", &k]).text();
            (k, e)
        })
        .collect()
}

fn copy_rdb(from: &Path, name: &str) -> TempDir {
    let dir = TempDir::new("rdb");
    std::fs::copy(from.join(name), dir.path().join("dump.rdb")).expect("copy rdb");
    dir
}

fn check_rdb(path: &Path) {
    if !Path::new(CHECK_RDB).exists() {
        eprintln!("note: {CHECK_RDB} missing, not checking {path:?}");
        return;
    }
    let out = Command::new(CHECK_RDB)
        .arg(path)
        .output()
        .expect("run redis-check-rdb");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("RDB looks OK!"),
        "{text}"
    );
}

#[test]
fn an_rdb_saved_by_redis_loads_here_identically() {
    if !have_redis() {
        return;
    }
    let redis = start_redis(&[]);
    let mut rc = redis.client();
    populate(&mut rc);
    ok(rc.cmd(&["SAVE"]));
    let want = digests(&mut rc);
    let want_all = rc.cmd(&["DEBUG", "DIGEST"]);
    let want_enc = encodings(&mut rc);
    let dir = copy_rdb(redis.dir(), "dump.rdb");
    let dir_s = dir.path().to_string_lossy().into_owned();
    let f = start_ferrodis(&["--dir", &dir_s]);
    let mut fc = f.client();
    assert_eq!(digests(&mut fc), want);
    assert_eq!(fc.cmd(&["DEBUG", "DIGEST"]), want_all);
    assert_eq!(encodings(&mut fc), want_enc);
    assert!(f.log().contains("Loading RDB produced by version 7.0.15"));
    assert!(f.log().contains("DB loaded from disk: "));
    let ttl = fc.cmd(&["PTTL", "withttl"]).int();
    assert!(ttl > 90_000_000, "{ttl}");
}

#[test]
fn an_rdb_saved_here_loads_into_redis_and_passes_redis_check_rdb() {
    if !have_redis() {
        return;
    }
    for extra in [
        &[][..],
        &["--rdbcompression", "no", "--rdbchecksum", "no"][..],
        // Small list nodes with the inner ones LZF-compressed.
        &[
            "--list-compress-depth",
            "1",
            "--list-max-listpack-size",
            "8",
        ][..],
    ] {
        let f = start_ferrodis(extra);
        let mut fc = f.client();
        populate(&mut fc);
        ok(fc.cmd(&["SAVE"]));
        let want = digests(&mut fc);
        let want_all = fc.cmd(&["DEBUG", "DIGEST"]);
        let want_enc = encodings(&mut fc);
        check_rdb(&f.dir().join("dump.rdb"));
        let dir = copy_rdb(f.dir(), "dump.rdb");
        let dir_s = dir.path().to_string_lossy().into_owned();
        let redis = start_redis(&["--dir", &dir_s]);
        let mut rc = redis.client();
        assert_eq!(digests(&mut rc), want, "{extra:?}");
        assert_eq!(rc.cmd(&["DEBUG", "DIGEST"]), want_all);
        assert_eq!(encodings(&mut rc), want_enc);
    }
}

/// DUMP every key on `from`, RESTORE it on `to`, compare digests.
fn cross_restore(from: &mut Client, to: &mut Client) {
    let mut keys = from.cmd(&["KEYS", "*"]).strings();
    keys.sort();
    assert!(keys.len() > 10);
    for k in keys {
        let Resp::Bulk(Some(payload)) = from.cmd(&["DUMP", &k]) else {
            panic!("DUMP {k}");
        };
        // Keep the TTL: DIGEST-VALUE covers whether a key has one.
        let ttl = from.cmd(&["PTTL", &k]).int().max(0).to_string();
        let r = to.cmd_bytes(&[
            b"RESTORE",
            k.as_bytes(),
            ttl.as_bytes(),
            &payload,
            b"REPLACE",
        ]);
        assert_eq!(r, Resp::ok(), "RESTORE {k}");
        let a = from.cmd(&["DEBUG", "DIGEST-VALUE", &k]);
        let b = to.cmd(&["DEBUG", "DIGEST-VALUE", &k]);
        assert_eq!(a, b, "{k}");
        let ea = from.cmd(&["OBJECT", "ENCODING", &k]);
        let eb = to.cmd(&["OBJECT", "ENCODING", &k]);
        assert_eq!(ea, eb, "{k}");
    }
}

#[test]
fn dump_payloads_restore_across_both_servers() {
    if !have_redis() {
        return;
    }
    let redis = start_redis(&[]);
    let f = start_ferrodis(&[]);
    let (mut rc, mut fc) = (redis.client(), f.client());
    populate(&mut rc);
    cross_restore(&mut rc, &mut fc);
    ok(fc.cmd(&["FLUSHALL"]));
    ok(rc.cmd(&["FLUSHALL"]));
    populate(&mut fc);
    cross_restore(&mut fc, &mut rc);
    // The payload bytes themselves are the same for simple values.
    for k in [
        "int8", "int64", "emb", "raw", "comp", "h_lp", "s_i16", "s_i64", "z_lp",
    ] {
        assert_eq!(rc.cmd(&["DUMP", k]), fc.cmd(&["DUMP", k]), "{k}");
    }
}

/// Loads `file` from Redis' test assets into both servers and compares.
fn compare_asset(file: &str) {
    let src = PathBuf::from(ASSETS);
    if !src.join(file).exists() {
        eprintln!("note: {file} not found under {ASSETS}");
        return;
    }
    let d1 = TempDir::new("asset");
    std::fs::copy(src.join(file), d1.path().join(file)).unwrap();
    let d2 = TempDir::new("asset");
    std::fs::copy(src.join(file), d2.path().join(file)).unwrap();
    let p1 = d1.path().to_string_lossy().into_owned();
    let p2 = d2.path().to_string_lossy().into_owned();
    let redis = start_redis(&["--dir", &p1, "--dbfilename", file]);
    let f = start_ferrodis(&["--dir", &p2, "--dbfilename", file]);
    let (mut rc, mut fc) = (redis.client(), f.client());
    let want = digests(&mut rc);
    assert_eq!(digests(&mut fc), want, "{file}");
    assert_eq!(encodings(&mut fc), encodings(&mut rc), "{file}");
}

#[test]
fn redis_test_assets_load_like_redis() {
    if !have_redis() {
        return;
    }
    for file in [
        "encodings.rdb",
        "hash-zipmap.rdb",
        "hash-ziplist.rdb",
        "zset-ziplist.rdb",
        "list-quicklist.rdb",
        "scriptbackup.rdb",
    ] {
        compare_asset(file);
    }
}

#[test]
fn save_lastsave_info_and_restart() {
    let f = start_ferrodis(&[]);
    let mut c = f.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["HSET", "h", "f", "v"]);
    c.cmd(&["SADD", "s", "x", "7"]);
    assert_eq!(
        c.info_field("persistence", "rdb_changes_since_last_save")
            .as_deref(),
        Some("4")
    );
    ok(c.cmd(&["SAVE"]));
    assert!(f.log().contains("DB saved on disk"));
    assert_eq!(
        c.info_field("persistence", "rdb_changes_since_last_save")
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        c.info_field("persistence", "rdb_last_bgsave_status")
            .as_deref(),
        Some("ok")
    );
    let last = c.cmd(&["LASTSAVE"]).int();
    assert!(last > 1_700_000_000);
    assert!(f.dir().join("dump.rdb").exists());
    assert!(!f.dir().join(format!("temp-{}.rdb", f.pid())).exists());
    let digest = c.cmd(&["DEBUG", "DIGEST"]);
    // DEBUG RELOAD: same data, and the load counters follow.
    ok(c.cmd(&["DEBUG", "RELOAD"]));
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), digest);
    assert_eq!(
        c.info_field("persistence", "rdb_last_load_keys_loaded")
            .as_deref(),
        Some("3")
    );
    assert!(c.cmd(&["DEBUG", "RELOAD", "BOGUS"]).is_error());
    // NOSAVE loads the file as it is; NOFLUSH MERGE keeps extra keys.
    c.cmd(&["SET", "later", "1"]);
    ok(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]));
    assert_eq!(c.cmd(&["EXISTS", "later"]).int(), 0);
    c.cmd(&["SET", "later", "1"]);
    ok(c.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]));
    assert_eq!(c.cmd(&["EXISTS", "later", "a"]).int(), 2);
}

#[test]
fn shutdown_save_writes_a_file_the_next_start_loads() {
    let dir = TempDir::new("shut");
    let dir_s = dir.path().to_string_lossy().into_owned();
    let mut f = start_ferrodis(&["--dir", &dir_s]);
    let mut c = f.client();
    c.cmd(&["SET", "kept", "yes"]);
    c.send(&["SHUTDOWN", "SAVE"]);
    assert!(f.wait_exit(Duration::from_secs(20)).is_some());
    assert!(dir.path().join("dump.rdb").exists());
    let f2 = start_ferrodis(&["--dir", &dir_s]);
    assert_eq!(f2.client().cmd(&["GET", "kept"]), Resp::bulk("yes"));
    // Save points configured: a SIGTERM saves too.
    let dir2 = TempDir::new("shut2");
    let dir2_s = dir2.path().to_string_lossy().into_owned();
    let mut f3 = Server::start(&["--dir", &dir2_s, "--save", "3600 1"]);
    assert!(f3.log().contains("Server initialized"));
    f3.client().cmd(&["SET", "k", "v"]);
    f3.signal("TERM");
    assert!(f3.wait_exit(Duration::from_secs(20)).is_some());
    assert!(dir2.path().join("dump.rdb").exists());
}

#[test]
fn restore_errors_match_redis() {
    let f = start_ferrodis(&[]);
    let mut c = f.client();
    c.cmd(&["SET", "k", "v"]);
    let Resp::Bulk(Some(p)) = c.cmd(&["DUMP", "k"]) else {
        panic!("DUMP")
    };
    assert_eq!(c.cmd(&["DUMP", "missing"]), Resp::nil());
    let restore = |c: &mut Client, args: &[&[u8]]| {
        let mut a: Vec<&[u8]> = vec![b"RESTORE"];
        a.extend_from_slice(args);
        c.cmd_bytes(&a)
    };
    assert_eq!(
        restore(&mut c, &[b"k", b"0", &p]),
        Resp::err("BUSYKEY Target key name already exists.")
    );
    assert_eq!(
        restore(&mut c, &[b"n", b"-1", &p]),
        Resp::err("ERR Invalid TTL value, must be >= 0")
    );
    let mut bad = p.clone();
    bad[0] ^= 0x40;
    assert_eq!(
        restore(&mut c, &[b"n", b"0", &bad]),
        Resp::err("ERR DUMP payload version or checksum are wrong")
    );
    assert_eq!(
        restore(&mut c, &[b"n", b"0", b"short"]),
        Resp::err("ERR DUMP payload version or checksum are wrong")
    );
    // With the checksum skipped, broken data is "Bad data format".
    ok(c.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]));
    let mut junk = vec![2u8, 0x80, 0xff, 0xff, 0xff, 0xff];
    junk.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        restore(&mut c, &[b"n", b"0", &junk]),
        Resp::err("ERR Bad data format")
    );
    ok(c.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0"]));
    assert_eq!(
        restore(&mut c, &[b"n", b"0", &p, b"IDLETIME", b"-1"]),
        Resp::err("ERR Invalid IDLETIME value, must be >= 0")
    );
    assert_eq!(
        restore(&mut c, &[b"n", b"0", &p, b"FREQ", b"256"]),
        Resp::err("ERR Invalid FREQ value, must be >= 0 and <= 255")
    );
    assert_eq!(
        restore(&mut c, &[b"n", b"0", &p, b"BOGUS"]),
        Resp::err("ERR syntax error")
    );
    // REPLACE, TTL, ABSTTL, IDLETIME.
    ok(restore(
        &mut c,
        &[b"k", b"5000", &p, b"REPLACE", b"IDLETIME", b"1000"],
    ));
    let pttl = c.cmd(&["PTTL", "k"]).int();
    assert!(pttl > 4000 && pttl <= 5000, "{pttl}");
    assert!(c.cmd(&["OBJECT", "IDLETIME", "k"]).int() >= 1000);
    ok(restore(&mut c, &[b"old", b"1", &p, b"ABSTTL"]));
    assert_eq!(c.cmd(&["EXISTS", "old"]).int(), 0);
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn debug_object_serializedlength_matches_redis() {
    if !have_redis() {
        return;
    }
    let redis = start_redis(&[]);
    let f = start_ferrodis(&[]);
    let (mut rc, mut fc) = (redis.client(), f.client());
    populate(&mut rc);
    populate(&mut fc);
    let field = |c: &mut Client, k: &str| {
        let t = c.cmd(&["DEBUG", "OBJECT", k]).text();
        t.split_whitespace()
            .find(|w| w.starts_with("serializedlength:"))
            .map(str::to_string)
    };
    for k in [
        "int8", "int64", "emb", "raw", "comp", "h_lp", "h_ht", "s_i16", "s_ht", "z_lp", "z_sl",
        "z_many", "l_small", "l_many", "l_long",
    ] {
        assert_eq!(field(&mut fc, k), field(&mut rc, k), "{k}");
    }
}

#[test]
fn a_corrupt_rdb_stops_the_server_with_redis_log_lines() {
    let f = start_ferrodis(&[]);
    let mut c = f.client();
    c.cmd(&["SET", "a", "1"]);
    ok(c.cmd(&["SAVE"]));
    let mut bytes = std::fs::read(f.dir().join("dump.rdb")).unwrap();
    let n = bytes.len();
    bytes[n - 8..].copy_from_slice(b"foobar00");
    let dir = TempDir::new("crc");
    std::fs::write(dir.path().join("dump.rdb"), &bytes).unwrap();
    let dir_s = dir.path().to_string_lossy().into_owned();
    let port = common::free_port();
    let r = Server::try_start(&["--dir", &dir_s, "--save", ""], None, port);
    let log = match r {
        Ok(_) => panic!("started with a bad checksum"),
        Err(e) => e,
    };
    assert!(log.contains("CRC error"), "{log}");
}

#[test]
fn migrate_moves_keys_to_redis_and_back() {
    if !have_redis() {
        return;
    }
    let redis = start_redis(&[]);
    let f = start_ferrodis(&[]);
    let (mut rc, mut fc) = (redis.client(), f.client());
    populate(&mut fc);
    let want = fc.cmd(&["DEBUG", "DIGEST-VALUE", "h_many"]);
    let rport = redis.port().to_string();
    let fport = f.port().to_string();
    // One key, moved: gone here, present there with the same digest.
    let r = fc.cmd(&["MIGRATE", "127.0.0.1", &rport, "h_many", "0", "5000"]);
    assert_eq!(r, Resp::ok());
    assert_eq!(fc.cmd(&["EXISTS", "h_many"]).int(), 0);
    assert_eq!(rc.cmd(&["DEBUG", "DIGEST-VALUE", "h_many"]), want);
    assert_eq!(
        fc.info_field("stats", "migrate_cached_sockets").as_deref(),
        Some("1")
    );
    // KEYS with COPY into db 3; a missing key is skipped.
    let r = fc.cmd(&[
        "MIGRATE",
        "127.0.0.1",
        &rport,
        "",
        "3",
        "5000",
        "COPY",
        "KEYS",
        "emb",
        "nokey",
        "s_ht",
    ]);
    assert_eq!(r, Resp::ok());
    assert_eq!(fc.cmd(&["EXISTS", "emb", "s_ht"]).int(), 2);
    ok(rc.cmd(&["SELECT", "3"]));
    assert_eq!(rc.cmd(&["GET", "emb"]), Resp::bulk("hello world"));
    // Without REPLACE the target refuses an existing key.
    let r = fc.cmd(&["MIGRATE", "127.0.0.1", &rport, "emb", "3", "5000", "COPY"]);
    assert!(
        err_text(&r).starts_with("ERR Target instance replied with error: BUSYKEY"),
        "{r:?}"
    );
    let r = fc.cmd(&[
        "MIGRATE",
        "127.0.0.1",
        &rport,
        "emb",
        "3",
        "5000",
        "REPLACE",
    ]);
    assert_eq!(r, Resp::ok());
    let r = fc.cmd(&[
        "MIGRATE",
        "127.0.0.1",
        &rport,
        "",
        "0",
        "5000",
        "KEYS",
        "nokey",
    ]);
    assert_eq!(r, Resp::simple("NOKEY"));
    let r = fc.cmd(&[
        "MIGRATE",
        "127.0.0.1",
        &rport,
        "x",
        "0",
        "5000",
        "KEYS",
        "a",
    ]);
    assert!(err_text(&r).contains("empty string"));
    // And back: Redis migrates into ferrodis, TTL kept.
    ok(rc.cmd(&["SET", "back", "v", "EX", "1000"]));
    let r = rc.cmd(&["MIGRATE", "127.0.0.1", &fport, "back", "0", "5000"]);
    assert_eq!(r, Resp::ok());
    let ttl = fc.cmd(&["TTL", "back"]).int();
    assert!(ttl > 990, "{ttl}");
    // A closed port is an IOERR.
    let dead = common::free_port().to_string();
    let r = fc.cmd(&["MIGRATE", "127.0.0.1", &dead, "int8", "0", "500"]);
    assert!(err_text(&r).starts_with("IOERR"), "{r:?}");
}

#[test]
fn bgsave_writes_in_a_child_and_is_reaped() {
    let f = start_ferrodis(&[]);
    let mut c = f.client();
    ok(c.cmd(&["DEBUG", "POPULATE", "1000"]));
    c.cmd(&["SET", "extra", "1"]);
    let digest = c.cmd(&["DEBUG", "DIGEST"]);
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Resp::simple("Background saving started")
    );
    assert!(f.wait_log(
        "Background saving terminated with success",
        Duration::from_secs(20)
    ));
    assert!(common::wait_for(Duration::from_secs(5), || {
        c.info_field("persistence", "rdb_bgsave_in_progress")
            .as_deref()
            == Some("0")
    }));
    assert_eq!(
        c.info_field("persistence", "rdb_changes_since_last_save")
            .as_deref(),
        Some("0")
    );
    assert_eq!(c.info_field("stats", "total_forks").as_deref(), Some("1"));
    ok(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]));
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), digest);
    // A slow save: a second one is refused, FLUSHALL kills it.
    ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100000"]));
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Resp::simple("Background saving started")
    );
    assert_eq!(
        c.info_field("persistence", "rdb_bgsave_in_progress")
            .as_deref(),
        Some("1")
    );
    let busy = Resp::err("ERR Background save already in progress");
    assert_eq!(c.cmd(&["BGSAVE"]), busy);
    assert_eq!(c.cmd(&["SAVE"]), busy);
    assert_eq!(c.cmd(&["BGSAVE", "NOW"]), Resp::err("ERR syntax error"));
    ok(c.cmd(&["FLUSHALL"]));
    assert_eq!(
        c.info_field("persistence", "rdb_bgsave_in_progress")
            .as_deref(),
        Some("0")
    );
    let temps = std::fs::read_dir(f.dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .map(|e| e.file_name().to_string_lossy().starts_with("temp-"))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(temps, 0);
    ok(c.cmd(&["SET", "x", "y"]));
}

/// The pid of a child process of `parent` (the BGSAVE child), via /proc.
fn child_of(parent: u32) -> Option<u32> {
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // "pid (comm) state ppid ...": comm may hold spaces, so split after ')'.
        let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
        if after.split_whitespace().nth(1) == Some(&parent.to_string()) {
            return Some(pid);
        }
    }
    None
}

#[test]
fn a_failed_bgsave_stops_writes_with_misconf() {
    let f = Server::start(&["--save", "3600 1", "--enable-debug-command", "yes"]);
    let mut c = f.client();
    ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "10000000"]));
    ok(c.cmd(&["DEBUG", "POPULATE", "100"]));
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Resp::simple("Background saving started")
    );
    let mut child = None;
    assert!(common::wait_for(Duration::from_secs(5), || {
        child = child_of(f.pid());
        child.is_some()
    }));
    let pid = child.unwrap().to_string();
    Command::new("kill").args(["-9", &pid]).status().unwrap();
    assert!(common::wait_for(Duration::from_secs(5), || {
        c.info_field("persistence", "rdb_last_bgsave_status")
            .as_deref()
            == Some("err")
    }));
    assert!(f.log().contains("Background saving terminated by signal 9"));
    assert_eq!(c.cmd(&["GET", "key:1"]), Resp::bulk("value:1"));
    let e = err_text(&c.cmd(&["SET", "x", "y"]));
    assert!(
        e.starts_with("MISCONF Redis is configured to save RDB snapshots"),
        "{e}"
    );
    ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]));
    ok(c.cmd(&["SAVE"]));
    ok(c.cmd(&["SET", "x", "y"]));
}

#[test]
fn clients_are_served_with_loading_errors_while_the_rdb_loads() {
    let f = start_ferrodis(&[]);
    let mut c = f.client();
    ok(c.cmd(&["DEBUG", "POPULATE", "20000"]));
    ok(c.cmd(&["SAVE"]));
    let dir = copy_rdb(f.dir(), "dump.rdb");
    let dir_s = dir.path().to_string_lossy().into_owned();
    let port = common::free_port();
    let log = dir.path().join("log.txt");
    let mut child = Command::new(common::server_bin())
        .args(["--port", &port.to_string(), "--dir", &dir_s, "--save", ""])
        .args([
            "--logfile",
            &log.to_string_lossy(),
            "--key-load-delay",
            "100",
        ])
        .args(["--loading-process-events-interval-bytes", "1024"])
        .spawn()
        .expect("spawn");
    let mut saw_loading = false;
    for _ in 0..200 {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let mut lc = Client::from_stream(s);
            if lc.info_field("persistence", "loading").as_deref() == Some("1") {
                let total = lc.info_field("persistence", "loading_total_bytes");
                assert!(total.is_some_and(|t| t.parse::<u64>().unwrap_or(0) > 100_000));
                let e = err_text(&lc.cmd(&["GET", "key:1"]));
                assert_eq!(e, "LOADING Redis is loading the dataset in memory");
                saw_loading = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(saw_loading);
    assert!(common::wait_for(Duration::from_secs(30), || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("DB loaded from disk")
    }));
    let mut lc = Client::connect(port);
    assert_eq!(lc.cmd(&["DBSIZE"]).int(), 20000);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_second_sigint_during_the_final_save_exits_and_removes_the_temp_file() {
    let mut f = Server::start(&["--save", "3600 1"]);
    let mut c = f.client();
    for i in 0..20 {
        c.cmd(&["SET", &i.to_string(), "v"]);
    }
    ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100000"]));
    let temp = f.dir().join(format!("temp-{}.rdb", f.pid()));
    f.signal("INT");
    assert!(common::wait_for(Duration::from_secs(10), || temp.exists()));
    f.signal("INT");
    assert!(f.wait_exit(Duration::from_secs(10)).is_some());
    assert!(!temp.exists());
    assert!(f.log().contains("You insist... exiting now."));
}

/// Socket inodes among a process' open files (/proc/PID/fd -> socket:[N]).
fn socket_inodes(pid: u32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|t| {
            let t = t.to_string_lossy().into_owned();
            t.strip_prefix("socket:[")
                .and_then(|r| r.strip_suffix(']'))
                .map(str::to_string)
        })
        .collect()
}

/// The inode of the TCP socket listening on `port` (/proc/net/tcp{,6}).
fn listening_inode(port: u16) -> Option<String> {
    let hex = format!(":{port:04X}");
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address, state 0A = LISTEN, inode is the 10th field.
            if f.len() > 9 && f[1].ends_with(&hex) && f[3] == "0A" {
                return Some(f[9].to_string());
            }
        }
    }
    None
}

#[test]
fn the_bgsave_child_does_not_hold_the_listening_socket() {
    let f = start_ferrodis(&[]);
    let mut c = f.client();
    ok(c.cmd(&["DEBUG", "POPULATE", "100"]));
    ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100000"]));
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Resp::simple("Background saving started")
    );
    let listen = listening_inode(f.port()).expect("listening socket in /proc/net/tcp");
    assert!(socket_inodes(f.pid()).contains(&listen));
    let mut child = None;
    assert!(common::wait_for(Duration::from_secs(5), || {
        child = child_of(f.pid());
        child.is_some()
    }));
    let child = child.unwrap_or_default();
    // The child closes it right after fork: give it a moment to get there.
    assert!(common::wait_for(Duration::from_secs(5), || {
        !socket_inodes(child).contains(&listen)
    }));
    ok(c.cmd(&["FLUSHALL"]));
}

/// INFO dump_payload_sanitizations counts the encoded blobs RESTORE
/// validated deeply: under `sanitize-dump-payload yes` (and `clients` for
/// a client's RESTORE), one per listpack/intset/quicklist node, none
/// under `no`; CONFIG RESETSTAT zeroes it.
#[test]
fn restore_counts_deep_sanitizations() {
    let s = start_ferrodis(&[]);
    let mut c = s.client();
    let count = |c: &mut Client| -> String {
        let text = c.cmd(&["INFO", "stats"]).text();
        text.lines()
            .find_map(|l| l.strip_prefix("dump_payload_sanitizations:"))
            .unwrap_or("")
            .trim()
            .to_string()
    };
    c.cmd(&["HSET", "h", "a", "1", "b", "2"]);
    c.cmd(&["SADD", "s", "1", "2", "3"]);
    c.cmd(&["RPUSH", "l", "x", "y"]);
    let dumps: Vec<Vec<u8>> = ["h", "s", "l"]
        .iter()
        .map(|k| match c.cmd(&["DUMP", k]) {
            Resp::Bulk(Some(b)) => b,
            other => panic!("DUMP {k}: {other:?}"),
        })
        .collect();
    let restore_all = |c: &mut Client| {
        for (k, d) in ["h", "s", "l"].iter().zip(&dumps) {
            let r = c.cmd_bytes(&[b"RESTORE", k.as_bytes(), b"0", d, b"REPLACE"]);
            assert_eq!(r, Resp::ok());
        }
    };
    ok(c.cmd(&["CONFIG", "SET", "sanitize-dump-payload", "no"]));
    restore_all(&mut c);
    assert_eq!(count(&mut c), "0");
    ok(c.cmd(&["CONFIG", "SET", "sanitize-dump-payload", "yes"]));
    restore_all(&mut c);
    assert_eq!(count(&mut c), "3");
    ok(c.cmd(&["CONFIG", "SET", "sanitize-dump-payload", "clients"]));
    restore_all(&mut c);
    assert_eq!(count(&mut c), "6");
    ok(c.cmd(&["CONFIG", "RESETSTAT"]));
    assert_eq!(count(&mut c), "0");
}

/// A BGSAVE is the image of the moment it forked: writes made while the
/// child works (overwrites, deletes, new keys, enough to grow the tables)
/// are not in the file.
#[test]
fn a_bgsave_is_the_point_in_time_image() {
    let f = start_ferrodis(&[]);
    let mut c = f.client();
    ok(c.cmd(&["DEBUG", "POPULATE", "2000"]));
    c.cmd(&["RPUSH", "list", "a", "b", "c"]);
    c.cmd(&["HSET", "hash", "f", "v"]);
    let before = c.cmd(&["DEBUG", "DIGEST"]);
    // 1 ms per key: about two seconds of saving.
    ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]));
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Resp::simple("Background saving started")
    );
    for i in 0..500 {
        ok(c.cmd(&["SET", &format!("key:{i}"), "changed"]));
        c.cmd(&["DEL", &format!("key:{}", 1000 + i)]);
        ok(c.cmd(&["SET", &format!("new:{i}"), &"x".repeat(100)]));
    }
    c.cmd(&["RPUSH", "list", "d"]);
    c.cmd(&["HSET", "hash", "f", "w"]);
    assert_ne!(c.cmd(&["DEBUG", "DIGEST"]), before);
    assert!(f.wait_log(
        "Background saving terminated with success",
        Duration::from_secs(30)
    ));
    ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]));
    ok(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]));
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), before);
    assert_eq!(c.cmd(&["DBSIZE"]).int(), 2002);
}
