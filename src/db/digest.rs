//! DEBUG DIGEST / DIGEST-VALUE: an order-independent SHA1-based digest of
//! the dataset, computed exactly as Redis' debug.c does, so digests can be
//! compared across ferrodis and Redis (the suite compares them around
//! reloads and replication).
//!
//! * `xor_digest(d, data)`: d ^= SHA1(data) — for unordered members.
//! * `mix_digest(d, data)`: d = SHA1(d ^ SHA1(data)) — for ordered input.
//!
//! Each key's digest mixes key, type (big-endian u32), value, and an
//! "!!expire!!" marker if it has a TTL; keys are xored together, and each
//! non-empty database first mixes its index into the total.

use super::Db;
use crate::types::listpack::Entry;
use crate::types::stream::StreamId;
use crate::types::value::{Obj, Value, ValueType};
use crate::util::number::fmt_f64_g17;
use std::borrow::Cow;

/// SHA-1 (FIPS 180-4); small and only used here.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in chunk.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(v);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

pub fn xor_digest(d: &mut [u8; 20], data: &[u8]) {
    for (x, y) in d.iter_mut().zip(sha1(data)) {
        *x ^= y;
    }
}

pub fn mix_digest(d: &mut [u8; 20], data: &[u8]) {
    xor_digest(d, data);
    *d = sha1(&d[..]);
}

/// Redis' OBJ_* type codes, hashed into each key's digest.
fn type_code(t: ValueType) -> u32 {
    match t {
        ValueType::String => 0,
        ValueType::List => 1,
        ValueType::Set => 2,
        ValueType::ZSet => 3,
        ValueType::Hash => 4,
        ValueType::Stream => 6,
    }
}

/// Mix one value (and its TTL marker) into `d` (xorObjectDigest).
pub fn object_digest(d: &mut [u8; 20], o: &Obj, has_expire: bool) {
    mix_digest(d, &type_code(o.val.value_type()).to_be_bytes());
    // Ordered types mix each element into the running digest; unordered
    // ones XOR per-element digests, so the result ignores storage order.
    match &o.val {
        Value::List(l) => {
            for item in l.iter() {
                mix_digest(d, &entry_bytes(item.as_entry()));
            }
        }
        Value::Set(st) => {
            for e in st.iter() {
                xor_digest(d, &entry_bytes(e));
            }
        }
        Value::ZSet(z) => {
            for (m, score) in z.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, &entry_bytes(m));
                mix_digest(&mut ele, fmt_f64_g17(score).as_bytes());
                xor_digest(d, &ele);
            }
        }
        Value::Hash(h) => {
            for (f, v) in h.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, &entry_bytes(f));
                mix_digest(&mut ele, &entry_bytes(v));
                xor_digest(d, &ele);
            }
        }
        Value::Stream(s) => {
            // Each live entry: "<ms>.<seq>", then its fields and values.
            let mut buf = Vec::new();
            for e in s.range(StreamId::MIN, StreamId::MAX, false) {
                let id = format!("{}.{}", e.id.ms, e.id.seq);
                mix_digest(d, id.as_bytes());
                for (f, v) in e.fields() {
                    for x in [f, v] {
                        buf.clear();
                        crate::types::stream::entry_bytes(x, &mut buf);
                        mix_digest(d, &buf);
                    }
                }
            }
        }
        v => {
            if let Some(s) = v.as_str() {
                mix_digest(d, &s.to_vec());
            }
        }
    }
    if has_expire {
        xor_digest(d, b"!!expire!!");
    }
}

/// An element's bytes as Redis hashes them (integers in decimal).
fn entry_bytes(e: Entry<'_>) -> Cow<'_, [u8]> {
    match e {
        Entry::Str(s) => Cow::Borrowed(s),
        Entry::Int(n) => Cow::Owned(n.to_string().into_bytes()),
    }
}

pub fn dataset_digest(dbs: &[Db]) -> [u8; 20] {
    let mut total = [0u8; 20];
    for (j, db) in dbs.iter().enumerate() {
        if db.keys.is_empty() {
            continue;
        }
        mix_digest(&mut total, &(j as u32).to_be_bytes());
        for (k, o) in db.keys.iter() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, k.as_bytes());
            let has_expire = db.expires.peek(k.as_bytes()).is_some();
            object_digest(&mut d, o, has_expire);
            xor_digest(&mut total, &d);
        }
    }
    total
}

pub fn hex(d: &[u8; 20]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors recorded from Redis 7.0.15 (DEBUG DIGEST / DIGEST-VALUE).
    #[test]
    fn digests_match_redis() {
        use crate::types::value::{Obj, Value};
        let mut dbs = vec![Db::new(0)];
        dbs[0].add(
            b"foo",
            Obj {
                val: Value::from_bytes(b"bar"),
                lru: 0,
            },
        );
        assert_eq!(
            hex(&dataset_digest(&dbs)),
            "d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a"
        );
        let mut d = [0u8; 20];
        object_digest(&mut d, dbs[0].keys.peek(b"foo").unwrap(), false);
        assert_eq!(hex(&d), "68467c70ae30376e7ce005bcc8827f5ba7fd67dc");
        dbs[0].add(
            b"n",
            Obj {
                val: Value::from_bytes(b"12345"),
                lru: 0,
            },
        );
        assert_eq!(
            hex(&dataset_digest(&dbs)),
            "cd5a02343543db03481294f2a80f5609dd27c72b"
        );
    }

    #[test]
    fn sha1_matches_known_vectors() {
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        let long = vec![b'a'; 1000];
        assert_eq!(
            hex(&sha1(&long)),
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        );
    }
}
