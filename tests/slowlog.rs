//! SLOWLOG against a spawned server: what gets logged (threshold, the
//! command as sent, blocked commands when they complete, EXEC's commands but
//! not EXEC), the entry shape, trimming of long argument lists and
//! strings, redaction of secrets, the length cap and the GET count rules.

mod common;

use common::{Client, Resp, Server};

fn ok(r: Resp) {
    assert_eq!(r, Resp::ok());
}

/// The arguments of entry `i` of SLOWLOG GET -1 (0 = newest).
fn args_of(c: &mut Client, i: usize) -> Vec<String> {
    let all = c.cmd(&["SLOWLOG", "GET", "-1"]).items();
    all[i].items()[3].strings()
}

#[test]
fn only_commands_over_the_threshold_are_logged_with_their_details() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    ok(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "100000"]));
    ok(c.cmd(&["SLOWLOG", "RESET"]));
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]).int(), 0);
    ok(c.cmd(&["CLIENT", "SETNAME", "sleepy"]));
    ok(c.cmd(&["DEBUG", "SLEEP", "0.15"]));
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]).int(), 1);
    let e = c.cmd(&["SLOWLOG", "GET"]).items()[0].items();
    assert_eq!(e.len(), 6);
    assert!(e[2].int() >= 150_000, "duration {:?}", e[2]);
    assert_eq!(e[3].strings(), ["DEBUG", "SLEEP", "0.15"]);
    assert!(e[4].text().starts_with("127.0.0.1:"));
    assert_eq!(e[5].text(), "sleepy");
    // A negative threshold turns the log off.
    ok(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]));
    ok(c.cmd(&["DEBUG", "SLEEP", "0.15"]));
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]).int(), 1);
}

#[test]
fn length_cap_trimming_and_get_counts() {
    let s = Server::start(&[]);
    let mut c = s.client();
    ok(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]));
    ok(c.cmd(&["CONFIG", "SET", "slowlog-max-len", "10"]));
    for _ in 0..50 {
        c.cmd(&["PING"]);
    }
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]).int(), 10);
    assert_eq!(c.cmd(&["SLOWLOG", "GET", "5"]).items().len(), 5);
    assert_eq!(c.cmd(&["SLOWLOG", "GET", "0"]).items().len(), 0);
    assert_eq!(c.cmd(&["SLOWLOG", "GET", "-1"]).items().len(), 10);
    assert_eq!(
        c.cmd(&["SLOWLOG", "GET", "-2"]),
        Resp::err("ERR count should be greater than or equal to -1")
    );
    assert_eq!(
        c.cmd(&["SLOWLOG", "GET", "x"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    // IDs keep counting across RESET.
    let newest = c.cmd(&["SLOWLOG", "GET", "1"]).items()[0].items()[0].int();
    ok(c.cmd(&["SLOWLOG", "RESET"]));
    let after = c.cmd(&["SLOWLOG", "GET", "1"]).items()[0].items()[0].int();
    assert!(after > newest);

    let mut sadd = vec!["SADD", "set"];
    let nums: Vec<String> = (3..=33).map(|i| i.to_string()).collect();
    sadd.extend(nums.iter().map(|s| s.as_str()));
    assert_eq!(c.cmd(&sadd).int(), 31);
    let logged = args_of(&mut c, 0);
    assert_eq!(logged.len(), 32);
    assert_eq!(logged[31], "... (2 more arguments)");
    assert_eq!(logged[30], "31");
    let long = "A".repeat(129);
    assert_eq!(c.cmd(&["SADD", "set", "foo", &long]).int(), 2);
    let logged = args_of(&mut c, 0);
    assert_eq!(logged[3], format!("{}... (1 more bytes)", "A".repeat(128)));
}

#[test]
fn secrets_are_redacted() {
    let s = Server::start(&[]);
    let mut c = s.client();
    ok(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]));
    ok(c.cmd(&["CONFIG", "SET", "masterauth", "hunter2"]));
    assert_eq!(
        args_of(&mut c, 0),
        ["CONFIG", "SET", "masterauth", "(redacted)"]
    );
    assert!(c.cmd(&["AUTH", "nopass-here"]).is_error());
    assert_eq!(args_of(&mut c, 0), ["AUTH", "(redacted)"]);
    // The key does not exist: NOKEY, but the command is logged all the same.
    let _ = c.cmd(&[
        "MIGRATE",
        "127.0.0.1",
        "1",
        "k",
        "0",
        "10",
        "AUTH2",
        "u",
        "p",
    ]);
    let m = args_of(&mut c, 0);
    assert_eq!(m[6..], ["AUTH2", "(redacted)", "(redacted)"]);
}

#[test]
fn transactions_and_blocked_commands_are_logged_as_sent() {
    let s = Server::start(&[]);
    let mut c = s.client();
    ok(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]));
    let mut blocked = s.client();
    blocked.send(&["BLPOP", "l", "0"]);
    assert!(common::wait_for(std::time::Duration::from_secs(5), || {
        c.cmd(&["INFO", "clients"])
            .text()
            .contains("blocked_clients:1")
    }));
    ok(c.cmd(&["MULTI"]));
    c.cmd(&["LPUSH", "l", "foo"]);
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["EXEC"]);
    assert_eq!(blocked.read_reply(), Resp::bulks(&["l", "foo"]));
    // Newest first: the BLPOP, served after EXEC, then SLOWLOG RESET from
    // inside it; EXEC itself is never logged.
    let log: Vec<Vec<String>> = c
        .cmd(&["SLOWLOG", "GET", "-1"])
        .items()
        .iter()
        .map(|e| e.items()[3].strings())
        .collect();
    assert_eq!(log, [vec!["BLPOP", "l", "0"], vec!["SLOWLOG", "RESET"]]);
}
