//! DUMP / RESTORE payloads (cluster.c createDumpPayload /
//! verifyDumpPayload): one value in its RDB form plus a footer.
//!
//! ```text
//! type byte | value body | RDB version: u16 LE | CRC64 of all before: u64 LE
//! ```
//!
//! A payload from any RDB version up to ours is accepted, so Redis 7.0's
//! payloads restore here and ours restore there.

use super::crc64::crc64;
use super::load::{read_value, LoadOpts};
use super::rdb::*;
use super::save::{value_type, write_value};
use crate::types::value::Value;

/// The DUMP payload of `v`; `compress` is `rdbcompression`.
pub fn dump_payload(v: &Value, compress: bool) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), compress, false);
    // Writing into a Vec cannot fail.
    let _ = w.byte(value_type(v)).and_then(|_| write_value(&mut w, v));
    let mut out = w.into_inner();
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// verifyDumpPayload: a version we can read and (unless `skip_crc`, from
/// DEBUG SET-SKIP-CHECKSUM-VALIDATION) a matching checksum.
pub fn verify_payload(p: &[u8], skip_crc: bool) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return false;
    }
    if skip_crc {
        return true;
    }
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&footer[2..]);
    crc64(0, &p[..p.len() - 8]) == u64::from_le_bytes(crc)
}

/// The value inside a verified payload; an error (RESTORE's "Bad data
/// format") for anything malformed or an empty collection.
pub fn restore_value(p: &[u8], o: &LoadOpts) -> Result<Value> {
    let body = p.get(..p.len().saturating_sub(10)).unwrap_or(&[]);
    let mut r = Reader::new(body);
    let t = r.u8()?;
    if !is_object_type(t) {
        return corrupt(format!("Unknown RDB encoding type {t}"));
    }
    match read_value(&mut r, t, o)? {
        Some(v) => Ok(v),
        None => corrupt("Empty keys are not allowed"),
    }
}

/// Payload bytes for tests and tools: the footer added to a raw body.
pub fn with_footer(mut body: Vec<u8>, version: u16) -> Vec<u8> {
    body.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(0, &body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}
