//! Keyspace notifications and WATCH for the collection families: lists,
//! sets, sorted sets and the blocking pops (Redis' t_list.c, t_set.c,
//! t_zset.c and blocked.c). With `notify-keyspace-events KEA`, a second
//! client subscribed to `*` must see exactly Redis' events, in Redis'
//! order, on both the keyspace and the keyevent channels — and nothing for
//! a command that fails or changes nothing. WATCH must see every write
//! Redis signals (signalModifiedKey), including the pops and pushes done
//! for a blocked client when it is served.
//!
//! Each expectation is closed by a PUBLISH on a sentinel channel: messages
//! leave the server in order, so everything read before the sentinel is
//! exactly what the commands before it produced. Checked against Debian's
//! redis-server 7.0.15 with FERRODIS_TEST_SERVER (see tests/common).
//! `KEA` leaves out the `new` event (class `n`), which other tests cover.

#[macro_use]
mod common;

use common::events::{both, received, subscriber as events_subscriber, Msg};
use common::{Client, Resp, Server};
use std::time::Duration;

/// Turn on every event class and return a client subscribed to `*`.
fn subscriber(srv: &Server, c: &mut Client) -> Client {
    events_subscriber(srv, c, "KEA")
}

/// The db-0 messages of `(event, key)` pairs.
fn events(pairs: &[(&str, &str)]) -> Vec<Msg> {
    both(0, pairs)
}

/// Run `args` on `c` and check the events it published.
fn check(c: &mut Client, sub: &mut Client, args: &[&str], want: &[(&str, &str)]) {
    let reply = c.cmd(args);
    assert!(!reply.is_error() || want.is_empty(), "{args:?}: {reply:?}");
    assert_eq!(received(sub, c), events(want), "events of {args:?}");
}

/// Wait until INFO reports `n` blocked clients.
fn wait_blocked(c: &mut Client, n: usize) {
    let ok = common::wait_for(Duration::from_secs(5), || {
        c.info_field("clients", "blocked_clients") == Some(n.to_string())
    });
    assert!(ok, "blocked_clients never reached {n}");
}

/// WATCH `key` on a fresh client, let `change` run on `c`, then check
/// whether the watcher's MULTI/EXEC ran (`survives`) or got a null array.
fn watch_case(srv: &Server, c: &mut Client, key: &str, change: &[&str], survives: bool) {
    let mut w = srv.client();
    assert_eq!(w.cmd(&["WATCH", key]), Resp::ok());
    let reply = c.cmd(change);
    assert!(!reply.is_error(), "{change:?}: {reply:?}");
    assert_eq!(w.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(w.cmd(&["PING"]), Resp::simple("QUEUED"));
    let exec = w.cmd(&["EXEC"]);
    if survives {
        assert_eq!(exec, Resp::arr(vec![Resp::simple("PONG")]), "{change:?}");
    } else {
        assert_eq!(exec, Resp::Array(None), "{change:?} should abort EXEC");
    }
}

// ---------------------------------------------------------------- lists

#[test]
fn list_pushes_and_edits_publish_redis_events() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c);
    check(
        &mut c,
        &mut sub,
        &["LPUSH", "l", "a", "b"],
        &[("lpush", "l")],
    );
    check(&mut c, &mut sub, &["RPUSH", "l", "c"], &[("rpush", "l")]);
    check(&mut c, &mut sub, &["RPUSHX", "l", "d"], &[("rpush", "l")]);
    check(&mut c, &mut sub, &["LPUSHX", "nokey", "d"], &[]);
    check(
        &mut c,
        &mut sub,
        &["LINSERT", "l", "BEFORE", "a", "z"],
        &[("linsert", "l")],
    );
    check(
        &mut c,
        &mut sub,
        &["LINSERT", "l", "BEFORE", "nope", "z"],
        &[],
    );
    check(&mut c, &mut sub, &["LSET", "l", "0", "x"], &[("lset", "l")]);
    check(&mut c, &mut sub, &["LSET", "l", "99", "x"], &[]);
    check(&mut c, &mut sub, &["LREM", "l", "0", "nope"], &[]);
    check(&mut c, &mut sub, &["LREM", "l", "0", "z"], &[("lrem", "l")]);
    // LTRIM reports even a trim that cuts nothing.
    check(
        &mut c,
        &mut sub,
        &["LTRIM", "l", "0", "-1"],
        &[("ltrim", "l")],
    );
    check(&mut c, &mut sub, &["LTRIM", "nokey", "0", "-1"], &[]);
    check(&mut c, &mut sub, &["SADD", "s", "v"], &[("sadd", "s")]);
    check(&mut c, &mut sub, &["LPUSH", "s", "v"], &[]);
    check(&mut c, &mut sub, &["RPOPLPUSH", "l", "s"], &[]);
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        Resp::bulks(&["x", "a", "c", "d"])
    );
    check(
        &mut c,
        &mut sub,
        &["LTRIM", "l", "5", "6"],
        &[("ltrim", "l"), ("del", "l")],
    );
    // LREM that empties the list: lrem, then del.
    c.cmd(&["RPUSH", "r", "a", "a"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["LREM", "r", "0", "a"],
        &[("lrem", "r"), ("del", "r")],
    );
}

#[test]
fn list_pops_and_moves_publish_redis_events() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c);
    c.cmd(&["RPUSH", "l", "a", "b", "c", "d", "e"]);
    received(&mut sub, &mut c);
    check(&mut c, &mut sub, &["LPOP", "l"], &[("lpop", "l")]);
    check(&mut c, &mut sub, &["RPOP", "l", "2"], &[("rpop", "l")]);
    check(&mut c, &mut sub, &["LPOP", "l", "0"], &[]);
    check(&mut c, &mut sub, &["LPOP", "nokey"], &[]);
    // The destination's push comes first, then the source's pop.
    check(
        &mut c,
        &mut sub,
        &["LMOVE", "l", "d", "LEFT", "RIGHT"],
        &[("rpush", "d"), ("lpop", "l")],
    );
    check(
        &mut c,
        &mut sub,
        &["RPOPLPUSH", "l", "d"],
        &[("lpush", "d"), ("rpop", "l"), ("del", "l")],
    );
    check(&mut c, &mut sub, &["RPOPLPUSH", "nokey", "d"], &[]);
    // Rotating a list onto itself.
    check(
        &mut c,
        &mut sub,
        &["LMOVE", "d", "d", "LEFT", "RIGHT"],
        &[("rpush", "d"), ("lpop", "d")],
    );
    check(
        &mut c,
        &mut sub,
        &["LMPOP", "2", "nokey", "d", "LEFT", "COUNT", "1"],
        &[("lpop", "d")],
    );
    check(&mut c, &mut sub, &["LMPOP", "1", "nokey", "LEFT"], &[]);
    check(
        &mut c,
        &mut sub,
        &["RPOP", "d", "10"],
        &[("rpop", "d"), ("del", "d")],
    );
    // Non-blocking forms of the blocking pops.
    c.cmd(&["RPUSH", "b", "1", "2", "3"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["BLPOP", "nokey", "b", "0"],
        &[("lpop", "b")],
    );
    check(
        &mut c,
        &mut sub,
        &["BLMPOP", "0", "1", "b", "RIGHT", "COUNT", "1"],
        &[("rpop", "b")],
    );
    check(
        &mut c,
        &mut sub,
        &["BLMOVE", "b", "o", "LEFT", "LEFT", "0"],
        &[("lpush", "o"), ("lpop", "b"), ("del", "b")],
    );
    check(
        &mut c,
        &mut sub,
        &["BRPOPLPUSH", "o", "o", "0"],
        &[("lpush", "o"), ("rpop", "o")],
    );
}

#[test]
fn list_writes_abort_a_watchers_exec_and_no_ops_do_not() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "a", "b", "c", "d", "e", "f", "g"]);
    watch_case(&srv, &mut c, "l", &["LREM", "l", "0", "nope"], true);
    watch_case(
        &srv,
        &mut c,
        "l",
        &["LINSERT", "l", "AFTER", "nope", "x"],
        true,
    );
    watch_case(&srv, &mut c, "l", &["LPOP", "l", "0"], true);
    watch_case(&srv, &mut c, "l", &["LPUSH", "l", "x"], false);
    watch_case(&srv, &mut c, "l", &["LSET", "l", "0", "y"], false);
    watch_case(&srv, &mut c, "l", &["LTRIM", "l", "0", "-1"], false);
    watch_case(&srv, &mut c, "l", &["LREM", "l", "1", "y"], false);
    watch_case(
        &srv,
        &mut c,
        "l",
        &["LINSERT", "l", "AFTER", "a", "x"],
        false,
    );
    watch_case(&srv, &mut c, "l", &["RPOP", "l"], false);
    watch_case(&srv, &mut c, "l", &["LMPOP", "1", "l", "LEFT"], false);
    // Both ends of a move.
    watch_case(
        &srv,
        &mut c,
        "l",
        &["LMOVE", "l", "m", "LEFT", "LEFT"],
        false,
    );
    watch_case(
        &srv,
        &mut c,
        "m",
        &["LMOVE", "l", "m", "LEFT", "LEFT"],
        false,
    );
    watch_case(&srv, &mut c, "l", &["BLPOP", "l", "0"], false);
}

// ---------------------------------------------------------------- blocking

#[test]
fn serving_blocked_clients_publishes_the_pops_redis_does() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c);
    let mut b = srv.client();

    // BLPOP: the push, then the pop for the blocked client, then del.
    b.send(&["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    check(
        &mut c,
        &mut sub,
        &["RPUSH", "k", "v"],
        &[("rpush", "k"), ("lpop", "k"), ("del", "k")],
    );
    assert_eq!(b.read_reply(), Resp::bulks(&["k", "v"]));

    // BRPOP with data left over: no del.
    b.send(&["BRPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    check(
        &mut c,
        &mut sub,
        &["LPUSH", "k", "1", "2"],
        &[("lpush", "k"), ("rpop", "k")],
    );
    assert_eq!(b.read_reply(), Resp::bulks(&["k", "1"]));
    c.cmd(&["DEL", "k"]);
    received(&mut sub, &mut c);

    // BLMPOP.
    b.send(&["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "5"]);
    wait_blocked(&mut c, 1);
    check(
        &mut c,
        &mut sub,
        &["RPUSH", "k", "1", "2"],
        &[("rpush", "k"), ("lpop", "k"), ("del", "k")],
    );
    b.read_reply();

    // BLMOVE: the source's push, the destination's push, the source's pop.
    b.send(&["BLMOVE", "k", "dst", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut c, 1);
    check(
        &mut c,
        &mut sub,
        &["RPUSH", "k", "x"],
        &[
            ("rpush", "k"),
            ("lpush", "dst"),
            ("rpop", "k"),
            ("del", "k"),
        ],
    );
    assert_eq!(b.read_reply(), Resp::bulk("x"));

    // BZPOPMIN and BZMPOP.
    b.send(&["BZPOPMIN", "z", "0"]);
    wait_blocked(&mut c, 1);
    check(
        &mut c,
        &mut sub,
        &["ZADD", "z", "1", "a", "2", "b"],
        &[("zadd", "z"), ("zpopmin", "z")],
    );
    b.read_reply();
    c.cmd(&["DEL", "z"]);
    received(&mut sub, &mut c);
    b.send(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "10"]);
    wait_blocked(&mut c, 1);
    check(
        &mut c,
        &mut sub,
        &["ZADD", "z", "1", "a", "2", "b"],
        &[("zadd", "z"), ("zpopmax", "z"), ("del", "z")],
    );
    b.read_reply();
}

#[test]
fn serving_blocked_clients_invalidates_watches() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut b = srv.client();
    // The destination a served BLMOVE pushes to.
    b.send(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut c, 1);
    watch_case(&srv, &mut c, "dst", &["RPUSH", "src", "v"], false);
    assert_eq!(b.read_reply(), Resp::bulk("v"));
    // A served BZPOPMIN on a key that stays.
    b.send(&["BZPOPMIN", "z", "0"]);
    wait_blocked(&mut c, 1);
    watch_case(&srv, &mut c, "z", &["ZADD", "z", "1", "a", "2", "b"], false);
    b.read_reply();
}

#[test]
fn a_served_client_sees_its_own_watch_invalidated() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut b = srv.client();
    // b watches the destination of its own BLMOVE: serving it changes dst.
    assert_eq!(b.cmd(&["WATCH", "dst"]), Resp::ok());
    b.send(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "src", "v"]);
    assert_eq!(b.read_reply(), Resp::bulk("v"));
    assert_eq!(b.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(b.cmd(&["PING"]), Resp::simple("QUEUED"));
    assert_eq!(b.cmd(&["EXEC"]), Resp::Array(None));
}

#[test]
fn a_served_resp3_subscriber_gets_the_events_of_its_own_pop() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let _sub = subscriber(&srv, &mut c);
    let mut b = srv.client();
    assert!(!b.cmd(&["HELLO", "3"]).is_error());
    b.cmd(&["SUBSCRIBE", "__keyevent@0__:lpop"]);
    b.send(&["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "k", "v"]);
    // Both the BLPOP reply and the lpop event reach the served client.
    let mut got = [b.read_reply(), b.read_reply()];
    got.sort_by_key(|r| matches!(r, Resp::Push(_)));
    assert_eq!(got[0], Resp::bulks(&["k", "v"]));
    assert_eq!(
        got[1],
        Resp::Push(vec![
            Resp::bulk("message"),
            Resp::bulk("__keyevent@0__:lpop"),
            Resp::bulk("k")
        ])
    );
}

// ---------------------------------------------------------------- sets

#[test]
fn set_writes_publish_redis_events() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c);
    check(
        &mut c,
        &mut sub,
        &["SADD", "s", "a", "b", "c", "d"],
        &[("sadd", "s")],
    );
    check(&mut c, &mut sub, &["SADD", "s", "a"], &[]);
    check(&mut c, &mut sub, &["SREM", "s", "x"], &[]);
    check(&mut c, &mut sub, &["SREM", "nokey", "x"], &[]);
    check(&mut c, &mut sub, &["SREM", "s", "a", "x"], &[("srem", "s")]);
    check(
        &mut c,
        &mut sub,
        &["SMOVE", "s", "t", "b"],
        &[("srem", "s"), ("sadd", "t")],
    );
    check(&mut c, &mut sub, &["SMOVE", "s", "t", "nope"], &[]);
    check(&mut c, &mut sub, &["SMOVE", "s", "s", "c"], &[]);
    // Moving a member the destination already has: only the source changes.
    c.cmd(&["SADD", "t", "c"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["SMOVE", "s", "t", "c"],
        &[("srem", "s")],
    );
    check(
        &mut c,
        &mut sub,
        &["SMOVE", "s", "t", "d"],
        &[("srem", "s"), ("del", "s"), ("sadd", "t")],
    );
    check(&mut c, &mut sub, &["SRANDMEMBER", "t", "2"], &[]);
    check(&mut c, &mut sub, &["SPOP", "t"], &[("spop", "t")]);
    check(&mut c, &mut sub, &["SPOP", "t", "0"], &[]);
    check(&mut c, &mut sub, &["SPOP", "nokey", "3"], &[]);
    check(
        &mut c,
        &mut sub,
        &["SPOP", "t", "5"],
        &[("spop", "t"), ("del", "t")],
    );
    c.cmd(&["SADD", "p", "1", "2", "3", "4", "5", "6"]);
    received(&mut sub, &mut c);
    check(&mut c, &mut sub, &["SPOP", "p", "2"], &[("spop", "p")]);
    check(&mut c, &mut sub, &["SPOP", "p", "3"], &[("spop", "p")]);
    check(
        &mut c,
        &mut sub,
        &["SPOP", "p"],
        &[("spop", "p"), ("del", "p")],
    );
    check(&mut c, &mut sub, &["SREM", "nokey", "a"], &[]);
    c.cmd(&["SADD", "q", "a"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["SREM", "q", "a", "b"],
        &[("srem", "q"), ("del", "q")],
    );
}

#[test]
fn set_stores_publish_redis_events() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c);
    c.cmd(&["SADD", "a", "1", "2", "3"]);
    c.cmd(&["SADD", "b", "2", "3", "4"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["SINTERSTORE", "d", "a", "b"],
        &[("sinterstore", "d")],
    );
    check(
        &mut c,
        &mut sub,
        &["SUNIONSTORE", "d", "a", "b"],
        &[("sunionstore", "d")],
    );
    check(
        &mut c,
        &mut sub,
        &["SDIFFSTORE", "d", "a", "b"],
        &[("sdiffstore", "d")],
    );
    // An empty result deletes the destination: del, not the store event.
    check(
        &mut c,
        &mut sub,
        &["SDIFFSTORE", "d", "a", "a"],
        &[("del", "d")],
    );
    check(&mut c, &mut sub, &["SDIFFSTORE", "d", "a", "a"], &[]);
    c.cmd(&["SET", "d", "x"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["SINTERSTORE", "d", "a", "nokey"],
        &[("del", "d")],
    );
    check(&mut c, &mut sub, &["SINTERSTORE", "d", "a", "nokey"], &[]);
    check(&mut c, &mut sub, &["SUNIONSTORE", "d", "nokey"], &[]);
    check(&mut c, &mut sub, &["SINTER", "a", "b"], &[]);
}

#[test]
fn set_writes_abort_a_watchers_exec_and_no_ops_do_not() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SADD", "s", "a", "b", "c", "d", "e"]);
    c.cmd(&["SADD", "o", "1", "2"]);
    watch_case(&srv, &mut c, "s", &["SADD", "s", "a"], true);
    watch_case(&srv, &mut c, "s", &["SREM", "s", "nope"], true);
    watch_case(&srv, &mut c, "s", &["SMOVE", "s", "o", "nope"], true);
    watch_case(&srv, &mut c, "s", &["SPOP", "s", "0"], true);
    watch_case(&srv, &mut c, "s", &["SADD", "s", "x"], false);
    watch_case(&srv, &mut c, "s", &["SREM", "s", "x"], false);
    watch_case(&srv, &mut c, "s", &["SPOP", "s"], false);
    watch_case(&srv, &mut c, "s", &["SPOP", "s", "1"], false);
    watch_case(&srv, &mut c, "s", &["SMOVE", "o", "s", "1"], false);
    watch_case(&srv, &mut c, "o", &["SMOVE", "o", "s", "2"], false);
    watch_case(&srv, &mut c, "d", &["SUNIONSTORE", "d", "s"], false);
    watch_case(
        &srv,
        &mut c,
        "d",
        &["SINTERSTORE", "d", "s", "nokey"],
        false,
    );
    // Nothing to delete: no change.
    watch_case(&srv, &mut c, "d", &["SINTERSTORE", "d", "s", "nokey"], true);
}

// ---------------------------------------------------------------- sorted sets

#[test]
fn zset_writes_publish_redis_events() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c);
    check(
        &mut c,
        &mut sub,
        &["ZADD", "z", "1", "a", "2", "b"],
        &[("zadd", "z")],
    );
    check(&mut c, &mut sub, &["ZADD", "z", "1", "a"], &[]);
    check(&mut c, &mut sub, &["ZADD", "z", "XX", "1", "new"], &[]);
    check(&mut c, &mut sub, &["ZADD", "nokey", "XX", "1", "a"], &[]);
    check(&mut c, &mut sub, &["ZADD", "z", "GT", "0", "a"], &[]);
    check(&mut c, &mut sub, &["ZADD", "z", "5", "a"], &[("zadd", "z")]);
    check(
        &mut c,
        &mut sub,
        &["ZADD", "z", "INCR", "1", "a"],
        &[("zincr", "z")],
    );
    check(
        &mut c,
        &mut sub,
        &["ZINCRBY", "z", "1", "c"],
        &[("zincr", "z")],
    );
    check(&mut c, &mut sub, &["ZINCRBY", "z", "0", "c"], &[]);
    check(
        &mut c,
        &mut sub,
        &["ZADD", "z", "NX", "INCR", "1", "a"],
        &[],
    );
    check(&mut c, &mut sub, &["ZREM", "z", "nope"], &[]);
    check(
        &mut c,
        &mut sub,
        &["ZREM", "z", "c", "nope"],
        &[("zrem", "z")],
    );
    check(
        &mut c,
        &mut sub,
        &["ZADD", "z", "3", "c", "4", "d", "5", "e"],
        &[("zadd", "z")],
    );
    check(
        &mut c,
        &mut sub,
        &["ZREMRANGEBYSCORE", "z", "100", "200"],
        &[],
    );
    check(
        &mut c,
        &mut sub,
        &["ZREMRANGEBYSCORE", "z", "3", "3"],
        &[("zremrangebyscore", "z")],
    );
    check(
        &mut c,
        &mut sub,
        &["ZREMRANGEBYRANK", "z", "0", "0"],
        &[("zremrangebyrank", "z")],
    );
    c.cmd(&["ZADD", "lex", "0", "a", "0", "b", "0", "c"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["ZREMRANGEBYLEX", "lex", "[x", "[y"],
        &[],
    );
    check(
        &mut c,
        &mut sub,
        &["ZREMRANGEBYLEX", "lex", "[b", "[b"],
        &[("zremrangebylex", "lex")],
    );
    check(&mut c, &mut sub, &["ZRANGE", "z", "0", "-1"], &[]);
    check(&mut c, &mut sub, &["ZPOPMIN", "z", "0"], &[]);
    check(&mut c, &mut sub, &["ZPOPMIN", "nokey"], &[]);
    check(&mut c, &mut sub, &["ZPOPMIN", "z"], &[("zpopmin", "z")]);
    c.cmd(&["ZADD", "z", "7", "f", "8", "g"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["ZPOPMAX", "z", "2"],
        &[("zpopmax", "z")],
    );
    check(
        &mut c,
        &mut sub,
        &["ZMPOP", "2", "nokey", "z", "MIN", "COUNT", "5"],
        &[("zpopmin", "z"), ("del", "z")],
    );
    check(&mut c, &mut sub, &["ZMPOP", "1", "z", "MIN"], &[]);
    c.cmd(&["ZADD", "y", "1", "a"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["ZREM", "y", "a"],
        &[("zrem", "y"), ("del", "y")],
    );
    c.cmd(&["ZADD", "y", "1", "a"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["ZREMRANGEBYRANK", "y", "0", "-1"],
        &[("zremrangebyrank", "y"), ("del", "y")],
    );
    check(&mut c, &mut sub, &["SADD", "str", "v"], &[("sadd", "str")]);
    check(&mut c, &mut sub, &["ZADD", "str", "1", "a"], &[]);
    check(&mut c, &mut sub, &["ZPOPMIN", "str"], &[]);
}

#[test]
fn zset_stores_publish_redis_events() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c);
    c.cmd(&["ZADD", "a", "1", "x", "2", "y"]);
    c.cmd(&["ZADD", "b", "1", "y", "2", "z"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["ZUNIONSTORE", "d", "2", "a", "b"],
        &[("zunionstore", "d")],
    );
    check(
        &mut c,
        &mut sub,
        &["ZINTERSTORE", "d", "2", "a", "b"],
        &[("zinterstore", "d")],
    );
    check(
        &mut c,
        &mut sub,
        &["ZDIFFSTORE", "d", "2", "a", "b"],
        &[("zdiffstore", "d")],
    );
    check(
        &mut c,
        &mut sub,
        &["ZRANGESTORE", "d", "a", "0", "-1"],
        &[("zrangestore", "d")],
    );
    check(
        &mut c,
        &mut sub,
        &["ZRANGESTORE", "d", "a", "5", "6"],
        &[("del", "d")],
    );
    check(&mut c, &mut sub, &["ZRANGESTORE", "d", "a", "5", "6"], &[]);
    c.cmd(&["SET", "d", "v"]);
    received(&mut sub, &mut c);
    check(
        &mut c,
        &mut sub,
        &["ZINTERSTORE", "d", "2", "a", "nokey"],
        &[("del", "d")],
    );
    check(&mut c, &mut sub, &["ZDIFFSTORE", "d", "1", "nokey"], &[]);
    check(
        &mut c,
        &mut sub,
        &["ZRANGESTORE", "d", "nokey", "0", "-1"],
        &[],
    );
    check(&mut c, &mut sub, &["ZUNION", "2", "a", "b"], &[]);
}

#[test]
fn zset_writes_abort_a_watchers_exec_and_no_ops_do_not() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
    watch_case(&srv, &mut c, "z", &["ZADD", "z", "1", "a"], true);
    watch_case(&srv, &mut c, "z", &["ZREM", "z", "nope"], true);
    watch_case(
        &srv,
        &mut c,
        "z",
        &["ZREMRANGEBYSCORE", "z", "100", "200"],
        true,
    );
    watch_case(&srv, &mut c, "z", &["ZPOPMIN", "z", "0"], true);
    watch_case(&srv, &mut c, "z", &["ZADD", "z", "9", "a"], false);
    watch_case(&srv, &mut c, "z", &["ZINCRBY", "z", "1", "a"], false);
    watch_case(&srv, &mut c, "z", &["ZREM", "z", "a"], false);
    watch_case(
        &srv,
        &mut c,
        "z",
        &["ZREMRANGEBYRANK", "z", "0", "0"],
        false,
    );
    watch_case(&srv, &mut c, "z", &["ZPOPMAX", "z"], false);
    watch_case(&srv, &mut c, "z", &["BZPOPMIN", "z", "0"], false);
    watch_case(&srv, &mut c, "d", &["ZUNIONSTORE", "d", "1", "z"], false);
    watch_case(
        &srv,
        &mut c,
        "d",
        &["ZRANGESTORE", "d", "z", "0", "0"],
        false,
    );
    watch_case(
        &srv,
        &mut c,
        "d",
        &["ZINTERSTORE", "d", "2", "z", "nokey"],
        false,
    );
    watch_case(
        &srv,
        &mut c,
        "d",
        &["ZINTERSTORE", "d", "2", "z", "nokey"],
        true,
    );
}
