//! One stream node: a listpack holding a run of entries in Redis' exact
//! layout (t_stream.c), so nodes move byte for byte through RDB and DUMP.
//!
//! The listpack starts with a master entry and then holds the entries:
//!
//! ```text
//! master: count | deleted | nfields | field_1 .. field_N | 0
//! entry:  flags | ms-delta | seq-delta | [nfields | field_i value_i ..] | lp-count
//! entry with SAMEFIELDS: flags | ms-delta | seq-delta | value_1 .. value_N | lp-count
//! ```
//!
//! * `count` is the number of live entries, `deleted` the number of
//!   entries still present but flagged DELETED (tombstones);
//! * IDs are deltas from the node's master ID (its key in the stream's
//!   map), so they stay small integers;
//! * an entry whose field names equal the master's stores only values;
//! * `lp-count` is how many elements the entry used before it (flags and
//!   ID included), which lets a reader walk the node backwards; the
//!   master's trailing 0 stops such a walk.
//!
//! Nothing here trusts the bytes: a node that came from a file and breaks
//! the layout makes the readers stop (None), never panic.

use super::StreamId;
use crate::types::listpack::{Entry, Listpack};

/// The entry was deleted (kept as a tombstone until the node goes).
pub const FLAG_DELETED: i64 = 1;
/// The entry's field names are the master entry's.
pub const FLAG_SAMEFIELDS: i64 = 2;

/// An element read as an integer, as lpGetIntegerIfValid does (a string
/// that parses as one counts).
pub fn int_at(lp: &Listpack, off: usize) -> Option<i64> {
    match lp.entry_at(off)? {
        Entry::Int(v) => Some(v),
        Entry::Str(s) => crate::util::number::parse_i64(s),
    }
}

/// Where the master entry's parts are.
#[derive(Clone, Copy, Debug)]
pub struct Master {
    pub count: i64,
    pub deleted: i64,
    pub nfields: usize,
    /// Offset of the first master field (meaningful when nfields > 0).
    pub fields_off: usize,
    /// Offset of the master's terminating 0.
    pub term_off: usize,
}

/// Reads the master entry.
pub fn master(lp: &Listpack) -> Option<Master> {
    let count_off = lp.first()?;
    let count = int_at(lp, count_off)?;
    let del_off = lp.next(count_off)?;
    let deleted = int_at(lp, del_off)?;
    let nf_off = lp.next(del_off)?;
    let nfields = usize::try_from(int_at(lp, nf_off)?).ok()?;
    let fields_off = lp.next(nf_off)?;
    let mut p = fields_off;
    for _ in 0..nfields {
        p = lp.next(p)?;
    }
    Some(Master {
        count,
        deleted,
        nfields,
        fields_off,
        term_off: p,
    })
}

/// One entry as found in a node.
#[derive(Clone, Copy, Debug)]
pub struct RawEntry {
    pub id: StreamId,
    pub flags: i64,
    pub flags_off: usize,
    /// Number of field-value pairs.
    pub nfields: usize,
    /// Offset of the first field (or first value with SAMEFIELDS).
    pub data_off: usize,
    /// Offset of the entry's lp-count element.
    pub lpcount_off: usize,
}

impl RawEntry {
    pub fn deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }

    pub fn samefields(&self) -> bool {
        self.flags & FLAG_SAMEFIELDS != 0
    }
}

/// Parses the entry whose flags element is at `off`.
pub fn entry_at(lp: &Listpack, m: &Master, master_id: StreamId, off: usize) -> Option<RawEntry> {
    let flags = int_at(lp, off)?;
    let ms_off = lp.next(off)?;
    let ms = int_at(lp, ms_off)?;
    let seq_off = lp.next(ms_off)?;
    let seq = int_at(lp, seq_off)?;
    let mut p = lp.next(seq_off)?;
    let (nfields, skip) = if flags & FLAG_SAMEFIELDS != 0 {
        (m.nfields, m.nfields)
    } else {
        let n = usize::try_from(int_at(lp, p)?).ok()?;
        p = lp.next(p)?;
        (n, n.checked_mul(2)?)
    };
    let data_off = p;
    for _ in 0..skip {
        p = lp.next(p)?;
    }
    Some(RawEntry {
        // Deltas are added with wrap-around as the C code's u64 math does.
        id: StreamId {
            ms: master_id.ms.wrapping_add(ms as u64),
            seq: master_id.seq.wrapping_add(seq as u64),
        },
        flags,
        flags_off: off,
        nfields,
        data_off,
        lpcount_off: p,
    })
}

/// Offset of the first entry's flags, if the node has entries.
pub fn first_entry_off(lp: &Listpack, m: &Master) -> Option<usize> {
    lp.next(m.term_off)
}

/// Offset of the entry after `e`.
pub fn next_entry_off(lp: &Listpack, e: &RawEntry) -> Option<usize> {
    lp.next(e.lpcount_off)
}

/// Offset of the flags of the entry whose lp-count element is at
/// `lpcount_off` (None at the master's terminator).
pub fn entry_start_from_end(lp: &Listpack, lpcount_off: usize) -> Option<usize> {
    let n = int_at(lp, lpcount_off)?;
    if n <= 0 {
        return None;
    }
    let mut p = lpcount_off;
    for _ in 0..n {
        p = lp.prev(p)?;
    }
    Some(p)
}

/// Offset of the flags of the node's last entry.
pub fn last_entry_off(lp: &Listpack) -> Option<usize> {
    entry_start_from_end(lp, lp.last()?)
}

/// Offset of the flags of the entry before the one starting at `off`.
pub fn prev_entry_off(lp: &Listpack, off: usize) -> Option<usize> {
    entry_start_from_end(lp, lp.prev(off)?)
}

/// A new node whose master entry names `fields`, with `prealloc` bytes
/// reserved (Redis reserves up to 4 KB so appends rarely reallocate).
pub fn new_node(fields: &[&[u8]], prealloc: usize) -> Listpack {
    let mut lp = Listpack::new();
    lp.reserve_exact(prealloc.saturating_sub(lp.bytes_len()));
    lp.push_back_int(0); // live entries: the append below makes it 1
    lp.push_back_int(0); // deleted entries
    lp.push_back_int(fields.len() as i64);
    for f in fields {
        lp.push_back(f);
    }
    lp.push_back_int(0); // master terminator
    lp
}

/// Total live + deleted entries of a node (what stream-node-max-entries
/// limits).
pub fn total_entries(lp: &Listpack) -> i64 {
    master(lp).map_or(0, |m| m.count.saturating_add(m.deleted))
}

/// Rewrites the master's live and deleted counters.
pub fn set_counts(lp: &mut Listpack, count: i64, deleted: i64) {
    let Some(off) = lp.first() else {
        return;
    };
    lp.replace_entry(off, Entry::Int(count));
    if let Some(d) = lp.next(off) {
        lp.replace_entry(d, Entry::Int(deleted));
    }
}

/// Appends entry `id` with `pairs` (field, value, field, value, ...) to
/// a node whose master ID is `master_id`, bumping the live count.
pub fn append(lp: &mut Listpack, master_id: StreamId, id: StreamId, pairs: &[&[u8]]) {
    let Some(m) = master(lp) else {
        return;
    };
    let nfields = pairs.len() / 2;
    let same = nfields == m.nfields && {
        let mut p = Some(m.fields_off);
        pairs.chunks_exact(2).all(|fv| {
            let Some(off) = p else {
                return false;
            };
            p = lp.next(off);
            match lp.entry_at(off) {
                Some(Entry::Str(s)) => s == fv[0],
                Some(Entry::Int(v)) => {
                    let mut b = Vec::with_capacity(20);
                    crate::util::number::write_i64(&mut b, v);
                    b == fv[0]
                }
                None => false,
            }
        })
    };
    // Grow geometrically: listpack inserts reserve exactly, which would
    // make every append of a big node copy it.
    let need: usize = pairs.iter().map(|p| p.len() + 11).sum::<usize>() + 40;
    if lp.capacity() - lp.bytes_len() < need {
        lp.reserve_exact(need.max(lp.bytes_len()));
    }
    let flags = if same { FLAG_SAMEFIELDS } else { 0 };
    lp.push_back_int(flags);
    lp.push_back_int(id.ms.wrapping_sub(master_id.ms) as i64);
    lp.push_back_int(id.seq.wrapping_sub(master_id.seq) as i64);
    if !same {
        lp.push_back_int(nfields as i64);
    }
    for fv in pairs.chunks_exact(2) {
        if !same {
            lp.push_back(fv[0]);
        }
        lp.push_back(fv[1]);
    }
    let lp_count = if same { nfields + 3 } else { 2 * nfields + 4 };
    lp.push_back_int(lp_count as i64);
    set_counts(lp, m.count + 1, m.deleted);
}

/// Flags the entry at `flags_off` deleted and moves it from the live to
/// the deleted counter. The flags element keeps its size (0..=3 are all
/// one-byte integers), so offsets after it stay valid.
pub fn mark_deleted(lp: &mut Listpack, flags_off: usize, flags: i64) {
    lp.replace_entry(flags_off, Entry::Int(flags | FLAG_DELETED));
    if let Some(m) = master(lp) {
        set_counts(lp, m.count - 1, m.deleted + 1);
    }
}

/// streamValidateListpackIntegrity's deep part: the listpack itself was
/// validated; this checks the master entry and that exactly count+deleted
/// well-formed entries follow, each with a consistent lp-count.
pub fn validate(lp: &Listpack) -> bool {
    let Some(m) = master(lp) else {
        return false;
    };
    if int_at(lp, m.term_off) != Some(0) || m.count < 0 || m.deleted < 0 {
        return false;
    }
    let Some(total) = m.count.checked_add(m.deleted) else {
        return false;
    };
    let mut off = lp.next(m.term_off);
    for _ in 0..total {
        let Some(o) = off else {
            return false;
        };
        let Some(e) = entry_at(lp, &m, StreamId::MIN, o) else {
            return false;
        };
        let expect = if e.samefields() {
            e.nfields + 3
        } else {
            2 * e.nfields + 4
        };
        if int_at(lp, e.lpcount_off) != Some(expect as i64) {
            return false;
        }
        off = lp.next(e.lpcount_off);
    }
    off.is_none()
}

/// Field-value pairs of an entry, borrowed from its node.
pub struct Fields<'a> {
    lp: &'a Listpack,
    master_field: Option<usize>,
    cur: Option<usize>,
    left: usize,
    same: bool,
}

impl<'a> Fields<'a> {
    pub fn new(lp: &'a Listpack, m: &Master, e: &RawEntry) -> Fields<'a> {
        Fields {
            lp,
            master_field: Some(m.fields_off),
            cur: Some(e.data_off),
            left: e.nfields,
            same: e.samefields(),
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (Entry<'a>, Entry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let field = if self.same {
            let off = self.master_field?;
            self.master_field = self.lp.next(off);
            self.lp.entry_at(off)?
        } else {
            let off = self.cur?;
            self.cur = self.lp.next(off);
            self.lp.entry_at(off)?
        };
        let off = self.cur?;
        self.cur = self.lp.next(off);
        Some((field, self.lp.entry_at(off)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    #[test]
    fn layout_matches_redis() {
        // XADD s 5-1 a 1 b 2 ; XADD s 5-2 a 3 b 4 ; XADD s 6-0 c 5 — the
        // elements Redis writes, in order.
        let m = id(5, 1);
        let mut lp = new_node(&[b"a", b"b"], 0);
        append(&mut lp, m, id(5, 1), &[b"a", b"1", b"b", b"2"]);
        append(&mut lp, m, id(5, 2), &[b"a", b"3", b"b", b"4"]);
        append(&mut lp, m, id(6, 0), &[b"c", b"5"]);
        let got: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        let want: Vec<&[u8]> = vec![
            b"3",
            b"0",
            b"2",
            b"a",
            b"b",
            b"0", // master
            b"2",
            b"0",
            b"0",
            b"1",
            b"2",
            b"5", // 5-1 samefields
            b"2",
            b"0",
            b"1",
            b"3",
            b"4",
            b"5", // 5-2 samefields
            b"0",
            b"1",
            b"18446744073709551615", // 6-0: ms+1, seq-1 (wraps)
            b"1",
            b"c",
            b"5",
            b"6",
        ];
        // seq delta 0 - 1 wraps to u64::MAX, stored as the i64 -1.
        let mut want: Vec<Vec<u8>> = want.iter().map(|s| s.to_vec()).collect();
        want[20] = b"-1".to_vec();
        assert_eq!(got, want);
        assert!(validate(&lp));

        let mh = master(&lp).unwrap();
        let e1 = entry_at(&lp, &mh, m, first_entry_off(&lp, &mh).unwrap()).unwrap();
        assert_eq!(e1.id, id(5, 1));
        let f: Vec<_> = Fields::new(&lp, &mh, &e1)
            .map(|(f, v)| (f.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(
            f,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"2".to_vec())
            ]
        );
        let last = last_entry_off(&lp).unwrap();
        let e3 = entry_at(&lp, &mh, m, last).unwrap();
        assert_eq!(e3.id, id(6, 0));
        let e2 = entry_at(&lp, &mh, m, prev_entry_off(&lp, last).unwrap()).unwrap();
        assert_eq!(e2.id, id(5, 2));
        let e1b = prev_entry_off(&lp, e2.flags_off).unwrap();
        assert_eq!(e1b, e1.flags_off);
        assert!(prev_entry_off(&lp, e1b).is_none());
    }

    #[test]
    fn delete_marks_and_counts() {
        let m = id(1, 0);
        let mut lp = new_node(&[b"f"], 0);
        append(&mut lp, m, id(1, 0), &[b"f", b"v"]);
        append(&mut lp, m, id(1, 1), &[b"f", b"w"]);
        let mh = master(&lp).unwrap();
        let e = entry_at(&lp, &mh, m, first_entry_off(&lp, &mh).unwrap()).unwrap();
        mark_deleted(&mut lp, e.flags_off, e.flags);
        let mh = master(&lp).unwrap();
        assert_eq!((mh.count, mh.deleted), (1, 1));
        let e = entry_at(&lp, &mh, m, first_entry_off(&lp, &mh).unwrap()).unwrap();
        assert!(e.deleted());
        assert!(validate(&lp));
    }

    #[test]
    fn validation_rejects_broken_nodes() {
        let mut lp = new_node(&[b"f"], 0);
        append(&mut lp, id(1, 0), id(1, 0), &[b"f", b"v"]);
        // A count claiming one more entry than there is.
        set_counts(&mut lp, 2, 0);
        assert!(!validate(&lp));
        // A listpack that is not a stream node at all.
        let mut other = Listpack::new();
        other.push_back(b"x");
        assert!(!validate(&other));
        assert!(!validate(&Listpack::new()));
    }
}
