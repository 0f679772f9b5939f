//! Bitmap commands (Redis' bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS,
//! BITOP, and BITFIELD / BITFIELD_RO in `bitfield.rs`. The bit algorithms
//! themselves live in `bits.rs`.
//!
//! A bitmap is an ordinary string value. Reads accept any string encoding
//! (an `int` reads as its decimal text, as in Redis); writes turn the value
//! into `raw` and grow it with zero bytes up to the highest byte touched.
//! Bit offsets are limited by proto-max-bulk-len (512 MB by default, so
//! offsets below 2^32), except for commands from our master or the AOF,
//! which must be obeyed whatever they ask.
//!
//! Events: SETBIT and a writing BITFIELD publish `setbit` when a bit
//! changed or the string grew; BITOP publishes `set` on its destination,
//! or `del` when the result is empty and the destination was deleted.

mod bitfield;
mod bits;

use std::borrow::Cow;

use bytes::Bytes;

use super::{Ctx, Handler};
use crate::config::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::errors::{CmdError, CmdResult};
use crate::net::client::flags;
use crate::server::Server;
use crate::types::value::{StrRef, Value};
use crate::util::number::{parse_i64, write_i64};

pub const HANDLERS: &[(&str, Handler)] = &[
    ("setbit", setbit),
    ("getbit", getbit),
    ("bitcount", bitcount),
    ("bitpos", bitpos),
    ("bitop", bitop),
    ("bitfield", bitfield::bitfield),
    ("bitfield_ro", bitfield::bitfield_ro),
];

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_BIT: &str = "ERR bit is not an integer or out of range";
/// A write would need more memory than the allocator gives (only possible
/// for clients exempt from proto-max-bulk-len, or with a huge limit).
const NO_MEMORY: &str = "OOM command not allowed when used memory > 'maxmemory'.";
/// The AOF loader's client id (Redis' CLIENT_ID_AOF).
const AOF_CLIENT_ID: u64 = u64::MAX;

/// Parse the bit offset in argument `i` (getBitOffsetFromArgument). With
/// `bits` > 0 (BITFIELD), `#N` means the N-th field of that width: the
/// offset N*bits, multiplied with wrap-around like Redis' C code.
fn bit_offset(cx: &Ctx, i: usize, bits: u32) -> Result<u64, CmdError> {
    let a = cx.arg(i);
    let (hash, digits) = match a.split_first() {
        Some((b'#', rest)) if bits > 0 => (true, rest),
        _ => (false, a),
    };
    let mut n = parse_i64(digits).ok_or(CmdError::msg(BAD_OFFSET))?;
    if hash {
        n = n.wrapping_mul(i64::from(bits));
    }
    // The master and the AOF replay what was accepted once: no limit.
    let obey = cx.c.flags & flags::MASTER != 0 || cx.c.id == AOF_CLIENT_ID;
    if n < 0 || (!obey && (n >> 3) >= cx.srv.cfg.proto_max_bulk_len) {
        return Err(CmdError::msg(BAD_OFFSET));
    }
    Ok(n as u64)
}

/// A string value's bytes: borrowed, or the decimal text of an `int`.
/// None when the value is not a string.
fn str_bytes(v: &Value) -> Option<Cow<'_, [u8]>> {
    Some(match v.as_str()? {
        StrRef::Bytes(b) => Cow::Borrowed(b),
        StrRef::Int(n) => {
            let mut t = Vec::with_capacity(20);
            write_i64(&mut t, n);
            Cow::Owned(t)
        }
    })
}

/// Make the string at `key` at least `len` bytes long, creating it (the
/// `new` event) or padding it with zeros (lookupStringForBitCommand).
/// Returns whether it was created or grew; WRONGTYPE for other types.
fn grow_bitmap(cx: &mut Ctx, key: &[u8], len: u64) -> Result<bool, CmdError> {
    let len = usize::try_from(len).map_err(|_| CmdError::msg(NO_MEMORY))?;
    let db = cx.c.db;
    if let Some(o) = super::lookup_write(cx.srv, db, key) {
        let v = o.val.make_raw().ok_or(CmdError::WrongType)?;
        return grow_zeroed(v, len);
    }
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| CmdError::msg(NO_MEMORY))?;
    v.resize(len, 0);
    let obj = cx.obj(Value::raw(v));
    crate::db::add_key(cx.srv, db, key, obj);
    Ok(true)
}

/// Zero-pad `v` to `len` bytes, reserving room the way sds does
/// (sdsMakeRoomFor: double below 1 MB, then 1 MB more), so a bitmap
/// grown bit by bit is not copied on every SETBIT and does not keep twice
/// its size either.
fn grow_zeroed(v: &mut Vec<u8>, len: usize) -> Result<bool, CmdError> {
    if v.len() >= len {
        return Ok(false);
    }
    if v.capacity() < len {
        const MAX_PREALLOC: usize = 1 << 20;
        let target = if len < MAX_PREALLOC {
            len * 2
        } else {
            len.saturating_add(MAX_PREALLOC)
        };
        let extra = target - v.len();
        if v.try_reserve_exact(extra).is_err() {
            // The greedy margin is optional; the bytes asked for are not.
            v.try_reserve_exact(len - v.len())
                .map_err(|_| CmdError::msg(NO_MEMORY))?;
        }
    }
    v.resize(len, 0);
    Ok(true)
}

/// The `raw` bytes of `key`, which the caller has just made a raw string.
fn raw_mut<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Vec<u8>> {
    srv.dbs[db].keys.get_mut(key)?.val.make_raw()
}

pub fn setbit(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let offset = bit_offset(cx, 2, 0)?;
    let on = parse_i64(cx.arg(3)).ok_or(CmdError::msg(BAD_BIT))?;
    if on & !1 != 0 {
        return Err(CmdError::msg(BAD_BIT));
    }
    let grew = grow_bitmap(cx, &key, offset / 8 + 1)?;
    let Some(v) = raw_mut(cx.srv, cx.c.db, &key) else {
        return Ok(());
    };
    let mask = 0x80u8 >> (offset & 7);
    let Some(byte) = usize::try_from(offset / 8).ok().and_then(|i| v.get_mut(i)) else {
        return Ok(());
    };
    let old = *byte & mask != 0;
    let on = on == 1;
    if on {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
    // A new or longer string is a change even when the bit stays 0.
    if grew || old != on {
        cx.modified(&key);
        cx.notify(NOTIFY_STRING, "setbit", &key);
        cx.dirty(1);
    }
    cx.reply().int(i64::from(old));
    Ok(())
}

pub fn getbit(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let offset = bit_offset(cx, 2, 0)?;
    let Some(o) = super::lookup_read(cx.srv, cx.c.db, &key) else {
        cx.c.reply().int(0);
        return Ok(());
    };
    let p = str_bytes(&o.val).ok_or(CmdError::WrongType)?;
    let set = usize::try_from(offset / 8)
        .ok()
        .and_then(|i| p.get(i))
        .is_some_and(|b| b & (0x80 >> (offset & 7)) != 0);
    cx.c.reply().int(i64::from(set));
    Ok(())
}

/// A BITCOUNT / BITPOS range as given: `start`, `end`, in bits or bytes.
#[derive(Clone, Copy)]
struct Range {
    start: i64,
    end: i64,
    is_bit: bool,
}

impl Range {
    /// The inclusive bit range this selects in a string of `len` bytes,
    /// negative indexes counting from the end, clamped to the string;
    /// None when it is empty.
    fn resolve(self, len: usize) -> Option<(u64, u64)> {
        let total = if self.is_bit {
            len as i64 * 8
        } else {
            len as i64
        };
        let fix = |i: i64| {
            if i < 0 {
                total.saturating_add(i).max(0)
            } else {
                i
            }
        };
        let start = fix(self.start);
        let end = fix(self.end).min(total - 1);
        if start > end {
            return None;
        }
        let (start, end) = (start as u64, end as u64);
        Some(if self.is_bit {
            (start, end)
        } else {
            (start * 8, end * 8 + 7)
        })
    }
}

/// The BIT|BYTE unit argument.
fn parse_unit(a: &[u8]) -> Result<bool, CmdError> {
    if a.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if a.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

fn parse_i64_arg(argv: &[Bytes], i: usize) -> Result<i64, CmdError> {
    argv.get(i)
        .and_then(|a| parse_i64(a))
        .ok_or(CmdError::NotInteger)
}

/// BITCOUNT's optional range, checked in Redis' order: start, end, then a
/// negative range that is empty whatever the unit (answered 0 before the
/// unit is even read), then the unit. Ok(None) means "count nothing".
fn bitcount_range(argv: &[Bytes]) -> Result<Option<Range>, CmdError> {
    match argv.len() {
        2 => Ok(Some(Range {
            start: 0,
            end: -1,
            is_bit: false,
        })),
        4 | 5 => {
            let start = parse_i64_arg(argv, 2)?;
            let end = parse_i64_arg(argv, 3)?;
            if start < 0 && end < 0 && start > end {
                return Ok(None);
            }
            let is_bit = match argv.get(4) {
                Some(u) => parse_unit(u)?,
                None => false,
            };
            Ok(Some(Range { start, end, is_bit }))
        }
        _ => Err(CmdError::Syntax),
    }
}

pub fn bitcount(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    // Redis looks the key up before reading the range: a missing key
    // answers 0 even to a malformed range, a wrong type wins over it.
    let range = bitcount_range(&cx.c.argv);
    let Some(o) = super::lookup_read(cx.srv, cx.c.db, &key) else {
        cx.c.reply().int(0);
        return Ok(());
    };
    let p = str_bytes(&o.val).ok_or(CmdError::WrongType)?;
    let n = match range?.and_then(|r| r.resolve(p.len())) {
        Some((first, last)) => bits::count_bits_in(&p, first, last),
        None => 0,
    };
    cx.c.reply().int(n as i64);
    Ok(())
}

/// BITPOS's optional range: start, then the unit (6 arguments), then end.
/// The bool says whether an end was given.
fn bitpos_range(argv: &[Bytes]) -> Result<(Range, bool), CmdError> {
    match argv.len() {
        3 => Ok((
            Range {
                start: 0,
                end: -1,
                is_bit: false,
            },
            false,
        )),
        4..=6 => {
            let start = parse_i64_arg(argv, 3)?;
            let is_bit = match argv.get(5) {
                Some(u) => parse_unit(u)?,
                None => false,
            };
            let (end, given) = match argv.get(4) {
                Some(_) => (parse_i64_arg(argv, 4)?, true),
                // Up to the end of the string (clamped by `resolve`).
                None => (i64::MAX, false),
            };
            Ok((Range { start, end, is_bit }, given))
        }
        _ => Err(CmdError::Syntax),
    }
}

pub fn bitpos(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let bit = match cx.arg_i64(2)? {
        0 => false,
        1 => true,
        _ => return Err(CmdError::msg("ERR The bit argument must be 1 or 0.")),
    };
    let range = bitpos_range(&cx.c.argv);
    // A missing key is an endless run of zeros.
    let Some(o) = super::lookup_read(cx.srv, cx.c.db, &key) else {
        cx.c.reply().int(if bit { -1 } else { 0 });
        return Ok(());
    };
    let p = str_bytes(&o.val).ok_or(CmdError::WrongType)?;
    let (range, end_given) = range?;
    let pos = match range.resolve(p.len()) {
        // An empty range holds neither a 0 nor a 1.
        None => -1,
        Some((first, last)) => match bits::first_bit_in(&p, bit, first, last) {
            Some(pos) => pos as i64,
            // Without an explicit end the string counts as padded with
            // zeros on the right: the first clear bit is just past it.
            None if !bit && !end_given => last as i64 + 1,
            None => -1,
        },
    };
    cx.c.reply().int(pos);
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

pub fn bitop(cx: &mut Ctx) -> CmdResult {
    let op = match cx.arg(1).to_ascii_lowercase().as_slice() {
        b"and" => BitOp::And,
        b"or" => BitOp::Or,
        b"xor" => BitOp::Xor,
        b"not" => BitOp::Not,
        _ => return Err(CmdError::Syntax),
    };
    if op == BitOp::Not && cx.argc() != 4 {
        return Err(CmdError::msg(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let dest = cx.arg_bytes(2);
    let db = cx.c.db;
    // First pass: lookups in order (expiry, hit/miss stats, type checks).
    let mut present = Vec::with_capacity(cx.argc() - 3);
    for j in 3..cx.argc() {
        let key = cx.arg_bytes(j);
        let found = match super::lookup_read(cx.srv, db, &key) {
            Some(o) if o.val.as_str().is_none() => return Err(CmdError::WrongType),
            Some(_) => true,
            None => false,
        };
        present.push(found);
    }
    let result = {
        // Second pass: borrow every source at once; absent ones are empty.
        let keys = &cx.srv.dbs[db].keys;
        let srcs: Vec<Cow<[u8]>> = cx.c.argv[3..]
            .iter()
            .zip(&present)
            .map(|(k, &found)| {
                let v = if found { keys.peek(k) } else { None };
                v.and_then(|o| str_bytes(&o.val))
                    .unwrap_or(Cow::Borrowed(&[]))
            })
            .collect();
        bitop_compute(op, &srcs)
    };
    let len = result.len();
    if len > 0 {
        cx.set_key(&dest, Value::raw(result), false);
        cx.notify(NOTIFY_STRING, "set", &dest);
        cx.dirty(1);
    } else if cx.db().delete(&dest).is_some() {
        cx.modified(&dest);
        cx.notify(NOTIFY_GENERIC, "del", &dest);
        cx.dirty(1);
    }
    cx.reply().int(len as i64);
    Ok(())
}

/// The result of BITOP over `srcs`: as long as the longest source, shorter
/// ones padded with zero bytes. Empty when every source is.
fn bitop_compute(op: BitOp, srcs: &[Cow<[u8]>]) -> Vec<u8> {
    let max = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut res = vec![0u8; max];
    let Some((first, rest)) = srcs.split_first() else {
        return res;
    };
    res[..first.len()].copy_from_slice(first);
    let f: fn(u64, u64) -> u64 = match op {
        BitOp::Not => {
            bits::invert(&mut res);
            return res;
        }
        BitOp::And => |a, b| a & b,
        BitOp::Or => |a, b| a | b,
        BitOp::Xor => |a, b| a ^ b,
    };
    for s in rest {
        bits::combine(&mut res, s, f);
        // AND with the zero padding of a shorter source clears the rest.
        if op == BitOp::And {
            res[s.len()..].fill(0);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: i64, end: i64, is_bit: bool) -> Range {
        Range { start, end, is_bit }
    }

    #[test]
    fn ranges_resolve_like_redis() {
        // "foobar" is 6 bytes, 48 bits.
        assert_eq!(range(1, 1, false).resolve(6), Some((8, 15)));
        assert_eq!(range(-2, -1, false).resolve(6), Some((32, 47)));
        assert_eq!(range(5, 30, true).resolve(6), Some((5, 30)));
        assert_eq!(range(-100, 100, false).resolve(6), Some((0, 47)));
        assert_eq!(range(3, 2, false).resolve(6), None);
        assert_eq!(range(0, -1, false).resolve(0), None);
        assert_eq!(range(i64::MIN, i64::MAX, true).resolve(6), Some((0, 47)));
    }

    fn args(a: &[&str]) -> Vec<Bytes> {
        a.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn bitcount_range_errors_come_in_redis_order() {
        let r = |a: &[&str]| bitcount_range(&args(a)).map(|r| r.is_some());
        assert_eq!(r(&["bitcount", "k"]), Ok(true));
        assert_eq!(r(&["bitcount", "k", "0"]), Err(CmdError::Syntax));
        assert_eq!(r(&["bitcount", "k", "x", "1"]), Err(CmdError::NotInteger));
        // Redis answers 0 here without reading the bad unit.
        assert_eq!(r(&["bitcount", "k", "-1", "-2", "foo"]), Ok(false));
        assert_eq!(
            r(&["bitcount", "k", "0", "1", "foo"]),
            Err(CmdError::Syntax)
        );
        assert_eq!(
            r(&["bitcount", "k", "0", "1", "bit", "x"]),
            Err(CmdError::Syntax)
        );
    }

    #[test]
    fn bitop_pads_short_sources_with_zeros() {
        let s = |b: &'static [u8]| Cow::Borrowed(b);
        // Redis: BITOP AND/OR/XOR d a b with a="\x01\x02\xff", b="\x03".
        let srcs = [s(b"\x01\x02\xff"), s(b"\x03")];
        assert_eq!(bitop_compute(BitOp::And, &srcs), b"\x01\x00\x00");
        assert_eq!(bitop_compute(BitOp::Or, &srcs), b"\x03\x02\xff");
        assert_eq!(bitop_compute(BitOp::Xor, &srcs), b"\x02\x02\xff");
        assert_eq!(bitop_compute(BitOp::Not, &srcs[..1]), b"\xfe\xfd\x00");
        assert!(bitop_compute(BitOp::Or, &[s(b""), s(b"")]).is_empty());
        let long: Vec<u8> = (0..100u8).collect();
        let and = bitop_compute(BitOp::And, &[Cow::Borrowed(&long[..]), s(&[0xff; 70])]);
        assert_eq!(&and[..70], &long[..70]);
        assert!(and[70..].iter().all(|&b| b == 0));
    }
}
