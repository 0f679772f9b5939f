//! Memory figures for INFO and MEMORY: jemalloc's own counters (the same
//! source Redis uses for used_memory and the allocator_* fields) and the
//! process RSS from /proc.

use std::sync::atomic::{AtomicU64, Ordering};
use tikv_jemalloc_ctl::{epoch, stats};

pub struct MemSample {
    pub allocated: u64,
    pub active: u64,
    pub resident: u64,
    pub rss: u64,
}

static PEAK: AtomicU64 = AtomicU64::new(0);

/// Refresh jemalloc's statistics and read them with the current RSS.
pub fn sample() -> MemSample {
    let _ = epoch::advance();
    MemSample {
        allocated: (stats::allocated::read().unwrap_or(0) as u64).saturating_sub(tcache_bytes()),
        active: stats::active::read().unwrap_or(0) as u64,
        resident: stats::resident::read().unwrap_or(0) as u64,
        rss: rss(),
    }
}

/// Bytes allocated right now (used_memory).
pub fn used_memory() -> u64 {
    let _ = epoch::advance();
    (stats::allocated::read().unwrap_or(0) as u64).saturating_sub(tcache_bytes())
}

/// Freed small blocks that the thread caches hold for reuse. jemalloc
/// counts them as allocated; Redis' own counter (zmalloc) does not, and
/// tests compare used_memory before and after freeing a client's buffers.
/// Read after an epoch advance.
fn tcache_bytes() -> u64 {
    // MALLCTL_ARENAS_ALL (4096) sums every arena.
    // SAFETY: the name is NUL-terminated and the statistic is a size_t.
    unsafe { tikv_jemalloc_ctl::raw::read::<usize>(b"stats.arenas.4096.tcache_bytes\0") }
        .map(|v| v as u64)
        .unwrap_or(0)
}

/// Track and return the peak of used_memory.
pub fn peak(used: u64) -> u64 {
    PEAK.fetch_max(used, Ordering::Relaxed).max(used)
}

pub fn rss() -> u64 {
    let page = 4096;
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|pages| pages * page)
        .unwrap_or(0)
}

pub fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
