//! The ZRANGE family (zrangeGenericCommand): ZRANGE with BYSCORE/BYLEX/
//! REV/LIMIT, the older Z[REV]RANGE[BYSCORE|BYLEX] forms, ZRANGESTORE, and
//! the range deletions ZREMRANGEBYRANK/SCORE/LEX. Every range is first
//! turned into a span of ranks, then walked in either direction.

use bytes::Bytes;

use super::{elements_len, emit, finish_store, limits, NOT_FLOAT_RANGE, NOT_LEX_RANGE};
use crate::commands::{lookup_read, lookup_write, Ctx};
use crate::config::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::errors::{CmdError, CmdResult};
use crate::net::reply::Reply;
use crate::types::zset::{LexRange, ScoreRange, ZSet};

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

enum Parsed {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Ascending ranks `lo..hi` to emit (descending when `rev`): the result of
/// a range request on a set of `len` elements.
struct Span {
    lo: usize,
    hi: usize,
    rev: bool,
}

/// The rank span of Z[REV]RANGE start end (indexes may be negative).
fn rank_span(len: usize, start: i64, end: i64, rev: bool) -> Option<Span> {
    let llen = len as i64;
    let mut start = if start < 0 {
        llen.saturating_add(start)
    } else {
        start
    };
    let mut end = if end < 0 {
        llen.saturating_add(end)
    } else {
        end
    };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    let (lo, hi) = if rev {
        (llen - 1 - end, llen - start)
    } else {
        (start, end + 1)
    };
    Some(Span {
        lo: lo as usize,
        hi: hi as usize,
        rev,
    })
}

/// Applies LIMIT offset count to the in-range ranks `lo..hi` (negative
/// offset: nothing, as Redis' skip loop runs off the end; negative count:
/// no limit).
fn limit_span(
    len: usize,
    lo: usize,
    hi: usize,
    rev: bool,
    offset: i64,
    limit: i64,
) -> Option<Span> {
    if offset < 0 || (offset > 0 && offset as u64 >= len as u64) {
        return None;
    }
    let avail = (hi - lo).saturating_sub(offset as usize);
    let take = if limit < 0 {
        avail
    } else {
        avail.min(limit as usize)
    };
    if take == 0 {
        return None;
    }
    let off = offset as usize;
    let (a, b) = if rev {
        (hi - off - take, hi - off)
    } else {
        (lo + off, lo + off + take)
    };
    Some(Span { lo: a, hi: b, rev })
}

/// zrangeGenericCommand: ZRANGE, ZRANGESTORE and the older forms, which pin
/// the range type and direction. `src` is the index of the source key.
fn zrange_generic(
    cx: &mut Ctx,
    src: usize,
    store_to: Option<Bytes>,
    mut rtype: RangeType,
    mut dir: Direction,
) -> CmdResult {
    let storing = store_to.is_some();
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = src + 3;
    while j < cx.argc() {
        let left = cx.argc() - j - 1;
        if !storing && cx.arg_is(j, "withscores") {
            withscores = true;
        } else if cx.arg_is(j, "limit") && left >= 2 {
            offset = cx.arg_i64(j + 1)?;
            limit = cx.arg_i64(j + 2)?;
            j += 2;
        } else if dir == Direction::Auto && cx.arg_is(j, "rev") {
            dir = Direction::Reverse;
        } else if rtype == RangeType::Auto && cx.arg_is(j, "bylex") {
            rtype = RangeType::Lex;
        } else if rtype == RangeType::Auto && cx.arg_is(j, "byscore") {
            rtype = RangeType::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let rev = dir == Direction::Reverse;
    if rtype == RangeType::Auto {
        rtype = RangeType::Rank;
    }
    if limit != -1 && rtype == RangeType::Rank {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rtype == RangeType::Lex {
        return Err(CmdError::msg(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut mi, mut ma) = (src + 1, src + 2);
    if rev && rtype != RangeType::Rank {
        std::mem::swap(&mut mi, &mut ma);
    }
    let parsed = match rtype {
        RangeType::Score => Parsed::Score(
            ScoreRange::parse(cx.arg(mi), cx.arg(ma)).ok_or(CmdError::msg(NOT_FLOAT_RANGE))?,
        ),
        RangeType::Lex => Parsed::Lex(
            LexRange::parse(cx.arg(mi), cx.arg(ma)).ok_or(CmdError::msg(NOT_LEX_RANGE))?,
        ),
        _ => Parsed::Rank(cx.arg_i64(mi)?, cx.arg_i64(ma)?),
    };
    let key = cx.arg_bytes(src);
    let db = cx.c.db;
    let lim = limits(cx.srv);
    let Some(o) = lookup_read(cx.srv, db, &key) else {
        match store_to {
            Some(dst) => finish_store(cx, &dst, None, "zrangestore"),
            None => cx.c.reply().array_len(0),
        }
        return Ok(());
    };
    let z = o.val.as_zset()?;
    let len = z.len();
    let span = match &parsed {
        Parsed::Rank(s, e) => rank_span(len, *s, *e, rev),
        Parsed::Score(r) => {
            let (lo, hi) = z.score_ranks(r);
            limit_span(len, lo, hi, rev, offset, limit)
        }
        Parsed::Lex(r) => {
            let (lo, hi) = z.lex_ranks(r, rev);
            limit_span(len, lo, hi, rev, offset, limit)
        }
    };
    let Some(dst) = store_to else {
        let mut r = Reply::new(&mut cx.c.out, cx.c.resp == 3);
        match span {
            None => r.array_len(0),
            Some(sp) => {
                elements_len(&mut r, sp.hi - sp.lo, withscores);
                z.for_each_in(sp.lo, sp.hi, sp.rev, |e, s| emit(&mut r, e, s, withscores));
            }
        }
        return Ok(());
    };
    // ZRANGESTORE: a rank range of known size picks the encoding up front
    // (zrangeResultBeginStore); the others start as a listpack.
    let result = span.map(|sp| {
        let mut out = if matches!(parsed, Parsed::Rank(..)) && sp.hi - sp.lo > lim.max_entries {
            ZSet::new_skiplist()
        } else {
            ZSet::new()
        };
        let mut items = Vec::with_capacity(sp.hi - sp.lo);
        z.for_each_in(sp.lo, sp.hi, sp.rev, |e, s| items.push((e.to_vec(), s)));
        for (m, s) in items {
            let _ = out.add(s, &m, 0, lim);
        }
        out
    });
    finish_store(cx, &dst, result, "zrangestore");
    Ok(())
}

pub fn zrange(cx: &mut Ctx) -> CmdResult {
    zrange_generic(cx, 1, None, RangeType::Auto, Direction::Auto)
}

pub fn zrangestore(cx: &mut Ctx) -> CmdResult {
    let dst = cx.arg_bytes(1);
    zrange_generic(cx, 2, Some(dst), RangeType::Auto, Direction::Auto)
}

pub fn zrevrange(cx: &mut Ctx) -> CmdResult {
    zrange_generic(cx, 1, None, RangeType::Rank, Direction::Reverse)
}

pub fn zrangebyscore(cx: &mut Ctx) -> CmdResult {
    zrange_generic(cx, 1, None, RangeType::Score, Direction::Forward)
}

pub fn zrevrangebyscore(cx: &mut Ctx) -> CmdResult {
    zrange_generic(cx, 1, None, RangeType::Score, Direction::Reverse)
}

pub fn zrangebylex(cx: &mut Ctx) -> CmdResult {
    zrange_generic(cx, 1, None, RangeType::Lex, Direction::Forward)
}

pub fn zrevrangebylex(cx: &mut Ctx) -> CmdResult {
    zrange_generic(cx, 1, None, RangeType::Lex, Direction::Reverse)
}

// ---------------------------------------------------------------- ZREMRANGEBY*

fn zremrange_generic(cx: &mut Ctx, rtype: RangeType) -> CmdResult {
    let event = match rtype {
        RangeType::Score => "zremrangebyscore",
        RangeType::Lex => "zremrangebylex",
        _ => "zremrangebyrank",
    };
    let parsed = match rtype {
        RangeType::Score => Parsed::Score(
            ScoreRange::parse(cx.arg(2), cx.arg(3)).ok_or(CmdError::msg(NOT_FLOAT_RANGE))?,
        ),
        RangeType::Lex => {
            Parsed::Lex(LexRange::parse(cx.arg(2), cx.arg(3)).ok_or(CmdError::msg(NOT_LEX_RANGE))?)
        }
        _ => Parsed::Rank(cx.arg_i64(2)?, cx.arg_i64(3)?),
    };
    let key = cx.arg_bytes(1);
    let db = cx.c.db;
    let Some(o) = lookup_write(cx.srv, db, &key) else {
        cx.c.reply().int(0);
        return Ok(());
    };
    let z = o.val.as_zset_mut()?;
    let (lo, hi) = match &parsed {
        Parsed::Rank(s, e) => match rank_span(z.len(), *s, *e, false) {
            Some(sp) => (sp.lo, sp.hi),
            None => (0, 0),
        },
        Parsed::Score(r) => z.score_ranks(r),
        Parsed::Lex(r) => z.lex_ranks(r, false),
    };
    let deleted = z.remove_ranks(lo, hi);
    let key_removed = z.is_empty();
    if key_removed {
        cx.srv.dbs[db].delete(&key);
    }
    if deleted > 0 {
        cx.modified(&key);
        cx.notify(NOTIFY_ZSET, event, &key);
        if key_removed {
            cx.notify(NOTIFY_GENERIC, "del", &key);
        }
    }
    cx.srv.dirty += deleted as u64;
    cx.c.reply().int(deleted as i64);
    Ok(())
}

pub fn zremrangebyrank(cx: &mut Ctx) -> CmdResult {
    zremrange_generic(cx, RangeType::Rank)
}

pub fn zremrangebyscore(cx: &mut Ctx) -> CmdResult {
    zremrange_generic(cx, RangeType::Score)
}

pub fn zremrangebylex(cx: &mut Ctx) -> CmdResult {
    zremrange_generic(cx, RangeType::Lex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_spans_follow_redis_sanitising() {
        let s = rank_span(10, 0, -1, false).unwrap();
        assert_eq!((s.lo, s.hi), (0, 10));
        let s = rank_span(10, 0, 2, true).unwrap();
        assert_eq!((s.lo, s.hi, s.rev), (7, 10, true));
        assert!(rank_span(10, 5, 2, false).is_none());
        assert!(rank_span(10, 10, 20, false).is_none());
        let s = rank_span(10, -100, 100, false).unwrap();
        assert_eq!((s.lo, s.hi), (0, 10));
        assert!(rank_span(10, i64::MIN, i64::MIN, false).is_none());
    }

    #[test]
    fn limit_spans() {
        let s = limit_span(10, 2, 8, false, 1, 2).unwrap();
        assert_eq!((s.lo, s.hi), (3, 5));
        let s = limit_span(10, 2, 8, true, 1, 2).unwrap();
        assert_eq!((s.lo, s.hi), (5, 7));
        assert!(limit_span(10, 2, 8, false, -1, 2).is_none());
        assert!(limit_span(10, 2, 8, false, 10, 2).is_none());
        assert!(limit_span(10, 2, 8, false, 0, 0).is_none());
        let s = limit_span(10, 2, 8, false, 0, -5).unwrap();
        assert_eq!((s.lo, s.hi), (2, 8));
    }
}
