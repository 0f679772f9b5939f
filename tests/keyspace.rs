//! Generic keyspace commands over the wire: DEL/EXISTS counting, KEYS and
//! SCAN (MATCH, COUNT, TYPE, and SCAN's guarantee that a full iteration
//! returns every key present throughout, even while the table grows),
//! RENAME/RENAMENX/MOVE/COPY/SWAPDB, FLUSHDB/FLUSHALL, RANDOMKEY, DBSIZE, TYPE.
//! Mirrors Redis' db.c and tests/unit/keyspace.tcl, tests/unit/scan.tcl;
//! expected replies are what Redis 7.0.15 sends.

mod common;

use common::{Client, Resp, Server};
use std::collections::HashSet;

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Runs a full SCAN iteration with `extra` options; returns every key seen
/// (with repeats) and checks that each cursor is a decimal string.
fn scan_all(c: &mut Client, extra: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend(extra);
        let reply = c.cmd(&args).items();
        assert_eq!(reply.len(), 2, "SCAN reply shape");
        let next = reply[0].text();
        assert!(next.parse::<u64>().is_ok(), "cursor {next:?}");
        keys.extend(reply[1].strings());
        if next == "0" {
            return keys;
        }
        cursor = next;
    }
}

#[test]
fn del_and_exists_count_every_argument() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["MSET", "a", "1", "b", "2"]);
    assert_eq!(
        c.cmd(&["EXISTS", "a", "a", "b", "c"]),
        int(3),
        "EXISTS counts repeats"
    );
    assert_eq!(
        c.cmd(&["DEL", "a", "a", "c"]),
        int(1),
        "DEL counts keys removed"
    );
    assert_eq!(c.cmd(&["UNLINK", "b", "zz"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "a", "b"]), int(0));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
}

#[test]
fn keys_matches_glob_patterns() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&[
        "MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1", "h*llo",
        "1",
    ]);
    let keys = |c: &mut Client, p: &str| sorted(c.cmd(&["KEYS", p]).strings());
    assert_eq!(keys(&mut c, "h?llo"), ["h*llo", "hallo", "hello", "hxllo"]);
    assert_eq!(
        keys(&mut c, "h*llo"),
        ["h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"]
    );
    assert_eq!(keys(&mut c, "h[ae]llo"), ["hallo", "hello"]);
    assert_eq!(keys(&mut c, "h[^e]llo"), ["h*llo", "hallo", "hxllo"]);
    assert_eq!(keys(&mut c, "h[a-b]llo"), ["hallo"]);
    assert_eq!(keys(&mut c, "h\\*llo"), ["h*llo"]);
    assert_eq!(keys(&mut c, "nothing*"), Vec::<String>::new());
    assert_eq!(c.cmd(&["KEYS", "*"]).items().len(), 6);
    assert_eq!(
        c.cmd(&["KEYS"]),
        Resp::err("ERR wrong number of arguments for 'keys' command")
    );
}

#[test]
fn scan_with_match_count_and_type_filters_keys() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for i in 0..1000 {
        c.cmd(&["SET", &format!("key:{i}"), "v"]);
    }
    for i in 0..10 {
        c.cmd(&["SET", &format!("other:{i}"), "v"]);
    }
    let all: HashSet<String> = scan_all(&mut c, &["COUNT", "7"]).into_iter().collect();
    assert_eq!(all.len(), 1010);
    let other: HashSet<String> = scan_all(&mut c, &["MATCH", "other:*", "COUNT", "100"])
        .into_iter()
        .collect();
    assert_eq!(other, (0..10).map(|i| format!("other:{i}")).collect());
    let strings = scan_all(&mut c, &["TYPE", "string", "COUNT", "1000"]);
    assert_eq!(strings.iter().collect::<HashSet<_>>().len(), 1010);
    assert!(scan_all(&mut c, &["TYPE", "list"]).is_empty());
    assert!(
        scan_all(&mut c, &["TYPE", "nosuchtype"]).is_empty(),
        "7.0 filters out every key"
    );
}

#[test]
fn scan_argument_errors_match_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "b", "1"]);
    assert_eq!(c.cmd(&["SCAN", "abc"]), Resp::err("ERR invalid cursor"));
    assert_eq!(
        c.cmd(&["SCAN", "18446744073709551616"]),
        Resp::err("ERR invalid cursor")
    );
    assert_eq!(
        c.cmd(&["SCAN", "0", "COUNT", "0"]),
        Resp::err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SCAN", "0", "MATCH"]),
        Resp::err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SCAN", "0", "FOO", "1"]),
        Resp::err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SCAN", "0", "COUNT", "x"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    // cursors are parsed like strtoull: -1 is 2^64-1, still a valid cursor
    assert_eq!(c.cmd(&["SCAN", "-1"]).items()[0], Resp::bulk("0"));
    assert_eq!(
        c.cmd(&["SCAN", "18446744073709551615"]).items()[0],
        Resp::bulk("0")
    );
}

#[test]
fn scan_returns_every_key_present_for_the_whole_iteration_while_keys_are_added() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    const N: usize = 12_000;
    let mut load = Vec::new();
    for i in 0..N {
        load.extend(common::encode_strs(&["SET", &format!("k:{i}"), "v"]));
    }
    c.send_raw(&load);
    for _ in 0..N {
        assert_eq!(c.read_reply(), Resp::ok());
    }
    assert_eq!(c.cmd(&["DBSIZE"]), int(N as i64));

    // Grow the table during the iteration (forcing rehashes) and check that
    // none of the original keys is missed.
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut added = 0;
    let mut calls = 0;
    loop {
        let reply = c.cmd(&["SCAN", &cursor, "COUNT", "50"]).items();
        seen.extend(reply[1].strings());
        calls += 1;
        for _ in 0..60 {
            c.send(&["SET", &format!("new:{added}"), "v"]);
            added += 1;
        }
        for _ in 0..60 {
            assert_eq!(c.read_reply(), Resp::ok());
        }
        cursor = reply[0].text();
        if cursor == "0" {
            break;
        }
        assert!(calls < 100_000, "SCAN never finished");
    }
    let missing: Vec<usize> = (0..N)
        .filter(|i| !seen.contains(&format!("k:{i}")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} keys never returned, e.g. k:{}",
        missing.len(),
        missing[0]
    );
}

#[test]
fn rename_and_renamenx_move_the_value_and_ttl() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["RENAME", "nokey", "x"]),
        Resp::err("ERR no such key")
    );
    assert_eq!(
        c.cmd(&["RENAMENX", "nokey", "x"]),
        Resp::err("ERR no such key")
    );
    c.cmd(&["SET", "a", "1", "EX", "100"]);
    assert_eq!(c.cmd(&["RENAME", "a", "b"]), Resp::ok());
    assert_eq!(c.cmd(&["EXISTS", "a"]), int(0));
    assert_eq!(c.cmd(&["GET", "b"]), Resp::bulk("1"));
    assert!(c.cmd(&["TTL", "b"]).int() >= 99, "RENAME keeps the TTL");
    assert_eq!(c.cmd(&["RENAME", "b", "b"]), Resp::ok());
    assert_eq!(c.cmd(&["RENAMENX", "b", "b"]), int(0));
    c.cmd(&["SET", "c", "3"]);
    assert_eq!(c.cmd(&["RENAMENX", "b", "c"]), int(0));
    assert_eq!(c.cmd(&["GET", "c"]), Resp::bulk("3"));
    assert_eq!(c.cmd(&["RENAMENX", "b", "d"]), int(1));
    // RENAME over a key with a TTL: the target takes the source's (absent) TTL
    c.cmd(&["SET", "e", "x", "EX", "100"]);
    assert_eq!(c.cmd(&["RENAME", "c", "e"]), Resp::ok());
    assert_eq!(c.cmd(&["TTL", "e"]), int(-1));
    assert_eq!(c.cmd(&["GET", "e"]), Resp::bulk("3"));
}

#[test]
fn move_transfers_a_key_to_another_db_only_if_absent_there() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(
        c.cmd(&["MOVE", "k", "0"]),
        Resp::err("ERR source and destination objects are the same")
    );
    assert_eq!(
        c.cmd(&["MOVE", "k", "16"]),
        Resp::err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["MOVE", "k", "-1"]),
        Resp::err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["MOVE", "k", "abc"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["MOVE", "nokey", "1"]), int(0));
    assert_eq!(c.cmd(&["MOVE", "k", "1"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
    c.cmd(&["SET", "k", "v0"]);
    assert_eq!(
        c.cmd(&["MOVE", "k", "1"]),
        int(0),
        "the target db already has it"
    );
    assert_eq!(c.cmd(&["SELECT", "1"]), Resp::ok());
    assert_eq!(c.cmd(&["GET", "k"]), Resp::bulk("v"));
}

#[test]
fn copy_duplicates_a_key_with_db_and_replace() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "a", "1", "EX", "100"]);
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(
        c.cmd(&["COPY", "a", "a"]),
        Resp::err("ERR source and destination objects are the same")
    );
    assert_eq!(
        c.cmd(&["COPY", "a", "d", "DB", "16"]),
        Resp::err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["COPY", "a", "d", "DB", "abc"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["COPY", "a", "d", "FOO"]),
        Resp::err("ERR syntax error")
    );
    assert_eq!(c.cmd(&["COPY", "nokey", "d"]), int(0));
    assert_eq!(c.cmd(&["COPY", "a", "b"]), int(0));
    assert_eq!(c.cmd(&["GET", "b"]), Resp::bulk("2"));
    assert_eq!(c.cmd(&["COPY", "a", "b", "REPLACE"]), int(1));
    assert_eq!(c.cmd(&["GET", "b"]), Resp::bulk("1"));
    assert!(c.cmd(&["TTL", "b"]).int() >= 99, "COPY keeps the TTL");
    assert_eq!(c.cmd(&["COPY", "a", "a", "DB", "3"]), int(1));
    c.cmd(&["SELECT", "3"]);
    assert_eq!(c.cmd(&["GET", "a"]), Resp::bulk("1"));
    // the copy is independent of the source
    c.cmd(&["APPEND", "a", "x"]);
    c.cmd(&["SELECT", "0"]);
    assert_eq!(c.cmd(&["GET", "a"]), Resp::bulk("1"));
}

#[test]
fn swapdb_exchanges_databases_for_every_client() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut other = srv.client();
    c.cmd(&["SET", "in0", "x"]);
    other.cmd(&["SELECT", "1"]);
    other.cmd(&["MSET", "in1", "y", "in1b", "z"]);
    assert_eq!(c.cmd(&["SWAPDB", "0", "1"]), Resp::ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(2));
    assert_eq!(c.cmd(&["GET", "in1"]), Resp::bulk("y"));
    assert_eq!(other.cmd(&["GET", "in0"]), Resp::bulk("x"));
    assert_eq!(c.cmd(&["SWAPDB", "0", "0"]), Resp::ok());
    assert_eq!(
        c.cmd(&["SWAPDB", "0", "16"]),
        Resp::err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["SWAPDB", "a", "1"]),
        Resp::err("ERR invalid first DB index")
    );
    assert_eq!(
        c.cmd(&["SWAPDB", "0", "b"]),
        Resp::err("ERR invalid second DB index")
    );
}

#[test]
fn flushdb_empties_one_db_and_flushall_every_db() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SELECT", "5"]);
    c.cmd(&["MSET", "b", "2", "c", "3"]);
    assert_eq!(c.cmd(&["FLUSHDB"]), Resp::ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SET", "b", "2"]);
    c.cmd(&["SELECT", "0"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(c.cmd(&["FLUSHDB", "ASYNC"]), Resp::ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SET", "a", "1"]);
    assert_eq!(c.cmd(&["FLUSHALL", "foo"]), Resp::err("ERR syntax error"));
    assert_eq!(c.cmd(&["FLUSHALL", "SYNC"]), Resp::ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SELECT", "5"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    assert_eq!(
        c.cmd(&["SELECT", "16"]),
        Resp::err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["SELECT", "abc"]),
        Resp::err("ERR value is not an integer or out of range")
    );
}

#[test]
fn randomkey_dbsize_and_type() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["RANDOMKEY"]), Resp::nil());
    assert_eq!(c.cmd(&["TYPE", "k"]), Resp::simple("none"));
    c.cmd(&["SET", "only", "v"]);
    assert_eq!(c.cmd(&["RANDOMKEY"]), Resp::bulk("only"));
    assert_eq!(c.cmd(&["TYPE", "only"]), Resp::simple("string"));
    for i in 0..50 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(c.cmd(&["DBSIZE"]), int(51));
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let k = c.cmd(&["RANDOMKEY"]).text();
        assert!(k == "only" || k.starts_with('k'), "{k}");
        seen.insert(k);
    }
    assert!(
        seen.len() > 10,
        "RANDOMKEY is not random: {} distinct keys",
        seen.len()
    );
    assert_eq!(
        c.cmd(&["DBSIZE", "x"]),
        Resp::err("ERR wrong number of arguments for 'dbsize' command")
    );
}
