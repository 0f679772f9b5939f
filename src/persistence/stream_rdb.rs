//! Streams in RDB form (the stream parts of rdb.c's rdbSaveObject and
//! rdbLoadObject): written as STREAM_LISTPACKS_2, read from that and the
//! older STREAM_LISTPACKS (7.0 fills in the counters that type lacks).
//!
//! Layout: node count; per node its 16-byte master ID and listpack; the
//! length, last ID, first ID, max deleted ID, entries added; then the
//! groups: name, last ID, entries read, the group PEL (raw 16-byte ID,
//! delivery time in ms, delivery count), and the consumers (name, seen
//! time, PEL of raw IDs that must all be in the group PEL).
//!
//! Every node is validated completely before it is adopted (Redis only
//! does that under sanitize-dump-payload), as are the PEL references, so
//! a bad payload is refused with Redis' message instead of being trusted.

use std::io::{self, Write};

use super::rdb::*;
use crate::types::listpack::Listpack;
use crate::types::stream::{node, Group, Stream, StreamId};
use crate::types::value::Value;

/// STREAM_LISTPACKS_2 body.
pub fn write_stream<W: Write>(w: &mut Writer<W>, s: &Stream) -> io::Result<()> {
    w.len(s.node_count() as u64)?;
    for (id, lp) in s.nodes() {
        w.string(&id.to_be_bytes())?;
        w.string(lp.as_bytes())?;
    }
    w.len(s.length)?;
    write_id(w, s.last_id)?;
    write_id(w, s.first_id)?;
    write_id(w, s.max_deleted_id)?;
    w.len(s.entries_added)?;
    w.len(s.groups.len() as u64)?;
    for (name, g) in &s.groups {
        w.string(name)?;
        write_id(w, g.last_id)?;
        // -1 (unknown) is written as its two's complement, as Redis does.
        w.len(g.entries_read as u64)?;
        w.len(g.pel.len() as u64)?;
        for (id, n) in &g.pel {
            w.raw(&id.to_be_bytes())?;
            w.millis(n.delivery_time)?;
            w.len(n.delivery_count)?;
        }
        w.len(g.consumer_count() as u64)?;
        for c in g.consumers() {
            w.string(&c.name)?;
            w.millis(c.seen_time)?;
            w.len(c.pel.len() as u64)?;
            for id in &c.pel {
                w.raw(&id.to_be_bytes())?;
            }
        }
    }
    Ok(())
}

fn write_id<W: Write>(w: &mut Writer<W>, id: StreamId) -> io::Result<()> {
    w.len(id.ms)?;
    w.len(id.seq)
}

fn read_id(r: &mut Reader<'_>) -> Result<StreamId> {
    Ok(StreamId::new(r.length()?, r.length()?))
}

fn raw_id(r: &mut Reader<'_>, what: &str) -> Result<StreamId> {
    match r.take(16) {
        Ok(b) => StreamId::from_be_bytes(b).ok_or(RdbError::Eof),
        Err(_) => corrupt(what.to_string()),
    }
}

/// Reads a stream of type STREAM_LISTPACKS (`v2` false) or
/// STREAM_LISTPACKS_2.
pub fn read_stream(
    r: &mut Reader<'_>,
    v2: bool,
    o: &super::load::LoadOpts,
) -> Result<Option<Value>> {
    let mut s = Stream::new();
    // Each node needs at least a 16-byte key and a listpack.
    let nodes = r.count(18)?;
    for _ in 0..nodes {
        let key = r.string()?;
        let Some(master) = (key.len() == 16)
            .then(|| StreamId::from_be_bytes(&key))
            .flatten()
        else {
            return corrupt("Stream node key entry is not the size of a stream ID");
        };
        let bytes = r.string()?;
        super::load::count_sanitization(o);
        let lp = match Listpack::from_bytes(bytes) {
            Some(lp) if node::validate(&lp) => lp,
            _ => return corrupt("Stream listpack integrity check failed."),
        };
        if lp.is_empty() {
            return corrupt("Empty listpack inside stream");
        }
        if !s.insert_node(master, lp) {
            return corrupt("Listpack re-added with existing key");
        }
    }
    s.length = r.length()?;
    s.last_id = read_id(r)?;
    if v2 {
        s.first_id = read_id(r)?;
        s.max_deleted_id = read_id(r)?;
        s.entries_added = r.length()?;
    } else {
        s.entries_added = s.length;
        s.first_id = s.edge_id(true, true);
    }
    if s.length > 0 && s.node_count() == 0 {
        return corrupt("Stream length inconsistent with rax entries");
    }
    // Groups: name (>= 1 byte), two IDs' lengths, counts.
    let groups = r.count(5)?;
    for _ in 0..groups {
        let name = r.string()?;
        let last_id = read_id(r)?;
        let entries_read = if v2 {
            r.length()? as i64
        } else {
            s.estimate_distance(last_id).map_or(-1, |n| n as i64)
        };
        if s.groups.contains_key(&name[..]) {
            return corrupt(format!(
                "Duplicated consumer group name {}",
                String::from_utf8_lossy(&name)
            ));
        }
        let mut g = Group::new(last_id, entries_read);
        // A PEL record: 16-byte ID, 8-byte time, a length.
        let pel = r.count(25)?;
        let mut loose = std::collections::BTreeMap::new();
        for _ in 0..pel {
            let id = raw_id(r, "Stream PEL ID loading failed.")?;
            let time = r.millis()?;
            let count = r.length()?;
            if loose.insert(id, (time, count)).is_some() {
                return corrupt("Duplicated global PEL entry loading stream consumer group");
            }
        }
        let consumers = r.count(10)?;
        for _ in 0..consumers {
            let cname = r.string()?;
            let seen = r.millis()?;
            let Some(slot) = g.create_consumer(&cname, seen) else {
                return corrupt("Duplicate stream consumer detected.");
            };
            let n = r.count(16)?;
            for _ in 0..n {
                let id = raw_id(r, "Stream short read reading PEL streamID.")?;
                let Some((time, count)) = loose.remove(&id) else {
                    return if g.pel.contains_key(&id) {
                        corrupt("Duplicated consumer PEL entry  loading a stream consumer group")
                    } else {
                        corrupt("Consumer entry not found in group global PEL")
                    };
                };
                if let Some(nack) = g.assign(id, slot, time) {
                    nack.delivery_time = time;
                    nack.delivery_count = count;
                }
            }
        }
        // Every pending entry must have an owner (Redis checks this under
        // deep sanitization; an ownerless entry would break later commands).
        if !loose.is_empty() {
            return corrupt("Stream CG PEL entry without consumer");
        }
        s.groups.insert(name.into_boxed_slice(), g);
    }
    Ok(Some(Value::Stream(Box::new(s))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::stream::{NodeLimits, ParsedId};

    fn sample() -> Stream {
        let mut s = Stream::new();
        let lim = NodeLimits {
            max_bytes: 4096,
            max_entries: 3,
        };
        for i in 1..=7u64 {
            let v = i.to_string();
            let id = Some(ParsedId {
                id: StreamId::new(i, 1),
                seq_given: true,
            });
            s.append(&[b"field", v.as_bytes()], id, 0, lim).unwrap();
        }
        s.delete_ids(&[StreamId::new(2, 1)]);
        let mut g = Group::new(StreamId::new(5, 1), 5);
        let a = g.create_consumer(b"alice", 1234).unwrap();
        g.create_consumer(b"bob", 99).unwrap();
        g.assign(StreamId::new(3, 1), a, 777);
        s.groups.insert((*b"grp").into(), g);
        s
    }

    #[test]
    fn round_trip() {
        let s = sample();
        let mut w = Writer::new(Vec::new(), false, false);
        write_stream(&mut w, &s).unwrap();
        let bytes = w.into_inner();
        let mut r = Reader::new(&bytes);
        let Some(Value::Stream(t)) = read_stream(&mut r, true, &Default::default()).unwrap() else {
            panic!("not a stream");
        };
        assert_eq!(r.remaining(), 0);
        let mut again = Writer::new(Vec::new(), false, false);
        write_stream(&mut again, &t).unwrap();
        assert_eq!(again.into_inner(), bytes);
        assert_eq!(t.len(), 6);
        let g = &t.groups[&b"grp"[..]];
        assert_eq!(g.pel[&StreamId::new(3, 1)].delivery_time, 777);
        assert_eq!(g.consumer_count(), 2);
    }

    #[test]
    fn truncated_or_corrupt_input_is_an_error() {
        let s = sample();
        let mut w = Writer::new(Vec::new(), false, false);
        write_stream(&mut w, &s).unwrap();
        let bytes = w.into_inner();
        for cut in 0..bytes.len() {
            let mut r = Reader::new(&bytes[..cut]);
            assert!(
                read_stream(&mut r, true, &Default::default()).is_err(),
                "cut at {cut}"
            );
        }
        // Flip every byte in turn: never a panic.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x5a;
            let mut r = Reader::new(&b);
            let _ = read_stream(&mut r, true, &Default::default());
        }
    }
}
