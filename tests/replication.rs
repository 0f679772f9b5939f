//! Replication against the real thing: a Debian redis-server 7.0.15
//! replica of a ferrodis master and a ferrodis replica of a redis-server
//! master, with disk and diskless sync, live writes, link drops with
//! partial resync, chained replicas, WAIT, and a fault test that cuts links
//! under write load. Datasets are compared with DEBUG DIGEST, which both
//! servers compute the same way. When redis-server is not installed the
//! interop tests print a note and pass (there is nothing to compare with).

mod common;

use common::{wait_for, Client, Resp, Server};
use std::path::Path;
use std::time::Duration;

const REDIS: &str = "/usr/bin/redis-server";

fn have_redis() -> bool {
    let ok = Path::new(REDIS).exists();
    if !ok {
        eprintln!("note: {REDIS} is missing, skipping this interop test");
    }
    ok
}

fn args<'a>(diskless: bool, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "--save",
        "",
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        if diskless { "yes" } else { "no" },
        "--repl-diskless-sync-delay",
        "0",
    ];
    a.extend_from_slice(extra);
    a
}

fn start_redis(diskless: bool, extra: &[&str]) -> Server {
    Server::start_bin(Path::new(REDIS), &args(diskless, extra))
}

fn start_ferrodis(diskless: bool, extra: &[&str]) -> Server {
    Server::start(&args(diskless, extra))
}

fn ok(r: Resp) {
    assert_eq!(r, Resp::ok(), "expected OK");
}

/// Every type and encoding, in two dbs, some with TTLs.
fn populate(c: &mut Client, tag: &str) {
    for db in ["0", "7"] {
        ok(c.cmd(&["SELECT", db]));
        ok(c.cmd(&["SET", &format!("{tag}:int"), "12345"]));
        ok(c.cmd(&["SET", &format!("{tag}:str"), &"x".repeat(200)]));
        ok(c.cmd(&["SET", &format!("{tag}:ttl"), "v", "EX", "10000"]));
        for i in 0..200 {
            let i = i.to_string();
            c.cmd(&["RPUSH", &format!("{tag}:list"), &i]);
            c.cmd(&["HSET", &format!("{tag}:hash"), &format!("f{i}"), &i]);
            c.cmd(&["SADD", &format!("{tag}:iset"), &i]);
            c.cmd(&["SADD", &format!("{tag}:set"), &format!("m{i}")]);
            c.cmd(&["ZADD", &format!("{tag}:zset"), &i, &format!("m{i}")]);
        }
        c.cmd(&["HSET", &format!("{tag}:smallhash"), "a", "1"]);
        c.cmd(&["ZADD", &format!("{tag}:smallzset"), "1.5", "a"]);
        c.cmd(&["EXPIRE", &format!("{tag}:list"), "10000"]);
    }
    ok(c.cmd(&["SELECT", "0"]));
}

fn digest(c: &mut Client) -> String {
    c.cmd(&["DEBUG", "DIGEST"]).text()
}

fn info_field(c: &mut Client, section: &str, field: &str) -> String {
    let text = c.cmd(&["INFO", section]).text();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Waits until the replica's link is up and both hold the same data.
fn wait_in_sync(master: &mut Client, replica: &mut Client) {
    let synced = wait_for(Duration::from_secs(20), || {
        info_field(replica, "replication", "master_link_status") == "up"
            && digest(master) == digest(replica)
    });
    assert!(
        synced,
        "replica not in sync: link {}; keys that differ: {:?}",
        info_field(replica, "replication", "master_link_status"),
        differing_keys(master, replica)
    );
}

/// (db, key) pairs whose DEBUG DIGEST-VALUE differs, for failure reports.
fn differing_keys(master: &mut Client, replica: &mut Client) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for db in 0..16 {
        let d = db.to_string();
        master.cmd(&["SELECT", &d]);
        replica.cmd(&["SELECT", &d]);
        let mut keys = master.cmd(&["KEYS", "*"]).strings();
        keys.extend(replica.cmd(&["KEYS", "*"]).strings());
        keys.sort();
        keys.dedup();
        for k in keys {
            let a = master.cmd(&["DEBUG", "DIGEST-VALUE", &k]);
            let b = replica.cmd(&["DEBUG", "DIGEST-VALUE", &k]);
            if a != b {
                out.push((db, k));
            }
        }
    }
    master.cmd(&["SELECT", "0"]);
    replica.cmd(&["SELECT", "0"]);
    out
}

/// Writes of every kind while the replica follows.
fn live_writes(c: &mut Client, round: usize) {
    for i in 0..100 {
        let k = format!("live:{round}:{i}");
        ok(c.cmd(&["SET", &k, &i.to_string()]));
        c.cmd(&["INCR", "live:counter"]);
        c.cmd(&["LPUSH", "live:list", &k]);
        c.cmd(&["HINCRBYFLOAT", "live:hash", "f", "1.5"]);
        c.cmd(&["ZINCRBY", "live:zset", "2", &k]);
    }
    c.cmd(&["EXPIRE", "live:list", "1000"]);
    c.cmd(&["SPOP", "t:set"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "db3key", &round.to_string()]);
    c.cmd(&["SELECT", "0"]);
}

fn redis_replica_of_ferrodis(diskless: bool) {
    if !have_redis() {
        return;
    }
    let master = start_ferrodis(diskless, &[]);
    let mut m = master.client();
    populate(&mut m, "t");
    let replica = start_redis(
        false,
        &["--replicaof", "127.0.0.1", &master.port().to_string()],
    );
    let mut r = replica.client();
    wait_in_sync(&mut m, &mut r);
    assert_eq!(r.cmd(&["DBSIZE"]).int(), m.cmd(&["DBSIZE"]).int());
    live_writes(&mut m, 1);
    assert_eq!(m.cmd(&["WAIT", "1", "5000"]).int(), 1);
    wait_in_sync(&mut m, &mut r);
    // The master lists the replica as online, ROLE too.
    let slave0 = info_field(&mut m, "replication", "slave0");
    assert!(slave0.contains("state=online"), "{slave0}");
    let role = m.cmd(&["ROLE"]).items();
    assert_eq!(role[0], Resp::bulk("master"));
    assert_eq!(role[2].items().len(), 1);
    // Drop the link: the replica continues from the backlog.
    assert_eq!(m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]).int(), 1);
    live_writes(&mut m, 2);
    wait_in_sync(&mut m, &mut r);
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "1");
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    let mo = info_field(&mut m, "replication", "master_repl_offset");
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "replication", "slave_repl_offset") == mo
    }));
}

#[test]
fn redis_replica_follows_a_ferrodis_master_disk_sync() {
    redis_replica_of_ferrodis(false);
}

#[test]
fn redis_replica_follows_a_ferrodis_master_diskless_sync() {
    redis_replica_of_ferrodis(true);
}

fn ferrodis_replica_of_redis(diskless_sync: bool, diskless_load: &str) {
    if !have_redis() {
        return;
    }
    let master = start_redis(diskless_sync, &[]);
    let mut m = master.client();
    populate(&mut m, "t");
    let replica = start_ferrodis(false, &["--repl-diskless-load", diskless_load]);
    let mut r = replica.client();
    ok(r.cmd(&["REPLICAOF", "127.0.0.1", &master.port().to_string()]));
    wait_in_sync(&mut m, &mut r);
    live_writes(&mut m, 1);
    assert_eq!(m.cmd(&["WAIT", "1", "5000"]).int(), 1);
    wait_in_sync(&mut m, &mut r);
    // Read-only, and the replica's view of its role.
    let e = r.cmd(&["SET", "x", "1"]);
    assert_eq!(
        e,
        Resp::err("READONLY You can't write against a read only replica.")
    );
    let role = r.cmd(&["ROLE"]).items();
    assert_eq!(role[0], Resp::bulk("slave"));
    assert_eq!(role[3], Resp::bulk("connected"));
    // Link drop seen from the master side: partial resync.
    assert_eq!(m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]).int(), 1);
    live_writes(&mut m, 2);
    wait_in_sync(&mut m, &mut r);
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "1");
    // And from the replica side.
    assert_eq!(r.cmd(&["CLIENT", "KILL", "TYPE", "master"]).int(), 1);
    live_writes(&mut m, 3);
    wait_in_sync(&mut m, &mut r);
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "2");
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    // Promote it: it keeps the data and accepts writes.
    ok(r.cmd(&["REPLICAOF", "NO", "ONE"]));
    ok(r.cmd(&["SET", "x", "1"]));
    assert_eq!(info_field(&mut r, "replication", "role"), "master");
}

#[test]
fn ferrodis_replica_follows_a_redis_master_disk_sync() {
    ferrodis_replica_of_redis(false, "disabled");
}

#[test]
fn ferrodis_replica_follows_a_redis_master_diskless_sync_and_load() {
    ferrodis_replica_of_redis(true, "swapdb");
}

/// ferrodis -> ferrodis -> redis: the middle one passes its master's
/// stream on unchanged, so all three end equal.
#[test]
fn chained_replicas_get_the_masters_stream() {
    if !have_redis() {
        return;
    }
    let top = start_ferrodis(true, &[]);
    let mut t = top.client();
    populate(&mut t, "c");
    let mid = start_ferrodis(true, &["--replicaof", "127.0.0.1", &top.port().to_string()]);
    let mut m = mid.client();
    wait_in_sync(&mut t, &mut m);
    let leaf = start_redis(
        false,
        &["--replicaof", "127.0.0.1", &mid.port().to_string()],
    );
    let mut l = leaf.client();
    wait_in_sync(&mut t, &mut l);
    live_writes(&mut t, 1);
    wait_in_sync(&mut t, &mut m);
    wait_in_sync(&mut t, &mut l);
    let top_off = info_field(&mut t, "replication", "master_repl_offset");
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut m, "replication", "master_repl_offset") == top_off
    }));
}

/// Replicas don't expire keys themselves: a key whose TTL passed reads as
/// missing but stays until the master's DEL arrives.
#[test]
fn a_replica_leaves_expiry_to_its_master() {
    let master = start_ferrodis(false, &[]);
    let mut m = master.client();
    let replica = start_ferrodis(false, &[]);
    let mut r = replica.client();
    ok(r.cmd(&["REPLICAOF", "127.0.0.1", &master.port().to_string()]));
    ok(m.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]));
    ok(m.cmd(&["SET", "k", "v", "PX", "300"]));
    assert!(wait_for(Duration::from_secs(10), || r
        .cmd(&["EXISTS", "k"])
        .int()
        == 1));
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(r.cmd(&["GET", "k"]), Resp::nil());
    assert_eq!(
        r.cmd(&["DBSIZE"]).int(),
        1,
        "the replica must not delete it"
    );
    // The master's lazy expiry sends the DEL.
    assert_eq!(m.cmd(&["GET", "k"]), Resp::nil());
    assert!(wait_for(Duration::from_secs(10), || r
        .cmd(&["DBSIZE"])
        .int()
        == 0));
}

/// Bad input from a would-be replica or to REPLICAOF: errors, no harm.
#[test]
fn bad_replication_input_is_refused_cleanly() {
    let s = start_ferrodis(false, &[]);
    let mut c = s.client();
    assert_eq!(
        c.cmd(&["REPLCONF", "listening-port"]),
        Resp::err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["REPLCONF", "nonsense", "1"]),
        Resp::err("ERR Unrecognized REPLCONF option: nonsense")
    );
    assert_eq!(
        c.cmd(&["REPLICAOF", "127.0.0.1", "70000"]),
        Resp::err("ERR Invalid master port")
    );
    assert_eq!(
        c.cmd(&["WAIT", "1", "-1"]),
        Resp::err("ERR timeout is negative")
    );
    // An ACK from a client that is not a replica is ignored (no reply), so
    // the next command's reply is the next one read.
    c.send(&["REPLCONF", "ACK", "garbage"]);
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    // A replica that asks for an offset we never had gets a full sync.
    let mut raw = s.client();
    raw.send(&["PSYNC", "0123456789012345678901234567890123456789", "99999"]);
    let line = raw.read_reply();
    assert!(
        matches!(&line, Resp::Simple(s) if s.starts_with("FULLRESYNC ")),
        "{line:?}"
    );
    drop(raw);
    // An unreachable master: the link stays down, the server serves.
    ok(c.cmd(&["REPLICAOF", "127.0.0.1", "1"]));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        info_field(&mut c, "replication", "master_link_status"),
        "down"
    );
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    ok(c.cmd(&["REPLICAOF", "NO", "ONE"]));
    // Replicating from itself fails the same way and recovers.
    ok(c.cmd(&["REPLICAOF", "127.0.0.1", &s.port().to_string()]));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    ok(c.cmd(&["REPLICAOF", "NO", "ONE"]));
}

/// The fault test: a write load on the master while the link is cut from
/// both ends, the replica is paused, and the master restarts from its RDB.
/// At the end both hold the same data and every write that WAIT confirmed
/// reached the replica is there.
#[test]
fn acknowledged_writes_survive_link_cuts_pauses_and_a_master_restart() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let dir = common::TempDir::new("repl-fault");
    let dir_s = dir.path().to_string_lossy().into_owned();
    let master_args = [
        "--dir",
        dir_s.as_str(),
        "--save",
        "3600 1",
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--enable-debug-command",
        "yes",
    ];
    let mut master = Server::start(&master_args);
    let port = master.port();
    let replica = start_ferrodis(false, &["--replicaof", "127.0.0.1", &port.to_string()]);
    let mut r = replica.client();
    let mut m = master.client();
    wait_in_sync(&mut m, &mut r);

    let confirmed: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let confirmed = confirmed.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut i = 0u64;
            let mut c: Option<Client> = None;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let key = format!("w:{i}");
                // The master may be down (restarting): reconnect and go on.
                let cl = match c.as_mut() {
                    Some(cl) => cl,
                    None => match std::panic::catch_unwind(|| Client::connect(port)) {
                        Ok(cl) => c.insert(cl),
                        Err(_) => {
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        }
                    },
                };
                let mut ask = |args: &[&str]| {
                    cl.try_send_raw(&Resp::bulks(args).encode())?;
                    cl.try_read_reply()
                };
                let set = ask(&["SET", &key, &i.to_string()]);
                let waited = ask(&["WAIT", "1", "200"]);
                match (set, waited) {
                    (Ok(Resp::Simple(_)), Ok(Resp::Int(n))) if n >= 1 => {
                        confirmed.lock().unwrap().push(key)
                    }
                    (Ok(_), Ok(_)) => {}
                    _ => c = None,
                }
            }
        })
    };
    let pid = replica.pid().to_string();
    for round in 0..6 {
        std::thread::sleep(Duration::from_millis(300));
        match round % 3 {
            0 => {
                r.cmd(&["CLIENT", "KILL", "TYPE", "master"]);
            }
            1 => {
                let mut m = master.client();
                m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
            }
            _ => {
                let _ = std::process::Command::new("kill")
                    .args(["-STOP", &pid])
                    .status();
                std::thread::sleep(Duration::from_millis(300));
                let _ = std::process::Command::new("kill")
                    .args(["-CONT", &pid])
                    .status();
            }
        }
    }
    // Restart the master from the RDB its shutdown saves.
    master.client().send(&["SHUTDOWN"]);
    assert!(master.wait_exit(Duration::from_secs(20)).is_some());
    drop(master);
    let master = Server::try_start(&master_args, None, port).expect("master restarts");
    std::thread::sleep(Duration::from_millis(800));
    stop.store(true, Ordering::SeqCst);
    writer.join().expect("writer thread");
    let mut m = master.client();
    wait_in_sync(&mut m, &mut r);
    let confirmed = confirmed.lock().unwrap().clone();
    assert!(
        confirmed.len() > 100,
        "only {} writes confirmed",
        confirmed.len()
    );
    for key in &confirmed {
        assert_ne!(
            r.cmd(&["GET", key]),
            Resp::nil(),
            "{key} was confirmed by WAIT but is missing"
        );
    }
    // The restarted master continued its history: the replica resumed.
    assert!(replica
        .log()
        .contains("Successful partial resynchronization with master"));
}

/// CLIENT PAUSE WRITE on a replica holds back what its master sends: the
/// bytes are read (slave_read_repl_offset) but not applied
/// (slave_repl_offset), and UNPAUSE applies them. Several writes arrive
/// while paused, so more than one command waits behind the first.
#[test]
fn a_paused_replica_reads_but_applies_its_masters_writes_only_after_unpause() {
    let master = start_ferrodis(true, &[]);
    let replica = start_ferrodis(
        true,
        &["--replicaof", "127.0.0.1", &master.port().to_string()],
    );
    let (mut m, mut r) = (master.client(), replica.client());
    ok(m.cmd(&["SET", "before", "1"]));
    wait_in_sync(&mut m, &mut r);
    let applied = info_field(&mut r, "replication", "slave_repl_offset");
    ok(r.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]));
    for i in 0..5 {
        ok(m.cmd(&["SET", &format!("during:{i}"), "x"]));
    }
    let master_off = info_field(&mut m, "replication", "master_repl_offset");
    let read = wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "replication", "slave_read_repl_offset") == master_off
    });
    assert!(read, "the paused replica did not read the stream");
    assert_eq!(
        info_field(&mut r, "replication", "slave_repl_offset"),
        applied
    );
    assert_eq!(r.cmd(&["EXISTS", "during:0"]), Resp::Int(0));
    ok(r.cmd(&["CLIENT", "UNPAUSE"]));
    wait_in_sync(&mut m, &mut r);
    assert_eq!(
        info_field(&mut r, "replication", "slave_repl_offset"),
        master_off
    );
    assert_eq!(r.cmd(&["EXISTS", "during:0", "during:4"]), Resp::Int(2));
}

/// A diskless transfer bigger than the socket buffers: the master's relay
/// must resume when its target drains a piece through a writable event
/// (it once stalled there for good, with the pipe full and the socket
/// empty). 100 MB of uncompressed values to a ferrodis replica loading
/// with swapdb, as the suite's swapdb tests run it, then the same to a
/// Redis replica.
#[test]
fn a_diskless_transfer_larger_than_the_socket_buffers_completes() {
    if !have_redis() {
        return;
    }
    let master = start_ferrodis(true, &["--rdbcompression", "no"]);
    let mut m = master.client();
    ok(m.cmd(&["DEBUG", "POPULATE", "1000", "big", "100000"]));
    let port = master.port().to_string();
    let a = start_ferrodis(false, &["--repl-diskless-load", "swapdb"]);
    let mut ra = a.client();
    ok(ra.cmd(&["DEBUG", "POPULATE", "200", "old", "10"]));
    ok(ra.cmd(&["REPLICAOF", "127.0.0.1", &port]));
    wait_in_sync(&mut m, &mut ra);
    assert_eq!(ra.cmd(&["DBSIZE"]).int(), 1000);
    let b = start_redis(false, &[]);
    let mut rb = b.client();
    ok(rb.cmd(&["REPLICAOF", "127.0.0.1", &port]));
    wait_in_sync(&mut m, &mut rb);
}

/// client-output-buffer-limit replica below repl-backlog-size counts as the
/// backlog size (a partial resync must not be cut at once), and a big write
/// is stored in blocks of at most backlog/16, so the backlog can let go of
/// it: a replica cut for lagging then needs a full resync.
#[test]
fn replica_buffer_limits_follow_the_backlog_size() {
    let master = start_ferrodis(false, &[]);
    let mut m = master.client();
    ok(m.cmd(&["CONFIG", "SET", "repl-backlog-size", "100mb"]));
    ok(m.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "replica 512k 0 0",
    ]));
    let replica = start_ferrodis(false, &[]);
    let mut r = replica.client();
    ok(r.cmd(&["REPLICAOF", "127.0.0.1", &master.port().to_string()]));
    wait_in_sync(&mut m, &mut r);
    let big = "A".repeat(10 << 20);
    ok(m.cmd(&["MULTI"]));
    m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    m.cmd(&["SET", "key", &big]);
    m.cmd(&["SET", "key", &big]);
    m.cmd(&["DEBUG", "SLEEP", "2"]);
    m.cmd(&["EXEC"]);
    ok(m.cmd(&["SET", "key", &big]));
    wait_in_sync(&mut m, &mut r);
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut m, "stats", "sync_partial_ok"), "1");
}

fn info_loading(c: &mut Client) -> (String, String) {
    (
        info_field(c, "persistence", "loading"),
        info_field(c, "persistence", "async_loading"),
    )
}

/// Wait until the replica's (loading, async_loading) is `want`; on time-out
/// the failure shows what was seen last and both logs.
fn wait_loading(r: &mut Client, want: (&str, &str), replica: &Server, master: &Server) {
    let want = (want.0.to_string(), want.1.to_string());
    let mut seen = (String::new(), String::new());
    let reached = common::wait_for(Duration::from_secs(10), || {
        seen = info_loading(r);
        seen == want
    });
    assert!(
        reached,
        "loading state {seen:?}, wanted {want:?}\n--- replica log\n{}\n--- master log\n{}",
        replica.log(),
        master.log()
    );
}

/// repl-diskless-load swapdb: the snapshot is parsed from the socket while
/// the old data is kept. A new history loads blocking (`loading:1`,
/// -LOADING) and the old data is back if the transfer breaks; a resync
/// within our own history loads in the background (`async_loading:1`)
/// while the old data is served. Success swaps the new data in.
#[test]
fn swapdb_keeps_the_old_data_until_the_new_one_is_loaded() {
    let master = start_ferrodis(true, &["--rdbcompression", "no"]);
    let mut m = master.client();
    ok(m.cmd(&["DEBUG", "POPULATE", "300", "master", "2000"]));
    // 10 ms per key: the transfer takes a few seconds.
    ok(m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "10000"]));
    let replica = start_ferrodis(
        false,
        &[
            "--repl-diskless-load",
            "swapdb",
            "--replica-read-only",
            "no",
        ],
    );
    let mut r = replica.client();
    ok(r.cmd(&["DEBUG", "POPULATE", "50", "old", "10"]));
    ok(r.cmd(&["SET", "mykey", "myvalue"]));
    ok(r.cmd(&["REPLICAOF", "127.0.0.1", &master.port().to_string()]));

    // A different history: blocking load, the old data stays aside.
    wait_loading(&mut r, ("1", "0"), &replica, &master);
    assert!(r.cmd(&["GET", "mykey"]).is_error());
    m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    ok(m.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "2"]));
    wait_loading(&mut r, ("0", "0"), &replica, &master);
    assert_eq!(r.cmd(&["GET", "mykey"]), Resp::bulk("myvalue"));
    assert_eq!(r.cmd(&["DBSIZE"]).int(), 51);
    assert!(replica.log().contains("Discarding the half-loaded data"));

    // Let it finish: the new data replaces the old.
    ok(m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]));
    ok(m.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "0"]));
    wait_in_sync(&mut m, &mut r);
    assert_eq!(r.cmd(&["GET", "mykey"]), Resp::nil());
    assert_eq!(r.cmd(&["DBSIZE"]).int(), 300);
    assert!(replica.log().contains("Swapping active DB with loaded DB"));

    // The same history (replid unchanged) but too far behind for PSYNC:
    // a full sync loaded in the background, the old data served meanwhile.
    ok(r.cmd(&["SET", "local", "1"]));
    ok(m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "10000"]));
    ok(m.cmd(&["CONFIG", "SET", "repl-backlog-size", "16384"]));
    ok(m.cmd(&["MULTI"]));
    m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    let big = "A".repeat(16384);
    for i in 0..5 {
        m.cmd(&["SET", &format!("big{i}"), &big]);
    }
    m.cmd(&["EXEC"]);
    wait_loading(&mut r, ("0", "1"), &replica, &master);
    assert_eq!(r.cmd(&["GET", "local"]), Resp::bulk("1"));
    assert_eq!(r.cmd(&["DBSIZE"]).int(), 301);
    // Commands that cannot run during async loading are refused.
    assert_eq!(
        r.cmd(&["REPLICAOF", "NO", "ONE"]),
        Resp::err("LOADING Redis is loading the dataset in memory")
    );
    ok(m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]));
    wait_in_sync(&mut m, &mut r);
    assert_eq!(r.cmd(&["GET", "local"]), Resp::nil());
    assert_eq!(r.cmd(&["DBSIZE"]).int(), 305);
}

/// A replica's link carries ACKs only: a command that would answer is
/// refused and the link closed, with Redis' log lines; PSYNC with a bad
/// offset is an error, not a full sync.
#[test]
fn a_replica_link_gets_no_replies_and_a_bad_psync_offset_is_an_error() {
    let master = start_ferrodis(false, &[]);
    let mut c = master.client();
    assert_eq!(
        c.cmd(&["PSYNC", "replicationid", "offset_str"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    assert!(master
        .log()
        .contains("asks for synchronization but with a wrong offset"));

    let mut link = master.client();
    let reply = link.cmd(&["PSYNC", "replicationid", "-1"]);
    assert!(reply.text().starts_with("FULLRESYNC"), "{reply:?}");
    link.send(&["GET", "foo"]);
    assert!(master.wait_log(
        "Replica generated a reply to command 'get', disconnecting it",
        Duration::from_secs(5)
    ));
    assert!(master
        .log()
        .contains("Replica can't interact with the keyspace"));
    assert!(master
        .log()
        .contains("== CRITICAL == This master is sending an error to its replica"));
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    assert_eq!(info_field(&mut c, "stats", "unexpected_error_replies"), "1");
}

/// The fork children of `pid` (a server's snapshot child).
fn children_of(pid: u32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn alive(pid: i32) -> bool {
    // A zombie still has a /proc entry; its state letter is Z.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

fn bgsave_running(c: &mut Client) -> bool {
    info_field(c, "persistence", "rdb_bgsave_in_progress") == "1"
}

/// A replica that takes a second per key it loads from the socket, already
/// pointed at the master on `port`: it keeps the master's pipe full.
fn slow_replica_of(port: u16) -> (Server, Client) {
    let slow = start_ferrodis(
        false,
        &[
            "--repl-diskless-load",
            "swapdb",
            "--key-load-delay",
            "1000000",
        ],
    );
    let mut s = slow.client();
    ok(s.cmd(&["REPLICAOF", "127.0.0.1", &port.to_string()]));
    (slow, s)
}

/// Snapshot children for replicas end when nobody needs them: the last
/// waiting replica left (disk sync, no save points), the child was killed
/// from outside (reaped even while the relay is stuck on a slow replica),
/// or the master itself died.
#[test]
fn snapshot_children_for_replicas_do_not_outlive_their_use() {
    // 1. The only replica waiting for a disk snapshot goes away.
    let master = start_ferrodis(false, &["--rdb-key-save-delay", "100000"]);
    let mut m = master.client();
    ok(m.cmd(&["DEBUG", "POPULATE", "100"]));
    let replica = start_ferrodis(false, &[]);
    let mut r = replica.client();
    ok(r.cmd(&["REPLICAOF", "127.0.0.1", &master.port().to_string()]));
    assert!(common::wait_for(
        Duration::from_secs(10),
        || bgsave_running(&mut m)
    ));
    ok(r.cmd(&["REPLICAOF", "NO", "ONE"]));
    assert!(common::wait_for(
        Duration::from_secs(5),
        || !bgsave_running(&mut m)
    ));

    // 2. The master dies: its child notices and exits.
    ok(r.cmd(&["REPLICAOF", "127.0.0.1", &master.port().to_string()]));
    assert!(common::wait_for(
        Duration::from_secs(10),
        || bgsave_running(&mut m)
    ));
    let kids = children_of(master.pid());
    assert_eq!(kids.len(), 1, "one snapshot child");
    master.signal("KILL");
    assert!(
        common::wait_for(Duration::from_secs(10), || !alive(kids[0])),
        "the child outlived its parent"
    );

    // 3. A diskless child killed while the relay waits on a slow replica.
    let master = start_ferrodis(true, &["--rdbcompression", "no"]);
    let mut m = master.client();
    ok(m.cmd(&["DEBUG", "POPULATE", "2000", "test", "10000"]));
    let (slow, s) = slow_replica_of(master.port());
    assert!(slow.wait_log("Loading DB in memory", Duration::from_secs(10)));
    std::thread::sleep(Duration::from_millis(500));
    let kids = children_of(master.pid());
    assert_eq!(kids.len(), 1, "one snapshot child");
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(kids[0]),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert!(common::wait_for(
        Duration::from_secs(5),
        || !bgsave_running(&mut m)
    ));
    assert_eq!(m.cmd(&["PING"]), Resp::simple("PONG"));

    // 4. A diskless child blocked on a full pipe when its master dies: its
    // writes fail (it holds no copy of the pipe's read end) and it exits.
    drop(s);
    drop(slow);
    let (_slow, _s) = slow_replica_of(master.port());
    assert!(common::wait_for(Duration::from_secs(10), || children_of(
        master.pid()
    )
    .len()
        == 1));
    std::thread::sleep(Duration::from_millis(1000));
    let kids = children_of(master.pid());
    assert_eq!(kids.len(), 1, "one snapshot child");
    master.signal("KILL");
    assert!(
        common::wait_for(Duration::from_secs(10), || !alive(kids[0])),
        "the diskless child outlived its parent"
    );
}

/// A scripted master for replicas to connect to: it answers the
/// handshake (+PONG, +OK) up to PSYNC, which it answers with `psync_reply`,
/// and hands the connection to `rest` with the bytes it read past PSYNC.
fn fake_master(
    psync_reply: Vec<u8>,
    rest: impl FnOnce(&mut std::net::TcpStream, &mut Vec<u8>) + Send + 'static,
) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fake = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf: Vec<u8> = Vec::new();
        handshake(&mut s, &mut buf);
        s.write_all(&psync_reply).unwrap();
        rest(&mut s, &mut buf);
    });
    (port, fake)
}

/// A fake master's side of the handshake: PONG, OK to every REPLCONF, up
/// to the replica's PSYNC, which is returned.
fn handshake(s: &mut std::net::TcpStream, buf: &mut Vec<u8>) -> Vec<String> {
    use std::io::Write;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    loop {
        let cmd = next_command(s, buf);
        match cmd[0].to_ascii_uppercase().as_str() {
            "PING" => s.write_all(b"+PONG\r\n").unwrap(),
            "PSYNC" => return cmd,
            _ => s.write_all(b"+OK\r\n").unwrap(),
        }
    }
}

/// The next command a replica sent to a fake master.
fn next_command(s: &mut std::net::TcpStream, buf: &mut Vec<u8>) -> Vec<String> {
    use std::io::Read;
    loop {
        if let Ok(Some((r, used))) = common::parse_reply(buf) {
            buf.drain(..used);
            return r.strings();
        }
        let mut chunk = [0u8; 512];
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "the replica hung up");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A master that sends a broken EOF-marked snapshot: a truncated image
/// followed by the end mark, then silence (a real master would wait for
/// our ACK). The socket load must fail at once, not wait for bytes that
/// never come, and swapdb must leave the old data in place.
#[test]
fn a_truncated_diskless_snapshot_fails_cleanly() {
    use std::io::Write;
    let mark = "0123456789abcdef0123456789abcdef01234567";
    let id = "f".repeat(40);
    let reply = format!("+FULLRESYNC {id} 0\r\n$EOF:{mark}\r\n").into_bytes();
    let (port, fake) = fake_master(reply, move |s, _| {
        // A header, then a string key announcing 1000 bytes with 3 present.
        s.write_all(b"REDIS0010\x00\x01k\x43\xe8abc").unwrap();
        s.write_all(mark.as_bytes()).unwrap();
        // Keep the connection open, as a master waiting for an ACK would.
        std::thread::sleep(Duration::from_secs(3));
    });
    let replica = start_ferrodis(false, &["--repl-diskless-load", "swapdb"]);
    let mut r = replica.client();
    ok(r.cmd(&["SET", "mykey", "myvalue"]));
    ok(r.cmd(&["REPLICAOF", "127.0.0.1", &port.to_string()]));
    assert!(replica.wait_log(
        "Failed trying to load the MASTER synchronization DB from socket",
        Duration::from_secs(5)
    ));
    assert_eq!(r.cmd(&["GET", "mykey"]), Resp::bulk("myvalue"));
    assert_eq!(info_loading(&mut r), ("0".into(), "0".into()));
    ok(r.cmd(&["REPLICAOF", "NO", "ONE"]));
    fake.join().unwrap();
}

/// replica-lazy-flush: the old dataset a full sync replaces is freed in
/// the background (lazyfreed_objects counts it), for disk and socket
/// loads alike.
#[test]
fn replica_lazy_flush_frees_the_old_data_in_the_background() {
    let master = start_ferrodis(false, &[]);
    let mut m = master.client();
    ok(m.cmd(&["SET", "from-master", "1"]));
    for load in ["disabled", "swapdb"] {
        let replica = start_ferrodis(
            false,
            &["--replica-lazy-flush", "yes", "--repl-diskless-load", load],
        );
        let mut r = replica.client();
        ok(r.cmd(&["DEBUG", "POPULATE", "5000"]));
        ok(r.cmd(&["REPLICAOF", "127.0.0.1", &master.port().to_string()]));
        wait_in_sync(&mut m, &mut r);
        assert_eq!(r.cmd(&["DBSIZE"]).int(), 1);
        assert!(
            common::wait_for(Duration::from_secs(10), || {
                info_field(&mut r, "memory", "lazyfreed_objects") == "5000"
            }),
            "{load}: lazyfreed_objects {}",
            info_field(&mut r, "memory", "lazyfreed_objects")
        );
    }
}

/// A master that predates PSYNC (it answers -ERR): the replica retries
/// with SYNC, loads the `$<len>` payload that comes without a +FULLRESYNC
/// line, applies the stream after it, starts a history of its own, and
/// sends no REPLCONF ACK (such a master would not understand it).
#[test]
fn a_master_without_psync_is_followed_through_sync() {
    use std::io::{Read, Write};
    let (port, fake) = fake_master(b"-ERR unknown command 'PSYNC'\r\n".to_vec(), |s, buf| {
        assert_eq!(next_command(s, buf), ["SYNC"]);
        // An empty RDB (version 6, checksum not computed), then a write.
        let mut rdb = b"REDIS0006\xff".to_vec();
        rdb.extend_from_slice(&[0u8; 8]);
        s.write_all(format!("${}\r\n", rdb.len()).as_bytes())
            .unwrap();
        s.write_all(&rdb).unwrap();
        s.write_all(b"*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$6\r\nmaster\r\n")
            .unwrap();
        // Nothing may come back for a while: no ACKs.
        std::thread::sleep(Duration::from_millis(2500));
        s.set_nonblocking(true).unwrap();
        let mut rest = [0u8; 512];
        let extra = match s.read(&mut rest) {
            Ok(n) => String::from_utf8_lossy(&rest[..n]).into_owned(),
            Err(_) => String::new(),
        };
        assert!(!extra.contains("ACK"), "the replica sent: {extra:?}");
    });
    let replica = start_ferrodis(false, &[]);
    let mut r = replica.client();
    ok(r.cmd(&["REPLICAOF", "127.0.0.1", &port.to_string()]));
    assert!(common::wait_for(Duration::from_secs(5), || r
        .cmd(&["GET", "old"])
        == Resp::bulk("master")));
    assert!(replica.log().contains("Retrying with SYNC..."));
    assert_eq!(
        info_field(&mut r, "replication", "master_link_status"),
        "up"
    );
    assert_eq!(info_field(&mut r, "replication", "master_replid").len(), 40);
    fake.join().unwrap();
}

/// The master's MULTI ... EXEC is a transaction on the replica too: none of
/// the block is visible, counted in the offset or passed on before EXEC,
/// and a link lost in the middle resumes (PSYNC) from before the MULTI.
#[test]
fn a_masters_transaction_is_applied_whole() {
    use std::io::Write;
    use std::sync::mpsc;
    let id = "0123456789abcdef0123456789abcdef01234567";
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (psync_tx, psync_rx) = mpsc::channel::<Vec<String>>();
    let cmd = |args: &[&str]| -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len());
        for a in args {
            out += &format!("${}\r\n{a}\r\n", a.len());
        }
        out.into_bytes()
    };
    let block1: Vec<u8> = [
        cmd(&["MULTI"]),
        cmd(&["SET", "a", "1"]),
        cmd(&["SET", "b", "2"]),
    ]
    .concat();
    let exec = cmd(&["EXEC"]);
    let block2: Vec<u8> = [cmd(&["MULTI"]), cmd(&["SET", "c", "3"])].concat();
    let (b1, ex, b2) = (block1.clone(), exec.clone(), block2.clone());
    let fake = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        handshake(&mut s, &mut buf);
        let mut rdb = b"REDIS0006\xff".to_vec();
        rdb.extend_from_slice(&[0u8; 8]);
        s.write_all(format!("+FULLRESYNC {id} 100\r\n${}\r\n", rdb.len()).as_bytes())
            .unwrap();
        s.write_all(&rdb).unwrap();
        s.write_all(&b1).unwrap();
        go_rx.recv().unwrap();
        s.write_all(&ex).unwrap();
        go_rx.recv().unwrap();
        s.write_all(&b2).unwrap();
        go_rx.recv().unwrap();
        drop(s); // the link breaks inside the second block
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        psync_tx.send(handshake(&mut s, &mut buf)).unwrap();
        s.write_all(b"+CONTINUE\r\n").unwrap();
        go_rx.recv().unwrap();
    });
    let replica = start_ferrodis(false, &[]);
    let mut r = replica.client();
    ok(r.cmd(&["REPLICAOF", "127.0.0.1", &port.to_string()]));
    let offsets = |r: &mut Client| {
        (
            info_field(r, "replication", "slave_repl_offset")
                .parse::<i64>()
                .unwrap(),
            info_field(r, "replication", "slave_read_repl_offset")
                .parse::<i64>()
                .unwrap(),
        )
    };
    let held = 100 + block1.len() as i64;
    assert!(common::wait_for(Duration::from_secs(5), || offsets(&mut r) == (100, held)));
    assert_eq!(r.cmd(&["EXISTS", "a", "b"]).int(), 0);
    go_tx.send(()).unwrap();
    let applied = held + exec.len() as i64;
    assert!(common::wait_for(Duration::from_secs(5), || offsets(&mut r)
        == (applied, applied)));
    assert_eq!(r.cmd(&["MGET", "a", "b"]), Resp::bulks(&["1", "2"]));
    go_tx.send(()).unwrap();
    assert!(common::wait_for(Duration::from_secs(5), || offsets(&mut r)
        .1
        == applied + block2.len() as i64));
    go_tx.send(()).unwrap();
    // Reconnected: the PSYNC asks for the byte after the first EXEC.
    let psync = psync_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(psync, ["PSYNC", id, &(applied + 1).to_string()]);
    assert_eq!(r.cmd(&["EXISTS", "c"]).int(), 0);
    go_tx.send(()).unwrap();
    fake.join().unwrap();
}
