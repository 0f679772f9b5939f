//! Set commands over the wire: SADD/SREM/SMOVE, the membership commands,
//! SPOP and SRANDMEMBER with their count cases, the SINTER/SUNION/SDIFF
//! families (replies, STORE semantics, result encodings), SINTERCARD and
//! SSCAN, with bad input. Mirrors Redis' t_set.c and
//! tests/unit/type/set.tcl; every expected reply was checked against Redis
//! 7.0.15 (see `FERRODIS_TEST_SERVER` in common/mod.rs).

#[macro_use]
mod common;

use common::{Client, Resp, Server};
use std::collections::BTreeSet;

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

fn err(s: &str) -> Resp {
    Resp::err(s)
}

/// The members of a set/array reply, sorted.
fn sorted(r: &Resp) -> Vec<String> {
    let mut v = r.strings();
    v.sort();
    v
}

fn members(c: &mut Client, key: &str) -> Vec<String> {
    sorted(&c.cmd(&["SMEMBERS", key]))
}

fn encoding(c: &mut Client, key: &str) -> String {
    c.cmd(&["OBJECT", "ENCODING", key]).text()
}

fn strs(v: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    out.sort();
    out
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

// ---------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------

#[test]
fn integers_make_an_intset_until_a_string_or_the_limit_arrives() {
    let srv = Server::start(&["--set-max-intset-entries", "8"]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SADD", "s", "3", "1", "2", "2"]), int(3));
    assert_eq!(encoding(&mut c, "s"), "intset");
    // Intsets reply in ascending order.
    assert_eq!(c.cmd(&["SMEMBERS", "s"]), Resp::bulks(&["1", "2", "3"]));
    // Not what string2ll accepts: strings.
    for odd in ["+4", "007", "-0", " 5"] {
        c.cmd(&["DEL", "t"]);
        c.cmd(&["SADD", "t", "1"]);
        c.cmd(&["SADD", "t", odd]);
        assert_eq!(encoding(&mut c, "t"), "hashtable", "{odd:?}");
    }
    c.cmd(&["DEL", "t"]);
    c.cmd(&["SADD", "t", "213244124402402314402033402"]);
    assert_eq!(encoding(&mut c, "t"), "hashtable");
    assert_eq!(
        c.cmd(&["SISMEMBER", "t", "213244124402402314402033402"]),
        int(1)
    );

    for i in 4..=8 {
        c.cmd(&["SADD", "s", &i.to_string()]);
    }
    assert_eq!(c.cmd(&["SCARD", "s"]), int(8));
    assert_eq!(encoding(&mut c, "s"), "intset");
    assert_eq!(c.cmd(&["SADD", "s", "9"]), int(1));
    assert_eq!(encoding(&mut c, "s"), "hashtable");
    // Never converts back.
    assert_eq!(c.cmd(&["SREM", "s", "9", "8", "7"]), int(3));
    assert_eq!(encoding(&mut c, "s"), "hashtable");
    assert_eq!(members(&mut c, "s"), strs(&["1", "2", "3", "4", "5", "6"]));
}

#[test]
fn memory_usage_matches_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SADD", "s", "1", "2", "3"]);
    c.cmd(&["SADD", "h", "a", "b", "c"]);
    c.cmd(&["SADD", "big", "100000", "-5"]);
    // Figures from Redis 7.0.15 (value plus key and its dictEntry).
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "s"]), int(64));
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "h"]), int(232));
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "big"]), int(64));
}

// ---------------------------------------------------------------------------
// SADD SREM SMOVE SISMEMBER SMISMEMBER SCARD
// ---------------------------------------------------------------------------

#[test]
fn basic_commands_and_missing_keys() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SADD", "s", "a", "b", "a"]), int(2));
    assert_eq!(c.cmd(&["SADD", "s", "A", "a", "b", "c", "B"]), int(3));
    assert_eq!(c.cmd(&["SCARD", "s"]), int(5));
    assert_eq!(c.cmd(&["SCARD", "nokey"]), int(0));
    assert_eq!(c.cmd(&["SISMEMBER", "s", "A"]), int(1));
    assert_eq!(c.cmd(&["SISMEMBER", "s", "x"]), int(0));
    assert_eq!(c.cmd(&["SISMEMBER", "nokey", "x"]), int(0));
    assert_eq!(
        c.cmd(&["SMISMEMBER", "s", "a", "x", "B"]),
        Resp::arr(vec![int(1), int(0), int(1)])
    );
    assert_eq!(
        c.cmd(&["SMISMEMBER", "nokey", "a", "b"]),
        Resp::arr(vec![int(0), int(0)])
    );
    assert_eq!(c.cmd(&["SREM", "nokey", "a"]), int(0));
    assert_eq!(c.cmd(&["SREM", "s", "x", "a", "a"]), int(1));
    // Removing the last member deletes the key; extra members are ignored.
    assert_eq!(c.cmd(&["SREM", "s", "A", "b", "c", "B", "z", "y"]), int(4));
    assert_eq!(c.cmd(&["EXISTS", "s"]), int(0));
    c.cmd(&["SADD", "n", "1", "2", "3"]);
    assert_eq!(
        c.cmd(&["SREM", "n", "1", "2", "3", "4", "5", "6", "7", "8"]),
        int(3)
    );
    assert_eq!(c.cmd(&["EXISTS", "n"]), int(0));
}

#[test]
fn wrong_type_and_arity_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "str", "x"]);
    for cmd in [
        vec!["SADD", "str", "a"],
        vec!["SREM", "str", "a"],
        vec!["SISMEMBER", "str", "a"],
        vec!["SMISMEMBER", "str", "a"],
        vec!["SCARD", "str"],
        vec!["SMEMBERS", "str"],
        vec!["SPOP", "str"],
        vec!["SPOP", "str", "2"],
        vec!["SRANDMEMBER", "str"],
        vec!["SRANDMEMBER", "str", "2"],
        vec!["SSCAN", "str", "0"],
        vec!["SINTERCARD", "1", "str"],
    ] {
        assert_eq!(c.cmd(&cmd), err(WRONGTYPE), "{cmd:?}");
    }
    assert_eq!(
        c.cmd(&["SMISMEMBER", "s"]),
        err("ERR wrong number of arguments for 'smismember' command")
    );
    assert_eq!(
        c.cmd(&["SADD", "s"]),
        err("ERR wrong number of arguments for 'sadd' command")
    );
    assert_eq!(
        c.cmd(&["SMOVE", "a", "b"]),
        err("ERR wrong number of arguments for 'smove' command")
    );
    assert_eq!(c.cmd(&["SPOP", "s", "1", "2"]), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "1", "2"]),
        err("ERR syntax error")
    );
}

#[test]
fn smove_checks_types_in_redis_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "str", "x"]);
    c.cmd(&["SADD", "src", "a", "1"]);
    // A missing source answers 0 even when the destination is not a set.
    assert_eq!(c.cmd(&["SMOVE", "nokey", "str", "a"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", "str", "src", "a"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["SMOVE", "src", "str", "a"]), err(WRONGTYPE));
    // ...and the type error comes before the membership check.
    assert_eq!(c.cmd(&["SMOVE", "src", "str", "zz"]), err(WRONGTYPE));
    // Same key: the reply is membership, nothing changes.
    assert_eq!(c.cmd(&["SMOVE", "src", "src", "a"]), int(1));
    assert_eq!(c.cmd(&["SMOVE", "src", "src", "zz"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", "src", "dst", "zz"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dst"]), int(0));
    // A new destination is created with the encoding the member needs.
    assert_eq!(c.cmd(&["SMOVE", "src", "dst", "1"]), int(1));
    assert_eq!(encoding(&mut c, "dst"), "intset");
    c.cmd(&["SADD", "dst", "a"]);
    // Already there: still moved out of the source, which then disappears.
    assert_eq!(c.cmd(&["SMOVE", "src", "dst", "a"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "src"]), int(0));
    assert_eq!(members(&mut c, "dst"), strs(&["1", "a"]));
    // Into an intset: a string member converts it.
    c.cmd(&["SADD", "ints", "2", "3"]);
    assert_eq!(c.cmd(&["SMOVE", "dst", "ints", "a"]), int(1));
    assert_eq!(encoding(&mut c, "ints"), "hashtable");
}

// ---------------------------------------------------------------------------
// SPOP
// ---------------------------------------------------------------------------

#[test]
fn spop_single_and_count_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.raw(b"*2\r\n$4\r\nSPOP\r\n$5\r\nnokey\r\n"), b"$-1\r\n");
    assert_eq!(
        c.raw(b"*3\r\n$4\r\nSPOP\r\n$5\r\nnokey\r\n$1\r\n3\r\n"),
        b"*0\r\n"
    );
    let positive = err("ERR value is out of range, must be positive");
    c.cmd(&["SADD", "s", "1", "2", "3"]);
    assert_eq!(c.cmd(&["SPOP", "s", "-1"]), positive);
    assert_eq!(c.cmd(&["SPOP", "s", "abc"]), positive);
    // The count is checked before the key's type.
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["SPOP", "str", "-1"]), positive);
    assert_eq!(c.cmd(&["SPOP", "s", "0"]), Resp::arr(vec![]));
    assert_eq!(c.cmd(&["SCARD", "s"]), int(3));
    let mut popped = BTreeSet::new();
    for _ in 0..3 {
        popped.insert(c.cmd(&["SPOP", "s"]).text());
    }
    assert_eq!(
        popped,
        ["1", "2", "3"].iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(c.cmd(&["EXISTS", "s"]), int(0));
}

#[test]
fn spop_count_covers_the_three_cases() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let all: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    let all_refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let mut sadd = vec!["SADD", "s"];
    sadd.extend(&all_refs);

    // Case 1: count >= size returns everything and deletes the key.
    c.cmd(&sadd);
    let got = sorted(&c.cmd(&["SPOP", "s", "30"]));
    assert_eq!(got, strs(&all_refs));
    assert_eq!(c.cmd(&["EXISTS", "s"]), int(0));

    // Case 2: few popped.
    c.cmd(&sadd);
    let res = c.cmd(&["SPOP", "s", "2"]).strings();
    assert_eq!(res.len(), 2);
    assert_eq!(c.cmd(&["SCARD", "s"]), int(18));
    let mut union: Vec<String> = members(&mut c, "s");
    union.extend(res);
    union.sort();
    assert_eq!(union, strs(&all_refs));

    // Case 3: most popped, the survivors are rebuilt.
    c.cmd(&["DEL", "s"]);
    c.cmd(&sadd);
    c.cmd(&["EXPIRE", "s", "1000"]);
    let res = c.cmd(&["SPOP", "s", "18"]).strings();
    assert_eq!(res.len(), 18);
    assert_eq!(c.cmd(&["SCARD", "s"]), int(2));
    let mut union: Vec<String> = members(&mut c, "s");
    union.extend(res);
    union.sort();
    assert_eq!(union, strs(&all_refs));
    // The TTL stays with the rebuilt set.
    assert!(c.cmd(&["TTL", "s"]).int() > 0);

    // Case 3 on a hashtable whose survivors are integers gives an intset.
    c.cmd(&["DEL", "h"]);
    let mut h = vec!["SADD", "h", "a", "b", "c", "d", "e", "f", "g", "h", "i"];
    h.push("7");
    c.cmd(&h);
    for attempt in 0.. {
        assert!(attempt < 1000, "the integer never survived");
        c.cmd(&["DEL", "h"]);
        c.cmd(&h);
        c.cmd(&["SPOP", "h", "9"]);
        if members(&mut c, "h") == ["7"] {
            assert_eq!(encoding(&mut c, "h"), "intset");
            break;
        }
        assert_eq!(encoding(&mut c, "h"), "hashtable");
    }
}

// ---------------------------------------------------------------------------
// SRANDMEMBER
// ---------------------------------------------------------------------------

#[test]
fn srandmember_counts_and_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.raw(b"*2\r\n$11\r\nSRANDMEMBER\r\n$5\r\nnokey\r\n"),
        b"$-1\r\n"
    );
    assert_eq!(
        c.raw(b"*3\r\n$11\r\nSRANDMEMBER\r\n$5\r\nnokey\r\n$3\r\n100\r\n"),
        b"*0\r\n"
    );
    c.cmd(&[
        "SADD", "s", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
    ]);
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.raw(b"*3\r\n$11\r\nSRANDMEMBER\r\n$1\r\ns\r\n$1\r\n0\r\n"),
        b"*0\r\n"
    );
    let all = members(&mut c, "s");
    // Negative: repeats allowed, exactly |count| members.
    let r = c.cmd(&["SRANDMEMBER", "s", "-100"]).strings();
    assert_eq!(r.len(), 100);
    assert!(r.iter().all(|m| all.contains(m)));
    // count >= size: everything once.
    assert_eq!(
        sorted(&c.cmd(&["SRANDMEMBER", "s", "9223372036854775807"])),
        all
    );
    // Near the size (copy and remove) and far below it (pick distinct).
    for n in [9, 2] {
        let r = c.cmd(&["SRANDMEMBER", "s", &n.to_string()]).strings();
        let distinct: BTreeSet<&String> = r.iter().collect();
        assert_eq!(r.len(), n);
        assert_eq!(distinct.len(), n);
        assert!(r.iter().all(|m| all.contains(m)));
    }
    // Every member shows up eventually.
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        seen.extend(c.cmd(&["SRANDMEMBER", "s", "-10"]).strings());
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), all);
    assert_eq!(c.cmd(&["SCARD", "s"]), int(10));
}

#[test]
fn srandmember_huge_negative_count_stops_at_the_output_limit() {
    let srv = Server::start(&["--client-output-buffer-limit", "normal 1mb 0 0"]);
    let mut c = srv.client();
    c.cmd(&["SADD", "s", "a", "b", "c"]);
    c.send(&["SRANDMEMBER", "s", "-9223372036854775807"]);
    // The reply passes the hard limit, so the client is closed.
    assert!(c.closed_within(std::time::Duration::from_secs(20)));
    let mut other = srv.client();
    assert_eq!(other.cmd(&["PING"]), Resp::simple("PONG"));
    assert_eq!(other.cmd(&["SCARD", "s"]), int(3));
}

// ---------------------------------------------------------------------------
// SINTER SINTERCARD SINTERSTORE
// ---------------------------------------------------------------------------

fn setup_families(c: &mut Client, large: &str) {
    for i in 1..=5 {
        c.cmd(&["DEL", &format!("set{i}")]);
    }
    for i in 0..200 {
        c.cmd(&["SADD", "set1", &i.to_string()]);
        c.cmd(&["SADD", "set2", &(i + 195).to_string()]);
    }
    c.cmd(&["SADD", "set3", "199", "195", "1000", "2000"]);
    for i in 5..200 {
        c.cmd(&["SADD", "set4", &i.to_string()]);
    }
    c.cmd(&["SADD", "set5", "0"]);
    for i in 1..=5 {
        c.cmd(&["SADD", &format!("set{i}"), large]);
    }
}

#[test]
fn intersections_unions_and_differences_keep_redis_encodings() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for (enc, large) in [("intset", "200"), ("hashtable", "foo")] {
        setup_families(&mut c, large);
        for i in 1..=5 {
            assert_eq!(encoding(&mut c, &format!("set{i}")), enc);
        }
        let inter = strs(&["195", "196", "197", "198", "199", large]);
        assert_eq!(sorted(&c.cmd(&["SINTER", "set1", "set2"])), inter);
        assert_eq!(c.cmd(&["SINTERSTORE", "res", "set1", "set2"]), int(6));
        assert_eq!(encoding(&mut c, "res"), enc);
        assert_eq!(members(&mut c, "res"), inter);
        assert_eq!(c.cmd(&["SINTERCARD", "2", "set1", "set2"]), int(6));
        assert_eq!(
            c.cmd(&["SINTERCARD", "2", "set1", "set2", "LIMIT", "3"]),
            int(3)
        );
        assert_eq!(
            c.cmd(&["SINTERCARD", "2", "set1", "set2", "limit", "0"]),
            int(6)
        );
        assert_eq!(
            sorted(&c.cmd(&["SINTER", "set1", "set2", "set3"])),
            strs(&["195", "199", large])
        );

        let mut union: Vec<String> = members(&mut c, "set1");
        union.extend(members(&mut c, "set2"));
        union.sort();
        union.dedup();
        assert_eq!(sorted(&c.cmd(&["SUNION", "set1", "set2"])), union);
        assert_eq!(
            sorted(&c.cmd(&["SUNION", "nokey1", "set1", "set2", "nokey2"])),
            union
        );
        assert_eq!(
            c.cmd(&["SUNIONSTORE", "res", "set1", "set2"]),
            int(union.len() as i64)
        );
        assert_eq!(encoding(&mut c, "res"), enc);

        assert_eq!(
            sorted(&c.cmd(&["SDIFF", "set1", "set4"])),
            strs(&["0", "1", "2", "3", "4"])
        );
        assert_eq!(
            sorted(&c.cmd(&["SDIFF", "set1", "set4", "set5"])),
            strs(&["1", "2", "3", "4"])
        );
        assert_eq!(
            c.cmd(&["SDIFFSTORE", "res", "set1", "set4", "set5"]),
            int(4)
        );
        // The result of integers is an intset whatever the sources were.
        assert_eq!(encoding(&mut c, "res"), "intset");

        let all = members(&mut c, "set1");
        assert_eq!(sorted(&c.cmd(&["SINTER", "set1", "set1", "set1"])), all);
        assert_eq!(sorted(&c.cmd(&["SUNION", "set1", "set1", "set1"])), all);
        assert_eq!(c.cmd(&["SDIFF", "set1", "set1", "set1"]), Resp::arr(vec![]));
    }
}

#[test]
fn store_variants_replace_or_delete_the_destination() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SADD", "a", "1", "2", "x"]);
    c.cmd(&["SADD", "b", "2", "3"]);
    c.cmd(&["SET", "dst", "old"]);
    c.cmd(&["EXPIRE", "dst", "100"]);
    // The destination's type does not matter; it is overwritten, TTL dropped.
    assert_eq!(c.cmd(&["SINTERSTORE", "dst", "a", "b"]), int(1));
    assert_eq!(c.cmd(&["TTL", "dst"]), int(-1));
    assert_eq!(encoding(&mut c, "dst"), "intset");
    // Empty results delete the destination and reply 0.
    assert_eq!(c.cmd(&["SINTERSTORE", "dst", "a", "nokey"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dst"]), int(0));
    c.cmd(&["SADD", "dst", "z"]);
    assert_eq!(c.cmd(&["SDIFFSTORE", "dst", "b", "a", "b"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dst"]), int(0));
    c.cmd(&["SADD", "dst", "z"]);
    assert_eq!(c.cmd(&["SUNIONSTORE", "dst", "nokey"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dst"]), int(0));
    assert_eq!(c.cmd(&["SUNIONSTORE", "dst", "a", "b"]), int(4));
    assert_eq!(encoding(&mut c, "dst"), "hashtable");
    assert_eq!(c.cmd(&["SDIFFSTORE", "dst", "a", "b"]), int(2));
    assert_eq!(members(&mut c, "dst"), strs(&["1", "x"]));
    // A wrong type among the sources fails before anything is written.
    c.cmd(&["SET", "str", "v"]);
    assert_eq!(c.cmd(&["SUNIONSTORE", "dst", "a", "str"]), err(WRONGTYPE));
    assert_eq!(
        c.cmd(&["SINTERSTORE", "dst", "nokey", "str"]),
        err(WRONGTYPE)
    );
    assert_eq!(
        c.cmd(&["SDIFFSTORE", "dst", "nokey", "str"]),
        err(WRONGTYPE)
    );
    assert_eq!(members(&mut c, "dst"), strs(&["1", "x"]));
    assert_eq!(c.cmd(&["SDIFF", "nokey", "a"]), Resp::arr(vec![]));
    assert_eq!(
        sorted(&c.cmd(&["SDIFF", "a", "nokey"])),
        strs(&["1", "2", "x"])
    );
}

#[test]
fn sintercard_argument_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SADD", "s", "a"]);
    let numkeys = err("ERR numkeys should be greater than 0");
    assert_eq!(c.cmd(&["SINTERCARD", "0", "s"]), numkeys);
    assert_eq!(c.cmd(&["SINTERCARD", "a", "s"]), numkeys);
    assert_eq!(c.cmd(&["SINTERCARD", "-1", "s"]), numkeys);
    let too_many = err("ERR Number of keys can't be greater than number of args");
    assert_eq!(c.cmd(&["SINTERCARD", "2", "s"]), too_many);
    assert_eq!(c.cmd(&["SINTERCARD", "3", "s", "t"]), too_many);
    assert_eq!(
        c.cmd(&["SINTERCARD", "1", "s", "t"]),
        err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SINTERCARD", "1", "s", "LIMIT"]),
        err("ERR syntax error")
    );
    let limit = err("ERR LIMIT can't be negative");
    assert_eq!(c.cmd(&["SINTERCARD", "1", "s", "LIMIT", "-1"]), limit);
    assert_eq!(c.cmd(&["SINTERCARD", "1", "s", "LIMIT", "a"]), limit);
    assert_eq!(
        c.cmd(&["SINTERCARD", "1", "s", "LIMIT", "1", "LIMIT", "5"]),
        int(1)
    );
    assert_eq!(c.cmd(&["SINTERCARD", "1", "nokey", "limit", "10"]), int(0));
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["SINTERCARD", "2", "nokey", "str"]), err(WRONGTYPE));
    assert_eq!(
        c.cmd(&["SINTERCARD", "1"]),
        err("ERR wrong number of arguments for 'sintercard' command")
    );
}

// ---------------------------------------------------------------------------
// RESP3
// ---------------------------------------------------------------------------

#[test]
fn resp3_uses_sets_where_redis_does() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["SADD", "s", "1", "2"]);
    c.cmd(&["SADD", "t", "2", "3"]);
    let set12 = b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n".to_vec();
    assert_bytes!(c.raw(b"*2\r\n$8\r\nSMEMBERS\r\n$1\r\ns\r\n"), set12);
    assert_bytes!(
        c.raw(b"*3\r\n$6\r\nSINTER\r\n$1\r\ns\r\n$1\r\nt\r\n"),
        b"~1\r\n$1\r\n2\r\n"
    );
    assert_bytes!(
        c.raw(b"*3\r\n$5\r\nSDIFF\r\n$1\r\ns\r\n$1\r\nt\r\n"),
        b"~1\r\n$1\r\n1\r\n"
    );
    assert_bytes!(
        c.raw(b"*3\r\n$6\r\nSUNION\r\n$1\r\ns\r\n$1\r\nt\r\n"),
        b"~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    assert_bytes!(c.raw(b"*2\r\n$8\r\nSMEMBERS\r\n$2\r\nno\r\n"), b"~0\r\n");
    assert_bytes!(
        c.raw(b"*3\r\n$4\r\nSPOP\r\n$2\r\nno\r\n$1\r\n1\r\n"),
        b"~0\r\n"
    );
    assert_bytes!(
        c.raw(b"*3\r\n$4\r\nSPOP\r\n$1\r\ns\r\n$1\r\n0\r\n"),
        b"~0\r\n"
    );
    assert_bytes!(c.raw(b"*2\r\n$4\r\nSPOP\r\n$2\r\nno\r\n"), b"_\r\n");
    // SRANDMEMBER and SMISMEMBER stay arrays.
    assert_bytes!(
        c.raw(b"*3\r\n$11\r\nSRANDMEMBER\r\n$2\r\nno\r\n$1\r\n5\r\n"),
        b"*0\r\n"
    );
    assert_bytes!(
        c.raw(b"*3\r\n$11\r\nSRANDMEMBER\r\n$1\r\ns\r\n$1\r\n5\r\n"),
        set12.replace_first_byte(b'*')
    );
    assert_bytes!(
        c.raw(b"*4\r\n$10\r\nSMISMEMBER\r\n$1\r\ns\r\n$1\r\n1\r\n$1\r\n9\r\n"),
        b"*2\r\n:1\r\n:0\r\n"
    );
    assert_bytes!(
        c.raw(b"*3\r\n$4\r\nSPOP\r\n$1\r\nt\r\n$1\r\n5\r\n"),
        b"~2\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
}

trait ReplaceFirst {
    fn replace_first_byte(self, b: u8) -> Vec<u8>;
}

impl ReplaceFirst for Vec<u8> {
    fn replace_first_byte(mut self, b: u8) -> Vec<u8> {
        self[0] = b;
        self
    }
}

// ---------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------

fn sscan_all(c: &mut Client, key: &str, extra: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    loop {
        let mut args = vec!["SSCAN", key, cursor.as_str()];
        args.extend(extra);
        let r = c.cmd(&args).items();
        out.extend(r[1].strings());
        cursor = r[0].text();
        if cursor == "0" {
            break;
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn sscan_returns_intsets_whole_and_walks_hashtables() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let ints: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let mut args = vec!["SADD", "i"];
    args.extend(ints.iter().map(String::as_str));
    c.cmd(&args);
    assert_eq!(encoding(&mut c, "i"), "intset");
    let r = c.cmd(&["SSCAN", "i", "0"]).items();
    assert_eq!(r[0], Resp::bulk("0"));
    assert_eq!(r[1].strings().len(), 100);

    let eles: Vec<String> = (0..500).map(|i| format!("ele:{i}")).collect();
    let mut args = vec!["SADD", "h"];
    args.extend(eles.iter().map(String::as_str));
    c.cmd(&args);
    let mut want = eles.clone();
    want.sort();
    assert_eq!(sscan_all(&mut c, "h", &[]), want);
    assert_eq!(sscan_all(&mut c, "h", &["COUNT", "3"]), want);
    assert_eq!(
        sscan_all(&mut c, "h", &["MATCH", "ele:1?"]),
        (10..20).map(|i| format!("ele:{i}")).collect::<Vec<_>>()
    );

    c.cmd(&["SADD", "mixed", "1", "a", "foo", "foobar", "fiz"]);
    let r = c.cmd(&["SSCAN", "mixed", "0", "MATCH", "foo*", "COUNT", "100"]);
    assert_eq!(sorted(&r.items()[1]), strs(&["foo", "foobar"]));
    let r = c.cmd(&["SSCAN", "mixed", "0", "MATCH", "*1*", "COUNT", "100"]);
    assert_eq!(sorted(&r.items()[1]), strs(&["1"]));
}

#[test]
fn sscan_errors_follow_redis_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SADD", "s", "1"]);
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["SSCAN", "s", "x"]), err("ERR invalid cursor"));
    assert_eq!(c.cmd(&["SSCAN", "nokey", "x"]), err("ERR invalid cursor"));
    // A missing key answers an empty scan without reading the options.
    assert_bytes!(
        c.raw(b"*4\r\n$5\r\nSSCAN\r\n$5\r\nnokey\r\n$1\r\n0\r\n$3\r\nbad\r\n"),
        b"*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(c.cmd(&["SSCAN", "str", "0", "bad"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["SSCAN", "s", "0", "bad"]), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["SSCAN", "s", "0", "COUNT", "0"]),
        err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SSCAN", "s", "0", "COUNT", "x"]),
        err("ERR value is not an integer or out of range")
    );
    // TYPE belongs to SCAN only.
    assert_eq!(
        c.cmd(&["SSCAN", "s", "0", "TYPE", "set"]),
        err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SSCAN", "s", "0", "MATCH"]),
        err("ERR syntax error")
    );
}

#[test]
fn binary_members_round_trip() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let weird: &[&[u8]] = &[b"", b"\x00\xff", b"a\r\nb", &[b'x'; 100]];
    for m in weird {
        assert_eq!(c.cmd_bytes(&[b"SADD", b"b", m]), int(1));
    }
    for m in weird {
        assert_eq!(c.cmd_bytes(&[b"SISMEMBER", b"b", m]), int(1));
    }
    assert_eq!(c.cmd(&["SCARD", "b"]), int(4));
    let got: BTreeSet<Vec<u8>> = c
        .cmd(&["SMEMBERS", "b"])
        .items()
        .into_iter()
        .map(|r| match r {
            Resp::Bulk(Some(b)) => b,
            other => panic!("{other:?}"),
        })
        .collect();
    let want: BTreeSet<Vec<u8>> = weird.iter().map(|m| m.to_vec()).collect();
    assert_eq!(got, want);
}
