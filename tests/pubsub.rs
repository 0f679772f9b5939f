//! Pub/Sub over real connections: channel, pattern and shard
//! subscriptions with their acknowledgements and messages, the RESP2
//! subscribed context, RESP3 push messages interleaved with ordinary
//! replies on one connection (a message caused by the client's own command
//! arrives before that command's reply), PUBSUB introspection, and the bad
//! inputs of the issue: 100k channels and patterns on one connection, and
//! a subscriber that never reads, dropped by its output buffer limit while
//! the publisher goes on. Expected bytes checked against Debian's
//! redis-server 7.0.15 (FERRODIS_TEST_SERVER=/usr/bin/redis-server).

mod common;

use common::{encode_strs, wait_for, Resp, Server};
use std::time::Duration;

fn bulks(items: &[&str]) -> Resp {
    Resp::bulks(items)
}

/// A subscribe-family acknowledgement: [kind, name, count].
fn ack(kind: &str, name: &str, count: i64) -> Resp {
    Resp::arr(vec![Resp::bulk(kind), Resp::bulk(name), Resp::Int(count)])
}

#[test]
fn channel_and_pattern_subscribers_get_messages_in_order() {
    let srv = Server::start(&[]);
    let mut sub = srv.client();
    let mut publisher = srv.client();
    sub.send(&["SUBSCRIBE", "news", "sport"]);
    assert_eq!(sub.read_reply(), ack("subscribe", "news", 1));
    assert_eq!(sub.read_reply(), ack("subscribe", "sport", 2));
    sub.send(&["PSUBSCRIBE", "n*"]);
    assert_eq!(sub.read_reply(), ack("psubscribe", "n*", 3));

    // "news" reaches the channel and the pattern subscription: 2 receivers.
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "first"]), Resp::Int(2));
    assert_eq!(publisher.cmd(&["PUBLISH", "sport", "second"]), Resp::Int(1));
    assert_eq!(publisher.cmd(&["PUBLISH", "weather", "none"]), Resp::Int(0));
    assert_eq!(sub.read_reply(), bulks(&["message", "news", "first"]));
    assert_eq!(
        sub.read_reply(),
        bulks(&["pmessage", "n*", "news", "first"])
    );
    assert_eq!(sub.read_reply(), bulks(&["message", "sport", "second"]));

    assert_eq!(
        publisher.cmd(&["PUBSUB", "NUMSUB", "news", "sport", "x"]),
        Resp::arr(vec![
            Resp::bulk("news"),
            Resp::Int(1),
            Resp::bulk("sport"),
            Resp::Int(1),
            Resp::bulk("x"),
            Resp::Int(0)
        ])
    );
    assert_eq!(publisher.cmd(&["PUBSUB", "NUMPAT"]), Resp::Int(1));
    // The subscriber is the one pubsub-type client.
    let list = publisher.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]).text();
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains(" sub=2 psub=1 "), "{list}");
    let mut chans = publisher.cmd(&["PUBSUB", "CHANNELS"]).strings();
    chans.sort();
    assert_eq!(chans, ["news", "sport"]);

    // UNSUBSCRIBE with no argument: one ack per channel, counts going
    // down but still counting the pattern.
    sub.send(&["UNSUBSCRIBE"]);
    let mut acks = [sub.read_reply(), sub.read_reply()];
    acks.sort_by_key(|r| r.items()[1].text());
    assert_eq!(acks[0].items()[0], Resp::bulk("unsubscribe"));
    let counts: Vec<i64> = {
        let mut v: Vec<i64> = acks.iter().map(|a| a.items()[2].int()).collect();
        v.sort();
        v
    };
    assert_eq!(counts, [1, 2]);
    sub.send(&["PUNSUBSCRIBE"]);
    assert_eq!(sub.read_reply(), ack("punsubscribe", "n*", 0));
    // Out of the subscribed context: ordinary commands work again.
    assert_eq!(sub.cmd(&["SET", "k", "v"]), Resp::ok());
}

#[test]
fn resp2_subscribed_context_allows_only_subscription_commands() {
    let srv = Server::start(&[]);
    let mut sub = srv.client();
    sub.send(&["SUBSCRIBE", "c"]);
    assert_eq!(sub.read_reply(), ack("subscribe", "c", 1));
    assert_eq!(
        sub.cmd(&["GET", "k"]),
        Resp::err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
    // PING answers in the push shape in this context.
    assert_eq!(sub.cmd(&["PING"]), bulks(&["pong", ""]));
    assert_eq!(sub.cmd(&["PING", "hi"]), bulks(&["pong", "hi"]));
    // RESET leaves the context.
    assert_eq!(sub.cmd(&["RESET"]), Resp::simple("RESET"));
    assert_eq!(sub.cmd(&["GET", "k"]), Resp::Bulk(None));
}

#[test]
fn resp3_pushes_mix_with_replies_on_one_connection() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    // In RESP3 the acknowledgement is a push, and ordinary commands still
    // work on the subscribed connection.
    let got = c.raw(&encode_strs(&["SUBSCRIBE", "me"]));
    assert_eq!(
        String::from_utf8_lossy(&got),
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nme\r\n:1\r\n"
    );
    assert_eq!(c.cmd(&["SET", "k", "v"]), Resp::ok());
    // Publishing to our own channel: the message comes before the reply
    // of the PUBLISH that caused it.
    let got = c.raw(&encode_strs(&["PUBLISH", "me", "hello"]));
    assert_eq!(
        String::from_utf8_lossy(&got),
        ">3\r\n$7\r\nmessage\r\n$2\r\nme\r\n$5\r\nhello\r\n:1\r\n"
    );
    // A message published by another client between two of our commands
    // lands between their replies.
    let mut other = srv.client();
    let mut pipeline = encode_strs(&["GET", "k"]);
    c.send_raw(&pipeline);
    assert_eq!(c.read_reply(), Resp::bulk("v"));
    assert_eq!(other.cmd(&["PUBLISH", "me", "between"]), Resp::Int(1));
    pipeline = encode_strs(&["GET", "k"]);
    c.send_raw(&pipeline);
    assert_eq!(
        c.read_reply(),
        Resp::Push(vec![
            Resp::bulk("message"),
            Resp::bulk("me"),
            Resp::bulk("between")
        ])
    );
    assert_eq!(c.read_reply(), Resp::bulk("v"));
    // Keyspace events of our own write arrive before its reply too.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        Resp::ok()
    );
    c.send(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    assert_eq!(
        c.read_reply(),
        Resp::Push(vec![
            Resp::bulk("psubscribe"),
            Resp::bulk("__keyevent@0__:*"),
            Resp::Int(2)
        ])
    );
    c.send(&["DEL", "k"]);
    assert_eq!(
        c.read_reply(),
        Resp::Push(vec![
            Resp::bulk("pmessage"),
            Resp::bulk("__keyevent@0__:*"),
            Resp::bulk("__keyevent@0__:del"),
            Resp::bulk("k")
        ])
    );
    assert_eq!(c.read_reply(), Resp::Int(1));
}

#[test]
fn shard_channels_use_smessage_and_their_own_table() {
    let srv = Server::start(&[]);
    let mut sub = srv.client();
    let mut p = srv.client();
    sub.send(&["SSUBSCRIBE", "orders"]);
    assert_eq!(sub.read_reply(), ack("ssubscribe", "orders", 1));
    // PUBLISH does not reach shard subscribers; SPUBLISH does.
    assert_eq!(p.cmd(&["PUBLISH", "orders", "x"]), Resp::Int(0));
    assert_eq!(p.cmd(&["SPUBLISH", "orders", "y"]), Resp::Int(1));
    assert_eq!(sub.read_reply(), bulks(&["smessage", "orders", "y"]));
    assert_eq!(p.cmd(&["PUBSUB", "SHARDCHANNELS"]), bulks(&["orders"]));
    assert_eq!(
        p.cmd(&["PUBSUB", "SHARDNUMSUB", "orders"]),
        Resp::arr(vec![Resp::bulk("orders"), Resp::Int(1)])
    );
    assert_eq!(p.cmd(&["PUBSUB", "CHANNELS"]), Resp::arr(vec![]));
}

// Not checked against redis-server: 7.0 keeps a client's patterns in a
// list it scans for duplicates on every PSUBSCRIBE, so 100k patterns take
// it minutes; ferrodis keeps them in a set.
#[test]
fn one_connection_with_100k_channels_and_100k_patterns() {
    let srv = Server::start(&[]);
    let mut sub = srv.client();
    let n = 100_000;
    for (cmd, prefix) in [("SUBSCRIBE", "chan:"), ("PSUBSCRIBE", "pat:*:")] {
        let names: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
        let mut args = vec![cmd];
        args.extend(names.iter().map(String::as_str));
        sub.send(&args);
        for i in 0..n {
            let a = sub.read_reply().items();
            assert_eq!(
                a[2],
                Resp::Int((i + 1) as i64 + if cmd == "PSUBSCRIBE" { n as i64 } else { 0 })
            );
        }
    }
    let mut p = srv.client();
    assert_eq!(
        p.info_field("stats", "pubsub_channels"),
        Some(n.to_string())
    );
    assert_eq!(
        p.info_field("stats", "pubsub_patterns"),
        Some(n.to_string())
    );
    // A channel matched by one pattern among 100k, and by its channel.
    assert_eq!(p.cmd(&["PUBLISH", "chan:7", "a"]), Resp::Int(1));
    assert_eq!(p.cmd(&["PUBLISH", "pat:x:7", "b"]), Resp::Int(1));
    assert_eq!(sub.read_reply(), bulks(&["message", "chan:7", "a"]));
    assert_eq!(
        sub.read_reply(),
        bulks(&["pmessage", "pat:*:7", "pat:x:7", "b"])
    );

    // Dropping the connection empties both tables.
    drop(sub);
    let empty = wait_for(Duration::from_secs(10), || {
        p.info_field("stats", "pubsub_channels").as_deref() == Some("0")
            && p.info_field("stats", "pubsub_patterns").as_deref() == Some("0")
    });
    assert!(empty, "subscriptions of a closed connection were kept");
    assert_eq!(p.cmd(&["PUBSUB", "NUMPAT"]), Resp::Int(0));
}

#[test]
fn a_subscriber_that_never_reads_is_dropped_and_the_publisher_goes_on() {
    let srv = Server::start(&["--client-output-buffer-limit", "pubsub 256kb 0 0"]);
    let mut sub = srv.client();
    sub.send(&["SUBSCRIBE", "firehose"]);
    assert_eq!(sub.read_reply(), ack("subscribe", "firehose", 1));
    let mut p = srv.client();
    let payload = "x".repeat(16 * 1024);
    // 64 MB in all: far more than the socket buffers can absorb, so the
    // subscriber's output buffer passes its 256kb hard limit.
    let mut receivers = Vec::new();
    for _ in 0..4096 {
        receivers.push(p.cmd(&["PUBLISH", "firehose", &payload]).int());
        if receivers.last() == Some(&0) {
            break;
        }
    }
    assert_eq!(receivers.first(), Some(&1));
    assert_eq!(
        receivers.last(),
        Some(&0),
        "the subscriber was never dropped"
    );
    assert_eq!(
        p.cmd(&["PUBSUB", "NUMSUB", "firehose"]),
        Resp::arr(vec![Resp::bulk("firehose"), Resp::Int(0)])
    );
    assert!(srv.wait_log(
        "scheduled to be closed ASAP for overcoming of output buffer limits",
        Duration::from_secs(5)
    ));
    assert_eq!(p.cmd(&["PING"]), Resp::simple("PONG"));
    assert!(sub.is_closed());
}

#[test]
fn publish_is_not_written_to_the_aof() {
    let srv = Server::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["PUBLISH", "ch", "hello"]), Resp::Int(0));
    assert_eq!(c.cmd(&["SET", "after", "1"]), Resp::ok());
    let dir = srv.dir().join("appendonlydir");
    let mut aof = String::new();
    let found = wait_for(Duration::from_secs(5), || {
        aof = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".incr.aof"))
            .map(|e| {
                String::from_utf8_lossy(&std::fs::read(e.path()).unwrap_or_default()).into_owned()
            })
            .collect();
        aof.contains("after")
    });
    assert!(found, "SET never reached the AOF: {aof:?}");
    assert!(!aof.contains("PUBLISH"), "PUBLISH in the AOF: {aof:?}");
}
