//! Plain value structures: they import nothing from the server, the network
//! or the commands (like Redis' t_*.c helpers that never see a client).

pub mod geohash;
pub mod hash;
pub mod hll;
pub mod intset;
pub mod key;
pub mod listpack;
pub mod quicklist;
pub mod set;
pub mod stream;
pub mod value;
pub mod zset;
