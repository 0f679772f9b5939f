//! Standalone helpers with no server state: Redis' glob matcher, its
//! number <-> text conversions (util.c, object.c, networking.c) and LZF.

pub mod glob;
pub mod lzf;
pub mod number;
pub mod splice;
#[cfg(test)]
pub mod testrng;
pub mod thin;
