//! Listening sockets: TCP on each `bind` address and the `unixsocket`
//! (Redis' listenToPort / anetUnixServer), created non-blocking for mio.

use mio::net::{TcpListener, UnixListener};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::PermissionsExt;

use nix::sys::socket::{self, sockopt, AddressFamily, SockFlag, SockType, SockaddrStorage};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};

pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// Bind one TCP address with SO_REUSEADDR and the given backlog. IPv6
/// sockets are v6-only, as Redis makes them, so `* -::*` can coexist.
fn bind_tcp(ip: IpAddr, port: u16, backlog: i32) -> io::Result<TcpListener> {
    let family = if ip.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = socket::socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(io::Error::from)?;
    socket::setsockopt(&fd, sockopt::ReuseAddr, &true).map_err(io::Error::from)?;
    if ip.is_ipv6() {
        socket::setsockopt(&fd, sockopt::Ipv6V6Only, &true).map_err(io::Error::from)?;
    }
    let addr = SockaddrStorage::from(SocketAddr::new(ip, port));
    socket::bind(fd.as_raw_fd(), &addr).map_err(io::Error::from)?;
    let backlog = socket::Backlog::new(backlog.max(1)).map_err(io::Error::from)?;
    socket::listen(&fd, backlog).map_err(io::Error::from)?;
    // SAFETY: `fd` is a freshly created, owned, listening socket; ownership
    // moves into the std listener.
    let std = unsafe { std::net::TcpListener::from_raw_fd(fd.into_raw_fd()) };
    Ok(TcpListener::from_std(std))
}

/// Resolve a `bind` entry: `*` is any IPv4, `::*` any IPv6; a leading `-`
/// makes failure to bind (address not available) non-fatal.
pub fn parse_bind(addr: &str) -> (Option<IpAddr>, bool) {
    let (optional, a) = match addr.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, addr),
    };
    let ip = match a {
        "*" => Some(IpAddr::from([0, 0, 0, 0])),
        "::*" => Some(IpAddr::from([0u16; 8])),
        other => other.parse().ok(),
    };
    (ip, optional)
}

/// Bind every address in `bind` on `port`. Returns the listeners; an error
/// names the address that failed, in Redis' words.
pub fn listen_tcp(binds: &[String], port: u16, backlog: i32) -> Result<Vec<TcpListener>, String> {
    let mut out = Vec::new();
    for b in binds {
        let (ip, optional) = parse_bind(b);
        let Some(ip) = ip else {
            return Err(format!("Failed listening on port {port} (tcp), aborting."));
        };
        match bind_tcp(ip, port, backlog) {
            Ok(l) => out.push(l),
            Err(e) => {
                let unsupported = matches!(e.raw_os_error(), Some(97 | 99 | 93 | 22));
                if optional && unsupported {
                    continue;
                }
                log::warn!(
                    "Warning: Could not create server TCP listening socket {}:{}: {}",
                    b.trim_start_matches('-'),
                    port,
                    e
                );
                if unsupported && optional {
                    continue;
                }
                return Err(format!("Failed listening on port {port} (tcp), aborting."));
            }
        }
    }
    Ok(out)
}

pub fn listen_unix(path: &str, perm: u32) -> io::Result<UnixListener> {
    let _ = std::fs::remove_file(path);
    let l = UnixListener::bind(path)?;
    if perm != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm))?;
    }
    Ok(l)
}
