//! LCS: longest common subsequence of two strings (t_string.c lcsCommand).
//! Classic dynamic programming over a (alen+1)*(blen+1) table of u32, then
//! a walk back from the end that rebuilds the subsequence and, for IDX,
//! reports the matching ranges from last to first, as Redis does.

use super::Ctx;
use crate::errors::{CmdError, CmdResult};

fn string_or_empty(cx: &mut Ctx, i: usize) -> Result<Vec<u8>, CmdError> {
    let key = cx.arg_bytes(i);
    match cx.lookup_read(&key) {
        None => Ok(Vec::new()),
        Some(o) => o.val.as_str().map(|s| s.to_vec()).ok_or(CmdError::msg(
            "ERR The specified keys must contain string values",
        )),
    }
}

pub fn lcs(cx: &mut Ctx) -> CmdResult {
    let a = string_or_empty(cx, 1);
    let b = string_or_empty(cx, 2);
    let (a, b) = (a?, b?);
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen = 0i64;
    let mut j = 3;
    while j < cx.argc() {
        let more = cx.argc() - 1 - j;
        if cx.arg_is(j, "IDX") {
            getidx = true;
        } else if cx.arg_is(j, "LEN") {
            getlen = true;
        } else if cx.arg_is(j, "WITHMATCHLEN") {
            withmatchlen = true;
        } else if cx.arg_is(j, "MINMATCHLEN") && more > 0 {
            minmatchlen = cx.arg_i64(j + 1)?.max(0);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if getlen && getidx {
        return Err(CmdError::msg(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(CmdError::msg("ERR String too long for LCS"));
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells
        .checked_mul(4)
        .is_none_or(|bytes| bytes > cx.srv.cfg.proto_max_bulk_len as u64)
    {
        return Err(CmdError::msg(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let w = blen + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=alen {
        for jj in 1..=blen {
            t[i * w + jj] = if a[i - 1] == b[jj - 1] {
                t[(i - 1) * w + jj - 1] + 1
            } else {
                t[(i - 1) * w + jj].max(t[i * w + jj - 1])
            };
        }
    }
    let total = t[alen * w + blen];
    if getlen {
        cx.reply().int(total as i64);
        return Ok(());
    }
    // Walk back from the end, collecting the subsequence and the ranges.
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut ranges: Vec<[usize; 4]> = Vec::new(); // a_start, a_end, b_start, b_end
    let mut cur: Option<[usize; 4]> = None;
    let (mut i, mut jj) = (alen, blen);
    while i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            match &mut cur {
                None => cur = Some([i - 1, i - 1, jj - 1, jj - 1]),
                Some(r) if r[0] == i && r[2] == jj => {
                    r[0] -= 1;
                    r[2] -= 1;
                }
                Some(_) => emit = true,
            }
            if let Some(r) = &cur {
                if r[0] == 0 || r[2] == 0 {
                    emit = true;
                }
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if t[(i - 1) * w + jj] > t[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if cur.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some(r) = cur.take() {
                let len = (r[1] - r[0] + 1) as i64;
                if minmatchlen == 0 || len >= minmatchlen {
                    ranges.push(r);
                }
            }
        }
    }
    if !getidx {
        cx.reply().bulk(&result);
        return Ok(());
    }
    let mut r = cx.reply();
    r.map_len(2);
    r.bulk(b"matches");
    r.array_len(ranges.len());
    for m in &ranges {
        r.array_len(if withmatchlen { 3 } else { 2 });
        r.array_len(2);
        r.int(m[0] as i64);
        r.int(m[1] as i64);
        r.array_len(2);
        r.int(m[2] as i64);
        r.int(m[3] as i64);
        if withmatchlen {
            r.int((m[1] - m[0] + 1) as i64);
        }
    }
    r.bulk(b"len");
    r.int(total as i64);
    Ok(())
}
