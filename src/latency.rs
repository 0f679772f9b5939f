//! The latency monitor (Redis' latency.c): when `latency-monitor-threshold`
//! is set, operations of the loop that took at least that many
//! milliseconds (a command, an expire cycle, a fork, an AOF write...) are
//! recorded per event name, one sample per second at most (the worst one
//! of that second), the last 160 of them, plus the all-time worst.
//! `LATENCY LATEST|HISTORY|GRAPH|RESET|DOCTOR` read it.

use std::fmt::Write;

/// Samples kept per event (Redis' LATENCY_TS_LEN).
pub const HISTORY_LEN: usize = 160;
/// Width of the LATENCY GRAPH drawing.
const GRAPH_COLS: usize = 80;
/// Height of the LATENCY GRAPH drawing, in rows.
const GRAPH_ROWS: usize = 4;

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Unix seconds (0: an unused slot).
    pub time: i64,
    /// Milliseconds.
    pub latency: u64,
}

/// The samples of one event, a ring of HISTORY_LEN slots.
pub struct Series {
    samples: Box<[Sample; HISTORY_LEN]>,
    /// The slot the next sample goes to.
    next: usize,
    /// Worst latency ever recorded (not cleared as the ring wraps).
    pub max: u64,
}

impl Series {
    fn new() -> Series {
        Series {
            samples: Box::new([Sample::default(); HISTORY_LEN]),
            next: 0,
            max: 0,
        }
    }

    fn add(&mut self, now: i64, latency: u64) {
        self.max = self.max.max(latency);
        let prev = &mut self.samples[(self.next + HISTORY_LEN - 1) % HISTORY_LEN];
        // Within one second only the worst sample is kept.
        if prev.time == now {
            prev.latency = prev.latency.max(latency);
            return;
        }
        self.samples[self.next] = Sample { time: now, latency };
        self.next = (self.next + 1) % HISTORY_LEN;
    }

    /// The most recent sample.
    pub fn latest(&self) -> Sample {
        self.samples[(self.next + HISTORY_LEN - 1) % HISTORY_LEN]
    }

    /// The samples held, oldest first.
    pub fn history(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..HISTORY_LEN)
            .map(move |j| self.samples[(self.next + j) % HISTORY_LEN])
            .filter(|s| s.time != 0)
    }
}

/// Every event recorded so far, in the order each first occurred.
#[derive(Default)]
pub struct Monitor {
    events: Vec<(String, Series)>,
}

impl Monitor {
    /// Record `latency_ms` for `event` at unix second `now` if the
    /// threshold (0 = monitor off) is reached (latencyAddSampleIfNeeded).
    pub fn add_if_needed(&mut self, threshold_ms: i64, event: &str, latency_ms: u64, now: i64) {
        if threshold_ms <= 0 || latency_ms < threshold_ms as u64 {
            return;
        }
        let i = match self.events.iter().position(|(name, _)| name == event) {
            Some(i) => i,
            None => {
                self.events.push((event.to_string(), Series::new()));
                self.events.len() - 1
            }
        };
        self.events[i].1.add(now, latency_ms);
    }

    /// An event by its exact name, as Redis looks it up for HISTORY/GRAPH.
    pub fn get(&self, event: &[u8]) -> Option<(&str, &Series)> {
        self.events
            .iter()
            .find(|(name, _)| name.as_bytes() == event)
            .map(|(n, s)| (n.as_str(), s))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Series)> {
        self.events.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// Forget one event (matched without regard to case) or, with None,
    /// all of them; returns how many were dropped.
    pub fn reset(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        match event {
            None => self.events.clear(),
            Some(e) => self
                .events
                .retain(|(name, _)| !name.as_bytes().eq_ignore_ascii_case(e)),
        }
        before - self.events.len()
    }
}

/// How long ago `t` was, as a short label: "12s", "5m", "3h", "2d".
fn age_label(now: i64, t: i64) -> String {
    let age = (now - t).max(0);
    match age {
        0..=59 => format!("{age}s"),
        60..=3599 => format!("{}m", age / 60),
        3600..=86399 => format!("{}h", age / 3600),
        _ => format!("{}d", age / 86400),
    }
}

/// LATENCY GRAPH: a header line (Redis' wording, which tools parse), a
/// rule, then one column per sample (the last GRAPH_COLS of them) whose
/// height follows the latency between the lowest and highest sample, with
/// each sample's age written downwards under it.
pub fn graph(event: &str, series: &Series, now: i64) -> String {
    let all: Vec<Sample> = series.history().collect();
    let samples = &all[all.len().saturating_sub(GRAPH_COLS)..];
    let low = samples.iter().map(|s| s.latency).min().unwrap_or(0);
    let high = samples.iter().map(|s| s.latency).max().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{event} - high {high} ms, low {low} ms (all time high {} ms)",
        series.max
    );
    out.push_str(&"-".repeat(GRAPH_COLS));
    out.push('\n');
    // Each column is filled up to a level of 1..=2*GRAPH_ROWS half cells.
    let levels: Vec<usize> = samples
        .iter()
        .map(|s| {
            if high == low {
                GRAPH_ROWS * 2
            } else {
                1 + ((s.latency - low) * (GRAPH_ROWS as u64 * 2 - 1) / (high - low)) as usize
            }
        })
        .collect();
    for row in (0..GRAPH_ROWS).rev() {
        let line: String = levels
            .iter()
            .map(|&l| match l.saturating_sub(row * 2) {
                0 => ' ',
                1 => '_',
                _ => '#',
            })
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let labels: Vec<Vec<u8>> = samples
        .iter()
        .map(|s| age_label(now, s.time).into_bytes())
        .collect();
    let depth = labels.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..depth {
        let line: String = labels
            .iter()
            .map(|l| l.get(i).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Figures over an event's held samples, for the doctor.
struct Summary {
    count: usize,
    avg: f64,
    /// Mean absolute deviation from the average.
    mad: f64,
    /// Seconds between the first and last sample.
    period: i64,
}

fn summarize(series: &Series) -> Summary {
    let lat: Vec<(i64, u64)> = series.history().map(|s| (s.time, s.latency)).collect();
    let count = lat.len();
    if count == 0 {
        return Summary {
            count,
            avg: 0.0,
            mad: 0.0,
            period: 0,
        };
    }
    let avg = lat.iter().map(|&(_, l)| l as f64).sum::<f64>() / count as f64;
    let mad = lat
        .iter()
        .map(|&(_, l)| (l as f64 - avg).abs())
        .sum::<f64>()
        / count as f64;
    let period = lat[count - 1].0 - lat[0].0;
    Summary {
        count,
        avg,
        mad,
        period,
    }
}

/// What usually causes an event's latency, and what to look at.
fn advice(event: &str) -> &'static str {
    match event {
        "command" | "fast-command" | "command-unblocking" => {
            "Slow commands: look at SLOWLOG GET for the culprits. Commands that are O(N) on big values (KEYS, SMEMBERS, LRANGE over long lists, DEL of huge keys) block the server for as long as they run; prefer SCAN-style iteration and UNLINK."
        }
        "expire-cycle" | "expire-del" => {
            "Key expiry: many keys expiring at the same moment keep the active expire cycle busy, and deleting a big key that expired takes time. Spread expire times and consider lazyfree-lazy-expire yes."
        }
        "eviction-cycle" | "eviction-del" | "eviction-lazyfree" => {
            "Eviction: reaching maxmemory makes writes evict keys first. Give the server more headroom, use lazyfree-lazy-eviction yes, or lower maxmemory-eviction-tenacity."
        }
        "fork" => {
            "fork(): copying the page tables of a big process takes time. Check that transparent huge pages are disabled and consider snapshotting less often."
        }
        e if e.starts_with("aof-") => {
            "AOF: writes or fsyncs of the append only file were slow, often because the disk is busy (a background save or rewrite writing at the same time). Consider appendfsync everysec, no-appendfsync-on-rewrite yes, or a faster disk."
        }
        "rdb-unlink-temp-file" => {
            "Removing a big temporary RDB file was slow; the file system takes long to free big files."
        }
        _ => "No specific advice for this event.",
    }
}

/// LATENCY DOCTOR: a plain-language report over the recorded events.
pub fn doctor(mon: &Monitor, threshold_ms: i64) -> String {
    let mut out = String::new();
    if threshold_ms <= 0 && mon.events.is_empty() {
        out.push_str(
            "The latency monitor is off, so there is nothing to report. Turn it on with \
             CONFIG SET latency-monitor-threshold <milliseconds>: operations taking at least \
             that long are then recorded.\n",
        );
        return out;
    }
    if mon.events.is_empty() {
        let _ = writeln!(
            out,
            "No operation has taken {threshold_ms} ms or more since the monitor started (or \
             was last reset): no latency problem to report."
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Latency report: {} event kind(s) reached the {threshold_ms} ms threshold.\n",
        mon.events.len()
    );
    for (i, (name, series)) in mon.events.iter().enumerate() {
        let s = summarize(series);
        let latest = series.latest();
        let _ = writeln!(
            out,
            "{}. {name}: {} sample(s) over {} s, latest {} ms, average {:.0} ms (mean deviation {:.0} ms), worst ever {} ms.",
            i + 1,
            s.count,
            s.period,
            latest.latency,
            s.avg,
            s.mad,
            series.max
        );
        let _ = writeln!(out, "   {}\n", advice(name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeps_the_worst_and_the_ring_wraps() {
        let mut m = Monitor::default();
        m.add_if_needed(0, "command", 500, 1); // monitor off
        assert!(m.iter().next().is_none());
        m.add_if_needed(100, "command", 99, 1); // under the threshold
        assert!(m.iter().next().is_none());
        m.add_if_needed(100, "command", 150, 10);
        m.add_if_needed(100, "command", 300, 10);
        m.add_if_needed(100, "command", 200, 10);
        let (_, s) = m.get(b"command").unwrap();
        assert_eq!(
            s.history().collect::<Vec<_>>(),
            vec![Sample {
                time: 10,
                latency: 300
            }]
        );
        for t in 11..11 + HISTORY_LEN as i64 {
            m.add_if_needed(100, "command", 100 + t as u64, t);
        }
        let (_, s) = m.get(b"command").unwrap();
        let h: Vec<Sample> = s.history().collect();
        assert_eq!(h.len(), HISTORY_LEN);
        assert_eq!(h[0].time, 11);
        assert_eq!(s.latest().time, 10 + HISTORY_LEN as i64);
        assert_eq!(s.max, 300);
    }

    #[test]
    fn reset_matches_names_without_case_and_counts() {
        let mut m = Monitor::default();
        m.add_if_needed(1, "command", 5, 1);
        m.add_if_needed(1, "fork", 5, 1);
        assert_eq!(m.reset(Some(b"nosuch")), 0);
        assert_eq!(m.reset(Some(b"FORK")), 1);
        assert!(m.get(b"fork").is_none());
        assert_eq!(m.reset(None), 1);
        assert!(doctor(&m, 1).contains("No operation"));
    }

    #[test]
    fn graph_has_the_header_a_column_per_sample_and_age_labels() {
        let mut m = Monitor::default();
        for (t, l) in [(100, 10), (101, 40), (102, 25)] {
            m.add_if_needed(1, "command", l, t);
        }
        let (name, s) = m.get(b"command").unwrap();
        let g = graph(name, s, 165);
        let lines: Vec<&str> = g.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 40 ms, low 10 ms (all time high 40 ms)"
        );
        assert_eq!(lines[1], "-".repeat(80));
        // The highest sample fills the top row, the lowest only the bottom.
        assert_eq!(lines[2], " #");
        assert_eq!(lines[5], "_##");
        // Ages 65 s, 64 s and 63 s: "1m" each.
        assert_eq!(lines[6], "111");
        assert_eq!(lines[7], "mmm");
        assert_eq!(age_label(100, 100 - 7200), "2h");
        assert_eq!(age_label(100, 100 - 3 * 86400), "3d");
    }
}
