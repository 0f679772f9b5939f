//! `ferrodis-check-aof`: checks (and with `--fix` repairs) an append-only
//! file the way Redis 7.0's `redis-check-aof` does (redis-check-aof.c).
//!
//! ```text
//! ferrodis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>
//! ```
//!
//! The argument is one of three things, told apart as Redis does: a
//! manifest (some line starts with `file`; every BASE and INCR file it
//! names is checked, in loading order, from the manifest's directory), an
//! RDB-preamble AOF (starts with `REDIS`: the RDB part is checked by
//! `check_rdb`, then the commands after it), or a plain AOF of commands.
//!
//! Commands are walked with the C tool's reading rules, because its output
//! is the interface: `*<argc>` and `$<len>` header lines are read 127 bytes
//! at a time and parsed by strtol, every header and argument must end in
//! CRLF, `#` lines are annotations, MULTI must close with EXEC. A file
//! that stops being valid is reported as "ok up to" the start of the last
//! command that was whole (the MULTI, inside a transaction), with a count
//! of lines (`line`, never reset between the files of a manifest, and not
//! moved by annotations, as in Redis). `--fix` cuts such a tail after
//! asking on stdin; only the last file may be cut. `--truncate-to-timestamp`
//! cuts at the first `#TS:` annotation later than the given time.
//!
//! Redis' messages and exit statuses are kept to the byte (the test suite
//! and scripts match on them), including its quirks: the error text comes
//! from a buffer that outlives each line, so a header cut short reports the
//! stale byte behind it ("Expected \r\n, got: 000a"); signed chars print as
//! `ffffff80`; an error string stops at its first NUL.
//!
//! Files are read whole into memory (as the server's AOF loader does); no
//! length read from a file allocates anything.

use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;

use super::check_rdb::{self, Verdict};
use super::manifest::Manifest;

/// The process ends here with this status (one of redis-check-aof's
/// `exit()` calls in the middle of a check).
#[derive(Debug, PartialEq, Eq)]
pub struct Exit(pub i32);

/// How checking one file ended (AOF_CHECK_*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileCheck {
    Ok,
    Empty,
    Truncated,
    TimestampTruncated,
}

/// fgets buffer sizes of the C tool: header lines, annotations, manifest lines.
const HEADER_LINE_MAX: usize = 128;
const ANNOTATION_LINE_MAX: usize = 1024;
const MANIFEST_LINE_MAX: usize = 1025;

/// A read position in one file's bytes, with C stdio's reading calls.
struct Cur<'b> {
    buf: &'b [u8],
    pos: usize,
}

impl<'b> Cur<'b> {
    /// fgets(buf, size): through the next '\n', at most size-1 bytes;
    /// None at the end.
    fn gets(&mut self, size: usize) -> Option<&'b [u8]> {
        let rest = self.buf.get(self.pos..).filter(|r| !r.is_empty())?;
        let limit = rest.len().min(size - 1);
        let n = match rest[..limit].iter().position(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => limit,
        };
        self.pos += n;
        Some(&rest[..n])
    }

    /// fread of `n` bytes: what there is, up to `n`.
    fn read(&mut self, n: usize) -> &'b [u8] {
        let rest = &self.buf[self.pos..];
        let got = &rest[..n.min(rest.len())];
        self.pos += got.len();
        got
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }
}

/// What C's strtol made of a string.
struct Strtol {
    value: i64,
    /// Index of the first byte not used (the start when no digits).
    end: usize,
    /// The value did not fit (errno ERANGE); `value` is clamped.
    overflow: bool,
}

/// strtol(s + start, &end, 10) on a C string (stops at NUL or the slice end).
fn strtol(s: &[u8], start: usize) -> Strtol {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = start;
    while matches!(at(i), b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = match at(i) {
        b'-' => {
            i += 1;
            true
        }
        b'+' => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits_start = i;
    let (mut value, mut overflow) = (0i64, false);
    while at(i).is_ascii_digit() {
        let d = (at(i) - b'0') as i64;
        // Accumulate negatively so i64::MIN fits, as C libraries do.
        match value.checked_mul(10).and_then(|v| v.checked_sub(d)) {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == digits_start {
        return Strtol {
            value: 0,
            end: start,
            overflow: false,
        };
    }
    let value = if overflow {
        if neg {
            i64::MIN
        } else {
            i64::MAX
        }
    } else if neg {
        value
    } else {
        value.checked_neg().unwrap_or_else(|| {
            overflow = true;
            i64::MAX
        })
    };
    Strtol {
        value,
        end: i,
        overflow,
    }
}

/// The bytes of a C string: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// printf("%02x") of a plain (signed) char.
fn hex_char(c: u8) -> String {
    format!("{:02x}", c as i8 as i32 as u32)
}

/// strerror-like text of an I/O error.
fn strerror(e: &io::Error) -> String {
    super::io_text(e)
}

/// POSIX dirname (the manifest's directory, where its files are).
fn dirname(path: &[u8]) -> Vec<u8> {
    let trimmed = {
        let end = path.iter().rposition(|&c| c != b'/').map_or(0, |i| i + 1);
        &path[..end]
    };
    if trimmed.is_empty() {
        return if path.is_empty() {
            b".".to_vec()
        } else {
            b"/".to_vec()
        };
    }
    match trimmed.iter().rposition(|&c| c == b'/') {
        None => b".".to_vec(),
        Some(i) => {
            let end = trimmed[..i]
                .iter()
                .rposition(|&c| c != b'/')
                .map_or(0, |j| j + 1);
            if end == 0 {
                b"/".to_vec()
            } else {
                trimmed[..end].to_vec()
            }
        }
    }
}

/// One run of the checker: its options, its output, and the state the
/// C tool keeps in globals across the files of a manifest.
pub struct Checker<'a> {
    out: &'a mut dyn Write,
    /// Where the `--fix` confirmation is read from.
    input: &'a mut dyn Read,
    fix: bool,
    /// `--truncate-to-timestamp`; 0 is off.
    to_timestamp: i64,
    /// Lines consumed so far, from 1, over all the files checked.
    line: i64,
    /// The pending error text (empty: none), printed after a file's walk.
    error: Vec<u8>,
    /// Where the header or argument being read started.
    epos: usize,
    /// readLong's line buffer for `*` headers. It outlives each call on
    /// purpose: when a header is cut short, the byte after its NUL is left
    /// over from the previous `*` header, and Redis prints that byte.
    lbuf: [u8; HEADER_LINE_MAX + 1],
    /// The clock of the RDB preamble's "already expired" count.
    now_ms: i64,
}

impl<'a> Checker<'a> {
    pub fn new(
        out: &'a mut dyn Write,
        input: &'a mut dyn Read,
        fix: bool,
        to_timestamp: i64,
        now_ms: i64,
    ) -> Self {
        Checker {
            out,
            input,
            fix,
            to_timestamp,
            line: 1,
            error: Vec::new(),
            epos: 0,
            lbuf: [0; HEADER_LINE_MAX + 1],
            now_ms,
        }
    }

    /// Writes raw bytes; output errors are ignored (nobody left to tell).
    fn say(&mut self, parts: &[&[u8]]) {
        for p in parts {
            let _ = self.out.write_all(p);
        }
    }

    /// A line in Redis' log format, as serverLog prints it to stdout.
    fn log(&mut self, msg: &[u8]) {
        let head = format!(
            "{}:C {} # ",
            std::process::id(),
            crate::logging::format_time(crate::logging::now_ms())
        );
        self.say(&[head.as_bytes(), msg, b"\n"]);
    }

    /// The ERROR macro: `0x<epos, 16 wide>: <msg>`, in C's buffer sizes.
    fn set_error(&mut self, msg: &[u8]) {
        let mut e = format!("0x{:>16x}: ", self.epos).into_bytes();
        e.extend_from_slice(&msg[..msg.len().min(1023)]);
        e.truncate(1043);
        self.error = e;
    }

    /// consumeNewline on the two bytes where a CRLF must be.
    fn consume_newline(&mut self, a: u8, b: u8) -> bool {
        if a == b'\r' && b == b'\n' {
            self.line += 1;
            return true;
        }
        let msg = format!("Expected \\r\\n, got: {}{}", hex_char(a), hex_char(b));
        self.set_error(msg.as_bytes());
        false
    }

    /// readLong: a `<prefix><number>\r\n` header. None: failed (with an
    /// error set, except at the end of the file).
    fn read_long(&mut self, cur: &mut Cur<'_>, prefix: u8) -> Option<i64> {
        self.epos = cur.pos;
        let chunk = cur.gets(HEADER_LINE_MAX)?;
        // Only the `*` headers see a previous line's leftovers: between two
        // `$` headers the argument read reuses (and, as observed, zeroes)
        // that stack area.
        let mut fresh = [0u8; HEADER_LINE_MAX + 1];
        let lbuf = if prefix == b'*' {
            &mut self.lbuf
        } else {
            &mut fresh
        };
        lbuf[..chunk.len()].copy_from_slice(chunk);
        lbuf[chunk.len()] = 0;
        let lbuf = *lbuf;
        if lbuf[0] != prefix {
            let got = lbuf[0];
            let msg = [
                &b"Expected prefix '"[..],
                &[prefix],
                b"', got: '",
                &[got],
                b"'",
            ]
            .concat();
            self.set_error(&msg);
            return None;
        }
        let n = strtol(&lbuf[..HEADER_LINE_MAX], 1);
        // `end` is at most 127: its neighbour is still inside the buffer.
        let (a, b) = (lbuf[n.end], lbuf[n.end + 1]);
        self.consume_newline(a, b).then_some(n.value)
    }

    /// readString: `$<len>\r\n<bytes>\r\n`; the bytes.
    fn read_string<'b>(&mut self, cur: &mut Cur<'b>) -> Option<&'b [u8]> {
        let len = self.read_long(cur, b'$')?;
        if !(0..=i64::MAX - 2).contains(&len) {
            let msg = format!(
                "Expected to read string of {len} bytes, which is not in the suitable range"
            );
            self.set_error(msg.as_bytes());
            return None;
        }
        let want = len as u64 + 2;
        self.epos = cur.pos;
        // Only what the file holds is ever taken: no allocation of `len`.
        let got = cur.read(usize::try_from(want).unwrap_or(usize::MAX));
        if got.len() as u64 != want {
            let msg = format!("Expected to read {want} bytes, got {} bytes", got.len());
            self.set_error(msg.as_bytes());
            return None;
        }
        let n = got.len();
        if !self.consume_newline(got[n - 2], got[n - 1]) {
            return None;
        }
        Some(&got[..n - 2])
    }

    /// processRESP: one `*<argc>` command. MULTI/EXEC move `multi`; a
    /// nested MULTI or a lone EXEC is an error.
    fn process_resp(&mut self, cur: &mut Cur<'_>, path: &[u8], multi: &mut i64) -> bool {
        let Some(argc) = self.read_long(cur, b'*') else {
            return false;
        };
        let mut i = 0i64;
        while i < argc {
            let Some(arg) = self.read_string(cur) else {
                return false;
            };
            if i == 0 {
                let name = c_str(arg);
                if name.eq_ignore_ascii_case(b"multi") {
                    *multi += 1;
                    if *multi != 1 {
                        self.set_error(&[b"Unexpected MULTI in AOF ", path].concat());
                        return false;
                    }
                } else if name.eq_ignore_ascii_case(b"exec") {
                    *multi -= 1;
                    if *multi != 0 {
                        self.set_error(&[b"Unexpected EXEC in AOF ", path].concat());
                        return false;
                    }
                }
            }
            i += 1;
        }
        true
    }

    /// processAnnotations: one `#` line. Ok(Some(at)): a `#TS:` later than
    /// `--truncate-to-timestamp` starts at `at` and the file is to be cut there.
    fn annotation(
        &mut self,
        cur: &mut Cur<'_>,
        path: &[u8],
        last_file: bool,
    ) -> Result<Option<usize>, Exit> {
        let epos = cur.pos;
        self.epos = epos;
        let Some(line) = cur.gets(ANNOTATION_LINE_MAX) else {
            // Cannot happen: the caller saw the '#'.
            self.say(&[
                b"Failed to read annotations from AOF ",
                path,
                b", aborting...\n",
            ]);
            return Err(Exit(1));
        };
        if self.to_timestamp == 0 || !line.starts_with(b"#TS:") {
            return Ok(None);
        }
        let line = c_str(line);
        let ts = strtol(line, 4);
        if ts.overflow || line.get(ts.end) != Some(&b'\r') {
            self.say(&[b"Invalid timestamp annotation\n"]);
            return Err(Exit(1));
        }
        if ts.value <= self.to_timestamp {
            return Ok(None);
        }
        let to = self.to_timestamp;
        if epos == 0 {
            let tail = format!(" has nothing before timestamp {to}, aborting...\n");
            self.say(&[b"AOF ", path, tail.as_bytes()]);
            return Err(Exit(1));
        }
        if !last_file {
            let tail =
                format!(" to timestamp {to} to offset {epos} because it is not the last file.\n");
            self.say(&[b"Failed to truncate AOF ", path, tail.as_bytes()]);
            self.say(&[b"If you insist, please delete all files after this file according to the manifest file and delete the corresponding records in manifest file manually. Then re-run redis-check-aof.\n"]);
            return Err(Exit(1));
        }
        Ok(Some(epos))
    }

    /// checkSingleAof: one file, a plain AOF or one with an RDB preamble.
    /// `name` is what the report calls it, `path` where it is.
    fn check_single(
        &mut self,
        name: &[u8],
        path: &[u8],
        last_file: bool,
        preamble: bool,
    ) -> Result<FileCheck, Exit> {
        // "r+" as in Redis: a file we could not fix is refused up front.
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .open(OsStr::from_bytes(path));
        let mut file = match opened {
            Ok(f) => f,
            Err(e) => {
                let tail = format!(": {}, aborting...\n", strerror(&e));
                self.say(&[b"Cannot open file ", path, tail.as_bytes()]);
                return Err(Exit(1));
            }
        };
        let mut buf = Vec::new();
        if file.read_to_end(&mut buf).is_err() {
            self.say(&[b"Failed to read from AOF ", name, b", aborting...\n"]);
            return Err(Exit(1));
        }
        if buf.is_empty() {
            return Ok(FileCheck::Empty);
        }
        let mut cur = Cur { buf: &buf, pos: 0 };
        if preamble {
            match check_rdb::check(name, &buf, self.now_ms, self.out) {
                Verdict::Ok(end) => {
                    self.say(&[b"RDB preamble is OK, proceeding with AOF tail...\n"]);
                    cur.pos = end;
                }
                Verdict::Broken => {
                    self.say(&[b"RDB preamble of AOF file is not sane, aborting.\n"]);
                    return Err(Exit(1));
                }
                Verdict::Fatal => return Err(Exit(1)),
            }
        }
        let (pos, ts_cut) = self.walk(&mut cur, name, path, last_file)?;
        if let Some(at) = ts_cut {
            if file.set_len(at as u64).is_err() {
                let tail = format!(" to timestamp {}\n", self.to_timestamp);
                self.say(&[b"Failed to truncate AOF ", path, tail.as_bytes()]);
                return Err(Exit(1));
            }
            return Ok(FileCheck::TimestampTruncated);
        }
        self.verdict(&file, name, buf.len(), pos, last_file)
    }

    /// The command walk of one file from `cur`. Ok: the offset where the
    /// valid part ends, and where a timestamp cut is due, if one is.
    fn walk(
        &mut self,
        cur: &mut Cur<'_>,
        name: &[u8],
        path: &[u8],
        last_file: bool,
    ) -> Result<(usize, Option<usize>), Exit> {
        let mut multi = 0i64;
        let mut pos = cur.pos;
        // A format error stops the walk before the end of the file, where
        // a MULTI left open is not reported.
        let mut format_error = false;
        loop {
            if multi == 0 {
                pos = cur.pos;
            }
            match cur.peek() {
                None => break,
                Some(b'#') => {
                    if let Some(at) = self.annotation(cur, path, last_file)? {
                        return Ok((pos, Some(at)));
                    }
                }
                Some(b'*') => {
                    if !self.process_resp(cur, path, &mut multi) {
                        break;
                    }
                }
                Some(_) => {
                    self.say(&[b"AOF ", name, b" format error\n"]);
                    format_error = true;
                    break;
                }
            }
        }
        if !format_error && multi != 0 && self.error.is_empty() {
            self.set_error(b"Reached EOF before reading EXEC for MULTI");
        }
        Ok((pos, None))
    }

    /// The end of checkSingleAof: the error, the analysis line, and what
    /// to do with an invalid tail.
    fn verdict(
        &mut self,
        file: &File,
        name: &[u8],
        size: usize,
        pos: usize,
        last_file: bool,
    ) -> Result<FileCheck, Exit> {
        if !self.error.is_empty() {
            let e = c_str(&self.error).to_vec();
            self.say(&[&e, b"\n"]);
        }
        let diff = size - pos;
        if diff == 0 && self.to_timestamp != 0 {
            let tail = format!(" to timestamp {}\n", self.to_timestamp);
            self.say(&[b"Truncate nothing in AOF ", name, tail.as_bytes()]);
            return Ok(FileCheck::Ok);
        }
        let figures = format!(
            ", size={size}, ok_up_to={pos}, ok_up_to_line={}, diff={diff}\n",
            self.line
        );
        self.say(&[b"AOF analyzed: filename=", name, figures.as_bytes()]);
        if diff == 0 {
            return Ok(FileCheck::Ok);
        }
        if !self.fix {
            self.say(&[
                b"AOF ",
                name,
                b" is not valid. Use the --fix option to try fixing it.\n",
            ]);
            return Err(Exit(1));
        }
        if !last_file {
            self.say(&[
                b"Failed to truncate AOF ",
                name,
                b" because it is not the last file\n",
            ]);
            return Err(Exit(1));
        }
        let shrink = format!(" from {size} bytes, with {diff} bytes, to {pos} bytes\n");
        self.say(&[b"This will shrink the AOF ", name, shrink.as_bytes()]);
        self.say(&[b"Continue? [y/N]: "]);
        let _ = self.out.flush();
        let mut answer = [0u8; 1];
        let yes = matches!(self.input.read(&mut answer), Ok(1)) && (answer[0] | 0x20) == b'y';
        if !yes {
            self.say(&[b"Aborting...\n"]);
            return Err(Exit(1));
        }
        if file.set_len(pos as u64).is_err() {
            self.say(&[b"Failed to truncate AOF ", name, b"\n"]);
            return Err(Exit(1));
        }
        Ok(FileCheck::Truncated)
    }

    /// The line saying how a file ended, `who` being "BASE AOF", "INCR AOF"
    /// or "AOF".
    fn outcome(&mut self, who: &[u8], name: &[u8], r: FileCheck) {
        match r {
            FileCheck::Ok => self.say(&[who, b" ", name, b" is valid\n"]),
            FileCheck::Empty => self.say(&[who, b" ", name, b" is empty\n"]),
            FileCheck::TimestampTruncated => {
                let tail = format!(" to timestamp {}\n", self.to_timestamp);
                self.say(&[b"Successfully truncated AOF ", name, tail.as_bytes()]);
            }
            FileCheck::Truncated => self.say(&[b"Successfully truncated AOF ", name, b"\n"]),
        }
    }

    /// fileIsRDB: at least 8 bytes, starting with "REDIS".
    fn file_is_rdb(&mut self, path: &[u8]) -> Result<bool, Exit> {
        let mut f = self.open_for_sniffing(path)?;
        let mut sig = [0u8; 5];
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(size >= 8 && f.read_exact(&mut sig).is_ok() && &sig == b"REDIS")
    }

    /// fileIsManifest: some line (fgets chunk) that is not a comment
    /// starts with "file".
    fn file_is_manifest(&mut self, path: &[u8]) -> Result<bool, Exit> {
        let mut f = self.open_for_sniffing(path)?;
        if f.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
            return Ok(false);
        }
        let mut buf = Vec::new();
        if f.read_to_end(&mut buf).is_err() {
            self.say(&[b"Cannot read file: ", path, b"\n"]);
            return Err(Exit(1));
        }
        let mut cur = Cur { buf: &buf, pos: 0 };
        while let Some(line) = cur.gets(MANIFEST_LINE_MAX) {
            if line.first() != Some(&b'#') && line.starts_with(b"file") {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn open_for_sniffing(&mut self, path: &[u8]) -> Result<File, Exit> {
        File::open(OsStr::from_bytes(path)).map_err(|e| {
            let tail = format!(": {}\n", strerror(&e));
            self.say(&[b"Cannot open file ", path, tail.as_bytes()]);
            Exit(1)
        })
    }

    /// checkMultiPartAof: the manifest, then its BASE and INCR files.
    fn check_multi_part(&mut self, dir: &[u8], manifest_path: &[u8]) -> Result<(), Exit> {
        self.say(&[b"Start checking Multi Part AOF\n"]);
        let m = self.load_manifest(manifest_path)?;
        let total = m.base.iter().count() + m.incrs.len();
        let mut done = 0;
        let path_of = |name: &str| [dir, b"/", name.as_bytes()].concat();
        if let Some(base) = &m.base {
            let path = path_of(&base.name);
            done += 1;
            let preamble = self.file_is_rdb(&path)?;
            let format = if preamble { "RDB" } else { "RESP" };
            self.say(&[format!("Start to check BASE AOF ({format} format).\n").as_bytes()]);
            let r = self.check_single(base.name.as_bytes(), &path, done == total, preamble)?;
            self.outcome(b"BASE AOF", base.name.as_bytes(), r);
        }
        if !m.incrs.is_empty() {
            self.say(&[b"Start to check INCR files.\n"]);
            for incr in &m.incrs {
                let path = path_of(&incr.name);
                done += 1;
                let r = self.check_single(incr.name.as_bytes(), &path, done == total, false)?;
                self.outcome(b"INCR AOF", incr.name.as_bytes(), r);
            }
        }
        self.say(&[b"All AOF files and manifest are valid\n"]);
        Ok(())
    }

    /// aofLoadManifestFromFile, with its fatal report in log lines.
    fn load_manifest(&mut self, path: &[u8]) -> Result<Manifest, Exit> {
        let text = match std::fs::read(OsStr::from_bytes(path)) {
            Ok(t) => t,
            Err(e) => {
                let msg = [
                    &b"Fatal error: can't open the AOF manifest file "[..],
                    path,
                    format!(" for reading: {}", strerror(&e)).as_bytes(),
                ]
                .concat();
                self.log(&msg);
                return Err(Exit(1));
            }
        };
        Manifest::parse(&text).map_err(|e| {
            self.log(b"\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
            if let Some((n, line)) = &e.line {
                self.log(format!("Reading the manifest file, at line {n}\n").as_bytes());
                self.log(format!(">>> '{line}'\n").as_bytes());
            }
            self.log(format!("{}\n", e.msg).as_bytes());
            Exit(1)
        })
    }

    /// checkOldStyleAof: one file given directly.
    fn check_old_style(&mut self, path: &[u8], preamble: bool) -> Result<(), Exit> {
        self.say(&[b"Start checking Old-Style AOF\n"]);
        let r = self.check_single(path, path, true, preamble)?;
        self.outcome(b"AOF", path, r);
        Ok(())
    }

    /// Checks `path`, whatever kind of file it is (redis_check_aof_main
    /// after the arguments). Ok: exit status 0.
    pub fn run(&mut self, path: &[u8]) -> Result<(), Exit> {
        if self.file_is_manifest(path)? {
            self.check_multi_part(&dirname(path), path)
        } else {
            let preamble = self.file_is_rdb(path)?;
            self.check_old_style(path, preamble)
        }
    }
}

/// The command line; returns the exit status. `input` answers the
/// `--fix` question.
pub fn main_with(args: &[OsString], input: &mut dyn Read, out: &mut dyn Write) -> i32 {
    let arg = |i: usize| args.get(i).map(|a| a.as_bytes()).unwrap_or(b"");
    let parsed = match args.len() {
        2 => Some((false, 0, arg(1))),
        3 if arg(1) == b"--fix" => Some((true, 0, arg(2))),
        4 if arg(1) == b"--truncate-to-timestamp" => {
            let ts = strtol(arg(2), 0);
            if ts.overflow || ts.end != arg(2).len() {
                let _ = out.write_all(b"Invalid timestamp, aborting...\n");
                return 1;
            }
            Some((false, ts.value, arg(3)))
        }
        _ => None,
    };
    let Some((fix, to_timestamp, path)) = parsed else {
        let _ = out.write_all(b"Usage: ");
        let _ = out.write_all(arg(0));
        let _ = out
            .write_all(b" [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n");
        return 1;
    };
    let now_ms = crate::logging::now_ms();
    let mut c = Checker::new(out, input, fix, to_timestamp, now_ms);
    match c.run(path) {
        Ok(()) => 0,
        Err(Exit(code)) => code,
    }
}

/// `main` of the binary (and of `ferrodis-server` started as a checker).
pub fn main(args: &[OsString]) -> i32 {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let code = main_with(args, &mut io::stdin().lock(), &mut out);
    let _ = out.flush();
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static SEQ: AtomicUsize = AtomicUsize::new(0);

    /// A fresh directory holding `files`, removed on drop.
    struct Dir(PathBuf);

    impl Dir {
        fn with(files: &[(&str, &[u8])]) -> Dir {
            let d = std::env::temp_dir().join(format!(
                "ferrodis-check-aof-{}-{}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&d).unwrap();
            for (name, bytes) in files {
                std::fs::write(d.join(name), bytes).unwrap();
            }
            Dir(d)
        }

        fn path(&self, name: &str) -> String {
            self.0.join(name).to_string_lossy().into_owned()
        }

        fn read(&self, name: &str) -> Vec<u8> {
            std::fs::read(self.0.join(name)).unwrap()
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Runs the tool with `args` and `stdin`; (status, output).
    fn run(args: &[&str], stdin: &[u8]) -> (i32, String) {
        let mut argv = vec![OsString::from("ferrodis-check-aof")];
        argv.extend(args.iter().map(OsString::from));
        let mut out = Vec::new();
        let code = main_with(&argv, &mut &stdin[..], &mut out);
        (code, String::from_utf8_lossy(&out).into_owned())
    }

    const SET: &[u8] = b"*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n";

    #[test]
    fn a_valid_plain_aof_is_valid() {
        let d = Dir::with(&[("a.aof", &[SET, SET].concat())]);
        let p = d.path("a.aof");
        let (code, out) = run(&[&p], b"");
        assert_eq!(code, 0);
        assert_eq!(
            out,
            format!(
                "Start checking Old-Style AOF\n\
                 AOF analyzed: filename={p}, size=54, ok_up_to=54, ok_up_to_line=15, diff=0\n\
                 AOF {p} is valid\n"
            )
        );
    }

    #[test]
    fn a_truncated_tail_is_invalid_until_fixed() {
        let full = [SET, SET].concat();
        let d = Dir::with(&[("a.aof", &full[..50])]);
        let p = d.path("a.aof");
        let (code, out) = run(&[&p], b"");
        assert_eq!(code, 1);
        assert!(
            out.contains(&format!(
                "0x              2f: Expected \\r\\n, got: 0d00\n\
             AOF analyzed: filename={p}, size=50, ok_up_to=27, ok_up_to_line=13, diff=23\n"
            )),
            "{out}"
        );
        assert!(out.ends_with(&format!(
            "AOF {p} is not valid. Use the --fix option to try fixing it.\n"
        )));
        // Answering no leaves the file alone.
        let (code, out) = run(&["--fix", &p], b"n\n");
        assert_eq!(code, 1);
        assert!(out.ends_with(&format!(
            "This will shrink the AOF {p} from 50 bytes, with 23 bytes, to 27 bytes\nContinue? [y/N]: Aborting...\n"
        )), "{out}");
        assert_eq!(d.read("a.aof").len(), 50);
        // Yes cuts it to the last whole command.
        let (code, out) = run(&["--fix", &p], b"Y\n");
        assert_eq!(code, 0, "{out}");
        assert!(out.ends_with(&format!(
            "Continue? [y/N]: Successfully truncated AOF {p}\n"
        )));
        assert_eq!(d.read("a.aof"), SET);
        assert_eq!(run(&[&p], b"").0, 0);
    }

    #[test]
    fn errors_report_redis_texts_and_positions() {
        let cases: [(&[u8], &str); 6] = [
            (b"*1\r\n$4\r\nPING\r\n*3", "0x               e: Expected \\r\\n, got: 000a"),
            (b"*1\r\n$4\r\nPINGxx", "0x               8: Expected \\r\\n, got: 7878"),
            (b"*1\r\n$-3\r\nabc\r\n", "0x               4: Expected to read string of -3 bytes, which is not in the suitable range"),
            (b"*1\r\n$4\r\nEXEC\r\n", "0x               8: Unexpected EXEC in AOF "),
            (b"*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nPING\r\n", "0x              17: Reached EOF before reading EXEC for MULTI"),
            (b"*1\r\n$99999999999\r\nab\r\n", "0x              12: Expected to read 100000000001 bytes, got 4 bytes"),
        ];
        for (bytes, want) in cases {
            let d = Dir::with(&[("a.aof", bytes)]);
            let (code, out) = run(&[&d.path("a.aof")], b"");
            assert_eq!(code, 1, "{out}");
            assert!(out.contains(want), "{want}\n{out}");
        }
        // A format error inside MULTI: ok up to the MULTI, no EOF message.
        let d = Dir::with(&[("a.aof", b"*1\r\n$5\r\nMULTI\r\nxyz\r\n")]);
        let p = d.path("a.aof");
        let (_, out) = run(&[&p], b"");
        assert!(out.contains(&format!("AOF {p} format error\nAOF analyzed: filename={p}, size=20, ok_up_to=0, ok_up_to_line=4, diff=20\n")), "{out}");
        // Empty, and argc 0 / -1 accepted as Redis does.
        let d = Dir::with(&[("e.aof", b""), ("z.aof", b"*\r\n*-1\r\n*0\r\n")]);
        assert!(run(&[&d.path("e.aof")], b"").1.ends_with(" is empty\n"));
        assert_eq!(run(&[&d.path("z.aof")], b"").0, 0);
    }

    fn ts_file() -> Vec<u8> {
        [
            &b"#TS:100\r\n"[..],
            SET,
            b"#TS:200\r\n",
            SET,
            b"#TS:300\r\n",
            SET,
        ]
        .concat()
    }

    #[test]
    fn truncate_to_timestamp_cuts_at_the_first_later_annotation() {
        let manifest = b"file a.1.incr.aof seq 1 type i\n";
        let d = Dir::with(&[("m.manifest", manifest), ("a.1.incr.aof", &ts_file())]);
        let m = d.path("m.manifest");
        let (code, out) = run(&["--truncate-to-timestamp", "300", &m], b"");
        assert_eq!(code, 0);
        assert!(out.contains("Truncate nothing in AOF a.1.incr.aof to timestamp 300\nINCR AOF a.1.incr.aof is valid\n"), "{out}");
        let (code, out) = run(&["--truncate-to-timestamp", "250", &m], b"");
        assert_eq!(code, 0);
        assert_eq!(
            out,
            "Start checking Multi Part AOF\nStart to check INCR files.\n\
             Successfully truncated AOF a.1.incr.aof to timestamp 250\n\
             All AOF files and manifest are valid\n"
        );
        assert_eq!(d.read("a.1.incr.aof"), &ts_file()[..9 + 27 + 9 + 27]);
        let (code, out) = run(&["--truncate-to-timestamp", "50", &m], b"");
        assert_eq!(code, 1);
        assert!(out.ends_with(&format!(
            "AOF {} has nothing before timestamp 50, aborting...\n",
            d.path("a.1.incr.aof")
        )));
        assert_eq!(
            run(&["--truncate-to-timestamp", "1x", &m], b"").1,
            "Invalid timestamp, aborting...\n"
        );
    }

    #[test]
    fn only_the_last_file_may_be_cut() {
        let d = Dir::with(&[
            (
                "m.manifest",
                b"file b.aof seq 1 type b\nfile i.aof seq 1 type i\n",
            ),
            ("b.aof", &ts_file()),
            ("i.aof", SET),
        ]);
        let m = d.path("m.manifest");
        let (code, out) = run(&["--truncate-to-timestamp", "150", &m], b"");
        assert_eq!(code, 1);
        assert!(
            out.contains("because it is not the last file.\nIf you insist"),
            "{out}"
        );
        std::fs::write(d.0.join("b.aof"), &SET[..20]).unwrap();
        let (code, out) = run(&["--fix", &m], b"y");
        assert_eq!(code, 1);
        assert!(out.ends_with("Failed to truncate AOF b.aof because it is not the last file\n"));
    }

    #[test]
    fn a_manifest_with_a_missing_file_fails() {
        let d = Dir::with(&[
            (
                "m.manifest",
                b"file a.1.incr.aof seq 1 type i\nfile a.2.incr.aof seq 2 type i\n",
            ),
            ("a.1.incr.aof", SET),
        ]);
        let (code, out) = run(&[&d.path("m.manifest")], b"");
        assert_eq!(code, 1);
        assert!(out.ends_with(&format!(
            "INCR AOF a.1.incr.aof is valid\nCannot open file {}: No such file or directory, aborting...\n",
            d.path("a.2.incr.aof")
        )), "{out}");
    }

    #[test]
    fn a_bad_manifest_is_reported_in_log_lines() {
        let d = Dir::with(&[("m.manifest", b"file a seq 2 type i\nfile b seq 1 type i\n")]);
        let (code, out) = run(&[&d.path("m.manifest")], b"");
        assert_eq!(code, 1);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "Start checking Multi Part AOF");
        assert!(lines[1].ends_with(" # "), "{out}");
        assert_eq!(lines[2], "*** FATAL AOF MANIFEST FILE ERROR ***");
        assert!(
            out.contains("# Reading the manifest file, at line 2\n\n"),
            "{out}"
        );
        assert!(out.contains("# >>> 'file b seq 1 type i'\n\n"), "{out}");
        assert!(
            out.ends_with("# Found a non-monotonic sequence number\n\n"),
            "{out}"
        );
    }

    #[test]
    fn an_rdb_base_is_checked_then_its_tail() {
        let rdb =
            crate::persistence::tests::snapshot(&crate::persistence::tests::sample_dbs(), true);
        let base = [&rdb[..], SET].concat();
        let d = Dir::with(&[
            (
                "m.manifest",
                b"file a.1.base.rdb seq 1 type b\nfile a.1.incr.aof seq 1 type i\n",
            ),
            ("a.1.base.rdb", &base),
            ("a.1.incr.aof", SET),
        ]);
        let (code, out) = run(&[&d.path("m.manifest")], b"");
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("Start checking Multi Part AOF\nStart to check BASE AOF (RDB format).\n[offset 0] Checking RDB file a.1.base.rdb\n"), "{out}");
        assert!(out.contains("RDB preamble is OK, proceeding with AOF tail...\n"));
        assert!(out.contains(&format!(
            "AOF analyzed: filename=a.1.base.rdb, size={}, ok_up_to={}, ok_up_to_line=8, diff=0\nBASE AOF a.1.base.rdb is valid\nStart to check INCR files.\n",
            base.len(),
            base.len()
        )), "{out}");
        // The line count runs on across files.
        assert!(out.contains("ok_up_to_line=15, diff=0\nINCR AOF a.1.incr.aof is valid\nAll AOF files and manifest are valid\n"));
        // A cut preamble cannot be fixed.
        std::fs::write(d.0.join("a.1.base.rdb"), &rdb[..rdb.len() / 2]).unwrap();
        let (code, out) = run(&["--fix", &d.path("m.manifest")], b"y");
        assert_eq!(code, 1);
        assert!(
            out.ends_with("RDB preamble of AOF file is not sane, aborting.\n"),
            "{out}"
        );
    }

    #[test]
    fn usage_and_helpers() {
        let (code, out) = run(&[], b"");
        assert_eq!(code, 1);
        assert_eq!(out, "Usage: ferrodis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n");
        assert_eq!(run(&["--fixx", "a"], b"").0, 1);
        assert_eq!(dirname(b"a.manifest"), b".");
        assert_eq!(dirname(b"/x/y/m"), b"/x/y");
        assert_eq!(dirname(b"/m"), b"/");
        assert_eq!(dirname(b"d//m//"), b"d");
        assert_eq!(hex_char(0x80), "ffffff80");
        let t = strtol(b" -12x", 0);
        assert_eq!((t.value, t.end, t.overflow), (-12, 4, false));
        assert!(strtol(b"99999999999999999999", 0).overflow);
        assert_eq!(strtol(b"\r\n", 0).end, 0);
        assert!(Path::new("/").exists());
    }

    #[test]
    fn random_damage_never_panics() {
        let base = [
            &ts_file()[..],
            b"*1\r\n$5\r\nMULTI\r\n",
            SET,
            b"*1\r\n$4\r\nEXEC\r\n",
        ]
        .concat();
        let mut rng = crate::util::testrng::Rng(0x00c0_ffee_1234_5678);
        let d = Dir::with(&[]);
        for i in 0..300 {
            let mut b = base.clone();
            for _ in 0..1 + rng.below_usize(3) {
                let at = rng.below_usize(b.len());
                match rng.below_usize(3) {
                    0 => b[at] = b"*$#\r\n0129-x\0\x80"[rng.below_usize(13)],
                    1 => b.truncate(at),
                    _ => b.insert(at, rng.next() as u8),
                }
                if b.is_empty() {
                    break;
                }
            }
            let name = format!("f{i}.aof");
            std::fs::write(d.0.join(&name), &b).unwrap();
            let (code, _) = run(&["--fix", &d.path(&name)], b"y");
            assert!(code == 0 || code == 1);
            assert_eq!(run(&[&d.path(&name)], b"").0, 0, "fixed file {i} is valid");
        }
    }
}
