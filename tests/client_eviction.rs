//! Client eviction (`maxmemory-clients`) over the wire: which clients are
//! closed and in what order, CLIENT NO-EVICT, the percentage form, the
//! running client evicted before its command, a tracking redirect target
//! evicted as invalidations pile up, and what CLIENT LIST (`tot-mem`, flag
//! `e`), INFO (`evicted_clients`, `mem_clients_normal`) and the log show.
//! Mirrors Redis' tests/unit/client-eviction.tcl (FERRODIS_TEST_SERVER=
//! /usr/bin/redis-server runs these against Redis 7.0.15).

#[macro_use]
mod common;

use std::time::Duration;

use common::{wait_for, Client, Resp, Server};

fn info_field(c: &mut Client, section: &str, field: &str) -> String {
    let text = c.cmd(&["INFO", section]).text();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// `field` of the CLIENT LIST line of the client named `name`, if any.
fn client_field(c: &mut Client, name: &str, field: &str) -> Option<String> {
    let list = c.cmd(&["CLIENT", "LIST"]).text();
    let line = list
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))?
        .to_string();
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
        .map(str::to_string)
}

fn tot_mem(c: &mut Client, name: &str) -> Option<usize> {
    client_field(c, name, "tot-mem").and_then(|v| v.parse().ok())
}

fn exists(c: &mut Client, name: &str) -> bool {
    client_field(c, name, "id").is_some()
}

/// A connection named `name`.
fn named(srv: &Server, name: &str) -> Client {
    let mut c = srv.client();
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", name]), Resp::ok());
    c
}

/// Start a one-argument command whose single bulk of `n` bytes is sent
/// but for its CRLF, so it stays in the query buffer.
fn hold_query_buffer(c: &mut Client, n: usize) {
    let mut req = format!("*1\r\n${n}\r\n").into_bytes();
    req.resize(req.len() + n, b'v');
    c.send_raw(&req);
}

/// The controlling connection: never evicted itself.
fn control(srv: &Server) -> Client {
    let mut c = named(srv, "control");
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), Resp::ok());
    c
}

#[test]
fn a_client_over_the_limit_is_closed_counted_and_logged() {
    let srv = Server::start(&[]);
    let mut ctl = control(&srv);
    assert_eq!(info_field(&mut ctl, "stats", "evicted_clients"), "0");
    ctl.cmd(&["CONFIG", "SET", "maxmemory-clients", "200000"]);
    let mut big = named(&srv, "big");
    hold_query_buffer(&mut big, 300_000);
    assert!(big.closed_within(Duration::from_secs(5)));
    assert!(!exists(&mut ctl, "big"));
    assert_eq!(info_field(&mut ctl, "stats", "evicted_clients"), "1");
    assert!(srv.wait_log("Evicting client: id=", Duration::from_secs(2)));
    assert!(srv.log().contains("name=big "));
    // The control connection is untouched.
    assert_eq!(ctl.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn without_maxmemory_clients_nobody_is_evicted() {
    let srv = Server::start(&[]);
    let mut ctl = srv.client();
    ctl.cmd(&["CLIENT", "SETNAME", "control"]);
    let mut big = named(&srv, "big");
    hold_query_buffer(&mut big, 1_000_000);
    assert!(wait_for(Duration::from_secs(5), || {
        tot_mem(&mut ctl, "big").is_some_and(|m| m > 1_000_000)
    }));
    assert!(!big.closed_within(Duration::from_millis(300)));
    assert_eq!(info_field(&mut ctl, "stats", "evicted_clients"), "0");
}

#[test]
fn no_evict_clients_are_kept_and_still_count() {
    let srv = Server::start(&[]);
    let mut ctl = control(&srv);
    ctl.cmd(&["CONFIG", "SET", "maxmemory-clients", "200000"]);
    let flags = client_field(&mut ctl, "control", "flags").unwrap_or_default();
    assert_eq!(flags, "e");

    let mut keeper = named(&srv, "keeper");
    assert_eq!(keeper.cmd(&["CLIENT", "NO-EVICT", "on"]), Resp::ok());
    hold_query_buffer(&mut keeper, 300_000);
    assert!(wait_for(Duration::from_secs(5), || {
        tot_mem(&mut ctl, "keeper").is_some_and(|m| m > 300_000)
    }));
    assert!(!keeper.closed_within(Duration::from_millis(300)));
    assert!(exists(&mut ctl, "keeper"));

    // The keeper's bytes still count towards the limit (cron measures
    // it), so any other client is now evicted, small as it is.
    let mut other = srv.client();
    other.send(&["PING"]);
    assert!(other.closed_within(Duration::from_secs(5)));
    assert!(exists(&mut ctl, "keeper"));
    let err = ctl.cmd(&["CLIENT", "NO-EVICT", "maybe"]);
    assert_eq!(err, Resp::err("ERR syntax error"));
}

#[test]
fn turning_no_evict_off_makes_a_big_client_evictable() {
    let srv = Server::start(&[]);
    let mut ctl = control(&srv);
    ctl.cmd(&["CONFIG", "SET", "maxmemory-clients", "200000"]);
    let mut c = named(&srv, "grower");
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), Resp::ok());
    assert_eq!(
        client_field(&mut ctl, "grower", "flags").as_deref(),
        Some("e")
    );
    // Replies it never reads pile up in its output buffer, once the
    // socket buffers on both sides are full (several MB on loopback).
    c.cmd(&["SET", "k", &"v".repeat(100_000)]);
    assert!(wait_for(Duration::from_secs(20), || {
        for _ in 0..20 {
            c.send(&["GET", "k"]);
        }
        tot_mem(&mut ctl, "grower").is_some_and(|m| m > 10_000_000)
    }));
    assert!(exists(&mut ctl, "grower"));
    c.send(&["CLIENT", "NO-EVICT", "off"]);
    assert!(wait_for(Duration::from_secs(10), || !exists(
        &mut ctl, "grower"
    )));
}

#[test]
fn the_biggest_clients_go_first_and_only_until_below_the_limit() {
    let srv = Server::start(&[]);
    let mut ctl = control(&srv);
    // Three sizes, each in its own power-of-two bucket.
    let sizes = [("small", 40_000), ("mid", 300_000), ("large", 1_200_000)];
    let mut conns = Vec::new();
    for (name, n) in sizes {
        for i in 0..2 {
            let full = format!("{name}{i}");
            let mut c = named(&srv, &full);
            hold_query_buffer(&mut c, n);
            assert!(wait_for(Duration::from_secs(5), || {
                tot_mem(&mut ctl, &full).is_some_and(|m| m >= n)
            }));
            conns.push(c);
        }
    }
    let mem = |ctl: &mut Client, name: &str| tot_mem(ctl, name).unwrap_or(0);
    let small = mem(&mut ctl, "small0") + mem(&mut ctl, "small1");
    let mid = mem(&mut ctl, "mid0") + mem(&mut ctl, "mid1");
    let ctl_mem = mem(&mut ctl, "control");
    // Room for everything but the two large clients.
    let limit = small + mid + ctl_mem;
    ctl.cmd(&["CONFIG", "SET", "maxmemory-clients", &limit.to_string()]);
    for name in ["large0", "large1"] {
        assert!(!exists(&mut ctl, name), "{name} should be gone");
    }
    for name in ["small0", "small1", "mid0", "mid1"] {
        assert!(exists(&mut ctl, name), "{name} should stay");
    }
    assert_eq!(info_field(&mut ctl, "stats", "evicted_clients"), "2");
    // Halve the room: the mid clients go next, the small ones stay.
    let limit = small + ctl_mem + 1000;
    ctl.cmd(&["CONFIG", "SET", "maxmemory-clients", &limit.to_string()]);
    assert!(!exists(&mut ctl, "mid0") && !exists(&mut ctl, "mid1"));
    assert!(exists(&mut ctl, "small0") && exists(&mut ctl, "small1"));
}

#[test]
fn a_percentage_is_of_maxmemory_and_off_without_it() {
    let srv = Server::start(&[]);
    let mut ctl = control(&srv);
    ctl.cmd(&["CONFIG", "SET", "maxmemory-clients", "5%"]);
    // No maxmemory: a percentage of nothing means no limit.
    let mut a = named(&srv, "a");
    hold_query_buffer(&mut a, 600_000);
    assert!(wait_for(Duration::from_secs(5), || {
        tot_mem(&mut ctl, "a").is_some_and(|m| m > 600_000)
    }));
    assert!(exists(&mut ctl, "a"));
    // 5% of 10 MB is 524288 bytes: `a` is over it.
    ctl.cmd(&["CONFIG", "SET", "maxmemory", "10mb"]);
    assert!(a.closed_within(Duration::from_secs(5)));
    assert!(!exists(&mut ctl, "a"));
    // Half of it is fine.
    let mut b = named(&srv, "b");
    hold_query_buffer(&mut b, 260_000);
    assert!(wait_for(Duration::from_secs(5), || {
        tot_mem(&mut ctl, "b").is_some_and(|m| m > 260_000)
    }));
    assert!(!b.closed_within(Duration::from_millis(200)));
}

#[test]
fn a_client_evicted_between_pipelined_commands_runs_none_after() {
    let srv = Server::start(&[]);
    let mut ctl = control(&srv);
    ctl.cmd(&["CONFIG", "SET", "maxmemory-clients", "200000"]);
    let mut c = named(&srv, "queuer");
    // One write: the queue outgrows the limit between two commands of the
    // same read, so the client is evicted as its next command starts.
    let value = "x".repeat(30_000);
    let mut pipeline = common::encode_strs(&["MULTI"]);
    for i in 0..8 {
        pipeline.extend(common::encode_strs(&["SET", &format!("k{i}"), &value]));
    }
    pipeline.extend(common::encode_strs(&["EXEC"]));
    pipeline.extend(common::encode_strs(&["SET", "done", "1"]));
    c.send_raw(&pipeline);
    assert!(c.closed_within(Duration::from_secs(5)));
    assert_eq!(ctl.cmd(&["DBSIZE"]).int(), 0);
    assert!(!exists(&mut ctl, "queuer"));
    assert_eq!(info_field(&mut ctl, "stats", "evicted_clients"), "1");
}

#[test]
fn subscriptions_watched_keys_and_prefixes_count() {
    let srv = Server::start(&[]);
    let mut ctl = control(&srv);
    let mut c = named(&srv, "c");
    let base = tot_mem(&mut ctl, "c").unwrap_or(0);
    let channels: Vec<String> = (0..500).map(|i| format!("ch{i}")).collect();
    let mut args = vec!["WATCH"];
    args.extend(channels.iter().map(String::as_str));
    assert_eq!(c.cmd(&args), Resp::ok());
    let watched = tot_mem(&mut ctl, "c").unwrap_or(0);
    assert!(watched > base + 500 * 16, "{watched} vs {base}");
    args[0] = "PSUBSCRIBE";
    c.send(&args);
    for _ in 0..500 {
        c.read_reply();
    }
    let subscribed = tot_mem(&mut ctl, "c").unwrap_or(0);
    assert!(subscribed > watched + 500 * 16, "{subscribed} vs {watched}");
    assert_eq!(client_field(&mut ctl, "c", "flags").as_deref(), Some("P"));
}

#[test]
fn a_tracking_redirect_target_is_evicted_as_invalidations_pile_up() {
    let srv = Server::start(&[]);
    let mut ctl = control(&srv);
    ctl.cmd(&["CONFIG", "SET", "maxmemory-clients", "3000000"]);
    // Cron would re-measure it too: show that the writes themselves do.
    ctl.cmd(&["DEBUG", "PAUSE-CRON", "1"]);
    let mut target = named(&srv, "redirected");
    let id = target.cmd(&["CLIENT", "ID"]).int().to_string();
    target.cmd(&["SUBSCRIBE", "__redis__:invalidate"]);
    let mut writer = srv.client();
    let r = writer.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &id, "BCAST"]);
    assert_eq!(r, Resp::ok());
    let key = "k".repeat(200 * 1024);
    let mut gone = false;
    for _ in 0..2000 {
        match tot_mem(&mut ctl, "redirected") {
            None => {
                gone = true;
                break;
            }
            Some(m) => assert!(m < 3_000_000, "tot-mem {m} passed the limit"),
        }
        writer.cmd(&["INCR", &key]);
    }
    assert!(gone, "the redirect target was never evicted");
    ctl.cmd(&["DEBUG", "PAUSE-CRON", "0"]);
}

#[test]
fn mem_clients_normal_sums_what_client_list_shows() {
    let srv = Server::start(&[]);
    let mut ctl = control(&srv);
    let mut big = named(&srv, "big");
    hold_query_buffer(&mut big, 500_000);
    assert!(wait_for(Duration::from_secs(5), || {
        tot_mem(&mut ctl, "big").is_some_and(|m| m > 500_000)
    }));
    let big_mem = tot_mem(&mut ctl, "big").unwrap_or(0);
    // Cron re-measures every client each tick (hz 10).
    assert!(wait_for(Duration::from_secs(3), || {
        let total: usize = info_field(&mut ctl, "memory", "mem_clients_normal")
            .parse()
            .unwrap_or(0);
        total >= big_mem && total < big_mem + 200_000
    }));
}
