//! Client-side caching (CLIENT TRACKING) over the wire: default mode in
//! RESP3 and with a RESP2 Pub/Sub redirect, BCAST with prefixes,
//! OPTIN/OPTOUT with CLIENT CACHING, NOLOOP, FLUSHALL/FLUSHDB, the
//! tracking-table-max-keys limit, where invalidation pushes fall among the
//! replies, the broken redirect, the option errors, and what CLIENT LIST,
//! CLIENT TRACKINGINFO, CLIENT GETREDIR and INFO report. Mirrors Redis'
//! tracking.c and tests/unit/tracking.tcl; expected bytes are what Redis
//! 7.0.15 sends (FERRODIS_TEST_SERVER=/usr/bin/redis-server runs them
//! against it).

#[macro_use]
mod common;

use std::time::Duration;

use common::{Client, Resp, Server};

fn client_id(c: &mut Client) -> i64 {
    c.cmd(&["CLIENT", "ID"]).int()
}

/// A RESP3 connection.
fn resp3(srv: &Server) -> Client {
    let mut c = srv.client();
    c.cmd(&["HELLO", "3"]);
    c
}

/// A RESP2 connection subscribed to the invalidation channel, and its id.
fn redirect_client(srv: &Server) -> (Client, String) {
    let mut r = srv.client();
    let id = client_id(&mut r).to_string();
    let ack = r.cmd(&["SUBSCRIBE", "__redis__:invalidate"]);
    assert_eq!(ack.items()[0], Resp::bulk("subscribe"));
    (r, id)
}

/// `>2 invalidate [keys]`, as parsed.
fn invalidate(keys: &[&str]) -> Resp {
    Resp::Push(vec![Resp::bulk("invalidate"), Resp::bulks(keys)])
}

/// `message __redis__:invalidate [keys]`, as parsed.
fn message(keys: &[&str]) -> Resp {
    Resp::arr(vec![
        Resp::bulk("message"),
        Resp::bulk("__redis__:invalidate"),
        Resp::bulks(keys),
    ])
}

/// The value under `key` in a RESP3 map reply.
fn map_get(map: &Resp, key: &str) -> Resp {
    match map {
        Resp::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| *k == Resp::bulk(key))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {key} in {map:?}")),
        other => panic!("expected a map, got {other:?}"),
    }
}

/// Whether nothing more arrives on `c` for a short while (a PING answered
/// with PONG at once proves no push was waiting before it).
fn nothing_pending(c: &mut Client) {
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn resp3_client_is_told_once_of_a_key_it_read() {
    let srv = Server::start(&[]);
    let mut r = resp3(&srv);
    let mut w = srv.client();
    assert_eq!(r.cmd(&["CLIENT", "TRACKING", "on"]), Resp::ok());
    w.cmd(&["SET", "key1", "1"]);
    w.cmd(&["SET", "unread", "1"]);
    assert_eq!(r.cmd(&["GET", "key1"]), Resp::bulk("1"));
    w.cmd(&["SET", "key1", "2"]);
    w.cmd(&["SET", "unread", "2"]);
    assert_eq!(r.read_reply(), invalidate(&["key1"]));
    // The entry is gone: a second change says nothing until a new read.
    w.cmd(&["SET", "key1", "3"]);
    nothing_pending(&mut r);
    assert_eq!(
        r.raw(b"*2\r\n$3\r\nGET\r\n$4\r\nkey1\r\n"),
        b"$1\r\n3\r\n".to_vec()
    );
    w.cmd(&["DEL", "key1"]);
    assert_eq!(r.read_reply(), invalidate(&["key1"]));
}

#[test]
fn resp2_client_redirects_to_a_pubsub_connection() {
    let srv = Server::start(&[]);
    let (mut rd, rid) = redirect_client(&srv);
    let mut r = srv.client();
    assert_eq!(
        r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]),
        Resp::ok()
    );
    r.cmd(&["SET", "a", "1"]);
    r.cmd(&["SET", "b", "1"]);
    r.cmd(&["GET", "a"]);
    r.cmd(&["INCR", "b"]); // never read: nothing said
    r.cmd(&["INCR", "a"]);
    assert_bytes!(
        rd.read_bytes(55),
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\na\r\n"
    );
    // Several clients may share one redirect connection.
    let mut r2 = srv.client();
    r2.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]);
    r.cmd(&["GET", "a"]);
    r2.cmd(&["GET", "b"]);
    let mut w = srv.client();
    w.cmd(&["MSET", "a", "2", "b", "2"]);
    assert_eq!(rd.read_reply(), message(&["a"]));
    assert_eq!(rd.read_reply(), message(&["b"]));
    // A client's own change is told after its reply, so after the
    // others' (tracking_pending_keys).
    r.cmd(&["GET", "a"]);
    r2.cmd(&["GET", "b"]);
    r.cmd(&["MSET", "a", "3", "b", "3"]);
    assert_eq!(rd.read_reply(), message(&["b"]));
    assert_eq!(rd.read_reply(), message(&["a"]));
    assert_eq!(r.cmd(&["CLIENT", "GETREDIR"]).int().to_string(), rid);
}

#[test]
fn bcast_sends_the_keys_under_each_prefix_once_per_event_loop() {
    let srv = Server::start(&[]);
    let (mut rd, rid) = redirect_client(&srv);
    let mut r = srv.client();
    let on = [
        "CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", &rid, "PREFIX", "a:", "PREFIX", "b:",
    ];
    assert_eq!(r.cmd(&on), Resp::ok());
    r.cmd(&["MULTI"]);
    for k in ["a:2", "a:1", "b:1", "c:1", "a:1"] {
        r.cmd(&["INCR", k]);
    }
    r.cmd(&["EXEC"]);
    // One message per prefix, keys sorted and without repeats.
    assert_eq!(rd.read_reply(), message(&["a:1", "a:2"]));
    assert_eq!(rd.read_reply(), message(&["b:1"]));
    // Prefixes can be added, and the empty prefix matches every key.
    let add = [
        "CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", &rid, "PREFIX", "c:",
    ];
    assert_eq!(r.cmd(&add), Resp::ok());
    r.cmd(&["SET", "c:9", "x"]);
    assert_eq!(rd.read_reply(), message(&["c:9"]));
    let info = r.cmd(&["CLIENT", "TRACKINGINFO"]).items();
    assert_eq!(info[5], Resp::bulks(&["a:", "b:", "c:"]));
    assert_eq!(
        r.info_field("stats", "tracking_total_prefixes").as_deref(),
        Some("3")
    );
    let mut all = srv.client();
    all.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", &rid]);
    all.cmd(&["SET", "zzz", "1"]);
    assert_eq!(rd.read_reply(), message(&["zzz"]));
}

#[test]
fn optin_tracks_only_after_caching_yes_and_optout_skips_after_caching_no() {
    let srv = Server::start(&[]);
    let mut r = resp3(&srv);
    let mut w = srv.client();
    let keys = |c: &mut Client| c.info_field("stats", "tracking_total_keys").unwrap();
    r.cmd(&["CLIENT", "TRACKING", "on", "OPTIN"]);
    r.cmd(&["GET", "k1"]);
    assert_eq!(keys(&mut r), "0");
    assert_eq!(r.cmd(&["CLIENT", "CACHING", "yes"]), Resp::ok());
    let info = r.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert_eq!(
        map_get(&info, "flags"),
        Resp::Set(vec![
            Resp::bulk("on"),
            Resp::bulk("optin"),
            Resp::bulk("caching-yes")
        ])
    );
    // A CLIENT command keeps the flag; the next other command uses it up.
    r.cmd(&["GET", "k1"]);
    r.cmd(&["GET", "k2"]);
    assert_eq!(keys(&mut r), "1");
    w.cmd(&["SET", "k1", "x"]);
    assert_eq!(r.read_reply(), invalidate(&["k1"]));
    // CACHING yes before MULTI covers the whole transaction.
    r.cmd(&["CLIENT", "CACHING", "yes"]);
    r.cmd(&["MULTI"]);
    r.cmd(&["GET", "k3"]);
    r.cmd(&["GET", "k4"]);
    r.cmd(&["EXEC"]);
    assert_eq!(keys(&mut r), "2");

    let mut o = resp3(&srv);
    o.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT"]);
    o.cmd(&["CLIENT", "CACHING", "no"]);
    o.cmd(&["GET", "o1"]);
    o.cmd(&["GET", "o2"]);
    w.cmd(&["MSET", "o1", "1", "o2", "2"]);
    assert_eq!(o.read_reply(), invalidate(&["o2"]));
    nothing_pending(&mut o);
}

#[test]
fn noloop_skips_the_clients_own_changes() {
    let srv = Server::start(&[]);
    let mut r = resp3(&srv);
    let mut w = srv.client();
    r.cmd(&["CLIENT", "TRACKING", "on", "NOLOOP"]);
    r.cmd(&["MGET", "own", "other"]);
    assert_eq!(r.cmd(&["SET", "own", "1"]), Resp::ok());
    nothing_pending(&mut r);
    w.cmd(&["SET", "other", "1"]);
    assert_eq!(r.read_reply(), invalidate(&["other"]));

    // BCAST: keys changed by the client itself are left out of the array.
    let mut b = resp3(&srv);
    b.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"]);
    b.cmd(&["SET", "mine", "1"]);
    nothing_pending(&mut b);
    w.cmd(&["SET", "theirs", "1"]);
    assert_eq!(b.read_reply(), invalidate(&["theirs"]));
}

#[test]
fn flushes_invalidate_everything_with_a_null() {
    let srv = Server::start(&[]);
    let mut r = resp3(&srv);
    let (mut rd, rid) = redirect_client(&srv);
    let mut r2 = srv.client();
    let mut w = srv.client();
    r.cmd(&["CLIENT", "TRACKING", "on"]);
    r2.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]);
    r.cmd(&["GET", "k"]);
    r2.cmd(&["GET", "k2"]);
    assert_eq!(
        w.info_field("stats", "tracking_total_keys").as_deref(),
        Some("2")
    );
    w.cmd(&["FLUSHALL"]);
    assert_bytes!(r.read_bytes(24), b">2\r\n$10\r\ninvalidate\r\n_\r\n");
    // A RESP2 tracking client's null is RESP2's, inside the message.
    assert_bytes!(
        rd.read_bytes(49),
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"
    );
    assert_eq!(
        w.info_field("stats", "tracking_total_keys").as_deref(),
        Some("0")
    );
    // The client's own FLUSHDB in a transaction: the push follows EXEC's reply.
    r.cmd(&["MULTI"]);
    r.cmd(&["FLUSHDB"]);
    assert_bytes!(
        r.raw(b"*1\r\n$4\r\nEXEC\r\n"),
        b"*1\r\n+OK\r\n>2\r\n$10\r\ninvalidate\r\n_\r\n"
    );
}

#[test]
fn own_changes_are_pushed_after_the_reply() {
    let srv = Server::start(&[]);
    let mut r = resp3(&srv);
    r.cmd(&["CLIENT", "TRACKING", "on"]);
    r.cmd(&["HSET", "h", "f", "1"]);
    r.cmd(&["HGET", "h", "f"]);
    assert_bytes!(
        r.raw(b"*3\r\n$4\r\nHDEL\r\n$1\r\nh\r\n$1\r\nf\r\n"),
        b":1\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nh\r\n"
    );
    // A transaction's reply stays whole; the push comes after it.
    r.cmd(&["MSET", "a", "1", "b", "2"]);
    r.cmd(&["GET", "a"]);
    r.cmd(&["MULTI"]);
    r.cmd(&["INCR", "a"]);
    r.cmd(&["GET", "b"]);
    assert_bytes!(
        r.raw(b"*1\r\n$4\r\nEXEC\r\n"),
        b"*2\r\n:2\r\n$1\r\n2\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"
    );
    // Another client's change lands between replies, never inside one.
    let mut w = srv.client();
    r.cmd(&["GET", "b"]);
    w.cmd(&["SET", "b", "3"]);
    assert_bytes!(
        r.raw(b"*1\r\n$4\r\nPING\r\n"),
        b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nb\r\n+PONG\r\n"
    );
}

#[test]
fn a_key_found_expired_is_pushed_after_the_reply() {
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let mut r = resp3(&srv);
    r.cmd(&["CLIENT", "TRACKING", "on"]);
    assert_eq!(r.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), Resp::ok());
    r.cmd(&["SET", "x", "1"]);
    r.cmd(&["SET", "y", "2", "PX", "50"]);
    r.cmd(&["GET", "y"]);
    std::thread::sleep(Duration::from_millis(80));
    assert_bytes!(
        r.raw(b"*3\r\n$4\r\nMGET\r\n$1\r\nx\r\n$1\r\ny\r\n"),
        b"*2\r\n$1\r\n1\r\n_\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ny\r\n"
    );
}

#[test]
fn unblocked_client_gets_its_invalidation_after_its_reply() {
    let srv = Server::start(&[]);
    let mut b = resp3(&srv);
    let mut w = srv.client();
    w.cmd(&["RPUSH", "dst", "a"]);
    b.cmd(&["CLIENT", "TRACKING", "on"]);
    b.cmd(&["LRANGE", "dst", "0", "-1"]);
    b.send(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
    assert!(common::wait_for(Duration::from_secs(10), || {
        w.info_field("clients", "blocked_clients").as_deref() == Some("1")
    }));
    w.cmd(&["RPUSH", "src", "foo"]);
    assert_eq!(b.read_reply(), Resp::bulk("foo"));
    assert_eq!(b.read_reply(), invalidate(&["dst"]));
}

#[test]
fn table_limit_evicts_keys_and_tells_their_clients() {
    let srv = Server::start(&[]);
    let (mut rd, rid) = redirect_client(&srv);
    let mut r = srv.client();
    r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]);
    for i in 0..250 {
        r.cmd(&["GET", &format!("key{i}")]);
    }
    assert_eq!(
        r.info_field("stats", "tracking_total_items").as_deref(),
        Some("250")
    );
    // 249 keys must go: more than one run's first effort (100).
    r.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "1"]);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..249 {
        let m = rd.read_reply().items();
        seen.insert(m[2].strings()[0].clone());
    }
    assert_eq!(seen.len(), 249);
    assert!(common::wait_for(Duration::from_secs(5), || {
        r.info_field("stats", "tracking_total_keys").as_deref() == Some("1")
    }));
    assert_eq!(
        rd.cmd(&["PING"]),
        Resp::arr(vec![Resp::bulk("pong"), Resp::bulk("")])
    );
}

#[test]
fn table_limit_runs_before_a_queued_command_of_the_tracking_client() {
    let srv = Server::start(&[
        "--tracking-table-max-keys",
        "2",
        "--enable-debug-command",
        "yes",
    ]);
    let mut a = srv.client();
    let mut r = resp3(&srv);
    assert_eq!(a.cmd(&["DEBUG", "PAUSE-CRON", "1"]), Resp::ok());
    r.cmd(&["CLIENT", "TRACKING", "on"]);
    r.cmd(&["MGET", "1{t}", "2{t}"]);
    r.cmd(&["MULTI"]);
    a.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "1"]);
    // The eviction happens before PING is queued: its push comes first.
    r.send(&["PING"]);
    let push = r.read_reply().items();
    assert_eq!(push[0], Resp::bulk("invalidate"));
    assert_eq!(r.read_reply(), Resp::simple("QUEUED"));
    a.cmd(&["DEBUG", "PAUSE-CRON", "0"]);
}

#[test]
fn redirect_broken_is_reported_to_a_resp3_client() {
    let srv = Server::start(&[]);
    let (mut rd, rid) = redirect_client(&srv);
    let mut r = resp3(&srv);
    let mut w = srv.client();
    r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]);
    r.cmd(&["GET", "k"]);
    assert_eq!(rd.cmd(&["QUIT"]), Resp::ok());
    assert!(rd.is_closed());
    w.cmd(&["SET", "k", "1"]);
    assert_eq!(
        r.read_reply(),
        Resp::Push(vec![
            Resp::bulk("tracking-redir-broken"),
            Resp::Int(rid.parse().unwrap())
        ])
    );
    let info = r.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert_eq!(
        map_get(&info, "flags"),
        Resp::Set(vec![Resp::bulk("on"), Resp::bulk("broken_redirect")])
    );
    let line = r.cmd(&["CLIENT", "INFO"]).text();
    assert!(line.contains(" flags=tR "), "{line}");
    assert!(line.contains(&format!(" redir={rid} ")), "{line}");
}

#[test]
fn client_reply_off_does_not_silence_pushes() {
    let srv = Server::start(&[]);
    let mut r = resp3(&srv);
    let mut w = srv.client();
    r.cmd(&["CLIENT", "TRACKING", "on"]);
    r.cmd(&["GET", "foo"]);
    r.send(&["CLIENT", "REPLY", "OFF"]);
    w.cmd(&["SET", "foo", "bar"]);
    assert_eq!(r.read_reply(), invalidate(&["foo"]));
    assert_eq!(r.cmd(&["CLIENT", "REPLY", "ON"]), Resp::ok());
}

/// CLIENT TRACKING followed by `extra`.
fn t<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["CLIENT", "TRACKING"];
    v.extend_from_slice(extra);
    v
}

/// The error text of a command that must fail.
fn err(r: &mut Client, args: &[&str]) -> String {
    match r.cmd(args) {
        Resp::Error(e) => e,
        other => panic!("{args:?}: expected an error, got {other:?}"),
    }
}

#[test]
fn tracking_option_errors() {
    let srv = Server::start(&[]);
    let mut r = srv.client();
    assert_eq!(
        err(&mut r, &t(&["on", "PREFIX", "a"])),
        "ERR PREFIX option requires BCAST mode to be enabled"
    );
    assert_eq!(
        err(&mut r, &t(&["on", "REDIRECT", "999999"])),
        "ERR The client ID you want redirect to does not exist"
    );
    assert_eq!(
        err(&mut r, &t(&["on", "REDIRECT", "x"])),
        "ERR value is not an integer or out of range"
    );
    let me = client_id(&mut r).to_string();
    assert_eq!(
        err(&mut r, &t(&["on", "REDIRECT", &me, "REDIRECT", &me])),
        "ERR A client can only redirect to a single other client"
    );
    assert_eq!(
        err(&mut r, &t(&["on", "BCAST", "OPTIN"])),
        "ERR OPTIN and OPTOUT are not compatible with BCAST"
    );
    assert_eq!(
        err(&mut r, &t(&["on", "OPTIN", "OPTOUT"])),
        "ERR You can't specify both OPTIN mode and OPTOUT mode"
    );
    assert_eq!(err(&mut r, &t(&["on", "bogus"])), "ERR syntax error");
    assert_eq!(err(&mut r, &t(&["maybe"])), "ERR syntax error");
    assert_eq!(
        err(&mut r, &t(&["on", "BCAST", "PREFIX", "FOOBAR", "PREFIX", "FOO"])),
        "ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a single client must not overlap."
    );
    assert_eq!(
        err(&mut r, &["CLIENT", "CACHING", "yes"]),
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
    );
    r.cmd(&t(&["on", "BCAST", "PREFIX", "FOO", "PREFIX", "BAR"]));
    assert_eq!(
        err(&mut r, &t(&["on", "BCAST", "PREFIX", "FO"])),
        "ERR Prefix 'FO' overlaps with an existing prefix 'FOO'. Prefixes for a single client must not overlap."
    );
    assert_eq!(
        err(&mut r, &t(&["on"])),
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
    );
    r.cmd(&t(&["off"]));
    r.cmd(&t(&["on", "OPTIN"]));
    assert_eq!(
        err(&mut r, &t(&["on", "OPTOUT"])),
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
    );
    assert_eq!(
        err(&mut r, &["CLIENT", "CACHING", "no"]),
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
    );
    assert_eq!(
        err(&mut r, &["CLIENT", "CACHING", "maybe"]),
        "ERR syntax error"
    );
    r.cmd(&t(&["off"]));
    r.cmd(&t(&["on", "OPTOUT"]));
    assert_eq!(
        err(&mut r, &["CLIENT", "CACHING", "yes"]),
        "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
    );
}

#[test]
fn introspection_follows_the_tracking_state() {
    let srv = Server::start(&[]);
    let (_rd, rid) = redirect_client(&srv);
    let mut r = srv.client();
    assert_eq!(r.cmd(&["CLIENT", "GETREDIR"]).int(), -1);
    assert_bytes!(
        r.raw(b"*2\r\n$6\r\nCLIENT\r\n$12\r\nTRACKINGINFO\r\n"),
        b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
    );
    r.cmd(&["CLIENT", "TRACKING", "on"]);
    assert_eq!(r.cmd(&["CLIENT", "GETREDIR"]).int(), 0);
    r.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid, "NOLOOP"]);
    assert_eq!(r.cmd(&["CLIENT", "GETREDIR"]).int().to_string(), rid);
    let info = r.cmd(&["CLIENT", "TRACKINGINFO"]).strings_flat();
    assert_eq!(
        info,
        vec!["flags", "on", "noloop", "redirect", &rid, "prefixes"]
    );
    let line = r.cmd(&["CLIENT", "INFO"]).text();
    assert!(line.contains(" flags=t "), "{line}");
    r.cmd(&["CLIENT", "TRACKING", "off"]);
    r.cmd(&["CLIENT", "TRACKING", "on", "BCAST"]);
    let line = r.cmd(&["CLIENT", "INFO"]).text();
    assert!(line.contains(" flags=tB "), "{line}");
    assert!(line.contains(" redir=0 "), "{line}");
    let info = r.cmd(&["CLIENT", "TRACKINGINFO"]).items();
    assert_eq!(info[5], Resp::bulks(&[""]));

    let mut w = srv.client();
    let mut other = srv.client();
    other.cmd(&["CLIENT", "TRACKING", "on"]);
    assert_eq!(
        w.info_field("clients", "tracking_clients").as_deref(),
        Some("2")
    );
    // RESET and leaving both turn tracking off.
    assert_eq!(r.cmd(&["RESET"]), Resp::simple("RESET"));
    assert_eq!(r.cmd(&["CLIENT", "GETREDIR"]).int(), -1);
    drop(other);
    assert!(common::wait_for(Duration::from_secs(5), || {
        w.info_field("clients", "tracking_clients").as_deref() == Some("0")
    }));
    assert_eq!(
        w.info_field("stats", "tracking_total_prefixes").as_deref(),
        Some("0")
    );
}

/// Flattened text of a RESP2 map reply whose values are strings, ints or
/// arrays of strings.
trait FlatStrings {
    fn strings_flat(&self) -> Vec<String>;
}

impl FlatStrings for Resp {
    fn strings_flat(&self) -> Vec<String> {
        let mut out = Vec::new();
        for item in self.items() {
            match item {
                Resp::Int(n) => out.push(n.to_string()),
                Resp::Array(Some(_)) | Resp::Set(_) => out.extend(item.strings()),
                other => out.push(other.text()),
            }
        }
        out
    }
}
