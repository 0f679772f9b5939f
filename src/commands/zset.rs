//! STUB: zset commands, to be written.

use super::Handler;

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[];

/// STUB
pub fn blocking_pop(
    _srv: &mut crate::server::Server,
    _c: &mut crate::net::client::Client,
    _db: usize,
    _key: &[u8],
    _max: bool,
    _count: Option<usize>,
) {
}
