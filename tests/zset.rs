//! Sorted set commands over the wire: ZADD's option rules, score formatting
//! (RESP2 `%.17g` bulk strings, RESP3 doubles), the ZRANGE family with its
//! score and lex ranges, range deletions, pops, ZRANDMEMBER, ZSCAN, the set
//! operations and the listpack/skiplist encodings OBJECT reports. Mirrors
//! Redis' t_zset.c and tests/unit/type/zset.tcl; each expected reply is what
//! Redis 7.0.15 sends (checked against it with FERRODIS_TEST_SERVER).

#[macro_use]
mod common;

use common::{Resp, Server};

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

fn err(s: &str) -> Resp {
    Resp::err(s)
}

#[test]
fn zadd_options_and_their_conflicts() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["ZADD", "z", "1", "a", "2", "b"]), int(2));
    assert_eq!(c.cmd(&["ZADD", "z", "XX", "5", "new"]), int(0));
    assert_eq!(c.cmd(&["ZADD", "z", "NX", "9", "a", "3", "c"]), int(1));
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), Resp::bulk("1"));
    assert_eq!(
        c.cmd(&["ZADD", "z", "CH", "10", "a", "20", "d", "2", "b"]),
        int(2)
    );
    assert_eq!(c.cmd(&["ZADD", "z", "GT", "CH", "5", "a"]), int(0));
    assert_eq!(c.cmd(&["ZADD", "z", "LT", "CH", "5", "a"]), int(1));
    assert_eq!(
        c.cmd(&["ZADD", "z", "NX", "XX", "1", "a"]),
        err("ERR XX and NX options at the same time are not compatible")
    );
    for opts in [["GT", "LT"], ["GT", "NX"], ["NX", "LT"]] {
        assert_eq!(
            c.cmd(&["ZADD", "z", opts[0], opts[1], "1", "a"]),
            err("ERR GT, LT, and/or NX options at the same time are not compatible")
        );
    }
    assert_eq!(
        c.cmd(&["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        err("ERR INCR option supports a single increment-element pair")
    );
    assert_eq!(
        c.cmd(&["ZADD", "z", "1"]),
        err("ERR wrong number of arguments for 'zadd' command")
    );
    assert_eq!(c.cmd(&["ZADD", "z", "CH", "1"]), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["ZADD", "z", "1", "a", "2"]),
        err("ERR syntax error")
    );
    // A bad score anywhere refuses the whole command.
    assert_eq!(
        c.cmd(&["ZADD", "z", "1", "x", "abc", "y"]),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        c.cmd(&["ZADD", "z", "nan", "x"]),
        err("ERR value is not a valid float")
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "x"]), Resp::nil());
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "1.5", "a"]), Resp::bulk("6.5"));
    assert_eq!(
        c.cmd(&["ZADD", "z", "XX", "INCR", "1", "nope"]),
        Resp::nil()
    );
    assert_eq!(c.cmd(&["ZADD", "z", "GT", "INCR", "-1", "a"]), Resp::nil());
}

#[test]
fn zincrby_formats_scores_and_refuses_nan() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["ZINCRBY", "z", "0.1", "m"]),
        Resp::bulk("0.10000000000000001")
    );
    assert_eq!(c.cmd(&["ZINCRBY", "z", "inf", "m"]), Resp::bulk("inf"));
    assert_eq!(
        c.cmd(&["ZINCRBY", "z", "-inf", "m"]),
        err("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "m"]), Resp::bulk("inf"));
    assert_eq!(
        c.cmd(&["ZINCRBY", "z", "1"]),
        err("ERR wrong number of arguments for 'zincrby' command")
    );
    assert_eq!(c.cmd(&["SET", "s", "x"]), Resp::ok());
    assert_eq!(
        c.cmd(&["ZINCRBY", "s", "1", "m"]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn resp3_scores_are_doubles_and_pairs_are_nested() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["ZADD", "z", "1", "a", "2.5", "b"]);
    assert_bytes!(
        c.raw(b"*3\r\n$6\r\nZSCORE\r\n$1\r\nz\r\n$1\r\nb\r\n"),
        b",2.5\r\n"
    );
    assert_bytes!(
        c.raw(b"*5\r\n$6\r\nZRANGE\r\n$1\r\nz\r\n$1\r\n0\r\n$2\r\n-1\r\n$10\r\nWITHSCORES\r\n"),
        b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    );
    // ZPOPMIN without a count stays flat; with one it nests.
    assert_bytes!(
        c.raw(b"*2\r\n$7\r\nZPOPMIN\r\n$1\r\nz\r\n"),
        b"*2\r\n$1\r\na\r\n,1\r\n"
    );
    assert_bytes!(
        c.raw(b"*3\r\n$7\r\nZPOPMAX\r\n$1\r\nz\r\n$1\r\n5\r\n"),
        b"*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    );
    assert_bytes!(
        c.raw(b"*4\r\n$5\r\nZMPOP\r\n$1\r\n1\r\n$1\r\nz\r\n$3\r\nMIN\r\n"),
        b"_\r\n"
    );
}

#[test]
fn range_queries_by_rank_score_and_lex() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(c.cmd(&["ZRANGE", "z", "1", "-2"]), Resp::bulks(&["b", "c"]));
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "0", "0", "REV", "WITHSCORES"]),
        Resp::bulks(&["d", "4"])
    );
    assert_eq!(
        c.cmd(&["ZREVRANGE", "z", "-100", "100"]),
        Resp::bulks(&["d", "c", "b", "a"])
    );
    assert_eq!(c.cmd(&["ZRANGE", "z", "5", "1"]), Resp::arr(vec![]));
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "(1", "3"]),
        Resp::bulks(&["b", "c"])
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"]),
        Resp::bulks(&["c", "b"])
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"]),
        Resp::arr(vec![])
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "3", "-1"]),
        Resp::bulks(&["d"])
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "x", "1"]),
        err("ERR min or max is not a float")
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "nan", "1"]),
        err("ERR min or max is not a float")
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"]),
        err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        )
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"]),
        err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    );
    assert_eq!(
        c.cmd(&["ZREVRANGE", "z", "0", "1", "REV"]),
        err("ERR syntax error")
    );
    assert_eq!(c.cmd(&["ZCOUNT", "z", "(1", "(4"]), int(2));
    assert_eq!(c.cmd(&["ZRANK", "z", "c"]), int(2));
    assert_eq!(c.cmd(&["ZREVRANK", "z", "c"]), int(1));
    assert_eq!(c.cmd(&["ZRANK", "z", "nope"]), Resp::nil());

    c.cmd(&["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"]);
    assert_eq!(
        c.cmd(&["ZRANGEBYLEX", "l", "(a", "[c"]),
        Resp::bulks(&["b", "c"])
    );
    assert_eq!(
        c.cmd(&["ZREVRANGEBYLEX", "l", "+", "[c"]),
        Resp::bulks(&["d", "c"])
    );
    assert_eq!(c.cmd(&["ZLEXCOUNT", "l", "-", "+"]), int(4));
    assert_eq!(
        c.cmd(&["ZLEXCOUNT", "l", "a", "+"]),
        err("ERR min or max not valid string range item")
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYLEX", "l", "[a", "+b"]),
        err("ERR min or max not valid string range item")
    );
}

#[test]
fn both_encodings_answer_the_same() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "4"]);
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..50 {
        args.push(format!("{}", i % 7));
        args.push(format!("m{i:02}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    c.cmd(&refs);
    let mut small = refs.clone();
    small[1] = "small";
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "128"]);
    c.cmd(&small);
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "big"]),
        Resp::bulk("skiplist")
    );
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "small"]),
        Resp::bulk("listpack")
    );
    let queries: &[&[&str]] = &[
        &["ZRANGE", "K", "3", "17", "WITHSCORES"],
        &["ZRANGE", "K", "(2", "5", "BYSCORE", "LIMIT", "3", "4"],
        &["ZREVRANGEBYSCORE", "K", "5", "(2", "WITHSCORES"],
        &["ZRANK", "K", "m17"],
        &["ZREVRANK", "K", "m17"],
        &["ZCOUNT", "K", "1", "3"],
        &["ZSCORE", "K", "m33"],
        &["ZRANGE", "K", "-3", "-1", "REV"],
    ];
    for q in queries {
        let mut a: Vec<&str> = q.to_vec();
        a[1] = "big";
        let big = c.cmd(&a);
        a[1] = "small";
        assert_eq!(big, c.cmd(&a), "{q:?}");
    }
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", "big", "1", "2"]), int(14));
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", "small", "1", "2"]), int(14));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "big", "0", "9"]), int(10));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "small", "0", "9"]), int(10));
    assert_eq!(
        c.cmd(&["ZRANGE", "big", "0", "-1"]),
        c.cmd(&["ZRANGE", "small", "0", "-1"])
    );
    // Never converted back by removals.
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "big", "1", "-1"]), int(25));
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "big"]),
        Resp::bulk("skiplist")
    );
}

#[test]
fn encoding_thresholds_and_store_results() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "3"]);
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-value", "5"]);
    c.cmd(&["ZADD", "a", "1", "x", "2", "y", "3", "z"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "a"]), Resp::bulk("listpack"));
    c.cmd(&["ZADD", "a", "4", "w"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "a"]), Resp::bulk("skiplist"));
    c.cmd(&["ZADD", "b", "1", "toolong"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "b"]), Resp::bulk("skiplist"));
    // ZUNIONSTORE converts a small result back; ZRANGESTORE of a rank range
    // bigger than the limit starts as a skiplist.
    c.cmd(&["ZREM", "a", "w"]);
    assert_eq!(c.cmd(&["ZUNIONSTORE", "d", "1", "a"]), int(3));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "d"]), Resp::bulk("listpack"));
    c.cmd(&["ZADD", "a", "4", "w"]);
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "a", "0", "-1"]), int(4));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "d"]), Resp::bulk("skiplist"));
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "a", "0", "2"]), int(3));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "d"]), Resp::bulk("listpack"));
    // An empty result deletes the destination.
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "a", "10", "20"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
}

#[test]
fn pops_and_zmpop_argument_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(c.cmd(&["ZPOPMIN", "z"]), Resp::bulks(&["a", "1"]));
    assert_eq!(c.cmd(&["ZPOPMAX", "z", "0"]), Resp::arr(vec![]));
    assert_eq!(
        c.cmd(&["ZPOPMIN", "z", "-1"]),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(c.cmd(&["ZPOPMIN", "z", "1", "2"]), err("ERR syntax error"));
    assert_eq!(c.cmd(&["ZPOPMIN", "nokey"]), Resp::arr(vec![]));
    assert_eq!(
        c.cmd(&["ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "10"]),
        Resp::arr(vec![
            Resp::bulk("z"),
            Resp::arr(vec![Resp::bulks(&["c", "3"]), Resp::bulks(&["b", "2"])])
        ])
    );
    assert_eq!(c.cmd(&["EXISTS", "z"]), int(0));
    assert_eq!(c.cmd(&["ZMPOP", "1", "z", "MIN"]), Resp::Array(None));
    assert_eq!(
        c.cmd(&["ZMPOP", "0", "z", "MIN"]),
        err("ERR numkeys should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["ZMPOP", "1", "z", "MIN", "COUNT", "0"]),
        err("ERR count should be greater than 0")
    );
    assert_eq!(c.cmd(&["ZMPOP", "5", "z", "MIN"]), err("ERR syntax error"));
    assert_eq!(c.cmd(&["ZMPOP", "1", "z", "MID"]), err("ERR syntax error"));
}

#[test]
fn zrandmember_counts() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
    assert_eq!(c.cmd(&["ZRANDMEMBER", "z", "10"]).items().len(), 5);
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "-10", "WITHSCORES"])
            .items()
            .len(),
        20
    );
    let three = c.cmd(&["ZRANDMEMBER", "z", "3"]).strings();
    let mut uniq = three.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 3);
    assert_eq!(c.cmd(&["ZRANDMEMBER", "nokey"]), Resp::nil());
    assert_eq!(c.cmd(&["ZRANDMEMBER", "nokey", "3"]), Resp::arr(vec![]));
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"]),
        err("ERR value is out of range")
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "1", "WITHSCORE"]),
        err("ERR syntax error")
    );
}

#[test]
fn set_operations_weights_and_aggregates() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["ZADD", "a", "1", "a", "2", "b", "3", "c"]);
    c.cmd(&["ZADD", "b", "10", "b", "20", "c", "30", "d"]);
    assert_eq!(
        c.cmd(&["ZUNION", "2", "a", "b", "WEIGHTS", "2", "3", "WITHSCORES"]),
        Resp::bulks(&["a", "2", "b", "34", "c", "66", "d", "90"])
    );
    assert_eq!(
        c.cmd(&["ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES"]),
        Resp::bulks(&["b", "10", "c", "20"])
    );
    assert_eq!(c.cmd(&["ZDIFF", "2", "a", "b"]), Resp::bulks(&["a"]));
    assert_eq!(c.cmd(&["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]), int(1));
    assert_eq!(
        c.cmd(&["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"]),
        err("ERR LIMIT can't be negative")
    );
    assert_eq!(
        c.cmd(&["ZUNION", "0", "a"]),
        err("ERR at least 1 input key is needed for 'zunion' command")
    );
    assert_eq!(c.cmd(&["ZUNION", "3", "a", "b"]), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"]),
        err("ERR weight value is not a float")
    );
    assert_eq!(
        c.cmd(&["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"]),
        err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"]),
        err("ERR syntax error")
    );
    // inf * 0 weights and inf - inf sums become 0, as Redis does.
    assert_eq!(
        c.cmd(&[
            "ZUNION",
            "2",
            "a",
            "a",
            "WEIGHTS",
            "inf",
            "-inf",
            "WITHSCORES"
        ]),
        Resp::bulks(&["a", "0", "b", "0", "c", "0"])
    );
    assert_eq!(c.cmd(&["ZINTERSTORE", "dst", "2", "a", "nokey"]), int(0));
    assert_eq!(c.cmd(&["ZUNIONSTORE", "a", "2", "a", "a"]), int(3));
    assert_eq!(
        c.cmd(&["ZRANGE", "a", "0", "-1", "WITHSCORES"]),
        Resp::bulks(&["a", "2", "b", "4", "c", "6"])
    );
    c.cmd(&["SET", "s", "x"]);
    assert_eq!(
        c.cmd(&["ZUNION", "2", "a", "s", "garbage"]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn zscan_both_encodings() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["ZADD", "small", "1.5", "a", "2", "b"]);
    assert_eq!(
        c.cmd(&["ZSCAN", "small", "0"]),
        Resp::arr(vec![Resp::bulk("0"), Resp::bulks(&["a", "1.5", "b", "2"])])
    );
    assert_eq!(c.cmd(&["ZSCAN", "small", "x"]), err("ERR invalid cursor"));
    assert_eq!(
        c.cmd(&["ZSCAN", "nokey", "0"]),
        Resp::arr(vec![Resp::bulk("0"), Resp::arr(vec![])])
    );
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..500 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    c.cmd(&refs);
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let r = c
            .cmd(&["ZSCAN", "big", &cursor, "COUNT", "50", "MATCH", "m1*"])
            .items();
        cursor = r[0].text();
        for pair in r[1].strings().chunks(2) {
            assert_eq!(format!("m{}", pair[1]), pair[0]);
            seen.insert(pair[0].clone());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 111);
}

#[test]
fn zrem_deletes_the_emptied_key() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    assert_eq!(c.cmd(&["ZREM", "z", "a", "nope"]), int(1));
    assert_eq!(c.cmd(&["ZREM", "z", "b", "b"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "z"]), int(0));
    assert_eq!(c.cmd(&["ZREM", "z", "b"]), int(0));
    assert_eq!(c.cmd(&["ZCARD", "z"]), int(0));
}
