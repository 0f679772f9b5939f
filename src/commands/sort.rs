//! SORT and SORT_RO (Redis' sort.c): sort a list, set or sorted set
//! numerically or lexicographically, optionally by the values of other keys
//! (`BY pattern`), fetching other keys (`GET pattern`), with LIMIT and STORE.
//!
//! Rules kept from Redis:
//! * a BY pattern without `*` means "don't sort" (the source's own order);
//!   a set is then still sorted (ALPHA) when storing, so the stored result
//!   does not depend on hash-table order;
//! * numeric sorting reads each weight with strtod's rules; equal weights
//!   fall back to comparing the elements, so the result is deterministic;
//! * `pattern->field` reads a hash field; `#` stands for the element itself;
//!   a missing key, a wrong type or a pattern without `*` gives a null.

use std::cmp::Ordering;

use super::{lookup_read, Ctx, Handler};
use crate::errors::{CmdError, CmdResult};
use crate::types::listpack::Entry;
use crate::types::value::Value;

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[("sort", sort), ("sort_ro", sort_ro)];

pub fn sort(cx: &mut Ctx) -> CmdResult {
    sort_generic(cx, false)
}

pub fn sort_ro(cx: &mut Ctx) -> CmdResult {
    sort_generic(cx, true)
}

/// One element to sort with its weight.
struct Item {
    ele: Vec<u8>,
    score: f64,
    /// ALPHA BY: the fetched value (None when the key is missing).
    cmp: Option<Vec<u8>>,
}

struct Opts {
    desc: bool,
    alpha: bool,
    limit: Option<(i64, i64)>,
    store: Option<Vec<u8>>,
    by: Option<Vec<u8>>,
    gets: Vec<Vec<u8>>,
    dontsort: bool,
}

fn parse(cx: &Ctx, readonly: bool) -> Result<Opts, CmdError> {
    let mut o = Opts {
        desc: false,
        alpha: false,
        limit: None,
        store: None,
        by: None,
        gets: Vec::new(),
        dontsort: false,
    };
    let mut j = 2;
    while j < cx.argc() {
        let left = cx.argc() - j - 1;
        if cx.arg_is(j, "asc") {
            o.desc = false;
        } else if cx.arg_is(j, "desc") {
            o.desc = true;
        } else if cx.arg_is(j, "alpha") {
            o.alpha = true;
        } else if cx.arg_is(j, "limit") && left >= 2 {
            let start = cx.arg_i64(j + 1)?;
            let count = cx.arg_i64(j + 2)?;
            o.limit = Some((start, count));
            j += 2;
        } else if !readonly && cx.arg_is(j, "store") && left >= 1 {
            o.store = Some(cx.arg(j + 1).to_vec());
            j += 1;
        } else if cx.arg_is(j, "by") && left >= 1 {
            let p = cx.arg(j + 1);
            if !p.contains(&b'*') {
                o.dontsort = true;
            } else if cx.srv.cfg.cluster_enabled {
                return Err(CmdError::msg(
                    "ERR BY option of SORT denied in Cluster mode.",
                ));
            }
            o.by = Some(p.to_vec());
            j += 1;
        } else if cx.arg_is(j, "get") && left >= 1 {
            if cx.srv.cfg.cluster_enabled {
                return Err(CmdError::msg(
                    "ERR GET option of SORT denied in Cluster mode.",
                ));
            }
            o.gets.push(cx.arg(j + 1).to_vec());
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

fn entry_vec(e: Entry<'_>) -> Vec<u8> {
    e.to_vec()
}

fn sort_generic(cx: &mut Ctx, readonly: bool) -> CmdResult {
    let mut o = parse(cx, readonly)?;
    let db = cx.c.db;
    let key = cx.arg_bytes(1);

    // The source elements, in the source's own order.
    let (mut elems, is_set, ordered) = match lookup_read(cx.srv, db, &key) {
        None => (Vec::new(), false, true),
        Some(obj) => match &mut obj.val {
            Value::List(l) => (l.iter().map(|i| i.into_vec()).collect(), false, true),
            Value::Set(s) => (s.iter().map(entry_vec).collect(), true, false),
            Value::ZSet(z) => {
                // Redis converts a listpack zset for SORT, for good (even
                // SORT_RO, even when the sort then fails).
                z.convert_to_skiplist();
                (z.iter().map(|(m, _)| entry_vec(m)).collect(), false, true)
            }
            _ => return Err(CmdError::WrongType),
        },
    };
    if o.dontsort && is_set && o.store.is_some() {
        // Stored results must not depend on hash-table order.
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }

    // LIMIT, clamped to the data as Redis does.
    let len = elems.len() as i64;
    let (lstart, lcount) = o.limit.unwrap_or((0, -1));
    let mut start = lstart.max(0).min(len);
    let lcount = lcount.max(-1).min(len);
    let mut end = if lcount < 0 {
        len - 1
    } else {
        start + lcount - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }

    if o.dontsort && ordered {
        // The source order, reversed for DESC, cut to the range.
        if o.desc {
            elems.reverse();
        }
        if end >= start {
            elems = elems[start as usize..=end as usize].to_vec();
        } else {
            elems.clear();
        }
        end -= start;
        start = 0;
    }

    let mut items: Vec<Item> = elems
        .into_iter()
        .map(|ele| Item {
            ele,
            score: 0.0,
            cmp: None,
        })
        .collect();

    let mut conversion_error = false;
    if !o.dontsort {
        for it in items.iter_mut() {
            let weight = match &o.by {
                Some(p) => match lookup_by_pattern(cx, p, &it.ele) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.ele.clone(),
            };
            if o.alpha {
                if o.by.is_some() {
                    it.cmp = Some(weight);
                }
            } else {
                match strtod_whole(&weight) {
                    Some(s) => it.score = s,
                    None => conversion_error = true,
                }
            }
        }
        let by_pattern = o.by.is_some();
        let (alpha, desc) = (o.alpha, o.desc);
        items.sort_by(|a, b| {
            let c = compare(a, b, alpha, by_pattern);
            if desc {
                c.reverse()
            } else {
                c
            }
        });
    }

    let range = if end >= start {
        start as usize..end as usize + 1
    } else {
        0..0
    };
    let per = o.gets.len().max(1);
    let outlen = per * range.len();
    if conversion_error {
        return Err(CmdError::msg(
            "ERR One or more scores can't be converted into double",
        ));
    }

    // Resolve GET patterns before replying (they read other keys).
    let mut out: Vec<Option<Vec<u8>>> = Vec::with_capacity(outlen);
    for it in &items[range] {
        if o.gets.is_empty() {
            out.push(Some(it.ele.clone()));
        }
        for g in &o.gets {
            out.push(lookup_by_pattern(cx, g, &it.ele));
        }
    }

    match o.store.take() {
        None => {
            let mut r = cx.reply();
            r.array_len(out.len());
            for v in &out {
                match v {
                    Some(b) => r.bulk(b),
                    None => r.null(),
                }
            }
        }
        Some(dst) => {
            if outlen > 0 {
                let items: Vec<Vec<u8>> = out.into_iter().map(Option::unwrap_or_default).collect();
                let mut list = super::list::new_list(cx.srv);
                for it in &items {
                    list.push(it, crate::types::quicklist::End::Tail);
                }
                let obj = cx.obj(Value::List(Box::new(list)));
                crate::db::set_key(cx.srv, cx.c.db, &dst, obj, false);
                cx.notify(crate::config::NOTIFY_LIST, "sortstore", &dst);
                cx.dirty(outlen as u64);
            } else if cx.db().delete(&dst).is_some() {
                cx.modified(&dst);
                cx.notify(crate::config::NOTIFY_GENERIC, "del", &dst);
                cx.dirty(1);
            }
            cx.reply().int(outlen as i64);
        }
    }
    Ok(())
}

/// sortCompare: numeric by score then by the element's bytes; ALPHA by the
/// fetched weight (missing ones first) or by the element itself.
fn compare(a: &Item, b: &Item, alpha: bool, by_pattern: bool) -> Ordering {
    if !alpha {
        return a
            .score
            .partial_cmp(&b.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.ele.cmp(&b.ele));
    }
    if by_pattern {
        return match (&a.cmp, &b.cmp) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y),
        };
    }
    a.ele.cmp(&b.ele)
}

/// A weight read the way SORT reads it with strtod: leading white space
/// allowed, the whole rest (up to a NUL) must parse; an empty string is 0;
/// NaN refused.
fn strtod_whole(b: &[u8]) -> Option<f64> {
    // Redis hands strtod a C string: a NUL ends the number.
    let b = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
    let t = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .map_or(&b[b.len()..], |i| &b[i..]);
    if b.is_empty() {
        return Some(0.0);
    }
    crate::util::number::parse_f64(t)
}

/// lookupKeyByPattern: `#` is the element; otherwise the first `*` is
/// replaced by it, and `->field` after it reads a hash field.
fn lookup_by_pattern(cx: &mut Ctx, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(subst.to_vec());
    }
    let star = pattern.iter().position(|&c| c == b'*')?;
    let after = &pattern[star + 1..];
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&i| i + 2 < after.len());
    let (postfix, field) = match arrow {
        Some(i) => (&after[..i], Some(&after[i + 2..])),
        None => (after, None),
    };
    let mut key = Vec::with_capacity(pattern.len() + subst.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(postfix);
    let db = cx.c.db;
    let obj = lookup_read(cx.srv, db, &key)?;
    match field {
        Some(f) => match &obj.val {
            Value::Hash(h) => h.peek(f).map(entry_vec),
            _ => None,
        },
        None => obj.val.as_str().map(|s| s.to_vec()),
    }
}
