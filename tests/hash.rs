//! Hash commands over the wire: HSET/HMSET/HSETNX, reads, HDEL deleting
//! emptied keys, HINCRBY/HINCRBYFLOAT numbers and errors, the
//! listpack -> hashtable conversion thresholds, HRANDFIELD's reply shapes
//! and count cases, HSCAN, DEBUG HTSTATS-KEY. Mirrors Redis' t_hash.c and
//! tests/unit/type/hash.tcl; each expected reply is what Redis 7.0.15 sends
//! (checked against a real redis-server).

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{encode_strs, Resp, Server};

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

/// The exact bytes of the reply to `args`.
fn raw(c: &mut common::Client, args: &[&str]) -> Vec<u8> {
    c.raw(&encode_strs(args))
}

fn encoding(c: &mut common::Client, key: &str) -> String {
    c.cmd(&["OBJECT", "ENCODING", key]).text()
}

fn sorted(r: Resp) -> Vec<String> {
    let mut v = r.strings();
    v.sort();
    v
}

// ---------------------------------------------------------------------------
// Basic reads and writes
// ---------------------------------------------------------------------------

#[test]
fn hset_counts_new_fields_and_hmset_says_ok() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["HSET", "h", "a", "1", "b", "2"]), int(2));
    assert_eq!(c.cmd(&["HSET", "h", "a", "10", "c", "3"]), int(1));
    assert_eq!(c.cmd(&["HMSET", "h", "d", "4"]), Resp::ok());
    assert_eq!(c.cmd(&["HLEN", "h"]), int(4));
    assert_eq!(c.cmd(&["HGET", "h", "a"]), Resp::bulk("10"));
    assert_eq!(c.cmd(&["HGET", "h", "zz"]), Resp::nil());
    assert_eq!(c.cmd(&["HGET", "nokey", "a"]), Resp::nil());
    assert_eq!(
        c.cmd(&["HMGET", "h", "a", "zz", "d"]),
        Resp::arr(vec![Resp::bulk("10"), Resp::nil(), Resp::bulk("4")])
    );
    assert_eq!(
        c.cmd(&["HMGET", "nokey", "a", "b"]),
        Resp::arr(vec![Resp::nil(), Resp::nil()])
    );
    assert_eq!(
        sorted(c.cmd(&["HGETALL", "h"])),
        ["10", "2", "3", "4", "a", "b", "c", "d"]
    );
    assert_eq!(c.cmd(&["HKEYS", "h"]).strings(), ["a", "b", "c", "d"]);
    assert_eq!(c.cmd(&["HVALS", "h"]).strings(), ["10", "2", "3", "4"]);
    assert_eq!(c.cmd(&["HEXISTS", "h", "a"]), int(1));
    assert_eq!(c.cmd(&["HEXISTS", "h", "zz"]), int(0));
    assert_eq!(c.cmd(&["HEXISTS", "nokey", "a"]), int(0));
    assert_eq!(c.cmd(&["HLEN", "nokey"]), int(0));
    assert_eq!(raw(&mut c, &["HKEYS", "nokey"]), b"*0\r\n");
    assert_eq!(raw(&mut c, &["HGETALL", "nokey"]), b"*0\r\n");
}

#[test]
fn wrong_argument_counts_name_the_command() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(
        raw(&mut c, &["HSET", "h", "a", "1", "b"]),
        b"-ERR wrong number of arguments for 'hset' command\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HMSET", "h", "a", "1", "b"]),
        b"-ERR wrong number of arguments for 'hmset' command\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HSET", "h", "a"]),
        b"-ERR wrong number of arguments for 'hset' command\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "h"]), int(0));
}

#[test]
fn hsetnx_only_adds() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["HSETNX", "h", "a", "1"]), int(1));
    assert_eq!(c.cmd(&["HSETNX", "h", "a", "2"]), int(0));
    assert_eq!(c.cmd(&["HGET", "h", "a"]), Resp::bulk("1"));
}

#[test]
fn hstrlen_counts_integers_in_decimal() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for v in [
        "-9223372036854775808",
        "9223372036854775807",
        "9223372036854775808",
        "",
        "0",
        "-1",
        "x",
    ] {
        c.cmd(&["HSET", "h", "f", v]);
        assert_eq!(c.cmd(&["HSTRLEN", "h", "f"]), int(v.len() as i64), "{v}");
    }
    assert_eq!(c.cmd(&["HSTRLEN", "h", "nofield"]), int(0));
    assert_eq!(c.cmd(&["HSTRLEN", "nokey", "f"]), int(0));
}

#[test]
fn hdel_deletes_the_key_with_its_last_field() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.cmd(&["HDEL", "h", "x", "y"]), int(0));
    assert_eq!(c.cmd(&["HDEL", "h", "a", "c", "f"]), int(2));
    assert_eq!(c.cmd(&["HGETALL", "h"]).strings(), ["b", "2"]);
    assert_eq!(c.cmd(&["HDEL", "h", "b", "b", "z"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "h"]), int(0));
    assert_eq!(c.cmd(&["HDEL", "nokey", "a"]), int(0));
}

#[test]
fn every_command_refuses_a_string_key() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "s", "x"]);
    let wrong = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    for args in [
        &["HSET", "s", "a", "1"][..],
        &["HSETNX", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HDEL", "s", "a"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HGETALL", "s"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "3"],
        &["HSCAN", "s", "0"],
        // Options are only parsed once the key is known to be a hash.
        &["HSCAN", "s", "0", "COUNT", "0"],
    ] {
        assert_bytes!(raw(&mut c, args), wrong, "{args:?}");
    }
    // Numeric arguments are checked before the key.
    assert_bytes!(
        raw(&mut c, &["HINCRBY", "s", "a", "x"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HINCRBYFLOAT", "s", "a", "x"]),
        b"-ERR value is not a valid float\r\n"
    );
    assert_eq!(c.cmd(&["GET", "s"]), Resp::bulk("x"));
}

// ---------------------------------------------------------------------------
// HINCRBY / HINCRBYFLOAT
// ---------------------------------------------------------------------------

#[test]
fn hincrby_adds_and_detects_bad_values_and_overflow() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "2"]), int(2));
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "-5"]), int(-3));
    assert_eq!(c.cmd(&["HGET", "h", "n"]), Resp::bulk("-3"));
    c.cmd(&["HSET", "h", "s", " 11", "t", "hello"]);
    for f in ["s", "t"] {
        assert_bytes!(
            raw(&mut c, &["HINCRBY", "h", f, "1"]),
            b"-ERR hash value is not an integer\r\n"
        );
    }
    c.cmd(&["HSET", "h", "big", "-9223372036854775484"]);
    assert_eq!(
        c.cmd(&["HINCRBY", "h", "big", "-1"]),
        int(-9223372036854775485)
    );
    assert_bytes!(
        raw(&mut c, &["HINCRBY", "h", "big", "-10000"]),
        b"-ERR increment or decrement would overflow\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HINCRBY", "h", "n", "9223372036854775808"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HINCRBY", "h", "n", "1.5"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
}

#[test]
fn hincrbyfloat_formats_like_redis_long_doubles() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "f", "1.23"]),
        Resp::bulk("1.23")
    );
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "0.77"]), Resp::bulk("2"));
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "f", "-0.1"]),
        Resp::bulk("1.9")
    );
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "g", "0.1"]), Resp::bulk("0.1"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "g", "0.2"]), Resp::bulk("0.3"));
    c.cmd(&["HSET", "h", "i", "17179869184"]);
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "i", "17179869184"]),
        Resp::bulk("34359738368")
    );
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "e", "3.0e3"]),
        Resp::bulk("3000")
    );
    assert_eq!(c.cmd(&["HGET", "h", "e"]), Resp::bulk("3000"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "z", "-0.0"]), Resp::bulk("0"));
}

#[test]
fn hincrbyfloat_refuses_nan_infinity_and_non_floats() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for inf in ["+inf", "-inf", "inf"] {
        assert_bytes!(
            raw(&mut c, &["HINCRBYFLOAT", "h", "f", inf]),
            b"-ERR value is NaN or Infinity\r\n"
        );
    }
    assert_eq!(c.cmd(&["EXISTS", "h"]), int(0));
    assert_bytes!(
        raw(&mut c, &["HINCRBYFLOAT", "h", "f", "nan"]),
        b"-ERR value is not a valid float\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HINCRBYFLOAT", "h", "f", " 1"]),
        b"-ERR value is not a valid float\r\n"
    );
    c.cmd(&["HSET", "h", "huge", "1e4932"]);
    assert_bytes!(
        raw(&mut c, &["HINCRBYFLOAT", "h", "huge", "1e4932"]),
        b"-ERR increment would produce NaN or Infinity\r\n"
    );
    for bad in [" 11", "11 ", "abc"] {
        c.cmd(&["HSET", "h", "s", bad]);
        assert_bytes!(
            raw(&mut c, &["HINCRBYFLOAT", "h", "s", "1"]),
            b"-ERR hash value is not a float\r\n"
        );
    }
    c.cmd_bytes(&[b"HSET", b"h", b"nul", b"1\x002"]);
    assert_bytes!(
        raw(&mut c, &["HINCRBYFLOAT", "h", "nul", "1"]),
        b"-ERR hash value is not a float\r\n"
    );
}

// ---------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------

#[test]
fn converts_to_hashtable_past_max_entries() {
    let srv = Server::start(&["--hash-max-listpack-entries", "4"]);
    let mut c = srv.client();
    c.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"]);
    assert_eq!(encoding(&mut c, "h"), "listpack");
    c.cmd(&["HSET", "h", "a", "again"]);
    assert_eq!(encoding(&mut c, "h"), "listpack");
    c.cmd(&["HSET", "h", "e", "5"]);
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    // Never back, however small it gets.
    c.cmd(&["HDEL", "h", "a", "b", "c", "d"]);
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    assert_eq!(c.cmd(&["HGETALL", "h"]).strings(), ["e", "5"]);
}

#[test]
fn converts_on_long_fields_and_values() {
    let srv = Server::start(&["--hash-max-listpack-value", "8"]);
    let mut c = srv.client();
    c.cmd(&["HSET", "a", "12345678", "12345678"]);
    assert_eq!(encoding(&mut c, "a"), "listpack");
    c.cmd(&["HSET", "b", "f", "123456789"]);
    assert_eq!(encoding(&mut c, "b"), "hashtable");
    c.cmd(&["HSET", "c", "123456789", "v"]);
    assert_eq!(encoding(&mut c, "c"), "hashtable");
    // HSETNX on an existing field writes nothing and converts nothing.
    c.cmd(&["HSET", "d", "f", "v"]);
    c.cmd(&["HSETNX", "d", "f", "123456789"]);
    assert_eq!(encoding(&mut c, "d"), "listpack");
    c.cmd(&["HSETNX", "d", "g", "123456789"]);
    assert_eq!(encoding(&mut c, "d"), "hashtable");
    // Values computed by HINCRBY* count too (hashTypeSet's own check).
    c.cmd(&["HSET", "e", "tmp", "0"]);
    c.cmd(&["HSET", "f", "tmp", "0"]);
    c.cmd(&["HINCRBYFLOAT", "e", "tmp", "0.000005"]);
    c.cmd(&["HINCRBYFLOAT", "f", "tmp", "0.0000005"]);
    assert_eq!(encoding(&mut c, "e"), "listpack");
    assert_eq!(encoding(&mut c, "f"), "hashtable");
    c.cmd(&["HINCRBY", "g", "abcdefgh", "1"]);
    c.cmd(&["HINCRBY", "i", "abcdefghi", "1"]);
    assert_eq!(encoding(&mut c, "g"), "listpack");
    assert_eq!(encoding(&mut c, "i"), "hashtable");
    c.cmd(&["HSET", "j", "f", "12345678"]);
    c.cmd(&["HINCRBY", "j", "f", "100000000"]);
    assert_eq!(encoding(&mut c, "j"), "hashtable");
    assert_eq!(c.cmd(&["HGET", "j", "f"]), Resp::bulk("112345678"));
}

#[test]
fn big_hashes_keep_every_field() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut model = BTreeMap::new();
    for i in 0..1500 {
        let (f, v) = (format!("field:{i}"), format!("{}", i * 7));
        c.cmd(&["HSET", "big", &f, &v]);
        model.insert(f, v);
    }
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    for (f, v) in model.iter().step_by(37) {
        assert_eq!(c.cmd(&["HGET", "big", f]), Resp::bulk(v));
    }
    let all = c.cmd(&["HGETALL", "big"]).strings();
    let got: BTreeMap<String, String> = all
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    assert_eq!(got, model);
    for i in 0..1400 {
        assert_eq!(c.cmd(&["HDEL", "big", &format!("field:{i}")]), int(1));
    }
    assert_eq!(c.cmd(&["HLEN", "big"]), int(100));
    assert_eq!(c.cmd(&["HGET", "big", "field:1450"]), Resp::bulk("10150"));
    assert!(c.cmd(&["MEMORY", "USAGE", "big"]).int() > 0);
}

#[test]
fn debug_htstats_key_needs_a_hashtable() {
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.client();
    c.cmd(&["HSET", "small", "a", "1"]);
    assert_bytes!(
        raw(&mut c, &["DEBUG", "HTSTATS-KEY", "small"]),
        b"-ERR The value stored at the specified key is not represented using an hash table\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["DEBUG", "HTSTATS-KEY", "nokey"]),
        b"-ERR no such key\r\n"
    );
    let long = "x".repeat(100);
    c.cmd(&["HSET", "big", "a", &long]);
    let stats = c.cmd(&["DEBUG", "HTSTATS-KEY", "big"]).text();
    assert!(
        stats.contains("Hash table 0 stats (main hash table):"),
        "{stats}"
    );
    assert!(stats.contains("number of elements: 1"), "{stats}");
}

// ---------------------------------------------------------------------------
// HRANDFIELD
// ---------------------------------------------------------------------------

#[test]
fn hrandfield_argument_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["HSET", "h", "a", "1"]);
    assert_bytes!(
        raw(&mut c, &["HRANDFIELD", "h", "-9223372036854775808"]),
        b"-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_bytes!(
        raw(
            &mut c,
            &["HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"]
        ),
        b"-ERR value is out of range\r\n"
    );
    assert_bytes!(
        raw(
            &mut c,
            &["HRANDFIELD", "h", "4611686018427387904", "withvalues"]
        ),
        b"-ERR value is out of range\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HRANDFIELD", "h", "1", "foo"]),
        b"-ERR syntax error\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HRANDFIELD", "h", "1", "withvalues", "x"]),
        b"-ERR syntax error\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HRANDFIELD", "h", "1.0"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
}

#[test]
fn hrandfield_empty_and_missing_replies() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(raw(&mut c, &["HRANDFIELD", "nokey"]), b"$-1\r\n");
    assert_bytes!(raw(&mut c, &["HRANDFIELD", "nokey", "5"]), b"*0\r\n");
    c.cmd(&["HSET", "h", "a", "1"]);
    assert_bytes!(raw(&mut c, &["HRANDFIELD", "h", "0"]), b"*0\r\n");
    assert_bytes!(raw(&mut c, &["HRANDFIELD", "h"]), b"$1\r\na\r\n");
    assert_bytes!(
        raw(&mut c, &["HRANDFIELD", "h", "-3", "WITHVALUES"]),
        b"*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    c.cmd(&["HELLO", "3"]);
    assert_bytes!(raw(&mut c, &["HRANDFIELD", "nokey"]), b"_\r\n");
    assert_bytes!(
        raw(&mut c, &["HRANDFIELD", "h", "5", "WITHVALUES"]),
        b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HRANDFIELD", "h", "-2"]),
        b"*2\r\n$1\r\na\r\n$1\r\na\r\n"
    );
}

/// Every count case of hrandfieldWithCountCommand, on both encodings.
#[test]
fn hrandfield_counts_on_both_encodings() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let long = "L".repeat(80);
    for (key, last) in [("lp", "j"), ("ht", long.as_str())] {
        let mut model = BTreeMap::new();
        for (i, f) in ["a", "b", "c", "d", "e", "6", "7", "8", "9", last]
            .iter()
            .enumerate()
        {
            c.cmd(&["HSET", key, f, &i.to_string()]);
            model.insert(f.to_string(), i.to_string());
        }
        assert_eq!(
            encoding(&mut c, key),
            key.replace("lp", "listpack").replace("ht", "hashtable")
        );
        // Negative: repeats allowed, exactly |count| picks.
        assert_eq!(c.cmd(&["HRANDFIELD", key, "-1001"]).items().len(), 1001);
        let pairs = c.cmd(&["HRANDFIELD", key, "-20", "WITHVALUES"]).strings();
        assert_eq!(pairs.len(), 40);
        for p in pairs.chunks(2) {
            assert_eq!(model.get(&p[0]), Some(&p[1]));
        }
        // Positive: distinct fields; all of them when count >= size, else
        // both the copy-and-remove (8) and the pick-until-enough (2) paths.
        for count in [10usize, 20, 8, 2] {
            let got = c
                .cmd(&["HRANDFIELD", key, &count.to_string(), "WITHVALUES"])
                .strings();
            assert_eq!(got.len(), 2 * count.min(10));
            let fields: BTreeSet<&String> = got.iter().step_by(2).collect();
            assert_eq!(fields.len(), count.min(10));
            for p in got.chunks(2) {
                assert_eq!(model.get(&p[0]), Some(&p[1]));
            }
        }
        // Eventually every field shows up.
        let mut seen = BTreeSet::new();
        for _ in 0..200 {
            seen.extend(c.cmd(&["HRANDFIELD", key, "2"]).strings());
        }
        assert_eq!(seen.len(), 10);
    }
}

#[test]
fn hrandfield_huge_negative_count_stops_at_the_output_limit() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["HSET", "h", "a", "1"]);
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 0 0"
        ]),
        Resp::ok()
    );
    // Redis would try to send 9e18 elements; the client is dropped once its
    // output passes the hard limit, and the server stays up.
    c.send(&["HRANDFIELD", "h", "-9223372036854775807"]);
    let _ = c.try_read_reply();
    let mut other = srv.client();
    assert_eq!(other.cmd(&["PING"]), Resp::simple("PONG"));
    assert_eq!(other.cmd(&["HLEN", "h"]), int(1));
}

// ---------------------------------------------------------------------------
// HSCAN
// ---------------------------------------------------------------------------

#[test]
fn hscan_returns_a_listpack_whole() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&[
        "HSET", "h", "foo", "1", "fab", "2", "fiz", "3", "foobar", "10", "12", "x",
    ]);
    assert_bytes!(
        raw(&mut c, &["HSCAN", "h", "0", "COUNT", "1"]),
        b"*2\r\n$1\r\n0\r\n*10\r\n$3\r\nfoo\r\n$1\r\n1\r\n$3\r\nfab\r\n$1\r\n2\r\n$3\r\nfiz\r\n$1\r\n3\r\n$6\r\nfoobar\r\n$2\r\n10\r\n$2\r\n12\r\n$1\r\nx\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HSCAN", "h", "0", "MATCH", "foo*"]),
        b"*2\r\n$1\r\n0\r\n*4\r\n$3\r\nfoo\r\n$1\r\n1\r\n$6\r\nfoobar\r\n$2\r\n10\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HSCAN", "h", "0", "MATCH", "1*"]),
        b"*2\r\n$1\r\n0\r\n*2\r\n$2\r\n12\r\n$1\r\nx\r\n"
    );
}

#[test]
fn hscan_argument_errors_in_redis_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let empty = b"*2\r\n$1\r\n0\r\n*0\r\n";
    assert_bytes!(raw(&mut c, &["HSCAN", "nokey", "0"]), empty);
    // A missing key answers before the options are read.
    assert_bytes!(raw(&mut c, &["HSCAN", "nokey", "0", "COUNT", "0"]), empty);
    assert_bytes!(
        raw(&mut c, &["HSCAN", "nokey", "x"]),
        b"-ERR invalid cursor\r\n"
    );
    c.cmd(&["HSET", "h", "a", "1"]);
    for bad in ["x", " 1", "1x", "18446744073709551616"] {
        assert_bytes!(
            raw(&mut c, &["HSCAN", "h", bad]),
            b"-ERR invalid cursor\r\n"
        );
    }
    assert_bytes!(
        raw(&mut c, &["HSCAN", "h", "0", "COUNT", "0"]),
        b"-ERR syntax error\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HSCAN", "h", "0", "COUNT", "x"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HSCAN", "h", "0", "TYPE", "string"]),
        b"-ERR syntax error\r\n"
    );
    assert_bytes!(
        raw(&mut c, &["HSCAN", "h", "0", "MATCH"]),
        b"-ERR syntax error\r\n"
    );
    c.cmd(&["HELLO", "3"]);
    assert_bytes!(raw(&mut c, &["HSCAN", "nokey", "0"]), empty);
}

#[test]
fn hscan_walks_a_hashtable_with_a_cursor() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for i in 0..1000 {
        c.cmd(&["HSET", "h", &format!("key:{i}"), &i.to_string()]);
    }
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    let mut seen = BTreeMap::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let r = c.cmd(&["HSCAN", "h", &cursor, "COUNT", "20"]).items();
        cursor = r[0].text();
        for p in r[1].strings().chunks(2) {
            seen.insert(p[0].clone(), p[1].clone());
        }
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 1);
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen.get("key:999").map(String::as_str), Some("999"));
    let r = c
        .cmd(&["HSCAN", "h", "0", "MATCH", "key:99*", "COUNT", "10000"])
        .items();
    assert_eq!(r[0].text(), "0");
    assert_eq!(r[1].strings().len(), 2 * 11);
}

#[test]
fn resp3_shapes_of_hgetall_and_missing_keys() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["HSET", "h", "a", "1"]);
    assert_bytes!(
        raw(&mut c, &["HGETALL", "h"]),
        b"%1\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_bytes!(raw(&mut c, &["HGETALL", "nokey"]), b"%0\r\n");
    assert_bytes!(raw(&mut c, &["HKEYS", "nokey"]), b"*0\r\n");
    assert_bytes!(raw(&mut c, &["HGET", "h", "zz"]), b"_\r\n");
    assert_bytes!(
        raw(&mut c, &["HMGET", "h", "zz", "a"]),
        b"*2\r\n_\r\n$1\r\n1\r\n"
    );
    assert_bytes!(raw(&mut c, &["HRANDFIELD", "nokey", "3"]), b"*0\r\n");
}
