//! Memory figures for INFO and MEMORY: jemalloc's own counters (the same
//! source Redis uses for used_memory and the allocator_* fields) and the
//! process RSS from /proc.
//!
//! `used_memory` is what the server holds: jemalloc's allocated bytes less
//! the freed blocks its thread caches keep for reuse (Redis counts with
//! its own zmalloc counter, which never sees those either). Reading it
//! costs an `epoch` refresh that merges every arena's statistics, 10-20 µs,
//! too much for the check before every command under `maxmemory`; so
//! `used_memory_fast` adds the loop thread's own allocation counters
//! (`thread.allocatedp`/`thread.deallocatedp`, plain loads through
//! pointers) to the last full reading. That is exact for what the loop
//! thread does; what helper threads allocate shows up at the next full
//! reading, which cron takes every 100 ms while maxmemory is set
//! (`rebase`), and INFO takes each time.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use tikv_jemalloc_ctl::{epoch, raw, stats, thread};

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

/// Bytes held by the server right now (used_memory): a full reading,
/// which also re-bases `used_memory_fast` on this thread.
pub fn used_memory() -> u64 {
    let _ = epoch::advance();
    let allocated = stats::allocated::read().unwrap_or(0) as u64;
    let used = allocated.saturating_sub(tcache_bytes());
    METER.with(|m| {
        let mut meter = m.get().or_else(Meter::open);
        if let Some(meter) = meter.as_mut() {
            meter.base = used;
            meter.base_net = meter.net();
        }
        m.set(meter);
    });
    used
}

/// Take a full reading (from cron): keeps `used_memory_fast` close to the
/// truth when other threads allocate or free.
pub fn rebase() {
    used_memory();
}

/// `used_memory` at the cost of two loads: the last full reading plus what
/// this thread allocated and freed since. Falls back to a full reading on
/// the first call of a thread or if jemalloc's counters are unavailable.
#[inline]
pub fn used_memory_fast() -> u64 {
    match METER.with(Cell::get) {
        Some(m) => (m.base as i64)
            .saturating_add(m.net().wrapping_sub(m.base_net))
            .max(0) as u64,
        None => used_memory(),
    }
}

/// Bytes of freed blocks kept in the thread caches of every arena
/// (`stats.arenas.<MALLCTL_ARENAS_ALL>.tcache_bytes`): allocated as far as
/// the arenas know, free as far as the server is concerned.
fn tcache_bytes() -> u64 {
    thread_local! {
        static MIB: Cell<Option<[usize; 4]>> = const { Cell::new(None) };
    }
    let mib = MIB.with(|c| {
        c.get().or_else(|| {
            let mut mib = [0usize; 4];
            raw::name_to_mib(b"stats.arenas.4096.tcache_bytes\0", &mut mib).ok()?;
            c.set(Some(mib));
            Some(mib)
        })
    });
    // SAFETY: the mib names `stats.arenas.<i>.tcache_bytes`, a size_t.
    mib.and_then(|m| unsafe { raw::read_mib::<usize>(&m) }.ok())
        .unwrap_or(0) as u64
}

/// The pointers to this thread's allocation counters and the figures of
/// the last full reading.
#[derive(Clone, Copy)]
struct Meter {
    allocated: thread::ThreadLocal<u64>,
    deallocated: thread::ThreadLocal<u64>,
    /// `used_memory` at the last full reading.
    base: u64,
    /// `net()` at that moment.
    base_net: i64,
}

impl Meter {
    fn open() -> Option<Meter> {
        Some(Meter {
            allocated: thread::allocatedp::read().ok()?,
            deallocated: thread::deallocatedp::read().ok()?,
            base: 0,
            base_net: 0,
        })
    }

    /// Bytes this thread allocated minus bytes it freed, ever (it may free
    /// what another thread allocated, hence signed and wrapping).
    #[inline]
    fn net(&self) -> i64 {
        self.allocated.get().wrapping_sub(self.deallocated.get()) as i64
    }
}

thread_local! {
    static METER: Cell<Option<Meter>> = const { Cell::new(None) };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Right after a full reading the cheap one agrees with it, and it
    /// follows this thread's allocations. (The unit tests run on the
    /// system allocator, where jemalloc's counters do not move: then both
    /// readings simply stay equal.)
    #[test]
    fn fast_reading_starts_from_the_full_one() {
        let full = used_memory();
        assert_eq!(used_memory_fast(), full);
        let v: Vec<u8> = Vec::with_capacity(1 << 20);
        let fast = used_memory_fast();
        assert!(fast == full || fast >= full + (1 << 20));
        drop(v);
    }
}
