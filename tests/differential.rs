//! Differential test: ferrodis and the real Redis 7.0.15 (`/usr/bin/redis-server`)
//! receive the same seeded pseudo-random command stream and every reply is
//! compared. Redis is the specification, so any difference is a ferrodis bug
//! (or a non-determinism this file failed to normalise).
//!
//! The stream covers strings, hashes, sets, sorted sets, lists (see `FAMILIES`),
//! the generic keyspace commands and SORT, with a deliberately small key space
//! (8 keys per type, plus names that collide across types) and small member
//! spaces so that commands interact, plus now-and-then bulk inserts that cross
//! the encoding thresholds. A good share of the arguments is bad input: wrong
//! types, truncated or extended argument lists, non-numbers, huge and negative
//! counts, NaN/inf scores, malformed ranges, empty strings and binary bytes.
//!
//! What Redis itself leaves undefined is normalised, not skipped:
//! - replies whose order is hash-table order (SMEMBERS, HGETALL, ... of a
//!   hashtable-encoded key, SINTER/SUNION/SDIFF) are compared sorted, but
//!   exactly when Redis reports a compact encoding (listpack, intset);
//! - the SCAN family is iterated to the end on each server and the collected
//!   elements compared as sets (cursors are implementation details);
//! - random commands (SRANDMEMBER, SPOP, HRANDFIELD, ZRANDMEMBER, RANDOMKEY)
//!   are compared by shape and by membership in Redis' data; after SPOP the
//!   ferrodis key is patched to hold what Redis kept;
//! - TTLs are compared with a tolerance (the two servers see the command at
//!   slightly different times). Relative expiries are always >= 1000 s, so no
//!   key expires during a run; GT/LT are only used with absolute times far
//!   from "now", so their outcome never depends on timing.
//!
//! Every 500 steps, and after any mismatch, the whole keyspace is compared
//! (type, encoding, TTL, content); a key that differs is reported and deleted on
//! both sides so that one bug does not cascade into thousands of reports.
//! All mismatches of a run are listed before the test fails.
//!
//! Run: `cargo test --test differential -- --nocapture`
//! Environment:
//! - FERRODIS_DIFF_SEED=<u64>: the stream's seed (default: fixed, so CI is
//!   reproducible); FERRODIS_DIFF_OPS=<n>: steps per protocol (default 20000);
//! - FERRODIS_DIFF_CHECK_EVERY=<n>: compare the keyspace every n steps
//!   (default 500; 1 pins a silent divergence to its step);
//! - FERRODIS_DIFF_TRACE=<step>: print both keyspaces just before that step;
//! - FERRODIS_DIFF_STATS=1: per command, how many of Redis' replies were errors;
//! - FERRODIS_TEST_SERVER=/usr/bin/redis-server: Redis against itself, which
//!   must report nothing (the check that this file has no false positives).
//!
//! The test is skipped when /usr/bin/redis-server is missing. A step is one
//! generated command (plus, for some, the checks it needs); mismatches are
//! reported with the step, so `FERRODIS_DIFF_OPS=<step+1>` replays up to it.
//! When ferrodis stops answering, the run ends with a FATAL entry that
//! quotes the command and the start of the server's stderr.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{encode_cmd, Client, Resp, Server, TempDir};

/// The reference server.
const REDIS_BIN: &str = "/usr/bin/redis-server";

/// Steps per protocol run unless FERRODIS_DIFF_OPS says otherwise.
const DEFAULT_OPS: usize = 20_000;

/// Seed unless FERRODIS_DIFF_SEED says otherwise (fixed, so CI is reproducible).
const DEFAULT_SEED: u64 = 0x5eed_f00d_2026;

/// Which command families the stream draws from. Any line can be commented
/// out to focus a run; without `List`, SORT only sorts sets and sorted sets,
/// STORE goes to `sorted:*` keys and the keyspace check skips list contents.
const FAMILIES: &[Family] = &[
    Family::Str,
    Family::Hash,
    Family::Set,
    Family::Zset,
    Family::List,
    Family::Generic,
    Family::Sort,
];

/// How many commands go into one pipelined batch (both servers get the batch,
/// then both replies are read and compared one by one).
const BATCH: usize = 64;

/// A full keyspace comparison every this many steps, unless
/// FERRODIS_DIFF_CHECK_EVERY says otherwise (1 pins a divergence to its step).
const STATE_CHECK_EVERY: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Str,
    Hash,
    Set,
    Zset,
    List,
    Generic,
    Sort,
}

impl Family {
    /// Key name prefix of a data family (Generic and Sort own no keys).
    fn prefix(self) -> &'static str {
        match self {
            Family::Str => "str:",
            Family::Hash => "hash:",
            Family::Set => "set:",
            Family::Zset => "zset:",
            Family::List => "list:",
            Family::Generic | Family::Sort => "any:",
        }
    }

    fn is_data(self) -> bool {
        !matches!(self, Family::Generic | Family::Sort)
    }
}

fn lists_enabled() -> bool {
    FAMILIES.contains(&Family::List)
}

// ---------------------------------------------------------------------------
// Random numbers (no crates in the tests: splitmix64 is plenty)
// ---------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// Uniform in lo..=hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    fn pick<'a, T: ?Sized>(&mut self, xs: &'a [&'a T]) -> &'a T {
        xs[self.below(xs.len())]
    }
}

// ---------------------------------------------------------------------------
// The command stream
// ---------------------------------------------------------------------------

type Args = Vec<Vec<u8>>;

fn b(x: impl AsRef<[u8]>) -> Vec<u8> {
    x.as_ref().to_vec()
}

macro_rules! args {
    ($($x:expr),* $(,)?) => { vec![$(b($x)),*] };
}

/// How the two replies of a plain command are compared.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Exact,
    /// Sorted before comparing; `pairs` keeps RESP2 field/value pairs together.
    Unordered {
        pairs: bool,
    },
    /// Exact when Redis' `OBJECT ENCODING` (the next command of the batch) is
    /// compact, unordered otherwise.
    OrderIfCompact {
        pairs: bool,
    },
    /// Integers within this distance of each other are equal when both are
    /// positive (TTLs).
    Approx(i64),
}

struct Op {
    args: Args,
    mode: Mode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RandKind {
    Set,
    Hash,
    Zset,
    Key,
    Spop,
}

/// Commands that need more than one round trip to check.
enum Special {
    /// DBSIZE counts keys whose (past) expiry was not acted on yet, which is
    /// timing: a full SCAN on both servers first deletes them.
    DbSize,
    /// A SCAN-family command whose cursor is `args[cursor_at]`.
    Scan {
        args: Args,
        cursor_at: usize,
        pairs: bool,
    },
    Random {
        args: Args,
        key: Vec<u8>,
        kind: RandKind,
    },
    /// A lexicographic zset range. Redis only defines it when all scores are
    /// equal: with mixed scores its skiplist search path depends on the random
    /// node levels, so the command is skipped for such a skiplist.
    Lex { args: Args, key: Vec<u8> },
    /// A SORT; `store` is the STORE key. With `shaky` its order may
    /// legitimately differ (BY a constant, or ALPHA with BY, where ties keep
    /// the input order).
    Sort {
        args: Args,
        store: Option<Vec<u8>>,
        limit: bool,
        shaky: bool,
    },
}

/// Whether a zset command selects by lexicographic range.
fn is_lex(args: &Args) -> bool {
    args.iter().any(|a| a.eq_ignore_ascii_case(b"BYLEX"))
        || args.first().is_some_and(|n| {
            let n = n.to_ascii_uppercase();
            n.ends_with(b"BYLEX") || n == b"ZLEXCOUNT"
        })
}

enum Step {
    Plain(Vec<Op>),
    Special(Special),
}

fn plain(args: Args) -> Step {
    Step::Plain(vec![Op {
        args,
        mode: Mode::Exact,
    }])
}

fn plain_mode(args: Args, mode: Mode) -> Step {
    Step::Plain(vec![Op { args, mode }])
}

/// A command whose order is only defined for compact encodings, followed by
/// the OBJECT ENCODING that tells which case applies.
fn order_if_compact(args: Args, key: &[u8], pairs: bool) -> Step {
    Step::Plain(vec![
        Op {
            args,
            mode: Mode::OrderIfCompact { pairs },
        },
        Op {
            args: args!["OBJECT", "ENCODING", key],
            mode: Mode::Exact,
        },
    ])
}

const SPECIAL_MEMBERS: &[&[u8]] = &[
    b"",
    b"\xff\r\n\x01",
    b"1.5",
    b"007",
    b"-0",
    b" 1",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"18446744073709551616",
    b"a*b",
    b"-",
    b"+",
    b"[m1",
    b"(m1",
];

const SPECIAL_VALUES: &[&[u8]] = &[
    b"",
    b"a\x00b\xff",
    b"3.14",
    b"1e3",
    b"0x10",
    b" 1",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"inf",
    b"nan",
    b"-0",
    b"10.50",
    b"5.0e3",
    b"+7",
    b"012",
];

const BAD_NUMS: &[&str] = &[
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "abc",
    "1.5",
    "",
    "-0",
    "+1",
    " 2",
    "0x1",
];

const FLOATS: &[&str] = &[
    "1.5",
    "-2.25",
    "0.1",
    "1e3",
    "3.0000000000000001",
    "2.5",
    "-0.5",
    "1e-3",
    "123456789012345678",
    "10.50",
];

const BAD_SCORES: &[&str] = &[
    "inf", "-inf", "+inf", "nan", "NaN", "abc", "", "1e309", "1e-400", "-0", "0x10", " 1", "(1",
    "1 ",
];

/// Relative expiry in seconds: big enough never to fire during a run, or invalid.
const EXP_SECS: &[&str] = &[
    "1000",
    "5000",
    "100000",
    "0",
    "-5",
    "abc",
    "9223372036854775807",
    "9223372036854775",
    "1.5",
    "",
];
const EXP_MS: &[&str] = &[
    "1000000",
    "5000000",
    "0",
    "-1",
    "abc",
    "9223372036854775807",
];
/// Absolute times far from now (past, or the year 2100), so GT/LT never race.
const EXP_AT: &[&str] = &[
    "4102444800",
    "4102444801",
    "2000000000",
    "1",
    "0",
    "-1",
    "abc",
];
const PEXP_AT: &[&str] = &["4102444800000", "2000000000000", "1", "0", "-1", "abc"];

struct Gen {
    rng: Rng,
    data: Vec<Family>,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            rng: Rng(seed),
            data: FAMILIES.iter().copied().filter(|f| f.is_data()).collect(),
        }
    }

    fn data_family(&mut self) -> Family {
        self.data[self.rng.below(self.data.len())]
    }

    /// Mostly a key of `fam`, sometimes another type's key, a key nobody
    /// writes on purpose, or an odd name.
    fn key(&mut self, fam: Family) -> Vec<u8> {
        let r = self.rng.below(100);
        if r < 82 {
            format!("{}{}", fam.prefix(), self.rng.below(8)).into_bytes()
        } else if r < 92 {
            let other = self.data_family();
            format!("{}{}", other.prefix(), self.rng.below(8)).into_bytes()
        } else if r < 97 {
            format!("missing:{}", self.rng.below(3)).into_bytes()
        } else {
            b(self.rng.pick::<[u8]>(&[b"", b"k\x00\xff", b"str:0 "]))
        }
    }

    /// A key of exactly `fam` (RENAME/COPY/STORE targets stay in their family,
    /// so that family prefixes keep meaning "usually this type").
    fn own_key(&mut self, fam: Family) -> Vec<u8> {
        format!("{}{}", fam.prefix(), self.rng.below(8)).into_bytes()
    }

    /// `min + below(spread)` keys.
    fn keys(&mut self, fam: Family, min: usize, spread: usize) -> Vec<Vec<u8>> {
        let n = min + self.rng.below(spread);
        (0..n).map(|_| self.key(fam)).collect()
    }

    fn member(&mut self) -> Vec<u8> {
        match self.rng.below(100) {
            0..=57 => format!("m{}", self.rng.below(12)).into_bytes(),
            58..=79 => self.rng.range(-3, 15).to_string().into_bytes(),
            80..=89 => b(self.rng.pick::<[u8]>(SPECIAL_MEMBERS)),
            90..=94 => format!("L{}{}", self.rng.below(4), "x".repeat(70)).into_bytes(),
            _ => format!("b{}", self.rng.below(600)).into_bytes(),
        }
    }

    /// `min + below(spread)` members.
    fn members(&mut self, min: usize, spread: usize) -> Vec<Vec<u8>> {
        let n = min + self.rng.below(spread);
        (0..n).map(|_| self.member()).collect()
    }

    fn value(&mut self) -> Vec<u8> {
        match self.rng.below(100) {
            0..=29 => self.rng.range(-5, 20).to_string().into_bytes(),
            30..=54 => format!("v{}", self.rng.below(6)).into_bytes(),
            55..=69 => b(self.rng.pick::<[u8]>(SPECIAL_VALUES)),
            70..=79 => {
                let n = 40 + self.rng.below(60);
                "y".repeat(n).into_bytes()
            }
            80..=89 => b(self.rng.pick::<str>(FLOATS)),
            _ => (self.rng.next() as i64 >> self.rng.below(60))
                .to_string()
                .into_bytes(),
        }
    }

    /// A count or an index: mostly small, sometimes huge, negative or not a number.
    fn num(&mut self) -> Vec<u8> {
        if self.rng.chance(88) {
            self.rng.range(-4, 6).to_string().into_bytes()
        } else {
            b(self.rng.pick::<str>(BAD_NUMS))
        }
    }

    /// A positive count that stays small (for commands whose reply size is the count).
    fn small_count(&mut self) -> Vec<u8> {
        b(self
            .rng
            .pick::<str>(&["0", "1", "2", "3", "5", "10", "-1", "-3", "abc", "100"]))
    }

    fn score(&mut self) -> Vec<u8> {
        match self.rng.below(100) {
            0..=69 => self.rng.range(-3, 10).to_string().into_bytes(),
            70..=91 => b(self.rng.pick::<str>(FLOATS)),
            _ => b(self.rng.pick::<str>(BAD_SCORES)),
        }
    }

    fn score_bound(&mut self) -> Vec<u8> {
        match self.rng.below(100) {
            0..=69 => {
                let open = if self.rng.chance(30) { "(" } else { "" };
                format!("{open}{}", self.rng.range(-3, 10)).into_bytes()
            }
            70..=89 => b(self
                .rng
                .pick::<str>(&["-inf", "+inf", "inf", "(-inf", "(+inf", "(2.5", "1.5"])),
            _ => b(self.rng.pick::<str>(&[
                "(", "((1", "abc", "nan", "(nan", "-", "+", "[1", "", "1e309", "-inf)",
            ])),
        }
    }

    fn lex_bound(&mut self) -> Vec<u8> {
        match self.rng.below(100) {
            0..=19 => b(self.rng.pick::<str>(&["-", "+"])),
            20..=89 => {
                let mut v = b(self.rng.pick::<str>(&["[", "("]));
                v.extend(self.member());
                v
            }
            _ => b(self
                .rng
                .pick::<str>(&["m1", "", "[", "(", "-inf", "+inf", "x", "++", "--"])),
        }
    }

    /// One step of the stream. Plain steps are occasionally mangled (an
    /// argument dropped or added, the name in lower case) to exercise arity and
    /// syntax errors.
    fn step(&mut self) -> Step {
        let fam = FAMILIES[self.rng.below(FAMILIES.len())];
        let step = match fam {
            Family::Str => self.string_op(),
            Family::Hash => self.hash_op(),
            Family::Set => self.set_op(),
            Family::Zset => self.zset_op(),
            Family::List => self.list_op(),
            Family::Generic => self.generic_op(),
            Family::Sort => self.sort_op(),
        };
        match step {
            Step::Plain(mut ops) => {
                let first = &mut ops[0];
                match self.rng.below(100) {
                    0..=2 if first.args.len() > 1 => {
                        let keep = 1 + self.rng.below(first.args.len() - 1);
                        first.args.truncate(keep);
                    }
                    3 => first.args.push(b(self.rng.pick::<str>(&["junk", "1", ""]))),
                    4..=9 => first.args[0].make_ascii_lowercase(),
                    _ => {}
                }
                Step::Plain(ops)
            }
            special => special,
        }
    }

    fn string_op(&mut self) -> Step {
        let op = self.rng.below(27);
        // SET and friends overwrite a key of any type: they only rarely reach
        // across families, or the other families' keys would mostly be strings.
        let overwrites = matches!(op, 0..=5 | 8 | 23 | 25);
        let k = if overwrites && self.rng.chance(90) {
            self.own_key(Family::Str)
        } else {
            self.key(Family::Str)
        };
        let r = &mut self.rng;
        match op {
            0..=2 => {
                let mut a = args!["SET", &k, self.value()];
                for _ in 0..self.rng.below(3) {
                    match self.rng.below(10) {
                        0 => a.push(b("NX")),
                        1 => a.push(b("XX")),
                        2 => a.push(b("GET")),
                        3 => a.push(b("KEEPTTL")),
                        4 => a.extend(args!["EX", self.rng.pick::<str>(EXP_SECS)]),
                        5 => a.extend(args!["PX", self.rng.pick::<str>(EXP_MS)]),
                        6 => a.extend(args!["EXAT", self.rng.pick::<str>(EXP_AT)]),
                        7 => a.extend(args!["PXAT", self.rng.pick::<str>(PEXP_AT)]),
                        8 => a.push(b("EX")),
                        _ => a.push(b("BOGUS")),
                    }
                }
                plain(a)
            }
            3 => plain(args!["SETNX", &k, self.value()]),
            4 => plain(args![
                "SETEX",
                &k,
                self.rng.pick::<str>(EXP_SECS),
                self.value()
            ]),
            5 => plain(args![
                "PSETEX",
                &k,
                self.rng.pick::<str>(EXP_MS),
                self.value()
            ]),
            6 | 7 => plain(args!["GET", &k]),
            8 => plain(args!["GETSET", &k, self.value()]),
            9 => plain(args!["GETDEL", &k]),
            10 => {
                let mut a = args!["GETEX", &k];
                match self.rng.below(8) {
                    0 => a.extend(args!["EX", self.rng.pick::<str>(EXP_SECS)]),
                    1 => a.extend(args!["PX", self.rng.pick::<str>(EXP_MS)]),
                    2 => a.extend(args!["EXAT", self.rng.pick::<str>(EXP_AT)]),
                    3 => a.extend(args!["PXAT", self.rng.pick::<str>(PEXP_AT)]),
                    4 => a.push(b("PERSIST")),
                    5 => a.push(b("EX")),
                    6 => a.extend(args!["PERSIST", "EX", "1000"]),
                    _ => {}
                }
                plain(a)
            }
            11 => {
                let mut a = args!["MGET"];
                a.extend(self.keys(Family::Str, 1, 4));
                plain(a)
            }
            12 | 13 => {
                let mut a = args![if r.chance(50) { "MSET" } else { "MSETNX" }];
                for _ in 0..1 + self.rng.below(3) {
                    a.push(if self.rng.chance(90) {
                        self.own_key(Family::Str)
                    } else {
                        self.key(Family::Str)
                    });
                    a.push(self.value());
                }
                plain(a)
            }
            14 | 15 => plain(args!["APPEND", &k, self.value()]),
            16 => plain(args!["STRLEN", &k]),
            17 => {
                let off = self.rng.pick::<str>(&[
                    "0",
                    "1",
                    "3",
                    "10",
                    "70",
                    "200",
                    "-1",
                    "abc",
                    "536870912",
                    "9223372036854775807",
                ]);
                plain(args!["SETRANGE", &k, off, self.value()])
            }
            18 => {
                let name = if self.rng.chance(80) {
                    "GETRANGE"
                } else {
                    "SUBSTR"
                };
                plain(args![name, &k, self.num(), self.num()])
            }
            19 => plain(args![if r.chance(50) { "INCR" } else { "DECR" }, &k]),
            20 => {
                let name = if r.chance(50) { "INCRBY" } else { "DECRBY" };
                plain(args![name, &k, self.num()])
            }
            21 => {
                let inc = if self.rng.chance(70) {
                    self.score()
                } else {
                    self.value()
                };
                plain(args!["INCRBYFLOAT", &k, inc])
            }
            22 => {
                let mut a = args!["LCS", &k, self.key(Family::Str)];
                match self.rng.below(7) {
                    0 => a.push(b("LEN")),
                    1 => a.push(b("IDX")),
                    2 => a.extend(args!["IDX", "MINMATCHLEN", self.num()]),
                    3 => a.extend(args!["IDX", "WITHMATCHLEN"]),
                    4 => a.extend(args!["LEN", "IDX"]),
                    _ => {}
                }
                plain(a)
            }
            23 => plain(args!["SET", &k, self.rng.range(-20, 20000).to_string()]),
            24 => plain(args!["OBJECT", "ENCODING", &k]),
            25 => {
                let n = 30 + self.rng.below(60);
                plain(args!["SET", &k, "z".repeat(n)])
            }
            _ => plain(args!["SETRANGE", &k, self.rng.below(8).to_string(), "ab"]),
        }
    }

    fn hash_op(&mut self) -> Step {
        let k = self.key(Family::Hash);
        match self.rng.below(24) {
            0..=3 => {
                let mut a = args!["HSET", &k];
                for _ in 0..1 + self.rng.below(3) {
                    a.push(self.member());
                    a.push(self.value());
                }
                plain(a)
            }
            4 => plain(args!["HMSET", &k, self.member(), self.value()]),
            5 => plain(args!["HSETNX", &k, self.member(), self.value()]),
            6 | 7 => plain(args!["HGET", &k, self.member()]),
            8 => {
                let mut a = args!["HMGET", &k];
                a.extend(self.members(1, 3));
                plain(a)
            }
            9 => {
                let mut a = args!["HDEL", &k];
                a.extend(self.members(1, 3));
                plain(a)
            }
            10 => plain(args!["HLEN", &k]),
            11 => plain(args!["HSTRLEN", &k, self.member()]),
            12 => plain(args!["HEXISTS", &k, self.member()]),
            13 => plain(args!["HINCRBY", &k, self.member(), self.num()]),
            14 => plain(args!["HINCRBYFLOAT", &k, self.member(), self.score()]),
            15 => order_if_compact(args!["HKEYS", &k], &k, false),
            16 => order_if_compact(args!["HVALS", &k], &k, false),
            17 => order_if_compact(args!["HGETALL", &k], &k, true),
            18 => {
                let mut a = args!["HRANDFIELD", &k];
                if self.rng.chance(70) {
                    a.push(self.small_count());
                    if self.rng.chance(50) {
                        a.push(b("WITHVALUES"));
                    }
                }
                Step::Special(Special::Random {
                    args: a,
                    key: k,
                    kind: RandKind::Hash,
                })
            }
            19 => self.scan_of("HSCAN", k, true),
            20 if self.rng.chance(15) => {
                // past hash-max-listpack-entries (128)
                let mut a = args!["HSET", &k];
                for i in 0..130 {
                    a.push(format!("b{i}").into_bytes());
                    a.push(format!("{}", i * 7).into_bytes());
                }
                plain(a)
            }
            21 => plain(args!["HSET", &k, self.member(), "w".repeat(65)]),
            22 => plain(args!["OBJECT", "ENCODING", &k]),
            _ => plain(args!["HGET", &k, self.member()]),
        }
    }

    /// A SCAN-family command: a cursor, then MATCH/COUNT (sometimes bad).
    fn scan_of(&mut self, name: &str, key: Vec<u8>, pairs: bool) -> Step {
        let mut a = args![name, key];
        let cursor = if self.rng.chance(5) {
            self.rng.pick::<str>(&["abc", "", "1.5"])
        } else {
            "0"
        };
        a.push(b(cursor));
        if self.rng.chance(30) {
            a.extend(args![
                "MATCH",
                self.rng
                    .pick::<str>(&["m*", "*1*", "b?", "[0-9]*", "*", "L*", "nomatch"])
            ]);
        }
        if self.rng.chance(30) {
            a.extend(args![
                "COUNT",
                self.rng
                    .pick::<str>(&["1", "3", "10", "1000", "0", "-1", "abc"])
            ]);
        }
        if self.rng.chance(3) {
            a.push(b("BOGUS"));
        }
        Step::Special(Special::Scan {
            args: a,
            cursor_at: 2,
            pairs,
        })
    }

    fn set_op(&mut self) -> Step {
        let k = self.key(Family::Set);
        match self.rng.below(22) {
            0..=3 => {
                let mut a = args!["SADD", &k];
                a.extend(self.members(1, 4));
                plain(a)
            }
            4 | 5 => {
                let mut a = args!["SADD", &k];
                for _ in 0..1 + self.rng.below(4) {
                    a.push(self.rng.range(-3, 40).to_string().into_bytes());
                }
                plain(a)
            }
            6 | 7 => {
                let mut a = args!["SREM", &k];
                a.extend(self.members(1, 3));
                plain(a)
            }
            8 => plain(args!["SCARD", &k]),
            9 => plain(args!["SISMEMBER", &k, self.member()]),
            10 => {
                let mut a = args!["SMISMEMBER", &k];
                a.extend(self.members(1, 3));
                plain(a)
            }
            11 => order_if_compact(args!["SMEMBERS", &k], &k, false),
            12 => plain(args!["SMOVE", &k, self.key(Family::Set), self.member()]),
            13 => {
                let mut a = args!["SPOP", &k];
                if self.rng.chance(60) {
                    a.push(self.small_count());
                }
                Step::Special(Special::Random {
                    args: a,
                    key: k,
                    kind: RandKind::Spop,
                })
            }
            14 => {
                let mut a = args!["SRANDMEMBER", &k];
                if self.rng.chance(70) {
                    a.push(self.small_count());
                }
                Step::Special(Special::Random {
                    args: a,
                    key: k,
                    kind: RandKind::Set,
                })
            }
            15 => {
                let name = self.rng.pick::<str>(&["SINTER", "SUNION", "SDIFF"]);
                let mut a = args![name, &k];
                a.extend(self.keys(Family::Set, 0, 3));
                plain_mode(a, Mode::Unordered { pairs: false })
            }
            16 => {
                let name = self
                    .rng
                    .pick::<str>(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
                let mut a = args![name, self.own_key(Family::Set), &k];
                a.extend(self.keys(Family::Set, 0, 3));
                plain(a)
            }
            17 => {
                let n = 1 + self.rng.below(3);
                let numkeys = if self.rng.chance(85) {
                    n.to_string()
                } else {
                    self.rng.pick::<str>(&["0", "-1", "abc", "5"]).to_string()
                };
                let mut a = args!["SINTERCARD", numkeys];
                a.extend(self.keys(Family::Set, n, 1));
                if self.rng.chance(40) {
                    a.extend(args!["LIMIT", self.num()]);
                }
                plain(a)
            }
            18 => self.scan_of("SSCAN", k, false),
            19 if self.rng.chance(15) => {
                // intset past set-max-intset-entries (512), or a big hashtable set
                let mut a = args!["SADD", &k];
                if self.rng.chance(50) {
                    a.extend((0..520).map(|i| (1000 + i).to_string().into_bytes()));
                } else {
                    a.extend((0..130).map(|i| format!("b{i}").into_bytes()));
                }
                plain(a)
            }
            20 => plain(args!["OBJECT", "ENCODING", &k]),
            _ => plain(args!["SISMEMBER", &k, self.member()]),
        }
    }

    /// `numkeys key...` for the multi-key zset commands, sometimes wrong.
    fn numkeys(&mut self, fam: Family, first: Vec<u8>) -> Args {
        let n = 1 + self.rng.below(3);
        let numkeys = if self.rng.chance(88) {
            n.to_string()
        } else {
            self.rng.pick::<str>(&["0", "-1", "abc", "5"]).to_string()
        };
        let mut a = vec![b(numkeys), first];
        // mostly zsets, sometimes sets (valid inputs of ZUNION & co)
        for _ in 1..n {
            let f = if self.rng.chance(25) {
                Family::Set
            } else {
                fam
            };
            a.push(self.key(f));
        }
        a
    }

    fn zadd_pairs(&mut self, a: &mut Args, n: usize) {
        let zero = self.rng.chance(30); // equal scores, for the BYLEX ranges
        for _ in 0..n {
            a.push(if zero { b("0") } else { self.score() });
            a.push(self.member());
        }
    }

    fn limit(&mut self, a: &mut Args) {
        if self.rng.chance(30) {
            a.extend(args!["LIMIT", self.num(), self.num()]);
        }
    }

    fn withscores(&mut self, a: &mut Args) {
        if self.rng.chance(40) {
            a.push(b("WITHSCORES"));
        }
    }

    /// A zset command; the lexicographic ones go through `Special::Lex`.
    fn zset_op(&mut self) -> Step {
        match self.zset_op_inner() {
            Step::Plain(mut ops) if is_lex(&ops[0].args) => {
                let args = ops.swap_remove(0).args;
                let at = if args[0].eq_ignore_ascii_case(b"ZRANGESTORE") {
                    2
                } else {
                    1
                };
                let key = args[at].clone();
                Step::Special(Special::Lex { args, key })
            }
            other => other,
        }
    }

    fn zset_op_inner(&mut self) -> Step {
        let k = self.key(Family::Zset);
        match self.rng.below(34) {
            0..=4 => {
                let mut a = args!["ZADD", &k];
                let flags = [0, 0, 0, 1, 1, 2][self.rng.below(6)];
                for _ in 0..flags {
                    let flag = self
                        .rng
                        .pick::<str>(&["NX", "XX", "GT", "LT", "CH", "INCR", "CH"]);
                    a.push(b(flag));
                }
                let n = 1 + self.rng.below(3);
                self.zadd_pairs(&mut a, n);
                plain(a)
            }
            5 => plain(args!["ZINCRBY", &k, self.score(), self.member()]),
            6 => plain(args!["ZSCORE", &k, self.member()]),
            7 => {
                let mut a = args!["ZMSCORE", &k];
                a.extend(self.members(1, 3));
                plain(a)
            }
            8 => plain(args!["ZCARD", &k]),
            9 => plain(args!["ZCOUNT", &k, self.score_bound(), self.score_bound()]),
            10 => plain(args!["ZLEXCOUNT", &k, self.lex_bound(), self.lex_bound()]),
            11 | 12 => {
                let mut a = args!["ZRANGE", &k];
                match self.rng.below(3) {
                    0 => a.extend(args![self.score_bound(), self.score_bound(), "BYSCORE"]),
                    1 => a.extend(args![self.lex_bound(), self.lex_bound(), "BYLEX"]),
                    _ => a.extend(args![self.num(), self.num()]),
                }
                if self.rng.chance(30) {
                    a.push(b("REV"));
                }
                self.limit(&mut a);
                self.withscores(&mut a);
                plain(a)
            }
            13 | 14 => {
                let name = if self.rng.chance(50) {
                    "ZRANGEBYSCORE"
                } else {
                    "ZREVRANGEBYSCORE"
                };
                let mut a = args![name, &k, self.score_bound(), self.score_bound()];
                self.withscores(&mut a);
                self.limit(&mut a);
                plain(a)
            }
            15 => {
                let name = if self.rng.chance(50) {
                    "ZRANGEBYLEX"
                } else {
                    "ZREVRANGEBYLEX"
                };
                let mut a = args![name, &k, self.lex_bound(), self.lex_bound()];
                self.limit(&mut a);
                plain(a)
            }
            16 => {
                let mut a = args!["ZREVRANGE", &k, self.num(), self.num()];
                self.withscores(&mut a);
                plain(a)
            }
            17 => {
                let name = if self.rng.chance(50) {
                    "ZRANK"
                } else {
                    "ZREVRANK"
                };
                plain(args![name, &k, self.member()])
            }
            18 => {
                let mut a = args!["ZREM", &k];
                a.extend(self.members(1, 3));
                plain(a)
            }
            19 => plain(args!["ZREMRANGEBYRANK", &k, self.num(), self.num()]),
            20 => plain(args![
                "ZREMRANGEBYSCORE",
                &k,
                self.score_bound(),
                self.score_bound()
            ]),
            21 => plain(args![
                "ZREMRANGEBYLEX",
                &k,
                self.lex_bound(),
                self.lex_bound()
            ]),
            22 => {
                let name = if self.rng.chance(50) {
                    "ZPOPMIN"
                } else {
                    "ZPOPMAX"
                };
                let mut a = args![name, &k];
                if self.rng.chance(50) {
                    a.push(self.num());
                }
                plain(a)
            }
            23 => {
                let mut a = args!["ZMPOP"];
                a.extend(self.numkeys(Family::Zset, k));
                a.push(b(self
                    .rng
                    .pick::<str>(&["MIN", "MAX", "MIN", "MAX", "AVG"])));
                if self.rng.chance(50) {
                    a.extend(args!["COUNT", self.num()]);
                }
                plain(a)
            }
            24 => {
                let mut a = args!["ZRANDMEMBER", &k];
                if self.rng.chance(70) {
                    a.push(self.small_count());
                    if self.rng.chance(50) {
                        a.push(b("WITHSCORES"));
                    }
                }
                Step::Special(Special::Random {
                    args: a,
                    key: k,
                    kind: RandKind::Zset,
                })
            }
            25 | 26 => {
                let store = self.rng.chance(40);
                let name = self.rng.pick::<str>(&["ZUNION", "ZINTER", "ZDIFF"]);
                let mut a = if store {
                    args![format!("{name}STORE"), self.own_key(Family::Zset)]
                } else {
                    args![name]
                };
                a.extend(self.numkeys(Family::Zset, k));
                // ZDIFF takes neither WEIGHTS nor AGGREGATE: mostly leave them out
                let opts = if name == "ZDIFF" { 5 } else { 30 };
                if self.rng.chance(opts) {
                    a.push(b("WEIGHTS"));
                    for _ in 0..1 + self.rng.below(3) {
                        let w = self.rng.pick::<str>(&[
                            "1", "2", "-1", "0", "1.5", "inf", "-inf", "nan", "abc",
                        ]);
                        a.push(b(w));
                    }
                }
                if self.rng.chance(opts) {
                    let agg = self.rng.pick::<str>(&["SUM", "MIN", "MAX", "max", "AVG"]);
                    a.extend(args!["AGGREGATE", agg]);
                }
                if !store {
                    self.withscores(&mut a);
                }
                plain(a)
            }
            27 => {
                let mut a = args!["ZINTERCARD"];
                a.extend(self.numkeys(Family::Zset, k));
                if self.rng.chance(40) {
                    a.extend(args!["LIMIT", self.num()]);
                }
                plain(a)
            }
            28 => {
                let mut a = args!["ZRANGESTORE", self.own_key(Family::Zset), &k];
                match self.rng.below(3) {
                    0 => a.extend(args![self.score_bound(), self.score_bound(), "BYSCORE"]),
                    1 => a.extend(args![self.lex_bound(), self.lex_bound(), "BYLEX"]),
                    _ => a.extend(args![self.num(), self.num()]),
                }
                if self.rng.chance(30) {
                    a.push(b("REV"));
                }
                self.limit(&mut a);
                plain(a)
            }
            29 => self.scan_of("ZSCAN", k, true),
            30 if self.rng.chance(15) => {
                // past zset-max-listpack-entries (128)
                let mut a = args!["ZADD", &k];
                for i in 0..130 {
                    a.push(format!("{}", i % 17).into_bytes());
                    a.push(format!("b{i}").into_bytes());
                }
                plain(a)
            }
            31 => plain(args!["ZADD", &k, self.score(), "L".repeat(65)]),
            32 => plain(args!["OBJECT", "ENCODING", &k]),
            _ => plain(args!["ZSCORE", &k, self.member()]),
        }
    }

    /// List elements: members and values without NUL bytes (ALPHA sorting in
    /// Redis uses strcoll, which stops at a NUL).
    fn elem(&mut self) -> Vec<u8> {
        if self.rng.chance(75) {
            self.member()
        } else {
            let v = self.value();
            if v.contains(&0) {
                b("v0")
            } else {
                v
            }
        }
    }

    fn list_op(&mut self) -> Step {
        let k = self.key(Family::List);
        let side = |g: &mut Gen| b(g.rng.pick::<str>(&["LEFT", "RIGHT", "LEFT", "RIGHT", "UP"]));
        match self.rng.below(26) {
            0..=4 => {
                let name = self
                    .rng
                    .pick::<str>(&["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
                let mut a = args![name, &k];
                for _ in 0..1 + self.rng.below(4) {
                    a.push(self.elem());
                }
                plain(a)
            }
            5 | 6 => {
                let name = if self.rng.chance(50) { "LPOP" } else { "RPOP" };
                let mut a = args![name, &k];
                if self.rng.chance(40) {
                    a.push(self.num());
                }
                plain(a)
            }
            7 => plain(args!["LLEN", &k]),
            8 | 9 => plain(args!["LRANGE", &k, self.num(), self.num()]),
            10 => plain(args!["LINDEX", &k, self.num()]),
            11 => plain(args!["LSET", &k, self.num(), self.elem()]),
            12 => {
                let wh = self
                    .rng
                    .pick::<str>(&["BEFORE", "AFTER", "before", "MIDDLE"]);
                plain(args!["LINSERT", &k, wh, self.elem(), self.elem()])
            }
            13 => plain(args!["LREM", &k, self.num(), self.elem()]),
            14 => plain(args!["LTRIM", &k, self.num(), self.num()]),
            15 | 16 => {
                let mut a = args!["LPOS", &k, self.elem()];
                for _ in 0..self.rng.below(3) {
                    let opt = self.rng.pick::<str>(&["RANK", "COUNT", "MAXLEN"]);
                    a.extend(args![opt, self.num()]);
                }
                plain(a)
            }
            17 => {
                let (from, to) = (side(self), side(self));
                plain(args!["LMOVE", &k, self.key(Family::List), from, to])
            }
            18 => plain(args!["RPOPLPUSH", &k, self.key(Family::List)]),
            19 => {
                let mut a = args!["LMPOP"];
                a.extend(self.numkeys(Family::List, k));
                a.push(side(self));
                if self.rng.chance(50) {
                    a.extend(args!["COUNT", self.num()]);
                }
                plain(a)
            }
            20 if self.rng.chance(15) => {
                let mut a = args!["RPUSH", &k];
                for i in 0..130 {
                    a.push(format!("b{}", i % 40).into_bytes());
                }
                plain(a)
            }
            21 => plain(args!["OBJECT", "ENCODING", &k]),
            22 => plain(args!["RPUSH", &k, "q".repeat(70)]),
            _ => plain(args!["LINDEX", &k, self.num()]),
        }
    }

    fn generic_op(&mut self) -> Step {
        let fam = self.data_family();
        let k = self.key(fam);
        match self.rng.below(28) {
            0 | 1 => {
                let mut a = args![if self.rng.chance(80) { "DEL" } else { "UNLINK" }];
                a.push(k);
                a.extend(self.keys(fam, 0, 2));
                plain(a)
            }
            2 => {
                let mut a = args!["EXISTS", k];
                a.extend(self.keys(fam, 0, 3));
                plain(a)
            }
            3 | 4 => plain(args!["TYPE", k]),
            5 | 6 => {
                let name = if self.rng.chance(70) {
                    "RENAME"
                } else {
                    "RENAMENX"
                };
                plain(args![name, self.own_key(fam), self.own_key(fam)])
            }
            7 => {
                let mut a = args!["COPY", self.own_key(fam), self.own_key(fam)];
                if self.rng.chance(50) {
                    a.push(b("REPLACE"));
                }
                if self.rng.chance(5) {
                    a.extend(args!["DB", self.rng.pick::<str>(&["0", "abc", "-1"])]);
                }
                plain(a)
            }
            8 | 9 => {
                let name = if self.rng.chance(60) {
                    "EXPIRE"
                } else {
                    "PEXPIRE"
                };
                let t = if name == "EXPIRE" {
                    self.rng.pick::<str>(EXP_SECS)
                } else {
                    self.rng.pick::<str>(EXP_MS)
                };
                let mut a = args![name, k, t];
                // relative times race with GT/LT (same ms or not): NX/XX only
                if self.rng.chance(40) {
                    a.push(b(self.rng.pick::<str>(&["NX", "XX", "nx", "BOGUS"])));
                }
                plain(a)
            }
            10 | 11 => {
                let name = if self.rng.chance(60) {
                    "EXPIREAT"
                } else {
                    "PEXPIREAT"
                };
                let t = if name == "EXPIREAT" {
                    self.rng.pick::<str>(EXP_AT)
                } else {
                    self.rng.pick::<str>(PEXP_AT)
                };
                let mut a = args![name, k, t];
                if self.rng.chance(50) {
                    a.push(b(self.rng.pick::<str>(&["NX", "XX", "GT", "LT", "GT"])));
                    if self.rng.chance(10) {
                        a.push(b(self.rng.pick::<str>(&["NX", "LT"])));
                    }
                }
                plain(a)
            }
            12 => plain_mode(args!["TTL", k], Mode::Approx(1)),
            13 => plain_mode(args!["PTTL", k], Mode::Approx(1500)),
            14 => plain_mode(args!["EXPIRETIME", k], Mode::Approx(1)),
            15 => plain_mode(args!["PEXPIRETIME", k], Mode::Approx(1500)),
            16 => plain(args!["PERSIST", k]),
            17 | 18 => plain(args!["OBJECT", "ENCODING", k]),
            19 => Step::Special(Special::DbSize),
            20 => {
                let mut a = args!["TOUCH", k];
                a.extend(self.keys(fam, 0, 2));
                plain(a)
            }
            21 => {
                let pat = self.rng.pick::<str>(&[
                    "*",
                    "str:*",
                    "*:1",
                    "h?sh:*",
                    "[sz]*",
                    "*\\:*",
                    "nomatch*",
                    "set:[0-3]",
                    "[^s]*",
                ]);
                plain_mode(args!["KEYS", pat], Mode::Unordered { pairs: false })
            }
            22 => {
                let cursor = if self.rng.chance(5) { "abc" } else { "0" };
                let mut a = args!["SCAN", cursor];
                if self.rng.chance(40) {
                    a.extend(args![
                        "MATCH",
                        self.rng
                            .pick::<str>(&["*", "str:*", "*:1", "z*", "nomatch"])
                    ]);
                }
                if self.rng.chance(30) {
                    a.extend(args![
                        "COUNT",
                        self.rng.pick::<str>(&["1", "5", "100", "0", "-1", "abc"])
                    ]);
                }
                if self.rng.chance(30) {
                    a.extend(args![
                        "TYPE",
                        self.rng
                            .pick::<str>(&["string", "hash", "set", "zset", "list", "bogus"])
                    ]);
                }
                Step::Special(Special::Scan {
                    args: a,
                    cursor_at: 1,
                    pairs: false,
                })
            }
            23 => Step::Special(Special::Random {
                args: args!["RANDOMKEY"],
                key: Vec::new(),
                kind: RandKind::Key,
            }),
            24 => plain(args![
                "OBJECT",
                self.rng.pick::<str>(&["BOGUS", "ENCODING", "encoding"]),
                k
            ]),
            25 => plain(args!["EXISTS", k]),
            _ => plain(args!["TYPE", k]),
        }
    }

    fn sort_op(&mut self) -> Step {
        match self.rng.below(10) {
            0 | 1 => {
                let w = if self.rng.chance(85) {
                    self.score()
                } else {
                    self.value()
                };
                let mut key = b("w_");
                key.extend(self.member());
                plain(args!["SET", key, w])
            }
            2 => {
                let mut key = b("o_");
                key.extend(self.member());
                plain(args!["HSET", key, "f", self.score()])
            }
            _ => {
                let srcs: Vec<Family> = [Family::Set, Family::Zset, Family::List]
                    .into_iter()
                    .filter(|f| FAMILIES.contains(f))
                    .collect();
                let fam = srcs[self.rng.below(srcs.len())];
                let ro = self.rng.chance(20);
                let mut a = args![if ro { "SORT_RO" } else { "SORT" }, self.key(fam)];
                let mut by = None;
                if self.rng.chance(45) {
                    let p = self.rng.pick::<str>(&[
                        "w_*", "w_*", "o_*->f", "nosort", "w_*->f", "*", "o_*->", "str:*",
                    ]);
                    a.extend(args!["BY", p]);
                    by = Some(p);
                }
                let limit = self.rng.chance(30);
                if limit {
                    let off = self.rng.pick::<str>(&["0", "1", "2", "-1", "100", "abc"]);
                    let cnt =
                        self.rng
                            .pick::<str>(&["2", "5", "-1", "0", "abc", "9223372036854775807"]);
                    a.extend(args!["LIMIT", off, cnt]);
                }
                if self.rng.chance(30) {
                    for _ in 0..1 + self.rng.below(3) {
                        let g = self
                            .rng
                            .pick::<str>(&["#", "w_*", "o_*->f", "o_*->", "nokey_*", "#x"]);
                        a.extend(args!["GET", g]);
                    }
                }
                if self.rng.chance(30) {
                    a.push(b(self.rng.pick::<str>(&["ASC", "DESC", "desc"])));
                }
                let alpha = self.rng.chance(40);
                if alpha {
                    a.push(b("ALPHA"));
                }
                let mut store = None;
                if !ro && self.rng.chance(20) {
                    let dst = if lists_enabled() {
                        self.own_key(Family::List)
                    } else {
                        format!("sorted:{}", self.rng.below(3)).into_bytes()
                    };
                    a.extend(args!["STORE", &dst]);
                    store = Some(dst);
                }
                if self.rng.chance(3) {
                    a.push(b("BOGUS"));
                }
                // BY without '*' means "don't sort": the order is the key's
                // own, hash-table order for big sets; ALPHA with BY keeps the
                // input order for ties.
                let shaky = by.is_some_and(|p| !p.contains('*')) || (alpha && by.is_some());
                Step::Special(Special::Sort {
                    args: a,
                    store,
                    limit,
                    shaky,
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The reference Redis process
// ---------------------------------------------------------------------------

/// The real redis-server, killed on Drop.
struct RefRedis {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl RefRedis {
    fn start(extra: &[&str]) -> RefRedis {
        let mut last = String::new();
        for _ in 0..8 {
            let port = common::free_port();
            let dir = TempDir::new("redis-ref");
            let port_s = port.to_string();
            let dir_s = dir.path().to_string_lossy().into_owned();
            let mut argv = vec![
                "--port",
                &port_s,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                &dir_s,
            ];
            argv.extend(extra);
            let child = Command::new(REDIS_BIN)
                .args(&argv)
                // SORT ... ALPHA uses strcoll(): pin the collation
                .env("LC_ALL", "C")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let child = match child {
                Ok(c) => c,
                Err(e) => panic!("spawn {REDIS_BIN}: {e}"),
            };
            let mut srv = RefRedis {
                child,
                port,
                _dir: dir,
            };
            let ready = common::wait_for(Duration::from_secs(10), || {
                if let Ok(Some(_)) = srv.child.try_wait() {
                    return true; // exited: checked below
                }
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok_and(|s| {
                    let mut c = Client::from_stream(s);
                    c.timeout = Duration::from_secs(2);
                    c.try_send_raw(b"PING\r\n").is_ok()
                        && matches!(c.try_read_reply(), Ok(Resp::Simple(p)) if p == "PONG")
                })
            });
            if ready && matches!(srv.child.try_wait(), Ok(None)) {
                return srv;
            }
            last = format!("redis-server on port {port} did not come up");
        }
        panic!("{last}");
    }

    fn client(&self) -> Client {
        Client::connect(self.port)
    }
}

impl Drop for RefRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// Comparing
// ---------------------------------------------------------------------------

/// The wire form with unprintable bytes escaped, cut to a readable length.
fn show(r: &Resp) -> String {
    let s = r.encode().escape_ascii().to_string();
    cut(s)
}

fn cut(s: String) -> String {
    if s.len() > 600 {
        let mut end = 600;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}... ({} bytes)", &s[..end], s.len())
    } else {
        s
    }
}

fn show_cmd(args: &[Vec<u8>]) -> String {
    let parts: Vec<String> = args
        .iter()
        .map(|a| {
            let t = a.escape_ascii().to_string();
            if t.is_empty() || t.contains(' ') {
                format!("\"{t}\"")
            } else {
                t
            }
        })
        .collect();
    cut(parts.join(" "))
}

/// `r` with hash-table order taken out: aggregates sorted by wire form, maps
/// by key; with `pairs`, a flat RESP2 array is sorted two items at a time.
fn normalise(r: &Resp, pairs: bool) -> Resp {
    fn sorted(items: &[Resp]) -> Vec<Resp> {
        let mut v = items.to_vec();
        v.sort_by_key(|a| a.encode());
        v
    }
    match r {
        Resp::Array(Some(items)) => {
            let flat = !items.iter().any(|i| matches!(i, Resp::Array(_)));
            if pairs && flat && items.len() % 2 == 0 {
                let mut ps: Vec<(Resp, Resp)> = items
                    .chunks(2)
                    .map(|c| (c[0].clone(), c[1].clone()))
                    .collect();
                ps.sort_by_key(|(k, v)| (k.encode(), v.encode()));
                Resp::Array(Some(ps.into_iter().flat_map(|(k, v)| [k, v]).collect()))
            } else {
                Resp::Array(Some(sorted(items)))
            }
        }
        Resp::Set(items) => Resp::Set(sorted(items)),
        Resp::Map(ps) => {
            let mut ps = ps.clone();
            ps.sort_by_key(|(k, v)| (k.encode(), v.encode()));
            Resp::Map(ps)
        }
        other => other.clone(),
    }
}

/// Whether an OBJECT ENCODING reply names an encoding whose order is defined.
fn is_compact(enc: &Resp) -> bool {
    matches!(enc, Resp::Bulk(Some(e)) if e == b"listpack" || e == b"intset" || e == b"ziplist")
}

/// Same aggregate kind and length (for replies whose content is random).
fn same_shape(a: &Resp, b: &Resp) -> bool {
    match (a, b) {
        (Resp::Array(Some(x)), Resp::Array(Some(y))) | (Resp::Set(x), Resp::Set(y)) => {
            x.len() == y.len()
        }
        (Resp::Map(x), Resp::Map(y)) => x.len() == y.len(),
        (Resp::Bulk(Some(_)), Resp::Bulk(Some(_))) => true,
        _ => a == b,
    }
}

struct Mismatch {
    step: usize,
    kind: &'static str,
    cmd: String,
    redis: String,
    ferrodis: String,
}

/// One protocol run: both connections, the generator and what went wrong.
struct Run {
    seed: u64,
    proto: u8,
    f: Client,
    r: Client,
    mismatches: Vec<Mismatch>,
    /// key -> (step, command) of the last command that named it, for the
    /// keyspace check's reports.
    last_touch: HashMap<Vec<u8>, (usize, String)>,
    step: usize,
    /// command name -> (successful, error) replies of Redis, for
    /// FERRODIS_DIFF_STATS=1 (is the stream exercising more than errors?).
    stats: BTreeMap<String, (usize, usize)>,
    /// Set when ferrodis stopped answering; the run ends there.
    dead: Option<String>,
}

impl Run {
    fn record(&mut self, kind: &'static str, cmd: String, redis: String, ferrodis: String) {
        if self.dead.is_some() {
            return; // replies after a crash say nothing
        }
        self.mismatches.push(Mismatch {
            step: self.step,
            kind,
            cmd,
            redis,
            ferrodis,
        });
    }

    fn context(&self, what: &str, cmd: &str) -> String {
        format!(
            "seed {} (FERRODIS_DIFF_SEED={}), RESP{}, step {}: {what} while running `{cmd}`",
            self.seed, self.seed, self.proto, self.step
        )
    }

    /// One reply. Redis failing to answer ends the test; ferrodis failing
    /// (crashed, or closed the connection) ends this run: `dead` says where,
    /// and every later reply reads as `Resp::Null`.
    fn read(&mut self, ferrodis: bool, cmd: &str) -> Resp {
        if ferrodis && self.dead.is_some() {
            return Resp::Null;
        }
        let c = if ferrodis { &mut self.f } else { &mut self.r };
        match c.try_read_reply() {
            Ok(r) => r,
            Err(e) if ferrodis => {
                self.dead = Some(format!("no reply from ferrodis ({e}) to `{cmd}`"));
                Resp::Null
            }
            Err(e) => panic!(
                "{}",
                self.context(&format!("redis did not reply ({e})"), cmd)
            ),
        }
    }

    /// Sends the same pipeline to both servers; returns (redis, ferrodis) replies.
    fn both(&mut self, cmds: &[Args]) -> (Vec<Resp>, Vec<Resp>) {
        let mut buf = Vec::new();
        for a in cmds {
            let refs: Vec<&[u8]> = a.iter().map(|x| &x[..]).collect();
            buf.extend(encode_cmd(&refs));
        }
        self.send(true, &buf);
        self.send(false, &buf);
        let label = cmds.first().map(|a| show_cmd(a)).unwrap_or_default();
        let rr = (0..cmds.len()).map(|_| self.read(false, &label)).collect();
        // ferrodis answers in order: the first reply missing names the culprit
        let fr = cmds.iter().map(|a| self.read(true, &show_cmd(a))).collect();
        (rr, fr)
    }

    fn send(&mut self, ferrodis: bool, bytes: &[u8]) {
        if ferrodis {
            if self.dead.is_none() {
                if let Err(e) = self.f.try_send_raw(bytes) {
                    self.dead = Some(format!("writing to ferrodis failed ({e})"));
                }
            }
        } else {
            self.r.send_raw(bytes);
        }
    }

    fn one(&mut self, ferrodis: bool, a: &Args) -> Resp {
        let refs: Vec<&[u8]> = a.iter().map(|x| &x[..]).collect();
        self.send(ferrodis, &encode_cmd(&refs));
        self.read(ferrodis, &show_cmd(a))
    }

    fn touch(&mut self, a: &Args) {
        let s = show_cmd(a);
        for x in a.iter().skip(1) {
            if x.len() < 24 && (x.contains(&b':') || x.starts_with(b"w_") || x.starts_with(b"o_")) {
                self.last_touch.insert(x.clone(), (self.step, s.clone()));
            }
        }
    }

    /// Runs a batch of plain commands; returns whether all replies matched.
    fn batch(&mut self, ops: &[(usize, Op)]) -> bool {
        if ops.is_empty() {
            return true;
        }
        let cmds: Vec<Args> = ops.iter().map(|(_, o)| o.args.clone()).collect();
        let (rr, fr) = self.both(&cmds);
        if self.dead.is_some() {
            return false;
        }
        let mut ok = true;
        for (i, (step, op)) in ops.iter().enumerate() {
            let (r, f) = (&rr[i], &fr[i]);
            let name = String::from_utf8_lossy(&op.args[0]).to_ascii_uppercase();
            let e = self.stats.entry(name).or_default();
            if r.is_error() {
                e.1 += 1;
            } else {
                e.0 += 1;
            }
            let same = match op.mode {
                Mode::Exact => r == f,
                Mode::Unordered { pairs } => normalise(r, pairs) == normalise(f, pairs),
                Mode::OrderIfCompact { pairs } => {
                    let compact = rr.get(i + 1).is_some_and(is_compact);
                    r == f || (!compact && normalise(r, pairs) == normalise(f, pairs))
                }
                Mode::Approx(tol) => match (r, f) {
                    (Resp::Int(x), Resp::Int(y)) if *x >= 0 && *y >= 0 => (x - y).abs() <= tol,
                    _ => r == f,
                },
            };
            if !same {
                ok = false;
                self.step = *step;
                self.record("reply", show_cmd(&op.args), show(r), show(f));
            }
        }
        ok
    }

    /// A SCAN-family command iterated to the end on each server.
    fn scan(&mut self, args: &Args, cursor_at: usize, pairs: bool) -> bool {
        let collect = |run: &mut Run, ferrodis: bool| -> Result<BTreeSet<Vec<u8>>, Resp> {
            let mut a = args.clone();
            let mut out = BTreeSet::new();
            for round in 0..10_000 {
                let reply = run.one(ferrodis, &a);
                let items = match &reply {
                    Resp::Array(Some(v)) if v.len() == 2 => v.clone(),
                    _ => return Err(reply),
                };
                let elems = match &items[1] {
                    Resp::Array(Some(e)) => e.clone(),
                    _ => return Err(reply),
                };
                let elems: Vec<Vec<u8>> = elems.iter().map(|e| e.encode()).collect();
                if pairs {
                    for c in elems.chunks(2) {
                        out.insert(c.concat());
                    }
                } else {
                    out.extend(elems);
                }
                let next = match &items[0] {
                    Resp::Bulk(Some(c)) => c.clone(),
                    _ => return Err(reply),
                };
                if next == b"0" || round > 5000 {
                    break;
                }
                a[cursor_at] = next;
            }
            Ok(out)
        };
        let r = collect(self, false);
        let f = collect(self, true);
        if r == f {
            return true;
        }
        let fmt = |x: &Result<BTreeSet<Vec<u8>>, Resp>| match x {
            Ok(s) => cut(format!(
                "{} elements: {}",
                s.len(),
                s.iter()
                    .map(|e| e.escape_ascii().to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
            Err(e) => show(e),
        };
        let (rs, fs) = (fmt(&r), fmt(&f));
        self.record("scan (full iteration, as a set)", show_cmd(args), rs, fs);
        false
    }

    /// Members of `reply` (a random command's), with their values when the
    /// reply carries them: flat in RESP2, pairs in RESP3.
    fn members_of(reply: &Resp, with_values: bool) -> Vec<(Resp, Option<Resp>)> {
        let items = match reply {
            Resp::Array(Some(v)) | Resp::Set(v) => v.clone(),
            Resp::Bulk(Some(_)) => return vec![(reply.clone(), None)],
            _ => return Vec::new(),
        };
        if items
            .iter()
            .all(|i| matches!(i, Resp::Array(Some(p)) if p.len() == 2))
            && !items.is_empty()
        {
            return items
                .iter()
                .map(|p| {
                    let p = p.items();
                    (p[0].clone(), Some(p[1].clone()))
                })
                .collect();
        }
        if with_values {
            items
                .chunks(2)
                .map(|c| (c[0].clone(), c.get(1).cloned()))
                .collect()
        } else {
            items.into_iter().map(|m| (m, None)).collect()
        }
    }

    fn random(&mut self, args: &Args, key: &[u8], kind: RandKind) -> bool {
        let with_values = args.iter().any(|a| {
            a.eq_ignore_ascii_case(b"WITHVALUES") || a.eq_ignore_ascii_case(b"WITHSCORES")
        });
        let has_count = args.len() > 2;
        // SPOP changes the key: remember what Redis had before
        let pre: Option<BTreeSet<Vec<u8>>> = match kind {
            RandKind::Spop => match self.one(false, &args!["SMEMBERS", key]) {
                Resp::Array(Some(v)) | Resp::Set(v) => Some(v.iter().map(|m| m.encode()).collect()),
                _ => None,
            },
            _ => None,
        };
        let (rr, fr) = self.both(std::slice::from_ref(args));
        let (r, f) = (&rr[0], &fr[0]);
        let cmd = show_cmd(args);
        if r == f {
            return true; // deterministic cases: errors, nil, empty, whole-set replies...
        }
        if !same_shape(r, f) {
            self.record("random reply shape", cmd, show(r), show(f));
            self.resync_spop(key, kind, has_count, r, f);
            return false;
        }
        let fm = Self::members_of(f, with_values);
        let mut problems = Vec::new();
        if has_count && kind != RandKind::Key && !args[2].starts_with(b"-") {
            let distinct: BTreeSet<Vec<u8>> = fm.iter().map(|(m, _)| m.encode()).collect();
            if distinct.len() != fm.len() {
                problems.push("positive count but repeated members".to_string());
            }
        }
        // Is each ferrodis member (with its value) in Redis' data?
        let checks: Vec<Args> = fm
            .iter()
            .map(|(m, _)| {
                let m = match m {
                    Resp::Bulk(Some(x)) => x.clone(),
                    other => other.encode(),
                };
                match kind {
                    RandKind::Set | RandKind::Spop => args!["SISMEMBER", key, m],
                    RandKind::Hash => args!["HGET", key, m],
                    RandKind::Zset => args!["ZSCORE", key, m],
                    RandKind::Key => args!["EXISTS", m],
                }
            })
            .collect();
        match kind {
            RandKind::Spop => {
                for (m, _) in &fm {
                    if !pre.as_ref().is_some_and(|p| p.contains(&m.encode())) {
                        problems.push(format!("{} was not in the set", show(m)));
                    }
                }
            }
            _ => {
                let mut answers = Vec::new();
                for c in &checks {
                    answers.push(self.one(false, c));
                }
                for ((m, v), ans) in fm.iter().zip(answers) {
                    let present = match kind {
                        RandKind::Set | RandKind::Key => ans == Resp::Int(1),
                        _ => !matches!(ans, Resp::Bulk(None) | Resp::Null),
                    };
                    if !present {
                        problems.push(format!("{} is not in Redis' data", show(m)));
                    } else if let Some(v) = v {
                        if *v != ans {
                            problems.push(format!(
                                "{} carries {} but Redis has {}",
                                show(m),
                                show(v),
                                show(&ans)
                            ));
                        }
                    }
                }
            }
        }
        self.resync_spop(key, kind, has_count, r, f);
        if problems.is_empty() {
            return true;
        }
        self.record(
            "random reply content",
            cmd,
            show(r),
            format!("{} [{}]", show(f), problems.join("; ")),
        );
        false
    }

    /// After SPOP the servers removed different members: give ferrodis back
    /// what it removed and Redis kept, and take away what Redis removed.
    ///
    /// SPOP with a count may rebuild the set from the members it keeps, and
    /// the new set's encoding then depends on which members those are: such a
    /// key is deleted on both sides instead.
    fn resync_spop(&mut self, key: &[u8], kind: RandKind, has_count: bool, r: &Resp, f: &Resp) {
        if !matches!(kind, RandKind::Spop) || r.is_error() || f.is_error() || r == f {
            return;
        }
        if has_count {
            self.both(&[args!["DEL", key]]);
            return;
        }
        let set = |x: &Resp| -> BTreeSet<Vec<u8>> {
            Self::members_of(x, false)
                .into_iter()
                .filter_map(|(m, _)| match m {
                    Resp::Bulk(Some(v)) => Some(v),
                    _ => None,
                })
                .collect()
        };
        let (rs, fs) = (set(r), set(f));
        let back: Vec<Vec<u8>> = fs.difference(&rs).cloned().collect();
        let gone: Vec<Vec<u8>> = rs.difference(&fs).cloned().collect();
        if !back.is_empty() {
            let mut a = args!["SADD", key];
            a.extend(back);
            self.one(true, &a);
        }
        if !gone.is_empty() {
            let mut a = args!["SREM", key];
            a.extend(gone);
            self.one(true, &a);
        }
    }

    /// Whether Redis' answer to a lexicographic range on `key` is defined: not a
    /// skiplist zset holding different scores.
    fn lex_defined(&mut self, key: &[u8]) -> bool {
        let enc = self.one(false, &args!["OBJECT", "ENCODING", key]);
        if enc != Resp::bulk("skiplist") {
            return true;
        }
        let lo = self.one(false, &args!["ZRANGE", key, "0", "0", "WITHSCORES"]);
        let hi = self.one(false, &args!["ZRANGE", key, "-1", "-1", "WITHSCORES"]);
        let score = |r: &Resp| match r {
            Resp::Array(Some(v)) if v.len() == 2 => Some(v[1].clone()),
            Resp::Array(Some(v)) if v.len() == 1 => v[0].items().get(1).cloned(),
            _ => None,
        };
        score(&lo) == score(&hi)
    }

    /// A SORT whose order is partly undefined: the same elements (or, with
    /// LIMIT, the same count) is enough; a stored result is made equal after.
    ///
    /// Redis' numeric SORT tests a stale `errno` (sort.c reads ERANGE without
    /// clearing it first), so an earlier overflowing strtod() in any command
    /// makes a later valid SORT fail. SCAN's cursor parsing clears errno: both
    /// servers get one (its reply unchecked) before every SORT.
    fn sort(&mut self, args: &Args, store: Option<&[u8]>, limit: bool, shaky: bool) -> bool {
        self.both(&[args!["SCAN", "0", "COUNT", "1"]]);
        let (rr, fr) = self.both(std::slice::from_ref(args));
        let (r, f) = (&rr[0], &fr[0]);
        if !shaky {
            if r != f {
                self.record("reply", show_cmd(args), show(r), show(f));
                return false;
            }
            return true;
        }
        let mut ok =
            r == f || (limit && same_shape(r, f)) || normalise(r, false) == normalise(f, false);
        if !ok {
            self.record(
                "reply (order-insensitive SORT)",
                show_cmd(args),
                show(r),
                show(f),
            );
        }
        if let (Some(dst), false) = (store, r.is_error()) {
            let get = args!["LRANGE", dst, "0", "-1"];
            let (rl, fl) = if lists_enabled() {
                let (a, b) = self.both(std::slice::from_ref(&get));
                (a[0].clone(), b[0].clone())
            } else {
                (Resp::Null, Resp::Null)
            };
            if !limit && normalise(&rl, false) != normalise(&fl, false) {
                ok = false;
                self.record(
                    "SORT STORE result (as a set)",
                    show_cmd(args),
                    show(&rl),
                    show(&fl),
                );
            }
            if rl != fl || !lists_enabled() {
                self.both(&[args!["DEL", dst]]);
            }
        }
        ok
    }

    /// Compares the whole keyspace; a key that differs is reported and deleted
    /// on both servers. Returns whether everything matched.
    fn state_check(&mut self) -> bool {
        if self.dead.is_some() {
            return false;
        }
        let mut ok = true;
        let (rr, fr) = self.both(&[args!["KEYS", "*"]]);
        let keyset = |x: &Resp| -> BTreeSet<Vec<u8>> {
            match x {
                Resp::Array(Some(v)) | Resp::Set(v) => v
                    .iter()
                    .filter_map(|k| match k {
                        Resp::Bulk(Some(k)) => Some(k.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => BTreeSet::new(),
            }
        };
        let (rk, fk) = (keyset(&rr[0]), keyset(&fr[0]));
        let only: Vec<Vec<u8>> = rk.symmetric_difference(&fk).cloned().collect();
        for k in &only {
            ok = false;
            let (rdump, fdump) = (self.dump(false, k), self.dump(true, k));
            let last = self.last_touch_of(k);
            self.record("keyspace (key exists on one side)", last, rdump, fdump);
            self.both(&[args!["DEL", k]]);
        }
        let common: Vec<Vec<u8>> = rk.intersection(&fk).cloned().collect();
        for k in common {
            let (rdump, fdump) = (self.dump(false, &k), self.dump(true, &k));
            if rdump != fdump {
                ok = false;
                let last = self.last_touch_of(&k);
                self.record("keyspace (key content/encoding/ttl)", last, rdump, fdump);
                self.both(&[args!["DEL", &k]]);
            }
        }
        ok
    }

    /// FERRODIS_DIFF_TRACE=<step>: prints every key of both servers as they
    /// are just before `step`, to see the state a mismatching command met.
    fn trace(&mut self, step: usize) {
        let keys = self.one(false, &args!["KEYS", "*"]);
        let mut keys: Vec<Vec<u8>> = keys
            .items()
            .iter()
            .filter_map(|k| match k {
                Resp::Bulk(Some(k)) => Some(k.clone()),
                _ => None,
            })
            .collect();
        keys.sort();
        eprintln!("--- keyspace before step {step} (RESP{}) ---", self.proto);
        for k in keys {
            let (r, f) = (self.dump(false, &k), self.dump(true, &k));
            eprintln!("{}:\n    redis:    {r}", k.escape_ascii());
            if f != r {
                eprintln!("    ferrodis: {f}");
            }
        }
    }

    fn last_touch_of(&self, k: &[u8]) -> String {
        match self.last_touch.get(k) {
            Some((step, cmd)) => format!(
                "key {} (last named by step {step}: {cmd})",
                k.escape_ascii()
            ),
            None => format!("key {}", k.escape_ascii()),
        }
    }

    /// Type, encoding, TTL class and content of one key, as text.
    fn dump(&mut self, ferrodis: bool, k: &[u8]) -> String {
        let ty = self.one(ferrodis, &args!["TYPE", k]);
        let enc = self.one(ferrodis, &args!["OBJECT", "ENCODING", k]);
        let ttl = match self.one(ferrodis, &args!["PTTL", k]) {
            Resp::Int(n) if n >= 0 => "ttl".to_string(),
            other => show(&other),
        };
        let content = match &ty {
            Resp::Simple(t) => match t.as_str() {
                "string" => show(&self.one(ferrodis, &args!["GET", k])),
                "hash" => show(&normalise(&self.one(ferrodis, &args!["HGETALL", k]), true)),
                "set" => show(&normalise(
                    &self.one(ferrodis, &args!["SMEMBERS", k]),
                    false,
                )),
                "zset" => show(&self.one(ferrodis, &args!["ZRANGE", k, "0", "-1", "WITHSCORES"])),
                "list" if lists_enabled() => {
                    show(&self.one(ferrodis, &args!["LRANGE", k, "0", "-1"]))
                }
                _ => String::new(),
            },
            _ => String::new(),
        };
        format!("type={} enc={} {ttl} {content}", show(&ty), show(&enc))
    }
}

// ---------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    };
    Some(parsed.unwrap_or_else(|| panic!("{name}={v:?} is not a number")))
}

/// One complete run in protocol `proto`, with `config` given to both servers.
fn run(seed: u64, ops: usize, proto: u8, config: &[&str]) -> Vec<Mismatch> {
    let trace = env_u64("FERRODIS_DIFF_TRACE").map(|n| n as usize);
    let every =
        env_u64("FERRODIS_DIFF_CHECK_EVERY").map_or(STATE_CHECK_EVERY, |n| n.max(1) as usize);
    let mut fargs = vec!["--save", "", "--appendonly", "no"];
    fargs.extend(config);
    let fsrv = Server::start(&fargs);
    let rsrv = RefRedis::start(config);
    let mut run = Run {
        seed,
        proto,
        f: fsrv.client(),
        r: rsrv.client(),
        mismatches: Vec::new(),
        last_touch: HashMap::new(),
        step: 0,
        stats: BTreeMap::new(),
        dead: None,
    };
    if proto == 3 {
        let (rr, fr) = run.both(&[args!["HELLO", "3"]]);
        assert!(!rr[0].is_error(), "redis refused HELLO 3: {:?}", rr[0]);
        assert!(!fr[0].is_error(), "ferrodis refused HELLO 3: {:?}", fr[0]);
    }
    let mut gen = Gen::new(seed ^ u64::from(proto));
    let mut pending: Vec<(usize, Op)> = Vec::new();
    let started = Instant::now();
    for step in 0..ops {
        if let Some(why) = run.dead.take() {
            // the panic message opens stderr; the log's end says the rest
            let err = fsrv.stderr();
            let log = fsrv.log();
            let tail = format!(
                "stderr: {} | log: {}",
                err.get(..err.len().min(1500)).unwrap_or(""),
                log.get(log.len().saturating_sub(300)..).unwrap_or("")
            );
            run.record(
                "FATAL: ferrodis stopped answering; the run ends here",
                why,
                String::from("(a reply)"),
                format!("server output (tail): {}", tail.escape_debug()),
            );
            run.dead = Some(String::new());
            break;
        }
        if trace == Some(step) {
            run.batch(&std::mem::take(&mut pending));
            run.trace(step);
        }
        let s = gen.step();
        let mut flush_now = false;
        match s {
            Step::Plain(batch_ops) => {
                for op in batch_ops {
                    run.step = step;
                    run.touch(&op.args);
                    pending.push((step, op));
                }
                flush_now = pending.len() >= BATCH;
            }
            Step::Special(sp) => {
                let mut ok = run.batch(&std::mem::take(&mut pending));
                run.step = step;
                ok &= match &sp {
                    Special::Scan {
                        args,
                        cursor_at,
                        pairs,
                    } => {
                        run.touch(args);
                        run.scan(args, *cursor_at, *pairs)
                    }
                    Special::Random { args, key, kind } => {
                        run.touch(args);
                        run.random(args, key, *kind)
                    }
                    Special::DbSize => {
                        for ferrodis in [false, true] {
                            let mut cursor = b("0");
                            for _ in 0..10_000 {
                                let r = run.one(ferrodis, &args!["SCAN", &cursor, "COUNT", "100"]);
                                match r.items().first() {
                                    Some(Resp::Bulk(Some(c))) if c != b"0" => cursor = c.clone(),
                                    _ => break,
                                }
                            }
                        }
                        let op = Op {
                            args: args!["DBSIZE"],
                            mode: Mode::Exact,
                        };
                        run.batch(&[(step, op)])
                    }
                    Special::Lex { args, key } => {
                        if run.lex_defined(key) {
                            run.touch(args);
                            run.batch(&[(
                                step,
                                Op {
                                    args: args.clone(),
                                    mode: Mode::Exact,
                                },
                            )])
                        } else {
                            true
                        }
                    }
                    Special::Sort {
                        args,
                        store,
                        limit,
                        shaky,
                    } => {
                        run.touch(args);
                        run.sort(args, store.as_deref(), *limit, *shaky)
                    }
                };
                if !ok {
                    run.state_check();
                }
            }
        }
        if flush_now || (step + 1) % every == 0 || step + 1 == ops {
            let ok = run.batch(&std::mem::take(&mut pending));
            if !ok || (step + 1) % every == 0 || step + 1 == ops {
                run.step = step;
                run.state_check();
            }
        }
    }
    eprintln!(
        "differential RESP{proto}: {ops} steps, seed {seed}, {} mismatches, {:.1} s",
        run.mismatches.len(),
        started.elapsed().as_secs_f64()
    );
    if std::env::var_os("FERRODIS_DIFF_STATS").is_some() {
        for (name, (ok, err)) in &run.stats {
            eprintln!("    {name:20} {ok:6} ok {err:6} errors");
        }
    }
    if run.dead.is_none() {
        // the servers must still be alive and well
        let (rr, fr) = run.both(&[args!["PING"]]);
        if run.dead.is_none() {
            assert_eq!(rr, fr, "PING after the run");
        }
    }
    run.mismatches
}

#[test]
fn ferrodis_replies_like_redis_to_a_random_command_stream() {
    if !std::path::Path::new(REDIS_BIN).exists() {
        eprintln!("skipped: {REDIS_BIN} is not installed");
        return;
    }
    let seed = env_u64("FERRODIS_DIFF_SEED").unwrap_or(DEFAULT_SEED);
    let ops = env_u64("FERRODIS_DIFF_OPS").map_or(DEFAULT_OPS, |n| n as usize);
    // RESP3 also runs with small encoding thresholds, so conversions happen
    // all the time there.
    let small = [
        "--hash-max-listpack-entries",
        "16",
        "--hash-max-listpack-value",
        "16",
        "--set-max-intset-entries",
        "16",
        "--zset-max-listpack-entries",
        "16",
        "--zset-max-listpack-value",
        "16",
    ];
    let runs: [(u8, &[&str]); 2] = [(2, &[]), (3, &small)];
    let mut report = String::new();
    let mut total = 0;
    for (proto, config) in runs {
        let found = run(seed, ops, proto, config);
        total += found.len();
        let mut by_cmd: BTreeMap<String, usize> = BTreeMap::new();
        for m in &found {
            // keyspace reports are grouped by the last command naming the key
            let cmd = match m.cmd.split_once("(last named by step ") {
                Some((_, rest)) => rest.split_once(": ").map_or("", |(_, c)| c),
                None => m.cmd.as_str(),
            };
            let name = if m.kind.starts_with("FATAL") {
                String::from("FATAL")
            } else {
                cmd.split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase()
            };
            *by_cmd.entry(format!("{name} ({})", m.kind)).or_default() += 1;
            report.push_str(&format!(
                "RESP{proto} step {} [{}]\n    command:  {}\n    redis:    {}\n    ferrodis: {}\n",
                m.step, m.kind, m.cmd, m.redis, m.ferrodis
            ));
        }
        if !by_cmd.is_empty() {
            report.push_str(&format!("RESP{proto} summary:\n"));
            for (k, n) in by_cmd {
                report.push_str(&format!("    {n:5}  {k}\n"));
            }
        }
    }
    if total > 0 {
        eprintln!("{report}");
        panic!(
            "{total} differences from Redis 7.0.15 (seed {seed}: rerun with \
             FERRODIS_DIFF_SEED={seed} FERRODIS_DIFF_OPS={ops}); the list is above"
        );
    }
}
