//! `ferrodis-check-rdb` and `ferrodis-check-aof` against Redis' own
//! `redis-check-rdb` / `redis-check-aof` 7.0.15 on the same files: RDB
//! files saved by the real redis-server and by ferrodis get the same report
//! from both checkers (offsets, aux fields, key counts), damaged files fail
//! in both with status 1, and an AOF from ferrodis with a cut tail is
//! repaired by `ferrodis-check-aof --fix` to the real tool's satisfaction.
//! `ferrodis-server` started through a `*-check-rdb` name is the checker.
//! Without the Debian tools installed the tests print a note and pass.

mod common;

use common::{Client, Server, TempDir};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const REDIS: &str = "/usr/bin/redis-server";
const REDIS_CHECK_RDB: &str = "/usr/bin/redis-check-rdb";
const REDIS_CHECK_AOF: &str = "/usr/bin/redis-check-aof";
const CHECK_RDB: &str = env!("CARGO_BIN_EXE_ferrodis-check-rdb");
const CHECK_AOF: &str = env!("CARGO_BIN_EXE_ferrodis-check-aof");

fn have_redis() -> bool {
    let ok = [REDIS, REDIS_CHECK_RDB, REDIS_CHECK_AOF]
        .iter()
        .all(|p| Path::new(p).exists());
    if !ok {
        eprintln!("note: redis-server or its check tools are missing, skipping");
    }
    ok
}

/// Runs `bin args...` in `cwd` with `stdin`; (exit status, stdout).
fn run_in(cwd: &Path, bin: &str, args: &[&str], stdin: &[u8]) -> (i32, String) {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {bin}: {e}"));
    if let Some(mut pipe) = child.stdin.take() {
        let _ = pipe.write_all(stdin);
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Redis' log lines carry a pid and a time: compare them without.
fn without_log_prefix(text: &str) -> String {
    let strip = |l: &str| -> Option<String> {
        let (pid, rest) = l.split_once(':')?;
        let hash = rest.find(" # ")?;
        (pid.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with("C "))
            .then(|| format!("LOG{}", &rest[hash..]))
    };
    text.split('\n')
        .map(|l| strip(l).unwrap_or_else(|| l.to_string()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Both RDB checkers on `file` (run from its directory, by name, so the
/// reports name it alike); their (status, report) pairs.
fn both_rdb(file: &Path) -> ((i32, String), (i32, String)) {
    let dir = file.parent().expect("dir");
    let name = file.file_name().and_then(|n| n.to_str()).expect("name");
    let theirs = run_in(dir, REDIS_CHECK_RDB, &[name], b"");
    let ours = run_in(dir, CHECK_RDB, &[name], b"");
    (
        (theirs.0, without_log_prefix(&theirs.1)),
        (ours.0, without_log_prefix(&ours.1)),
    )
}

fn counts(report: &str) -> Vec<String> {
    report
        .lines()
        .filter(|l| l.starts_with("[info] "))
        .map(str::to_string)
        .collect()
}

/// Every type and encoding both servers have (no streams yet), with
/// expires, and one key already expired (active expiry off, so SAVE
/// writes it).
fn populate(c: &mut Client) {
    let long = "x".repeat(300);
    c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    for db in ["0", "9"] {
        c.cmd(&["SELECT", db]);
        for (k, v) in [
            ("int", "-7"),
            ("big", "9223372036854775807"),
            ("emb", "hello"),
        ] {
            c.cmd(&["SET", k, v]);
        }
        c.cmd(&["SET", "raw", &long]);
        c.cmd(&["SET", "comp", &"ab".repeat(100)]);
        c.cmd(&["SET", "ttl", "v", "PX", "100000000"]);
        c.cmd(&["SET", "dead", "v", "PX", "1"]);
        c.cmd(&["HSET", "h_lp", "a", "1", "b", "two"]);
        c.cmd(&["HSET", "h_ht", "f", &long]);
        c.cmd(&["SADD", "s_int", "1", "2", "-300"]);
        c.cmd(&["SADD", "s_ht", "a", "b"]);
        c.cmd(&["ZADD", "z_lp", "1", "a", "-inf", "b"]);
        c.cmd(&["ZADD", "z_sl", "1", &long]);
        c.cmd(&["RPUSH", "l", "a", "1"]);
        for i in 0..300 {
            let (m, n) = (format!("m{i}"), i.to_string());
            c.cmd(&["RPUSH", "l_many", &m]);
            c.cmd(&["HSET", "h_many", &m, &n]);
            c.cmd(&["SADD", "s_many", &n]);
            c.cmd(&["ZADD", "z_many", &n, &m]);
        }
        c.cmd(&["EXPIRE", "h_lp", "100000"]);
    }
    c.cmd(&["SELECT", "0"]);
    std::thread::sleep(Duration::from_millis(20));
}

fn saved_rdb(bin: Option<&Path>, to: &TempDir, name: &str) -> PathBuf {
    let args = ["--save", "", "--enable-debug-command", "yes"];
    let srv = match bin {
        Some(b) => Server::start_bin(b, &args),
        None => Server::start(&args),
    };
    let mut c = srv.client();
    populate(&mut c);
    assert_eq!(c.cmd(&["SAVE"]).text(), "OK");
    let path = to.path().join(name);
    std::fs::copy(srv.dir().join("dump.rdb"), &path).expect("copy dump.rdb");
    path
}

#[test]
fn rdb_files_of_both_servers_get_the_same_report_from_both_checkers() {
    if !have_redis() {
        return;
    }
    let dir = TempDir::new("checkrdb");
    for (bin, name) in [
        (Some(Path::new(REDIS)), "redis.rdb"),
        (None, "ferrodis.rdb"),
    ] {
        let file = saved_rdb(bin, &dir, name);
        let (theirs, ours) = both_rdb(&file);
        assert_eq!(theirs.0, 0, "{}", theirs.1);
        assert_eq!(ours.0, 0, "{}", ours.1);
        assert!(ours.1.contains("\\o/ RDB looks OK! \\o/"), "{}", ours.1);
        let c = counts(&ours.1);
        assert_eq!(c, counts(&theirs.1));
        assert_eq!(c[0], "[info] 36 keys read", "{}", ours.1);
        assert_eq!(c[2], "[info] 2 already expired", "{}", ours.1);
        // Same offsets, aux fields and lines throughout.
        assert_eq!(ours.1, theirs.1);
    }
}

#[test]
fn ferrodis_server_started_as_check_rdb_is_the_checker() {
    let dir = TempDir::new("checkrdblink");
    saved_rdb(None, &dir, "dump.rdb");
    let link = dir.path().join("my-check-rdb");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ferrodis-server"), &link).expect("symlink");
    let via_server = run_in(dir.path(), link.to_str().unwrap(), &["dump.rdb"], b"");
    let direct = run_in(dir.path(), CHECK_RDB, &["dump.rdb"], b"");
    assert_eq!(via_server.0, 0, "{}", via_server.1);
    assert_eq!(
        without_log_prefix(&via_server.1),
        without_log_prefix(&direct.1)
    );
    let link = dir.path().join("my-check-aof");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ferrodis-server"), &link).expect("symlink");
    let (code, out) = run_in(dir.path(), link.to_str().unwrap(), &[], b"");
    assert_eq!(code, 1);
    assert!(out.starts_with("Usage: "), "{out}");
}

#[test]
fn a_stream_with_groups_written_by_redis_checks_ok_in_both() {
    if !have_redis() {
        return;
    }
    let srv = Server::start_bin(Path::new(REDIS), &["--save", ""]);
    let mut c = srv.client();
    c.cmd(&["XADD", "st", "*", "f", "v"]);
    c.cmd(&["XADD", "st", "*", "f", "w", "g", "x"]);
    c.cmd(&["XGROUP", "CREATE", "st", "grp", "0"]);
    c.cmd(&[
        "XREADGROUP",
        "GROUP",
        "grp",
        "alice",
        "COUNT",
        "1",
        "STREAMS",
        "st",
        ">",
    ]);
    c.cmd(&["XGROUP", "CREATECONSUMER", "st", "grp", "bob"]);
    c.cmd(&["SAVE"]);
    let (theirs, ours) = both_rdb(&srv.dir().join("dump.rdb"));
    assert_eq!(theirs.0, 0, "{}", theirs.1);
    assert_eq!(ours.0, 0, "{}", ours.1);
    assert!(ours.1.contains("RDB looks OK!"), "{}", ours.1);
}

#[test]
fn damaged_rdb_files_fail_in_both_checkers() {
    if !have_redis() {
        return;
    }
    let dir = TempDir::new("checkrdbbad");
    let good = std::fs::read(saved_rdb(None, &dir, "good.rdb")).unwrap();
    let n = good.len();
    let mut cases: Vec<(String, Vec<u8>, bool)> = Vec::new();
    // Cuts everywhere: inside the header, aux fields, keys, values, the checksum.
    for cut in [
        0,
        5,
        9,
        20,
        100,
        101,
        500,
        n / 3,
        n / 2,
        n - 300,
        n - 9,
        n - 1,
    ] {
        cases.push((format!("cut{cut}.rdb"), good[..cut].to_vec(), true));
    }
    let mut crc = good.clone();
    crc[n - 2] ^= 0x40;
    cases.push(("crc.rdb".into(), crc, true));
    let mut opcode = good.clone();
    // The first key's type byte comes after SELECTDB (0xfe) and RESIZEDB (0xfb).
    let at = good.windows(2).position(|w| w == [0xfe, 0x00]).unwrap();
    opcode[at] = 0xf1;
    cases.push(("opcode.rdb".into(), opcode, true));
    let mut value = good.clone();
    // The total-bytes header of the listpack of "h_lp": a blob that fails
    // its integrity check, found by the value decoder.
    let key_at = good.windows(5).position(|w| w == b"\x04h_lp").unwrap();
    value[key_at + 6] ^= 0x01;
    cases.push(("value.rdb".into(), value, false));
    for (name, bytes, same_report) in cases {
        let path = dir.path().join(&name);
        std::fs::write(&path, &bytes).unwrap();
        let (theirs, ours) = both_rdb(&path);
        assert_eq!(theirs.0, 1, "{name}: {}", theirs.1);
        assert_eq!(ours.0, 1, "{name}: {}", ours.1);
        assert!(ours.1.contains("--- RDB ERROR DETECTED ---"), "{name}");
        if same_report {
            assert_eq!(ours.1, theirs.1, "{name}");
        } else {
            assert!(
                ours.1.contains("Hash listpack integrity check failed."),
                "{}",
                ours.1
            );
        }
    }
}

#[test]
fn a_cut_aof_tail_is_fixed_and_redis_check_aof_agrees() {
    if !have_redis() {
        return;
    }
    let data = TempDir::new("checkaof");
    let d = data.path().to_string_lossy().into_owned();
    let srv = Server::start(&["--save", "", "--appendonly", "yes", "--dir", &d]);
    let mut c = srv.client();
    for i in 0..50 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
        c.cmd(&["HSET", "h", &format!("f{i}"), &i.to_string()]);
    }
    drop(c);
    drop(srv);
    let aofdir = data.path().join("appendonlydir");
    let incr = aofdir.join("appendonly.aof.1.incr.aof");
    let len = std::fs::metadata(&incr).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&incr)
        .unwrap()
        .set_len(len - 7)
        .unwrap();
    let m = "appendonly.aof.manifest";
    let theirs = run_in(&aofdir, REDIS_CHECK_AOF, &[m], b"");
    let ours = run_in(&aofdir, CHECK_AOF, &[m], b"");
    assert_eq!(theirs.0, 1, "{}", theirs.1);
    assert_eq!(ours.0, 1, "{}", ours.1);
    assert!(ours
        .1
        .contains("is not valid. Use the --fix option to try fixing it."));
    assert_eq!(ours.1, theirs.1);

    let (code, out) = run_in(&aofdir, CHECK_AOF, &["--fix", m], b"y\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Continue? [y/N]: Successfully truncated AOF appendonly.aof.1.incr.aof\n"));
    assert!(std::fs::metadata(&incr).unwrap().len() < len - 7);
    let theirs = run_in(&aofdir, REDIS_CHECK_AOF, &[m], b"");
    assert_eq!(theirs.0, 0, "{}", theirs.1);
    assert!(theirs.1.contains("All AOF files and manifest are valid"));
    let ours = run_in(&aofdir, CHECK_AOF, &[m], b"");
    assert_eq!(without_log_prefix(&ours.1), without_log_prefix(&theirs.1));
    // And the repaired AOF loads.
    let srv = Server::start(&["--save", "", "--appendonly", "yes", "--dir", &d]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["GET", "k0"]).text(), "v");
}
