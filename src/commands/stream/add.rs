//! XADD XTRIM XDEL XLEN XRANGE XREVRANGE XSETID.

use bytes::Bytes;

use super::*;
use crate::config::NOTIFY_STREAM;
use crate::errors::CmdResult;
use crate::types::stream::{AppendError, Trim, TrimStrategy};
use crate::types::value::Value;

/// The parsed options of XADD / XTRIM (streamAddTrimArgs).
struct AddTrim {
    /// XADD's explicit ID.
    id: Option<ParsedId>,
    /// Index of the ID argument (XADD).
    idpos: usize,
    no_mkstream: bool,
    trim: Option<Trim>,
    /// Index of the MAXLEN/MINID value, rewritten when `~` trimmed.
    trim_arg: usize,
}

fn parse_add_trim(cx: &Ctx, xadd: bool) -> Result<AddTrim, CmdError> {
    let argc = cx.argc();
    let mut strategy: Option<TrimStrategy> = None;
    let mut approx = false;
    let mut trim_arg = 0;
    let mut limit: i64 = 0;
    let mut limit_given = false;
    let mut out = AddTrim {
        id: None,
        idpos: argc,
        no_mkstream: false,
        trim: None,
        trim_arg: 0,
    };
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = cx.arg(i);
        let conflict =
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
        if xadd && opt == b"*" {
            break;
        } else if (opt.eq_ignore_ascii_case(b"maxlen") || opt.eq_ignore_ascii_case(b"minid"))
            && more > 0
        {
            if strategy.is_some() {
                return Err(CmdError::msg(conflict));
            }
            let maxlen = opt.eq_ignore_ascii_case(b"maxlen");
            approx = false;
            let next = cx.arg(i + 1);
            if more >= 2 && next == b"~" {
                approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let value = cx.arg(i + 1);
            strategy = Some(if maxlen {
                let n = int_or_err(value)?;
                if n < 0 {
                    return Err(CmdError::msg("ERR The MAXLEN argument must be >= 0."));
                }
                TrimStrategy::MaxLen(n as u64)
            } else {
                TrimStrategy::MinId(strict_id(value)?)
            });
            i += 1;
            trim_arg = i;
        } else if opt.eq_ignore_ascii_case(b"limit") && more > 0 {
            limit = int_or_err(cx.arg(i + 1))?;
            if limit < 0 {
                return Err(CmdError::msg("ERR The LIMIT argument must be >= 0."));
            }
            limit_given = true;
            i += 1;
        } else if xadd && opt.eq_ignore_ascii_case(b"nomkstream") {
            out.no_mkstream = true;
        } else if xadd {
            let how = IdSyntax {
                allow_auto_seq: true,
                ..STRICT
            };
            out.id = Some(parse_id(opt, how)?);
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    out.idpos = i;
    if limit != 0 && strategy.is_none() {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && strategy.is_none() {
        return Err(CmdError::msg(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if must_obey(cx.c) {
        // The master / AOF already rewrote the trim to be exact.
        limit = 0;
    } else if limit_given {
        if !approx {
            return Err(CmdError::msg(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if approx {
        // At most 100 nodes' worth of work per call by default.
        limit = cx.srv.cfg.stream_node_max_entries.saturating_mul(100);
        if limit <= 0 {
            limit = 10000;
        }
        limit = limit.min(1_000_000);
    } else {
        limit = 0;
    }
    out.trim = strategy.map(|strategy| Trim {
        strategy,
        approx,
        limit: limit as u64,
    });
    out.trim_arg = trim_arg;
    Ok(out)
}

/// What a `~` trim is propagated as: `=` and the exact outcome (the
/// length, or the first ID left), so replicas and the AOF trim the same.
fn exact_trim_args(s: &Stream, t: &Trim) -> Bytes {
    match t.strategy {
        TrimStrategy::MaxLen(_) => int_bytes(s.length as i64),
        TrimStrategy::MinId(_) => id_bytes(s.edge_id(true, false)),
    }
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT n]] *|id field value ...
pub fn xadd(cx: &mut Ctx) -> CmdResult {
    let a = parse_add_trim(cx, true)?;
    let field_pos = a.idpos + 1;
    if cx.argc() < field_pos + 2 || (cx.argc() - field_pos) % 2 == 1 {
        return Err(cx.wrong_arity());
    }
    if let Some(p) = a.id {
        if p.seq_given && p.id.is_zero() {
            return Err(CmdError::msg(
                "ERR The ID specified in XADD must be greater than 0-0",
            ));
        }
    }
    let db = ctx_db(cx);
    let key = cx.arg_bytes(1);
    match cx.lookup_write(&key) {
        Some(o) => {
            o.val.as_stream()?;
        }
        None if a.no_mkstream => {
            cx.reply().null();
            return Ok(());
        }
        None => {
            let obj = cx.obj(Value::Stream(Box::default()));
            crate::db::add_key(cx.srv, db, &key, obj);
        }
    }
    let lim = limits(cx.srv);
    let now = now_ms() as u64;
    let pairs: Vec<&[u8]> = cx.c.argv[field_pos..].iter().map(|b| &b[..]).collect();
    let Some(s) = stream_mut(cx.srv, db, &key) else {
        return Err(CmdError::WrongType);
    };
    if s.last_id == StreamId::MAX {
        return Err(CmdError::msg(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let id =
        match s.append(&pairs, a.id, now, lim) {
            Ok(id) => id,
            Err(AppendError::IdTooSmall) => return Err(CmdError::msg(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            )),
            Err(AppendError::TooLarge) => {
                return Err(CmdError::msg("ERR Elements are too large to be stored"))
            }
        };
    drop(pairs);
    reply_id(&mut cx.reply(), id);
    cx.modified(&key);
    cx.notify(NOTIFY_STREAM, "xadd", &key);
    cx.dirty(1);
    let mut rewrite: Vec<(usize, Bytes)> = Vec::new();
    if let Some(t) = a.trim {
        let Some(s) = stream_mut(cx.srv, db, &key) else {
            return Ok(());
        };
        let trimmed = s.trim(t);
        if t.approx {
            rewrite.push((a.trim_arg - 1, Bytes::from_static(b"=")));
            rewrite.push((a.trim_arg, exact_trim_args(s, &t)));
        }
        if trimmed > 0 {
            cx.notify(NOTIFY_STREAM, "xtrim", &key);
        }
    }
    if a.id.is_none_or(|p| !p.seq_given) {
        rewrite.push((a.idpos, id_bytes(id)));
    }
    propagate_rewritten(cx, rewrite);
    cx.srv.dbs[db].signal_key_ready(&key);
    Ok(())
}

/// Propagate the client's argv with some arguments replaced
/// (rewriteClientCommandArgument).
fn propagate_rewritten(cx: &mut Ctx, changes: Vec<(usize, Bytes)>) {
    if changes.is_empty() || !cx.propagating() {
        return;
    }
    let mut argv: Vec<Bytes> = cx.c.argv.to_vec();
    for (i, v) in changes {
        if let Some(slot) = argv.get_mut(i) {
            *slot = v;
        }
    }
    crate::persistence::propagate::set_rewrite(cx.srv, argv);
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT n]
pub fn xtrim(cx: &mut Ctx) -> CmdResult {
    let a = parse_add_trim(cx, false)?;
    let db = ctx_db(cx);
    let key = cx.arg_bytes(1);
    match cx.lookup_write(&key) {
        None => {
            cx.reply().int(0);
            return Ok(());
        }
        Some(o) => {
            o.val.as_stream()?;
        }
    }
    let Some(t) = a.trim else {
        return Err(CmdError::Syntax);
    };
    let Some(s) = stream_mut(cx.srv, db, &key) else {
        return Err(CmdError::WrongType);
    };
    let deleted = s.trim(t);
    let exact = exact_trim_args(s, &t);
    if deleted > 0 {
        cx.notify(NOTIFY_STREAM, "xtrim", &key);
        if t.approx {
            let changes = vec![
                (a.trim_arg - 1, Bytes::from_static(b"=")),
                (a.trim_arg, exact),
            ];
            propagate_rewritten(cx, changes);
        }
        cx.modified(&key);
        cx.dirty(deleted);
    }
    cx.reply().int(deleted as i64);
    Ok(())
}

/// XDEL key id [id ...]
pub fn xdel(cx: &mut Ctx) -> CmdResult {
    let db = ctx_db(cx);
    let key = cx.arg_bytes(1);
    match cx.lookup_write(&key) {
        None => {
            cx.reply().int(0);
            return Ok(());
        }
        Some(o) => {
            o.val.as_stream()?;
        }
    }
    // All IDs are checked first: the command does all or nothing.
    let ids = (2..cx.argc())
        .map(|i| strict_id(cx.arg(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(s) = stream_mut(cx.srv, db, &key) else {
        return Err(CmdError::WrongType);
    };
    let deleted = s.delete_ids(&ids);
    if deleted > 0 {
        cx.modified(&key);
        cx.notify(NOTIFY_STREAM, "xdel", &key);
        cx.dirty(deleted);
    }
    cx.reply().int(deleted as i64);
    Ok(())
}

/// XLEN key
pub fn xlen(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let n = match cx.lookup_read(&key) {
        None => 0,
        Some(o) => o.val.as_stream()?.len(),
    };
    cx.reply().int(n as i64);
    Ok(())
}

pub fn xrange(cx: &mut Ctx) -> CmdResult {
    range_generic(cx, false)
}

pub fn xrevrange(cx: &mut Ctx) -> CmdResult {
    range_generic(cx, true)
}

/// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n]
fn range_generic(cx: &mut Ctx, rev: bool) -> CmdResult {
    let (start_i, end_i) = if rev { (3, 2) } else { (2, 3) };
    let start = range_start(cx.arg(start_i))?;
    let end = range_end(cx.arg(end_i))?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < cx.argc() {
        let more = cx.argc() - j - 1;
        if cx.arg_is(j, "count") && more >= 1 {
            count = int_or_err(cx.arg(j + 1))?.max(0);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let db = ctx_db(cx);
    let key = cx.arg_bytes(1);
    let srv = &mut *cx.srv;
    let Some(o) = super::super::lookup_read(srv, db, &key) else {
        cx.c.reply().array_len(0);
        return Ok(());
    };
    let s = o.val.as_stream()?;
    let mut r = cx.c.reply();
    if count == 0 {
        r.null_array();
    } else {
        let n = if count < 0 { 0 } else { count as usize };
        reply_range(&mut r, s, start, end, n, rev);
    }
    Ok(())
}

/// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
pub fn xsetid(cx: &mut Ctx) -> CmdResult {
    let id = strict_id(cx.arg(2))?;
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < cx.argc() {
        let more = cx.argc() - 1 - i;
        if cx.arg_is(i, "entriesadded") && more > 0 {
            entries_added = int_or_err(cx.arg(i + 1))?;
            if entries_added < 0 {
                return Err(CmdError::msg("ERR entries_added must be positive"));
            }
        } else if cx.arg_is(i, "maxdeletedid") && more > 0 {
            max_xdel = strict_id(cx.arg(i + 1))?;
            if id < max_xdel {
                return Err(CmdError::msg(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let db = ctx_db(cx);
    let key = cx.arg_bytes(1);
    match cx.lookup_write(&key) {
        None => return Err(CmdError::NoSuchKey),
        Some(o) => {
            o.val.as_stream()?;
        }
    }
    let Some(s) = stream_mut(cx.srv, db, &key) else {
        return Err(CmdError::WrongType);
    };
    if s.length > 0 {
        if id < s.last_valid_id() {
            return Err(CmdError::msg(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            return Err(CmdError::msg(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_id = max_xdel;
    }
    cx.reply().ok();
    cx.dirty(1);
    cx.notify(NOTIFY_STREAM, "xsetid", &key);
    Ok(())
}
