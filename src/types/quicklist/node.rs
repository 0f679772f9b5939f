//! One quicklist node (the quicklistNode level of Redis' `quicklist.c`):
//! its storage (a listpack, one PLAIN element, or either LZF-compressed),
//! compressing and decoding it, and the fill rules that decide whether an
//! element or a neighbour fits in it.
//!
//! A compressed node keeps its raw size in an 8-byte header in front of
//! the LZF stream, as Redis' quicklistLZF does, so MEMORY USAGE counts
//! the same allocation sizes. Invariant: `count` is the number of
//! elements the data holds, compressed or not.

use std::borrow::Cow;
use std::cell::RefCell;

use super::is_large;
use crate::types::listpack::{entry_size, Listpack, HDR_SIZE};
use crate::types::value::alloc_size;
use crate::util::lzf;

/// Byte limits of fill -1..-5 (optimization_level[]).
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Byte cap of a node when the fill is an entry count (SIZE_SAFETY_LIMIT).
pub(super) const SIZE_SAFETY_LIMIT: usize = 8192;
/// Per-entry overhead assumed when checking whether one more fits.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Nodes smaller than this are not worth compressing.
const MIN_COMPRESS_BYTES: usize = 48;
/// Compression must save at least this much to be kept.
const MIN_COMPRESS_IMPROVE: usize = 8;
/// Header of a compressed node: the raw size as a little-endian u64, like
/// the `sz` field in front of Redis' quicklistLZF.
pub(super) const LZF_HDR: usize = 8;

/// A node's storage.
#[derive(Clone)]
pub(super) enum Data {
    /// A raw listpack (PACKED container).
    Packed(Listpack),
    /// A raw element (PLAIN container).
    Plain(Box<[u8]>),
    /// Either container, LZF-compressed: LZF_HDR bytes of raw size, then
    /// the stream. The container is in `Node::plain`.
    Lzf(Box<[u8]>),
}

#[derive(Clone)]
pub(super) struct Node {
    pub(super) data: Data,
    /// Number of elements (1 for a PLAIN node).
    pub(super) count: u32,
    /// PLAIN container (one big element) rather than a listpack.
    pub(super) plain: bool,
    /// Was decompressed to be used and should be compressed again
    /// (quicklistNode.recompress).
    pub(super) recompress: bool,
    /// Must not be compressed for now (quicklistNode.dont_compress).
    pub(super) dont_compress: bool,
}

/// What a read sees of a node: raw storage, or a decoded copy of it.
pub(super) enum View<'a> {
    Packed(Cow<'a, Listpack>),
    Plain(Cow<'a, [u8]>),
}

thread_local! {
    /// Output buffer for compression attempts of ordinary node sizes, so a
    /// failed attempt costs no allocation.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}
/// Nodes larger than this are compressed through a temporary buffer
/// instead, so the scratch buffer never pins a huge allocation.
const SCRATCH_MAX: usize = 1 << 17;

impl Node {
    pub(super) fn packed(lp: Listpack) -> Node {
        Node {
            count: lp.len() as u32,
            data: Data::Packed(lp),
            plain: false,
            recompress: false,
            dont_compress: false,
        }
    }

    pub(super) fn plain(value: Box<[u8]>) -> Node {
        Node {
            data: Data::Plain(value),
            count: 1,
            plain: true,
            recompress: false,
            dont_compress: false,
        }
    }

    /// A new PACKED node holding `value` alone.
    pub(super) fn with_element(value: &[u8]) -> Node {
        let mut lp = Listpack::new();
        lp.reserve_exact(entry_size(value));
        lp.push_back(value);
        Node::packed(lp)
    }

    /// Raw size in bytes (quicklistNode.sz): the listpack's bytes or the
    /// element's length, also known for a compressed node.
    pub(super) fn sz(&self) -> usize {
        match &self.data {
            Data::Packed(lp) => lp.bytes_len(),
            Data::Plain(b) => b.len(),
            Data::Lzf(c) => lzf_raw_len(c),
        }
    }

    pub(super) fn is_compressed(&self) -> bool {
        matches!(self.data, Data::Lzf(_))
    }

    /// Bytes Redis' allocator would hold for the node's entry
    /// (zmalloc_size(node->entry)).
    pub(super) fn entry_alloc(&self) -> usize {
        alloc_size(match &self.data {
            Data::Packed(lp) => lp.bytes_len(),
            Data::Plain(b) => b.len(),
            Data::Lzf(c) => c.len(),
        })
    }

    /// The node's contents for reading, decoding a compressed node.
    pub(super) fn view(&self) -> View<'_> {
        match &self.data {
            Data::Packed(lp) => View::Packed(Cow::Borrowed(lp)),
            Data::Plain(b) => View::Plain(Cow::Borrowed(b)),
            Data::Lzf(c) => {
                let raw = lzf_decode(c);
                if self.plain {
                    View::Plain(Cow::Owned(raw))
                } else {
                    View::Packed(Cow::Owned(listpack_from(raw)))
                }
            }
        }
    }

    /// __quicklistCompressNode minus the position check: compress a raw
    /// node when it is big enough and the result saves enough. The caller
    /// knows the node is raw and not at either end.
    pub(super) fn compress(&mut self) -> bool {
        if self.dont_compress {
            return false;
        }
        self.recompress = false;
        let sz = self.sz();
        if sz < MIN_COMPRESS_BYTES {
            return false;
        }
        let raw: &[u8] = match &self.data {
            Data::Packed(lp) => lp.as_bytes(),
            Data::Plain(b) => b,
            Data::Lzf(_) => return false,
        };
        let Some(packed) = compress_node_bytes(raw) else {
            return false;
        };
        self.data = Data::Lzf(packed);
        true
    }

    /// __quicklistDecompressNode: back to the raw form.
    pub(super) fn decompress(&mut self) {
        self.recompress = false;
        if let Data::Lzf(c) = &self.data {
            let raw = lzf_decode(c);
            self.data = if self.plain {
                Data::Plain(raw.into_boxed_slice())
            } else {
                Data::Packed(listpack_from(raw))
            };
        }
    }

    /// The raw listpack of a PACKED node (decompressing it if needed).
    pub(super) fn lp_mut(&mut self) -> &mut Listpack {
        if self.is_compressed() {
            let recompress = self.recompress;
            self.decompress();
            self.recompress = recompress;
        }
        match &mut self.data {
            Data::Packed(lp) => lp,
            // Only PACKED nodes are asked for a listpack: a PLAIN one here
            // is a bug in this file.
            _ => unreachable!("listpack of a PLAIN quicklist node"),
        }
    }
}

/// The raw size recorded in front of a compressed node.
pub(super) fn lzf_raw_len(c: &[u8]) -> usize {
    let mut n = [0u8; LZF_HDR];
    n.copy_from_slice(&c[..LZF_HDR]);
    u64::from_le_bytes(n) as usize
}

/// Decodes a compressed node. The stream was made by `compress_node_bytes`,
/// so a failure means memory corruption: not something to limp on with.
pub(super) fn lzf_decode(c: &[u8]) -> Vec<u8> {
    lzf::decompress(&c[LZF_HDR..], lzf_raw_len(c)).expect("quicklist node holds a valid LZF stream")
}

/// Adopts bytes that came out of one of our own listpacks.
pub(super) fn listpack_from(raw: Vec<u8>) -> Listpack {
    Listpack::from_bytes(raw).expect("quicklist node decodes to a valid listpack")
}

/// The compressed form of a node's raw bytes (header included), or None
/// when LZF does not save at least MIN_COMPRESS_IMPROVE bytes.
pub(super) fn compress_node_bytes(raw: &[u8]) -> Option<Box<[u8]>> {
    let sz = raw.len();
    let finish = |stream: &[u8]| -> Option<Box<[u8]>> {
        if stream.is_empty() || stream.len() + MIN_COMPRESS_IMPROVE >= sz {
            return None;
        }
        let mut out = Vec::with_capacity(LZF_HDR + stream.len());
        out.extend_from_slice(&(sz as u64).to_le_bytes());
        out.extend_from_slice(stream);
        Some(out.into_boxed_slice())
    };
    if sz > SCRATCH_MAX {
        let mut buf = vec![0u8; sz];
        let n = lzf::compress_into(raw, &mut buf);
        return finish(&buf[..n]);
    }
    SCRATCH.with(|s| {
        let mut buf = s.borrow_mut();
        if buf.len() < sz {
            buf.resize(sz, 0);
        }
        // The output budget is the raw size, as in Redis.
        let n = lzf::compress_into(raw, &mut buf[..sz]);
        finish(&buf[..n])
    })
}

/// _quicklistNodeSizeMeetsOptimizationRequirement: under a negative
/// fill's byte limit.
pub(super) fn size_meets_optimization(sz: usize, fill: i32) -> bool {
    if fill >= 0 {
        return false;
    }
    let level = (-fill - 1) as usize;
    level < OPTIMIZATION_LEVEL.len() && sz <= OPTIMIZATION_LEVEL[level]
}

/// _quicklistNodeAllowInsert: may `node` take one more element of `sz`
/// bytes without passing the fill limit?
pub(super) fn allow_insert(node: Option<&Node>, fill: i32, sz: usize) -> bool {
    let Some(node) = node else {
        return false;
    };
    if node.plain || is_large(sz) {
        return false;
    }
    // Overestimates the entry's header/backlen on purpose, like Redis.
    let new_sz = node.sz() + sz + SIZE_ESTIMATE_OVERHEAD;
    if size_meets_optimization(new_sz, fill) {
        true
    } else if new_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (node.count as i64) < i64::from(fill)
    }
}

/// _quicklistNodeAllowMerge: would `a` and `b` together still respect
/// the fill limit?
pub(super) fn allow_merge(a: Option<&Node>, b: Option<&Node>, fill: i32) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    if a.plain || b.plain {
        return false;
    }
    // One header and terminator (11 bytes) goes away in the merge.
    let merge_sz = (a.sz() + b.sz()).saturating_sub(11);
    if size_meets_optimization(merge_sz, fill) {
        true
    } else if merge_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        i64::from(a.count) + i64::from(b.count) <= i64::from(fill)
    }
}

/// Appends the entries region of `lp` (everything between the header and
/// the terminator).
pub(super) fn entries_of(lp: &Listpack) -> &[u8] {
    let b = lp.as_bytes();
    &b[HDR_SIZE..b.len() - 1]
}

/// lpMerge: one listpack with `a`'s elements then `b`'s. The entries are
/// position independent, so this is a concatenation under a new header.
pub(super) fn merge_listpacks(a: &Listpack, b: &Listpack) -> Option<Listpack> {
    let (ea, eb) = (entries_of(a), entries_of(b));
    let total = HDR_SIZE + ea.len() + eb.len() + 1;
    let total32 = u32::try_from(total).ok()?;
    let count = a.len() + b.len();
    // 65535 and up is recorded as "unknown", as lpMerge does.
    let numele = u16::try_from(count).unwrap_or(u16::MAX);
    let mut bytes = Vec::with_capacity(total);
    bytes.extend_from_slice(&total32.to_le_bytes());
    bytes.extend_from_slice(&numele.to_le_bytes());
    bytes.extend_from_slice(ea);
    bytes.extend_from_slice(eb);
    bytes.push(0xFF);
    Listpack::from_bytes(bytes)
}

/// Gives memory back after deletions once a listpack's buffer is well
/// over its size (Redis reallocs on every change; this keeps most of the
/// benefit without a realloc per pop).
pub(super) fn trim_capacity(lp: &mut Listpack) {
    let len = lp.bytes_len();
    if lp.capacity() > len + len / 4 + 64 {
        lp.shrink_to_fit();
    }
}
