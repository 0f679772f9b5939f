//! Bitmap and bitfield commands over the wire: SETBIT/GETBIT, BITCOUNT and
//! BITPOS ranges (BYTE|BIT, negative indexes), BITOP, BITFIELD and
//! BITFIELD_RO with every overflow mode, and their bad input: offsets at
//! the proto-max-bulk-len limit, malformed types and `#` offsets, wrong
//! types. Mirrors Redis' bitops.c and tests/unit/bitops.tcl,
//! tests/unit/bitfield.tcl; every expected reply is what Redis 7.0.15
//! sends (run with FERRODIS_TEST_SERVER=/usr/bin/redis-server to check).

mod common;

use common::events::{both, received, subscriber};
use common::{Client, Resp, Server};

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

fn ints(v: &[i64]) -> Resp {
    Resp::arr(v.iter().map(|&n| Resp::Int(n)).collect())
}

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_BIT: &str = "ERR bit is not an integer or out of range";
const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn set_bytes(c: &mut Client, key: &str, val: &[u8]) {
    assert_eq!(c.cmd_bytes(&[b"SET", key.as_bytes(), val]), Resp::ok());
}

fn get_bytes(c: &mut Client, key: &str) -> Vec<u8> {
    match c.cmd(&["GET", key]) {
        Resp::Bulk(Some(b)) => b,
        other => panic!("GET {key}: {other:?}"),
    }
}

fn changes(c: &mut Client) -> i64 {
    c.info_field("persistence", "rdb_changes_since_last_save")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

// ---------------------------------------------------------------------------
// SETBIT / GETBIT
// ---------------------------------------------------------------------------

#[test]
fn setbit_returns_the_old_bit_and_grows_with_zero_bytes() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SETBIT", "k", "7", "1"]), int(0));
    assert_eq!(c.cmd(&["SETBIT", "k", "7", "1"]), int(1));
    assert_eq!(get_bytes(&mut c, "k"), b"\x01");
    assert_eq!(c.cmd(&["SETBIT", "k", "24", "1"]), int(0));
    assert_eq!(get_bytes(&mut c, "k"), b"\x01\x00\x00\x80");
    assert_eq!(c.cmd(&["SETBIT", "k", "7", "0"]), int(1));
    assert_eq!(get_bytes(&mut c, "k"), b"\x00\x00\x00\x80");
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), Resp::bulk("raw"));
    assert_eq!(c.cmd(&["GETBIT", "k", "24"]), int(1));
    assert_eq!(c.cmd(&["GETBIT", "k", "25"]), int(0));
    assert_eq!(c.cmd(&["GETBIT", "k", "1000000"]), int(0));
    assert_eq!(c.cmd(&["GETBIT", "nokey", "0"]), int(0));
    // Clearing a bit past the end still extends the string.
    assert_eq!(c.cmd(&["SETBIT", "k", "47", "0"]), int(0));
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(6));
}

#[test]
fn bits_of_an_integer_value_are_those_of_its_decimal_text() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "i", "12345"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "i"]), Resp::bulk("int"));
    // '1' is 0x31: bits 2, 3 and 7 are set.
    assert_eq!(c.cmd(&["GETBIT", "i", "2"]), int(1));
    assert_eq!(c.cmd(&["GETBIT", "i", "4"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "i"]), int(17));
    assert_eq!(c.cmd(&["BITPOS", "i", "1"]), int(2));
    assert_eq!(c.cmd(&["SETBIT", "i", "0", "1"]), int(0));
    assert_eq!(get_bytes(&mut c, "i"), b"\xb12345");
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "i"]), Resp::bulk("raw"));
}

#[test]
fn bad_offsets_and_bit_values_are_refused() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    // 512 MB of bits is 2^32: the first offset out of range.
    for off in ["4294967296", "-1", "x", "1.5", "", "99999999999999999999"] {
        assert_eq!(
            c.cmd(&["SETBIT", "k", off, "1"]),
            Resp::err(BAD_OFFSET),
            "{off}"
        );
        assert_eq!(c.cmd(&["GETBIT", "k", off]), Resp::err(BAD_OFFSET), "{off}");
    }
    assert_eq!(c.cmd(&["GETBIT", "nokey", "4294967295"]), int(0));
    for bit in ["2", "-1", "x", "01"] {
        assert_eq!(
            c.cmd(&["SETBIT", "k", "1", bit]),
            Resp::err(BAD_BIT),
            "{bit}"
        );
    }
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
}

#[test]
fn offsets_are_limited_by_proto_max_bulk_len() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1048576"]);
    assert_eq!(
        c.cmd(&["SETBIT", "k", "8388608", "1"]),
        Resp::err(BAD_OFFSET)
    );
    assert_eq!(c.cmd(&["SETBIT", "k", "8388607", "1"]), int(0));
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(1048576));
    assert_eq!(c.cmd(&["BITCOUNT", "k"]), int(1));
    assert_eq!(c.cmd(&["BITPOS", "k", "1"]), int(8388607));
    // A BITFIELD write must fit entirely below the limit... but only its
    // offset is checked, so u8 at the last allowed bit grows one byte more.
    assert_eq!(
        c.cmd(&["BITFIELD", "f", "SET", "u8", "#1048576", "1"]),
        Resp::err(BAD_OFFSET)
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "f", "SET", "u8", "8388607", "1"]),
        ints(&[0])
    );
    assert_eq!(c.cmd(&["STRLEN", "f"]), int(1048577));
}

#[test]
fn bit_commands_on_other_types_are_wrongtype() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["LPUSH", "l", "a"]);
    c.cmd(&["SET", "s", "x"]);
    let w = Resp::err(WRONGTYPE);
    assert_eq!(c.cmd(&["SETBIT", "l", "0", "1"]), w);
    assert_eq!(c.cmd(&["GETBIT", "l", "0"]), w);
    assert_eq!(c.cmd(&["BITCOUNT", "l"]), w);
    // The type is checked before the range is even parsed.
    assert_eq!(c.cmd(&["BITCOUNT", "l", "x"]), w);
    assert_eq!(c.cmd(&["BITPOS", "l", "0"]), w);
    assert_eq!(c.cmd(&["BITOP", "AND", "d", "s", "l"]), w);
    assert_eq!(c.cmd(&["BITOP", "NOT", "d", "l"]), w);
    assert_eq!(c.cmd(&["BITFIELD", "l", "GET", "i8", "0"]), w);
    assert_eq!(c.cmd(&["BITFIELD", "l", "SET", "i8", "0", "1"]), w);
    assert_eq!(c.cmd(&["BITFIELD_RO", "l", "GET", "i8", "0"]), w);
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    assert_eq!(c.cmd(&["LLEN", "l"]), int(1));
}

// ---------------------------------------------------------------------------
// BITCOUNT / BITPOS
// ---------------------------------------------------------------------------

#[test]
fn bitcount_ranges_in_bytes_and_bits() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "s", "foobar"]);
    assert_eq!(c.cmd(&["BITCOUNT", "s"]), int(26));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "0"]), int(4));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "1", "1"]), int(6));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "1", "1", "BYTE"]), int(6));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "5", "30", "BIT"]), int(17));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "-2", "-1"]), int(7));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "-100", "100"]), int(26));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "-100", "100", "bit"]), int(26));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "3", "2"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "100", "200"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "-1", "-2"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "nokey"]), int(0));
    c.cmd(&["SET", "e", ""]);
    assert_eq!(c.cmd(&["BITCOUNT", "e", "0", "-1", "BIT"]), int(0));
}

#[test]
fn bitcount_argument_errors_in_redis_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "s", "foobar"]);
    let syntax = Resp::err("ERR syntax error");
    let not_int = Resp::err("ERR value is not an integer or out of range");
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0"]), syntax);
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "1", "foo"]), syntax);
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "1", "BIT", "x"]), syntax);
    assert_eq!(c.cmd(&["BITCOUNT", "s", "a", "1"]), not_int);
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "b"]), not_int);
    // An empty negative range answers 0 before the unit is read.
    assert_eq!(c.cmd(&["BITCOUNT", "s", "-1", "-2", "foo"]), int(0));
    // A missing key answers 0 before the range is read.
    assert_eq!(c.cmd(&["BITCOUNT", "nokey", "0"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "nokey", "a", "b"]), int(0));
}

#[test]
fn bitpos_finds_set_and_clear_bits() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    set_bytes(&mut c, "t", b"\xff\xf0\x00");
    assert_eq!(c.cmd(&["BITPOS", "t", "0"]), int(12));
    assert_eq!(c.cmd(&["BITPOS", "t", "1"]), int(0));
    assert_eq!(c.cmd(&["BITPOS", "t", "1", "2", "-1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "t", "0", "2", "-1"]), int(16));
    assert_eq!(c.cmd(&["BITPOS", "t", "1", "7", "15", "BIT"]), int(7));
    assert_eq!(c.cmd(&["BITPOS", "t", "0", "7", "15", "BIT"]), int(12));
    assert_eq!(c.cmd(&["BITPOS", "t", "1", "1", "1", "BYTE"]), int(8));
    assert_eq!(c.cmd(&["BITPOS", "t", "1", "-1"]), int(-1));
    set_bytes(&mut c, "z", b"\x00\x00\x00");
    assert_eq!(c.cmd(&["BITPOS", "z", "1"]), int(-1));
    // Missing keys are endless zeros; an empty string holds no bit at all.
    assert_eq!(c.cmd(&["BITPOS", "nokey", "0"]), int(0));
    assert_eq!(c.cmd(&["BITPOS", "nokey", "1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "nokey", "1", "junk"]), int(-1));
    c.cmd(&["SET", "e", ""]);
    assert_eq!(c.cmd(&["BITPOS", "e", "0"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "e", "1"]), int(-1));
}

#[test]
fn bitpos_for_a_clear_bit_past_the_end_depends_on_an_explicit_end() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    set_bytes(&mut c, "ff", b"\xff\xff\xff");
    // Without an end the string is padded with zeros: the bit after it.
    assert_eq!(c.cmd(&["BITPOS", "ff", "0"]), int(24));
    assert_eq!(c.cmd(&["BITPOS", "ff", "0", "1"]), int(24));
    assert_eq!(
        c.cmd(&["BITPOS", "ff", "0", "9", "BIT"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    // With one, the range holds no clear bit.
    assert_eq!(c.cmd(&["BITPOS", "ff", "0", "0", "-1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "ff", "0", "9", "23", "BIT"]), int(-1));
    // A long run of ones: the word-at-a-time skip and the tail.
    let mut long = vec![0xffu8; 100];
    long[77] = 0xfd;
    set_bytes(&mut c, "long", &long);
    assert_eq!(c.cmd(&["BITPOS", "long", "0"]), int(77 * 8 + 6));
    assert_eq!(c.cmd(&["BITPOS", "long", "0", "3", "76"]), int(-1));
    assert_eq!(
        c.cmd(&["BITPOS", "long", "0", "617", "-1", "BIT"]),
        int(622)
    );
    assert_eq!(c.cmd(&["BITPOS", "long", "0", "623", "-1", "BIT"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "long", "0", "78"]), int(800));
}

#[test]
fn bitpos_argument_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "s", "foobar"]);
    let bit_err = Resp::err("ERR The bit argument must be 1 or 0.");
    assert_eq!(c.cmd(&["BITPOS", "s", "2"]), bit_err);
    assert_eq!(c.cmd(&["BITPOS", "nokey", "-1"]), bit_err);
    let not_int = Resp::err("ERR value is not an integer or out of range");
    assert_eq!(c.cmd(&["BITPOS", "s", "x"]), not_int);
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "a"]), not_int);
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "0", "a"]), not_int);
    let syntax = Resp::err("ERR syntax error");
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "0", "1", "bits"]), syntax);
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "0", "1", "bit", "x"]), syntax);
    // The unit is read before the end.
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "0", "x", "foo"]), syntax);
}

// ---------------------------------------------------------------------------
// BITOP
// ---------------------------------------------------------------------------

#[test]
fn bitop_pads_shorter_sources_with_zeros() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    set_bytes(&mut c, "a", b"\x01\x02\xff");
    set_bytes(&mut c, "b", b"\x03");
    assert_eq!(c.cmd(&["BITOP", "AND", "d", "a", "b"]), int(3));
    assert_eq!(get_bytes(&mut c, "d"), b"\x01\x00\x00");
    assert_eq!(c.cmd(&["BITOP", "or", "d", "a", "b"]), int(3));
    assert_eq!(get_bytes(&mut c, "d"), b"\x03\x02\xff");
    assert_eq!(c.cmd(&["BITOP", "Xor", "d", "a", "b", "nokey"]), int(3));
    assert_eq!(get_bytes(&mut c, "d"), b"\x02\x02\xff");
    assert_eq!(c.cmd(&["BITOP", "NOT", "d", "a"]), int(3));
    assert_eq!(get_bytes(&mut c, "d"), b"\xfe\xfd\x00");
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "d"]), Resp::bulk("raw"));
    // A missing key is a stream of zeros.
    assert_eq!(c.cmd(&["BITOP", "AND", "d", "a", "nokey"]), int(3));
    assert_eq!(get_bytes(&mut c, "d"), b"\x00\x00\x00");
    // Destination and source may be the same key.
    assert_eq!(c.cmd(&["BITOP", "NOT", "a", "a"]), int(3));
    assert_eq!(get_bytes(&mut c, "a"), b"\xfe\xfd\x00");
    // Integers are their decimal text.
    c.cmd(&["SET", "i", "12"]);
    assert_eq!(c.cmd(&["BITOP", "OR", "d", "i"]), int(2));
    assert_eq!(get_bytes(&mut c, "d"), b"12");
}

#[test]
fn bitop_over_long_strings_matches_byte_by_byte() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let a: Vec<u8> = (0..1000u32).map(|i| (i * 37 % 251) as u8).collect();
    let b: Vec<u8> = (0..777u32).map(|i| (i * 91 % 241) as u8).collect();
    set_bytes(&mut c, "a", &a);
    set_bytes(&mut c, "b", &b);
    let at = |v: &[u8], i: usize| v.get(i).copied().unwrap_or(0);
    for (op, f) in [
        ("AND", (|x, y| x & y) as fn(u8, u8) -> u8),
        ("OR", |x, y| x | y),
        ("XOR", |x, y| x ^ y),
    ] {
        assert_eq!(c.cmd(&["BITOP", op, "d", "a", "b"]), int(1000));
        let want: Vec<u8> = (0..1000).map(|i| f(at(&a, i), at(&b, i))).collect();
        assert_eq!(get_bytes(&mut c, "d"), want, "{op}");
    }
}

#[test]
fn bitop_with_an_empty_result_deletes_the_destination() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "d", "x"]);
    c.cmd(&["SET", "e", ""]);
    assert_eq!(c.cmd(&["BITOP", "OR", "d", "nokey", "e"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    assert_eq!(c.cmd(&["BITOP", "NOT", "d", "e"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
}

#[test]
fn bitop_bad_input() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "a", "x"]);
    assert_eq!(
        c.cmd(&["BITOP", "NOT", "d", "a", "a"]),
        Resp::err("ERR BITOP NOT must be called with a single source key.")
    );
    assert_eq!(
        c.cmd(&["BITOP", "NAND", "d", "a"]),
        Resp::err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["BITOP", "AND", "d"]),
        Resp::err("ERR wrong number of arguments for 'bitop' command")
    );
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
}

// ---------------------------------------------------------------------------
// BITFIELD
// ---------------------------------------------------------------------------

#[test]
fn bitfield_get_set_incrby_chain() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "k", "SET", "u8", "0", "255", "INCRBY", "u8", "0", "10", "GET", "u8", "0"
        ]),
        ints(&[0, 9, 9])
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "set", "i8", "8", "-100", "get", "i8", "8", "get", "u8", "8"]),
        ints(&[0, -100, 156])
    );
    // Redis' example: u5 = 23 at offset 7 is 00000001 01110000.
    assert_eq!(
        c.cmd(&["BITFIELD", "x", "SET", "u5", "7", "23"]),
        ints(&[0])
    );
    assert_eq!(get_bytes(&mut c, "x"), b"\x01\x70");
    assert_eq!(
        c.cmd(&["BITFIELD", "w", "SET", "i64", "3", "-2", "GET", "i64", "3", "GET", "u63", "4"]),
        ints(&[0, -2, i64::MAX - 1])
    );
    // GET past the end reads zeros; no operation at all is an empty array.
    assert_eq!(c.cmd(&["BITFIELD", "k", "GET", "u16", "100"]), ints(&[0]));
    assert_eq!(c.cmd(&["BITFIELD", "k"]), ints(&[]));
    assert_eq!(c.cmd(&["BITFIELD", "nokey", "GET", "i8", "0"]), ints(&[0]));
    assert_eq!(c.cmd(&["EXISTS", "nokey"]), int(0));
}

#[test]
fn bitfield_hash_offsets_count_in_fields() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "SET", "u8", "#1", "200", "GET", "u8", "8", "GET", "u4", "#2"]),
        ints(&[0, 200, 12])
    );
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(2));
    for bad in ["#", "#-1", "#x", "#536870912"] {
        assert_eq!(
            c.cmd(&["BITFIELD", "k", "GET", "u8", bad]),
            Resp::err(BAD_OFFSET),
            "{bad}"
        );
    }
    // SETBIT has no `#` form.
    assert_eq!(c.cmd(&["SETBIT", "k", "#1", "1"]), Resp::err(BAD_OFFSET));
    // #N * width wraps around in 64 bits as in Redis' C code:
    // (2^61 + 1) * 8 = 2^64 + 8, which is offset 8.
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "#2305843009213693953"]),
        ints(&[200])
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "#9223372036854775807"]),
        Resp::err(BAD_OFFSET)
    );
}

#[test]
fn bitfield_overflow_modes() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&[
        "BITFIELD", "k", "SET", "i8", "0", "127", "SET", "u8", "8", "250",
    ]);
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "INCRBY", "i8", "0", "1", "INCRBY", "u8", "8", "10"]),
        ints(&[-128, 4])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-1000", "INCRBY", "u8", "8",
            "1000", "OVERFLOW", "wrap", "INCRBY", "u8", "8", "1"
        ]),
        ints(&[-128, 255, 0])
    );
    // FAIL: nothing written, a null in that slot.
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "8", "-1", "INCRBY", "u8", "8",
            "3"
        ]),
        Resp::arr(vec![Resp::nil(), Resp::Int(3)])
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "i8", "0", "128", "GET", "i8", "0"]),
        Resp::arr(vec![Resp::nil(), Resp::Int(-128)])
    );
    // SET stores the wrapped or saturated value and returns the old one.
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "k", "SET", "u8", "8", "-1", "OVERFLOW", "SAT", "SET", "u8", "8", "-5",
            "GET", "u8", "8"
        ]),
        ints(&[3, 255, 255])
    );
    // Redis' quirk: the most negative i64 saturates an i8 to its maximum.
    assert_eq!(
        c.cmd(&[
            "BITFIELD",
            "q",
            "OVERFLOW",
            "SAT",
            "SET",
            "i8",
            "0",
            "-9223372036854775808",
            "GET",
            "i8",
            "0"
        ]),
        ints(&[0, 127])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD",
            "q",
            "SET",
            "i64",
            "0",
            "-1",
            "INCRBY",
            "i64",
            "0",
            "-9223372036854775808"
        ]),
        ints(&[0x7f00_0000_0000_0000, i64::MAX])
    );
}

#[test]
fn bitfield_fail_still_creates_the_key() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "100", "300"]),
        Resp::arr(vec![Resp::nil()])
    );
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(14));
}

#[test]
fn bitfield_bad_input() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    for t in ["u64", "i65", "i0", "u0", "I8", "x8", "u", "i-1", "i08"] {
        assert_eq!(
            c.cmd(&["BITFIELD", "k", "GET", t, "0"]),
            Resp::err(BAD_TYPE),
            "{t}"
        );
    }
    let syntax = Resp::err("ERR syntax error");
    assert_eq!(c.cmd(&["BITFIELD", "k", "GET", "u8"]), syntax);
    assert_eq!(c.cmd(&["BITFIELD", "k", "SET", "u8", "0"]), syntax);
    assert_eq!(c.cmd(&["BITFIELD", "k", "FOO", "u8", "0"]), syntax);
    assert_eq!(c.cmd(&["BITFIELD", "k", "OVERFLOW"]), syntax);
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "OVERFLOW", "BAD"]),
        Resp::err("ERR Invalid OVERFLOW type specified")
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "SET", "u8", "0", "x"]),
        Resp::err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "SET", "u8", "-1", "1"]),
        Resp::err(BAD_OFFSET)
    );
    // A late error leaves the earlier operations undone.
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u64", "0"]),
        Resp::err(BAD_TYPE)
    );
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
}

#[test]
fn bitfield_ro_only_reads() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["BITFIELD", "k", "SET", "u8", "0", "255"]);
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "k", "GET", "i8", "0", "GET", "u4", "4"]),
        ints(&[-1, 15])
    );
    assert_eq!(c.cmd(&["BITFIELD_RO", "k"]), ints(&[]));
    let ro_err = Resp::err("ERR BITFIELD_RO only supports the GET subcommand");
    assert_eq!(c.cmd(&["BITFIELD_RO", "k", "SET", "u8", "0", "1"]), ro_err);
    assert_eq!(
        c.cmd(&[
            "BITFIELD_RO",
            "k",
            "GET",
            "u8",
            "0",
            "INCRBY",
            "u8",
            "0",
            "1"
        ]),
        ro_err
    );
    // Parsing errors come first.
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "k", "SET", "u64", "0", "1"]),
        Resp::err(BAD_TYPE)
    );
    assert_eq!(c.cmd(&["GET", "k"]), Resp::Bulk(Some(vec![255])));
}

// ---------------------------------------------------------------------------
// Side effects: events and dirty
// ---------------------------------------------------------------------------

#[test]
fn bit_commands_publish_redis_events() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c, "KEA");
    for cmd in [
        &["SETBIT", "a", "3", "1"][..],
        &["SETBIT", "a", "3", "1"],   // unchanged: nothing
        &["SETBIT", "a", "100", "0"], // grows: an event
        &[
            "BITFIELD", "b", "SET", "u8", "0", "1", "SET", "u8", "8", "2",
        ],
        &["BITFIELD", "b", "SET", "u8", "0", "1"], // unchanged
        &[
            "BITFIELD", "c", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300",
        ],
        &["BITFIELD", "c", "GET", "u8", "0"],
        &["BITOP", "OR", "d", "a", "b"],
        &["BITOP", "AND", "d", "nokey"],
        &["BITOP", "AND", "d", "nokey"], // nothing to delete
    ] {
        c.cmd(cmd);
    }
    let want = both(
        0,
        &[
            ("setbit", "a"),
            ("setbit", "a"),
            ("setbit", "b"),
            ("set", "d"),
            ("del", "d"),
        ],
    );
    assert_eq!(received(&mut sub, &mut c), want);
    // With `n`, key creation shows as `new` before the command's event.
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEAn"]);
    c.cmd(&["SETBIT", "n1", "0", "1"]);
    c.cmd(&["BITOP", "NOT", "n2", "n1"]);
    let want = both(
        0,
        &[
            ("new", "n1"),
            ("setbit", "n1"),
            ("new", "n2"),
            ("set", "n2"),
        ],
    );
    assert_eq!(received(&mut sub, &mut c), want);
}

#[test]
fn only_real_changes_count_as_dirty() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let base = changes(&mut c);
    c.cmd(&["SETBIT", "k", "0", "1"]);
    assert_eq!(changes(&mut c), base + 1);
    c.cmd(&["SETBIT", "k", "0", "1"]);
    assert_eq!(changes(&mut c), base + 1);
    // Each changing write of a BITFIELD counts.
    c.cmd(&[
        "BITFIELD", "k", "SET", "u8", "8", "1", "SET", "u8", "16", "2", "GET", "u8", "0",
    ]);
    assert_eq!(changes(&mut c), base + 3);
    c.cmd(&["BITFIELD", "k", "SET", "u8", "8", "1"]);
    assert_eq!(changes(&mut c), base + 3);
    c.cmd(&["BITOP", "NOT", "d", "k"]);
    assert_eq!(changes(&mut c), base + 4);
}
