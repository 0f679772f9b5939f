//! A seeded xorshift generator for the unit tests' random-operation runs
//! (deterministic, so a failing seed replays). Tests only.

pub struct Rng(pub u64);

impl Rng {
    // Not an Iterator: callers want a plain u64 each time, never None.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn below_usize(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
}
