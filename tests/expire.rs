//! Key expiry over the wire: the EXPIRE family and its NX/XX/GT/LT options,
//! TTL/PTTL/EXPIRETIME/PEXPIRETIME, PERSIST, lazy expiry on access, the
//! active expire cycle (keys vanish without being touched) and
//! `DEBUG SET-ACTIVE-EXPIRE`. Mirrors Redis' expire.c and
//! tests/unit/expire.tcl; expected replies are what Redis 7.0.15 sends.
//!
//! Timing: keys get short TTLs and the tests then poll with a deadline; the
//! only fixed sleeps wait for a TTL to pass, where waiting longer is harmless.

mod common;

use common::{wait_for, Client, Resp, Server};
use std::thread;
use std::time::Duration;

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

fn expired_keys(c: &mut Client) -> i64 {
    c.info_field("stats", "expired_keys")
        .and_then(|v| v.parse().ok())
        .expect("expired_keys in INFO stats")
}

#[test]
fn expire_options_nx_xx_gt_lt_compare_with_the_current_ttl() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "k", "v"]);
    // no TTL yet: XX refuses, GT refuses (no TTL counts as infinite), LT accepts
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "XX"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "LT"]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", "k", "50", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "k", "200", "GT"]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", "k", "300", "LT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "NX"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "k", "50", "xx", "lt"]), int(1));
    let ttl = c.cmd(&["TTL", "k"]).int();
    assert!((49..=50).contains(&ttl), "{ttl}");
    c.cmd(&["PERSIST", "k"]);
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "NX"]), int(1));
    assert_eq!(c.cmd(&["PEXPIRE", "k", "5000000", "GT"]), int(1));
    assert_eq!(c.cmd(&["EXPIREAT", "k", "4102444800", "LT"]), int(0));
    assert_eq!(c.cmd(&["PEXPIREAT", "k", "4102444800000", "GT"]), int(1));
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), int(4_102_444_800));
}

#[test]
fn expire_argument_errors_match_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "k", "v"]);
    let incompatible =
        Resp::err("ERR NX and XX, GT or LT options at the same time are not compatible");
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "NX", "XX"]), incompatible);
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "NX", "GT"]), incompatible);
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "100", "GT", "LT"]),
        Resp::err("ERR GT and LT options at the same time are not compatible")
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "100", "foo"]),
        Resp::err("ERR Unsupported option foo")
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "abc"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "1.5"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    for (cmd, arg) in [
        ("expire", "9223372036854775807"),
        ("expire", "9223372036854775"),
        ("expire", "-9223372036854775808"),
        ("pexpire", "9223372036854775807"),
        ("expireat", "9223372036854775807"),
    ] {
        assert_eq!(
            c.cmd(&[cmd, "k", arg]),
            Resp::Error(format!("ERR invalid expire time in '{cmd}' command")),
            "{cmd} {arg}"
        );
    }
    assert_eq!(
        c.cmd(&["TTL", "k"]),
        int(-1),
        "failed EXPIREs must not set a TTL"
    );
    // the largest seconds value that still fits in milliseconds
    assert_eq!(c.cmd(&["EXPIRE", "k", "922337203685477"]), int(1));
    assert_eq!(c.cmd(&["TTL", "k"]), int(922_337_203_685_477));
}

#[test]
fn ttl_family_reports_missing_and_persistent_keys() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(c.cmd(&[cmd, "nokey"]), int(-2), "{cmd} of a missing key");
    }
    c.cmd(&["SET", "p", "v"]);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(c.cmd(&[cmd, "p"]), int(-1), "{cmd} of a key without TTL");
    }
    assert_eq!(c.cmd(&["EXPIRE", "nokey", "10"]), int(0));
    assert_eq!(c.cmd(&["PEXPIRE", "p", "100000"]), int(1));
    let pttl = c.cmd(&["PTTL", "p"]).int();
    assert!((95_000..=100_000).contains(&pttl), "{pttl}");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let at = c.cmd(&["PEXPIRETIME", "p"]).int();
    assert!(
        (at - (now_ms + 100_000)).abs() < 5_000,
        "PEXPIRETIME {at} vs now {now_ms}"
    );
    // seconds are rounded to the nearest, not truncated
    assert_eq!(c.cmd(&["EXPIRETIME", "p"]), int((at + 500) / 1000));
    c.cmd(&["PEXPIREAT", "p", "4102444800600"]);
    assert_eq!(c.cmd(&["EXPIRETIME", "p"]), int(4_102_444_801));
    c.cmd(&["PEXPIREAT", "p", "4102444800499"]);
    assert_eq!(c.cmd(&["EXPIRETIME", "p"]), int(4_102_444_800));
}

#[test]
fn persist_removes_the_ttl_only_when_there_is_one() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["PERSIST", "nokey"]), int(0));
    c.cmd(&["SET", "p", "v"]);
    assert_eq!(c.cmd(&["PERSIST", "p"]), int(0));
    c.cmd(&["EXPIRE", "p", "100"]);
    assert_eq!(c.cmd(&["PERSIST", "p"]), int(1));
    assert_eq!(c.cmd(&["TTL", "p"]), int(-1));
}

#[test]
fn a_ttl_in_the_past_deletes_the_key_at_once() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for args in [
        &["EXPIRE", "k", "0"][..],
        &["EXPIRE", "k", "-10"],
        &["PEXPIRE", "k", "-1"],
        &["EXPIREAT", "k", "1"],
        &["PEXPIREAT", "k", "1"],
    ] {
        c.cmd(&["SET", "k", "v"]);
        assert_eq!(c.cmd(args), int(1), "{args:?}");
        assert_eq!(c.cmd(&["EXISTS", "k"]), int(0), "{args:?}");
    }
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
}

#[test]
fn an_expired_key_is_deleted_lazily_when_accessed() {
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), Resp::ok());
    c.cmd(&["SET", "k", "v", "PX", "100"]);
    c.cmd(&["SET", "k2", "v", "PX", "100"]);
    c.cmd(&["SET", "keep", "v"]);
    thread::sleep(Duration::from_millis(400)); // both TTLs have passed
                                               // nobody touched them and the cycle is off: still counted, still stored
    assert_eq!(c.cmd(&["DBSIZE"]), int(3));
    assert_eq!(expired_keys(&mut c), 0);
    assert_eq!(c.cmd(&["GET", "k"]), Resp::nil());
    assert_eq!(c.cmd(&["DBSIZE"]), int(2));
    assert_eq!(expired_keys(&mut c), 1);
    assert_eq!(c.cmd(&["EXISTS", "k2"]), int(0));
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(expired_keys(&mut c), 2);
    // an expired key is gone for every command, not only reads
    c.cmd(&["SET", "r", "v", "PX", "50"]);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(c.cmd(&["RENAME", "r", "r2"]), Resp::err("ERR no such key"));
    assert_eq!(
        c.cmd(&["APPEND", "r", "x"]),
        int(1),
        "APPEND starts from an empty string"
    );
}

#[test]
fn active_expiry_removes_keys_that_are_never_accessed() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut load = Vec::new();
    for i in 0..1000 {
        load.extend(common::encode_strs(&[
            "SET",
            &format!("short:{i}"),
            "v",
            "PX",
            "100",
        ]));
    }
    for i in 0..100 {
        load.extend(common::encode_strs(&["SET", &format!("long:{i}"), "v"]));
    }
    c.send_raw(&load);
    for _ in 0..1100 {
        assert_eq!(c.read_reply(), Resp::ok());
    }
    // also in another db
    c.cmd(&["SELECT", "9"]);
    c.cmd(&["SET", "other", "v", "PX", "100"]);
    c.cmd(&["SELECT", "0"]);
    let gone = wait_for(Duration::from_secs(20), || c.cmd(&["DBSIZE"]) == int(100));
    assert!(gone, "active expiry left {:?} keys", c.cmd(&["DBSIZE"]));
    let all_gone = wait_for(Duration::from_secs(20), || expired_keys(&mut c) == 1001);
    assert!(all_gone, "expired_keys = {}", expired_keys(&mut c));
    c.cmd(&["SELECT", "9"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
}

#[test]
fn debug_set_active_expire_0_stops_the_cycle_and_1_restarts_it() {
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), Resp::ok());
    for i in 0..50 {
        c.cmd(&["SET", &format!("k{i}"), "v", "PX", "50"]);
    }
    // far longer than the TTLs and several cron ticks (hz 10): nothing removed
    thread::sleep(Duration::from_millis(1000));
    assert_eq!(c.cmd(&["DBSIZE"]), int(50));
    assert_eq!(expired_keys(&mut c), 0);
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), Resp::ok());
    assert!(wait_for(Duration::from_secs(20), || c.cmd(&["DBSIZE"]) == int(0)));
    assert_eq!(expired_keys(&mut c), 50);
}
