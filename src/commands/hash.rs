//! STUB: hash commands, to be written.

use super::Handler;

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[];
