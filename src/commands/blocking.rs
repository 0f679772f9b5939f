//! STUB: blocking list and sorted-set commands.

use crate::net::client::Client;
use crate::server::Server;

/// Serve a client blocked on `key`, which now holds a value of the type it
/// waits for.
pub fn serve(_srv: &mut Server, _c: &mut Client, _key: &[u8]) {}
