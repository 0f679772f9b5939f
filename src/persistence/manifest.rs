//! The multi-part AOF manifest (Redis 7.0 aof.c, "AOF manifest file
//! implementation"): which files of `appenddirname` make up the AOF.
//!
//! One line per file, space separated key/value pairs, read with
//! sdssplitargs so a quoted name works:
//!
//! ```text
//! file appendonly.aof.2.base.rdb seq 2 type b
//! file appendonly.aof.1.incr.aof seq 1 type h
//! file appendonly.aof.3.incr.aof seq 3 type i
//! ```
//!
//! * `b` BASE: the snapshot written by the last rewrite (at most one, first);
//! * `h` HISTORY: files a rewrite made obsolete, deleted in the background
//!   unless `aof-disable-auto-gc`;
//! * `i` INCR: the commands since, in increasing `seq` order.
//!
//! Names: `<appendfilename>.<seq>.base.rdb|aof`, `<appendfilename>.<seq>.incr.aof`.
//! Extra key/value pairs are ignored (forward compatibility); lines starting
//! with `#` are comments. Writing goes through a temp file, fsync, rename and
//! a directory fsync, so the manifest on disk is always a whole one.

use std::fmt::Write as _;

/// One file of the AOF set (aofInfo).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofInfo {
    pub name: String,
    pub seq: i64,
    pub kind: u8,
}

pub const TYPE_BASE: u8 = b'b';
pub const TYPE_HIST: u8 = b'h';
pub const TYPE_INCR: u8 = b'i';

/// The manifest in memory (aofManifest).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofInfo>,
    pub incrs: Vec<AofInfo>,
    pub history: Vec<AofInfo>,
    pub curr_base_seq: i64,
    pub curr_incr_seq: i64,
    /// Changed since last persisted.
    pub dirty: bool,
}

/// Why a manifest was refused: Redis' message, and the offending line
/// (number and trimmed text) when there is one.
#[derive(Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub line: Option<(usize, String)>,
    pub msg: &'static str,
}

/// fgets' buffer in aofLoadManifestFromFile: a longer line is refused.
const MANIFEST_MAX_LINE: usize = 1024;

impl Manifest {
    /// Parse a manifest's bytes with Redis' checks, in Redis' order.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut maxseq = 0i64;
        let mut linenum = 0usize;
        let mut rest = text;
        if text.is_empty() {
            return Err(ManifestError {
                line: None,
                msg: "Found an empty AOF manifest",
            });
        }
        while !rest.is_empty() {
            // fgets reads at most MANIFEST_MAX_LINE bytes per call.
            let nl = rest.iter().position(|&b| b == b'\n');
            let take = match nl {
                Some(i) if i < MANIFEST_MAX_LINE => i + 1,
                _ => rest.len().min(MANIFEST_MAX_LINE),
            };
            let raw = &rest[..take];
            rest = &rest[take..];
            linenum += 1;
            if raw.first() == Some(&b'#') {
                continue;
            }
            let trimmed = trim(raw);
            let text_line = String::from_utf8_lossy(trimmed).into_owned();
            let err = |msg| ManifestError {
                line: Some((linenum, text_line.clone())),
                msg,
            };
            if !raw.contains(&b'\n') {
                // Refused before Redis keeps the line: no line in the report.
                return Err(ManifestError {
                    line: None,
                    msg: "The AOF manifest file contains too long line",
                });
            }
            if trimmed.is_empty() {
                return Err(err("Invalid AOF manifest file format"));
            }
            let argv = match crate::config::split_args(trimmed) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return Err(err("Invalid AOF manifest file format")),
            };
            let (mut name, mut seq, mut kind) = (None, 0i64, 0u8);
            for pair in argv.chunks_exact(2) {
                let (k, v) = (&pair[0], &pair[1]);
                if k.eq_ignore_ascii_case(b"file") {
                    let n = String::from_utf8_lossy(v).into_owned();
                    if n.contains('/') || n.contains('\\') {
                        return Err(err("File can't be a path, just a filename"));
                    }
                    name = Some(n);
                } else if k.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(v);
                } else if k.eq_ignore_ascii_case(b"type") {
                    kind = v.first().copied().unwrap_or(0);
                }
            }
            let name = match name {
                Some(n) if !n.is_empty() && seq != 0 && kind != 0 => n,
                _ => return Err(err("Invalid AOF manifest file format")),
            };
            let info = AofInfo { name, seq, kind };
            match kind {
                TYPE_BASE => {
                    if m.base.is_some() {
                        return Err(err("Found duplicate base file information"));
                    }
                    m.curr_base_seq = seq;
                    m.base = Some(info);
                }
                TYPE_HIST => m.history.push(info),
                TYPE_INCR => {
                    if seq <= maxseq {
                        return Err(err("Found a non-monotonic sequence number"));
                    }
                    m.curr_incr_seq = seq;
                    maxseq = seq;
                    m.incrs.push(info);
                }
                _ => return Err(err("Unknown AOF file type")),
            }
        }
        Ok(m)
    }

    /// The manifest text: base, then history, then incr files.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let all = self.base.iter().chain(&self.history).chain(&self.incrs);
        for ai in all {
            let needs_repr = ai
                .name
                .bytes()
                .any(|c| matches!(c, b'\\' | b'"') || !(0x21..=0x7e).contains(&c));
            let name = if needs_repr {
                crate::config::repr(ai.name.as_bytes())
            } else {
                ai.name.clone()
            };
            let _ = writeln!(s, "file {} seq {} type {}", name, ai.seq, ai.kind as char);
        }
        s
    }

    /// A new BASE name; the current base, if any, becomes history
    /// (getNewBaseFileNameAndMarkPreAsHistory).
    pub fn new_base(&mut self, filename: &str, rdb_preamble: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = TYPE_HIST;
            self.history.insert(0, old);
        }
        self.curr_base_seq += 1;
        let suffix = if rdb_preamble { ".rdb" } else { ".aof" };
        let name = format!("{filename}.{}.base{suffix}", self.curr_base_seq);
        self.base = Some(AofInfo {
            name: name.clone(),
            seq: self.curr_base_seq,
            kind: TYPE_BASE,
        });
        self.dirty = true;
        name
    }

    /// A new INCR name, appended to the incr list (getNewIncrAofName).
    pub fn new_incr(&mut self, filename: &str) -> String {
        self.curr_incr_seq += 1;
        let name = format!("{filename}.{}.incr.aof", self.curr_incr_seq);
        self.incrs.push(AofInfo {
            name: name.clone(),
            seq: self.curr_incr_seq,
            kind: TYPE_INCR,
        });
        self.dirty = true;
        name
    }

    /// The last INCR name, or a new one when there is none (getLastIncrAofName).
    pub fn last_incr_or_new(&mut self, filename: &str) -> String {
        match self.incrs.last() {
            Some(ai) => ai.name.clone(),
            None => self.new_incr(filename),
        }
    }

    /// After a rewrite, every INCR but the one being written (when
    /// `keep_last`) becomes history (markRewrittenIncrAofAsHistory).
    pub fn mark_rewritten_incrs_as_history(&mut self, keep_last: bool) {
        if self.incrs.is_empty() {
            return;
        }
        let keep = usize::from(keep_last);
        let cut = self.incrs.len().saturating_sub(keep);
        let moved: Vec<AofInfo> = self.incrs.drain(..cut).collect();
        // Redis walks from the tail inserting at the head: the order stays.
        for (i, mut ai) in moved.into_iter().enumerate() {
            ai.kind = TYPE_HIST;
            self.history.insert(i, ai);
        }
        self.dirty = true;
    }

    /// Base and incr files, in loading order.
    pub fn load_order(&self) -> Vec<&AofInfo> {
        self.base.iter().chain(&self.incrs).collect()
    }
}

/// C's atoll: optional sign, digits, stops at the first other byte.
fn atoll(b: &[u8]) -> i64 {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut n: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg {
        n.wrapping_neg()
    } else {
        n
    }
}

/// sdstrim(line, " \t\r\n").
fn trim(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |i| i + 1);
    &b[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(s.as_bytes())
    }

    #[test]
    fn parses_and_renders_the_redis_example() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type h\n\
                    file appendonly.aof.2.incr.aof seq 2 type h\n\
                    file appendonly.aof.3.incr.aof seq 3 type i\n\
                    file appendonly.aof.4.incr.aof seq 4 type i\n";
        let m = parse(text).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
        assert_eq!(m.history.len(), 2);
        assert_eq!(m.incrs.len(), 2);
        assert_eq!((m.curr_base_seq, m.curr_incr_seq), (2, 4));
        assert_eq!(m.render(), text);
    }

    #[test]
    fn comments_and_extra_pairs_are_accepted() {
        let m = parse("# hello\nfile a.1.incr.aof seq 1 type i newkey newvalue\n").unwrap();
        assert_eq!(m.incrs[0].name, "a.1.incr.aof");
    }

    #[test]
    fn refuses_what_redis_refuses() {
        let msg = |s: &str| parse(s).unwrap_err().msg;
        assert_eq!(msg(""), "Found an empty AOF manifest");
        assert_eq!(
            msg("file a seq 1 type i\n\nfile b seq 3 type i\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            msg("file a seq 2 type i\nfile b seq 1 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(
            msg("file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(msg("file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(
            msg("file dir/a seq 1 type i\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(msg("file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(
            msg("file a seq 0 type i\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            msg("file \"a seq 1 type i\n"),
            "Invalid AOF manifest file format"
        );
        let long = format!("file {} seq 1 type i\n", "x".repeat(1100));
        assert_eq!(msg(&long), "The AOF manifest file contains too long line");
        assert_eq!(parse(&long).unwrap_err().line, None);
        // A last line without a newline is "too long" too, as fgets sees it.
        assert_eq!(
            msg("file a seq 1 type i"),
            "The AOF manifest file contains too long line"
        );
        let e = parse("file a seq 1 type i\n\n").unwrap_err();
        assert_eq!(e.line, Some((2, String::new())));
    }

    #[test]
    fn names_needing_quotes_round_trip() {
        let mut m = Manifest::default();
        m.incrs.push(AofInfo {
            name: "a b\n.aof".into(),
            seq: 1,
            kind: TYPE_INCR,
        });
        let text = m.render();
        assert_eq!(text, "file \"a b\\n.aof\" seq 1 type i\n");
        assert_eq!(parse(&text).unwrap().incrs[0].name, "a b\n.aof");
    }

    #[test]
    fn rewrite_bookkeeping_moves_files_to_history() {
        let mut m = Manifest::default();
        assert_eq!(m.last_incr_or_new("x.aof"), "x.aof.1.incr.aof");
        assert_eq!(m.new_base("x.aof", true), "x.aof.1.base.rdb");
        assert_eq!(m.new_incr("x.aof"), "x.aof.2.incr.aof");
        m.mark_rewritten_incrs_as_history(true);
        assert_eq!(m.new_base("x.aof", false), "x.aof.2.base.aof");
        assert_eq!(
            m.render(),
            "file x.aof.2.base.aof seq 2 type b\n\
             file x.aof.1.base.rdb seq 1 type h\n\
             file x.aof.1.incr.aof seq 1 type h\n\
             file x.aof.2.incr.aof seq 2 type i\n"
        );
        m.mark_rewritten_incrs_as_history(false);
        assert!(m.incrs.is_empty());
        assert_eq!(m.history.len(), 3);
    }
}
