//! Listening sockets: TCP on each `bind` address and the `unixsocket`
//! (Redis' listenToPort / anetUnixServer), created non-blocking for mio.

use mio::net::{TcpListener, UnixListener};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::PermissionsExt;

use nix::sys::socket::{self, sockopt, AddressFamily, SockFlag, SockType, SockaddrStorage};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};

/// A new non-blocking, close-on-exec TCP socket, for when std and mio
/// cannot set it up themselves (listener options, a bound source address).
pub fn tcp_socket(ipv4: bool) -> io::Result<std::os::fd::OwnedFd> {
    let family = if ipv4 {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    socket::socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(io::Error::from)
}

pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// Bind one TCP address with SO_REUSEADDR and the given backlog. IPv6
/// sockets are v6-only, as Redis makes them, so `* -::*` can coexist.
fn bind_tcp(ip: IpAddr, port: u16, backlog: i32) -> io::Result<TcpListener> {
    let fd = tcp_socket(ip.is_ipv4())?;
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

/// Resolve a bind address like getaddrinfo does for Redis: `*` and `::*`
/// are the wildcards, names such as `localhost` are looked up.
fn resolve(addr: &str, port: u16) -> Option<IpAddr> {
    match addr {
        "*" => Some(IpAddr::from([0, 0, 0, 0])),
        "::*" => Some(IpAddr::from([0u16; 8])),
        other => other.parse().ok().or_else(|| {
            use std::net::ToSocketAddrs;
            let want_v6 = other.contains(':');
            (other, port)
                .to_socket_addrs()
                .ok()?
                .map(|sa| sa.ip())
                .find(|ip| ip.is_ipv6() == want_v6)
        }),
    }
}

/// Bind every address in `bind` on `port` (listenToPort). A leading `-`
/// makes an address optional (skipped when not available on this host);
/// an unsupported protocol family is skipped too. Err is the line to log
/// before giving up.
pub fn listen_tcp(binds: &[String], port: u16, backlog: i32) -> Result<Vec<TcpListener>, String> {
    let mut out = Vec::new();
    for b in binds {
        let optional = b.starts_with('-');
        let addr = b.trim_start_matches('-');
        let res = match resolve(addr, port) {
            Some(ip) => bind_tcp(ip, port, backlog),
            None => Err(io::Error::from_raw_os_error(nix::libc::EADDRNOTAVAIL)),
        };
        match res {
            Ok(l) => out.push(l),
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(0);
                let text = nix::errno::Errno::from_raw(errno).desc();
                log::warn!("Warning: Could not create server TCP listening socket {addr}:{port}: bind: {text}");
                use nix::libc::{
                    EADDRNOTAVAIL, EAFNOSUPPORT, ENOPROTOOPT, EPFNOSUPPORT, EPROTONOSUPPORT,
                    ESOCKTNOSUPPORT,
                };
                if errno == EADDRNOTAVAIL && optional {
                    continue;
                }
                if matches!(
                    errno,
                    ENOPROTOOPT | EPROTONOSUPPORT | ESOCKTNOSUPPORT | EPFNOSUPPORT | EAFNOSUPPORT
                ) {
                    continue;
                }
                return Err(format!("Failed listening on port {port} (TCP), aborting."));
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
