//! Coordinated failover (replication.c failoverCommand,
//! updateFailoverStatus, abortFailover, and the PSYNC ... FAILOVER
//! handshake).
//!
//! `FAILOVER [TO host port [FORCE]] [TIMEOUT ms]` on a master: writes are
//! paused; once a replica (the given one, or any) acknowledged our whole
//! stream, we turn into its replica and ask it, with `PSYNC <id> <offset>
//! FAILOVER`, to become the master; it does, and answers +CONTINUE. A
//! timeout aborts (or, with FORCE, fails over anyway); a refused PSYNC
//! aborts and we are a master again. The pause ends with the failover.

use log::info;

use super::ReplicaState;
use crate::server::Server;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FailoverState {
    #[default]
    None,
    WaitForSync,
    InProgress,
}

impl FailoverState {
    /// INFO master_failover_state.
    pub fn info_name(self) -> &'static str {
        match self {
            FailoverState::None => "no-failover",
            FailoverState::WaitForSync => "waiting-for-sync",
            FailoverState::InProgress => "failover-in-progress",
        }
    }
}

#[derive(Default, Debug)]
pub struct Failover {
    pub state: FailoverState,
    pub target: Option<(String, u16)>,
    /// Unix ms; 0 = no timeout.
    pub end_ms: i64,
    pub force: bool,
}

/// The FAILOVER command after argument parsing; Err is the reply text.
pub fn start(
    srv: &mut Server,
    target: Option<(String, i64)>,
    timeout_ms: i64,
    force: bool,
) -> Result<(), String> {
    if srv.repl.failover.state != FailoverState::None {
        return Err("ERR FAILOVER already in progress.".into());
    }
    if srv.repl.replica.is_replica() {
        return Err("ERR FAILOVER is not valid when server is a replica.".into());
    }
    if srv.repl.replicas.is_empty() {
        return Err("ERR FAILOVER requires connected replicas.".into());
    }
    if force && (timeout_ms == 0 || target.is_none()) {
        return Err(
            "ERR FAILOVER with force option requires both a timeout and target HOST and IP.".into(),
        );
    }
    let target = match target {
        Some((host, port)) => {
            let Some(state) = find_replica(srv, &host, port) else {
                return Err("ERR FAILOVER target HOST and PORT is not a replica.".into());
            };
            if state != ReplicaState::Online {
                return Err("ERR FAILOVER target replica is not online.".into());
            }
            info!("FAILOVER requested to {host}:{port}.");
            Some((host, port as u16))
        }
        None => {
            info!("FAILOVER requested to any replica.");
            None
        }
    };
    let f = &mut srv.repl.failover;
    f.target = target;
    f.end_ms = if timeout_ms > 0 {
        crate::logging::now_ms() + timeout_ms
    } else {
        0
    };
    f.force = force;
    f.state = FailoverState::WaitForSync;
    // Hold writes until it is over (PAUSE_DURING_FAILOVER).
    if srv.pause_until_ms == 0 {
        srv.pause_write_only = true;
    }
    srv.pause_until_ms = i64::MAX;
    Ok(())
}

/// The state of the replica listening at host:port, if it is ours.
fn find_replica(srv: &Server, host: &str, port: i64) -> Option<ReplicaState> {
    srv.repl.replicas.iter().find_map(|&s| {
        let c = srv.clients.get(s)?.as_ref()?;
        let r = c.repl.as_ref()?;
        let ip = super::master::replica_ip(c);
        (ip.eq_ignore_ascii_case(host) && r.listening_port as i64 == port).then_some(r.state)
    })
}

/// clearFailoverState: back to normal, writes resume.
pub fn clear(srv: &mut Server) {
    srv.repl.failover = Failover::default();
    srv.unpause();
}

/// abortFailover: log why, become a master again if we had switched.
pub fn abort(srv: &mut Server, why: &str) {
    let f = &srv.repl.failover;
    if f.state == FailoverState::None {
        return;
    }
    match &f.target {
        Some((h, p)) => info!("FAILOVER to {h}:{p} aborted: {why}"),
        None => info!("FAILOVER to any replica aborted: {why}"),
    }
    if f.state == FailoverState::InProgress {
        super::replica::unset_master(srv);
    }
    clear(srv);
}

/// updateFailoverStatus, before each sleep: time out, or switch over once
/// a replica has all of our stream.
pub fn update(srv: &mut Server) {
    if srv.repl.failover.state != FailoverState::WaitForSync {
        return;
    }
    let now = crate::logging::now_ms();
    let f = &srv.repl.failover;
    if f.end_ms != 0 && f.end_ms <= now {
        if f.force {
            if let Some((h, p)) = f.target.clone() {
                info!("FAILOVER to {h}:{p} time out exceeded, failing over.");
                srv.repl.failover.state = FailoverState::InProgress;
                super::replica::set_master(srv, h, p);
                return;
            }
        }
        abort(srv, "Replica never caught up before timeout");
        return;
    }
    let offset = srv.repl.master_repl_offset;
    let caught_up = srv.repl.replicas.iter().find_map(|&s| {
        let c = srv.clients.get(s)?.as_ref()?;
        let r = c.repl.as_ref()?;
        let ip = super::master::replica_ip(c);
        let wanted = match &f.target {
            Some((h, p)) => ip.eq_ignore_ascii_case(h) && r.listening_port == *p,
            None => true,
        };
        (wanted && r.ack_off == offset).then_some((ip, r.listening_port))
    });
    if let Some((host, port)) = caught_up {
        info!("Failover target {host}:{port} is synced, failing over.");
        srv.repl.failover.target = Some((host.clone(), port));
        srv.repl.failover.state = FailoverState::InProgress;
        super::replica::set_master(srv, host, port);
    }
}

/// The PSYNC of a failover got its answer: accepted (either form) ends
/// the failover; anything else aborts it.
pub fn psync_answered(srv: &mut Server, accepted: bool) {
    if srv.repl.failover.state != FailoverState::InProgress {
        return;
    }
    if accepted {
        clear(srv);
    } else {
        abort(srv, "Failover target rejected psync request");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_are_redis_ones() {
        assert_eq!(FailoverState::None.info_name(), "no-failover");
        assert_eq!(FailoverState::WaitForSync.info_name(), "waiting-for-sync");
        assert_eq!(
            FailoverState::InProgress.info_name(),
            "failover-in-progress"
        );
    }
}
