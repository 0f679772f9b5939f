//! Reading values and whole snapshots (rdb.c's rdbLoadObject and
//! rdbLoadRioWithLoadingCtx), for RDB versions 1 to 10.
//!
//! Loading a value, as Redis 7.0 does it:
//! 1. read the body of its type, legacy encodings included (linked lists,
//!    ziplists, zipmaps, quicklists of ziplists, text-score zsets);
//! 2. validate every blob before adopting it: listpacks, intsets and
//!    ziplists are always walked completely here (Redis only does that under
//!    `sanitize-dump-payload yes`, but a blob that is never checked could
//!    make a later command misbehave); what `deep` adds, as in Redis, is
//!    the search for duplicate fields/members inside blobs;
//! 3. rebuild legacy encodings as listpacks and convert to the big
//!    encoding when the configured limits say so, with Redis' rules for
//!    each type (e.g. a hash listpack converts only on its entry count);
//! 4. an empty collection is reported as `None`: the file loader skips
//!    it with a warning, RESTORE refuses it.
//!
//! Errors carry Redis' texts ("Intset integrity check failed." ...). No
//! count read from the input pre-sizes anything beyond what the remaining
//! input could hold.

use std::collections::HashSet;

use super::rdb::*;
use super::ziplist::{self, ZlEntry};
use crate::types::hash::{self, Hash};
use crate::types::intset::IntSet;
use crate::types::listpack::{Listpack, MAX_SAFETY_SIZE};
use crate::types::set::Set;
use crate::types::value::Value;

/// Blobs validated deeply (INFO dump_payload_sanitizations). A process
/// counter like Redis' stat: the loaders are plain functions without the
/// server at hand, and the server runs one thread.
static SANITIZATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// One encoded blob (listpack, ziplist, intset, stream node) validated
/// under `sanitize-dump-payload`: counted as Redis counts them.
pub fn count_sanitization(o: &LoadOpts) {
    if o.deep {
        SANITIZATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

pub fn sanitizations() -> u64 {
    SANITIZATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// CONFIG RESETSTAT.
pub fn reset_sanitizations() {
    SANITIZATIONS.store(0, std::sync::atomic::Ordering::Relaxed);
}

/// The configuration loading depends on.
#[derive(Clone, Copy, Debug)]
pub struct LoadOpts {
    /// Look for duplicates inside blobs (sanitize-dump-payload).
    pub deep: bool,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    pub list_max_listpack_size: i32,
    pub list_compress_depth: i32,
}

impl Default for LoadOpts {
    /// Redis' default limits.
    fn default() -> Self {
        LoadOpts {
            deep: false,
            hash_max_listpack_entries: 128,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
        }
    }
}

impl LoadOpts {
    fn hash_limits(&self) -> hash::Limits {
        hash::Limits {
            max_entries: self.hash_max_listpack_entries,
            max_value: self.hash_max_listpack_value,
        }
    }
}

/// Reads one value of type `t` (rdbLoadObject). `Ok(None)` is an empty
/// collection.
pub fn read_value(r: &mut Reader<'_>, t: u8, o: &LoadOpts) -> Result<Option<Value>> {
    match t {
        TYPE_STRING => Ok(Some(match r.string_or_int()? {
            StrOrInt::Int(n) => Value::Int(n),
            StrOrInt::Bytes(b) => Value::from_bytes(&b),
        })),
        TYPE_LIST => super::collections::read_linked_list(r, o),
        TYPE_SET => read_set(r, o),
        TYPE_ZSET | TYPE_ZSET_2 => super::collections::read_zset(r, t == TYPE_ZSET_2, o),
        TYPE_HASH => read_hash(r, o),
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            super::collections::read_quicklist(r, t == TYPE_LIST_QUICKLIST_2, o)
        }
        TYPE_HASH_ZIPMAP => read_hash_zipmap(&r.string()?, o),
        TYPE_LIST_ZIPLIST => {
            let zl = r.string()?;
            count_sanitization(o);
            super::collections::read_list_ziplist(&zl, o)
        }
        TYPE_SET_INTSET => {
            let blob = r.string()?;
            count_sanitization(o);
            read_intset(blob, o)
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = r.string()?;
            count_sanitization(o);
            super::collections::read_zset_blob(blob, t == TYPE_ZSET_LISTPACK, o)
        }
        TYPE_HASH_ZIPLIST => {
            let zl = r.string()?;
            count_sanitization(o);
            read_hash_ziplist(&zl, o)
        }
        TYPE_HASH_LISTPACK => {
            let blob = r.string()?;
            count_sanitization(o);
            read_hash_listpack(blob, o)
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => {
            super::stream_rdb::read_stream(r, t == TYPE_STREAM_LISTPACKS_2, o)
        }
        TYPE_MODULE_PRE_GA | TYPE_MODULE_2 => {
            let id = r.length()?;
            Err(RdbError::Unsupported(format!(
                "The RDB file contains module data I can't load: no matching module type '{}'",
                module_type_name(id)
            )))
        }
        _ => corrupt(format!("Unknown RDB encoding type {t}")),
    }
}

/// moduleTypeNameByID: nine characters of six bits each above the ten
/// encoding-version bits.
pub fn module_type_name(id: u64) -> String {
    const CSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = id >> 10;
    let mut name = [0u8; 9];
    for slot in name.iter_mut().rev() {
        *slot = CSET[(id & 63) as usize];
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// Whether a listpack of field/value (or member/score) pairs repeats a
/// field: what lpPairsValidateIntegrityAndDups adds in deep mode.
pub fn pairs_have_dups(lp: &Listpack) -> bool {
    let mut seen = HashSet::with_capacity(lp.len() / 2);
    let mut it = lp.iter();
    while let Some(f) = it.next() {
        if !seen.insert(f.to_vec()) {
            return true;
        }
        it.next();
    }
    false
}

// ---------------------------------------------------------------------------
// Sets
// ---------------------------------------------------------------------------

fn read_set(r: &mut Reader<'_>, o: &LoadOpts) -> Result<Option<Value>> {
    let len = r.count(1)?;
    if len == 0 {
        return Ok(None);
    }
    let max = o.set_max_intset_entries.min(1 << 30);
    let mut s = if len > max {
        Set::new_hashtable(len)
    } else {
        Set::new()
    };
    for _ in 0..len {
        let m = r.string()?;
        if !s.add(&m, max) {
            return corrupt("Duplicate set members detected");
        }
    }
    Ok(Some(Value::Set(s)))
}

fn read_intset(blob: Vec<u8>, o: &LoadOpts) -> Result<Option<Value>> {
    let Some(is) = IntSet::from_bytes(blob) else {
        return corrupt("Intset integrity check failed.");
    };
    let mut s = Set::from_intset(is);
    if s.len() > o.set_max_intset_entries {
        s.convert_to_hashtable();
    }
    Ok(Some(Value::Set(s)))
}

// ---------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------

fn read_hash(r: &mut Reader<'_>, o: &LoadOpts) -> Result<Option<Value>> {
    let len = r.count(2)?;
    if len == 0 {
        return Ok(None);
    }
    let mut h = Hash::new();
    if len > o.hash_max_listpack_entries {
        h.convert_to_table();
    }
    let lim = o.hash_limits();
    for _ in 0..len {
        let f = r.string()?;
        let v = r.string()?;
        // The listpack must also stay under its 1 GB safety size.
        if !h.is_table() {
            h.try_conversion([f.len() + v.len()], usize::MAX);
        }
        if h.set(&f, &v, lim) {
            return corrupt("Duplicate hash fields detected");
        }
    }
    Ok(Some(Value::Hash(h)))
}

/// A validated listpack holding pairs, as a hash, converted to a table
/// when it has more entries than allowed. A repeated field found while
/// converting is what makes Redis panic ("listpack with dup elements");
/// here it is logged the same way and the value refused.
fn hash_from_pairs_listpack(lp: Listpack, o: &LoadOpts) -> Option<Hash> {
    if lp.len() / 2 > o.hash_max_listpack_entries && pairs_have_dups(&lp) {
        log::warn!("listpack with dup elements dump: refusing a corrupt hash");
        return None;
    }
    let mut h = Hash::from_listpack(lp)?;
    if h.len() > o.hash_max_listpack_entries {
        h.convert_to_table();
    }
    Some(h)
}

fn read_hash_listpack(blob: Vec<u8>, o: &LoadOpts) -> Result<Option<Value>> {
    const ERR: &str = "Hash listpack integrity check failed.";
    let Some(lp) = Listpack::from_bytes(blob) else {
        return corrupt(ERR);
    };
    if !lp.len().is_multiple_of(2) || (o.deep && pairs_have_dups(&lp)) {
        return corrupt(ERR);
    }
    if lp.is_empty() {
        return Ok(None);
    }
    match hash_from_pairs_listpack(lp, o) {
        Some(h) => Ok(Some(Value::Hash(h))),
        None => corrupt(ERR),
    }
}

/// Rebuilds ziplist pairs as a listpack, refusing repeated fields and an
/// odd count (ziplistPairsConvertAndValidateIntegrity).
pub fn ziplist_pairs_to_listpack(zl: &[u8]) -> Option<Listpack> {
    let items = ziplist::ziplist_entries(zl)?;
    if !items.len().is_multiple_of(2) {
        return None;
    }
    let mut seen = HashSet::with_capacity(items.len() / 2);
    let mut lp = Listpack::new();
    for (i, e) in items.iter().enumerate() {
        if i % 2 == 0 {
            let key = match e {
                ZlEntry::Str(s) => s.to_vec(),
                ZlEntry::Int(v) => v.to_string().into_bytes(),
            };
            if !seen.insert(key) {
                return None;
            }
        }
        push_zl(&mut lp, *e);
    }
    Some(lp)
}

pub fn push_zl(lp: &mut Listpack, e: ZlEntry<'_>) {
    match e {
        ZlEntry::Int(v) => lp.push_back_int(v),
        ZlEntry::Str(s) => lp.push_back(s),
    }
}

fn read_hash_ziplist(zl: &[u8], o: &LoadOpts) -> Result<Option<Value>> {
    let Some(lp) = ziplist_pairs_to_listpack(zl) else {
        return corrupt("Hash ziplist integrity check failed.");
    };
    if lp.is_empty() {
        return Ok(None);
    }
    match hash_from_pairs_listpack(lp, o) {
        Some(h) => Ok(Some(Value::Hash(h))),
        None => corrupt("Hash ziplist integrity check failed."),
    }
}

fn read_hash_zipmap(zm: &[u8], o: &LoadOpts) -> Result<Option<Value>> {
    let Some(pairs) = ziplist::zipmap_pairs(zm) else {
        return corrupt("Zipmap integrity check failed.");
    };
    let mut lp = Listpack::new();
    let mut seen = HashSet::with_capacity(pairs.len());
    let mut maxlen = 0usize;
    for (f, v) in pairs {
        maxlen = maxlen.max(f.len()).max(v.len());
        if !seen.insert(f) || lp.bytes_len() + f.len() + v.len() > MAX_SAFETY_SIZE {
            return corrupt(format!(
                "Hash zipmap with dup elements, or big length ({})",
                f.len()
            ));
        }
        lp.push_back(f);
        lp.push_back(v);
    }
    if lp.is_empty() {
        return Ok(None);
    }
    let Some(mut h) = Hash::from_listpack(lp) else {
        return corrupt("Zipmap integrity check failed.");
    };
    if h.len() > o.hash_max_listpack_entries || maxlen > o.hash_max_listpack_value {
        h.convert_to_table();
    }
    Ok(Some(Value::Hash(h)))
}
