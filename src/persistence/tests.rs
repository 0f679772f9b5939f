//! Tests of the RDB codecs as a whole: every type and encoding through a
//! DUMP payload and through a snapshot, the legacy encodings, duplicate
//! detection, checksums, and a fuzz loop of random mutations of valid
//! payloads that must never panic.

use super::dump::{dump_payload, restore_value, verify_payload, with_footer};
use super::load::LoadOpts;
use super::rdb::*;
use super::save::{write_rdb, AuxInfo, SaveOpts};
use super::snapshot::{read_rdb, LoadCtx};
use super::ziplist::tests::{build_ziplist, build_zipmap};
use super::ziplist::ZlEntry;
use crate::db::digest::{dataset_digest, object_digest};
use crate::db::Db;
use crate::types::hash::{self, Hash};
use crate::types::set::Set;
use crate::types::value::{Obj, Value};
use crate::util::testrng::Rng;

const HASH_LIM: hash::Limits = hash::Limits {
    max_entries: 128,
    max_value: 64,
};

fn digest(v: &Value) -> [u8; 20] {
    let mut d = [0u8; 20];
    object_digest(
        &mut d,
        &Obj {
            val: v.clone(),
            lru: 0,
        },
        false,
    );
    d
}

/// One value of every type and encoding this server holds.
pub fn sample_values() -> Vec<(&'static str, Value)> {
    let mut out = vec![
        ("int8", Value::Int(-5)),
        ("int32", Value::Int(70000)),
        ("int64", Value::Int(i64::MIN)),
        ("emb", Value::from_bytes(b"hello")),
        ("empty", Value::from_bytes(b"")),
        ("raw", Value::raw(vec![b'q'; 100])),
        (
            "random",
            Value::raw((0..200u32).map(|i| (i * 37 % 251) as u8).collect()),
        ),
    ];
    let mut h = Hash::new();
    h.set(b"a", b"1", HASH_LIM);
    h.set(b"b", b"two", HASH_LIM);
    out.push(("hash_lp", Value::Hash(h.clone())));
    h.set(b"long", &[b'v'; 100], HASH_LIM);
    out.push(("hash_ht", Value::Hash(h)));
    let mut s = Set::new();
    for m in [&b"1"[..], b"-300", b"5000000000"] {
        s.add(m, 512);
    }
    out.push(("set_is", Value::Set(s.clone())));
    s.add(b"member", 512);
    out.push(("set_ht", Value::Set(s)));
    out.extend(super::collections::sample_values());
    out
}

#[test]
fn every_value_round_trips_through_a_dump_payload() {
    for compress in [true, false] {
        for (name, v) in sample_values() {
            let p = dump_payload(&v, compress);
            assert!(verify_payload(&p, false), "{name}");
            let back = restore_value(&p, &LoadOpts::default()).unwrap();
            assert_eq!(digest(&back), digest(&v), "{name}");
            assert_eq!(back.encoding_name(), v.encoding_name(), "{name}");
        }
    }
}

#[test]
fn payload_footer_checks_version_and_crc() {
    let p = dump_payload(&Value::from_bytes(b"abc"), true);
    let mut bad = p.clone();
    bad[1] ^= 1;
    assert!(!verify_payload(&bad, false));
    assert!(verify_payload(&bad, true));
    let n = p.len();
    let mut newer = p.clone();
    newer[n - 10] = 11;
    assert!(!verify_payload(&newer, true));
    assert!(!verify_payload(&p[..9], true));
}

fn ctx() -> LoadCtx {
    LoadCtx {
        now_ms: 1_000_000,
        lfu: false,
        lruclock: 100,
        unix_secs: 1000,
        expire_on_load: true,
        allow_dup: false,
        verify_crc: true,
    }
}

pub fn snapshot(dbs: &[Db], checksum: bool) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), true, checksum);
    let aux = AuxInfo {
        ctime: 1,
        used_mem: 2,
        repl_id: "0123456789012345678901234567890123456789",
        repl_offset: 0,
        repl_stream_db: 0,
        aof_base: false,
    };
    let o = SaveOpts {
        lru: true,
        lruclock: 100,
        ..SaveOpts::plain()
    };
    write_rdb(&mut w, dbs, &aux, &o, &mut |_| {}).unwrap();
    w.into_inner()
}

pub fn sample_dbs() -> Vec<Db> {
    let mut dbs: Vec<Db> = (0..4).map(Db::new).collect();
    for (i, (name, v)) in sample_values().into_iter().enumerate() {
        let db = &mut dbs[i % 3];
        db.add(name.as_bytes(), Obj { val: v, lru: 50 });
        if i % 3 == 0 {
            db.set_expire(name.as_bytes(), 5_000_000 + i as i64);
        }
    }
    dbs[3].add(
        b"gone",
        Obj {
            val: Value::Int(1),
            lru: 0,
        },
    );
    dbs[3].set_expire(b"gone", 10);
    dbs
}

#[test]
fn snapshots_round_trip_with_expires_and_drop_expired_keys() {
    let dbs = sample_dbs();
    let bytes = snapshot(&dbs, true);
    assert!(bytes.starts_with(b"REDIS0010"));
    let mut back: Vec<Db> = (0..4).map(Db::new).collect();
    let stats = read_rdb(&bytes, &mut back, &LoadOpts::default(), &ctx(), &mut |_| {}).unwrap();
    assert_eq!(stats.keys_expired, 1);
    let mut want = dbs;
    want[3].delete(b"gone");
    assert_eq!(dataset_digest(&back), dataset_digest(&want));
    assert_eq!(back[0].expires.len(), want[0].expires.len());
    // IDLE was written (lru policy) and applied: 100 - (100 - 50) = 50.
    assert_eq!(back[0].keys.iter().next().map(|(_, o)| o.lru), Some(50));
}

#[test]
fn snapshot_checksum_errors_and_disabled_checksums() {
    let dbs = sample_dbs();
    let mut bytes = snapshot(&dbs, true);
    let n = bytes.len();
    bytes[n - 3] ^= 0x10;
    let mut back: Vec<Db> = (0..4).map(Db::new).collect();
    let e = read_rdb(&bytes, &mut back, &LoadOpts::default(), &ctx(), &mut |_| {}).unwrap_err();
    assert_eq!(e.to_string(), "RDB CRC error");
    let unchecked = snapshot(&dbs, false);
    assert_eq!(&unchecked[unchecked.len() - 8..], &[0; 8]);
    let mut back: Vec<Db> = (0..4).map(Db::new).collect();
    read_rdb(
        &unchecked,
        &mut back,
        &LoadOpts::default(),
        &ctx(),
        &mut |_| {},
    )
    .unwrap();
    // Too few databases configured, and a bad header.
    let mut one = vec![Db::new(0)];
    assert!(read_rdb(&bytes, &mut one, &LoadOpts::default(), &ctx(), &mut |_| {}).is_err());
    let e = read_rdb(
        b"REDIS0011",
        &mut one,
        &LoadOpts::default(),
        &ctx(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "Can't handle RDB format version 11");
    let e = read_rdb(
        b"RUBBISH00",
        &mut one,
        &LoadOpts::default(),
        &ctx(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "Wrong signature trying to load DB from file");
}

/// A payload of type `t` holding the string `blob`.
fn blob_payload(t: u8, blob: &[u8]) -> Vec<u8> {
    let mut w = Writer::new(vec![t], false, false);
    w.string(blob).unwrap();
    with_footer(w.into_inner(), 9)
}

fn restore(p: &[u8], o: &LoadOpts) -> Result<Value> {
    assert!(verify_payload(p, false));
    restore_value(p, o)
}

/// The error a payload must produce.
fn refused(p: &[u8], o: &LoadOpts) -> RdbError {
    match restore(p, o) {
        Ok(_) => panic!("payload accepted"),
        Err(e) => e,
    }
}

#[test]
fn legacy_hash_encodings_convert_like_redis() {
    let zl = build_ziplist(&[
        ZlEntry::Str(b"f"),
        ZlEntry::Int(7),
        ZlEntry::Int(3),
        ZlEntry::Str(b"v"),
    ]);
    let v = restore(&blob_payload(TYPE_HASH_ZIPLIST, &zl), &LoadOpts::default()).unwrap();
    let Value::Hash(h) = &v else { panic!() };
    assert_eq!(h.encoding_name(), "listpack");
    assert_eq!(h.peek(b"3").map(|e| e.to_vec()), Some(b"v".to_vec()));
    // A repeated field is corrupt.
    let dup = build_ziplist(&[
        ZlEntry::Str(b"f"),
        ZlEntry::Int(1),
        ZlEntry::Str(b"f"),
        ZlEntry::Int(2),
    ]);
    let e = refused(&blob_payload(TYPE_HASH_ZIPLIST, &dup), &LoadOpts::default());
    assert_eq!(e.to_string(), "Hash ziplist integrity check failed.");
    // Zipmap: a value over hash-max-listpack-value makes a hashtable.
    let long = [b'x'; 100];
    let zm = build_zipmap(&[(b"a", b"1"), (b"b", &long)]);
    let v = restore(&blob_payload(TYPE_HASH_ZIPMAP, &zm), &LoadOpts::default()).unwrap();
    assert_eq!(v.encoding_name(), "hashtable");
    let zm = build_zipmap(&[(b"a", b"1"), (b"a", b"2")]);
    let e = refused(&blob_payload(TYPE_HASH_ZIPMAP, &zm), &LoadOpts::default());
    assert!(e.to_string().starts_with("Hash zipmap with dup elements"));
}

#[test]
fn duplicates_are_refused() {
    // Plain set and hash with a repeated member/field.
    let mut w = Writer::new(vec![TYPE_SET], false, false);
    w.len(2).unwrap();
    w.string(b"a").unwrap();
    w.string(b"a").unwrap();
    let p = with_footer(w.into_inner(), 10);
    let e = refused(&p, &LoadOpts::default());
    assert_eq!(e.to_string(), "Duplicate set members detected");
    let mut w = Writer::new(vec![TYPE_HASH], false, false);
    w.len(2).unwrap();
    for s in [b"f", b"1", b"f", b"2"] {
        w.string(s).unwrap();
    }
    let e = refused(&with_footer(w.into_inner(), 10), &LoadOpts::default());
    assert_eq!(e.to_string(), "Duplicate hash fields detected");
    // A hash listpack repeating a field: found by the deep check only.
    let mut lp = crate::types::listpack::Listpack::new();
    for s in [b"f", b"1", b"f", b"2"] {
        lp.push_back(s);
    }
    let p = blob_payload(TYPE_HASH_LISTPACK, lp.as_bytes());
    assert!(restore(&p, &LoadOpts::default()).is_ok());
    let deep = LoadOpts {
        deep: true,
        ..LoadOpts::default()
    };
    let e = refused(&p, &deep);
    assert_eq!(e.to_string(), "Hash listpack integrity check failed.");
    // An empty collection is no value.
    let mut w = Writer::new(vec![TYPE_SET], false, false);
    w.len(0).unwrap();
    assert!(restore(&with_footer(w.into_inner(), 10), &LoadOpts::default()).is_err());
}

#[test]
fn unsupported_types_are_refused_clearly() {
    let mut w = Writer::new(vec![TYPE_MODULE_2], false, false);
    w.len((1u64 << 63) | 5).unwrap();
    let e = refused(&with_footer(w.into_inner(), 10), &LoadOpts::default());
    assert!(e.to_string().contains("module data I can't load"), "{e}");
    // A stream cut after its node count is a truncated payload.
    let p = with_footer(vec![TYPE_STREAM_LISTPACKS_2, 0], 10);
    assert!(restore(&p, &LoadOpts::default()).is_err());
    let p = with_footer(vec![8, 0], 10);
    assert!(restore(&p, &LoadOpts::default()).is_err());
}

/// Random corruption of one payload: flips, overwrites, cuts, inserts.
pub fn mutate(rng: &mut Rng, p: &[u8]) -> Vec<u8> {
    let mut v = p.to_vec();
    for _ in 0..1 + rng.below_usize(4) {
        let at = rng.below_usize(v.len());
        match rng.below_usize(5) {
            0 => v[at] ^= 1 << rng.below_usize(8),
            1 => v[at] = rng.next() as u8,
            2 => v.truncate(at),
            3 => v.insert(at, rng.next() as u8),
            _ => {
                // A big length prefix where a small one was.
                let big = [0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
                v.splice(at..at, big);
            }
        }
        if v.is_empty() {
            break;
        }
    }
    v
}

#[test]
fn fuzzed_payloads_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let deep = LoadOpts {
        deep: true,
        ..LoadOpts::default()
    };
    let mut payloads: Vec<Vec<u8>> = sample_values()
        .iter()
        .map(|(_, v)| dump_payload(v, true))
        .collect();
    let zl = build_ziplist(&[
        ZlEntry::Str(b"f"),
        ZlEntry::Int(700),
        ZlEntry::Int(-3),
        ZlEntry::Str(b"v"),
    ]);
    payloads.push(blob_payload(TYPE_HASH_ZIPLIST, &zl));
    payloads.push(blob_payload(TYPE_ZSET_ZIPLIST, &zl));
    payloads.push(blob_payload(TYPE_LIST_ZIPLIST, &zl));
    payloads.push(blob_payload(
        TYPE_HASH_ZIPMAP,
        &build_zipmap(&[(b"a", b"1")]),
    ));
    let (mut runs, mut refused) = (0u32, 0u32);
    for _ in 0..4000 {
        for p in &payloads {
            let m = mutate(&mut rng, p);
            // Checksums are skipped so the mutation reaches the decoder.
            let o = if rng.below_usize(2) == 0 {
                &deep
            } else {
                &LoadOpts::default()
            };
            runs += 1;
            if restore_value(&m, o).is_err() {
                refused += 1;
            }
        }
    }
    assert!(refused > runs / 2, "{refused} of {runs}");
    // Whole snapshots too, with the checksum off so mutations get parsed.
    let bytes = snapshot(&sample_dbs(), false);
    let nock = LoadCtx {
        verify_crc: false,
        ..ctx()
    };
    for _ in 0..3000 {
        let m = mutate(&mut rng, &bytes);
        let mut dbs: Vec<Db> = (0..4).map(Db::new).collect();
        let _ = read_rdb(&m, &mut dbs, &LoadOpts::default(), &nock, &mut |_| {});
    }
}

#[test]
fn every_truncation_of_a_snapshot_is_an_error() {
    let bytes = snapshot(&sample_dbs(), true);
    for cut in 0..bytes.len() {
        let mut dbs: Vec<Db> = (0..4).map(Db::new).collect();
        assert!(read_rdb(
            &bytes[..cut],
            &mut dbs,
            &LoadOpts::default(),
            &ctx(),
            &mut |_| {}
        )
        .is_err());
    }
}

fn list_items(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::List(l) => l.iter().map(|i| i.to_vec()).collect(),
        _ => panic!("not a list"),
    }
}

fn zset_items(v: &Value) -> Vec<(Vec<u8>, f64)> {
    match v {
        Value::ZSet(z) => z.iter().map(|(m, s)| (m.to_vec(), s)).collect(),
        _ => panic!("not a zset"),
    }
}

#[test]
fn legacy_list_encodings_load() {
    let want: Vec<Vec<u8>> = vec![b"a".to_vec(), b"17".to_vec(), b"-2".to_vec()];
    // Old linked list of strings.
    let mut w = Writer::new(vec![TYPE_LIST], false, false);
    w.len(3).unwrap();
    for s in &want {
        w.string(s).unwrap();
    }
    let v = restore(&with_footer(w.into_inner(), 6), &LoadOpts::default()).unwrap();
    assert_eq!(list_items(&v), want);
    // One ziplist, and a QUICKLIST (v1) of two ziplists.
    let items = [ZlEntry::Str(b"a"), ZlEntry::Int(17), ZlEntry::Int(-2)];
    let zl = build_ziplist(&items);
    let v = restore(&blob_payload(TYPE_LIST_ZIPLIST, &zl), &LoadOpts::default()).unwrap();
    assert_eq!(list_items(&v), want);
    let mut w = Writer::new(vec![TYPE_LIST_QUICKLIST], false, false);
    w.len(2).unwrap();
    w.string(&zl).unwrap();
    w.string(&build_ziplist(&[ZlEntry::Str(b"z")])).unwrap();
    let v = restore(&with_footer(w.into_inner(), 9), &LoadOpts::default()).unwrap();
    assert_eq!(list_items(&v).len(), 4);
    // QUICKLIST_2 with a PLAIN node, and a bad container.
    let mut w = Writer::new(vec![TYPE_LIST_QUICKLIST_2], false, false);
    w.len(1).unwrap();
    w.len(CONTAINER_PLAIN).unwrap();
    w.string(b"big element").unwrap();
    let v = restore(&with_footer(w.into_inner(), 10), &LoadOpts::default()).unwrap();
    assert_eq!(list_items(&v), vec![b"big element".to_vec()]);
    let mut w = Writer::new(vec![TYPE_LIST_QUICKLIST_2], false, false);
    w.len(1).unwrap();
    w.len(7).unwrap();
    w.string(b"x").unwrap();
    let e = refused(&with_footer(w.into_inner(), 10), &LoadOpts::default());
    assert_eq!(e.to_string(), "Quicklist integrity check failed.");
    let e = refused(
        &blob_payload(TYPE_LIST_ZIPLIST, b"junk"),
        &LoadOpts::default(),
    );
    assert_eq!(e.to_string(), "List ziplist integrity check failed.");
}

#[test]
fn legacy_zset_encodings_load_and_bad_ones_are_refused() {
    // ZSET with text scores, unsorted: comes back sorted, as a listpack.
    let mut w = Writer::new(vec![TYPE_ZSET], false, false);
    w.len(3).unwrap();
    for (m, s) in [(&b"b"[..], &b"2.5"[..]), (b"a", b"1"), (b"c", b"-3")] {
        w.string(m).unwrap();
        w.byte(s.len() as u8).unwrap();
        w.raw(s).unwrap();
    }
    let v = restore(&with_footer(w.into_inner(), 3), &LoadOpts::default()).unwrap();
    assert_eq!(v.encoding_name(), "listpack");
    assert_eq!(
        zset_items(&v),
        vec![
            (b"c".to_vec(), -3.0),
            (b"a".to_vec(), 1.0),
            (b"b".to_vec(), 2.5)
        ]
    );
    // A NaN score and a repeated member.
    let mut w = Writer::new(vec![TYPE_ZSET], false, false);
    w.len(1).unwrap();
    w.string(b"m").unwrap();
    w.byte(253).unwrap();
    let e = refused(&with_footer(w.into_inner(), 3), &LoadOpts::default());
    assert_eq!(e.to_string(), "Zset with NAN score detected");
    let mut w = Writer::new(vec![TYPE_ZSET_2], false, false);
    w.len(2).unwrap();
    for _ in 0..2 {
        w.string(b"m").unwrap();
        w.binary_double(1.0).unwrap();
    }
    let e = refused(&with_footer(w.into_inner(), 10), &LoadOpts::default());
    assert_eq!(e.to_string(), "Duplicate zset fields detected");
    // ZSET_ZIPLIST in order loads; out of order is refused.
    let ok_zl = build_ziplist(&[
        ZlEntry::Str(b"a"),
        ZlEntry::Int(1),
        ZlEntry::Str(b"b"),
        ZlEntry::Str(b"2.5"),
    ]);
    let v = restore(
        &blob_payload(TYPE_ZSET_ZIPLIST, &ok_zl),
        &LoadOpts::default(),
    )
    .unwrap();
    assert_eq!(
        zset_items(&v),
        vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.5)]
    );
    let bad_zl = build_ziplist(&[
        ZlEntry::Str(b"a"),
        ZlEntry::Int(5),
        ZlEntry::Str(b"b"),
        ZlEntry::Int(1),
    ]);
    let e = refused(
        &blob_payload(TYPE_ZSET_ZIPLIST, &bad_zl),
        &LoadOpts::default(),
    );
    assert_eq!(e.to_string(), "Zset ziplist integrity check failed.");
    // More members than zset-max-listpack-entries: a skiplist.
    let small = LoadOpts {
        zset_max_listpack_entries: 1,
        ..LoadOpts::default()
    };
    let v = restore(&blob_payload(TYPE_ZSET_ZIPLIST, &ok_zl), &small).unwrap();
    assert_eq!(v.encoding_name(), "skiplist");
}
