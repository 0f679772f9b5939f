//! The RDB byte format's building blocks (rdb.h and the low half of
//! rdb.c): opcodes and type bytes, the length and string encodings, and a
//! bounds-checked reader plus a checksumming writer used by the value
//! codecs (`save.rs`, `load.rs`) and by DUMP/RESTORE (`dump.rs`).
//!
//! ```text
//! file    := "REDIS" 4-digit-version  item*  0xFF  crc64(8 bytes LE, v>=5)
//! item    := 0xFA aux-key aux-value            AUX
//!          | 0xFE len                          SELECTDB
//!          | 0xFB len len                      RESIZEDB (keys, expires)
//!          | 0xFC ms(8 bytes LE)               EXPIRETIME_MS (next key)
//!          | 0xFD secs(4 bytes LE)             EXPIRETIME (old, seconds)
//!          | 0xF8 len                          IDLE seconds (next key)
//!          | 0xF9 byte                         FREQ, LFU counter (next key)
//!          | 0xF5 / 0xF6 ...                   FUNCTION2 / FUNCTION (refused)
//!          | 0xF7 ...                          MODULE_AUX (refused)
//!          | type string(key) value
//! len     := 00xxxxxx | 01xxxxxx xxxxxxxx (big endian 14 bits)
//!          | 0x80 u32 BE | 0x81 u64 BE
//!          | 11xxxxxx  "encoded" string follows: 0 int8, 1 int16, 2 int32
//!            (little endian), 3 LZF (len compressed, len raw, bytes)
//! string  := len bytes | encoded
//! ```
//!
//! Invariant of the reader: it never indexes past its slice and never
//! allocates a claimed size that the remaining input could not hold; every
//! failure is an `RdbError`, never a panic.

use std::fmt;
use std::io::{self, Write};

use super::crc64::crc64;
use crate::util::lzf;
use crate::util::number::{parse_i64, write_i64};

/// The version this server writes (Redis 7.0's RDB_VERSION).
pub const RDB_VERSION: u16 = 10;

// Value types (RDB_TYPE_*).
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE_PRE_GA: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;

// Opcodes (RDB_OPCODE_*), all above the value types.
pub const OPCODE_FUNCTION2: u8 = 245;
pub const OPCODE_FUNCTION: u8 = 246;
pub const OPCODE_MODULE_AUX: u8 = 247;
pub const OPCODE_IDLE: u8 = 248;
pub const OPCODE_FREQ: u8 = 249;
pub const OPCODE_AUX: u8 = 250;
pub const OPCODE_RESIZEDB: u8 = 251;
pub const OPCODE_EXPIRETIME_MS: u8 = 252;
pub const OPCODE_EXPIRETIME: u8 = 253;
pub const OPCODE_SELECTDB: u8 = 254;
pub const OPCODE_EOF: u8 = 255;

// Quicklist node containers in RDB_TYPE_LIST_QUICKLIST_2.
pub const CONTAINER_PLAIN: u64 = 1;
pub const CONTAINER_PACKED: u64 = 2;

// Length prefixes.
const LEN_6BIT: u8 = 0;
const LEN_14BIT: u8 = 1;
const LEN_32BIT: u8 = 0x80;
const LEN_64BIT: u8 = 0x81;
const ENCVAL: u8 = 3;
const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Whether a type byte names a value (as opposed to an opcode or garbage):
/// rdbIsObjectType.
pub fn is_object_type(t: u8) -> bool {
    matches!(t, 0..=7 | 9..=19)
}

/// Why a load failed.
#[derive(Debug)]
pub enum RdbError {
    /// The input ended early (Redis: "Unexpected EOF reading RDB file").
    Eof,
    /// The input is malformed; the text is Redis' log line where it has one.
    Corrupt(String),
    /// Valid input this server cannot hold (modules, functions, streams).
    Unsupported(String),
    /// Not an RDB file / a version we cannot read: loading refuses before
    /// touching the dataset.
    BadHeader(String),
    Io(io::Error),
    /// An error of a whole-file load with the file offset where it
    /// happened (the "reading offset" of Redis' log line).
    At(usize, Box<RdbError>),
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::Eof => f.write_str("Unexpected EOF reading RDB file"),
            RdbError::Corrupt(s) | RdbError::Unsupported(s) | RdbError::BadHeader(s) => {
                f.write_str(s)
            }
            RdbError::Io(e) => write!(f, "{e}"),
            RdbError::At(_, e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for RdbError {
    fn from(e: io::Error) -> Self {
        RdbError::Io(e)
    }
}

pub type Result<T> = std::result::Result<T, RdbError>;

pub fn corrupt<T>(msg: impl Into<String>) -> Result<T> {
    Err(RdbError::Corrupt(msg.into()))
}

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

/// Writes RDB items to `out`, keeping the running CRC64 (when enabled) and
/// the byte count (DEBUG OBJECT's serializedlength uses a sink).
pub struct Writer<W: Write> {
    out: W,
    crc: u64,
    checksum: bool,
    /// Try LZF on strings longer than 20 bytes (`rdbcompression`).
    pub compress: bool,
    pub written: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, compress: bool, checksum: bool) -> Self {
        Writer {
            out,
            crc: 0,
            checksum,
            compress,
            written: 0,
        }
    }

    pub fn crc(&self) -> u64 {
        self.crc
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn raw(&mut self, b: &[u8]) -> io::Result<()> {
        if self.checksum {
            self.crc = crc64(self.crc, b);
        }
        self.written += b.len() as u64;
        self.out.write_all(b)
    }

    pub fn byte(&mut self, b: u8) -> io::Result<()> {
        self.raw(&[b])
    }

    /// rdbSaveLen: the shortest of the four length forms.
    pub fn len(&mut self, n: u64) -> io::Result<()> {
        if n < 1 << 6 {
            self.byte((LEN_6BIT << 6) | n as u8)
        } else if n < 1 << 14 {
            self.raw(&[(LEN_14BIT << 6) | (n >> 8) as u8, n as u8])
        } else if n <= u32::MAX as u64 {
            self.byte(LEN_32BIT)?;
            self.raw(&(n as u32).to_be_bytes())
        } else {
            self.byte(LEN_64BIT)?;
            self.raw(&n.to_be_bytes())
        }
    }

    /// rdbSaveRawString: an integer-looking short string as int8/16/32,
    /// else LZF when enabled and worth it, else verbatim.
    pub fn string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            if let Some(v) = parse_i64(s) {
                if self.int_encoded(v)? {
                    return Ok(());
                }
            }
        }
        if self.compress && s.len() > 20 {
            // At least four bytes must be saved for LZF to be worth it.
            if let Some(c) = lzf::compress(s, s.len() - 4) {
                return self.lzf_blob(&c, s.len());
            }
        }
        self.len(s.len() as u64)?;
        self.raw(s)
    }

    /// rdbSaveLongLongAsStringObject: an `int`-encoded string value.
    pub fn int_string(&mut self, v: i64) -> io::Result<()> {
        if self.int_encoded(v)? {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(20);
        write_i64(&mut buf, v);
        self.len(buf.len() as u64)?;
        self.raw(&buf)
    }

    /// Writes `v` in the integer string encodings when it fits 32 bits.
    fn int_encoded(&mut self, v: i64) -> io::Result<bool> {
        let enc = |t: u8| (ENCVAL << 6) | t;
        if let Ok(b) = i8::try_from(v) {
            self.raw(&[enc(ENC_INT8), b as u8])?;
        } else if let Ok(h) = i16::try_from(v) {
            let b = h.to_le_bytes();
            self.raw(&[enc(ENC_INT16), b[0], b[1]])?;
        } else if let Ok(w) = i32::try_from(v) {
            self.byte(enc(ENC_INT32))?;
            self.raw(&w.to_le_bytes())?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// rdbSaveLzfBlob: data already LZF-compressed (quicklist nodes).
    pub fn lzf_blob(&mut self, compressed: &[u8], raw_len: usize) -> io::Result<()> {
        self.byte((ENCVAL << 6) | ENC_LZF)?;
        self.len(compressed.len() as u64)?;
        self.len(raw_len as u64)?;
        self.raw(compressed)
    }

    /// rdbSaveBinaryDoubleValue: 8 bytes, little endian.
    pub fn binary_double(&mut self, v: f64) -> io::Result<()> {
        self.raw(&v.to_le_bytes())
    }

    pub fn millis(&mut self, ms: i64) -> io::Result<()> {
        self.raw(&ms.to_le_bytes())
    }

    pub fn aux(&mut self, key: &str, val: &[u8]) -> io::Result<()> {
        self.byte(OPCODE_AUX)?;
        self.string(key.as_bytes())?;
        self.string(val)
    }
}

// ---------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------

/// A cursor over RDB bytes (a whole file or a DUMP payload).
pub struct Reader<'a> {
    buf: &'a [u8],
    pub pos: usize,
}

/// What a length prefix announced.
pub enum Len {
    Plain(u64),
    /// One of the 11xxxxxx special string encodings.
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The whole input, consumed or not (a checker re-reads a value).
    pub fn input(&self) -> &'a [u8] {
        self.buf
    }

    /// Everything consumed so far (the CRC covers it).
    pub fn consumed(&self) -> &'a [u8] {
        &self.buf[..self.pos]
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(RdbError::Eof);
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// rdbLoadLenByRef.
    pub fn len_or_enc(&mut self) -> Result<Len> {
        let b = self.u8()?;
        match b >> 6 {
            0 => Ok(Len::Plain((b & 0x3f) as u64)),
            1 => Ok(Len::Plain((((b & 0x3f) as u64) << 8) | self.u8()? as u64)),
            3 => Ok(Len::Encoded(b & 0x3f)),
            _ => match b {
                LEN_32BIT => Ok(Len::Plain(u32::from_be_bytes(self.array()?) as u64)),
                LEN_64BIT => Ok(Len::Plain(u64::from_be_bytes(self.array()?))),
                // Redis names the two-bit prefix (always 2 here), not the byte.
                _ => corrupt(format!(
                    "Unknown length encoding {} in rdbLoadLen()",
                    b >> 6
                )),
            },
        }
    }

    /// A length where an encoded string is not allowed.
    pub fn length(&mut self) -> Result<u64> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => corrupt("Unexpected string encoding where a length was expected"),
        }
    }

    /// A count of items that each take at least `min_item` bytes: refused
    /// when the rest of the input could not hold that many, so no caller
    /// pre-sizes a collection from a hostile count.
    pub fn count(&mut self, min_item: usize) -> Result<usize> {
        let n = self.length()?;
        if n > (self.remaining() / min_item.max(1)) as u64 {
            return Err(RdbError::Eof);
        }
        Ok(n as usize)
    }

    /// rdbGenericLoadStringObject: the string's bytes, whatever the encoding.
    pub fn string(&mut self) -> Result<Vec<u8>> {
        match self.len_or_enc()? {
            Len::Plain(n) => {
                if n > self.remaining() as u64 {
                    return Err(RdbError::Eof);
                }
                Ok(self.take(n as usize)?.to_vec())
            }
            Len::Encoded(ENC_LZF) => self.lzf(),
            Len::Encoded(e) => {
                let mut out = Vec::with_capacity(20);
                write_i64(&mut out, self.encoded_int(e)?);
                Ok(out)
            }
        }
    }

    /// A string value as Redis keeps it: an int-encoded RDB string comes
    /// back as the integer, anything else as bytes.
    pub fn string_or_int(&mut self) -> Result<StrOrInt> {
        let save = self.pos;
        if let Len::Encoded(e) = self.len_or_enc()? {
            if e != ENC_LZF {
                return Ok(StrOrInt::Int(self.encoded_int(e)?));
            }
        }
        self.pos = save;
        Ok(StrOrInt::Bytes(self.string()?))
    }

    fn encoded_int(&mut self, enc: u8) -> Result<i64> {
        match enc {
            ENC_INT8 => Ok(self.u8()? as i8 as i64),
            ENC_INT16 => Ok(i16::from_le_bytes(self.array()?) as i64),
            ENC_INT32 => Ok(i32::from_le_bytes(self.array()?) as i64),
            _ => corrupt(format!("Unknown RDB string encoding type {enc}")),
        }
    }

    /// rdbLoadLzfStringObject. LZF expands at most ~88x (a 3-byte back
    /// reference yields 264 bytes), so a raw size beyond that is a lie and
    /// refused before allocating it.
    fn lzf(&mut self) -> Result<Vec<u8>> {
        let clen = self.length()?;
        let ulen = self.length()?;
        if clen > self.remaining() as u64 {
            return Err(RdbError::Eof);
        }
        let data = self.take(clen as usize)?;
        if ulen == 0 || ulen > clen.saturating_mul(90) {
            return corrupt("Invalid LZF compressed string");
        }
        match lzf::decompress(data, ulen as usize) {
            Some(v) => Ok(v),
            None => corrupt("Invalid LZF compressed string"),
        }
    }

    /// rdbLoadBinaryDoubleValue.
    pub fn binary_double(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// rdbLoadDoubleValue: the old text form (length byte, with 253 = NaN,
    /// 254 = +inf, 255 = -inf).
    pub fn text_double(&mut self) -> Result<f64> {
        match self.u8()? {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            n => {
                let s = self.take(n as usize)?;
                let text = std::str::from_utf8(s).unwrap_or("");
                Ok(crate::util::number::parse_f64(s)
                    .or_else(|| text.trim().parse::<f64>().ok())
                    .unwrap_or(0.0))
            }
        }
    }

    pub fn millis(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub fn secs(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }
}

/// A string read from RDB, keeping int encoding where the file had it.
pub enum StrOrInt {
    Bytes(Vec<u8>),
    Int(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), true, true);
        f(&mut w).unwrap();
        w.into_inner()
    }

    #[test]
    fn lengths_use_the_shortest_form_and_read_back() {
        let cases: [(u64, &[u8]); 5] = [
            (10, &[10]),
            (63, &[63]),
            (64, &[0x40, 64]),
            (16384, &[0x80, 0, 0, 0x40, 0]),
            (1 << 33, &[0x81, 0, 0, 0, 2, 0, 0, 0, 0]),
        ];
        for (n, bytes) in cases {
            let b = written(|w| w.len(n));
            assert_eq!(b, bytes, "{n}");
            assert_eq!(Reader::new(&b).length().unwrap(), n);
        }
    }

    #[test]
    fn strings_pick_int_lzf_or_raw_like_redis() {
        // Integers of 8/16/32 bits.
        assert_eq!(written(|w| w.string(b"-5")), [0xc0, 0xfb]);
        assert_eq!(written(|w| w.string(b"300")), [0xc1, 0x2c, 0x01]);
        assert_eq!(written(|w| w.string(b"70000")), [0xc2, 0x70, 0x11, 1, 0]);
        // Not canonical or too big: verbatim.
        assert_eq!(written(|w| w.string(b"007")), [3, b'0', b'0', b'7']);
        assert_eq!(written(|w| w.string(b"4294967296"))[0], 10);
        let long = vec![b'a'; 100];
        let b = written(|w| w.string(&long));
        assert_eq!(b[0], 0xc3);
        assert_eq!(Reader::new(&b).string().unwrap(), long);
        for s in [&b"hello"[..], b"", b"12345678901234567890"] {
            let b = written(|w| w.string(s));
            assert_eq!(Reader::new(&b).string().unwrap(), s);
        }
    }

    #[test]
    fn hostile_lengths_fail_without_allocating() {
        // A 2^63 byte string and an LZF blob claiming 4 GB from 3 bytes.
        let b = [0x81, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(Reader::new(&b).string(), Err(RdbError::Eof)));
        let b = [0xc3, 3, 0x80, 0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        assert!(Reader::new(&b).string().is_err());
        let b = [0x80, 0xff, 0xff, 0xff, 0xff];
        assert!(Reader::new(&b).count(1).is_err());
    }

    #[test]
    fn text_doubles_decode_specials() {
        let mut r = Reader::new(&[253, 254, 255, 3, b'1', b'.', b'5']);
        assert!(r.text_double().unwrap().is_nan());
        assert_eq!(r.text_double().unwrap(), f64::INFINITY);
        assert_eq!(r.text_double().unwrap(), f64::NEG_INFINITY);
        assert_eq!(r.text_double().unwrap(), 1.5);
    }
}
