//! List commands over the wire: pushes and pops (with COUNT, in RESP2 and
//! RESP3), LRANGE/LTRIM/LINDEX/LSET index rules, LREM/LINSERT/LPOS, LMOVE,
//! RPOPLPUSH and LMPOP, every error text, and the quicklist layout that
//! DEBUG OBJECT, DEBUG QUICKLIST-PACKED-THRESHOLD and list-compress-depth
//! expose. Mirrors Redis' t_list.c and tests/unit/type/list*.tcl; each
//! expected reply is what Redis 7.0.15 sends (checked by running this file
//! with FERRODIS_TEST_SERVER=/usr/bin/redis-server).

#[macro_use]
mod common;

use common::{Client, Resp, Server};

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

fn err(s: &str) -> Resp {
    Resp::err(s)
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The reply to `args` as wire bytes (parsed, then encoded back: the
/// parser keeps every RESP2/RESP3 distinction, e.g. `$-1`, `*-1`, `_`).
fn wire(c: &mut Client, args: &[&str]) -> Vec<u8> {
    c.cmd(args).encode()
}

fn range(c: &mut Client, key: &str) -> Vec<String> {
    c.cmd(&["LRANGE", key, "0", "-1"]).strings()
}

/// A server that allows DEBUG (the suite's servers do too).
fn debug_server(extra: &[&str]) -> Server {
    let mut args = vec!["--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// One `name:value` field of DEBUG OBJECT's status line.
fn debug_field(c: &mut Client, key: &str, field: &str) -> String {
    let line = c.cmd(&["DEBUG", "OBJECT", key]).text();
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {line}"))
        .to_string()
}

// ---------------------------------------------------------------------------
// Push and pop
// ---------------------------------------------------------------------------

#[test]
fn variadic_pushes_keep_redis_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["LPUSH", "l", "a", "b", "c", "d"]), int(4));
    assert_eq!(c.cmd(&["RPUSH", "l", "0", "1", "2", "3"]), int(8));
    assert_eq!(range(&mut c, "l"), ["d", "c", "b", "a", "0", "1", "2", "3"]);
    assert_eq!(c.cmd(&["LLEN", "l"]), int(8));
    assert_eq!(c.cmd(&["LLEN", "nokey"]), int(0));
    assert_eq!(c.cmd(&["TYPE", "l"]), Resp::simple("list"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "l"]), Resp::bulk("quicklist"));
}

#[test]
fn pushx_only_touches_existing_lists() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["LPUSHX", "x", "a"]), int(0));
    assert_eq!(c.cmd(&["RPUSHX", "x", "a", "b"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "x"]), int(0));
    c.cmd(&["RPUSH", "x", "big-value-xxxxxxxxxxx", "c"]);
    assert_eq!(c.cmd(&["RPUSHX", "x", "d"]), int(3));
    assert_eq!(c.cmd(&["LPUSHX", "x", "a"]), int(4));
    assert_eq!(c.cmd(&["RPUSHX", "x", "42", "x"]), int(6));
    assert_eq!(c.cmd(&["LPUSHX", "x", "y3", "y2", "y1"]), int(9));
    assert_eq!(
        range(&mut c, "x"),
        [
            "y1",
            "y2",
            "y3",
            "a",
            "big-value-xxxxxxxxxxx",
            "c",
            "d",
            "42",
            "x"
        ]
    );
}

#[test]
fn pop_with_and_without_count() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["LPUSH", "l", "aa", "bb", "cc", "dd", "ee", "ff", "gg"]),
        int(7)
    );
    assert_eq!(c.cmd(&["LPOP", "l"]), Resp::bulk("gg"));
    assert_eq!(c.cmd(&["LPOP", "l", "1"]), Resp::bulks(&["ff"]));
    assert_eq!(c.cmd(&["LPOP", "l", "2"]), Resp::bulks(&["ee", "dd"]));
    assert_eq!(c.cmd(&["RPOP", "l", "2"]), Resp::bulks(&["aa", "bb"]));
    assert_eq!(c.cmd(&["RPOP", "l", "123"]), Resp::bulks(&["cc"]));
    // The last pop deleted the key.
    assert_eq!(c.cmd(&["EXISTS", "l"]), int(0));
    c.cmd(&["RPUSH", "n", "1", "-2", "99999999999"]);
    assert_eq!(c.cmd(&["RPOP", "n"]), Resp::bulk("99999999999"));
    assert_eq!(c.cmd(&["LPOP", "n", "5"]), Resp::bulks(&["1", "-2"]));
}

#[test]
fn pop_null_forms_in_resp2_and_resp3() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "zero"]);
    assert_bytes!(wire(&mut c, &["LPOP", "l", "0"]), b"*0\r\n");
    assert_bytes!(wire(&mut c, &["RPOP", "l", "0"]), b"*0\r\n");
    assert_bytes!(wire(&mut c, &["LPOP", "none"]), b"$-1\r\n");
    assert_bytes!(wire(&mut c, &["RPOP", "none"]), b"$-1\r\n");
    assert_bytes!(wire(&mut c, &["LPOP", "none", "0"]), b"*-1\r\n");
    assert_bytes!(wire(&mut c, &["RPOP", "none", "1"]), b"*-1\r\n");
    c.cmd(&["HELLO", "3"]);
    assert_bytes!(wire(&mut c, &["LPOP", "l", "0"]), b"*0\r\n");
    assert_bytes!(wire(&mut c, &["LPOP", "none"]), b"_\r\n");
    assert_bytes!(wire(&mut c, &["LPOP", "none", "0"]), b"_\r\n");
    assert_bytes!(wire(&mut c, &["RPOP", "none", "3"]), b"_\r\n");
    assert_bytes!(wire(&mut c, &["LINDEX", "none", "0"]), b"_\r\n");
    assert_bytes!(wire(&mut c, &["LPOS", "l", "nope"]), b"_\r\n");
    assert_bytes!(wire(&mut c, &["LMPOP", "1", "none", "LEFT"]), b"_\r\n");
    assert_bytes!(
        wire(&mut c, &["LMOVE", "none", "x", "LEFT", "LEFT"]),
        b"_\r\n"
    );
}

#[test]
fn pop_argument_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "a"]);
    assert_eq!(
        c.cmd(&["LPOP", "l", "1", "1"]),
        err("ERR wrong number of arguments for 'lpop' command")
    );
    assert_eq!(
        c.cmd(&["RPOP", "l", "2", "2"]),
        err("ERR wrong number of arguments for 'rpop' command")
    );
    // Redis gives the range message for a non-number too.
    for bad in ["-1", "abc", "1.5"] {
        assert_eq!(
            c.cmd(&["LPOP", "l", bad]),
            err("ERR value is out of range, must be positive")
        );
    }
    assert_eq!(
        c.cmd(&["LPOP", "none", "-123"]),
        err("ERR value is out of range, must be positive")
    );
}

#[test]
fn wrong_type_everywhere() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "s", "x"]);
    c.cmd(&["RPUSH", "l", "a"]);
    let cmds: &[&[&str]] = &[
        &["LPUSH", "s", "a"],
        &["RPUSH", "s", "a"],
        &["LPUSHX", "s", "a"],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "2"],
        &["LLEN", "s"],
        &["LINDEX", "s", "0"],
        &["LINDEX", "s", "notanumber"],
        &["LSET", "s", "0", "a"],
        &["LRANGE", "s", "0", "1"],
        &["LTRIM", "s", "0", "1"],
        &["LREM", "s", "0", "a"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "l", "LEFT", "RIGHT"],
        &["LMOVE", "l", "s", "LEFT", "RIGHT"],
        &["RPOPLPUSH", "l", "s"],
        &["LMPOP", "2", "none", "s", "LEFT"],
    ];
    for args in cmds {
        assert_eq!(c.cmd(args), err(WRONGTYPE), "{args:?}");
    }
    // A refused move changed nothing.
    assert_eq!(range(&mut c, "l"), ["a"]);
    assert_eq!(c.cmd(&["GET", "s"]), Resp::bulk("x"));
}

// ---------------------------------------------------------------------------
// Index based access
// ---------------------------------------------------------------------------

#[test]
fn lrange_and_lindex_index_rules() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&[
        "RPUSH", "l", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    ]);
    assert_eq!(c.cmd(&["LRANGE", "l", "1", "-2"]).strings().len(), 8);
    assert_eq!(
        c.cmd(&["LRANGE", "l", "-3", "-1"]),
        Resp::bulks(&["7", "8", "9"])
    );
    assert_eq!(c.cmd(&["LRANGE", "l", "4", "4"]), Resp::bulks(&["4"]));
    assert_eq!(c.cmd(&["LRANGE", "l", "6", "2"]), Resp::bulks(&[]));
    assert_eq!(c.cmd(&["LRANGE", "l", "-20", "-15"]), Resp::bulks(&[]));
    assert_eq!(c.cmd(&["LRANGE", "l", "-100", "100"]).strings().len(), 10);
    assert_eq!(c.cmd(&["LRANGE", "l", "11", "20"]), Resp::bulks(&[]));
    assert_eq!(c.cmd(&["LRANGE", "none", "0", "-1"]), Resp::bulks(&[]));
    assert_eq!(
        c.cmd(&["LRANGE", "none", "a", "1"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["LINDEX", "l", "0"]), Resp::bulk("0"));
    assert_eq!(c.cmd(&["LINDEX", "l", "-1"]), Resp::bulk("9"));
    assert_eq!(c.cmd(&["LINDEX", "l", "10"]), Resp::nil());
    assert_eq!(c.cmd(&["LINDEX", "l", "-11"]), Resp::nil());
    assert_eq!(
        c.cmd(&["LINDEX", "l", "x"]),
        err("ERR value is not an integer or out of range")
    );
    // A missing key answers nil before the index is even parsed.
    assert_eq!(c.cmd(&["LINDEX", "none", "x"]), Resp::nil());
}

#[test]
fn lset_and_its_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(c.cmd(&["LSET", "l", "1", "B"]), Resp::ok());
    assert_eq!(c.cmd(&["LSET", "l", "-1", "C"]), Resp::ok());
    assert_eq!(range(&mut c, "l"), ["a", "B", "C"]);
    assert_eq!(
        c.cmd(&["LSET", "l", "3", "x"]),
        err("ERR index out of range")
    );
    assert_eq!(
        c.cmd(&["LSET", "l", "x", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["LSET", "none", "0", "x"]), err("ERR no such key"));
    assert_eq!(c.cmd(&["LSET", "none", "x", "x"]), err("ERR no such key"));
}

#[test]
fn ltrim_keeps_a_range_or_deletes_the_key() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "1", "2", "3", "4", "5"]);
    assert_eq!(c.cmd(&["LTRIM", "l", "1", "-2"]), Resp::ok());
    assert_eq!(range(&mut c, "l"), ["2", "3", "4"]);
    assert_eq!(c.cmd(&["LTRIM", "l", "0", "100"]), Resp::ok());
    assert_eq!(range(&mut c, "l"), ["2", "3", "4"]);
    assert_eq!(c.cmd(&["LTRIM", "l", "-1", "-1"]), Resp::ok());
    assert_eq!(range(&mut c, "l"), ["4"]);
    assert_eq!(c.cmd(&["LTRIM", "l", "5", "1"]), Resp::ok());
    assert_eq!(c.cmd(&["EXISTS", "l"]), int(0));
    assert_eq!(c.cmd(&["LTRIM", "none", "0", "1"]), Resp::ok());
    assert_eq!(
        c.cmd(&["LTRIM", "l", "0", "b"]),
        err("ERR value is not an integer or out of range")
    );
}

// ---------------------------------------------------------------------------
// Search: LREM, LINSERT, LPOS
// ---------------------------------------------------------------------------

#[test]
fn lrem_counts_and_directions() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "a", "b", "a", "c", "a", "d", "a"]);
    assert_eq!(c.cmd(&["LREM", "l", "2", "a"]), int(2));
    assert_eq!(range(&mut c, "l"), ["b", "c", "a", "d", "a"]);
    assert_eq!(c.cmd(&["LREM", "l", "-1", "a"]), int(1));
    assert_eq!(range(&mut c, "l"), ["b", "c", "a", "d"]);
    assert_eq!(c.cmd(&["LREM", "l", "0", "zz"]), int(0));
    assert_eq!(c.cmd(&["LREM", "none", "0", "a"]), int(0));
    assert_eq!(
        c.cmd(&["LREM", "l", "x", "a"]),
        err("ERR value is not an integer or out of range")
    );
    // Integer-encoded elements match their decimal text only.
    c.cmd(&["RPUSH", "n", "12", "012", "12"]);
    assert_eq!(c.cmd(&["LREM", "n", "0", "12"]), int(2));
    assert_eq!(range(&mut c, "n"), ["012"]);
    for v in ["b", "c", "a", "d"] {
        c.cmd(&["LREM", "l", "0", v]);
    }
    assert_eq!(c.cmd(&["EXISTS", "l"]), int(0));
}

#[test]
fn linsert_before_and_after_the_first_pivot() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "a", "b", "c", "d"]);
    assert_eq!(c.cmd(&["LINSERT", "l", "before", "c", "zz"]), int(5));
    assert_eq!(c.cmd(&["LINSERT", "l", "AFTER", "c", "yy"]), int(6));
    assert_eq!(c.cmd(&["LINSERT", "l", "after", "bad", "x"]), int(-1));
    assert_eq!(c.cmd(&["LINSERT", "l", "before", "a", "42"]), int(7));
    assert_eq!(range(&mut c, "l"), ["42", "a", "b", "zz", "c", "yy", "d"]);
    assert_eq!(c.cmd(&["LINSERT", "none", "before", "a", "b"]), int(0));
    assert_eq!(
        c.cmd(&["LINSERT", "l", "aft3r", "a", "b"]),
        err("ERR syntax error")
    );
    // The syntax check comes before the key lookup.
    assert_eq!(
        c.cmd(&["LINSERT", "none", "bad", "a", "b"]),
        err("ERR syntax error")
    );
}

#[test]
fn lpos_options_and_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"]);
    assert_eq!(c.cmd(&["LPOS", "l", "a"]), int(0));
    assert_eq!(c.cmd(&["LPOS", "l", "c"]), int(2));
    assert_eq!(c.cmd(&["LPOS", "l", "c", "RANK", "2"]), int(6));
    assert_eq!(c.cmd(&["LPOS", "l", "c", "RANK", "4"]), Resp::nil());
    assert_eq!(c.cmd(&["LPOS", "l", "c", "RANK", "-1"]), int(7));
    assert_eq!(c.cmd(&["LPOS", "l", "c", "RANK", "-2"]), int(6));
    assert_eq!(c.cmd(&["LPOS", "l", "1"]), int(3));
    assert_eq!(c.cmd(&["LPOS", "l", "01"]), Resp::nil());
    let ints = |v: &[i64]| Resp::arr(v.iter().map(|&n| int(n)).collect());
    assert_eq!(c.cmd(&["LPOS", "l", "c", "COUNT", "0"]), ints(&[2, 6, 7]));
    assert_eq!(c.cmd(&["LPOS", "l", "c", "COUNT", "2"]), ints(&[2, 6]));
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "0", "RANK", "2"]),
        ints(&[6, 7])
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "2", "RANK", "-1"]),
        ints(&[7, 6])
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3", "RANK", "-1"]),
        ints(&[7, 6])
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7", "RANK", "2"]),
        ints(&[6])
    );
    assert_eq!(c.cmd(&["LPOS", "l", "x", "COUNT", "2"]), ints(&[]));
    assert_eq!(c.cmd(&["LPOS", "none", "c"]), Resp::nil());
    assert_eq!(c.cmd(&["LPOS", "none", "c", "COUNT", "0"]), ints(&[]));
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "RANK", "0"]),
        err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "RANK", "x"]),
        err("ERR value is not an integer or out of range")
    );
    for bad in ["-1", "x"] {
        assert_eq!(
            c.cmd(&["LPOS", "l", "c", "COUNT", bad]),
            err("ERR COUNT can't be negative")
        );
        assert_eq!(
            c.cmd(&["LPOS", "l", "c", "MAXLEN", bad]),
            err("ERR MAXLEN can't be negative")
        );
    }
    assert_eq!(c.cmd(&["LPOS", "l", "c", "RANK"]), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "FOO", "1"]),
        err("ERR syntax error")
    );
    // Redis negates LONG_MIN in place; it stays negative, so every match
    // from the tail counts.
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "RANK", "-9223372036854775808"]),
        int(7)
    );
}

// ---------------------------------------------------------------------------
// Moves and multi-key pops
// ---------------------------------------------------------------------------

#[test]
fn lmove_and_rpoplpush() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "src", "a", "b", "c", "d"]);
    assert_eq!(c.cmd(&["RPOPLPUSH", "src", "dst"]), Resp::bulk("d"));
    assert_eq!(
        c.cmd(&["LMOVE", "src", "dst", "LEFT", "RIGHT"]),
        Resp::bulk("a")
    );
    assert_eq!(
        c.cmd(&["LMOVE", "src", "dst", "right", "left"]),
        Resp::bulk("c")
    );
    assert_eq!(range(&mut c, "src"), ["b"]);
    assert_eq!(range(&mut c, "dst"), ["c", "d", "a"]);
    // Rotation on the same key, also with a single element.
    assert_eq!(
        c.cmd(&["LMOVE", "dst", "dst", "LEFT", "RIGHT"]),
        Resp::bulk("c")
    );
    assert_eq!(range(&mut c, "dst"), ["d", "a", "c"]);
    assert_eq!(c.cmd(&["RPOPLPUSH", "src", "src"]), Resp::bulk("b"));
    assert_eq!(range(&mut c, "src"), ["b"]);
    // Moving the last element deletes the source.
    assert_eq!(c.cmd(&["RPOPLPUSH", "src", "dst"]), Resp::bulk("b"));
    assert_eq!(c.cmd(&["EXISTS", "src"]), int(0));
    assert_eq!(c.cmd(&["RPOPLPUSH", "src", "dst"]), Resp::nil());
    assert_eq!(
        c.cmd(&["LMOVE", "dst", "x", "UP", "LEFT"]),
        err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["LMOVE", "dst", "x", "LEFT", "DOWN"]),
        err("ERR syntax error")
    );
}

#[test]
fn lmpop_replies_and_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "a", "1", "2", "3"]);
    c.cmd(&["RPUSH", "b", "x", "y"]);
    let key_and = |k: &str, v: &[&str]| Resp::arr(vec![Resp::bulk(k), Resp::bulks(v)]);
    assert_eq!(
        c.cmd(&["LMPOP", "2", "none", "a", "LEFT"]),
        key_and("a", &["1"])
    );
    assert_eq!(
        c.cmd(&["LMPOP", "2", "a", "b", "RIGHT", "COUNT", "10"]),
        key_and("a", &["3", "2"])
    );
    assert_eq!(c.cmd(&["EXISTS", "a"]), int(0));
    assert_eq!(
        c.cmd(&["LMPOP", "2", "a", "b", "left", "count", "1"]),
        key_and("b", &["x"])
    );
    assert_eq!(c.cmd(&["LMPOP", "1", "none", "LEFT"]), Resp::Array(None));
    let arity = err("ERR wrong number of arguments for 'lmpop' command");
    assert_eq!(c.cmd(&["LMPOP"]), arity);
    assert_eq!(c.cmd(&["LMPOP", "1"]), arity);
    assert_eq!(c.cmd(&["LMPOP", "1", "b"]), arity);
    for bad in ["0", "a", "-1"] {
        assert_eq!(
            c.cmd(&["LMPOP", bad, "b", "LEFT"]),
            err("ERR numkeys should be greater than 0")
        );
    }
    for args in [
        &["LMPOP", "1", "b", "bad_where"][..],
        &["LMPOP", "1", "b", "LEFT", "bar_arg"],
        &["LMPOP", "1", "b", "RIGHT", "LEFT"],
        &["LMPOP", "1", "b", "COUNT"],
        &["LMPOP", "1", "b", "LEFT", "COUNT", "1", "COUNT", "2"],
        &["LMPOP", "2", "b", "c", "bad_arg"],
        &["LMPOP", "9223372036854775807", "b", "LEFT"],
    ] {
        assert_eq!(c.cmd(args), err("ERR syntax error"), "{args:?}");
    }
    for bad in ["0", "a", "-1"] {
        assert_eq!(
            c.cmd(&["LMPOP", "1", "b", "LEFT", "COUNT", bad]),
            err("ERR count should be greater than 0")
        );
    }
    assert_eq!(range(&mut c, "b"), ["y"]);
}

// ---------------------------------------------------------------------------
// Quicklist layout: fill, plain nodes, compression, DEBUG
// ---------------------------------------------------------------------------

/// DEBUG OBJECT's ql_* fields for lists Redis 7.0.15 was given the same
/// pushes (its output recorded for these shapes).
#[test]
fn debug_object_reports_the_quicklist_like_redis() {
    let srv = debug_server(&[]);
    let mut c = srv.client();
    let nums: Vec<String> = (1..=1000).map(|i| i.to_string()).collect();
    let mut args = vec!["RPUSH", "a"];
    args.extend(nums.iter().map(String::as_str));
    c.cmd(&args);
    let line = c.cmd(&["DEBUG", "OBJECT", "a"]).text();
    assert!(
        line.contains(" refcount:1 encoding:quicklist serializedlength:2884 lru:"),
        "{line}"
    );
    assert!(
        line.ends_with(
            " ql_nodes:1 ql_avg_node:1000.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:2880"
        ),
        "{line}"
    );
    // 10000 "value:N" elements: 15 nodes of at most 8 KB.
    for chunk in (0..10000).collect::<Vec<_>>().chunks(500) {
        let vals: Vec<String> = chunk.iter().map(|i| format!("value:{i}")).collect();
        let mut args = vec!["RPUSH", "b"];
        args.extend(vals.iter().map(String::as_str));
        c.cmd(&args);
    }
    assert_eq!(debug_field(&mut c, "b", "ql_nodes"), "15");
    assert_eq!(debug_field(&mut c, "b", "ql_avg_node"), "666.67");
    assert_eq!(debug_field(&mut c, "b", "ql_uncompressed_size"), "118995");
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "b"]), int(123568));
    assert_eq!(
        c.cmd(&["MEMORY", "USAGE", "b", "SAMPLES", "0"]),
        int(120496)
    );
}

#[test]
fn fill_and_compress_depth_apply_to_new_lists() {
    let srv = debug_server(&[
        "--list-max-listpack-size",
        "4",
        "--list-compress-depth",
        "1",
    ]);
    let mut c = srv.client();
    let v = "a fairly compressible value a fairly compressible value";
    for _ in 0..40 {
        c.cmd(&["RPUSH", "c", v]);
    }
    assert_eq!(debug_field(&mut c, "c", "ql_nodes"), "10");
    assert_eq!(debug_field(&mut c, "c", "ql_listpack_max"), "4");
    assert_eq!(debug_field(&mut c, "c", "ql_compressed"), "1");
    assert_eq!(debug_field(&mut c, "c", "ql_uncompressed_size"), "2350");
    // Redis' figure: the eight inner nodes are stored compressed.
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "c", "SAMPLES", "0"]), int(1512));
    assert_eq!(c.cmd(&["LINDEX", "c", "17"]), Resp::bulk(v));
    assert_eq!(range(&mut c, "c").len(), 40);
    // A list keeps the settings it was created with.
    c.cmd(&["CONFIG", "SET", "list-compress-depth", "0"]);
    c.cmd(&["CONFIG", "SET", "list-max-listpack-size", "-2"]);
    c.cmd(&["RPUSH", "c", v]);
    assert_eq!(debug_field(&mut c, "c", "ql_nodes"), "11");
    c.cmd(&["RPUSH", "d", v]);
    assert_eq!(debug_field(&mut c, "d", "ql_listpack_max"), "-2");
    assert_eq!(debug_field(&mut c, "d", "ql_compressed"), "0");
}

#[test]
fn packed_threshold_makes_plain_nodes() {
    let srv = debug_server(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b"]),
        Resp::ok()
    );
    c.cmd(&["LPUSH", "lst", "9"]);
    c.cmd(&["LPUSH", "lst", "xxxxxxxxxx"]);
    c.cmd(&["LPUSH", "lst", "xxxxxxxxxx"]);
    assert_eq!(debug_field(&mut c, "lst", "ql_nodes"), "3");
    assert_eq!(c.cmd(&["RPOP", "lst"]), Resp::bulk("9"));
    c.cmd(&["LINSERT", "lst", "BEFORE", "xxxxxxxxxx", "8"]);
    c.cmd(&["LSET", "lst", "0", "small"]);
    assert_eq!(range(&mut c, "lst"), ["small", "xxxxxxxxxx", "xxxxxxxxxx"]);
    assert_eq!(c.cmd(&["LPOS", "lst", "xxxxxxxxxx"]), int(1));
    assert_eq!(c.cmd(&["LREM", "lst", "-2", "xxxxxxxxxx"]), int(2));
    assert_eq!(
        c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]),
        Resp::ok()
    );
    let bad = err("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
    for arg in ["-1", "abc", "4gb", "5gb"] {
        assert_eq!(c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", arg]), bad);
    }
    assert_eq!(
        c.cmd(&["DEBUG", "QUICKLIST", "lst"]),
        Resp::simple("Quicklist structure printed on stdout")
    );
    c.cmd(&["SET", "s", "x"]);
    assert_eq!(
        c.cmd(&["DEBUG", "QUICKLIST", "s"]),
        err("ERR Not a quicklist encoded object.")
    );
    assert_eq!(
        c.cmd(&["DEBUG", "QUICKLIST", "none"]),
        err("ERR no such key")
    );
}

/// The suite's compression regressions (list-3.tcl), which crashed Redis
/// at some point: they must leave a consistent list.
#[test]
fn compression_regressions_stay_consistent() {
    let srv = debug_server(&["--list-max-listpack-size", "16"]);
    let mut c = srv.client();
    let rep = |ch: &str, n: usize| ch.repeat(n);
    c.cmd(&["CONFIG", "SET", "list-compress-depth", "1"]);
    c.cmd(&["RPUSH", "key", "a"]);
    c.cmd(&["RPUSH", "key", &rep("b", 50000)]);
    c.cmd(&["RPUSH", "key", "c"]);
    c.cmd(&["LSET", "key", "1", "d"]);
    c.cmd(&["RPOP", "key"]);
    c.cmd(&["RPUSH", "key", &rep("e", 5000)]);
    c.cmd(&["LINSERT", "key", "before", "f", "1"]);
    c.cmd(&["RPUSH", "key", "g"]);
    assert_eq!(c.cmd(&["LLEN", "key"]), int(4));

    c.cmd(&["DEL", "key"]);
    c.cmd(&["CONFIG", "SET", "list-compress-depth", "2"]);
    c.cmd(&["LPUSH", "key", "a"]);
    for ch in ["a", "b", "c"] {
        c.cmd(&["LPUSH", "key", &rep(ch, 5000)]);
    }
    let x969 = format!("{}969", rep("x", 10000));
    c.cmd(&["RPUSH", "key", &x969]);
    c.cmd(&["RPUSH", "key", "b"]);
    c.cmd(&["LREM", "key", "1", "a"]);
    c.cmd(&["RPOP", "key"]);
    c.cmd(&["LREM", "key", "1", &x969]);
    c.cmd(&["RPUSH", "key", "crash"]);
    assert_eq!(c.cmd(&["LLEN", "key"]), int(4));
    let items = range(&mut c, "key");
    assert_eq!(items[0], rep("c", 5000));
    assert_eq!(items[3], "crash");

    // Many random-ish operations on a compressed list of mixed sizes.
    c.cmd(&["DEL", "key"]);
    c.cmd(&["CONFIG", "SET", "list-compress-depth", "1"]);
    let mut model: Vec<String> = Vec::new();
    for i in 0..300usize {
        let v = if i % 3 == 0 {
            format!("{}{}", rep("y", (i * 37) % 3000), i)
        } else {
            i.to_string()
        };
        if i % 2 == 0 {
            c.cmd(&["RPUSH", "key", &v]);
            model.push(v);
        } else {
            c.cmd(&["LPUSH", "key", &v]);
            model.insert(0, v);
        }
        if i % 7 == 0 {
            let idx = (i * 13) % model.len();
            let nv = format!("set{i}");
            c.cmd(&["LSET", "key", &idx.to_string(), &nv]);
            model[idx] = nv;
        }
    }
    assert_eq!(range(&mut c, "key"), model);
    assert_eq!(c.cmd(&["LINDEX", "key", "150"]), Resp::bulk(&model[150]));
}

#[test]
fn large_lists_index_from_both_ends() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for chunk in (0..5000).collect::<Vec<i32>>().chunks(1000) {
        let vals: Vec<String> = chunk.iter().map(i32::to_string).collect();
        let mut args = vec!["RPUSH", "big"];
        args.extend(vals.iter().map(String::as_str));
        c.cmd(&args);
    }
    for i in [0i64, 1, 999, 2500, 4998, 4999] {
        assert_eq!(
            c.cmd(&["LINDEX", "big", &i.to_string()]),
            Resp::bulk(&i.to_string())
        );
        let neg = -(i + 1);
        assert_eq!(
            c.cmd(&["LINDEX", "big", &neg.to_string()]),
            Resp::bulk(&(4999 - i).to_string())
        );
    }
    assert_eq!(
        c.cmd(&["LRANGE", "big", "2498", "2501"]),
        Resp::bulks(&["2498", "2499", "2500", "2501"])
    );
    let mut sum = 0i64;
    for _ in 0..2500 {
        sum += c.cmd(&["LPOP", "big"]).text().parse::<i64>().unwrap();
        sum += c.cmd(&["RPOP", "big"]).text().parse::<i64>().unwrap();
    }
    assert_eq!(sum, (0..5000).sum::<i64>());
    assert_eq!(c.cmd(&["EXISTS", "big"]), int(0));
}
