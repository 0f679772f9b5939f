//! `Key`: a compact byte string for keyspace keys (Redis uses an sds).
//!
//! Most keys are short, so up to 22 bytes live inline in the 24-byte value
//! itself and cost no allocation; longer keys hold a boxed slice. This is
//! what keeps a small key+value entry in one 64-byte allocation.

use crate::db::dict::DictKey;
use std::fmt;

const INLINE: usize = 22;

#[derive(Clone)]
pub enum Key {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
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
        } else {
            Key::Heap(b.into())
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => &buf[..*len as usize],
            Key::Heap(b) => b,
        }
    }

    /// Bytes this key occupies outside the entry (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Key::Inline { .. } => 0,
            Key::Heap(b) => b.len(),
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
        assert_eq!(std::mem::size_of::<Key>(), 24);
        let k = Key::new(b"key:123");
        assert!(matches!(k, Key::Inline { .. }));
        assert_eq!(k.as_bytes(), b"key:123");
        let long = vec![b'x'; 23];
        let k = Key::new(&long);
        assert!(matches!(k, Key::Heap(_)));
        assert_eq!(k.as_bytes(), &long[..]);
        assert_eq!(Key::new(b"").as_bytes(), b"");
    }
}
