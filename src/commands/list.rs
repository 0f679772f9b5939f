//! STUB: list commands, to be written.

use super::Handler;

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[];

/// A new list value holding `items` in order (SORT ... STORE).
pub fn new_list_from(
    _srv: &crate::server::Server,
    _items: Vec<Vec<u8>>,
) -> crate::types::value::Value {
    crate::types::value::Value::List(Box::default())
}

/// STUB
pub fn blocking_pop(
    _srv: &mut crate::server::Server,
    _c: &mut crate::net::client::Client,
    _db: usize,
    _key: &[u8],
    _from: crate::blocked::End,
    _count: Option<usize>,
) {
}

/// STUB
pub fn blocking_move(
    _srv: &mut crate::server::Server,
    _c: &mut crate::net::client::Client,
    _db: usize,
    _key: &[u8],
    _dst: &[u8],
    _from: crate::blocked::End,
    _to: crate::blocked::End,
) {
}
