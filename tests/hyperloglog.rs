//! HyperLogLog commands over the wire: PFADD, PFCOUNT, PFMERGE, PFDEBUG and
//! PFSELFTEST (hyperloglog.c, tests/unit/hyperloglog.tcl).
//!
//! Compatibility is the point, so most checks compare exact bytes: the
//! strings GET returns were recorded from redis-server 7.0.15 (Debian's,
//! which carries the CVE-2025-32023 fix) for the same commands, either in
//! full (short sparse sketches) or as an FNV-1a fingerprint (dense ones).
//! Corrupted sketches written with SET get Redis' replies. The last test
//! replays a seeded random stream on ferrodis and the real redis-server side
//! by side when the latter is installed.

#[macro_use]
mod common;

use common::events::{both, received, subscriber};
use common::{Resp, Server};

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

fn err(s: &str) -> Resp {
    Resp::err(s)
}

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

/// FNV-1a 64, the fingerprint the recorded dense strings are kept as.
fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn get(c: &mut common::Client, key: &str) -> Vec<u8> {
    match c.cmd(&["GET", key]) {
        Resp::Bulk(Some(b)) => b,
        other => panic!("GET {key}: {other:?}"),
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A sparse header with a stale cache, followed by `body`.
fn sparse(body: &[u8]) -> Vec<u8> {
    let mut v = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
    v.extend_from_slice(body);
    v
}

/// PFADD 1..=20 on Redis 7.0.15, before any PFCOUNT.
const S20: &str = "48594c4c01000000000000000000008041ee84441180441080443e8040e28040f5\
                   8842108044d48045719040db8043558043518c4110804524804092804c3f8042d7\
                   8042128c40b88015844322";

// ---------------------------------------------------------------------------
// The representation, byte for byte
// ---------------------------------------------------------------------------

#[test]
fn pfadd_without_elements_creates_an_empty_sparse_sketch() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["PFADD", "h"]), int(1));
    assert_eq!(c.cmd(&["PFADD", "h"]), int(0));
    assert_bytes!(
        get(&mut c, "h"),
        b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff"
    );
    assert_eq!(c.cmd(&["TYPE", "h"]), Resp::simple("string"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "h"]), Resp::bulk("raw"));
    assert_eq!(c.cmd(&["PFCOUNT", "h"]), int(0));
    assert_eq!(c.cmd(&["PFCOUNT", "missing"]), int(0));
    assert_eq!(c.cmd(&["PFDEBUG", "DECODE", "h"]), Resp::bulk("Z:16384"));
}

#[test]
fn small_sketch_bytes_and_cached_cardinality_match_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["PFADD", "s", "a", "b", "c"]), int(1));
    assert_bytes!(
        get(&mut c, "s"),
        sparse(b"\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a")
    );
    assert_eq!(
        c.cmd(&["PFDEBUG", "DECODE", "s"]),
        Resp::bulk("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603")
    );
    // PFCOUNT stores the count in the header, and the stale bit goes.
    assert_eq!(c.cmd(&["PFCOUNT", "s"]), int(3));
    assert_eq!(
        c.cmd(&["GETRANGE", "s", "8", "15"]),
        Resp::bulk("\x03\0\0\0\0\0\0\0")
    );
    // Nothing new: the cache stays valid; something new: stale again.
    assert_eq!(c.cmd(&["PFADD", "s", "a", "b", "c"]), int(0));
    assert_eq!(c.cmd(&["GETRANGE", "s", "15", "15"]), Resp::bulk("\0"));
    assert_eq!(c.cmd(&["PFADD", "s", "1", "2", "3"]), int(1));
    assert_bytes!(
        c.cmd_bytes(&[b"GETRANGE", b"s", b"15", b"15"]).encode(),
        b"$1\r\n\x80\r\n"
    );
}

#[test]
fn a_hundred_thousand_numbers_count_and_encode_as_in_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut checkpoints = vec![
        // (n, length, fnv of GET, PFCOUNT, fnv of GET after PFCOUNT)
        (100, 287, 0xac12d593e674f307u64, 100, 0x3770f1dc718158cbu64),
        (1000, 1922, 0xabdeac6c99b1409d, 1001, 0x0a0dd3e84971cee9),
        (10000, 12304, 0x3a3f10e0e48d0f9b, 9988, 0x9078d254492587b6),
        (100000, 12304, 0x1dd51ecdcaaba319, 99562, 0x736701e306df8596),
    ]
    .into_iter();
    let mut next = checkpoints.next();
    let mut batch: Vec<String> = Vec::new();
    for i in 1..=100_000u32 {
        batch.push(i.to_string());
        let Some((n, len, fp, card, fp_after)) = next else {
            break;
        };
        if batch.len() == 1000 || i == n {
            // Each checkpoint gets its own key, fed the same sequence.
            let mut args = vec!["PFADD", "h"];
            args.extend(batch.iter().map(|s| s.as_str()));
            c.cmd(&args);
            batch.clear();
        }
        if i == n {
            c.cmd(&["COPY", "h", "snap", "REPLACE"]);
            let v = get(&mut c, "snap");
            assert_eq!((v.len(), fnv(&v)), (len, fp), "bytes after 1..{n}");
            assert_eq!(c.cmd(&["PFCOUNT", "snap"]), int(card), "count of 1..{n}");
            assert_eq!(
                fnv(&get(&mut c, "snap")),
                fp_after,
                "cached count of 1..{n}"
            );
            let enc = if len == 12304 { "dense" } else { "sparse" };
            assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", "h"]), Resp::simple(enc));
            next = checkpoints.next();
        }
    }
}

#[test]
fn sketches_written_by_redis_work_here() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let s20 = unhex(S20);
    assert_eq!(c.cmd_bytes(&[b"SET", b"h", &s20]), Resp::ok());
    assert_eq!(c.cmd(&["PFCOUNT", "h"]), int(20));
    assert_eq!(fnv(&get(&mut c, "h")), 0x41776204985f5865);
    assert_eq!(c.cmd(&["PFDEBUG", "TODENSE", "h"]), int(1));
    assert_eq!(c.cmd(&["PFDEBUG", "TODENSE", "h"]), int(0));
    assert_eq!(fnv(&get(&mut c, "h")), 0x938d790196de25ee);
    assert_eq!(c.cmd(&["PFCOUNT", "h"]), int(20));
    assert_eq!(c.cmd(&["PFADD", "h", "x", "y", "z"]), int(1));
    assert_eq!(fnv(&get(&mut c, "h")), 0xc9ac85d3542ba07b);
    assert_eq!(c.cmd(&["PFCOUNT", "h"]), int(23));
    assert_eq!(fnv(&get(&mut c, "h")), 0x55b5c2d8e11116f8);
    assert_eq!(
        c.cmd(&["PFDEBUG", "DECODE", "h"]),
        err("ERR HLL encoding is not sparse")
    );
    // The same sketch built here has the same bytes.
    let mut args = vec!["PFADD".to_string(), "mine".to_string()];
    args.extend((1..=20).map(|i| i.to_string()));
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    assert_eq!(c.cmd(&args), int(1));
    assert_bytes!(get(&mut c, "mine"), s20);
}

#[test]
fn pfmerge_builds_the_union_sparse_or_dense_like_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["PFADD", "m1", "a", "b", "c"]);
    c.cmd(&["PFADD", "m2", "c", "d", "e", "f"]);
    assert_eq!(c.cmd(&["PFMERGE", "dst", "m1", "m2", "nokey"]), Resp::ok());
    assert_bytes!(
        get(&mut c, "dst"),
        unhex("48594c4c010000000000000000000080466d80560c8044768050b184498c80426d80425a")
    );
    assert_eq!(
        c.cmd(&["PFDEBUG", "ENCODING", "dst"]),
        Resp::simple("sparse")
    );
    assert_eq!(c.cmd(&["PFCOUNT", "dst"]), int(6));
    assert_eq!(c.cmd(&["PFCOUNT", "m1", "m2", "nokey"]), int(6));
    // A dense input makes the destination dense.
    c.cmd_bytes(&[b"SET", b"s20", &unhex(S20)]);
    c.cmd(&["PFDEBUG", "TODENSE", "s20"]);
    c.cmd(&["PFADD", "s20", "x", "y", "z"]);
    assert_eq!(c.cmd(&["PFMERGE", "dst2", "m1", "s20"]), Resp::ok());
    assert_eq!(
        c.cmd(&["PFDEBUG", "ENCODING", "dst2"]),
        Resp::simple("dense")
    );
    assert_eq!(fnv(&get(&mut c, "dst2")), 0x73dee47910ef4a87);
    assert_eq!(c.cmd(&["PFCOUNT", "dst2"]), int(26));
    assert_eq!(c.cmd(&["PFCOUNT", "m1", "s20"]), int(26));
    // No sources: an empty sketch.
    assert_eq!(c.cmd(&["PFMERGE", "dst3"]), Resp::ok());
    assert_bytes!(get(&mut c, "dst3"), sparse(b"\x7f\xff"));
    // PFCOUNT of several keys leaves them as they were.
    let before = get(&mut c, "m1");
    c.cmd(&["PFCOUNT", "m1", "m2"]);
    assert_bytes!(get(&mut c, "m1"), before);
}

#[test]
fn sparse_max_bytes_decides_promotion() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hll-sparse-max-bytes", "18"]),
        Resp::ok()
    );
    assert_eq!(c.cmd(&["PFADD", "h", "a"]), int(1));
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", "h"]), Resp::simple("dense"));
    assert_eq!(c.cmd(&["STRLEN", "h"]), int(12304));
    assert_eq!(c.cmd(&["PFCOUNT", "h"]), int(1));
    c.cmd(&["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
    assert_eq!(c.cmd(&["PFADD", "s", "a"]), int(1));
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", "s"]), Resp::simple("sparse"));
    // GETREG turns the sketch dense and lists every register.
    let regs = c.cmd(&["PFDEBUG", "GETREG", "s"]).items();
    assert_eq!(regs.len(), 16384);
    assert_eq!(regs.iter().filter(|r| **r != int(0)).count(), 1);
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", "s"]), Resp::simple("dense"));
}

// ---------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------

#[test]
fn strings_that_are_not_sketches_get_wrongtype() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut dense_short = b"HYLL\0\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
    dense_short.resize(16 + 12287, 0);
    let mut dense_long = dense_short.clone();
    dense_long.resize(16 + 12289, 0);
    let values: Vec<Vec<u8>> = vec![
        b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff".to_vec(), // encoding 2
        b"HYLX\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff".to_vec(), // magic
        dense_short,
        dense_long,
        b"12345".to_vec(), // an int string
        b"HYLL".to_vec(),
        b"".to_vec(),
    ];
    for v in values {
        c.cmd_bytes(&[b"SET", b"k", &v]);
        for cmd in [
            &["PFCOUNT", "k"][..],
            &["PFCOUNT", "k", "nokey"],
            &["PFADD", "k", "a"],
            &["PFADD", "k"],
            &["PFMERGE", "d", "k"],
            &["PFMERGE", "k"],
            &["PFDEBUG", "ENCODING", "k"],
            &["PFDEBUG", "TODENSE", "k"],
        ] {
            assert_eq!(
                c.cmd(cmd),
                err(NOT_HLL),
                "{cmd:?} on {:?}",
                v.escape_ascii()
            );
        }
        assert_bytes!(get(&mut c, "k"), v);
        assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    }
    c.cmd(&["RPUSH", "l", "x"]);
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    assert_eq!(c.cmd(&["PFADD", "l", "a"]), err(wrongtype));
    assert_eq!(c.cmd(&["PFCOUNT", "l"]), err(wrongtype));
    assert_eq!(c.cmd(&["PFMERGE", "l"]), err(wrongtype));
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", "l"]), err(wrongtype));
    // Both texts count as WRONGTYPE errors: 7 strings x 8 commands + 4.
    let info = c.cmd(&["INFO", "errorstats"]).text();
    assert!(info.contains("errorstat_WRONGTYPE:count=60"), "{info}");
}

#[test]
fn corrupted_sparse_sketches_get_invalidobj_and_never_crash() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    // (body, PFADD k a, PFDEBUG DECODE k), recorded from Redis; every one
    // of them is corrupt for PFCOUNT, PFMERGE, TODENSE and GETREG.
    let cases: [(&[u8], Resp, &str); 5] = [
        (b"\x7f", int(1), "Z:16129"),                // XZERO cut short
        (b"\x7f\xff\x80", int(1), "Z:16384 v:1,1"),  // a register too many
        (b"\x7f\xfe\xff", int(1), "Z:16383 v:32,4"), // VAL run past the end
        (b"\x7f\xfe", int(1), "Z:16383"),            // a register too few
        (b"", err(CORRUPT), ""),                     // no opcodes at all
    ];
    for (body, pfadd, decoded) in cases {
        let v = sparse(body);
        let set = |c: &mut common::Client| {
            c.cmd(&["DEL", "k", "d"]);
            c.cmd_bytes(&[b"SET", b"k", &v]);
        };
        for cmd in [
            &["PFCOUNT", "k"][..],
            &["PFCOUNT", "k", "nokey"],
            &["PFMERGE", "d", "k"],
            &["PFMERGE", "k"],
            &["PFDEBUG", "TODENSE", "k"],
            &["PFDEBUG", "GETREG", "k"],
        ] {
            set(&mut c);
            assert_eq!(c.cmd(cmd), err(CORRUPT), "{cmd:?} on {body:?}");
            assert_bytes!(get(&mut c, "k"), v);
        }
        set(&mut c);
        assert_eq!(c.cmd(&["PFADD", "k", "a"]), pfadd, "{body:?}");
        set(&mut c);
        assert_eq!(c.cmd(&["PFADD", "k"]), int(0));
        assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", "k"]), Resp::simple("sparse"));
        assert_eq!(c.cmd(&["PFDEBUG", "DECODE", "k"]), Resp::bulk(decoded));
    }
    // Crafted dense registers all at 63 overflow the estimator: Redis
    // replies LLONG_MIN (and keeps the cache marked stale).
    let mut d = b"HYLL\0\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
    d.resize(12304, 0xff);
    c.cmd_bytes(&[b"SET", b"d63", &d]);
    assert_eq!(c.cmd(&["PFCOUNT", "d63"]), int(i64::MIN));
    assert_eq!(c.cmd(&["PFCOUNT", "d63", "nokey"]), int(i64::MIN));
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn random_corruption_is_survived() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..200 {
        c.cmd(&["DEL", "h"]);
        let n = rnd() % 400;
        let items: Vec<String> = (0..n).map(|_| rnd().to_string()).collect();
        let mut args = vec!["PFADD", "h"];
        args.extend(items.iter().map(|s| s.as_str()));
        c.cmd(&args);
        for _ in 0..=(rnd() % 4) {
            let len = get(&mut c, "h").len() as u64;
            let pos = (rnd() % (len + 1)).to_string();
            let byte = [rnd() as u8];
            c.cmd_bytes(&[b"SETRANGE", b"h", pos.as_bytes(), &byte]);
        }
        for cmd in [
            &["PFCOUNT", "h"][..],
            &["PFADD", "h", "x", "y"],
            &["PFCOUNT", "h", "nokey"],
            &["PFMERGE", "d", "h"],
            &["PFDEBUG", "DECODE", "h"],
            &["PFDEBUG", "GETREG", "h"],
        ] {
            let r = c.cmd(cmd);
            if let Resp::Error(e) = &r {
                assert!(
                    e == NOT_HLL || e == CORRUPT || e == "ERR HLL encoding is not sparse",
                    "round {round}: {cmd:?} -> {e}"
                );
            }
        }
    }
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn pfdebug_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["PFADD", "h", "a"]);
    let missing = err("ERR The specified key does not exist");
    assert_eq!(c.cmd(&["PFDEBUG", "GETREG", "nokey"]), missing);
    // The key is checked before the subcommand name.
    assert_eq!(c.cmd(&["PFDEBUG", "bogus", "nokey"]), missing);
    assert_eq!(
        c.cmd(&["PFDEBUG", "bogus", "h"]),
        err("ERR Unknown PFDEBUG subcommand 'bogus'")
    );
    assert_eq!(
        c.cmd(&["PFDEBUG", "GETREG"]),
        err("ERR wrong number of arguments for 'pfdebug' command")
    );
    assert_eq!(
        c.cmd(&["PFDEBUG", "GETREG", "h", "x"]),
        err("ERR wrong number of arguments for 'pfdebug' command")
    );
    assert_eq!(
        c.cmd(&["PFADD"]),
        err("ERR wrong number of arguments for 'pfadd' command")
    );
    assert_eq!(
        c.cmd(&["PFCOUNT"]),
        err("ERR wrong number of arguments for 'pfcount' command")
    );
}

// ---------------------------------------------------------------------------
// Side effects
// ---------------------------------------------------------------------------

#[test]
fn events_are_pfadd_for_adds_and_merges_only() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut sub = subscriber(&srv, &mut c, "KEAn");
    c.cmd(&["PFADD", "h", "a"]); // new + pfadd
    c.cmd(&["PFADD", "h", "a"]); // nothing changed: no event
    c.cmd(&["PFCOUNT", "h"]); // cache write: no event
    c.cmd(&["PFMERGE", "m", "h"]); // new + pfadd
    c.cmd(&["PFMERGE", "m"]); // always pfadd
    c.cmd(&["PFDEBUG", "TODENSE", "m"]); // no event
    assert_eq!(
        received(&mut sub, &mut c),
        both(
            0,
            &[
                ("new", "h"),
                ("pfadd", "h"),
                ("new", "m"),
                ("pfadd", "m"),
                ("pfadd", "m"),
            ]
        )
    );
}

#[test]
fn pfcount_cache_write_touches_watched_keys() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut other = srv.client();
    c.cmd(&["PFADD", "h", "a", "b"]);
    // A stale cache is written back: the key counts as modified.
    assert_eq!(c.cmd(&["WATCH", "h"]), Resp::ok());
    assert_eq!(other.cmd(&["PFCOUNT", "h"]), int(2));
    c.cmd(&["MULTI"]);
    c.cmd(&["PING"]);
    assert_eq!(c.cmd(&["EXEC"]), Resp::Array(None));
    // A valid cache is only read.
    assert_eq!(c.cmd(&["WATCH", "h"]), Resp::ok());
    assert_eq!(other.cmd(&["PFCOUNT", "h"]), int(2));
    c.cmd(&["MULTI"]);
    c.cmd(&["PING"]);
    assert_eq!(c.cmd(&["EXEC"]), Resp::arr(vec![Resp::simple("PONG")]));
}

#[test]
fn pfselftest_passes() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["PFSELFTEST"]), Resp::ok());
}

// ---------------------------------------------------------------------------
// Side by side with the real Redis
// ---------------------------------------------------------------------------

const REDIS_BIN: &str = "/usr/bin/redis-server";

/// A seeded random mix of PFADD/PFCOUNT/PFMERGE/PFDEBUG, corruption with
/// SETRANGE and changes of hll-sparse-max-bytes, sent to ferrodis and to
/// redis-server: every reply and every key's bytes must agree. Skipped
/// when redis-server is not installed.
#[test]
fn same_replies_and_bytes_as_redis_under_a_random_stream() {
    if !std::path::Path::new(REDIS_BIN).exists() {
        eprintln!("skipped: {REDIS_BIN} not installed");
        return;
    }
    let ours = Server::start(&[]);
    let theirs = Server::start_bin(std::path::Path::new(REDIS_BIN), &["--save", ""]);
    let mut a = ours.client();
    let mut b = theirs.client();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let keys = ["h1", "h2", "h3"];
    for step in 0..800 {
        let k = keys[rnd(3) as usize];
        let cmd: Vec<Vec<u8>> = match rnd(100) {
            0..=34 => {
                let mut cmd = vec![b"PFADD".to_vec(), k.into()];
                let n = [0, 1, 3, 20, 200][rnd(5) as usize];
                cmd.extend((0..n).map(|_| rnd(1 << 40).to_string().into_bytes()));
                cmd
            }
            35..=49 => vec![b"PFCOUNT".to_vec(), k.into()],
            50..=57 => {
                let mut cmd = vec![b"PFCOUNT".to_vec()];
                cmd.extend(keys.iter().map(|k| k.as_bytes().to_vec()));
                cmd
            }
            58..=65 => {
                let mut cmd = vec![b"PFMERGE".to_vec(), k.into()];
                let n = rnd(4) as usize;
                cmd.extend(keys.iter().take(n).map(|k| k.as_bytes().to_vec()));
                cmd
            }
            66..=79 => {
                // Overwrite a byte somewhere (never past the end, and never
                // leaving a one-byte XZERO last: see types/hll.rs).
                let len = match a.cmd(&["STRLEN", k]) {
                    Resp::Int(n) if n > 0 => n as u64,
                    _ => continue,
                };
                let pos = rnd(len);
                let mut byte = rnd(256) as u8;
                if pos == len - 1 && byte & 0xc0 == 0x40 {
                    byte |= 0x80;
                }
                vec![
                    b"SETRANGE".to_vec(),
                    k.into(),
                    pos.to_string().into_bytes(),
                    vec![byte],
                ]
            }
            80..=87 => {
                let sub = ["GETREG", "DECODE", "ENCODING", "TODENSE"][rnd(4) as usize];
                vec![b"PFDEBUG".to_vec(), sub.into(), k.into()]
            }
            88..=91 => {
                let v = ["0", "18", "20", "100", "3000", "20000"][rnd(6) as usize];
                for c in [&mut a, &mut b] {
                    c.cmd(&["CONFIG", "SET", "hll-sparse-max-bytes", v]);
                }
                continue;
            }
            _ => vec![b"DEL".to_vec(), k.into()],
        };
        let args: Vec<&[u8]> = cmd.iter().map(|v| v.as_slice()).collect();
        let ra = a.cmd_bytes(&args);
        let rb = b.cmd_bytes(&args);
        assert_eq!(
            ra,
            rb,
            "step {step}: {:?}",
            String::from_utf8_lossy(&cmd.concat())
        );
        for k in keys {
            let va = a.cmd(&["GET", k]);
            let vb = b.cmd(&["GET", k]);
            assert!(
                va == vb,
                "step {step}: value of {k} differs after {:?}",
                cmd[0]
            );
            // A cut-short XZERO last is where the two may part (Redis reads
            // past its string's end): start that key afresh.
            if let Resp::Bulk(Some(v)) = &va {
                if ends_in_short_xzero(v) {
                    a.cmd(&["DEL", k]);
                    b.cmd(&["DEL", k]);
                }
            }
        }
    }
}

/// Whether a sparse sketch's last opcode is an XZERO missing its second byte.
fn ends_in_short_xzero(v: &[u8]) -> bool {
    if v.len() <= 16 || v[4] != 1 {
        return false;
    }
    let mut p = 16;
    while p < v.len() {
        if v[p] & 0xc0 == 0x40 {
            if p + 1 == v.len() {
                return true;
            }
            p += 2;
        } else {
            p += 1;
        }
    }
    false
}

/// What reaches the AOF (and replicas): PFADD and PFMERGE as sent, PFCOUNT
/// only when it wrote the cache, PFDEBUG only when it changed the encoding;
/// a repeated PFCOUNT and PFCOUNT of several keys change nothing. Checked
/// against redis-server's AOF for the same commands.
#[test]
fn propagation_follows_redis() {
    let srv = Server::start(&["--appendonly", "yes"]);
    let mut c = srv.client();
    for cmd in [
        &["PFADD", "pk", "a", "b"][..],
        &["PFCOUNT", "pk"],
        &["PFCOUNT", "pk"],
        &["PFADD", "pk", "a"],
        &["PFADD", "pk2"],
        &["PFDEBUG", "TODENSE", "pk"],
        &["PFDEBUG", "TODENSE", "pk"],
        &["PFDEBUG", "GETREG", "pk2"],
        &["PFCOUNT", "pk", "pk2"],
        &["PFMERGE", "pk3", "pk", "pk2"],
    ] {
        c.cmd(cmd);
    }
    let dir = srv.dir().join("appendonlydir");
    let read_incr = || -> String {
        let mut text = String::new();
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            if e.file_name().to_string_lossy().ends_with(".incr.aof") {
                text += &String::from_utf8_lossy(&std::fs::read(e.path()).unwrap());
            }
        }
        text
    };
    let want = "SELECT 0 PFADD pk a b PFCOUNT pk PFADD pk2 PFDEBUG TODENSE pk \
                PFDEBUG GETREG pk2 PFMERGE pk3 pk pk2";
    let words = |t: &str| -> String {
        t.split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        common::wait_for(std::time::Duration::from_secs(5), || words(&read_incr())
            == want),
        "AOF holds: {}",
        words(&read_incr())
    );
}
