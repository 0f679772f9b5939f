//! Plain value structures: they import nothing from the server, the network
//! or the commands (like Redis' t_*.c helpers that never see a client).

pub mod intset;
pub mod key;
pub mod listpack;
pub mod value;
