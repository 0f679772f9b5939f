//! The 24 bits each value keeps for eviction (Redis' robj.lru, evict.c):
//! with an LRU policy (or none) the last access time in seconds; with an
//! LFU policy a 16-bit access time in minutes plus an 8-bit logarithmic
//! access counter that decays with time.

use crate::cron::LRU_CLOCK_MAX;

/// Counter value of a new key, so it is not evicted at once.
pub const LFU_INIT_VAL: u32 = 5;

/// The field of a new value: the LRU clock, or a fresh LFU counter.
pub fn initial(lfu: bool, lruclock: u32, unix_secs: i64) -> u32 {
    if lfu {
        (minutes(unix_secs) << 8) | LFU_INIT_VAL
    } else {
        lruclock
    }
}

fn minutes(unix_secs: i64) -> u32 {
    ((unix_secs / 60) & 0xFFFF) as u32
}

/// Minutes since `ldt`, allowing one wrap of the 16-bit clock.
fn minutes_since(ldt: u32, unix_secs: i64) -> u32 {
    let now = minutes(unix_secs);
    if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    }
}

/// The counter after decay: one point per `decay_time` minutes idle.
pub fn lfu_decayed(field: u32, decay_time: i64, unix_secs: i64) -> u32 {
    let counter = field & 0xFF;
    if decay_time <= 0 {
        return counter;
    }
    let periods = minutes_since(field >> 8, unix_secs) / decay_time as u32;
    counter.saturating_sub(periods)
}

/// Logarithmic increment: the higher the counter, the less likely a hit
/// raises it (LFULogIncr); `rand01` is a uniform sample in [0, 1).
fn lfu_log_incr(counter: u32, log_factor: i64, rand01: f64) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if rand01 < p {
        counter + 1
    } else {
        counter
    }
}

/// The field after an access (updateLFU / the LRU stamp).
pub fn touched(
    field: u32,
    lfu: bool,
    lruclock: u32,
    unix_secs: i64,
    cfg: (i64, i64),
    rand01: f64,
) -> u32 {
    if !lfu {
        return lruclock & LRU_CLOCK_MAX;
    }
    let (log_factor, decay_time) = cfg;
    let counter = lfu_decayed(field, decay_time, unix_secs);
    let counter = lfu_log_incr(counter, log_factor, rand01);
    (minutes(unix_secs) << 8) | counter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_start_at_the_init_value_and_grow_on_access() {
        let f = initial(true, 0, 6000);
        assert_eq!(f & 0xFF, LFU_INIT_VAL);
        // A sure hit (rand 0) raises the counter by one.
        let f2 = touched(f, true, 0, 6000, (10, 1), 0.0);
        assert_eq!(f2 & 0xFF, LFU_INIT_VAL + 1);
        // An idle minute per decay period takes one point off.
        assert_eq!(lfu_decayed(f2, 1, 6000 + 120), LFU_INIT_VAL - 1);
    }

    #[test]
    fn lru_mode_just_stamps_the_clock() {
        assert_eq!(touched(123, false, 777, 0, (10, 1), 0.5), 777);
    }
}
