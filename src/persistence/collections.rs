//! Lists and sorted sets in RDB form, both directions (the list and zset
//! parts of rdb.c's rdbSaveObject and rdbLoadObject), kept apart from
//! `save.rs`/`load.rs` because each has several legacy encodings.
//!
//! Lists load from QUICKLIST_2 (listpack or plain nodes), QUICKLIST (nodes
//! of ziplists), a single ziplist, or the old linked LIST of strings, and
//! are always written as QUICKLIST_2 with each node as it is in memory (a
//! compressed node keeps its LZF bytes). Sorted sets load from
//! ZSET_LISTPACK, ZSET_ZIPLIST, ZSET_2 (binary scores) and ZSET (text
//! scores) and are written as ZSET_LISTPACK or ZSET_2.
//!
//! Sorted-set blobs are checked more strictly than Redis does without
//! `sanitize-dump-payload`: scores must parse, pairs must be in (score,
//! member) order and members distinct, because the set's code relies on
//! that order and a mis-ordered blob could otherwise corrupt its index.

use crate::util::thin::View;
use std::collections::HashSet;
use std::io::{self, Write};

use super::load::{push_zl, LoadOpts};
use super::rdb::*;
use super::ziplist::{self, ZlEntry};
use crate::types::listpack::{Entry, Listpack};
use crate::types::quicklist::{End, NodeBytes, Quicklist};
use crate::types::value::Value;
use crate::types::zset::{self, ZSet};
use crate::util::number::parse_f64;

// ---------------------------------------------------------------------------
// Saving
// ---------------------------------------------------------------------------

/// QUICKLIST_2 body: node count, then per node its container and bytes.
pub fn write_list<W: Write>(w: &mut Writer<W>, l: &Quicklist) -> io::Result<()> {
    w.len(l.node_count() as u64)?;
    for n in l.nodes() {
        w.len(if n.plain {
            CONTAINER_PLAIN
        } else {
            CONTAINER_PACKED
        })?;
        match n.bytes {
            NodeBytes::Raw(b) => w.string(b)?,
            NodeBytes::Lzf(c) => w.lzf_blob(c, n.raw_len)?,
        }
    }
    Ok(())
}

pub fn zset_type(z: &ZSet) -> u8 {
    if z.listpack().is_some() {
        TYPE_ZSET_LISTPACK
    } else {
        TYPE_ZSET_2
    }
}

/// ZSET_LISTPACK: the blob; ZSET_2: members from the highest score down,
/// so a loader inserting into a skiplist always adds at the head.
pub fn write_zset<W: Write>(w: &mut Writer<W>, z: &ZSet) -> io::Result<()> {
    match z.view() {
        View::Small(lp) => w.string(lp.as_bytes()),
        View::Big(ix) => {
            let items: Vec<(&[u8], f64)> = ix.iter().collect();
            w.len(items.len() as u64)?;
            for (m, s) in items.into_iter().rev() {
                w.string(m)?;
                w.binary_double(s)?;
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------
// Loading lists
// ---------------------------------------------------------------------------

fn new_list(o: &LoadOpts) -> Quicklist {
    Quicklist::new(o.list_max_listpack_size, o.list_compress_depth)
}

fn list_value(ql: Quicklist) -> Option<Value> {
    (!ql.is_empty()).then(|| Value::List(Box::new(ql)))
}

/// RDB_TYPE_LIST: a count and that many strings.
pub fn read_linked_list(r: &mut Reader<'_>, o: &LoadOpts) -> Result<Option<Value>> {
    let len = r.count(1)?;
    let mut ql = new_list(o);
    for _ in 0..len {
        ql.push(&r.string()?, End::Tail);
    }
    Ok(list_value(ql))
}

/// RDB_TYPE_LIST_QUICKLIST (ziplist nodes) and _2 (container + blob).
pub fn read_quicklist(r: &mut Reader<'_>, v2: bool, o: &LoadOpts) -> Result<Option<Value>> {
    let nodes = r.count(2)?;
    let mut ql = new_list(o);
    for _ in 0..nodes {
        let container = if v2 { r.length()? } else { CONTAINER_PACKED };
        if container != CONTAINER_PACKED && container != CONTAINER_PLAIN {
            return corrupt("Quicklist integrity check failed.");
        }
        let data = r.string()?;
        if data.is_empty() {
            return corrupt("Quicklist integrity check failed.");
        }
        if container == CONTAINER_PLAIN {
            ql.append_plain(data);
            continue;
        }
        super::load::count_sanitization(o);
        let lp = if v2 {
            match Listpack::from_bytes(data) {
                Some(lp) => lp,
                None => return corrupt("Listpack integrity check failed."),
            }
        } else {
            let Some(items) = ziplist::ziplist_entries(&data) else {
                return corrupt("Ziplist integrity check failed.");
            };
            let mut lp = Listpack::new();
            items.into_iter().for_each(|e| push_zl(&mut lp, e));
            lp
        };
        // Empty nodes are skipped, as Redis does; an empty list is no key.
        if !lp.is_empty() {
            ql.append_listpack(lp);
        }
    }
    Ok(list_value(ql))
}

/// RDB_TYPE_LIST_ZIPLIST: one ziplist, re-split by the node fill.
pub fn read_list_ziplist(zl: &[u8], o: &LoadOpts) -> Result<Option<Value>> {
    let Some(items) = ziplist::ziplist_entries(zl) else {
        return corrupt("List ziplist integrity check failed.");
    };
    let mut ql = new_list(o);
    let mut buf = Vec::with_capacity(20);
    for e in items {
        match e {
            ZlEntry::Str(s) => ql.push(s, End::Tail),
            ZlEntry::Int(v) => {
                buf.clear();
                crate::util::number::write_i64(&mut buf, v);
                ql.push(&buf, End::Tail);
            }
        }
    }
    Ok(list_value(ql))
}

// ---------------------------------------------------------------------------
// Loading sorted sets
// ---------------------------------------------------------------------------

fn limits(o: &LoadOpts) -> zset::Limits {
    zset::Limits {
        max_entries: o.zset_max_listpack_entries,
        max_value: o.zset_max_listpack_value,
    }
}

/// RDB_TYPE_ZSET_2 / RDB_TYPE_ZSET: (member, score) pairs in any order.
pub fn read_zset(r: &mut Reader<'_>, binary: bool, o: &LoadOpts) -> Result<Option<Value>> {
    let len = r.count(if binary { 9 } else { 2 })?;
    if len == 0 {
        return Ok(None);
    }
    let mut items = Vec::with_capacity(len);
    let mut seen = HashSet::with_capacity(len);
    for _ in 0..len {
        let m = r.string()?;
        let s = if binary {
            r.binary_double()?
        } else {
            r.text_double()?
        };
        if s.is_nan() {
            return corrupt("Zset with NAN score detected");
        }
        if !seen.insert(m.clone()) {
            return corrupt("Duplicate zset fields detected");
        }
        items.push((m, s));
    }
    drop(seen);
    items.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok(Some(Value::ZSet(ZSet::from_sorted(items, limits(o)))))
}

/// The score stored in a listpack entry, if it is one.
fn entry_score(e: Entry<'_>) -> Option<f64> {
    match e {
        Entry::Int(v) => Some(v as f64),
        Entry::Str(s) => parse_f64(s).filter(|f| !f.is_nan()),
    }
}

/// Whether a listpack of (member, score) pairs is a valid sorted set:
/// even count, scores that parse, strictly increasing (score, member),
/// no member twice.
fn zset_listpack_ok(lp: &Listpack) -> bool {
    if !lp.len().is_multiple_of(2) {
        return false;
    }
    let mut it = lp.iter();
    let mut prev: Option<(f64, Vec<u8>)> = None;
    let mut seen = HashSet::with_capacity(lp.len() / 2);
    while let (Some(m), Some(s)) = (it.next(), it.next()) {
        let Some(score) = entry_score(s) else {
            return false;
        };
        let member = m.to_vec();
        if let Some((ps, pm)) = &prev {
            let ordered = *ps < score || (*ps == score && pm.as_slice() < member.as_slice());
            if !ordered {
                return false;
            }
        }
        if !seen.insert(member.clone()) {
            return false;
        }
        prev = Some((score, member));
    }
    true
}

/// ZSET_LISTPACK (`listpack`) or ZSET_ZIPLIST blobs.
pub fn read_zset_blob(blob: Vec<u8>, listpack: bool, o: &LoadOpts) -> Result<Option<Value>> {
    let err = if listpack {
        "Zset listpack integrity check failed."
    } else {
        "Zset ziplist integrity check failed."
    };
    let lp = if listpack {
        Listpack::from_bytes(blob)
    } else {
        super::load::ziplist_pairs_to_listpack(&blob)
    };
    let Some(lp) = lp.filter(zset_listpack_ok) else {
        return corrupt(err);
    };
    if lp.is_empty() {
        return Ok(None);
    }
    let mut z = ZSet::from_listpack(lp);
    if z.len() > o.zset_max_listpack_entries {
        z.convert_to_skiplist();
    }
    Ok(Some(Value::ZSet(z)))
}

#[cfg(test)]
pub fn sample_values() -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let mut ql = Quicklist::new(-2, 0);
    for s in [&b"a"[..], b"12", b"-7", &[b'z'; 100]] {
        ql.push(s, End::Tail);
    }
    out.push(("list_small", Value::List(Box::new(ql))));
    // Many nodes, the inner ones LZF-compressed.
    let mut ql = Quicklist::new(8, 1);
    for i in 0..200 {
        ql.push(
            format!("element number {i} padding padding").as_bytes(),
            End::Tail,
        );
    }
    out.push(("list_compressed", Value::List(Box::new(ql))));
    let lim = zset::Limits {
        max_entries: 128,
        max_value: 64,
    };
    let items = vec![
        (b"a".to_vec(), -1.5),
        (b"b".to_vec(), 0.0),
        (b"c".to_vec(), f64::INFINITY),
    ];
    out.push(("zset_lp", Value::ZSet(ZSet::from_sorted(items, lim))));
    // Past zset-max-listpack-entries, so it stays a skiplist when loaded.
    let many = (0..200)
        .map(|i| (format!("m{i:03}").into_bytes(), i as f64 / 3.0))
        .collect();
    let z = ZSet::from_sorted(many, lim);
    assert_eq!(z.encoding_name(), "skiplist");
    out.push(("zset_sl", Value::ZSet(z)));
    out
}
