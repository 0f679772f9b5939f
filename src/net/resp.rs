//! The request parser: RESP multibulk and inline commands, incrementally
//! from a client's query buffer (networking.c's processMultibulkBuffer and
//! processInlineBuffer), with Redis' limits and exact protocol errors.
//!
//! Arguments are `Bytes` split off the query buffer without copying. A
//! partial request leaves its state here (`multibulk_len`, `bulk_len`) so
//! the next read continues where this one stopped.

use bytes::{Buf, Bytes, BytesMut};

use crate::config::split_args;
use crate::util::number::parse_i64;

/// Longest inline request or length line we wait for (PROTO_INLINE_MAX_SIZE).
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;

/// Why a request was refused; `reply()` is the error sent before closing,
/// `log()` the short reason Redis logs.
#[derive(Debug, PartialEq, Eq)]
pub enum ProtoError {
    TooBigInline,
    UnbalancedQuotes,
    TooBigMbulkCount,
    InvalidMbulkLength,
    UnauthMbulkLength,
    TooBigBulkCount,
    ExpectedDollar(u8),
    InvalidBulkLength,
    UnauthBulkLength,
}

impl ProtoError {
    pub fn reply(&self) -> String {
        match self {
            Self::TooBigInline => "ERR Protocol error: too big inline request".into(),
            Self::UnbalancedQuotes => "ERR Protocol error: unbalanced quotes in request".into(),
            Self::TooBigMbulkCount => "ERR Protocol error: too big mbulk count string".into(),
            Self::InvalidMbulkLength => "ERR Protocol error: invalid multibulk length".into(),
            Self::UnauthMbulkLength => {
                "ERR Protocol error: unauthenticated multibulk length".into()
            }
            Self::TooBigBulkCount => "ERR Protocol error: too big bulk count string".into(),
            Self::ExpectedDollar(c) => {
                format!("ERR Protocol error: expected '$', got '{}'", *c as char)
            }
            Self::InvalidBulkLength => "ERR Protocol error: invalid bulk length".into(),
            Self::UnauthBulkLength => "ERR Protocol error: unauthenticated bulk length".into(),
        }
    }

    pub fn log(&self) -> &'static str {
        match self {
            Self::TooBigInline => "too big inline request",
            Self::UnbalancedQuotes => "unbalanced quotes in inline request",
            Self::TooBigMbulkCount => "too big mbulk count string",
            Self::InvalidMbulkLength => "invalid mbulk count",
            Self::UnauthMbulkLength => "unauth mbulk count",
            Self::TooBigBulkCount => "too big bulk count string",
            Self::ExpectedDollar(_) => "expected $ but got something else",
            Self::InvalidBulkLength => "invalid bulk length",
            Self::UnauthBulkLength => "unauth bulk length",
        }
    }
}

/// Limits that depend on the client and the config.
pub struct Limits {
    pub proto_max_bulk_len: i64,
    /// Unauthenticated clients may only send small requests.
    pub auth_required: bool,
    /// Masters are trusted: no bulk length limit.
    pub is_master: bool,
}

/// Parse state kept between reads.
#[derive(Default)]
pub struct Parser {
    /// Arguments still expected in the current multibulk (0 = none started).
    multibulk_len: i64,
    /// Length of the bulk being read, or -1 if its `$` line is still due.
    bulk_len: i64,
    pub argv: Vec<Bytes>,
    /// The request in progress is inline (`INLINE` vs `MULTIBULK`).
    pub inline: bool,
}

pub enum Parsed {
    /// `argv` holds a complete command (possibly empty: skip it).
    Command,
    /// More bytes are needed.
    Incomplete,
}

impl Parser {
    pub fn new() -> Parser {
        Parser {
            multibulk_len: 0,
            bulk_len: -1,
            argv: Vec::new(),
            inline: false,
        }
    }

    /// True while a request is half read (CLIENT LIST `qbuf`, querybuf limits).
    pub fn in_progress(&self) -> bool {
        self.multibulk_len > 0
    }

    /// Bytes still missing from the bulk being read, if known: lets the
    /// reader size its next read for a big argument.
    pub fn pending_bulk(&self) -> Option<usize> {
        (self.multibulk_len > 0 && self.bulk_len >= 0).then(|| self.bulk_len as usize + 2)
    }

    /// Consume the next request from `buf` into `self.argv`.
    pub fn parse(&mut self, buf: &mut BytesMut, lim: &Limits) -> Result<Parsed, ProtoError> {
        if self.multibulk_len == 0 {
            self.argv.clear();
            match buf.first() {
                None => return Ok(Parsed::Incomplete),
                Some(b'*') => self.inline = false,
                Some(_) => {
                    self.inline = true;
                    return self.parse_inline(buf);
                }
            }
        }
        self.parse_multibulk(buf, lim)
    }

    fn parse_inline(&mut self, buf: &mut BytesMut) -> Result<Parsed, ProtoError> {
        let Some(nl) = find_in_cstr(b'\n', buf) else {
            if buf.len() > PROTO_INLINE_MAX_SIZE {
                return Err(ProtoError::TooBigInline);
            }
            return Ok(Parsed::Incomplete);
        };
        let end = if nl > 0 && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let plain = !buf[..end]
            .iter()
            .any(|&c| matches!(c, b'"' | b'\'' | 0 | 0x0b | 0x0c));
        if plain {
            // No quoting: the arguments are slices of the line (no copies).
            let line = buf.split_to(nl + 1).freeze();
            let mut i = 0;
            while i < end {
                if is_space(line[i]) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < end && !is_space(line[i]) {
                    i += 1;
                }
                self.argv.push(line.slice(start..i));
            }
            return Ok(Parsed::Command);
        }
        let args = split_args(&buf[..end]).ok_or(ProtoError::UnbalancedQuotes)?;
        buf.advance(nl + 1);
        self.argv.extend(args.into_iter().map(Bytes::from));
        Ok(Parsed::Command)
    }

    fn parse_multibulk(&mut self, buf: &mut BytesMut, lim: &Limits) -> Result<Parsed, ProtoError> {
        if self.multibulk_len == 0 {
            let Some(cr) = find_in_cstr(b'\r', buf) else {
                if buf.len() > PROTO_INLINE_MAX_SIZE {
                    return Err(ProtoError::TooBigMbulkCount);
                }
                return Ok(Parsed::Incomplete);
            };
            if cr + 2 > buf.len() {
                return Ok(Parsed::Incomplete);
            }
            let n = match parse_i64(&buf[1..cr]) {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => return Err(ProtoError::InvalidMbulkLength),
            };
            if n > 10 && lim.auth_required {
                return Err(ProtoError::UnauthMbulkLength);
            }
            buf.advance(cr + 2);
            if n <= 0 {
                return Ok(Parsed::Command);
            }
            self.multibulk_len = n;
            self.bulk_len = -1;
            // Don't trust the count for the allocation: grow as args arrive.
            self.argv.reserve(n.min(1024) as usize);
        }
        while self.multibulk_len > 0 {
            if self.bulk_len == -1 {
                let Some(cr) = find_in_cstr(b'\r', buf) else {
                    if buf.len() > PROTO_INLINE_MAX_SIZE {
                        return Err(ProtoError::TooBigBulkCount);
                    }
                    return Ok(Parsed::Incomplete);
                };
                if cr + 2 > buf.len() {
                    return Ok(Parsed::Incomplete);
                }
                if buf[0] != b'$' {
                    return Err(ProtoError::ExpectedDollar(buf[0]));
                }
                let n = match parse_i64(&buf[1..cr]) {
                    Some(n) if n >= 0 && (lim.is_master || n <= lim.proto_max_bulk_len) => n,
                    _ => return Err(ProtoError::InvalidBulkLength),
                };
                if n > 16384 && lim.auth_required {
                    return Err(ProtoError::UnauthBulkLength);
                }
                buf.advance(cr + 2);
                self.bulk_len = n;
            }
            let need = self.bulk_len as usize + 2;
            if buf.len() < need {
                return Ok(Parsed::Incomplete);
            }
            let arg = buf.split_to(self.bulk_len as usize).freeze();
            // Like Redis, the two bytes after the bulk are skipped unchecked.
            buf.advance(2);
            self.argv.push(arg);
            self.bulk_len = -1;
            self.multibulk_len -= 1;
        }
        Ok(Parsed::Command)
    }
}

/// Position of `c` in `buf` as C's strchr sees it: Redis searches its
/// query buffer as a C string, so a NUL before `c` hides it.
#[inline]
fn find_in_cstr(c: u8, buf: &[u8]) -> Option<usize> {
    match memchr::memchr2(c, 0, buf) {
        Some(i) if buf[i] == c => Some(i),
        _ => None,
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim() -> Limits {
        Limits {
            proto_max_bulk_len: 512 * 1024 * 1024,
            auth_required: false,
            is_master: false,
        }
    }

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtoError> {
        let mut buf = BytesMut::from(input);
        let mut p = Parser::new();
        let mut cmds = Vec::new();
        loop {
            match p.parse(&mut buf, &lim())? {
                Parsed::Command => cmds.push(p.argv.iter().map(|a| a.to_vec()).collect()),
                Parsed::Incomplete => return Ok(cmds),
            }
        }
    }

    #[test]
    fn multibulk_split_across_reads_completes_later() {
        let mut p = Parser::new();
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$3\r\nf"[..]);
        assert!(matches!(p.parse(&mut buf, &lim()), Ok(Parsed::Incomplete)));
        buf.extend_from_slice(b"oo\r\n");
        assert!(matches!(p.parse(&mut buf, &lim()), Ok(Parsed::Command)));
        assert_eq!(p.argv, vec![Bytes::from("GET"), Bytes::from("foo")]);
        assert!(buf.is_empty());
    }

    #[test]
    fn inline_commands_and_quotes() {
        let cmds = parse_all(b"set a \"b c\\x41\"\r\nping\n\r\n").unwrap();
        assert_eq!(
            cmds[0],
            vec![b"set".to_vec(), b"a".to_vec(), b"b cA".to_vec()]
        );
        assert_eq!(cmds[1], vec![b"ping".to_vec()]);
        assert!(cmds[2].is_empty());
        assert_eq!(parse_all(b"set \"a\r\n"), Err(ProtoError::UnbalancedQuotes));
        assert_eq!(
            parse_all(b"set 'a'b\r\n"),
            Err(ProtoError::UnbalancedQuotes)
        );
    }

    #[test]
    fn bad_lengths_get_redis_errors() {
        assert_eq!(
            parse_all(b"*3000000000\r\n"),
            Err(ProtoError::InvalidMbulkLength)
        );
        assert_eq!(parse_all(b"*x\r\n"), Err(ProtoError::InvalidMbulkLength));
        assert_eq!(
            parse_all(b"*1\r\n$-1\r\n"),
            Err(ProtoError::InvalidBulkLength)
        );
        assert_eq!(
            parse_all(b"*1\r\nfoo\r\n"),
            Err(ProtoError::ExpectedDollar(b'f'))
        );
        assert_eq!(
            parse_all(b"*1\r\n$600000000\r\n"),
            Err(ProtoError::InvalidBulkLength)
        );
        // A zero or negative count is an empty request, not an error.
        assert!(parse_all(b"*0\r\n*-5\r\n")
            .unwrap()
            .iter()
            .all(|c| c.is_empty()));
    }

    #[test]
    fn huge_lines_without_terminator_are_refused() {
        let big = vec![b'a'; PROTO_INLINE_MAX_SIZE + 1];
        assert_eq!(parse_all(&big), Err(ProtoError::TooBigInline));
        let mut mb = b"*".to_vec();
        mb.extend_from_slice(&big);
        assert_eq!(parse_all(&mb), Err(ProtoError::TooBigMbulkCount));
    }

    #[test]
    fn random_bytes_never_panic_and_always_make_progress() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // Biased towards protocol characters so the parser gets deep.
        let alphabet = b"*$\r\n0123456789-+ \"'\\xabc\0";
        for _ in 0..20_000 {
            let len = (next() % 64) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let mut buf = BytesMut::from(&input[..]);
            let mut p = Parser::new();
            for _ in 0..100 {
                let before = buf.len();
                match p.parse(&mut buf, &lim()) {
                    Ok(Parsed::Command) => assert!(buf.len() < before || before == 0),
                    Ok(Parsed::Incomplete) | Err(_) => break,
                }
            }
        }
    }

    #[test]
    fn unauthenticated_clients_get_small_limits() {
        let l = Limits {
            auth_required: true,
            ..lim()
        };
        let mut p = Parser::new();
        let mut buf = BytesMut::from(&b"*20\r\n"[..]);
        assert_eq!(
            p.parse(&mut buf, &l).err(),
            Some(ProtoError::UnauthMbulkLength)
        );
    }
}
