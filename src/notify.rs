//! Keyspace notifications (Redis' notify.c): a command that changes a key
//! publishes the event on `__keyspace@<db>__:<key>` (the message is the
//! event name) and/or `__keyevent@<db>__:<event>` (the message is the key),
//! as `notify-keyspace-events` selects.
//!
//! Call sites mirror Redis' notifyKeyspaceEvent calls one for one, with the
//! same class, event name and order; with notifications off (the default)
//! each costs one load and branch.

use crate::config::{NOTIFY_KEYEVENT, NOTIFY_KEYSPACE};
use crate::server::Server;

/// Publish `event` about `key` in database `db` if class `class` is
/// enabled (notifyKeyspaceEvent).
#[inline]
pub fn keyspace_event(srv: &mut Server, class: u32, event: &str, key: &[u8], db: usize) {
    let enabled = srv.cfg.notify_keyspace_events;
    if enabled & class == 0 {
        return;
    }
    publish_event(srv, enabled, event, key, db);
}

#[cold]
fn publish_event(srv: &mut Server, enabled: u32, event: &str, key: &[u8], db: usize) {
    if enabled & NOTIFY_KEYSPACE != 0 {
        let mut chan = format!("__keyspace@{db}__:").into_bytes();
        chan.extend_from_slice(key);
        crate::pubsub::publish(srv, &chan, event.as_bytes());
    }
    if enabled & NOTIFY_KEYEVENT != 0 {
        let chan = format!("__keyevent@{db}__:{event}");
        crate::pubsub::publish(srv, chan.as_bytes(), key);
    }
}
