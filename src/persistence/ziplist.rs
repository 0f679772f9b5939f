//! Readers for the two encodings Redis no longer keeps in memory but still
//! loads from old RDB files and DUMP payloads: the ziplist (Redis 2.6-6.2
//! small lists, hashes, sorted sets and quicklist nodes) and the zipmap
//! (Redis 2.4 small hashes). Both are validated completely, as Redis'
//! `ziplistValidateIntegrity(.., deep=1)` and `zipmapValidateIntegrity`
//! do, and yield their elements so the loader can rebuild listpacks.
//!
//! Ziplist layout (all little endian):
//! ```text
//! zlbytes:u32 zltail:u32 zllen:u16  entry*  0xFF
//! entry := prevlen (1 byte < 254, or 0xFE + u32)  encoding  data
//! encoding: 00llllll | 01llllll llllllll (BE) | 0x80 u32 (BE)  string
//!           0xC0 i16 | 0xD0 i32 | 0xE0 i64 | 0xF0 i24 | 0xFE i8
//!           0xF1..0xFD  immediate 0..12
//! ```
//! Zipmap layout: `zmlen:u8 (field-len field value-len free value pad)* 0xFF`,
//! lengths as one byte < 254, or 0xFE + u32 (little endian).

/// One decoded ziplist element.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ZlEntry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

const ZL_HEADER: usize = 10;
const ZL_END: u8 = 0xFF;
const ZL_BIGLEN: u8 = 0xFE;

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Decodes one entry at `off`; returns (element, total entry length,
/// prevlen field value). `None` when anything is out of bounds or invalid.
fn entry_at(zl: &[u8], off: usize, end: usize) -> Option<(ZlEntry<'_>, usize, usize)> {
    let body = zl.get(..end)?;
    let first = *body.get(off)?;
    let (prevlen, plen) = if first < ZL_BIGLEN {
        (first as usize, 1)
    } else if first == ZL_BIGLEN {
        (le_u32(body, off + 1)? as usize, 5)
    } else {
        return None;
    };
    let p = off + plen;
    let enc = *body.get(p)?;
    let (hdr, entry): (usize, ZlEntry<'_>);
    let data_at = |h: usize, n: usize| body.get(p + h..(p + h).checked_add(n)?);
    match enc >> 6 {
        0 => {
            let n = (enc & 0x3f) as usize;
            hdr = 1;
            entry = ZlEntry::Str(data_at(1, n)?);
            return Some((entry, plen + hdr + n, prevlen));
        }
        1 => {
            let n = (((enc & 0x3f) as usize) << 8) | *body.get(p + 1)? as usize;
            entry = ZlEntry::Str(data_at(2, n)?);
            return Some((entry, plen + 2 + n, prevlen));
        }
        2 => {
            if enc != 0x80 {
                return None;
            }
            let s = body.get(p + 1..p + 5)?;
            let n = u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize;
            entry = ZlEntry::Str(data_at(5, n)?);
            return Some((entry, plen + 5 + n, prevlen));
        }
        _ => {}
    }
    let (len, v) = match enc {
        0xC0 => {
            let s = data_at(1, 2)?;
            (2, i16::from_le_bytes([s[0], s[1]]) as i64)
        }
        0xD0 => {
            let s = data_at(1, 4)?;
            (4, i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as i64)
        }
        0xE0 => {
            let s = data_at(1, 8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            (8, i64::from_le_bytes(a))
        }
        0xF0 => {
            let s = data_at(1, 3)?;
            // Sign-extend the 24-bit value.
            (3, (i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8) as i64)
        }
        0xFE => (1, data_at(1, 1)?[0] as i8 as i64),
        0xF1..=0xFD => (0, ((enc & 0x0f) as i64) - 1),
        _ => return None,
    };
    hdr = 1;
    Some((ZlEntry::Int(v), plen + hdr + len, prevlen))
}

/// Validates a ziplist completely and returns its elements in order;
/// `None` for any inconsistency (sizes, tail offset, prevlen chain,
/// count, terminator).
pub fn ziplist_entries(zl: &[u8]) -> Option<Vec<ZlEntry<'_>>> {
    if zl.len() < ZL_HEADER + 1 {
        return None;
    }
    let bytes = le_u32(zl, 0)? as usize;
    let tail = le_u32(zl, 4)? as usize;
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    let end = zl.len() - 1;
    if bytes != zl.len() || zl[end] != ZL_END || tail > end {
        return None;
    }
    // Each entry takes at least two bytes, so this bounds the allocation.
    let mut out = Vec::with_capacity((end - ZL_HEADER) / 2);
    let mut off = ZL_HEADER;
    let mut prev_len = 0usize;
    let mut last = None;
    while off < end {
        let (e, len, prevlen) = entry_at(zl, off, end)?;
        if prevlen != prev_len {
            return None;
        }
        out.push(e);
        last = Some(off);
        prev_len = len;
        off += len;
    }
    if off != end {
        return None;
    }
    match last {
        Some(l) if l != tail => return None,
        None if tail != ZL_HEADER => return None,
        _ => {}
    }
    if count != u16::MAX && count as usize != out.len() {
        return None;
    }
    Some(out)
}

/// Reads a zipmap length at `off`: (length, bytes used); `None` at the end
/// marker or out of bounds.
fn zipmap_len(zm: &[u8], off: usize) -> Option<(usize, usize)> {
    match *zm.get(off)? {
        b if b < ZL_BIGLEN => Some((b as usize, 1)),
        ZL_BIGLEN => Some((le_u32(zm, off + 1)? as usize, 5)),
        _ => None,
    }
}

/// Validates a zipmap and returns its (field, value) pairs.
pub fn zipmap_pairs(zm: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let declared = *zm.first()?;
    let mut off = 1usize;
    let mut out = Vec::new();
    loop {
        if *zm.get(off)? == ZL_END {
            break;
        }
        let (flen, n) = zipmap_len(zm, off)?;
        off += n;
        let field = zm.get(off..off.checked_add(flen)?)?;
        off += flen;
        let (vlen, n) = zipmap_len(zm, off)?;
        off += n;
        let free = *zm.get(off)? as usize;
        off += 1;
        let value = zm.get(off..off.checked_add(vlen)?)?;
        off = off.checked_add(vlen)?.checked_add(free)?;
        out.push((field, value));
    }
    // The end marker must be the last byte, a small count must match, and
    // an empty zipmap is refused like Redis does.
    if off + 1 != zm.len()
        || out.is_empty()
        || (declared < ZL_BIGLEN && declared as usize != out.len())
    {
        return None;
    }
    Some(out)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Builds a ziplist of the given elements the way Redis lays it out
    /// (also used by the loader's tests).
    pub fn build_ziplist(items: &[ZlEntry<'_>]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut last_off = ZL_HEADER;
        for e in items {
            let start = body.len();
            last_off = ZL_HEADER + start;
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(0xFE);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match *e {
                ZlEntry::Str(s) if s.len() < 64 => {
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                ZlEntry::Str(s) if s.len() < 16384 => {
                    body.push(0x40 | (s.len() >> 8) as u8);
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                ZlEntry::Str(s) => {
                    body.push(0x80);
                    body.extend_from_slice(&(s.len() as u32).to_be_bytes());
                    body.extend_from_slice(s);
                }
                ZlEntry::Int(v) if (0..=12).contains(&v) => body.push(0xF1 + v as u8),
                ZlEntry::Int(v) if i8::try_from(v).is_ok() => {
                    body.push(0xFE);
                    body.push(v as i8 as u8);
                }
                ZlEntry::Int(v) if i16::try_from(v).is_ok() => {
                    body.push(0xC0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                ZlEntry::Int(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                    body.push(0xF0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                ZlEntry::Int(v) if i32::try_from(v).is_ok() => {
                    body.push(0xD0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                ZlEntry::Int(v) => {
                    body.push(0xE0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
            prev = body.len() - start;
        }
        let total = ZL_HEADER + body.len() + 1;
        let mut zl = Vec::with_capacity(total);
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&(last_off as u32).to_le_bytes());
        zl.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(ZL_END);
        zl
    }

    pub fn build_zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut zm = vec![pairs.len().min(254) as u8];
        let len = |zm: &mut Vec<u8>, n: usize| {
            if n < 254 {
                zm.push(n as u8);
            } else {
                zm.push(254);
                zm.extend_from_slice(&(n as u32).to_le_bytes());
            }
        };
        for (f, v) in pairs {
            len(&mut zm, f.len());
            zm.extend_from_slice(f);
            len(&mut zm, v.len());
            zm.push(1); // one byte of free space, as after an update
            zm.extend_from_slice(v);
            zm.push(0);
        }
        zm.push(0xFF);
        zm
    }

    #[test]
    fn ziplists_round_trip_every_encoding() {
        let big = vec![b'x'; 300];
        let huge = vec![b'y'; 20000];
        let items = [
            ZlEntry::Int(0),
            ZlEntry::Int(12),
            ZlEntry::Int(-100),
            ZlEntry::Int(1000),
            ZlEntry::Int(-5_000_000),
            ZlEntry::Int(1 << 30),
            ZlEntry::Int(i64::MIN),
            ZlEntry::Str(b""),
            ZlEntry::Str(b"hello"),
            ZlEntry::Str(&big),
            ZlEntry::Str(&huge),
            ZlEntry::Str(b"after a big one"),
        ];
        let zl = build_ziplist(&items);
        assert_eq!(ziplist_entries(&zl).unwrap(), items);
        assert_eq!(ziplist_entries(&build_ziplist(&[])).unwrap(), vec![]);
    }

    #[test]
    fn broken_ziplists_are_refused_never_panic() {
        let zl = build_ziplist(&[ZlEntry::Str(b"abc"), ZlEntry::Int(7), ZlEntry::Str(b"z")]);
        for i in 0..zl.len() {
            assert!(ziplist_entries(&zl[..i]).is_none());
            for bit in 0..8 {
                let mut z = zl.clone();
                z[i] ^= 1 << bit;
                let _ = ziplist_entries(&z);
            }
        }
    }

    #[test]
    fn zipmaps_decode_and_validate() {
        let long = vec![b'v'; 300];
        let pairs: [(&[u8], &[u8]); 2] = [(b"f1", b"v1"), (b"f2", &long)];
        let zm = build_zipmap(&pairs);
        assert_eq!(zipmap_pairs(&zm).unwrap(), pairs.to_vec());
        for i in 0..zm.len() {
            assert!(zipmap_pairs(&zm[..i]).is_none());
        }
        assert!(zipmap_pairs(&[0, 0xFF]).is_none());
    }
}
