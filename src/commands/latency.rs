//! LATENCY: the latency monitor's events (LATEST, HISTORY, GRAPH, RESET,
//! DOCTOR; the monitor is src/latency.rs) and the per-command latency
//! histograms (HISTOGRAM).

use super::{help::reply_help, Ctx};
use crate::errors::{CmdError, CmdResult};

/// LATENCY LATEST: [event, time of the latest sample, its latency, the
/// all-time worst] for every event.
pub fn latest(cx: &mut Ctx) -> CmdResult {
    let srv = &*cx.srv;
    let mut r = cx.c.reply();
    let events: Vec<_> = srv.latency.iter().collect();
    r.array_len(events.len());
    for (name, series) in events {
        let last = series.latest();
        r.array_len(4);
        r.bulk(name.as_bytes());
        r.int(last.time);
        r.int(last.latency as i64);
        r.int(series.max as i64);
    }
    Ok(())
}

/// LATENCY HISTORY event: [time, latency] pairs, oldest first; empty for
/// an event never seen.
pub fn history(cx: &mut Ctx) -> CmdResult {
    let srv = &*cx.srv;
    let samples: Vec<_> = srv
        .latency
        .get(cx.c.argv[2].as_ref())
        .map(|(_, s)| s.history().collect())
        .unwrap_or_default();
    let mut r = cx.c.reply();
    r.array_len(samples.len());
    for s in samples {
        r.array_len(2);
        r.int(s.time);
        r.int(s.latency as i64);
    }
    Ok(())
}

/// LATENCY GRAPH event: an ASCII drawing of the event's samples.
pub fn graph(cx: &mut Ctx) -> CmdResult {
    let now = cx.srv.unixtime;
    let Some((name, series)) = cx.srv.latency.get(cx.arg(2)) else {
        return Err(CmdError::owned(format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(cx.arg(2))
        )));
    };
    let text = crate::latency::graph(name, series, now);
    cx.reply().verbatim(text.as_bytes(), "txt");
    Ok(())
}

/// LATENCY RESET [event ...]: forget the named events (all without
/// names); replies how many were dropped.
pub fn reset(cx: &mut Ctx) -> CmdResult {
    let n = if cx.argc() == 2 {
        cx.srv.latency.reset(None)
    } else {
        let names = cx.c.argv[2..].to_vec();
        names
            .iter()
            .map(|e| cx.srv.latency.reset(Some(e.as_ref())))
            .sum()
    };
    cx.reply().int(n as i64);
    Ok(())
}

/// LATENCY DOCTOR: a report in plain words over the recorded events.
pub fn doctor(cx: &mut Ctx) -> CmdResult {
    let text = crate::latency::doctor(&cx.srv.latency, cx.srv.cfg.latency_monitor_threshold);
    cx.reply().verbatim(text.as_bytes(), "txt");
    Ok(())
}

pub fn histogram(cx: &mut Ctx) -> CmdResult {
    let mut names: Vec<super::CmdId> = Vec::new();
    if cx.argc() == 2 {
        for (i, c) in cx.srv.commands.iter().enumerate() {
            if c.stats.latency.is_some() {
                names.push(super::CmdId(i as u32, 0));
            }
            for (j, s) in c.subcommands.iter().enumerate() {
                if s.stats.latency.is_some() {
                    names.push(super::CmdId(i as u32, j as u32 + 1));
                }
            }
        }
    } else {
        // A container command (CLIENT) stands for its subcommands too.
        for j in 2..cx.argc() {
            let Some(id) = cx.srv.commands.lookup_name(cx.arg(j)) else {
                continue;
            };
            let mut ids = vec![id];
            if id.1 == 0 {
                let subs = cx.srv.commands.get(id).subcommands.len() as u32;
                ids.extend((1..=subs).map(|k| super::CmdId(id.0, k)));
            }
            for id in ids {
                if cx.srv.commands.get(id).stats.latency.is_some() && !names.contains(&id) {
                    names.push(id);
                }
            }
        }
    }
    type Row = (&'static str, u64, Vec<(u64, u64)>);
    let rows: Vec<Row> = names
        .iter()
        .filter_map(|&id| {
            let c = cx.srv.commands.get(id);
            c.stats
                .latency
                .as_ref()
                .map(|h| (c.fullname, c.stats.calls, h.power_of_two_buckets()))
        })
        .collect();
    let mut r = cx.reply();
    r.map_len(rows.len());
    for (name, calls, buckets) in rows {
        r.bulk(name.as_bytes());
        r.map_len(2);
        r.bulk(b"calls");
        r.int(calls as i64);
        r.bulk(b"histogram_usec");
        r.map_len(buckets.len());
        for (b, n) in buckets {
            r.int(b as i64);
            r.int(n as i64);
        }
    }
    Ok(())
}

pub fn help(cx: &mut Ctx) -> CmdResult {
    reply_help(
        cx,
        "LATENCY",
        &[
            "DOCTOR",
            "    A report in plain words on the latency events recorded.",
            "GRAPH <event>",
            "    An ASCII drawing of the samples of <event>.",
            "HISTORY <event>",
            "    The time and latency of each sample of <event>.",
            "LATEST",
            "    The latest sample of every event.",
            "RESET [<event> ...]",
            "    Forget the samples of the given events.",
            "    (default: of every event)",
            "HISTOGRAM [COMMAND ...]",
            "    Cumulative latency distribution per command, in power-of-two microsecond buckets.",
            "    (default: every command that has one)",
        ],
    );
    Ok(())
}
