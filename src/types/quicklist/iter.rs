//! Reading a quicklist from outside: the element type handed out
//! (`Item`), the element matching rule of LREM/LINSERT/LPOS, the
//! head-to-tail iterator, and the node view the RDB writer uses.
//! Compressed nodes are decoded into temporary copies; nothing here
//! changes the list.

use std::borrow::Cow;

use super::node::{Data, View};
use super::Quicklist;
use crate::types::listpack::{Entry, Listpack};
use crate::util::number::parse_i64;

/// One element read from or taken out of the list: borrowed from a raw
/// node, owned when it was decoded from a compressed node or popped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    Int(i64),
    Str(Cow<'a, [u8]>),
}

impl<'a> Item<'a> {
    pub(super) fn borrowed(e: Entry<'a>) -> Item<'a> {
        match e {
            Entry::Int(v) => Item::Int(v),
            Entry::Str(s) => Item::Str(Cow::Borrowed(s)),
        }
    }

    pub(super) fn owned(e: Entry<'_>) -> Item<'static> {
        match e {
            Entry::Int(v) => Item::Int(v),
            Entry::Str(s) => Item::Str(Cow::Owned(s.to_vec())),
        }
    }

    /// The element as a listpack entry (for matching and replies).
    pub fn as_entry(&self) -> Entry<'_> {
        match self {
            Item::Int(v) => Entry::Int(*v),
            Item::Str(s) => Entry::Str(s),
        }
    }

    /// The element's bytes (integers in decimal).
    pub fn to_vec(&self) -> Vec<u8> {
        self.as_entry().to_vec()
    }

    /// The element's bytes, moving them out when owned.
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Item::Int(v) => v.to_string().into_bytes(),
            Item::Str(s) => s.into_owned(),
        }
    }

    pub fn into_owned(self) -> Item<'static> {
        match self {
            Item::Int(v) => Item::Int(v),
            Item::Str(s) => Item::Str(Cow::Owned(s.into_owned())),
        }
    }
}

/// lpCompare / quicklistCompare: does entry `e` equal the client string
/// `s`? String entries compare bytes; integer entries compare with `s`
/// read as a strict integer (`s_int`, precomputed by the caller with
/// [`needle_int`]).
#[inline]
pub fn entry_matches(e: Entry<'_>, s: &[u8], s_int: Option<i64>) -> bool {
    match e {
        Entry::Str(b) => b == s,
        Entry::Int(v) => s_int == Some(v),
    }
}

/// The integer reading of a search string, for [`entry_matches`].
pub fn needle_int(s: &[u8]) -> Option<i64> {
    parse_i64(s)
}

/// Visits a listpack's elements from index `off` in one direction.
pub(super) fn walk_listpack(
    lp: &Listpack,
    off: usize,
    reverse: bool,
    f: &mut impl FnMut(Entry<'_>) -> bool,
) -> bool {
    let mut p = lp.seek(off as i64);
    while let Some(pos) = p {
        let Some(e) = lp.entry_at(pos) else {
            return true;
        };
        if !f(e) {
            return false;
        }
        p = if reverse { lp.prev(pos) } else { lp.next(pos) };
    }
    true
}

/// How a node's bytes are stored (for RDB: compressed nodes are written
/// as LZF blobs without decoding them).
pub enum NodeBytes<'a> {
    /// The listpack bytes (PACKED) or the element (PLAIN).
    Raw(&'a [u8]),
    /// The LZF stream of those bytes; `NodeInfo::raw_len` is their size.
    Lzf(&'a [u8]),
}

/// One node as seen from outside.
pub struct NodeInfo<'a> {
    /// PLAIN container (one element) rather than PACKED (a listpack).
    pub plain: bool,
    pub count: usize,
    /// Size of the raw bytes (quicklistNode.sz).
    pub raw_len: usize,
    pub bytes: NodeBytes<'a>,
}

/// Iterator over a quicklist's elements, head to tail.
pub struct Iter<'a> {
    ql: &'a Quicklist,
    next_node: usize,
    cur: Cursor<'a>,
}

enum Cursor<'a> {
    Empty,
    Raw(crate::types::listpack::Iter<'a>),
    /// A compressed node decoded into owned elements.
    Decoded(std::vec::IntoIter<Item<'static>>),
}

impl<'a> Iter<'a> {
    pub(super) fn new(ql: &'a Quicklist) -> Iter<'a> {
        Iter {
            ql,
            next_node: 0,
            cur: Cursor::Empty,
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        loop {
            match &mut self.cur {
                Cursor::Raw(it) => {
                    if let Some(e) = it.next() {
                        return Some(Item::borrowed(e));
                    }
                }
                Cursor::Decoded(it) => {
                    if let Some(item) = it.next() {
                        return Some(item);
                    }
                }
                Cursor::Empty => {}
            }
            let node = self.ql.nodes.get(self.next_node)?;
            self.next_node += 1;
            self.cur = Cursor::Empty;
            match &node.data {
                Data::Packed(lp) => self.cur = Cursor::Raw(lp.iter()),
                Data::Plain(b) => return Some(Item::Str(Cow::Borrowed(b))),
                Data::Lzf(_) => match node.view() {
                    View::Plain(b) => return Some(Item::Str(Cow::Owned(b.into_owned()))),
                    View::Packed(lp) => {
                        let items: Vec<Item<'static>> = lp.iter().map(Item::owned).collect();
                        self.cur = Cursor::Decoded(items.into_iter());
                    }
                },
            }
        }
    }
}
