//! `Key`: a compact byte string for keyspace keys (Redis uses an sds).
//!
//! Most keys are short, so up to 14 bytes live inline in the 16-byte value
//! itself and cost no allocation; longer keys hold a thin buffer (one
//! pointer). With a 16-byte value and the LRU that keeps a small key+value
//! entry in one 48-byte allocation (Redis: a 24-byte dictEntry, a 16-byte
//! robj and the key's sds, three allocations).

use crate::db::dict::DictKey;
use crate::util::thin::{ThinBuf, MAX_LEN};
use std::fmt;

const INLINE: usize = 14;

#[derive(Clone)]
pub enum Key {
    Inline {
        len: u8,
        buf: [u8; INLINE],
    },
    Heap(ThinBuf),
    /// Past a thin buffer's 4 GB (only with proto-max-bulk-len raised).
    Huge(Box<Vec<u8>>),
}

impl Key {
    pub fn new(b: &[u8]) -> Key {
        if b.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..b.len()].copy_from_slice(b);
            Key::Inline {
                len: b.len() as u8,
                buf,
            }
        } else if b.len() <= MAX_LEN {
            Key::Heap(ThinBuf::new(b))
        } else {
            Key::Huge(Box::new(b.to_vec()))
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => &buf[..*len as usize],
            Key::Heap(b) => b,
            Key::Huge(b) => b,
        }
    }

    /// Bytes this key occupies outside the entry (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Key::Inline { .. } => 0,
            Key::Heap(b) => b.len(),
            Key::Huge(b) => b.len(),
        }
    }
}

impl DictKey for Key {
    #[inline]
    fn key_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Key {
    fn eq(&self, o: &Key) -> bool {
        self.as_bytes() == o.as_bytes()
    }
}
impl Eq for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for Key {
    fn from(b: &[u8]) -> Key {
        Key::new(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_are_inline_and_long_ones_boxed() {
        assert_eq!(std::mem::size_of::<Key>(), 16);
        let k = Key::new(b"key:123");
        assert!(matches!(k, Key::Inline { .. }));
        assert_eq!(k.as_bytes(), b"key:123");
        let long = vec![b'x'; 15];
        let k = Key::new(&long);
        assert!(matches!(k, Key::Heap(_)));
        assert_eq!(k.as_bytes(), &long[..]);
        assert_eq!(Key::new(b"").as_bytes(), b"");
    }
}
