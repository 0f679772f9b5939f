//! `Obj`: what a keyspace entry holds (Redis' robj without the refcount),
//! and the string encodings `int`, `embstr` and `raw`.
//!
//! Redis' encodings are visible (OBJECT ENCODING, the suite checks them), so
//! we keep the same names and the same rules for choosing them:
//! * a value that parses as a 64-bit integer (at most 20 chars) is `int`;
//! * a value created in one piece of at most 44 bytes is `embstr`;
//! * anything longer, or a value modified in place (APPEND, SETRANGE), `raw`.
//!
//! Short `embstr`s live inline in the entry, so a small key and value cost
//! one allocation.

use crate::errors::CmdError;
use crate::types::hash::Hash;
use crate::types::quicklist::Quicklist;
use crate::types::set::Set;
use crate::types::stream::Stream;
use crate::types::zset::ZSet;
use crate::util::number::{parse_i64, write_i64};
use crate::util::thin::ThinBuf;

/// Longest string Redis stores as `embstr` (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_SIZE_LIMIT: usize = 44;
/// Shared integers 0..OBJ_SHARED_INTEGERS report a refcount of INT_MAX.
pub const OBJ_SHARED_INTEGERS: i64 = 10000;

// 14 bytes + length + the enum tag fill the 16 bytes a pointer variant
// needs; with the LRU an Obj is 24 bytes and a keyspace entry 48.
const INLINE_MAX: usize = 14;
const _: () = assert!(std::mem::size_of::<Value>() == 16);
const _: () = assert!(std::mem::size_of::<Obj>() == 24);

#[derive(Clone, Copy)]
pub struct InlineStr {
    len: u8,
    buf: [u8; INLINE_MAX],
}

impl InlineStr {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

/// A value of any type. Collections are boxed, so the enum stays 24 bytes.
#[derive(Clone)]
pub enum Value {
    /// `int` encoding.
    Int(i64),
    /// `embstr`, short enough to live inside the entry.
    Inline(InlineStr),
    /// `embstr` that needs its own allocation (16..=44 bytes).
    Emb(ThinBuf),
    /// `raw`: longer strings and strings modified in place; the Vec keeps
    /// spare capacity so repeated APPENDs are amortised, like sds.
    Raw(Box<Vec<u8>>),
    /// `quicklist` (a list of listpack nodes).
    List(Box<Quicklist>),
    /// `listpack` or `hashtable`.
    Hash(Hash),
    /// `intset` or `hashtable`.
    Set(Set),
    /// `listpack` or `skiplist`.
    ZSet(ZSet),
    /// `stream` (listpack nodes in an ordered map).
    Stream(Box<Stream>),
}

/// A keyspace entry's value plus Redis' 24-bit LRU/LFU field.
#[derive(Clone)]
pub struct Obj {
    pub val: Value,
    pub lru: u32,
}

/// The Redis type of a value, as TYPE and SCAN TYPE name it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ValueType {
    String,
    List,
    Set,
    ZSet,
    Hash,
    Stream,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
        }
    }
}

/// A string value read as bytes: integers are formatted on demand.
pub enum StrRef<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

impl StrRef<'_> {
    /// Append the string's bytes to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            StrRef::Bytes(b) => out.extend_from_slice(b),
            StrRef::Int(n) => write_i64(out, *n),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_to(&mut v);
        v
    }

    pub fn len(&self) -> usize {
        match self {
            StrRef::Bytes(b) => b.len(),
            StrRef::Int(n) => {
                let mut v = Vec::with_capacity(20);
                write_i64(&mut v, *n);
                v.len()
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Value {
    /// A string value built from client bytes, encoded as Redis'
    /// createStringObject + tryObjectEncoding would.
    pub fn from_bytes(b: &[u8]) -> Value {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return Value::Int(n);
            }
        }
        Value::embstr_or_raw(b)
    }

    /// Like `from_bytes` but never `int`: Redis' createStringObject alone.
    pub fn embstr_or_raw(b: &[u8]) -> Value {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            Value::Inline(InlineStr {
                len: b.len() as u8,
                buf,
            })
        } else if b.len() <= EMBSTR_SIZE_LIMIT {
            Value::Emb(ThinBuf::new(b))
        } else {
            Value::Raw(Box::new(b.to_vec()))
        }
    }

    /// A `raw` string (the result of APPEND/SETRANGE in Redis).
    pub fn raw(v: Vec<u8>) -> Value {
        Value::Raw(Box::new(v))
    }

    pub fn from_i64(n: i64) -> Value {
        Value::Int(n)
    }

    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Int(_) | Value::Inline(_) | Value::Emb(_) | Value::Raw(_) => ValueType::String,
            Value::List(_) => ValueType::List,
            Value::Hash(_) => ValueType::Hash,
            Value::Set(_) => ValueType::Set,
            Value::ZSet(_) => ValueType::ZSet,
            Value::Stream(_) => ValueType::Stream,
        }
    }

    /// The string view, or None when the value is not a string.
    pub fn as_str(&self) -> Option<StrRef<'_>> {
        match self {
            Value::Int(n) => Some(StrRef::Int(*n)),
            Value::Inline(s) => Some(StrRef::Bytes(s.as_bytes())),
            Value::Emb(b) => Some(StrRef::Bytes(b)),
            Value::Raw(v) => Some(StrRef::Bytes(v)),
            _ => None,
        }
    }

    /// The value as a mutable `raw` byte vector, converting in place
    /// (dbUnshareStringValue). None when the value is not a string.
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        if !matches!(self, Value::Raw(_)) {
            let bytes = self.as_str()?.to_vec();
            *self = Value::raw(bytes);
        }
        match self {
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Inline(_) | Value::Emb(_) => "embstr",
            Value::Raw(_) => "raw",
            Value::List(l) => l.encoding_name(),
            Value::Hash(h) => h.encoding_name(),
            Value::Set(st) => st.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(_) => "stream",
        }
    }

    /// Approximate bytes used by the value (MEMORY USAGE), following the
    /// layout Redis reports for the same encoding.
    pub fn mem_usage(&self, samples: usize) -> usize {
        match self {
            // robj only.
            Value::Int(_) => 16,
            // robj and sds in one allocation.
            Value::Inline(s) => alloc_size(16 + 3 + s.len as usize + 1),
            Value::Emb(b) => alloc_size(16 + 3 + b.len() + 1),
            // robj plus a separate sds with its spare room.
            Value::Raw(v) => 16 + alloc_size(sds_header(v.len()) + v.capacity() + 1),
            Value::List(l) => l.mem_usage(samples),
            Value::Hash(h) => h.mem_usage(samples),
            Value::Set(st) => st.mem_usage(samples),
            Value::ZSet(z) => z.mem_usage(samples),
            Value::Stream(st) => st.mem_usage(samples),
        }
    }

    /// The value as a list, or WRONGTYPE.
    pub fn as_list(&self) -> Result<&Quicklist, CmdError> {
        match self {
            Value::List(l) => Ok(l),
            _ => Err(CmdError::WrongType),
        }
    }

    pub fn as_list_mut(&mut self) -> Result<&mut Quicklist, CmdError> {
        match self {
            Value::List(l) => Ok(l),
            _ => Err(CmdError::WrongType),
        }
    }

    /// The value as a hash, or WRONGTYPE.
    pub fn as_hash(&self) -> Result<&Hash, CmdError> {
        match self {
            Value::Hash(h) => Ok(h),
            _ => Err(CmdError::WrongType),
        }
    }

    pub fn as_hash_mut(&mut self) -> Result<&mut Hash, CmdError> {
        match self {
            Value::Hash(h) => Ok(h),
            _ => Err(CmdError::WrongType),
        }
    }

    /// The value as a set, or WRONGTYPE.
    pub fn as_set(&self) -> Result<&Set, CmdError> {
        match self {
            Value::Set(st) => Ok(st),
            _ => Err(CmdError::WrongType),
        }
    }

    pub fn as_set_mut(&mut self) -> Result<&mut Set, CmdError> {
        match self {
            Value::Set(st) => Ok(st),
            _ => Err(CmdError::WrongType),
        }
    }

    /// The value as a sorted set, or WRONGTYPE.
    pub fn as_zset(&self) -> Result<&ZSet, CmdError> {
        match self {
            Value::ZSet(z) => Ok(z),
            _ => Err(CmdError::WrongType),
        }
    }

    pub fn as_zset_mut(&mut self) -> Result<&mut ZSet, CmdError> {
        match self {
            Value::ZSet(z) => Ok(z),
            _ => Err(CmdError::WrongType),
        }
    }

    /// The value as a stream, or WRONGTYPE.
    pub fn as_stream(&self) -> Result<&Stream, CmdError> {
        match self {
            Value::Stream(st) => Ok(st),
            _ => Err(CmdError::WrongType),
        }
    }

    pub fn as_stream_mut(&mut self) -> Result<&mut Stream, CmdError> {
        match self {
            Value::Stream(st) => Ok(st),
            _ => Err(CmdError::WrongType),
        }
    }
}

/// The header size of an sds of `len` bytes (sdsReqType).
pub fn sds_header(len: usize) -> usize {
    match len {
        0..32 => 1,
        32..256 => 3,
        256..65536 => 5,
        _ => 9,
    }
}

/// The bytes jemalloc really hands out for a request of `n` (its size
/// classes): Redis' MEMORY USAGE counts those, so we do too.
pub use crate::util::thin::size_class as alloc_size;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_rules() {
        assert_eq!(Value::from_bytes(b"12345").encoding_name(), "int");
        assert_eq!(Value::from_bytes(b"012").encoding_name(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 45]).encoding_name(), "raw");
        let mut v = Value::from_bytes(b"foo");
        v.make_raw().unwrap().extend_from_slice(b"bar");
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(v.as_str().unwrap().to_vec(), b"foobar");
    }

    /// MEMORY USAGE figures recorded from Redis 7.0.15 (value + sds key +
    /// 24-byte dictEntry) for "foo"="bar", "n"=12345, 100 and 5000 'a's.
    #[test]
    fn memory_usage_matches_redis() {
        let usage = |k: &[u8], v: &Value| {
            24 + alloc_size(sds_header(k.len()) + k.len() + 1) + v.mem_usage(usize::MAX)
        };
        assert_eq!(usage(b"foo", &Value::from_bytes(b"bar")), 64);
        assert_eq!(usage(b"n", &Value::from_bytes(b"12345")), 48);
        let big = Value::Raw(Box::new(vec![b'a'; 100]));
        assert_eq!(usage(b"big", &big), 160);
        let big2 = Value::Raw(Box::new(vec![b'a'; 5000]));
        assert_eq!(usage(b"big2", &big2), 5168);
    }

    #[test]
    fn entry_parts_stay_small() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Obj>(), 24);
    }
}
