//! Client-side caching (Redis' tracking.c). Placeholder state until the
//! tracking table lands.

use crate::server::Server;

/// Server-wide tracking state.
#[derive(Default)]
pub struct Tracking {
    /// Clients with tracking on.
    pub clients: usize,
}

/// A client's tracking options.
#[derive(Default, Debug)]
pub struct ClientTracking {}

/// A key changed: tell the clients that cached it (trackingInvalidateKey).
#[inline]
pub fn invalidate_key(srv: &mut Server, _key: &[u8], _bcast: bool) {
    if srv.tracking.clients == 0 {
        #[allow(clippy::needless_return)]
        return;
    }
}

/// Every cached key is gone (trackingInvalidateKeysOnFlush): tracking
/// clients get a null invalidation.
pub fn invalidate_on_flush(srv: &mut Server, _lazy: bool) {
    if srv.tracking.clients == 0 {
        #[allow(clippy::needless_return)]
        return;
    }
}
