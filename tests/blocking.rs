//! Blocking commands over the wire: clients parked by BLPOP/BRPOP/BLMOVE/
//! BLMPOP/BZPOPMIN/BZMPOP are served in FIFO order by the command that makes
//! a key ready, time out with a null array, can be ended by CLIENT UNBLOCK,
//! survive the idle `timeout`, and keep their pipelined requests for after.
//! Mirrors Redis' blocked.c and tests/unit/type/list.tcl / zset.tcl.

#[macro_use]
mod common;

use common::{Client, Resp, Server};
use std::time::{Duration, Instant};

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

/// Wait until INFO reports `n` blocked clients.
fn wait_blocked(c: &mut Client, n: usize) {
    let ok = common::wait_for(Duration::from_secs(5), || {
        c.info_field("clients", "blocked_clients") == Some(n.to_string())
    });
    assert!(ok, "blocked_clients never reached {n}");
}

#[test]
fn blpop_serves_at_once_when_a_key_has_data() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "b", "x", "y"]);
    assert_eq!(c.cmd(&["BLPOP", "a", "b", "0"]), Resp::bulks(&["b", "x"]));
    assert_eq!(c.cmd(&["BRPOP", "a", "b", "0"]), Resp::bulks(&["b", "y"]));
    assert_eq!(c.cmd(&["EXISTS", "b"]), int(0));
}

#[test]
fn blocked_clients_are_served_in_fifo_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut w1 = srv.client();
    let mut w2 = srv.client();
    w1.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut c, 1);
    w2.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut c, 2);
    assert_eq!(c.cmd(&["RPUSH", "q", "a", "b", "c"]), int(3));
    assert_eq!(w1.read_reply(), Resp::bulks(&["q", "a"]));
    assert_eq!(w2.read_reply(), Resp::bulks(&["q", "b"]));
    assert_eq!(c.cmd(&["LRANGE", "q", "0", "-1"]), Resp::bulks(&["c"]));
    assert_eq!(c.info_field("clients", "blocked_clients").unwrap(), "0");
}

#[test]
fn timeout_replies_null_array_in_both_protocols() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let t = Instant::now();
    assert_eq!(c.cmd(&["BLPOP", "nokey", "0.1"]), Resp::Array(None));
    // It waited (ms granularity: the deadline may land up to 1 ms early).
    assert!(t.elapsed() >= Duration::from_millis(90));
    assert_eq!(
        c.cmd(&["BRPOPLPUSH", "nokey", "dst", "0.05"]),
        Resp::Array(None)
    );
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["BZPOPMIN", "nokey", "0.05"]), Resp::Null);
}

#[test]
fn timeout_argument_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["BLPOP", "k", "-1"]),
        Resp::err("ERR timeout is negative")
    );
    assert_eq!(
        c.cmd(&["BLPOP", "k", "abc"]),
        Resp::err("ERR timeout is not a float or out of range")
    );
    assert_eq!(
        c.cmd(&["BLMPOP", "0", "0", "k", "LEFT"]),
        Resp::err("ERR numkeys should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["BLMPOP", "0", "2", "k", "LEFT"]),
        Resp::err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"]),
        Resp::err("ERR count should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["BZMPOP", "0", "1", "k", "UP"]),
        Resp::err("ERR syntax error")
    );
    c.cmd(&["SET", "s", "v"]);
    assert_eq!(
        c.cmd(&["BLPOP", "s", "0"]),
        Resp::err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn blmove_moves_to_the_destination_when_served() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut w = srv.client();
    w.send(&["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "src", "a", "b"]);
    assert_eq!(w.read_reply(), Resp::bulk("b"));
    assert_eq!(c.cmd(&["LRANGE", "dst", "0", "-1"]), Resp::bulks(&["b"]));
    assert_eq!(c.cmd(&["LRANGE", "src", "0", "-1"]), Resp::bulks(&["a"]));
}

#[test]
fn chained_blmove_wakes_the_next_waiter() {
    // BLMOVE a->b and BLPOP b: pushing to a serves both, in one pass.
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut mover = srv.client();
    let mut popper = srv.client();
    mover.send(&["BLMOVE", "a", "b", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut c, 1);
    popper.send(&["BLPOP", "b", "0"]);
    wait_blocked(&mut c, 2);
    c.cmd(&["LPUSH", "a", "x"]);
    assert_eq!(mover.read_reply(), Resp::bulk("x"));
    assert_eq!(popper.read_reply(), Resp::bulks(&["b", "x"]));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
}

#[test]
fn blmpop_and_bzmpop_reply_with_key_and_elements() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut w = srv.client();
    w.send(&["BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "l2", "a", "b", "c"]);
    assert_eq!(
        w.read_reply(),
        Resp::arr(vec![Resp::bulk("l2"), Resp::bulks(&["c", "b"])])
    );
    w.send(&["BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["ZADD", "z", "1", "m1", "2", "m2"]);
    assert_eq!(
        w.read_reply(),
        Resp::arr(vec![
            Resp::bulk("z"),
            Resp::arr(vec![Resp::bulks(&["m1", "1"]), Resp::bulks(&["m2", "2"])])
        ])
    );
}

#[test]
fn bzpopmax_served_by_zadd() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut w = srv.client();
    w.send(&["BZPOPMAX", "z1", "z2", "0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["ZADD", "z2", "1.5", "a", "3", "b"]);
    assert_eq!(w.read_reply(), Resp::bulks(&["z2", "b", "3"]));
    assert_eq!(c.cmd(&["ZCARD", "z2"]), int(1));
}

#[test]
fn a_key_of_another_type_leaves_the_client_blocked() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut w = srv.client();
    w.send(&["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["ZADD", "k", "1", "a"]);
    c.cmd(&["DEL", "k"]);
    c.cmd(&["RPUSH", "k", "v"]);
    assert_eq!(w.read_reply(), Resp::bulks(&["k", "v"]));
}

#[test]
fn client_unblock_timeout_and_error() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut w = srv.client();
    let id = w.cmd(&["CLIENT", "ID"]).int().to_string();
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id]), int(0));
    w.send(&["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    let list = c.cmd(&["CLIENT", "LIST"]).text();
    assert!(list.contains("flags=b "), "{list}");
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), int(1));
    assert_eq!(w.read_reply(), Resp::Array(None));
    w.send(&["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(
        c.cmd(&["CLIENT", "UNBLOCK", &id, "MAYBE"]),
        Resp::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    );
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), int(1));
    assert_eq!(
        w.read_reply(),
        Resp::err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    );
    assert_eq!(w.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn pipelined_requests_wait_for_the_unblock() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut w = srv.client();
    w.send_raw(b"BLPOP k 0\r\nPING\r\n");
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "k", "v"]);
    assert_eq!(w.read_reply(), Resp::bulks(&["k", "v"]));
    assert_eq!(w.read_reply(), Resp::simple("PONG"));
}

#[test]
fn disconnecting_while_blocked_forgets_the_client() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    {
        let mut w = srv.client();
        w.send(&["BLPOP", "k", "0"]);
        wait_blocked(&mut c, 1);
    }
    wait_blocked(&mut c, 0);
    c.cmd(&["RPUSH", "k", "v"]);
    assert_eq!(c.cmd(&["LLEN", "k"]), int(1));
}

#[test]
fn blocked_clients_ignore_the_idle_timeout() {
    let srv = Server::start(&["--timeout", "1"]);
    let mut c = srv.client();
    let mut w = srv.client();
    w.send(&["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    std::thread::sleep(Duration::from_millis(2500));
    // The idle client `c` was closed meanwhile; the blocked one was not.
    let mut pusher = srv.client();
    pusher.cmd(&["RPUSH", "k", "v"]);
    assert_eq!(w.read_reply(), Resp::bulks(&["k", "v"]));
}

#[test]
fn commandstats_count_a_blocked_command_once() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut w = srv.client();
    w.send(&["BRPOP", "k", "0.05"]);
    assert_eq!(w.read_reply(), Resp::Array(None));
    let info = c.cmd(&["INFO", "commandstats"]).text();
    assert!(info.contains("cmdstat_brpop:calls=1,"), "{info}");
}
