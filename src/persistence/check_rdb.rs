//! `ferrodis-check-rdb`: checks an RDB file and reports on it the way
//! Redis 7.0's `redis-check-rdb` does (redis-check-rdb.c), and the same check on
//! the RDB preamble of an AOF for `ferrodis-check-aof`.
//!
//! The report is a list of `[offset N] ...` lines for the opcodes it passes
//! (aux fields, SELECTDB, the checksum), then either
//! `\o/ RDB looks OK! \o/` and the counters, or the error block:
//!
//! ```text
//! --- RDB ERROR DETECTED ---
//! [offset 100] Unexpected EOF reading RDB file
//! [additional info] While doing: read-object-value
//! [additional info] Reading key 'h'
//! [additional info] Reading type 16 (hash-listpack)
//! [info] 3 keys read
//! [info] 2 expires
//! [info] 1 already expired
//! ```
//!
//! Offsets are the bytes consumed when the line is printed. A read that
//! runs past the end consumes nothing, so "Unexpected EOF" points at the
//! start of the item that is cut. Values are decoded by the server's own
//! `read_value` with deep sanitization, as redis-check-rdb sets
//! `sanitize-dump-payload yes`; what that decoder finds wrong is reported
//! as Redis reports its loader's findings (the "Internal error" line, then
//! a "Terminating server" log line). Where our decoder refuses a claimed
//! count the input could not hold, it stops at the count instead of reading
//! on to the end, so such an offset can be smaller than Redis' one.
//!
//! Quirks kept on purpose, because scripts compare the output: before the
//! first key the report says "Reading type 0 (string)" (Redis' state starts
//! zeroed), a key whose value is an empty collection is "Unexpected EOF",
//! an expire of exactly -1 ms counts as no expire, and strings are printed
//! up to their first NUL byte. Function libraries are skipped unread like
//! Redis does. Module data is not decoded by this server: it ends the
//! check with an "unsupported" error instead of a verdict.
//!
//! Invariant: nothing in the file can make the check panic or allocate
//! more than the file could hold (the `Reader` guarantees both).

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;

use super::crc64::crc64;
use super::load::{module_type_name, read_value, LoadOpts};
use super::rdb::*;

/// What the walk was doing, for the "While doing:" line
/// (RDB_CHECK_DOING_* and their names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Doing {
    Start,
    ReadType,
    ReadExpire,
    ReadKey,
    ReadObjectValue,
    CheckSum,
    ReadLen,
    ReadAux,
    ReadModuleAux,
    ReadFunctions,
}

impl Doing {
    fn name(self) -> &'static str {
        match self {
            Doing::Start => "start",
            Doing::ReadType => "read-type",
            Doing::ReadExpire => "read-expire",
            Doing::ReadKey => "read-key",
            Doing::ReadObjectValue => "read-object-value",
            Doing::CheckSum => "check-sum",
            Doing::ReadLen => "read-len",
            Doing::ReadAux => "read-aux",
            Doing::ReadModuleAux => "read-module-aux",
            Doing::ReadFunctions => "read-functions",
        }
    }
}

/// The names the report gives type bytes 0..=18; 19 and up print as
/// "unknown", and 7, 8 as empty, as in redis-check-rdb's table.
const TYPE_NAMES: [&str; 19] = [
    "string",
    "list-linked",
    "set-hashtable",
    "zset-v1",
    "hash-hashtable",
    "zset-v2",
    "module-value",
    "",
    "",
    "hash-zipmap",
    "list-ziplist",
    "set-intset",
    "zset-ziplist",
    "hash-ziplist",
    "quicklist",
    "stream",
    "hash-listpack",
    "zset-listpack",
    "quicklist-v2",
];

/// Redis formats each report line into a 1024-byte buffer.
const MSG_MAX: usize = 1023;

/// The counters every report ends with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Keys whose name was read (a key whose value is broken counts).
    pub keys: u64,
    pub expires: u64,
    /// Keys with an expire time before the start of the check.
    pub already_expired: u64,
}

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The image is sane and ends at this offset (where an AOF's command
    /// tail starts).
    Ok(usize),
    /// The error block was printed.
    Broken,
    /// Broken inside a value or a string encoding. Redis reports these from
    /// its loader and exits right there, so a caller prints nothing more.
    Fatal,
}

/// Why the walk stopped before the end.
#[derive(Debug)]
enum Stop {
    /// A read ran out of input.
    Eof,
    /// Found by the walk itself (type byte, header, checksum, an
    /// unsupported type): printed as it is.
    Check(String),
    /// Found by the value or string decoder: the "Internal error" report.
    Corrupt(String),
}

impl From<RdbError> for Stop {
    fn from(e: RdbError) -> Self {
        match e {
            RdbError::Eof | RdbError::Io(_) => Stop::Eof,
            RdbError::Corrupt(m) => Stop::Corrupt(m),
            RdbError::Unsupported(m) | RdbError::BadHeader(m) => Stop::Check(m),
            RdbError::At(_, inner) => Stop::from(*inner),
        }
    }
}

/// A step of the walk.
type Walked<T> = std::result::Result<T, Stop>;

/// The state of one check (redis-check-rdb's `rdbstate`).
struct Walk<'a> {
    r: Reader<'a>,
    doing: Doing,
    /// The key whose value is being read.
    key: Option<Vec<u8>>,
    /// The type byte being read, -1 between keys (0 before the first).
    key_type: i32,
    counts: Counts,
    now_ms: i64,
    opts: LoadOpts,
}

/// Checks the RDB image at the start of `buf`, named `name` in the report,
/// and writes redis-check-rdb's report to `out`, from the "Checking RDB
/// file" line to the verdict. `now_ms` decides which expires have passed.
/// Bytes after the checksum are not looked at (an AOF tail may follow).
pub fn check(name: &[u8], buf: &[u8], now_ms: i64, out: &mut dyn Write) -> Verdict {
    checking_line(out, name);
    let mut w = Walk {
        r: Reader::new(buf),
        doing: Doing::Start,
        key: None,
        key_type: 0,
        counts: Counts::default(),
        now_ms,
        // redis-check-rdb runs with sanitize-dump-payload yes.
        opts: LoadOpts {
            deep: true,
            ..LoadOpts::default()
        },
    };
    match w.walk(out) {
        Ok(end) => {
            info(out, end, b"\\o/ RDB looks OK! \\o/");
            show_counts(out, &w.counts);
            Verdict::Ok(end)
        }
        Err(stop) => w.report(out, stop),
    }
}

/// The counters a check ended with, for tests and callers that want the
/// figures rather than the text: the `[info]` lines parsed back.
pub fn parse_counts(report: &[u8]) -> Option<Counts> {
    let text = String::from_utf8_lossy(report);
    let field = |suffix: &str| {
        text.lines().rev().find_map(|l| {
            l.strip_prefix("[info] ")?
                .strip_suffix(suffix)?
                .parse::<u64>()
                .ok()
        })
    };
    Some(Counts {
        keys: field(" keys read")?,
        expires: field(" expires")?,
        already_expired: field(" already expired")?,
    })
}

fn checking_line(out: &mut dyn Write, name: &[u8]) {
    let mut msg = b"Checking RDB file ".to_vec();
    msg.extend_from_slice(name);
    info(out, 0, &msg);
}

/// `[offset N] msg` (rdbCheckInfo). Output errors are ignored: a checker
/// whose stdout is gone has nobody left to tell.
fn info(out: &mut dyn Write, offset: usize, msg: &[u8]) {
    let _ = write!(out, "[offset {offset}] ");
    let _ = out.write_all(&msg[..msg.len().min(MSG_MAX)]);
    let _ = out.write_all(b"\n");
}

fn show_counts(out: &mut dyn Write, c: &Counts) {
    let _ = writeln!(out, "[info] {} keys read", c.keys);
    let _ = writeln!(out, "[info] {} expires", c.expires);
    let _ = writeln!(out, "[info] {} already expired", c.already_expired);
}

/// The bytes of a string up to its first NUL: what C's `%s` prints.
fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// C's atoi on the four version digits of the header: leading blanks, a
/// sign, digits, stop at anything else.
fn c_atoi(b: &[u8]) -> i64 {
    let b = c_str(b);
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .unwrap_or(b.len());
    let (neg, digits) = match b.get(start) {
        Some(b'-') => (true, &b[start + 1..]),
        Some(b'+') => (false, &b[start + 1..]),
        _ => (false, &b[start..]),
    };
    let n = digits
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add((d - b'0') as i64)
        });
    if neg {
        -n
    } else {
        n
    }
}

impl Walk<'_> {
    /// rdbLoadLen as the walk uses it: an "encoded" prefix yields its six
    /// bits as the length, as Redis does when the caller does not ask.
    fn len(&mut self) -> Walked<u64> {
        Ok(match self.r.len_or_enc()? {
            Len::Plain(n) => n,
            Len::Encoded(e) => e as u64,
        })
    }

    /// The whole file, opcode by opcode (the loop of redis_check_rdb).
    /// Ok: the offset just past the image.
    fn walk(&mut self, out: &mut dyn Write) -> Walked<usize> {
        let magic = self.r.take(9)?;
        if &magic[..5] != b"REDIS" {
            return Err(Stop::Check(
                "Wrong signature trying to load DB from file".into(),
            ));
        }
        let version = c_atoi(&magic[5..]);
        if version < 1 || version > RDB_VERSION as i64 {
            return Err(Stop::Check(format!(
                "Can't handle RDB format version {version}"
            )));
        }
        // -1 is "no expire", as in Redis (a stored -1 ms is lost the same way).
        let mut expire_ms = -1i64;
        loop {
            self.doing = Doing::ReadType;
            let t = self.r.u8()?;
            match t {
                OPCODE_EXPIRETIME => {
                    self.doing = Doing::ReadExpire;
                    expire_ms = self.r.secs()? as i64 * 1000;
                }
                OPCODE_EXPIRETIME_MS => {
                    self.doing = Doing::ReadExpire;
                    expire_ms = self.r.millis()?;
                }
                OPCODE_FREQ => {
                    self.r.u8()?;
                }
                OPCODE_IDLE => {
                    self.len()?;
                }
                OPCODE_EOF => break,
                OPCODE_SELECTDB => {
                    self.doing = Doing::ReadLen;
                    let id = self.len()?;
                    info(out, self.r.pos, format!("Selecting DB ID {id}").as_bytes());
                }
                OPCODE_RESIZEDB => {
                    self.doing = Doing::ReadLen;
                    self.len()?;
                    self.len()?;
                }
                OPCODE_AUX => {
                    self.doing = Doing::ReadAux;
                    let k = self.r.string()?;
                    let v = self.r.string()?;
                    let mut msg = b"AUX FIELD ".to_vec();
                    msg.extend_from_slice(c_str(&k));
                    msg.extend_from_slice(b" = '");
                    msg.extend_from_slice(c_str(&v));
                    msg.push(b'\'');
                    info(out, self.r.pos, &msg);
                }
                OPCODE_MODULE_AUX => self.module_aux(out)?,
                OPCODE_FUNCTION | OPCODE_FUNCTION2 => {
                    self.doing = Doing::ReadFunctions;
                    self.skip_function(t)?;
                }
                t if !is_object_type(t) => {
                    return Err(Stop::Check(format!("Invalid object type: {t}")));
                }
                t => {
                    self.key_type = t as i32;
                    self.key_value(t, expire_ms)?;
                    expire_ms = -1;
                }
            }
        }
        if version >= 5 {
            self.doing = Doing::CheckSum;
            let expected = crc64(0, self.r.consumed());
            let stored = self.r.millis()? as u64;
            if stored == 0 {
                info(
                    out,
                    self.r.pos,
                    b"RDB file was saved with checksum disabled: no check performed.",
                );
            } else if stored != expected {
                return Err(Stop::Check("RDB CRC error".into()));
            } else {
                info(out, self.r.pos, b"Checksum OK");
            }
        }
        Ok(self.r.pos)
    }

    /// One key and its value; the counters move as in Redis: the key
    /// counts as soon as its name is read, the expire once the value is.
    fn key_value(&mut self, t: u8, expire_ms: i64) -> Walked<()> {
        self.doing = Doing::ReadKey;
        let key = self.r.string()?;
        self.key = Some(key);
        self.counts.keys += 1;
        self.doing = Doing::ReadObjectValue;
        // Every type goes through the server's decoder, so modules are
        // refused in the one place that knows about them. An
        // empty collection is a failed load to Redis, reported as EOF.
        let start = self.r.pos;
        match read_value(&mut self.r, t, &self.opts) {
            Ok(Some(_)) => {}
            Ok(None) => return Err(Stop::Eof),
            Err(e) => {
                let stop = Stop::from(e);
                if matches!(stop, Stop::Eof) {
                    self.r.pos = eof_offset(self.r.input(), start, t, self.r.pos);
                }
                return Err(stop);
            }
        }
        if expire_ms != -1 {
            self.counts.expires += 1;
            if expire_ms < self.now_ms {
                self.counts.already_expired += 1;
            }
        }
        self.key = None;
        self.key_type = -1;
        Ok(())
    }

    /// MODULE_AUX: the module id and "when" fields are checked, then the
    /// data is refused like module values, since no module is loaded.
    fn module_aux(&mut self, out: &mut dyn Write) -> Walked<()> {
        /// RDB_MODULE_OPCODE_UINT: the only encoding of the "when" field.
        const MODULE_OPCODE_UINT: u64 = 2;
        self.doing = Doing::ReadModuleAux;
        let id = self.len()?;
        let when_opcode = self.len()?;
        self.len()?;
        if when_opcode != MODULE_OPCODE_UINT {
            return Err(Stop::Check("bad when_opcode".into()));
        }
        let name = module_type_name(id);
        info(
            out,
            self.r.pos,
            format!("MODULE AUX for: {name}").as_bytes(),
        );
        Err(Stop::Check(format!(
            "The RDB file contains AUX module data I can't load: no matching module '{name}'"
        )))
    }

    /// A function library is read and not compiled, as redis-check-rdb
    /// does: FUNCTION2 is one payload string; the 7.0-rc FUNCTION opcode
    /// is name, engine, an optional description and the code.
    fn skip_function(&mut self, opcode: u8) -> Walked<()> {
        let step = |res: Result<()>, what: &str| match res {
            Ok(()) => Ok(()),
            Err(RdbError::Corrupt(m)) => Err(Stop::Corrupt(m)),
            Err(_) => Err(Stop::Check(format!("Failed loading library, {what}"))),
        };
        if opcode == OPCODE_FUNCTION2 {
            return step(self.r.string().map(drop), "Failed loading library payload");
        }
        step(self.r.string().map(drop), "Failed loading library name")?;
        step(self.r.string().map(drop), "Failed loading engine name")?;
        let has_desc = match self.r.len_or_enc() {
            Ok(Len::Plain(n)) => n,
            Ok(Len::Encoded(e)) => e as u64,
            Err(e) => return step(Err(e), "Failed loading library description indicator"),
        };
        if has_desc != 0 {
            step(
                self.r.string().map(drop),
                "Failed loading library description",
            )?;
        }
        step(self.r.string().map(drop), "Failed loading library blob")
    }

    /// The error block (rdbCheckError), and for the decoder's findings the
    /// "Internal error" wording and the log line Redis prints as it exits.
    fn report(&self, out: &mut dyn Write, stop: Stop) -> Verdict {
        let (msg, fatal) = match stop {
            Stop::Eof => ("Unexpected EOF reading RDB file".to_string(), false),
            Stop::Check(m) => (m, false),
            // Redis names its source line here; we have none to name.
            Stop::Corrupt(m) => (
                format!("Internal error in RDB reading offset 0, function at rdb.c:0 -> {m}"),
                true,
            ),
        };
        let _ = writeln!(out, "--- RDB ERROR DETECTED ---");
        info(out, self.r.pos, msg.as_bytes());
        let _ = writeln!(out, "[additional info] While doing: {}", self.doing.name());
        if let Some(key) = &self.key {
            let _ = out.write_all(b"[additional info] Reading key '");
            let _ = out.write_all(c_str(key));
            let _ = out.write_all(b"'\n");
        }
        if self.key_type != -1 {
            let name = TYPE_NAMES
                .get(self.key_type as usize)
                .copied()
                .unwrap_or("unknown");
            let _ = writeln!(
                out,
                "[additional info] Reading type {} ({name})",
                self.key_type
            );
        }
        show_counts(out, &self.counts);
        if fatal {
            let _ = writeln!(
                out,
                "{}:C {} # Terminating server after rdb file reading failure.",
                std::process::id(),
                crate::logging::format_time(crate::logging::now_ms())
            );
            Verdict::Fatal
        } else {
            Verdict::Broken
        }
    }
}

/// Where Redis' loader meets the end of a cut value that starts at
/// `start`. Our decoder refuses a count the rest of the input cannot hold
/// before reading the items; Redis reads them until one is cut, and its
/// report gives that item's offset. So the value is walked again item by
/// item without building anything. `fallback`: the decoder's offset, kept
/// when the walk does not end in a cut read.
fn eof_offset(buf: &[u8], start: usize, t: u8, fallback: usize) -> usize {
    let mut r = Reader::new(buf);
    r.pos = start;
    match skim_value(&mut r, t) {
        Err(RdbError::Eof) => r.pos,
        _ => fallback,
    }
}

/// A string's bytes skipped as rdbGenericLoadStringObject reads them.
fn skim_string(r: &mut Reader<'_>) -> Result<()> {
    match r.len_or_enc()? {
        Len::Plain(n) => r.take(usize::try_from(n).unwrap_or(usize::MAX)).map(drop),
        Len::Encoded(0) => r.take(1).map(drop),
        Len::Encoded(1) => r.take(2).map(drop),
        Len::Encoded(2) => r.take(4).map(drop),
        Len::Encoded(3) => {
            let clen = r.length()?;
            r.length()?;
            r.take(usize::try_from(clen).unwrap_or(usize::MAX))
                .map(drop)
        }
        Len::Encoded(_) => corrupt("bad encoding"),
    }
}

/// The reads rdbLoadObject makes for a value of type `t`, in its order.
fn skim_value(r: &mut Reader<'_>, t: u8) -> Result<()> {
    let items = |r: &mut Reader<'_>, each: &dyn Fn(&mut Reader<'_>) -> Result<()>| {
        // Each item consumes input or fails, so a lying count only loops
        // until the input ends.
        let n = r.length()?;
        let mut i = 0;
        while i < n {
            each(r)?;
            i += 1;
        }
        Ok(())
    };
    match t {
        TYPE_STRING => skim_string(r),
        TYPE_LIST | TYPE_SET | TYPE_LIST_QUICKLIST => items(r, &skim_string),
        TYPE_ZSET => items(r, &|r| {
            skim_string(r)?;
            r.text_double().map(drop)
        }),
        TYPE_ZSET_2 => items(r, &|r| {
            skim_string(r)?;
            r.take(8).map(drop)
        }),
        TYPE_HASH => items(r, &|r| {
            skim_string(r)?;
            skim_string(r)
        }),
        TYPE_LIST_QUICKLIST_2 => items(r, &|r| {
            r.length()?;
            skim_string(r)
        }),
        // The blob encodings (ziplists, listpacks, intsets, zipmaps).
        TYPE_HASH_ZIPMAP..=TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK | TYPE_ZSET_LISTPACK => {
            skim_string(r)
        }
        _ => corrupt("not skimmed"),
    }
}

/// The command line (redis_check_rdb_main): `<prog> <rdb-file>` or
/// `-v`/`--version`. Returns the exit status: 0 when the file looks OK.
pub fn main_with(args: &[OsString], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let prog = args
        .first()
        .map(|a| a.as_bytes())
        .unwrap_or(b"ferrodis-check-rdb");
    if args.len() != 2 {
        let _ = err.write_all(b"Usage: ");
        let _ = err.write_all(prog);
        let _ = err.write_all(b" <rdb-file-name>\n");
        return 1;
    }
    let path = &args[1];
    if path == "-v" || path == "--version" {
        let _ = writeln!(out, "ferrodis-check-rdb {}", crate::REDIS_VERSION);
        return 0;
    }
    let now_ms = crate::logging::now_ms();
    let name = path.as_bytes();
    // Redis reports an unopenable file with nothing but the first line.
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(_) => {
            checking_line(out, name);
            return 1;
        }
    };
    // A read error (a directory, say) leaves the bytes read so far, as
    // stdio would, and the walk then meets the end of its input.
    let mut buf = Vec::new();
    let _ = file.read_to_end(&mut buf);
    match check(name, &buf, now_ms, out) {
        Verdict::Ok(_) => 0,
        Verdict::Broken | Verdict::Fatal => 1,
    }
}

/// `main` of the binary (and of `ferrodis-server` started as a checker).
pub fn main(args: &[OsString]) -> i32 {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let code = main_with(args, &mut out, &mut io::stderr());
    let _ = out.flush();
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::tests::{mutate, sample_dbs, snapshot};
    use crate::util::testrng::Rng;

    /// Runs a check at a fixed clock; the report as text.
    fn run(buf: &[u8]) -> (Verdict, String) {
        let mut out = Vec::new();
        let v = check(b"dump.rdb", buf, 1_000_000, &mut out);
        (v, String::from_utf8_lossy(&out).into_owned())
    }

    /// A small image written by hand, so every offset in it is known.
    fn image(body: impl FnOnce(&mut Writer<Vec<u8>>)) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), false, true);
        w.raw(b"REDIS0010").unwrap();
        w.aux("redis-ver", b"7.0.15").unwrap();
        body(&mut w);
        w.byte(OPCODE_EOF).unwrap();
        let crc = w.crc();
        w.raw(&crc.to_le_bytes()).unwrap();
        w.into_inner()
    }

    fn string_key(w: &mut Writer<Vec<u8>>, key: &[u8], expire_ms: Option<i64>) {
        if let Some(ms) = expire_ms {
            w.byte(OPCODE_EXPIRETIME_MS).unwrap();
            w.millis(ms).unwrap();
        }
        w.byte(TYPE_STRING).unwrap();
        w.string(key).unwrap();
        w.string(b"value").unwrap();
    }

    fn three_keys() -> Vec<u8> {
        image(|w| {
            w.byte(OPCODE_SELECTDB).unwrap();
            w.len(0).unwrap();
            string_key(w, b"a", None);
            string_key(w, b"b", Some(5_000_000));
            string_key(w, b"gone", Some(10));
        })
    }

    #[test]
    fn a_sane_file_gets_redis_lines_and_counts() {
        let buf = three_keys();
        let (v, text) = run(&buf);
        assert_eq!(v, Verdict::Ok(buf.len()));
        let n = buf.len();
        assert_eq!(
            text,
            format!(
                "[offset 0] Checking RDB file dump.rdb\n\
                 [offset 27] AUX FIELD redis-ver = '7.0.15'\n\
                 [offset 29] Selecting DB ID 0\n\
                 [offset {n}] Checksum OK\n\
                 [offset {n}] \\o/ RDB looks OK! \\o/\n\
                 [info] 3 keys read\n\
                 [info] 2 expires\n\
                 [info] 1 already expired\n"
            )
        );
        let c = parse_counts(text.as_bytes()).unwrap();
        assert_eq!((c.keys, c.expires, c.already_expired), (3, 2, 1));
    }

    #[test]
    fn expired_keys_count_and_minus_one_is_no_expire() {
        let buf = image(|w| {
            string_key(w, b"a", Some(-1));
            string_key(w, b"b", Some(999_999));
            w.byte(OPCODE_EXPIRETIME).unwrap();
            w.raw(&2000i32.to_le_bytes()).unwrap(); // 2,000,000 ms: not yet
            w.byte(TYPE_STRING).unwrap();
            w.string(b"c").unwrap();
            w.string(b"v").unwrap();
        });
        let (v, text) = run(&buf);
        assert!(matches!(v, Verdict::Ok(_)), "{text}");
        let c = parse_counts(text.as_bytes()).unwrap();
        assert_eq!((c.keys, c.expires, c.already_expired), (3, 2, 1));
    }

    #[test]
    fn a_truncated_file_is_unexpected_eof_at_the_cut_item() {
        let buf = three_keys();
        // Inside the header: nothing consumed yet.
        let (v, text) = run(&buf[..5]);
        assert_eq!(v, Verdict::Broken);
        assert_eq!(
            text,
            "[offset 0] Checking RDB file dump.rdb\n\
             --- RDB ERROR DETECTED ---\n\
             [offset 0] Unexpected EOF reading RDB file\n\
             [additional info] While doing: start\n\
             [additional info] Reading type 0 (string)\n\
             [info] 0 keys read\n\
             [info] 0 expires\n\
             [info] 0 already expired\n"
        );
        // Inside the second key's value: its length byte (at 50) is read,
        // the five bytes it announces are not there.
        let (v, text) = run(&buf[..53]);
        assert_eq!(v, Verdict::Broken);
        assert!(
            text.contains(
                "[offset 51] Unexpected EOF reading RDB file\n\
                 [additional info] While doing: read-object-value\n\
                 [additional info] Reading key 'b'\n\
                 [additional info] Reading type 0 (string)\n\
                 [info] 2 keys read\n\
                 [info] 0 expires\n"
            ),
            "{text}"
        );
        // Missing checksum.
        let (_, text) = run(&buf[..buf.len() - 3]);
        assert!(text.contains("While doing: check-sum"), "{text}");
        // Every cut is an error, none panics.
        for cut in 0..buf.len() {
            assert_ne!(run(&buf[..cut]).0, Verdict::Ok(cut), "cut at {cut}");
        }
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum() {
        let mut buf = three_keys();
        let last = buf.len() - 1;
        buf[last] ^= 0x10;
        let (v, text) = run(&buf);
        assert_eq!(v, Verdict::Broken);
        assert!(
            text.contains(&format!(
                "[offset {}] RDB CRC error\n[additional info] While doing: check-sum\n[info] 3 keys read",
                buf.len()
            )),
            "{text}"
        );
        // A zero checksum means "not computed".
        let mut buf = three_keys();
        let n = buf.len();
        buf[n - 8..].fill(0);
        let (v, text) = run(&buf);
        assert_eq!(v, Verdict::Ok(n));
        assert!(text.contains("RDB file was saved with checksum disabled: no check performed."));
    }

    #[test]
    fn bad_opcode_and_header_errors() {
        let mut buf = three_keys();
        buf[27] = 0xf1; // where SELECTDB was
        let (v, text) = run(&buf);
        assert_eq!(v, Verdict::Broken);
        assert!(
            text.contains("[offset 28] Invalid object type: 241\n[additional info] While doing: read-type\n[additional info] Reading type 0 (string)\n"),
            "{text}"
        );
        let mut buf = three_keys();
        buf[5..9].copy_from_slice(b"0011");
        assert!(run(&buf)
            .1
            .contains("[offset 9] Can't handle RDB format version 11"));
        buf[0] = b'X';
        assert!(run(&buf)
            .1
            .contains("[offset 9] Wrong signature trying to load DB from file"));
    }

    #[test]
    fn decoder_findings_are_fatal_internal_errors() {
        // An intset blob of the wrong size.
        let buf = image(|w| {
            w.byte(TYPE_SET_INTSET).unwrap();
            w.string(b"s").unwrap();
            w.string(&[2, 0, 0, 0, 5, 0, 0, 0, 1]).unwrap();
        });
        let (v, text) = run(&buf);
        assert_eq!(v, Verdict::Fatal);
        assert!(
            text.contains("] Internal error in RDB reading offset 0, function at rdb.c:0 -> Intset integrity check failed.\n[additional info] While doing: read-object-value\n[additional info] Reading key 's'\n[additional info] Reading type 11 (set-intset)\n"),
            "{text}"
        );
        assert!(text.ends_with("# Terminating server after rdb file reading failure.\n"));
    }

    #[test]
    fn truncated_streams_and_modules_are_reported() {
        let buf = image(|w| {
            w.byte(TYPE_STREAM_LISTPACKS).unwrap();
            w.string(b"st").unwrap();
            w.len(0).unwrap();
        });
        // Cut after the node count: an early end of file, like any value.
        let (v, text) = run(&buf);
        assert_eq!(v, Verdict::Fatal);
        assert!(text.contains("Reading type 15 (stream)"), "{text}");
        let buf = image(|w| {
            w.byte(OPCODE_MODULE_AUX).unwrap();
            w.len(5 << 10).unwrap();
            w.len(2).unwrap();
            w.len(2).unwrap();
        });
        let (v, text) = run(&buf);
        assert_eq!(v, Verdict::Broken);
        assert!(text.contains("MODULE AUX for: AAAAAAAAF"), "{text}");
        assert!(text.contains("module data I can't load"), "{text}");
    }

    #[test]
    fn functions_are_skipped_and_empty_keys_are_eof() {
        let buf = image(|w| {
            w.byte(OPCODE_FUNCTION2).unwrap();
            w.string(b"#!lua name=lib\nredis.register_function('f', function() return 1 end)")
                .unwrap();
            string_key(w, b"k", None);
        });
        assert!(matches!(run(&buf).0, Verdict::Ok(_)));
        let buf = image(|w| {
            w.byte(TYPE_SET).unwrap();
            w.string(b"empty").unwrap();
            w.len(0).unwrap();
        });
        let (v, text) = run(&buf);
        assert_eq!(v, Verdict::Broken);
        assert!(text.contains("Unexpected EOF reading RDB file\n[additional info] While doing: read-object-value\n[additional info] Reading key 'empty'\n[additional info] Reading type 2 (set-hashtable)"), "{text}");
    }

    #[test]
    fn aux_strings_print_up_to_nul_and_int_encodings_as_numbers() {
        let buf = image(|w| {
            w.byte(OPCODE_AUX).unwrap();
            w.string(b"a\0b").unwrap();
            w.string(b"x\0y").unwrap();
            w.aux("n", b"256").unwrap();
        });
        let text = run(&buf).1;
        assert!(text.contains("] AUX FIELD a = 'x'\n"), "{text}");
        assert!(text.contains("] AUX FIELD n = '256'\n"), "{text}");
    }

    #[test]
    fn a_whole_snapshot_of_every_type_checks_ok() {
        let dbs = sample_dbs();
        let buf = snapshot(&dbs, true);
        let (v, text) = run(&buf);
        assert_eq!(v, Verdict::Ok(buf.len()), "{text}");
        let keys: usize = dbs.iter().map(|d| d.keys.len()).sum();
        let c = parse_counts(text.as_bytes()).unwrap();
        assert_eq!(c.keys, keys as u64);
        assert_eq!(c.already_expired, 1); // "gone"
                                          // An AOF tail after the image is not the checker's business.
        let mut with_tail = buf.clone();
        with_tail.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(run(&with_tail).0, Verdict::Ok(buf.len()));
    }

    #[test]
    fn mutated_snapshots_never_panic() {
        let buf = snapshot(&sample_dbs(), true);
        let mut rng = Rng(0x5eed_cafe_f00d_0001);
        for _ in 0..3000 {
            let m = mutate(&mut rng, &buf);
            let _ = run(&m);
        }
    }

    #[test]
    fn command_line_usage_version_and_missing_file() {
        let call = |args: &[&str]| {
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = main_with(&args, &mut out, &mut err);
            (
                code,
                String::from_utf8(out).unwrap(),
                String::from_utf8(err).unwrap(),
            )
        };
        let (code, _, err) = call(&["./ferrodis-check-rdb"]);
        assert_eq!(
            (code, err.as_str()),
            (1, "Usage: ./ferrodis-check-rdb <rdb-file-name>\n")
        );
        let (code, out, _) = call(&["x", "-v"]);
        assert_eq!((code, out), (0, "ferrodis-check-rdb 7.0.15\n".into()));
        let (code, out, _) = call(&["x", "/nonexistent/dump.rdb"]);
        assert_eq!(
            (code, out.as_str()),
            (1, "[offset 0] Checking RDB file /nonexistent/dump.rdb\n")
        );
    }
}
