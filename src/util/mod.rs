//! Standalone helpers with no server state: Redis' glob matcher and its
//! number <-> text conversions (util.c, object.c, networking.c).

pub mod glob;
pub mod number;
