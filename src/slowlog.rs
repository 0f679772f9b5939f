//! The slow log (Redis' slowlog.c): commands that ran at least
//! `slowlog-log-slower-than` microseconds, newest first, at most
//! `slowlog-max-len` of them. Entries keep a trimmed copy of the arguments
//! (32 at most, each cut at 128 bytes), with secrets redacted as the
//! command marked them (AUTH, HELLO AUTH, MIGRATE AUTH/AUTH2, CONFIG SET
//! of a sensitive directive), the client's address and its name.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::net::client::Client;

/// SLOWLOG_ENTRY_MAX_ARGC / SLOWLOG_ENTRY_MAX_STRING.
const MAX_ARGS: usize = 32;
const MAX_STRING: usize = 128;

pub struct Entry {
    pub id: u64,
    /// Unix seconds when it was logged.
    pub time: i64,
    pub usec: u64,
    pub args: Vec<Bytes>,
    pub peer: String,
    pub name: Bytes,
}

#[derive(Default)]
pub struct SlowLog {
    /// Newest first.
    pub entries: VecDeque<Entry>,
    next_id: u64,
}

impl SlowLog {
    /// Log the command `c` just ran (its argv and redaction marks) if it
    /// took `usec` or more than the threshold; a negative threshold turns
    /// the log off.
    pub fn push_if_needed(
        &mut self,
        threshold: i64,
        max_len: u64,
        now_secs: i64,
        c: &Client,
        usec: u64,
    ) {
        if threshold < 0 || (usec as i64) < threshold {
            return;
        }
        let argv = &c.argv;
        let kept = argv.len().min(MAX_ARGS);
        let mut args = Vec::with_capacity(kept);
        for (i, a) in argv.iter().take(kept).enumerate() {
            let arg = if kept < argv.len() && i == kept - 1 {
                // The last slot tells how many were left out.
                Bytes::from(format!("... ({} more arguments)", argv.len() - kept + 1))
            } else if i < 64 && c.redact_mask & (1 << i) != 0 {
                Bytes::from_static(b"(redacted)")
            } else if a.len() > MAX_STRING {
                let mut s = a[..MAX_STRING].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes(),
                );
                Bytes::from(s)
            } else {
                // A copy: argv buffers may be shared with stored values.
                Bytes::copy_from_slice(a)
            };
            args.push(arg);
        }
        self.entries.push_front(Entry {
            id: self.next_id,
            time: now_secs,
            usec,
            args,
            peer: c.addr.clone(),
            name: c.name.clone().unwrap_or_default(),
        });
        self.next_id += 1;
        self.trim(max_len);
    }

    /// Drop the oldest entries beyond `max_len` (also after CONFIG SET).
    pub fn trim(&mut self, max_len: u64) {
        let max = usize::try_from(max_len).unwrap_or(usize::MAX);
        self.entries.truncate(max);
    }

    /// SLOWLOG RESET: the IDs go on counting.
    pub fn reset(&mut self) {
        self.entries.clear();
    }
}
