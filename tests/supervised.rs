//! `supervised systemd`: once ready, the server tells systemd over the
//! datagram socket named by $NOTIFY_SOCKET (READY=1), as Redis does.

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn supervised_systemd_sends_ready_once_listening() {
    let dir = common::temp_dir("systemd");
    let sock_path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).expect("bind notify socket");
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let port = common::free_port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis-server"))
        .args(["--port", &port, "--supervised", "systemd", "--save", ""])
        .arg("--dir")
        .arg(&dir)
        .env("NOTIFY_SOCKET", &sock_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let mut buf = [0u8; 512];
    let got = sock.recv(&mut buf);
    // The server must already answer when it says it is ready.
    let answered =
        std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).is_ok();
    let _ = child.kill();
    let _ = child.wait();
    let n = got.expect("no READY message from the server");
    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(msg.contains("READY=1"), "{msg:?}");
    assert!(
        msg.contains("STATUS=Ready to accept connections"),
        "{msg:?}"
    );
    assert!(answered, "READY sent before the port was open");
    let _ = std::fs::remove_dir_all(&dir);
}
