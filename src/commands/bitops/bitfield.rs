//! BITFIELD and BITFIELD_RO (bitfieldGeneric in Redis' bitops.c): signed
//! and unsigned integers of 1..64 bits (u63 at most, so every value fits a
//! RESP integer) at any bit offset of a string.
//!
//! The whole argument list is parsed before anything runs, so a bad
//! operation late in the list leaves the key untouched. A command with a
//! SET or INCRBY first grows the string to the highest bit any of them
//! writes (creating the key if needed, even if every write then fails
//! under OVERFLOW FAIL, as Redis does); then the operations run in order,
//! each seeing the previous ones' effects. `setbit` is published once,
//! and `dirty` grows by the number of writes that changed something.

use super::bits::{self, Overflow};
use super::{bit_offset, grow_bitmap, raw_mut, str_bytes, Ctx};
use crate::config::NOTIFY_STRING;
use crate::errors::{CmdError, CmdResult};

const BAD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

#[derive(Clone, Copy, PartialEq)]
enum OpKind {
    Get,
    Set,
    IncrBy,
}

/// One GET, SET or INCRBY, with the OVERFLOW mode in force where it was.
#[derive(Clone, Copy)]
struct Op {
    kind: OpKind,
    offset: u64,
    bits: u32,
    signed: bool,
    /// The SET value or the INCRBY increment.
    arg: i64,
    overflow: Overflow,
}

pub fn bitfield(cx: &mut Ctx) -> CmdResult {
    bitfield_generic(cx, false)
}

pub fn bitfield_ro(cx: &mut Ctx) -> CmdResult {
    bitfield_generic(cx, true)
}

/// A field type such as `i16` or `u8` (getBitfieldTypeFromArgument): the
/// letter is case-sensitive, and like Redis' C string handling the width
/// ends at a NUL byte.
fn parse_type(a: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match a.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(CmdError::msg(BAD_TYPE)),
    };
    let digits = a.get(1..).unwrap_or(&[]);
    let digits = digits.split(|&b| b == 0).next().unwrap_or(&[]);
    let max = if signed { 64 } else { 63 };
    match crate::util::number::parse_i64(digits) {
        Some(n) if (1..=max).contains(&n) => Ok((signed, n as u32)),
        _ => Err(CmdError::msg(BAD_TYPE)),
    }
}

/// Parse every operation, in order, stopping at the first error.
fn parse_ops(cx: &Ctx) -> Result<Vec<Op>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < cx.argc() {
        let more = cx.argc() - j - 1;
        let kind = if cx.arg_is(j, "get") && more >= 2 {
            OpKind::Get
        } else if cx.arg_is(j, "set") && more >= 3 {
            OpKind::Set
        } else if cx.arg_is(j, "incrby") && more >= 3 {
            OpKind::IncrBy
        } else if cx.arg_is(j, "overflow") && more >= 1 {
            overflow = match cx.arg(j + 1).to_ascii_lowercase().as_slice() {
                b"wrap" => Overflow::Wrap,
                b"sat" => Overflow::Sat,
                b"fail" => Overflow::Fail,
                _ => return Err(CmdError::msg("ERR Invalid OVERFLOW type specified")),
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = parse_type(cx.arg(j + 1))?;
        let offset = bit_offset(cx, j + 2, bits)?;
        let arg = if kind == OpKind::Get {
            0
        } else {
            cx.arg_i64(j + 3)?
        };
        ops.push(Op {
            kind,
            offset,
            bits,
            signed,
            arg,
            overflow,
        });
        j += if kind == OpKind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

fn bitfield_generic(cx: &mut Ctx, read_only_cmd: bool) -> CmdResult {
    let key = cx.arg_bytes(1);
    let ops = parse_ops(cx)?;
    let writes = ops.iter().filter(|o| o.kind != OpKind::Get);
    let Some(highest) = writes.map(|o| o.offset + u64::from(o.bits) - 1).max() else {
        return get_only(cx, &key, &ops);
    };
    if read_only_cmd {
        return Err(CmdError::msg(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let grew = grow_bitmap(cx, &key, highest / 8 + 1)?;
    let db = cx.c.db;
    let Some(p) = raw_mut(cx.srv, db, &key) else {
        return Ok(());
    };
    let mut reply = cx.c.reply();
    reply.array_len(ops.len());
    let mut changes = 0u64;
    for op in &ops {
        if op.kind == OpKind::Get {
            reply_get(&mut reply, p, op);
            continue;
        }
        match apply_write(p, op) {
            Some((ret, changed)) => {
                reply.int(ret);
                // A new or longer string counts as a change for each write.
                if grew || changed {
                    changes += 1;
                }
            }
            // OVERFLOW FAIL: nothing written, a null in the reply.
            None => reply.null(),
        }
    }
    if changes > 0 {
        cx.modified(&key);
        cx.notify(NOTIFY_STRING, "setbit", &key);
        cx.dirty(changes);
    }
    Ok(())
}

/// Only GETs (or nothing): a read, with WRONGTYPE for other types.
fn get_only(cx: &mut Ctx, key: &[u8], ops: &[Op]) -> CmdResult {
    let o = super::super::lookup_read(cx.srv, cx.c.db, key);
    let p = match o {
        Some(o) => Some(str_bytes(&o.val).ok_or(CmdError::WrongType)?),
        None => None,
    };
    let p = p.as_deref().unwrap_or(&[]);
    let mut reply = cx.c.reply();
    reply.array_len(ops.len());
    for op in ops {
        reply_get(&mut reply, p, op);
    }
    Ok(())
}

/// GET: the field read from `p`, zero bits past its end.
fn reply_get(reply: &mut crate::net::reply::Reply, p: &[u8], op: &Op) {
    if op.signed {
        reply.int(bits::get_signed_field(p, op.offset, op.bits));
    } else {
        reply.int(bits::get_field(p, op.offset, op.bits) as i64);
    }
}

/// Run a SET or INCRBY on `p` (already long enough). Returns what to reply
/// (the old value for SET, the new one for INCRBY) and whether the field
/// changed, or None when OVERFLOW FAIL refused the write.
fn apply_write(p: &mut [u8], op: &Op) -> Option<(i64, bool)> {
    if op.signed {
        let old = bits::get_signed_field(p, op.offset, op.bits);
        let (value, incr) = match op.kind {
            OpKind::IncrBy => (old, op.arg),
            _ => (op.arg, 0),
        };
        let new = match bits::signed_overflow(value, incr, op.bits, op.overflow) {
            Some(_) if op.overflow == Overflow::Fail => return None,
            Some(limit) => limit,
            // No overflow: the sum fits the field, hence an i64.
            None => value.wrapping_add(incr),
        };
        bits::set_field(p, op.offset, op.bits, new as u64);
        let ret = if op.kind == OpKind::IncrBy { new } else { old };
        Some((ret, new != old))
    } else {
        let old = bits::get_field(p, op.offset, op.bits);
        let (value, incr) = match op.kind {
            OpKind::IncrBy => (old, op.arg),
            _ => (op.arg as u64, 0),
        };
        let new = match bits::unsigned_overflow(value, incr, op.bits, op.overflow) {
            Some(_) if op.overflow == Overflow::Fail => return None,
            Some(limit) => limit,
            None => value.wrapping_add(incr as u64),
        };
        bits::set_field(p, op.offset, op.bits, new);
        // Unsigned fields are at most 63 bits wide: every value is an i64.
        let ret = if op.kind == OpKind::IncrBy { new } else { old };
        Some((ret as i64, new != old))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_like_redis() {
        assert_eq!(parse_type(b"i64"), Ok((true, 64)));
        assert_eq!(parse_type(b"u63"), Ok((false, 63)));
        assert_eq!(parse_type(b"u1"), Ok((false, 1)));
        for bad in [
            &b"u64"[..],
            b"i65",
            b"i0",
            b"I8",
            b"u",
            b"",
            b"i08",
            b"u+8",
            b"8",
        ] {
            assert!(parse_type(bad).is_err(), "{bad:?}");
        }
        // The width ends at a NUL, as in C.
        assert_eq!(parse_type(b"i8\0junk"), Ok((true, 8)));
    }

    fn op(kind: OpKind, bits: u32, signed: bool, arg: i64, overflow: Overflow) -> Op {
        Op {
            kind,
            offset: 0,
            bits,
            signed,
            arg,
            overflow,
        }
    }

    #[test]
    fn writes_follow_redis_overflow_rules() {
        // Checked against redis-server 7.0.15:
        // BITFIELD k SET u8 0 255 INCRBY u8 0 10 -> 0 9
        let mut p = [0u8; 2];
        let w = Overflow::Wrap;
        assert_eq!(
            apply_write(&mut p, &op(OpKind::Set, 8, false, 255, w)),
            Some((0, true))
        );
        assert_eq!(
            apply_write(&mut p, &op(OpKind::IncrBy, 8, false, 10, w)),
            Some((9, true))
        );
        // OVERFLOW SAT INCRBY i8 0 1000 -> 127; OVERFLOW FAIL INCRBY i8 0 1 -> nil
        let mut p = [0u8; 1];
        let s = Overflow::Sat;
        assert_eq!(
            apply_write(&mut p, &op(OpKind::IncrBy, 8, true, 1000, s)),
            Some((127, true))
        );
        let f = Overflow::Fail;
        assert_eq!(
            apply_write(&mut p, &op(OpKind::IncrBy, 8, true, 1, f)),
            None
        );
        assert_eq!(p, [0x7f]);
        // SET i8 0 200 (WRAP) stores -56 and returns the old 127.
        assert_eq!(
            apply_write(&mut p, &op(OpKind::Set, 8, true, 200, w)),
            Some((127, true))
        );
        assert_eq!(p, [200]);
        // Setting the same value is not a change.
        assert_eq!(
            apply_write(&mut p, &op(OpKind::Set, 8, false, 200, w)),
            Some((200, false))
        );
    }
}
