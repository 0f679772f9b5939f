//! String commands over the wire: SET and its options, GETEX/GETDEL/GETSET,
//! MSET/MSETNX, APPEND, SETRANGE/GETRANGE edge cases, the INCR family and
//! INCRBYFLOAT number formatting, LCS, and the string encodings that OBJECT
//! reports. Mirrors Redis' t_string.c and tests/unit/type/string.tcl,
//! tests/unit/type/incr.tcl; each expected reply is what Redis 7.0.15 sends.

#[macro_use]
mod common;

use common::{Resp, Server};

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

/// TTL rounds to the nearest second, so a slow round trip may show one less.
fn assert_ttl_near(c: &mut common::Client, key: &str, secs: i64) {
    let ttl = c.cmd(&["TTL", key]).int();
    assert!(
        (secs - 1..=secs).contains(&ttl),
        "TTL {key} = {ttl}, expected about {secs}"
    );
}

// ---------------------------------------------------------------------------
// SET and its options
// ---------------------------------------------------------------------------

#[test]
fn set_nx_and_xx_depend_on_whether_the_key_exists() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SET", "k", "1", "XX"]), Resp::nil());
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
    assert_eq!(c.cmd(&["SET", "k", "1", "NX"]), Resp::ok());
    assert_eq!(c.cmd(&["SET", "k", "2", "NX"]), Resp::nil());
    assert_eq!(c.cmd(&["GET", "k"]), Resp::bulk("1"));
    assert_eq!(c.cmd(&["SET", "k", "3", "xx"]), Resp::ok());
    assert_eq!(c.cmd(&["GET", "k"]), Resp::bulk("3"));
    assert_eq!(c.cmd(&["SETNX", "k", "4"]), int(0));
    assert_eq!(c.cmd(&["SETNX", "k2", "4"]), int(1));
}

#[test]
fn set_get_returns_the_old_value() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SET", "k", "v1", "GET"]), Resp::nil());
    assert_eq!(c.cmd(&["SET", "k", "v2", "GET"]), Resp::bulk("v1"));
    // NX GET is allowed since 7.0: the old value comes back and nothing is set
    assert_eq!(c.cmd(&["SET", "k", "v3", "NX", "GET"]), Resp::bulk("v2"));
    assert_eq!(c.cmd(&["GET", "k"]), Resp::bulk("v2"));
    assert_eq!(c.cmd(&["SET", "new", "v", "XX", "GET"]), Resp::nil());
    assert_eq!(c.cmd(&["EXISTS", "new"]), int(0));
}

#[test]
fn set_ex_px_exat_pxat_set_the_ttl_and_plain_set_clears_it() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "100"]), Resp::ok());
    let ttl = c.cmd(&["TTL", "k"]).int();
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "100000"]), Resp::ok());
    let pttl = c.cmd(&["PTTL", "k"]).int();
    assert!((90_000..=100_000).contains(&pttl), "{pttl}");
    assert_eq!(c.cmd(&["SET", "k", "v", "EXAT", "4102444800"]), Resp::ok()); // 2100-01-01
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), int(4_102_444_800));
    assert_eq!(
        c.cmd(&["SET", "k", "v", "PXAT", "4102444800123"]),
        Resp::ok()
    );
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int(4_102_444_800_123));
    assert_eq!(c.cmd(&["SET", "k", "v2", "KEEPTTL"]), Resp::ok());
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int(4_102_444_800_123));
    assert_eq!(c.cmd(&["GET", "k"]), Resp::bulk("v2"));
    assert_eq!(c.cmd(&["SET", "k", "v3"]), Resp::ok());
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    // a time already in the past deletes the key at once
    assert_eq!(c.cmd(&["SET", "k", "v", "PXAT", "1"]), Resp::ok());
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
}

#[test]
fn set_option_errors_match_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let syntax = Resp::err("ERR syntax error");
    let invalid = Resp::err("ERR invalid expire time in 'set' command");
    let not_int = Resp::err("ERR value is not an integer or out of range");
    for args in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "EX", "10", "PX", "10"],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "EXAT", "10", "PXAT", "10"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "FOO"],
    ] {
        assert_eq!(c.cmd(args), syntax, "{args:?}");
    }
    for args in [
        &["SET", "k", "v", "EX", "0"][..],
        &["SET", "k", "v", "EX", "-1"],
        &["SET", "k", "v", "PX", "0"],
        &["SET", "k", "v", "EX", "9223372036854775807"],
        &["SET", "k", "v", "PX", "9223372036854775807"],
        &["SET", "k", "v", "EXAT", "9223372036854775807"],
        &["SET", "k", "v", "PXAT", "-5"],
    ] {
        assert_eq!(c.cmd(args), invalid, "{args:?}");
    }
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "abc"]), not_int);
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "1.5"]), not_int);
    assert_eq!(
        c.cmd(&["EXISTS", "k"]),
        int(0),
        "a failed SET must not write"
    );
    assert_eq!(
        c.cmd(&["SETEX", "k", "0", "v"]),
        Resp::err("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(
        c.cmd(&["PSETEX", "k", "-5", "v"]),
        Resp::err("ERR invalid expire time in 'psetex' command")
    );
    assert_eq!(c.cmd(&["SETEX", "k", "abc", "v"]), not_int);
    assert_eq!(c.cmd(&["SETEX", "k", "100", "v"]), Resp::ok());
    assert_ttl_near(&mut c, "k", 100);
}

// ---------------------------------------------------------------------------
// GETEX, GETDEL, GETSET, MSET, MSETNX, APPEND
// ---------------------------------------------------------------------------

#[test]
fn getex_changes_or_removes_the_ttl() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["GETEX", "missing", "EX", "10"]), Resp::nil());
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["GETEX", "k"]), Resp::bulk("v"));
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    assert_eq!(c.cmd(&["GETEX", "k", "EX", "100"]), Resp::bulk("v"));
    assert_ttl_near(&mut c, "k", 100);
    assert_eq!(
        c.cmd(&["GETEX", "k", "PXAT", "4102444800000"]),
        Resp::bulk("v")
    );
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), int(4_102_444_800));
    assert_eq!(c.cmd(&["GETEX", "k", "PERSIST"]), Resp::bulk("v"));
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    let syntax = Resp::err("ERR syntax error");
    assert_eq!(c.cmd(&["GETEX", "k", "EX", "10", "PX", "10"]), syntax);
    assert_eq!(c.cmd(&["GETEX", "k", "PERSIST", "EX", "10"]), syntax);
    assert_eq!(c.cmd(&["GETEX", "k", "FOO"]), syntax);
    assert_eq!(c.cmd(&["GETEX", "k", "EX"]), syntax);
    assert_eq!(
        c.cmd(&["GETEX", "k", "EX", "0"]),
        Resp::err("ERR invalid expire time in 'getex' command")
    );
    // an absolute time in the past deletes the key but still returns the value
    assert_eq!(c.cmd(&["GETEX", "k", "EXAT", "1"]), Resp::bulk("v"));
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
}

#[test]
fn getdel_and_getset_return_the_old_value() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["GETDEL", "k"]), Resp::nil());
    assert_eq!(c.cmd(&["GETSET", "k", "a"]), Resp::nil());
    assert_eq!(c.cmd(&["GETSET", "k", "b"]), Resp::bulk("a"));
    c.cmd(&["EXPIRE", "k", "100"]);
    assert_eq!(c.cmd(&["GETSET", "k", "c"]), Resp::bulk("b"));
    assert_eq!(
        c.cmd(&["TTL", "k"]),
        int(-1),
        "GETSET drops the TTL like SET"
    );
    assert_eq!(c.cmd(&["GETDEL", "k"]), Resp::bulk("c"));
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
}

#[test]
fn mset_sets_all_and_msetnx_sets_none_if_one_exists() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["MSET", "a", "1", "b", "2", "a", "3"]), Resp::ok());
    assert_eq!(
        c.cmd(&["MGET", "a", "b", "nope"]),
        Resp::arr(vec![Resp::bulk("3"), Resp::bulk("2"), Resp::nil()])
    );
    assert_eq!(c.cmd(&["MSETNX", "b", "9", "c", "9"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "c"]), int(0));
    assert_eq!(c.cmd(&["MSETNX", "c", "4", "d", "5"]), int(1));
    assert_eq!(c.cmd(&["MGET", "c", "d"]), Resp::bulks(&["4", "5"]));
    assert_eq!(
        c.cmd(&["MSET", "a"]),
        Resp::err("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        c.cmd(&["MSET", "a", "1", "b"]),
        Resp::err("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        c.cmd(&["MSETNX", "a", "1", "b"]),
        Resp::err("ERR wrong number of arguments for 'msetnx' command")
    );
}

#[test]
fn append_creates_and_extends_strings_and_keeps_the_ttl() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["APPEND", "k", "abc"]), int(3));
    assert_eq!(c.cmd(&["APPEND", "k", ""]), int(3));
    c.cmd(&["EXPIRE", "k", "100"]);
    assert_eq!(c.cmd_bytes(&[b"APPEND", b"k", b"\x00\xff"]), int(5));
    assert_eq!(
        c.cmd(&["GET", "k"]),
        Resp::Bulk(Some(b"abc\x00\xff".to_vec()))
    );
    assert_ttl_near(&mut c, "k", 100);
    c.cmd(&["SET", "n", "12"]);
    assert_eq!(c.cmd(&["APPEND", "n", "34"]), int(4));
    assert_eq!(c.cmd(&["INCR", "n"]), int(1235));
}

// ---------------------------------------------------------------------------
// SETRANGE / GETRANGE
// ---------------------------------------------------------------------------

#[test]
fn setrange_pads_with_zero_bytes_and_checks_its_limits() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SETRANGE", "k", "5", "ab"]), int(7));
    assert_eq!(
        c.cmd(&["GET", "k"]),
        Resp::Bulk(Some(b"\0\0\0\0\0ab".to_vec()))
    );
    assert_eq!(c.cmd(&["SETRANGE", "k", "0", "xyz"]), int(7));
    assert_eq!(
        c.cmd(&["GET", "k"]),
        Resp::Bulk(Some(b"xyz\0\0ab".to_vec()))
    );
    // an empty value on a missing key creates nothing
    assert_eq!(c.cmd(&["SETRANGE", "none", "10", ""]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "none"]), int(0));
    assert_eq!(
        c.cmd(&["SETRANGE", "k", "100", ""]),
        int(7),
        "an empty value does not pad"
    );
    assert_eq!(
        c.cmd(&["SETRANGE", "k", "-1", "x"]),
        Resp::err("ERR offset is out of range")
    );
    assert_eq!(
        c.cmd(&["SETRANGE", "k", "536870912", "x"]),
        Resp::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    assert_eq!(
        c.cmd(&["SETRANGE", "k", "abc", "x"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    c.cmd(&["SET", "n", "10"]);
    assert_eq!(c.cmd(&["SETRANGE", "n", "0", "2"]), int(2));
    assert_eq!(c.cmd(&["GET", "n"]), Resp::bulk("20"));
}

#[test]
fn getrange_clamps_indexes_like_redis_7_0() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["GETRANGE", "none", "0", "-1"]), Resp::bulk(""));
    c.cmd(&["SET", "s", "Hello"]);
    let cases = [
        ("0", "-1", "Hello"),
        ("-3", "-1", "llo"),
        ("1", "2", "el"),
        ("10", "20", ""),
        ("3", "1", ""),
        ("-100", "-50", "H"), // both clamp to 0: 7.0 returns the first byte
        ("0", "-100", "H"),
        ("-1", "-100", ""),
        ("0", "9223372036854775807", "Hello"),
        ("-9223372036854775808", "2", "Hel"),
    ];
    for (start, end, want) in cases {
        assert_eq!(
            c.cmd(&["GETRANGE", "s", start, end]),
            Resp::bulk(want),
            "GETRANGE s {start} {end}"
        );
    }
    assert_eq!(c.cmd(&["SUBSTR", "s", "1", "3"]), Resp::bulk("ell"));
    assert_eq!(
        c.cmd(&["GETRANGE", "s", "a", "1"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    c.cmd(&["SET", "n", "12345"]); // int encoded: ranges work on its digits
    assert_eq!(c.cmd(&["GETRANGE", "n", "1", "-2"]), Resp::bulk("234"));
    assert_eq!(c.cmd(&["STRLEN", "n"]), int(5));
}

// ---------------------------------------------------------------------------
// INCR family
// ---------------------------------------------------------------------------

#[test]
fn incr_family_counts_and_reports_overflow() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["INCR", "n"]), int(1));
    assert_eq!(c.cmd(&["INCRBY", "n", "10"]), int(11));
    assert_eq!(c.cmd(&["DECR", "n"]), int(10));
    assert_eq!(c.cmd(&["DECRBY", "n", "20"]), int(-10));
    assert_eq!(c.cmd(&["INCRBY", "n", "-5"]), int(-15));
    let overflow = Resp::err("ERR increment or decrement would overflow");
    c.cmd(&["SET", "n", "9223372036854775807"]);
    assert_eq!(c.cmd(&["INCR", "n"]), overflow);
    c.cmd(&["SET", "n", "-9223372036854775808"]);
    assert_eq!(c.cmd(&["DECR", "n"]), overflow);
    assert_eq!(
        c.cmd(&["DECRBY", "n", "-9223372036854775808"]),
        Resp::err("ERR decrement would overflow")
    );
    c.cmd(&["SET", "n", "0"]);
    assert_eq!(
        c.cmd(&["DECRBY", "n", "-9223372036854775808"]),
        Resp::err("ERR decrement would overflow")
    );
    assert_eq!(
        c.cmd(&["INCRBY", "n", "-9223372036854775808"]),
        int(i64::MIN)
    );
    assert_eq!(c.cmd(&["GET", "n"]), Resp::bulk("-9223372036854775808"));
}

#[test]
fn incr_rejects_values_that_are_not_canonical_integers() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let not_int = Resp::err("ERR value is not an integer or out of range");
    for v in [
        "010",
        "+1",
        " 1",
        "1 ",
        "1.5",
        "abc",
        "",
        "9223372036854775808",
        "-0",
    ] {
        c.cmd(&["SET", "n", v]);
        assert_eq!(c.cmd(&["INCR", "n"]), not_int, "INCR on {v:?}");
        assert_eq!(
            c.cmd(&["GET", "n"]),
            Resp::bulk(v),
            "a failed INCR must not write"
        );
    }
    c.cmd(&["SET", "n", "1"]);
    for by in ["1.5", "abc", "9223372036854775808", ""] {
        assert_eq!(c.cmd(&["INCRBY", "n", by]), not_int, "INCRBY {by:?}");
    }
    // INCR keeps the TTL
    c.cmd(&["SET", "t", "5", "EX", "100"]);
    assert_eq!(c.cmd(&["INCR", "t"]), int(6));
    assert_ttl_near(&mut c, "t", 100);
}

#[test]
fn incrbyfloat_formats_results_like_redis_long_doubles() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    // (start value, increment, reply) recorded from redis-server 7.0.15
    let cases = [
        ("10.5", "0.1", "10.6"),
        ("0.1", "0.2", "0.3"),
        ("5.0e3", "2.0e2", "5200"),
        ("3", "-3", "0"),
        ("3", "1.5e-20", "3"),
        ("0", "1.5e-20", "0"), // %.17Lf keeps 17 decimals only
        ("0", "1e-5", "0.00001"),
        ("0.00001", "1", "1.00001"),
        ("-1", "0.9", "-0.1"),
        ("1", "1.0", "2"),
        (
            "0",
            "123456789012345678901234567890",
            "123456789012345678899921813504",
        ),
        ("0", "-0", "0"),
    ];
    for (start, by, want) in cases {
        c.cmd(&["SET", "f", start]);
        assert_eq!(
            c.cmd(&["INCRBYFLOAT", "f", by]),
            Resp::bulk(want),
            "{start} + {by}"
        );
        assert_eq!(c.cmd(&["GET", "f"]), Resp::bulk(want));
    }
    // long double range: beyond what a double can hold
    c.cmd(&["SET", "f", "1"]);
    let huge = "179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384";
    assert_eq!(
        c.cmd(&["INCRBYFLOAT", "f", "1.7976931348623157e308"]),
        Resp::bulk(huge)
    );
    let twice = "359538626972463139991842093548208868096772893888658356970628841530353257046248792709403737216774171128857586838851041378617416726902272110715794556052955234146997955372576789671236326588091188869859074894581254961338834769297758245552436667197907705664206565009503223382416235440319971852753604933726679072768";
    assert_eq!(
        c.cmd(&["INCRBYFLOAT", "f", "1.7976931348623157e308"]),
        Resp::bulk(twice)
    );
    assert_eq!(c.cmd(&["INCRBYFLOAT", "new", "5"]), Resp::bulk("5"));
}

#[test]
fn incrbyfloat_errors_match_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let not_float = Resp::err("ERR value is not a valid float");
    c.cmd(&["SET", "f", "abc"]);
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "1"]), not_float);
    c.cmd(&["SET", "f", "1"]);
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "abc"]), not_float);
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", " 1"]), not_float);
    assert_eq!(
        c.cmd(&["INCRBYFLOAT", "f", "inf"]),
        Resp::err("ERR increment would produce NaN or Infinity")
    );
    assert_eq!(c.cmd(&["GET", "f"]), Resp::bulk("1"));
}

// ---------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------

#[test]
fn lcs_returns_the_string_or_its_length() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
    assert_eq!(c.cmd(&["LCS", "key1", "key2"]), Resp::bulk("mytext"));
    assert_eq!(c.cmd(&["LCS", "key1", "key2", "LEN"]), int(6));
    assert_eq!(c.cmd(&["LCS", "key1", "missing"]), Resp::bulk(""));
    assert_eq!(
        c.cmd(&["LCS", "key1", "key2", "LEN", "IDX"]),
        Resp::err("ERR If you want both the length and indexes, please just use IDX.")
    );
    assert_eq!(
        c.cmd(&["LCS", "key1", "key2", "FOO"]),
        Resp::err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["LCS", "key1", "key2", "MINMATCHLEN"]),
        Resp::err("ERR syntax error")
    );
}

#[test]
fn lcs_idx_lists_matches_with_minmatchlen_and_withmatchlen() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
    assert_bytes!(
        c.raw(b"LCS key1 key2 IDX\r\n"),
        b"*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
    );
    assert_bytes!(
        c.raw(b"LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN\r\n"),
        b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
    );
    // a negative MINMATCHLEN counts as 0
    assert_bytes!(
        c.raw(b"LCS key1 key2 MINMATCHLEN -5 IDX\r\n"),
        b"*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
    );
    assert_bytes!(
        c.raw(b"LCS nokey nokey2 IDX\r\n"),
        b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
    );
    // RESP3: a map
    c.cmd(&["HELLO", "3"]);
    assert_bytes!(
        c.raw(b"LCS key1 key2 IDX WITHMATCHLEN\r\n"),
        b"%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"
    );
}

// ---------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------

#[test]
fn object_encoding_reports_int_embstr_and_raw() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let enc = |c: &mut common::Client, v: &str| {
        c.cmd(&["SET", "k", v]);
        c.cmd(&["OBJECT", "ENCODING", "k"]).text()
    };
    assert_eq!(enc(&mut c, "12345"), "int");
    assert_eq!(enc(&mut c, "-1"), "int");
    assert_eq!(enc(&mut c, "9223372036854775807"), "int");
    assert_eq!(enc(&mut c, "92233720368547758070"), "embstr");
    for not_int in ["0123", "+1", " 12", "-0", "1.5"] {
        assert_eq!(enc(&mut c, not_int), "embstr", "{not_int:?}");
    }
    assert_eq!(enc(&mut c, &"x".repeat(44)), "embstr");
    assert_eq!(enc(&mut c, &"x".repeat(45)), "raw");
    // modified in place: raw
    c.cmd(&["SET", "k", "abc"]);
    c.cmd(&["APPEND", "k", "d"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), Resp::bulk("raw"));
    c.cmd(&["SET", "k", "12"]);
    c.cmd(&["APPEND", "k", "3"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), Resp::bulk("raw"));
    c.cmd(&["INCR", "k"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), Resp::bulk("int"));
    c.cmd(&["SET", "k", "10"]);
    c.cmd(&["SETRANGE", "k", "0", "2"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), Resp::bulk("raw"));
    c.cmd(&["INCRBYFLOAT", "k", "1"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), Resp::bulk("embstr"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "missing"]), Resp::nil());
}

#[test]
fn small_integers_are_shared_objects() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    // 0..9999 are shared: OBJECT REFCOUNT shows INT_MAX for them
    for (v, rc) in [
        ("100", 2_147_483_647),
        ("0", 2_147_483_647),
        ("9999", 2_147_483_647),
        ("10000", 1),
        ("-1", 1),
    ] {
        c.cmd(&["SET", "k", v]);
        assert_eq!(
            c.cmd(&["OBJECT", "REFCOUNT", "k"]),
            int(rc),
            "refcount of {v}"
        );
    }
    c.cmd(&["SET", "k", "122"]);
    c.cmd(&["INCR", "k"]);
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "k"]), int(2_147_483_647));
}
