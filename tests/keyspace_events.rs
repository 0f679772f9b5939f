//! Keyspace notifications and WATCH invalidation for the string, generic
//! keyspace, expire, hash, SORT STORE, RESTORE, MIGRATE and DEBUG
//! commands: each test subscribes a second client to `*`, runs commands
//! and checks the exact (pattern, channel, message) sequence received —
//! keyspace and keyevent channels, event names, classes and order as
//! Redis 7.0.15 publishes them (db.c, t_string.c, t_hash.c, expire.c,
//! sort.c, cluster.c, debug.c; tests/unit/pubsub.tcl). The WATCH tests
//! check that every write invalidates a watcher (EXEC answers `*-1`) and
//! that a command that changes nothing does not.

mod common;

use common::events::{both, received, subscriber};
use common::{wait_for, Client, Resp, Server};
use std::time::Duration;

fn start() -> Server {
    Server::start(&["--enable-debug-command", "yes"])
}

/// Runs each command on `c` (its reply is not checked here).
fn run(c: &mut Client, cmds: &[&[&str]]) {
    for cmd in cmds {
        c.cmd(cmd);
    }
}

#[test]
fn string_commands_publish_redis_events() {
    let srv = start();
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c, "KEA");
    run(
        &mut c,
        &[
            &["SET", "foo", "bar"],
            &["SET", "foo", "bar", "EX", "100"],
            &["SETNX", "foo", "x"],
            &["SETEX", "k", "100", "v"],
            &["PSETEX", "k", "100000", "v"],
            &["SET", "zz", "1", "XX"],
            &["GETSET", "foo", "baz"],
            &["MSET", "a", "1", "b", "2"],
            &["MSETNX", "a", "1", "c", "3"],
            &["APPEND", "foo", "x"],
            &["APPEND", "newk", "x"],
            &["SETRANGE", "foo", "0", ""],
            &["SETRANGE", "foo", "1", "Z"],
            &["SETRANGE", "sr", "2", "ab"],
            &["INCR", "n"],
            &["DECRBY", "n", "5"],
            &["INCRBYFLOAT", "f", "1.5"],
            &["INCR", "foo"],
            &["GETEX", "foo", "EX", "100"],
            &["GETEX", "foo", "PERSIST"],
            &["GETEX", "foo", "PERSIST"],
            &["GETEX", "foo"],
            &["GETEX", "foo", "PXAT", "1"],
            &["GETDEL", "a"],
            &["GETDEL", "a"],
            &["SET", "b", "x", "GET"],
            &["SET", "h", "x"],
        ],
    );
    c.cmd(&["HSET", "hash", "f", "v"]);
    // Failing commands publish nothing.
    assert!(c.cmd(&["SET", "hash", "x", "GET"]).is_error());
    assert!(c.cmd(&["APPEND", "hash", "x"]).is_error());
    assert!(c.cmd(&["INCRBYFLOAT", "f", "inf"]).is_error());
    let want = both(
        0,
        &[
            ("set", "foo"),
            ("set", "foo"),
            ("expire", "foo"),
            ("set", "k"),
            ("expire", "k"),
            ("set", "k"),
            ("expire", "k"),
            ("set", "foo"),
            ("set", "a"),
            ("set", "b"),
            ("append", "foo"),
            ("append", "newk"),
            ("setrange", "foo"),
            ("setrange", "sr"),
            ("incrby", "n"),
            ("incrby", "n"),
            ("incrbyfloat", "f"),
            ("expire", "foo"),
            ("persist", "foo"),
            ("del", "foo"),
            ("del", "a"),
            ("set", "b"),
            ("set", "h"),
            ("hset", "hash"),
        ],
    );
    assert_eq!(received(&mut sub, &mut c), want);
}

#[test]
fn only_enabled_classes_and_channels_are_published() {
    let srv = start();
    let mut c = srv.client();
    // Keyspace channel only, generic class only: SET is not generic.
    let mut sub = subscriber(&srv, &mut c, "Kg");
    run(
        &mut c,
        &[
            &["SET", "foo", "bar"],
            &["EXPIRE", "foo", "100"],
            &["DEL", "foo"],
        ],
    );
    let ks = |ev: &str| {
        (
            "*".to_string(),
            "__keyspace@0__:foo".to_string(),
            ev.to_string(),
        )
    };
    assert_eq!(received(&mut sub, &mut c), vec![ks("expire"), ks("del")]);
    // Keyevent channel only, string class only.
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "E$"]);
    run(&mut c, &[&["SET", "foo", "bar"], &["DEL", "foo"]]);
    assert_eq!(
        received(&mut sub, &mut c),
        vec![("*".into(), "__keyevent@0__:set".into(), "foo".into())]
    );
    // Off: nothing at all.
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", ""]);
    run(&mut c, &[&["SET", "foo", "bar"], &["DEL", "foo"]]);
    assert_eq!(received(&mut sub, &mut c), vec![]);
}

/// `new` (class `n`, not part of `A`) comes from every path that adds a
/// key, before the command's own event, and never for an overwrite.
#[test]
fn new_key_event_on_every_add_path() {
    let srv = start();
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c, "En");
    run(
        &mut c,
        &[
            &["SET", "foo", "bar"],
            &["SET", "foo", "baz"],
            &["SET", "bar", "bar"],
            &["MSET", "bar", "1", "m", "2"],
            &["APPEND", "ap", "x"],
            &["APPEND", "ap", "x"],
            &["INCR", "n"],
            &["INCR", "n"],
            &["INCRBYFLOAT", "fl", "1"],
            &["SETRANGE", "sr", "1", "x"],
            &["HSET", "h", "a", "1"],
            &["HSET", "h", "b", "1"],
            &["HSETNX", "h2", "a", "1"],
            &["HINCRBY", "h3", "a", "1"],
            &["HINCRBYFLOAT", "h4", "a", "1"],
            &["RENAME", "foo", "bar"],
            &["MOVE", "bar", "1"],
            &["COPY", "m", "m2"],
            &["COPY", "m", "m2", "REPLACE"],
            &["COPY", "m", "m3", "DB", "2"],
            &["DEBUG", "POPULATE", "2", "p"],
        ],
    );
    let ev = |db: usize, k: &str| {
        (
            "*".to_string(),
            format!("__keyevent@{db}__:new"),
            k.to_string(),
        )
    };
    let want = vec![
        ev(0, "foo"),
        ev(0, "bar"),
        ev(0, "m"),
        ev(0, "ap"),
        ev(0, "n"),
        ev(0, "fl"),
        ev(0, "sr"),
        ev(0, "h"),
        ev(0, "h2"),
        ev(0, "h3"),
        ev(0, "h4"),
        // RENAME deletes the old destination and adds it anew.
        ev(0, "bar"),
        ev(1, "bar"),
        ev(0, "m2"),
        ev(0, "m2"),
        ev(2, "m3"),
        ev(0, "p:0"),
        ev(0, "p:1"),
    ];
    assert_eq!(received(&mut sub, &mut c), want);

    // With every class on, `new` precedes the command's own event.
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEAn"]);
    run(&mut c, &[&["SET", "a", "1"], &["RENAME", "a", "b"]]);
    let want = both(
        0,
        &[
            ("new", "a"),
            ("set", "a"),
            ("new", "b"),
            ("rename_from", "a"),
            ("rename_to", "b"),
        ],
    );
    assert_eq!(received(&mut sub, &mut c), want);
}

#[test]
fn keyspace_commands_publish_redis_events() {
    let srv = start();
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c, "KEA");
    run(
        &mut c,
        &[
            &["SET", "a", "1"],
            &["RENAME", "a", "b"],
            &["SET", "c", "1"],
            &["RENAME", "b", "c"],
            &["RENAMENX", "c", "c"],
            &["RENAMENX", "c", "d"],
            &["RENAME", "nokey", "x"],
            &["SET", "e", "1"],
            &["RENAMENX", "d", "e"],
            &["DEL", "e"],
            &["MOVE", "d", "1"],
            &["MOVE", "d", "1"],
            &["SET", "d", "1"],
            &["COPY", "d", "e"],
            &["COPY", "d", "e"],
            &["COPY", "d", "e", "REPLACE"],
            &["COPY", "d", "e", "DB", "2"],
            &["DEL", "d", "e", "zz"],
            &["SET", "u", "1"],
            &["UNLINK", "u", "zz"],
            // SWAPDB, FLUSHDB and FLUSHALL publish no keyspace event.
            &["SWAPDB", "0", "1"],
            &["FLUSHDB"],
            &["FLUSHALL"],
        ],
    );
    let mut want = both(
        0,
        &[
            ("set", "a"),
            ("rename_from", "a"),
            ("rename_to", "b"),
            ("set", "c"),
            ("rename_from", "b"),
            ("rename_to", "c"),
            ("rename_from", "c"),
            ("rename_to", "d"),
            ("set", "e"),
            ("del", "e"),
        ],
    );
    want.extend(both(0, &[("move_from", "d")]));
    want.extend(both(1, &[("move_to", "d")]));
    want.extend(both(0, &[("set", "d"), ("copy_to", "e"), ("copy_to", "e")]));
    want.extend(both(2, &[("copy_to", "e")]));
    want.extend(both(
        0,
        &[("del", "d"), ("del", "e"), ("set", "u"), ("del", "u")],
    ));
    assert_eq!(received(&mut sub, &mut c), want);
}

#[test]
fn expire_commands_publish_redis_events() {
    let srv = start();
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c, "KEA");
    run(
        &mut c,
        &[
            &["SET", "x", "1"],
            &["EXPIRE", "x", "100"],
            &["PEXPIRE", "x", "100000", "NX"],
            &["EXPIRE", "x", "200", "GT"],
            &["PERSIST", "x"],
            &["PERSIST", "x"],
            &["PERSIST", "nokey"],
            &["EXPIRE", "nokey", "10"],
            &["PEXPIREAT", "x", "99999999999999"],
            &["EXPIREAT", "x", "1"],
            &["SET", "y", "1"],
            &["EXPIRE", "y", "-1"],
        ],
    );
    let want = both(
        0,
        &[
            ("set", "x"),
            ("expire", "x"),
            ("expire", "x"),
            ("persist", "x"),
            ("expire", "x"),
            ("del", "x"),
            ("set", "y"),
            ("del", "y"),
        ],
    );
    assert_eq!(received(&mut sub, &mut c), want);
}

/// `expired` comes from lazy expiry (a command touching the key) and from
/// the active cycle; a key re-created after expiring is `new` again.
#[test]
fn expired_events_lazy_and_active() {
    let srv = start();
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c, "KEA");
    c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    run(
        &mut c,
        &[
            &["SET", "a", "1", "PX", "1"],
            &["SET", "b", "1", "PX", "1"],
            &["HSET", "h", "f", "v"],
            &["PEXPIRE", "h", "1"],
        ],
    );
    std::thread::sleep(Duration::from_millis(20));
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEAn"]);
    run(
        &mut c,
        &[&["GET", "a"], &["SET", "b", "2"], &["HSET", "h", "g", "w"]],
    );
    let mut want = both(
        0,
        &[
            ("set", "a"),
            ("expire", "a"),
            ("set", "b"),
            ("expire", "b"),
            ("hset", "h"),
            ("expire", "h"),
        ],
    );
    want.extend(both(
        0,
        &[
            ("expired", "a"),
            ("expired", "b"),
            ("new", "b"),
            ("set", "b"),
            ("expired", "h"),
            ("new", "h"),
            ("hset", "h"),
        ],
    ));
    assert_eq!(received(&mut sub, &mut c), want);

    // The active cycle: the event arrives without any command on the key.
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Ex"]);
    c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    c.cmd(&["SET", "d", "1", "PX", "50"]);
    let m = sub.read_reply().strings();
    assert_eq!(m, ["pmessage", "*", "__keyevent@0__:expired", "d"]);
}

#[test]
fn hash_commands_publish_redis_events() {
    let srv = start();
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c, "KEA");
    run(
        &mut c,
        &[
            &["HSET", "h", "a", "1", "b", "2"],
            &["HMSET", "h", "a", "1"],
            &["HSETNX", "h", "a", "3"],
            &["HSETNX", "h", "c", "3"],
            &["HINCRBY", "h", "a", "5"],
            &["HINCRBYFLOAT", "h", "b", "1.5"],
            &["HINCRBY", "h", "b", "1"],
            &["HDEL", "h", "zz"],
            &["HDEL", "h", "a", "b"],
            &["HDEL", "h", "c", "zz"],
            &["HDEL", "h", "c"],
            &["HINCRBY", "h2", "x", "1"],
        ],
    );
    let want = both(
        0,
        &[
            ("hset", "h"),
            ("hset", "h"),
            ("hset", "h"),
            ("hincrby", "h"),
            ("hincrbyfloat", "h"),
            ("hdel", "h"),
            ("hdel", "h"),
            ("del", "h"),
            ("hincrby", "h2"),
        ],
    );
    assert_eq!(received(&mut sub, &mut c), want);
}

#[test]
fn sort_store_restore_and_debug_publish_redis_events() {
    let srv = start();
    let mut c = srv.client();
    run(
        &mut c,
        &[&["RPUSH", "l", "3", "1", "2"], &["SET", "s", "hello"]],
    );
    let dump = match c.cmd(&["DUMP", "s"]) {
        Resp::Bulk(Some(b)) => b,
        other => panic!("DUMP: {other:?}"),
    };
    let mut sub = subscriber(&srv, &mut c, "KEA");
    run(
        &mut c,
        &[
            &["SORT", "l", "STORE", "dst"],
            &["SORT", "l", "STORE", "dst"],
            &["SORT", "nolist", "STORE", "dst"],
            &["SORT", "nolist", "STORE", "dst"],
        ],
    );
    let r = |c: &mut Client, args: &[&[u8]]| c.cmd_bytes(args);
    assert_eq!(r(&mut c, &[b"RESTORE", b"r", b"0", &dump]), Resp::ok());
    assert!(r(&mut c, &[b"RESTORE", b"r", b"0", &dump]).is_error());
    assert_eq!(
        r(&mut c, &[b"RESTORE", b"r", b"0", &dump, b"REPLACE"]),
        Resp::ok()
    );
    // REPLACE with a TTL already in the past: the old key is deleted.
    assert_eq!(
        r(
            &mut c,
            &[b"RESTORE", b"r", b"1", &dump, b"REPLACE", b"ABSTTL"]
        ),
        Resp::ok()
    );
    // DEBUG POPULATE creates keys without an event of its own.
    c.cmd(&["DEBUG", "POPULATE", "2"]);
    let want = both(
        0,
        &[
            ("sortstore", "dst"),
            ("sortstore", "dst"),
            ("del", "dst"),
            ("restore", "r"),
            ("restore", "r"),
            ("del", "r"),
        ],
    );
    assert_eq!(received(&mut sub, &mut c), want);
    assert_eq!(c.cmd(&["DBSIZE"]), Resp::Int(4));
}

#[test]
fn migrate_publishes_del_for_moved_keys() {
    let src = start();
    let dst = start();
    let port = dst.port().to_string();
    let mut c = src.client();
    run(
        &mut c,
        &[&["SET", "a", "1"], &["SET", "b", "2"], &["SET", "c", "3"]],
    );
    let mut sub = subscriber(&src, &mut c, "KEA");
    let mut d = dst.client();
    let mut dsub = subscriber(&dst, &mut d, "KEA");
    let ok = c.cmd(&["MIGRATE", "127.0.0.1", &port, "a", "0", "5000"]);
    assert_eq!(ok, Resp::ok());
    let ok = c.cmd(&["MIGRATE", "127.0.0.1", &port, "b", "0", "5000", "COPY"]);
    assert_eq!(ok, Resp::ok());
    let multi = [
        "MIGRATE",
        "127.0.0.1",
        &port,
        "",
        "0",
        "5000",
        "KEYS",
        "c",
        "nokey",
    ];
    assert_eq!(c.cmd(&multi), Resp::ok());
    assert_eq!(
        received(&mut sub, &mut c),
        both(0, &[("del", "a"), ("del", "c")])
    );
    assert_eq!(
        received(&mut dsub, &mut d),
        both(0, &[("restore", "a"), ("restore", "b"), ("restore", "c")])
    );
}

#[test]
fn flush_and_reload_publish_nothing() {
    let srv = start();
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c, "KEAn");
    c.cmd(&["SET", "a", "1"]);
    assert_eq!(
        received(&mut sub, &mut c),
        both(0, &[("new", "a"), ("set", "a")])
    );
    // RDB loading adds keys without `new`.
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), Resp::ok());
    assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), Resp::ok());
    assert_eq!(received(&mut sub, &mut c), vec![]);
}

// ---------------------------------------------------------------------------
// WATCH: every write signals the key (signalModifiedKey)
// ---------------------------------------------------------------------------

/// Runs `setup` on a fresh dataset, WATCHes `key` (in db `db`), runs
/// `write` from another client, and returns what EXEC answered.
fn exec_after(srv: &Server, setup: &[&[&str]], db: &str, key: &str, write: &[&str]) -> Resp {
    let mut a = srv.client();
    let mut b = srv.client();
    a.cmd(&["FLUSHALL"]);
    run(&mut b, setup);
    assert_eq!(a.cmd(&["SELECT", db]), Resp::ok());
    assert_eq!(a.cmd(&["WATCH", key]), Resp::ok());
    b.cmd(write);
    assert_eq!(a.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(a.cmd(&["PING"]), Resp::simple("QUEUED"));
    a.cmd(&["EXEC"])
}

/// One WATCH scenario: setup commands, the watcher's db, the watched key,
/// and the command another client then runs.
type Case<'a> = (&'a [&'a [&'a str]], &'a str, &'a str, &'a [&'a str]);

/// Each write must abort the watcher's transaction (EXEC → `*-1`).
fn assert_aborts(srv: &Server, cases: &[Case]) {
    for (setup, db, key, write) in cases {
        assert_eq!(
            exec_after(srv, setup, db, key, write),
            Resp::Array(None),
            "WATCH {key} in db {db} survived {write:?}"
        );
    }
}

/// Each no-op must leave the transaction alone (EXEC runs PING).
fn assert_survives(srv: &Server, cases: &[Case]) {
    for (setup, db, key, write) in cases {
        assert_eq!(
            exec_after(srv, setup, db, key, write),
            Resp::arr(vec![Resp::simple("PONG")]),
            "WATCH {key} in db {db} aborted by {write:?}"
        );
    }
}

const NONE: &[&[&str]] = &[];
const STR_K: &[&[&str]] = &[&["SET", "k", "5"]];
const HASH_K: &[&[&str]] = &[&["HSET", "k", "f", "1"]];
const TTL_K: &[&[&str]] = &[&["SET", "k", "5", "EX", "100"]];

#[test]
fn watch_string_writes() {
    let srv = start();
    assert_aborts(
        &srv,
        &[
            (NONE, "0", "k", &["SET", "k", "1"]),
            (STR_K, "0", "k", &["SET", "k", "1", "XX"]),
            (NONE, "0", "k", &["SETNX", "k", "1"]),
            (NONE, "0", "k", &["SETEX", "k", "10", "1"]),
            (NONE, "0", "k", &["MSET", "x", "1", "k", "1"]),
            (NONE, "0", "k", &["MSETNX", "x", "1", "k", "1"]),
            (STR_K, "0", "k", &["GETSET", "k", "1"]),
            (STR_K, "0", "k", &["GETDEL", "k"]),
            (STR_K, "0", "k", &["GETEX", "k", "EX", "100"]),
            (TTL_K, "0", "k", &["GETEX", "k", "PERSIST"]),
            (STR_K, "0", "k", &["GETEX", "k", "PXAT", "1"]),
            (STR_K, "0", "k", &["APPEND", "k", "x"]),
            (NONE, "0", "k", &["APPEND", "k", "x"]),
            (STR_K, "0", "k", &["SETRANGE", "k", "3", "x"]),
            (STR_K, "0", "k", &["INCR", "k"]),
            (NONE, "0", "k", &["DECRBY", "k", "3"]),
            (STR_K, "0", "k", &["INCRBYFLOAT", "k", "0.5"]),
        ],
    );
    assert_survives(
        &srv,
        &[
            (STR_K, "0", "k", &["SETNX", "k", "1"]),
            (NONE, "0", "k", &["SET", "k", "1", "XX"]),
            (STR_K, "0", "k", &["MSETNX", "k", "1", "x", "1"]),
            (STR_K, "0", "k", &["GET", "k"]),
            (STR_K, "0", "k", &["GETEX", "k"]),
            (STR_K, "0", "k", &["GETEX", "k", "PERSIST"]),
            (STR_K, "0", "k", &["SETRANGE", "k", "1", ""]),
            (HASH_K, "0", "k", &["INCR", "k"]),
            (STR_K, "0", "k", &["SET", "other", "1"]),
        ],
    );
}

#[test]
fn watch_keyspace_writes() {
    let srv = start();
    let in_db1: &[&[&str]] = &[&["SELECT", "1"], &["SET", "k", "1"]];
    assert_aborts(
        &srv,
        &[
            (STR_K, "0", "k", &["DEL", "k"]),
            (STR_K, "0", "k", &["UNLINK", "k"]),
            (STR_K, "0", "k", &["RENAME", "k", "z"]),
            (&[&["SET", "z", "1"]], "0", "k", &["RENAME", "z", "k"]),
            (&[&["SET", "z", "1"]], "0", "k", &["RENAMENX", "z", "k"]),
            (STR_K, "0", "k", &["MOVE", "k", "1"]),
            (STR_K, "1", "k", &["MOVE", "k", "1"]),
            (STR_K, "3", "k", &["COPY", "k", "k", "DB", "3"]),
            (STR_K, "0", "k", &["FLUSHDB"]),
            (STR_K, "0", "k", &["FLUSHALL"]),
            (STR_K, "0", "k", &["SWAPDB", "0", "1"]),
            (in_db1, "0", "k", &["SWAPDB", "0", "1"]),
            (STR_K, "0", "k", &["DEBUG", "RELOAD"]),
        ],
    );
    assert_survives(
        &srv,
        &[
            (NONE, "0", "k", &["DEL", "k"]),
            (STR_K, "0", "k", &["RENAMENX", "k", "k"]),
            (STR_K, "0", "k", &["EXISTS", "k"]),
            (STR_K, "0", "k", &["COPY", "k", "z"]),
            // COPY signals the destination only.
            (STR_K, "0", "k", &["COPY", "k", "k", "DB", "3"]),
            (NONE, "0", "k", &["SWAPDB", "0", "1"]),
            (STR_K, "0", "k", &["SWAPDB", "2", "3"]),
            (in_db1, "0", "k", &["FLUSHDB"]),
        ],
    );
}

#[test]
fn watch_expire_writes() {
    let srv = start();
    assert_aborts(
        &srv,
        &[
            (STR_K, "0", "k", &["EXPIRE", "k", "100"]),
            (STR_K, "0", "k", &["PEXPIRE", "k", "-1"]),
            (STR_K, "0", "k", &["EXPIREAT", "k", "99999999999"]),
            (TTL_K, "0", "k", &["PERSIST", "k"]),
        ],
    );
    assert_survives(
        &srv,
        &[
            (STR_K, "0", "k", &["PERSIST", "k"]),
            (TTL_K, "0", "k", &["EXPIRE", "k", "100", "NX"]),
            (NONE, "0", "k", &["EXPIRE", "k", "100"]),
            (TTL_K, "0", "k", &["TTL", "k"]),
        ],
    );

    // A key that expires under the watch: its deletion is no change (it
    // was already logically gone), but writing it afterwards is.
    let mut a = srv.client();
    let mut b = srv.client();
    a.cmd(&["FLUSHALL"]);
    a.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    a.cmd(&["SET", "k", "1", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(10));
    a.cmd(&["WATCH", "k"]);
    b.cmd(&["SET", "k", "2"]);
    a.cmd(&["MULTI"]);
    a.cmd(&["PING"]);
    assert_eq!(a.cmd(&["EXEC"]), Resp::Array(None));

    // Expired by the active cycle while watched (the key existed when
    // WATCH ran): the transaction fails, as in Redis.
    a.cmd(&["SET", "k", "1", "PX", "50"]);
    a.cmd(&["WATCH", "k"]);
    a.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    assert!(wait_for(Duration::from_secs(5), || {
        b.cmd(&["DBSIZE"]) == Resp::Int(0)
    }));
    a.cmd(&["MULTI"]);
    a.cmd(&["PING"]);
    assert_eq!(a.cmd(&["EXEC"]), Resp::Array(None));
}

#[test]
fn watch_hash_sort_restore_writes() {
    let srv = start();
    let mut c = srv.client();
    c.cmd(&["SET", "s", "x"]);
    let dump = match c.cmd(&["DUMP", "s"]) {
        Resp::Bulk(Some(b)) => b,
        other => panic!("DUMP: {other:?}"),
    };
    let list: &[&[&str]] = &[&["RPUSH", "l", "2", "1"], &["SET", "k", "1"]];
    assert_aborts(
        &srv,
        &[
            (NONE, "0", "k", &["HSET", "k", "f", "1"]),
            (HASH_K, "0", "k", &["HSET", "k", "f", "1"]),
            (HASH_K, "0", "k", &["HSETNX", "k", "g", "1"]),
            (HASH_K, "0", "k", &["HINCRBY", "k", "f", "1"]),
            (HASH_K, "0", "k", &["HINCRBYFLOAT", "k", "f", "1"]),
            (HASH_K, "0", "k", &["HDEL", "k", "f"]),
            (NONE, "0", "k:0", &["DEBUG", "POPULATE", "1", "k"]),
            (list, "0", "k", &["SORT", "l", "STORE", "k"]),
            (STR_K, "0", "k", &["SORT", "nolist", "STORE", "k"]),
        ],
    );
    assert_survives(
        &srv,
        &[
            (HASH_K, "0", "k", &["HSETNX", "k", "f", "1"]),
            (HASH_K, "0", "k", &["HDEL", "k", "nofield"]),
            (HASH_K, "0", "k", &["HGETALL", "k"]),
            (NONE, "0", "k", &["SORT", "nolist", "STORE", "k"]),
            (
                &[&["SET", "k:0", "1"]],
                "0",
                "k:0",
                &["DEBUG", "POPULATE", "1", "k"],
            ),
        ],
    );
    // RESTORE, and RESTORE REPLACE with a past TTL (a deletion).
    for (setup, extra) in [
        (NONE, &[][..]),
        (STR_K, &[&b"REPLACE"[..], &b"ABSTTL"[..]][..]),
    ] {
        let mut a = srv.client();
        let mut b = srv.client();
        a.cmd(&["FLUSHALL"]);
        run(&mut b, setup);
        a.cmd(&["WATCH", "k"]);
        let ttl: &[u8] = if extra.is_empty() { b"0" } else { b"1" };
        let mut args: Vec<&[u8]> = vec![b"RESTORE", b"k", ttl, &dump];
        args.extend_from_slice(extra);
        assert_eq!(b.cmd_bytes(&args), Resp::ok());
        a.cmd(&["MULTI"]);
        a.cmd(&["PING"]);
        assert_eq!(a.cmd(&["EXEC"]), Resp::Array(None), "RESTORE {extra:?}");
    }
}
