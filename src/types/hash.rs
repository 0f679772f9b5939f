//! STUB: the hash value type. To be replaced by the full implementation; the
//! methods below are the interface the rest of the server relies on
//! (keep their names and meanings).

use crate::types::listpack::Entry;

#[derive(Clone, Default)]
pub struct Hash {
    items: Vec<Vec<u8>>,
}

impl Hash {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of elements (fields for a hash, members for a zset).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Redis' OBJECT ENCODING name for the current encoding.
    pub fn encoding_name(&self) -> &'static str {
        "listpack"
    }

    /// MEMORY USAGE's figure for the value (robj included), sampling at
    /// most `samples` elements of a big value (usize::MAX = all), like Redis'
    /// objectComputeSize.
    pub fn mem_usage(&self, _samples: usize) -> usize {
        16
    }

    /// The value of `field`.
    pub fn get(&self, _field: &[u8]) -> Option<Entry<'_>> {
        None
    }

    /// Every (field, value) pair, in storage order.
    pub fn iter(&self) -> impl Iterator<Item = (Entry<'_>, Entry<'_>)> + '_ {
        self.items.iter().map(|v| (Entry::Str(v), Entry::Str(v)))
    }
}
