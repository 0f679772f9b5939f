//! The latency monitor against a spawned server: what gets recorded
//! (commands over latency-monitor-threshold, the active expire cycle,
//! evictions, AOF writes), LATEST / HISTORY / GRAPH / RESET / DOCTOR, and the HISTOGRAM of a
//! container command.

mod common;

use common::{wait_for, Client, Resp, Server};
use std::time::Duration;

fn ok(r: Resp) {
    assert_eq!(r, Resp::ok());
}

/// LATENCY LATEST as (event, time, latest ms, max ms).
fn latest(c: &mut Client) -> Vec<(String, i64, i64, i64)> {
    c.cmd(&["LATENCY", "LATEST"])
        .items()
        .into_iter()
        .map(|e| {
            let e = e.items();
            (e[0].text(), e[1].int(), e[2].int(), e[3].int())
        })
        .collect()
}

fn event_names(c: &mut Client) -> Vec<String> {
    latest(c).into_iter().map(|e| e.0).collect()
}

#[test]
fn slow_commands_are_sampled_once_per_second_and_reported() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    // Off by default: nothing is recorded.
    ok(c.cmd(&["DEBUG", "SLEEP", "0.12"]));
    assert!(latest(&mut c).is_empty());
    assert!(c.cmd(&["LATENCY", "DOCTOR"]).text().contains("off"));

    ok(c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "100"]));
    ok(c.cmd(&["DEBUG", "SLEEP", "0.05"])); // under the threshold
    assert!(latest(&mut c).is_empty());
    ok(c.cmd(&["DEBUG", "SLEEP", "0.15"]));
    std::thread::sleep(Duration::from_millis(1100));
    ok(c.cmd(&["DEBUG", "SLEEP", "0.25"]));

    let history = c.cmd(&["LATENCY", "HISTORY", "command"]).items();
    assert_eq!(history.len(), 2, "{history:?}");
    let first = history[0].items();
    let second = history[1].items();
    assert!(first[1].int() >= 150, "{first:?}");
    assert!(second[1].int() >= 250, "{second:?}");
    assert!(second[0].int() > first[0].int());

    let l = latest(&mut c);
    assert_eq!(l.len(), 1);
    let (name, time, last, max) = &l[0];
    assert_eq!(name, "command");
    assert_eq!(*time, second[0].int());
    assert_eq!(*last, second[1].int());
    assert_eq!(*max, first[1].int().max(second[1].int()));

    let graph = c.cmd(&["LATENCY", "GRAPH", "command"]).text();
    assert!(
        graph.starts_with(&format!(
            "command - high {max} ms, low {} ms (all time high {max} ms)\n",
            first[1].int().min(second[1].int())
        )),
        "{graph}"
    );
    assert_eq!(
        c.cmd(&["LATENCY", "GRAPH", "fork"]),
        Resp::err("ERR No samples available for event 'fork'")
    );
    assert!(c.cmd(&["LATENCY", "DOCTOR"]).text().contains("command"));
    assert_eq!(c.cmd(&["LATENCY", "HISTORY", "nosuch"]).items().len(), 0);

    // RESET: by name (any case), unknown names count nothing, all.
    assert_eq!(c.cmd(&["LATENCY", "RESET", "nosuch"]).int(), 0);
    assert_eq!(c.cmd(&["LATENCY", "RESET", "COMMAND"]).int(), 1);
    assert!(latest(&mut c).is_empty());
    ok(c.cmd(&["DEBUG", "SLEEP", "0.12"]));
    assert_eq!(c.cmd(&["LATENCY", "RESET"]).int(), 1);
    assert_eq!(c.cmd(&["LATENCY", "RESET"]).int(), 0);
}

#[test]
fn expire_cycles_evictions_and_aof_writes_are_events_too() {
    let s = Server::start(&["--enable-debug-command", "yes", "--hz", "100"]);
    let mut c = s.client();
    ok(c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "1"]));
    // A set big enough that freeing it takes milliseconds, then expiring
    // it: the active cycle deletes it (nobody touches the key).
    for chunk in 0..100 {
        let mut args: Vec<String> = vec!["SADD".into(), "big".into()];
        args.extend((0..5000).map(|i| format!("member:{chunk}:{i}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&args).int(), 5000);
    }
    ok(c.cmd(&["CONFIG", "SET", "lazyfree-lazy-expire", "no"]));
    assert_eq!(c.cmd(&["PEXPIRE", "big", "10"]).int(), 1);
    assert!(wait_for(Duration::from_secs(5), || c
        .cmd(&["DBSIZE"])
        .int()
        == 0));
    assert!(
        event_names(&mut c).contains(&"expire-cycle".to_string()),
        "{:?}",
        latest(&mut c)
    );

    // Evictions: the same big set under a maxmemory it does not fit in.
    for chunk in 0..100 {
        let mut args: Vec<String> = vec!["SADD".into(), "big2".into()];
        args.extend((0..5000).map(|i| format!("member:{chunk}:{i}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        c.cmd(&args);
    }
    ok(c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]));
    ok(c.cmd(&["CONFIG", "SET", "maxmemory", "5mb"]));
    ok(c.cmd(&["SET", "small", "x"]));
    ok(c.cmd(&["CONFIG", "SET", "maxmemory", "0"]));
    let names = event_names(&mut c);
    assert!(names.contains(&"eviction-del".to_string()), "{names:?}");
    assert!(names.contains(&"eviction-cycle".to_string()), "{names:?}");

    // AOF: a big write to the file.
    ok(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]));
    assert!(wait_for(Duration::from_secs(10), || {
        let info = c.cmd(&["INFO", "persistence"]).text();
        info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0")
    }));
    let value = "v".repeat(64 << 20);
    ok(c.cmd(&["SET", "bigstring", &value]));
    let names = event_names(&mut c);
    assert!(names.contains(&"aof-write".to_string()), "{names:?}");
    assert!(names.contains(&"aof-write-alone".to_string()), "{names:?}");
}

#[test]
fn histogram_of_a_container_command_lists_its_subcommands() {
    let s = Server::start(&[]);
    let mut c = s.client();
    ok(c.cmd(&["CONFIG", "RESETSTAT"]));
    c.cmd(&["CLIENT", "ID"]);
    c.cmd(&["CLIENT", "GETNAME"]);
    let h = c.cmd(&["LATENCY", "HISTOGRAM", "client"]).items();
    let mut names: Vec<String> = h.iter().step_by(2).map(Resp::text).collect();
    names.sort();
    assert_eq!(names, ["client|getname", "client|id"]);
    let h = c
        .cmd(&["LATENCY", "HISTOGRAM", "client|id", "nosuch"])
        .items();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].text(), "client|id");
    let body = h[1].items();
    assert_eq!(body[0].text(), "calls");
    assert_eq!(body[1].int(), 1);
}

#[test]
fn serving_a_woken_client_is_sampled_as_command_unblocking() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let mut blocked = s.client();
    ok(c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "1"]));
    // BLMPOP waits on an empty list, then pops half a million elements in
    // one go: building that reply takes well over a millisecond.
    blocked.send(&["BLMPOP", "0", "1", "big", "LEFT", "COUNT", "1000000"]);
    assert!(wait_for(Duration::from_secs(5), || c
        .cmd(&["INFO", "clients"])
        .text()
        .contains("blocked_clients:1")));
    let mut push: Vec<&str> = vec!["RPUSH", "big"];
    push.extend(std::iter::repeat_n("x", 500_000));
    assert_eq!(c.cmd(&push), Resp::Int(500_000));
    let reply = blocked.read_reply().items();
    assert_eq!(reply[1].items().len(), 500_000);
    let names = event_names(&mut c);
    assert!(names.iter().any(|n| n == "command-unblocking"), "{names:?}");
}
