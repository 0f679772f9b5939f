//! Server and per-command statistics (INFO stats, commandstats,
//! errorstats, latencystats).
//!
//! Latency is kept in a log-linear histogram: 16 linear sub-buckets per
//! power of two, which is what Redis' HdrHistogram gives at 2 significant
//! digits closely enough for percentiles, with a fixed 1 KB per command.

use std::collections::BTreeMap;

const SUB_BUCKETS: usize = 16;
const POWERS: usize = 40;

#[derive(Clone)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    pub total: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: vec![0; POWERS * SUB_BUCKETS],
            total: 0,
        }
    }
}

impl LatencyHistogram {
    fn index(usec: u64) -> usize {
        let v = usec.max(1);
        let p = 63 - v.leading_zeros() as usize; // floor(log2 v)
        if p < 4 {
            return v as usize; // exact for 1..16
        }
        let sub = ((v >> (p - 4)) & 15) as usize;
        (p - 3) * SUB_BUCKETS + sub
    }

    /// The highest value that lands in bucket `i`.
    fn bucket_top(i: usize) -> u64 {
        if i < SUB_BUCKETS {
            return i as u64;
        }
        let p = i / SUB_BUCKETS + 3;
        let sub = (i % SUB_BUCKETS) as u64;
        ((16 + sub + 1) << (p - 4)) - 1
    }

    pub fn record(&mut self, usec: u64) {
        let i = Self::index(usec).min(self.counts.len() - 1);
        self.counts[i] += 1;
        self.total += 1;
    }

    /// The value at percentile `p` (0..=100).
    pub fn percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let want = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= want {
                return Self::bucket_top(i).max(1);
            }
        }
        0
    }

    /// Cumulative counts at each power of two (LATENCY HISTOGRAM buckets).
    pub fn power_of_two_buckets(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut cum = 0;
        let mut next_pow = 1u64;
        let mut last_emitted = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            let top = Self::bucket_top(i);
            while top > next_pow.saturating_mul(1) && next_pow < u64::MAX / 2 {
                if cum > last_emitted || (cum > 0 && out.is_empty()) {
                    out.push((next_pow, cum));
                    last_emitted = cum;
                }
                next_pow *= 2;
            }
            cum += n;
        }
        if cum > last_emitted {
            out.push((next_pow, cum));
        }
        out
    }
}

#[derive(Default, Clone)]
pub struct CmdStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    pub latency: Option<Box<LatencyHistogram>>,
}

impl CmdStats {
    pub fn record_latency(&mut self, usec: u64) {
        self.latency
            .get_or_insert_with(Default::default)
            .record(usec);
    }
}

#[derive(Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// Replication traffic (total_net_repl_input/output_bytes).
    pub net_repl_input_bytes: u64,
    pub net_repl_output_bytes: u64,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub expire_cycle_time_used_us: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub client_outbuf_limit_disconnections: u64,
    pub errors: BTreeMap<String, u64>,
    /// Samples for the instantaneous_* metrics: (ms, commands, in, out).
    pub inst_samples: Vec<(i64, u64, u64, u64)>,
    /// Read and write calls on client sockets (total_reads/writes_processed).
    pub reads_processed: u64,
    pub writes_processed: u64,
    /// Reply buffers resized by clients cron (reply_buffer_shrinks/expands).
    pub reply_buffer_shrinks: u64,
    pub reply_buffer_expands: u64,
}

/// Redis stops adding new error codes to errorstats past this many.
const ERRORSTATS_LIMIT: usize = 128;

impl Stats {
    /// Count an error reply under its code (the first word).
    pub fn count_error(&mut self, code: &str) {
        self.total_error_replies += 1;
        if let Some(n) = self.errors.get_mut(code) {
            *n += 1;
        } else if self.errors.len() < ERRORSTATS_LIMIT {
            self.errors.insert(code.to_string(), 1);
        }
    }

    /// CONFIG RESETSTAT: zero the counters (not the samples' time base).
    pub fn reset(&mut self) {
        *self = Stats::default();
    }

    /// Record a sample for the instantaneous metrics (every 100 ms in cron).
    pub fn sample(&mut self, now_ms: i64) {
        self.inst_samples.push((
            now_ms,
            self.total_commands_processed,
            self.net_input_bytes,
            self.net_output_bytes,
        ));
        if self.inst_samples.len() > 16 {
            self.inst_samples.remove(0);
        }
    }

    /// (ops/sec, input kbps, output kbps) over the sampled window.
    pub fn instantaneous(&self) -> (u64, f64, f64) {
        let (Some(a), Some(b)) = (self.inst_samples.first(), self.inst_samples.last()) else {
            return (0, 0.0, 0.0);
        };
        let dt = (b.0 - a.0) as f64 / 1000.0;
        if dt <= 0.0 {
            return (0, 0.0, 0.0);
        }
        (
            ((b.1 - a.1) as f64 / dt) as u64,
            (b.2 - a.2) as f64 / dt / 1024.0,
            (b.3 - a.3) as f64 / dt / 1024.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_land_in_the_right_bucket() {
        let mut h = LatencyHistogram::default();
        for v in 1..=100 {
            h.record(v);
        }
        let p50 = h.percentile(50.0);
        assert!((50..=53).contains(&p50), "{p50}");
        assert!(h.percentile(100.0) >= 100);
        assert_eq!(LatencyHistogram::default().percentile(50.0), 0);
    }
}
