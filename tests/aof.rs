//! The append-only file: what commands propagate as (read back from the
//! incr file), restarts from the AOF, BGREWRITEAOF and the manifest,
//! CONFIG SET appendonly, truncated and broken files, interop with Debian's
//! redis-server 7.0.15 and redis-check-aof in both directions, and crash
//! tests (SIGKILL under `appendfsync always`: every acknowledged write
//! survives; under `everysec`: at most about a second is lost), rewrite
//! progress in INFO.

mod common;

use common::{free_port, wait_for, Client, Resp, Server, TempDir};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const REDIS: &str = "/usr/bin/redis-server";
const CHECK_AOF: &str = "/usr/bin/redis-check-aof";

fn have_redis() -> bool {
    let ok = Path::new(REDIS).exists() && Path::new(CHECK_AOF).exists();
    if !ok {
        eprintln!("note: redis-server or redis-check-aof missing, skipping");
    }
    ok
}

fn ok(r: Resp) {
    assert_eq!(r, Resp::ok(), "expected OK");
}

fn args<'a>(dir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "--save",
        "",
        "--enable-debug-command",
        "yes",
        "--appendonly",
        "yes",
        "--dir",
        dir,
    ];
    v.extend_from_slice(extra);
    v
}

/// The commands of a RESP command stream (annotations skipped).
fn parse_commands(buf: &[u8]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut pos = 0;
    let line = |pos: &mut usize| -> Option<String> {
        let rest = buf.get(*pos..)?;
        let n = rest.windows(2).position(|w| w == b"\r\n")?;
        *pos += n + 2;
        Some(String::from_utf8_lossy(&rest[..n]).into_owned())
    };
    while pos < buf.len() {
        let Some(h) = line(&mut pos) else { break };
        if h.starts_with('#') {
            continue;
        }
        let argc: usize = h[1..].parse().expect("argc");
        let mut cmd = Vec::new();
        for _ in 0..argc {
            let l = line(&mut pos).expect("bulk header");
            let len: usize = l[1..].parse().expect("len");
            cmd.push(String::from_utf8_lossy(&buf[pos..pos + len]).into_owned());
            pos += len + 2;
        }
        out.push(cmd);
    }
    out
}

fn incr_commands(dir: &Path, seq: u32) -> Vec<Vec<String>> {
    let p = dir.join(format!("appendonlydir/appendonly.aof.{seq}.incr.aof"));
    parse_commands(&std::fs::read(&p).unwrap_or_default())
}

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap_or_default()
}

/// SHUTDOWN NOSAVE: a successful shutdown answers by closing the connection.
fn shutdown(c: &mut Client) {
    c.send(&["SHUTDOWN", "NOSAVE"]);
    assert!(
        c.closed_within(Duration::from_secs(10)),
        "server did not exit"
    );
}

fn digest(c: &mut Client) -> String {
    c.cmd(&["DEBUG", "DIGEST"]).text()
}

fn upper(cmd: &[String]) -> Vec<String> {
    let mut v = cmd.to_vec();
    v[0] = v[0].to_uppercase();
    v
}

#[test]
fn commands_propagate_as_their_deterministic_effect() {
    let data = TempDir::new("aofprop");
    let d = data.path().to_string_lossy().into_owned();
    let srv = Server::start(&args(&d, &["--appendfsync", "always"]));
    let mut c = srv.client();
    ok(c.cmd(&["SET", "s", "v", "EX", "100"]));
    ok(c.cmd(&["SETEX", "s2", "100", "v"]));
    c.cmd(&["SET", "n", "1.5"]);
    c.cmd(&["INCRBYFLOAT", "n", "1"]);
    c.cmd(&["HINCRBYFLOAT", "h", "f", "2.5"]);
    c.cmd(&["EXPIRE", "n", "1000"]);
    c.cmd(&["EXPIRE", "n", "-1"]);
    c.cmd(&["SADD", "set", "only"]);
    c.cmd(&["SPOP", "set"]);
    c.cmd(&["RPUSH", "l", "a", "b", "c"]);
    c.cmd(&["LMPOP", "1", "l", "LEFT", "COUNT", "10"]);
    c.cmd(&["GET", "missing"]);
    c.cmd(&["SET", "g", "x"]);
    c.cmd(&["GETDEL", "g"]);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    c.cmd(&["ZMPOP", "1", "z", "MAX", "COUNT", "5"]);
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["SET", "k2", "v"]);
    c.cmd(&["SET", "k2", "w", "GET"]);
    let cmds = incr_commands(data.path(), 1);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let names: Vec<String> = cmds.iter().map(|c| c[0].to_uppercase()).collect();
    assert_eq!(
        names,
        [
            "SELECT",
            "SET",
            "SET",
            "SET",
            "SET",
            "HSET",
            "PEXPIREAT",
            "DEL",
            "SADD",
            "SREM",
            "RPUSH",
            "LPOP",
            "SET",
            "DEL",
            "ZADD",
            "ZPOPMAX",
            "SELECT",
            "SET",
            "SET"
        ],
        "{cmds:?}"
    );
    // SET EX → SET ... PXAT <abs ms>
    assert_eq!(cmds[1][3], "PXAT");
    let at: i64 = cmds[1][4].parse().unwrap();
    assert!((at - (now + 100_000)).abs() < 10_000, "{at} vs {now}");
    assert_eq!(cmds[2][3], "PXAT");
    assert_eq!(upper(&cmds[4]), ["SET", "n", "2.5", "KEEPTTL"]);
    assert_eq!(cmds[5], ["HSET", "h", "f", "2.5"]);
    assert_eq!(cmds[9], ["SREM", "set", "only"]);
    assert_eq!(cmds[11], ["LPOP", "l", "3"]);
    assert_eq!(cmds[15], ["ZPOPMAX", "z", "2"]);
    assert_eq!(cmds[16], ["SELECT", "2"]);
    assert_eq!(upper(&cmds[18]), ["SET", "k2", "w"]);
}

#[test]
fn blocked_pops_are_logged_as_plain_pops() {
    let data = TempDir::new("aofblk");
    let d = data.path().to_string_lossy().into_owned();
    let srv = Server::start(&args(&d, &["--appendfsync", "always"]));
    let mut waiter = srv.client();
    let mut c = srv.client();
    waiter.send(&["BLPOP", "q", "0"]);
    assert!(wait_for(Duration::from_secs(5), || {
        c.cmd(&["INFO", "clients"])
            .text()
            .contains("blocked_clients:1")
    }));
    c.cmd(&["RPUSH", "q", "x", "y"]);
    assert_eq!(waiter.read_reply(), Resp::bulks(&["q", "x"]));
    waiter.send(&["BRPOPLPUSH", "q2", "dst", "0"]);
    assert!(wait_for(Duration::from_secs(5), || {
        c.cmd(&["INFO", "clients"])
            .text()
            .contains("blocked_clients:1")
    }));
    c.cmd(&["LPUSH", "q2", "e"]);
    assert_eq!(waiter.read_reply(), Resp::bulk("e"));
    // Served at once (not blocked): rewritten in place.
    c.cmd(&["RPUSH", "z0", "a"]);
    c.cmd(&["BRPOP", "z0", "1"]);
    let cmds = incr_commands(data.path(), 1);
    let tail: Vec<Vec<String>> = cmds.into_iter().skip(1).collect();
    assert_eq!(
        tail,
        vec![
            vec!["RPUSH", "q", "x", "y"],
            vec!["LPOP", "q"],
            vec!["LPUSH", "q2", "e"],
            vec!["RPOPLPUSH", "q2", "dst"],
            vec!["RPUSH", "z0", "a"],
            vec!["RPOP", "z0"],
        ]
        .into_iter()
        .map(|v| v.into_iter().map(String::from).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );
}

#[test]
fn lazy_expiry_is_logged_as_del_before_the_command() {
    let data = TempDir::new("aofexp");
    let d = data.path().to_string_lossy().into_owned();
    let srv = Server::start(&args(&d, &["--appendfsync", "always"]));
    let mut c = srv.client();
    ok(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]));
    c.cmd(&["SET", "k", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(20));
    // A write that finds the key expired: MULTI, DEL, the write, EXEC.
    c.cmd(&["APPEND", "k", "x"]);
    let cmds = incr_commands(data.path(), 1);
    let names: Vec<&str> = cmds.iter().map(|c| c[0].as_str()).collect();
    assert_eq!(
        names,
        ["SELECT", "SET", "MULTI", "DEL", "APPEND", "EXEC"],
        "{cmds:?}"
    );
}

#[test]
fn restart_loads_the_aof_and_it_takes_precedence_over_the_rdb() {
    let data = TempDir::new("aofrestart");
    let d = data.path().to_string_lossy().into_owned();
    let before;
    {
        let srv = Server::start(&args(&d, &[]));
        let mut c = srv.client();
        c.cmd(&["RPUSH", "l", "1", "2", "3"]);
        c.cmd(&["HSET", "h", "a", "b"]);
        c.cmd(&["SET", "t", "v", "EX", "1000"]);
        c.cmd(&["SELECT", "5"]);
        c.cmd(&["SADD", "s", "x", "y"]);
        before = digest(&mut c);
        // An RDB with different content must be ignored.
        c.cmd(&["SELECT", "0"]);
        c.cmd(&["SET", "only-in-rdb", "1"]);
        ok(c.cmd(&["SAVE"]));
        c.cmd(&["DEL", "only-in-rdb"]);
        shutdown(&mut c);
    }
    let srv = Server::start(&args(&d, &[]));
    let mut c = srv.client();
    assert_eq!(digest(&mut c), before);
    assert!(c.cmd(&["TTL", "t"]).int() > 900);
    assert!(srv.log().contains("DB loaded from append only file"));
}

#[test]
fn bgrewriteaof_makes_a_new_base_and_drops_history() {
    for preamble in ["yes", "no"] {
        let data = TempDir::new("aofrw");
        let d = data.path().to_string_lossy().into_owned();
        let srv = Server::start(&args(&d, &["--aof-use-rdb-preamble", preamble]));
        let mut c = srv.client();
        for i in 0..200 {
            c.cmd(&["RPUSH", "l", &i.to_string()]);
            c.cmd(&["ZADD", "z", &format!("{i}.5"), &format!("m{i}")]);
        }
        c.cmd(&["SET", "e", "v", "PX", "100000000"]);
        let before = digest(&mut c);
        assert_eq!(
            c.cmd(&["BGREWRITEAOF"]),
            Resp::simple("Background append only file rewriting started")
        );
        assert!(wait_for(Duration::from_secs(20), || {
            c.cmd(&["INFO", "persistence"])
                .text()
                .contains("aof_rewrite_in_progress:0")
                && manifest(data.path()).contains(".2.base")
        }));
        let ext = if preamble == "yes" { "rdb" } else { "aof" };
        assert_eq!(
            manifest(data.path()),
            format!(
                "file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
            )
        );
        assert!(wait_for(Duration::from_secs(5), || !data
            .path()
            .join("appendonlydir/appendonly.aof.1.incr.aof")
            .exists()));
        c.cmd(&["SET", "after", "1"]);
        ok(c.cmd(&["DEBUG", "LOADAOF"]));
        c.cmd(&["DEL", "after"]);
        assert_eq!(digest(&mut c), before);
        let info = c.cmd(&["INFO", "persistence"]).text();
        assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
        assert!(info.contains("aof_rewrites:1"), "{info}");
        assert!(srv.log().contains("Fork CoW for AOF rewrite"));
    }
}

fn info_of(c: &mut Client, field: &str) -> String {
    let text = c.cmd(&["INFO", "persistence"]).text();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// A running rewrite reports its progress like a BGSAVE: keys written of
/// the total, the fork's COW, a percentage; all back to zero afterwards.
#[test]
fn a_running_rewrite_reports_its_progress() {
    for preamble in ["yes", "no"] {
        let data = TempDir::new("aofrw-progress");
        let d = data.path().to_string_lossy().into_owned();
        let srv = Server::start(&args(&d, &["--aof-use-rdb-preamble", preamble]));
        let mut c = srv.client();
        ok(c.cmd(&["DEBUG", "POPULATE", "3000"]));
        // 1 ms per key: about three seconds, with a report each second.
        ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]));
        c.cmd(&["BGREWRITEAOF"]);
        assert!(wait_for(Duration::from_secs(10), || {
            info_of(&mut c, "current_save_keys_processed") != "0"
        }));
        assert_eq!(info_of(&mut c, "aof_rewrite_in_progress"), "1");
        assert_eq!(info_of(&mut c, "current_save_keys_total"), "3000");
        let perc: f64 = info_of(&mut c, "current_fork_perc").parse().unwrap();
        assert!(perc > 0.0 && perc < 100.0, "{perc}");
        ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]));
        assert!(wait_for(Duration::from_secs(20), || {
            info_of(&mut c, "aof_rewrite_in_progress") == "0"
        }));
        assert_eq!(info_of(&mut c, "current_save_keys_total"), "0");
        assert_eq!(info_of(&mut c, "current_save_keys_processed"), "0");
        assert_eq!(info_of(&mut c, "aof_last_bgrewrite_status"), "ok");
    }
}

#[test]
fn config_set_appendonly_creates_the_base_from_the_dataset() {
    let data = TempDir::new("aofcfg");
    let d = data.path().to_string_lossy().into_owned();
    let srv = Server::start(&["--save", "", "--enable-debug-command", "yes", "--dir", &d]);
    let mut c = srv.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["HSET", "h", "f", "v"]);
    ok(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]));
    assert!(wait_for(Duration::from_secs(20), || {
        let i = c.cmd(&["INFO", "persistence"]).text();
        i.contains("aof_rewrite_in_progress:0") && i.contains("aof_rewrite_scheduled:0")
    }));
    c.cmd(&["SET", "b", "2"]);
    let before = digest(&mut c);
    assert!(manifest(data.path()).contains("appendonly.aof.1.base.rdb seq 1 type b"));
    ok(c.cmd(&["DEBUG", "LOADAOF"]));
    assert_eq!(digest(&mut c), before);
    ok(c.cmd(&["CONFIG", "SET", "appendonly", "no"]));
    let i = c.cmd(&["INFO", "persistence"]).text();
    assert!(i.contains("aof_enabled:0"));
}

#[test]
fn a_truncated_tail_loads_only_with_aof_load_truncated() {
    let data = TempDir::new("aoftrunc");
    let d = data.path().to_string_lossy().into_owned();
    {
        let srv = Server::start(&args(&d, &[]));
        let mut c = srv.client();
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["SET", "b", "2"]);
        shutdown(&mut c);
    }
    let incr = data.path().join("appendonlydir/appendonly.aof.1.incr.aof");
    let mut bytes = std::fs::read(&incr).unwrap();
    bytes.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1");
    std::fs::write(&incr, &bytes).unwrap();
    let no = Server::try_start(
        &args(&d, &["--aof-load-truncated", "no"]),
        None,
        free_port(),
    );
    let e = no.err().expect("must refuse a truncated AOF");
    assert!(
        e.contains("Unexpected end of file reading the append only file"),
        "{e}"
    );
    let srv = Server::start(&args(&d, &["--aof-load-truncated", "yes"]));
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["MGET", "a", "b", "c"]),
        Resp::arr(vec![Resp::bulk("1"), Resp::bulk("2"), Resp::nil()])
    );
    assert!(srv.log().contains(
        "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"
    ));
}

#[test]
fn bad_manifests_and_files_stop_the_server_with_redis_log_lines() {
    let cases: [(&str, &str, &[u8]); 4] = [
        (
            "file appendonly.aof.1.incr.aof seq 1 type i\n\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
            "Invalid AOF manifest file format",
            b"",
        ),
        (
            "file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
            "Found a non-monotonic sequence number",
            b"",
        ),
        (
            "file appendonly.aof.1.incr.aof seq 1 type i\n",
            "Bad file format reading the append only file appendonly.aof.1.incr.aof",
            b"garbage\r\n",
        ),
        (
            "file appendonly.aof.1.incr.aof seq 1 type i\n",
            "Unknown command 'NOSUCH' reading the append only file",
            b"*1\r\n$6\r\nNOSUCH\r\n",
        ),
    ];
    for (m, needle, content) in cases {
        let data = TempDir::new("aofbad");
        let dir = data.path().join("appendonlydir");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("appendonly.aof.manifest"), m).unwrap();
        let body: &[u8] = if content.is_empty() {
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
        } else {
            content
        };
        std::fs::write(dir.join("appendonly.aof.1.incr.aof"), body).unwrap();
        std::fs::write(dir.join("appendonly.aof.2.incr.aof"), body).unwrap();
        let d = data.path().to_string_lossy().into_owned();
        let e = Server::try_start(&args(&d, &[]), None, free_port())
            .err()
            .expect("must refuse");
        assert!(e.contains(needle), "{needle}: {e}");
    }
}

// ---------------------------------------------------------------------------
// Interop with the real redis-server 7.0.15 and redis-check-aof
// ---------------------------------------------------------------------------

fn populate(c: &mut Client) {
    for db in ["0", "7"] {
        ok(c.cmd(&["SELECT", db]));
        c.cmd(&["SET", "int", "12345"]);
        c.cmd(&["SET", "str", "hello"]);
        c.cmd(&["SET", "big", &"x".repeat(500)]);
        c.cmd(&["SET", "ttl", "v", "EX", "100000"]);
        c.cmd(&["RPUSH", "l", "a", "1", "-2"]);
        for i in 0..300 {
            c.cmd(&["RPUSH", "lbig", &format!("e{i}")]);
            c.cmd(&["SADD", "sbig", &format!("m{i}")]);
            c.cmd(&["HSET", "hbig", &format!("f{i}"), &i.to_string()]);
            c.cmd(&["ZADD", "zbig", &i.to_string(), &format!("m{i}")]);
        }
        c.cmd(&["SADD", "si", "1", "2", "3"]);
        c.cmd(&["HSET", "h", "a", "1"]);
        c.cmd(&["ZADD", "z", "1.5", "a", "-inf", "b"]);
        c.cmd(&["INCRBYFLOAT", "f", "1.25"]);
        c.cmd(&["SPOP", "sbig", "7"]);
        c.cmd(&["EXPIRE", "h", "50000"]);
    }
    ok(c.cmd(&["SELECT", "0"]));
}

fn check_aof(dir: &Path) {
    let out = Command::new(CHECK_AOF)
        .arg(dir.join("appendonlydir/appendonly.aof.manifest"))
        .output()
        .expect("run redis-check-aof");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("is valid"), "{text}");
}

/// Copy the AOF dir of `from` into a fresh data dir.
fn copy_aof(from: &Path) -> TempDir {
    let to = TempDir::new("aofcopy");
    let dst = to.path().join("appendonlydir");
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(from.join("appendonlydir")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    to
}

#[test]
fn an_aof_written_by_ferrodis_loads_into_redis_and_back() {
    if !have_redis() {
        return;
    }
    for preamble in ["yes", "no"] {
        let data = TempDir::new("aofinterop");
        let d = data.path().to_string_lossy().into_owned();
        let extra = [
            "--aof-use-rdb-preamble",
            preamble,
            "--aof-timestamp-enabled",
            "yes",
        ];
        let ours = Server::start(&args(&d, &extra));
        let mut c = ours.client();
        populate(&mut c);
        // Part in the base, part in the incr file.
        c.cmd(&["BGREWRITEAOF"]);
        assert!(wait_for(Duration::from_secs(20), || manifest(data.path())
            .contains(".2.base")));
        c.cmd(&["SET", "after", "rewrite"]);
        c.cmd(&["LPOP", "lbig"]);
        let want = digest(&mut c);
        shutdown(&mut c);
        check_aof(data.path());

        let copy = copy_aof(data.path());
        let cd = copy.path().to_string_lossy().into_owned();
        let redis = Server::start_bin(Path::new(REDIS), &args(&cd, &extra));
        let mut r = redis.client();
        assert_eq!(digest(&mut r), want, "redis loaded a different dataset");
        // Redis appends and rewrites; ferrodis must load that back.
        r.cmd(&["SET", "from-redis", "1"]);
        r.cmd(&["HINCRBYFLOAT", "h", "a", "0.5"]);
        r.cmd(&["BGREWRITEAOF"]);
        assert!(wait_for(Duration::from_secs(20), || manifest(copy.path())
            .contains(".3.base")));
        r.cmd(&["SADD", "post", "x"]);
        let want2 = digest(&mut r);
        shutdown(&mut r);
        let back = copy_aof(copy.path());
        let bd = back.path().to_string_lossy().into_owned();
        let ours2 = Server::start(&args(&bd, &extra));
        let mut c2 = ours2.client();
        assert_eq!(
            digest(&mut c2),
            want2,
            "ferrodis loaded a different dataset"
        );
    }
}

// ---------------------------------------------------------------------------
// Crash safety
// ---------------------------------------------------------------------------

#[test]
fn sigkill_under_appendfsync_always_loses_no_acknowledged_write() {
    let data = TempDir::new("aofcrash");
    let d = data.path().to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(12);
    let mut acked_total = 0u64;
    let mut round = 0u64;
    while Instant::now() < deadline && round < 4 {
        let srv = Server::start(&args(&d, &["--appendfsync", "always"]));
        let port = srv.port();
        // Every acknowledged INCR of this round, counted by the writer.
        let writer = std::thread::spawn(move || {
            let mut c = Client::connect(port);
            c.timeout = Duration::from_secs(3);
            let mut acked = 0u64;
            let key = format!("counter{round}");
            loop {
                if c.try_send_raw(&common::encode_strs(&["INCR", &key]))
                    .is_err()
                {
                    break;
                }
                match c.try_read_reply() {
                    Ok(Resp::Int(n)) => {
                        acked = n as u64;
                        let _ = c.try_send_raw(&common::encode_strs(&[
                            "SET",
                            &format!("k{round}:{n}"),
                            "v",
                        ]));
                        if !matches!(c.try_read_reply(), Ok(Resp::Simple(_))) {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            acked
        });
        // Kill at a pseudo-random moment 100..600 ms in.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as u64;
        std::thread::sleep(Duration::from_millis(100 + nanos % 500));
        srv.signal("KILL");
        let acked = writer.join().unwrap();
        drop(srv);
        let srv = Server::start(&args(&d, &["--appendfsync", "always"]));
        let mut c = srv.client();
        let got = match c.cmd(&["GET", &format!("counter{round}")]) {
            Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).parse::<u64>().unwrap(),
            _ => 0,
        };
        assert!(got >= acked, "round {round}: acked {acked}, found {got}");
        for n in 1..acked {
            // The SET acknowledged before the next INCR was sent.
            assert_eq!(
                c.cmd(&["EXISTS", &format!("k{round}:{n}")]).int(),
                1,
                "round {round}: k{round}:{n} lost"
            );
        }
        acked_total += acked;
        shutdown(&mut c);
        round += 1;
    }
    assert!(acked_total > 0, "no write was acknowledged at all");
}

/// `appendfsync everysec` under SIGKILL: at most about a second of
/// acknowledged writes may be lost (the fsync runs off the loop once a
/// second; the write itself happens before the reply, so a process kill
/// usually loses nothing at all).
#[test]
fn everysec_loses_at_most_about_a_second_on_sigkill() {
    let data = TempDir::new("aofeverysec");
    let d = data.path().to_string_lossy().into_owned();
    let srv = Server::start(&args(&d, &["--appendfsync", "everysec"]));
    let port = srv.port();
    // (value, when acknowledged) of every INCR the writer saw answered.
    let writer = std::thread::spawn(move || {
        let mut c = Client::connect(port);
        c.timeout = Duration::from_secs(3);
        let mut acks: Vec<(u64, Instant)> = Vec::new();
        loop {
            if c.try_send_raw(&common::encode_strs(&["INCR", "counter"]))
                .is_err()
            {
                break;
            }
            match c.try_read_reply() {
                Ok(Resp::Int(n)) => acks.push((n as u64, Instant::now())),
                _ => break,
            }
        }
        acks
    });
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    std::thread::sleep(Duration::from_millis(1500 + nanos % 1000));
    let killed_at = Instant::now();
    srv.signal("KILL");
    let acks = writer.join().unwrap();
    drop(srv);
    let must_have = acks
        .iter()
        .filter(|(_, t)| *t + Duration::from_millis(1100) <= killed_at)
        .map(|(n, _)| *n)
        .max()
        .unwrap_or(0);
    assert!(must_have > 0, "the load acknowledged nothing in time");
    let srv = Server::start(&args(&d, &["--appendfsync", "everysec"]));
    let mut c = srv.client();
    let got = match c.cmd(&["GET", "counter"]) {
        Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).parse::<u64>().unwrap(),
        _ => 0,
    };
    let last = acks.last().map_or(0, |a| a.0);
    assert!(
        got >= must_have,
        "lost more than a second: acked {last}, {must_have} over a second before the kill, found {got}"
    );
    shutdown(&mut c);
}

#[test]
fn auto_rewrite_triggers_on_growth_and_children_take_turns() {
    let data = TempDir::new("aofauto");
    let d = data.path().to_string_lossy().into_owned();
    let srv = Server::start(&args(
        &d,
        &[
            "--auto-aof-rewrite-percentage",
            "100",
            "--auto-aof-rewrite-min-size",
            "10000",
        ],
    ));
    let mut c = srv.client();
    let v = "x".repeat(100);
    for i in 0..300 {
        c.cmd(&["SET", &format!("k{i}"), &v]);
    }
    assert!(
        wait_for(Duration::from_secs(20), || {
            let i = c.cmd(&["INFO", "persistence"]).text();
            i.contains("aof_rewrites:1") && i.contains("aof_rewrite_in_progress:0")
        }),
        "{}",
        srv.log()
    );
    assert!(srv.log().contains("Starting automatic rewriting of AOF on"));
    // A rewrite asked for during a BGSAVE waits for it; a BGSAVE asked for
    // during a rewrite is refused unless scheduled.
    ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "3000"]));
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Resp::simple("Background saving started")
    );
    assert_eq!(
        c.cmd(&["BGREWRITEAOF"]),
        Resp::simple("Background append only file rewriting scheduled")
    );
    ok(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]));
    assert!(wait_for(Duration::from_secs(30), || {
        c.cmd(&["INFO", "persistence"])
            .text()
            .contains("aof_rewrites:2")
    }));
    assert!(wait_for(Duration::from_secs(30), || {
        let i = c.cmd(&["INFO", "persistence"]).text();
        i.contains("aof_rewrite_in_progress:0") && i.contains("rdb_bgsave_in_progress:0")
    }));
    let base = manifest(data.path());
    assert!(
        base.contains("appendonly.aof.3.base.rdb seq 3 type b"),
        "{base}"
    );
}
