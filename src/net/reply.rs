//! The reply writer: RESP2/RESP3 framing into a client's output buffer
//! (networking.c's addReply* family).
//!
//! Handlers never write RESP by hand and never branch on the protocol: a
//! `Reply` knows whether its client said `HELLO 3` and picks the framing for
//! maps, sets, doubles, nulls and pushes. This is the hot path, so nothing
//! here allocates beyond growing the output buffer.

use crate::util::number::{fmt_f64_g17, fmt_i64, write_i64};

/// Writes replies for one client. `out` is the client's pending output.
pub struct Reply<'a> {
    pub out: &'a mut Vec<u8>,
    pub resp3: bool,
}

/// Where a deferred length header will go (Redis' addReplyDeferredLen).
pub struct Deferred(usize);

impl<'a> Reply<'a> {
    pub fn new(out: &'a mut Vec<u8>, resp3: bool) -> Self {
        Reply { out, resp3 }
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: i64) {
        self.out.push(prefix);
        write_i64(self.out, n);
        self.out.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    #[inline]
    pub fn ok(&mut self) {
        self.out.extend_from_slice(b"+OK\r\n");
    }

    /// A status line; `s` must not contain CR or LF.
    pub fn simple(&mut self, s: &[u8]) {
        self.out.push(b'+');
        self.out.extend_from_slice(s);
        self.out.extend_from_slice(b"\r\n");
    }

    /// An error line. `text` is the full text without '-' (e.g. "ERR ...").
    /// Newlines are replaced by spaces, as Redis does, so the protocol holds.
    pub fn error(&mut self, text: &str) {
        self.error_bytes(text.as_bytes())
    }

    /// `error` for texts holding client bytes that may not be UTF-8.
    pub fn error_bytes(&mut self, text: &[u8]) {
        self.out.push(b'-');
        let start = self.out.len();
        self.out.extend_from_slice(text);
        for b in &mut self.out[start..] {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        self.out.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, n: i64) {
        self.header(b':', n)
    }

    #[inline]
    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len() as i64);
        self.out.extend_from_slice(b);
        self.out.extend_from_slice(b"\r\n");
    }

    /// An integer sent as a bulk string (GET on an `int`-encoded value).
    pub fn bulk_i64(&mut self, n: i64) {
        let mut buf = [0u8; 20];
        let digits = fmt_i64(n, &mut buf);
        self.bulk(digits);
    }

    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    #[inline]
    pub fn null(&mut self) {
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// A missing aggregate: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    #[inline]
    pub fn array_len(&mut self, n: usize) {
        self.header(b'*', n as i64)
    }

    /// RESP2 has no map type, so n pairs go out as a flat array of 2n.
    pub fn map_len(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64)
        } else {
            self.header(b'*', 2 * n as i64)
        }
    }

    pub fn set_len(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64)
    }

    pub fn push_len(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as i64)
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn bool(&mut self, v: bool) {
        if self.resp3 {
            self.out
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// A double: RESP3 `,` type, else a bulk string, both `%.17g` like Redis.
    pub fn double(&mut self, d: f64) {
        let s = fmt_f64_g17(d);
        if self.resp3 {
            self.out.push(b',');
            self.out.extend_from_slice(s.as_bytes());
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s.as_bytes());
        }
    }

    /// A verbatim string (`=` in RESP3, a bulk string in RESP2); `ext` is
    /// the three-letter format such as "txt".
    pub fn verbatim(&mut self, text: &[u8], ext: &str) {
        if self.resp3 {
            self.header(b'=', (text.len() + 4) as i64);
            self.out.extend_from_slice(ext.as_bytes());
            self.out.push(b':');
            self.out.extend_from_slice(text);
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// Bulk strings for each item, framed as an array.
    pub fn bulks<I, T>(&mut self, items: I)
    where
        I: ExactSizeIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.array_len(items.len());
        for it in items {
            self.bulk(it.as_ref());
        }
    }

    /// Start an aggregate whose length is known only after its items.
    pub fn defer_len(&mut self) -> Deferred {
        Deferred(self.out.len())
    }

    fn fill(&mut self, d: Deferred, prefix: u8, n: i64) {
        let mut h = Vec::with_capacity(24);
        h.push(prefix);
        write_i64(&mut h, n);
        h.extend_from_slice(b"\r\n");
        crate::util::splice::insert(self.out, d.0, &h);
    }

    pub fn set_deferred_array(&mut self, d: Deferred, n: usize) {
        self.fill(d, b'*', n as i64)
    }

    pub fn set_deferred_map(&mut self, d: Deferred, n: usize) {
        if self.resp3 {
            self.fill(d, b'%', n as i64)
        } else {
            self.fill(d, b'*', 2 * n as i64)
        }
    }

    pub fn set_deferred_set(&mut self, d: Deferred, n: usize) {
        self.fill(d, if self.resp3 { b'~' } else { b'*' }, n as i64)
    }

    /// Insert already-encoded reply bytes at a deferred position (an item
    /// that must precede others but is known only after them).
    pub fn insert_raw(&mut self, d: Deferred, b: &[u8]) {
        crate::util::splice::insert(self.out, d.0, b);
    }

    /// Raw protocol bytes, for the few replies that are fixed strings.
    pub fn raw(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_framing_differ_only_where_the_types_differ() {
        let mut out = Vec::new();
        let mut r = Reply::new(&mut out, false);
        r.map_len(2);
        r.null();
        r.bool(true);
        assert_eq!(out, b"*4\r\n$-1\r\n:1\r\n");
        let mut out = Vec::new();
        let mut r = Reply::new(&mut out, true);
        r.map_len(2);
        r.null();
        r.bool(true);
        assert_eq!(out, b"%2\r\n_\r\n#t\r\n");
    }

    #[test]
    fn deferred_length_is_written_before_the_items() {
        let mut out = b"+x\r\n".to_vec();
        let mut r = Reply::new(&mut out, false);
        let d = r.defer_len();
        r.bulk(b"a");
        r.int(-5);
        r.set_deferred_array(d, 2);
        assert_eq!(out, b"+x\r\n*2\r\n$1\r\na\r\n:-5\r\n");
    }

    #[test]
    fn error_text_never_breaks_the_protocol() {
        let mut out = Vec::new();
        Reply::new(&mut out, false).error("ERR a\r\nb");
        assert_eq!(out, b"-ERR a  b\r\n");
    }
}
