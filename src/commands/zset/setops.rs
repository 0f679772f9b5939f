//! ZUNION, ZINTER, ZDIFF, their *STORE forms and ZINTERCARD
//! (zunionInterDiffGenericCommand). Inputs may be sorted sets or plain sets
//! (every member scoring 1); missing keys are empty inputs. Results are
//! sorted by (score, member) and stored in the encoding Redis would end
//! with (zsetConvertToListpackIfNeeded).

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use super::{arg_long_in, elements_len, emit, finish_store, limits};
use crate::commands::{lookup_read, Ctx};
use crate::errors::{CmdError, CmdResult};
use crate::types::listpack::Entry;
use crate::types::value::Value;
use crate::types::zset::ZSet;
use crate::util::number::parse_f64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// zunionInterAggregate: a NaN sum (inf + -inf) becomes 0.
fn aggregate(target: &mut f64, v: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if v < *target {
                *target = v
            }
        }
        Aggregate::Max => {
            if v > *target {
                *target = v
            }
        }
    }
}

/// One input of a set operation: a sorted set, or a plain set whose
/// members all score 1, or nothing (a missing key).
enum Source<'a> {
    Missing,
    Z(&'a ZSet),
    Set(HashSet<Vec<u8>>),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Z(z) => z.len(),
            Source::Set(s) => s.len(),
        }
    }

    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Z(z) => z.score(m),
            Source::Set(s) => s.contains(m).then_some(1.0),
        }
    }

    /// Calls `f` on every element until it returns false. Listpack
    /// integers are formatted on the stack; nothing is copied otherwise.
    fn each(&self, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            Source::Missing => {}
            Source::Z(z) => {
                let mut buf = [0u8; 20];
                for (e, s) in z.iter() {
                    let m = match e {
                        Entry::Str(m) => m,
                        Entry::Int(v) => crate::util::number::fmt_i64(v, &mut buf),
                    };
                    if !f(m, s) {
                        return;
                    }
                }
            }
            Source::Set(set) => {
                for m in set {
                    if !f(m, 1.0) {
                        return;
                    }
                }
            }
        }
    }
}

/// zunionInterDiffGenericCommand. `numkeys_idx` is where numkeys sits;
/// `dst` is the destination of the *STORE forms; `card_only` is ZINTERCARD.
fn setop_generic(
    cx: &mut Ctx,
    dst: Option<Bytes>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let setnum = cx.arg_i64(numkeys_idx)?;
    if setnum < 1 {
        return Err(CmdError::owned(format!(
            "ERR at least 1 input key is needed for '{}' command",
            cx.fullname()
        )));
    }
    if setnum as u64 > (cx.argc() - numkeys_idx - 1) as u64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;
    let db = cx.c.db;
    let first = numkeys_idx + 1;
    // Look every input up first (expiry, stats, type), as Redis does before
    // reading the options.
    for i in 0..setnum {
        let key = cx.arg_bytes(first + i);
        if let Some(o) = lookup_read(cx.srv, db, &key) {
            if !matches!(o.val, Value::ZSet(_) | Value::Set(_)) {
                return Err(CmdError::WrongType);
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut how = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    let mut j = first + setnum;
    while j < cx.argc() {
        let remaining = cx.argc() - j;
        if op != SetOp::Diff && !card_only && remaining > setnum && cx.arg_is(j, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w =
                    parse_f64(cx.arg(j)).ok_or(CmdError::msg("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && cx.arg_is(j, "aggregate") {
            how = if cx.arg_is(j + 1, "sum") {
                Aggregate::Sum
            } else if cx.arg_is(j + 1, "min") {
                Aggregate::Min
            } else if cx.arg_is(j + 1, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if dst.is_none() && !card_only && cx.arg_is(j, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && cx.arg_is(j, "limit") {
            limit = arg_long_in(cx, j + 1, 0, "ERR LIMIT can't be negative")?;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys = &cx.c.argv[first..first + setnum];
    let dict = &cx.srv.dbs[db].keys;
    let mut srcs: Vec<(Source, f64)> = keys
        .iter()
        .zip(&weights)
        .map(|(k, &w)| {
            let s = match dict.peek(k).map(|o| &o.val) {
                Some(Value::ZSet(z)) => Source::Z(z),
                Some(Value::Set(s)) => Source::Set(s.iter().map(|e| e.to_vec()).collect()),
                _ => Source::Missing,
            };
            (s, w)
        })
        .collect();
    if op != SetOp::Diff {
        // Smallest first (a stable sort, like glibc's merge-sort qsort).
        srcs.sort_by_key(|(s, _)| s.len());
    }
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut card = 0i64;
    match op {
        SetOp::Inter => {
            let (first, rest) = srcs.split_at(1);
            first[0].0.each(|m, s0| {
                let mut score = first[0].1 * s0;
                if score.is_nan() {
                    score = 0.0;
                }
                let in_all = rest.iter().all(|(src, w)| match src.score(m) {
                    Some(v) => {
                        aggregate(&mut score, v * w, how);
                        true
                    }
                    None => false,
                });
                if in_all {
                    if card_only {
                        card += 1;
                        return !(limit > 0 && card >= limit);
                    }
                    result.push((m.to_vec(), score));
                }
                true
            });
        }
        SetOp::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            for (src, w) in &srcs {
                src.each(|m, s| {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, score, how),
                        None => {
                            acc.insert(m.to_vec(), score);
                        }
                    }
                    true
                });
            }
            result = acc.into_iter().collect();
        }
        SetOp::Diff => {
            let (first, rest) = srcs.split_at(1);
            first[0].0.each(|m, s| {
                if rest.iter().all(|(src, _)| src.score(m).is_none()) {
                    result.push((m.to_vec(), s));
                }
                true
            });
        }
    }
    drop(srcs);
    if card_only {
        cx.c.reply().int(card);
        return Ok(());
    }
    // Scores compare as Redis compares them (-0 == 0), then members.
    result.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    match dst {
        Some(d) => {
            let lim = limits(cx.srv);
            let z = (!result.is_empty()).then(|| ZSet::from_sorted(result, lim));
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            finish_store(cx, &d, z, event);
        }
        None => {
            let mut r = cx.c.reply();
            elements_len(&mut r, result.len(), withscores);
            for (m, s) in &result {
                emit(&mut r, Entry::Str(m), *s, withscores);
            }
        }
    }
    Ok(())
}

pub fn zunionstore(cx: &mut Ctx) -> CmdResult {
    let d = cx.arg_bytes(1);
    setop_generic(cx, Some(d), 2, SetOp::Union, false)
}

pub fn zinterstore(cx: &mut Ctx) -> CmdResult {
    let d = cx.arg_bytes(1);
    setop_generic(cx, Some(d), 2, SetOp::Inter, false)
}

pub fn zdiffstore(cx: &mut Ctx) -> CmdResult {
    let d = cx.arg_bytes(1);
    setop_generic(cx, Some(d), 2, SetOp::Diff, false)
}

pub fn zunion(cx: &mut Ctx) -> CmdResult {
    setop_generic(cx, None, 1, SetOp::Union, false)
}

pub fn zinter(cx: &mut Ctx) -> CmdResult {
    setop_generic(cx, None, 1, SetOp::Inter, false)
}

pub fn zdiff(cx: &mut Ctx) -> CmdResult {
    setop_generic(cx, None, 1, SetOp::Diff, false)
}

pub fn zintercard(cx: &mut Ctx) -> CmdResult {
    setop_generic(cx, None, 1, SetOp::Inter, true)
}
