//! Shared harness of the integration tests: start a real server process on a
//! free port, talk RESP to it over TCP, read its log.
//!
//! The tests never run the server in-process: it forks, and forking inside the
//! multi-threaded test harness is unsafe. Each test starts its own server (one
//! process, one temp dir, one port), so the tests of a file run in parallel.
//!
//! The binary is `ferrodis-server` from this crate. Setting the environment
//! variable `FERRODIS_TEST_SERVER=/usr/bin/redis-server` runs the same tests
//! against real Redis 7.0: a test that fails there encodes a wrong expectation,
//! not a ferrodis bug. That is how the exact replies recorded here were checked.
//!
//! Invariants: a `Server` is killed (SIGKILL) and its temp dir removed on Drop;
//! every read has a deadline, so a hung server fails a test instead of hanging it.

#![allow(dead_code)] // each test file uses a different part of the harness

pub mod events;

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single reply may take before the test fails. Generous, because
/// the debug build on a shared 2-core machine can be slow.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a freshly started server may take to answer its first PING.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The server binary under test (see the file header for the override).
pub fn server_bin() -> PathBuf {
    match std::env::var_os("FERRODIS_TEST_SERVER") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_ferrodis-server")),
    }
}

/// `assert_eq!` for byte strings: on failure both sides are printed with
/// non-printable bytes escaped, so a reply reads like Redis' wire format.
#[allow(unused_macros)] // not every test file compares raw bytes
macro_rules! assert_bytes {
    ($left:expr, $right:expr $(,)?) => {
        assert_bytes!($left, $right, "replies differ")
    };
    ($left:expr, $right:expr, $($msg:tt)+) => {{
        let left: &[u8] = &$left[..];
        let right: &[u8] = &$right[..];
        assert!(
            left == right,
            "{}\n   got: {}\nwanted: {}",
            format_args!($($msg)+),
            left.escape_ascii(),
            right.escape_ascii()
        );
    }};
}

// ---------------------------------------------------------------------------
// Temp dirs and ports
// ---------------------------------------------------------------------------

static DIR_SEQ: AtomicUsize = AtomicUsize::new(0);

/// A fresh empty directory under the system temp dir, unique per process and call.
pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "ferrodis-test-{}-{}-{}-{}",
        tag,
        std::process::id(),
        DIR_SEQ.fetch_add(1, Ordering::Relaxed),
        nanos
    ));
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A temp dir removed on Drop, so a failing test leaves nothing behind.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        TempDir(temp_dir(tag))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A port nobody listens on right now: the kernel picks one for a throwaway
/// listener. Another process may take it before we use it, so callers retry.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}

/// Polls `cond` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` owns a TCP socket listening on `port` (Linux /proc).
/// This tells our server apart from another test's server that happened to
/// grab the same port. `None` when /proc can't tell.
fn pid_listens_on(pid: u32, port: u16) -> Option<bool> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if f.len() < 10 || f[3] != "0A" {
                continue; // 0A = LISTEN
            }
            let local_port = f[1]
                .rsplit(':')
                .next()
                .and_then(|h| u16::from_str_radix(h, 16).ok());
            if local_port == Some(port) {
                inodes.push(format!("socket:[{}]", f[9]));
            }
        }
    }
    let fds = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    for fd in fds.flatten() {
        if let Ok(target) = fs::read_link(fd.path()) {
            if inodes.iter().any(|i| Path::new(i) == target) {
                return Some(true);
            }
        }
    }
    Some(false)
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

/// One server process with its own port and temp dir; killed on Drop.
pub struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
    logfile: PathBuf,
    exit: Option<ExitStatus>,
}

/// What a process that was expected to exit by itself printed.
pub struct Exited {
    /// `None` if it had to be killed after the timeout.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Server {
    /// Starts a server with `args` (redis-server's command line: an optional
    /// config file path first, then `--directive value` pairs) plus a free
    /// `--port`, a temp `--dir` and `--logfile <dir>/log.txt`, which the
    /// caller's args may override. Waits until it answers PING.
    pub fn start(args: &[&str]) -> Server {
        Self::start_with_stdin(args, None)
    }

    /// Like `start`, with `stdin` fed to the process (for the `-` config argument).
    pub fn start_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Server {
        let mut last_err = String::new();
        for _attempt in 0..8 {
            match Self::try_start(args, stdin, free_port()) {
                Ok(s) => return s,
                Err(e) => last_err = e, // most likely a port race: try another port
            }
        }
        panic!("server did not start: {last_err}");
    }

    /// One attempt on one port. Err carries the log and stderr for the panic message.
    pub fn try_start(args: &[&str], stdin: Option<&[u8]>, port: u16) -> Result<Server, String> {
        Self::try_start_bin(&server_bin(), args, stdin, port)
    }

    /// Like `start`, but runs `bin` (e.g. the real redis-server for interop
    /// tests) instead of the binary under test.
    pub fn start_bin(bin: &Path, args: &[&str]) -> Server {
        let mut last_err = String::new();
        for _attempt in 0..8 {
            match Self::try_start_bin(bin, args, None, free_port()) {
                Ok(s) => return s,
                Err(e) => last_err = e,
            }
        }
        panic!("{bin:?} did not start: {last_err}");
    }

    /// `try_start` with an explicit binary.
    pub fn try_start_bin(
        bin: &Path,
        args: &[&str],
        stdin: Option<&[u8]>,
        port: u16,
    ) -> Result<Server, String> {
        let dir = temp_dir("srv");
        let logfile = dir.join("log.txt");
        let port_s = port.to_string();
        let dir_s = dir.to_string_lossy().into_owned();
        let log_s = logfile.to_string_lossy().into_owned();

        // A config file (or "-" for stdin) must stay the first argument.
        let (head, rest): (&[&str], &[&str]) = match args.first() {
            Some(a) if !a.starts_with("--") => (&args[..1], &args[1..]),
            _ => (&[], args),
        };
        let mut argv: Vec<&str> = head.to_vec();
        argv.extend(["--port", &port_s, "--dir", &dir_s, "--logfile", &log_s]);
        argv.extend(rest);

        let out = fs::File::create(dir.join("stdout.txt")).map_err(|e| e.to_string())?;
        let err = fs::File::create(dir.join("stderr.txt")).map_err(|e| e.to_string())?;
        let mut child = Command::new(bin)
            .args(&argv)
            .current_dir(&dir)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("spawn {bin:?}: {e}"))?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(bytes).map_err(|e| e.to_string())?;
            // dropping the pipe closes it: the server reads stdin to EOF
        }
        let mut srv = Server {
            child,
            port,
            dir,
            logfile,
            exit: None,
        };
        srv.wait_ready()?;
        Ok(srv)
    }

    /// Waits until this very process listens on our port and answers PING
    /// (or NOAUTH, for servers started with requirepass).
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                self.exit = Some(st);
                return Err(format!(
                    "server exited at startup ({st}); log:\n{}\nstderr:\n{}",
                    self.log(),
                    self.stderr()
                ));
            }
            if pid_listens_on(self.child.id(), self.port) != Some(false) && self.ping_ok() {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "server did not answer PING in time; log:\n{}",
            self.log()
        ))
    }

    fn ping_ok(&self) -> bool {
        let Ok(s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let mut c = Client::from_stream(s);
        c.timeout = Duration::from_secs(5);
        if c.try_send_raw(b"PING\r\n").is_err() {
            return false;
        }
        match c.try_read_reply() {
            Ok(Resp::Simple(s)) => s == "PONG",
            Ok(Resp::Error(e)) => e.starts_with("NOAUTH"),
            _ => false,
        }
    }

    /// A new RESP2 connection to the server.
    pub fn client(&self) -> Client {
        Client::connect(self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's working directory (`--dir`), removed on Drop.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Everything the server logged so far (its `--logfile`).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.logfile).unwrap_or_default()
    }

    /// Polls the log until it contains `needle`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        wait_for(timeout, || self.log().contains(needle))
    }

    /// What the process wrote on stdout / stderr (not the log file).
    pub fn stdout(&self) -> String {
        fs::read_to_string(self.dir.join("stdout.txt")).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        fs::read_to_string(self.dir.join("stderr.txt")).unwrap_or_default()
    }

    /// Sends a signal by name ("TERM", "INT", "KILL") through kill(1):
    /// std has no kill(2) and the tests take no extra crates.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -{sig} {} failed", self.child.id());
    }

    /// Waits for the process to exit by itself; `None` if it still runs after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if self.exit.is_some() {
            return self.exit;
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                self.exit = Some(st);
                return self.exit;
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still alive (not exited, not reaped).
    pub fn is_running(&mut self) -> bool {
        self.exit.is_none() && matches!(self.child.try_wait(), Ok(None))
    }

    /// Runs the server binary with `args` and waits for it to exit by itself
    /// (config errors, `-v`, …). Killed after `timeout`, status then `None`.
    pub fn run_to_exit(args: &[&str], stdin: Option<&[u8]>, timeout: Duration) -> Exited {
        let dir = temp_dir("run");
        let out_path = dir.join("stdout.txt");
        let err_path = dir.join("stderr.txt");
        let mut child = Command::new(server_bin())
            .args(args)
            .current_dir(&dir)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(fs::File::create(&out_path).expect("stdout file"))
            .stderr(fs::File::create(&err_path).expect("stderr file"))
            .spawn()
            .expect("spawn server");
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let _ = pipe.write_all(bytes);
        }
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Ok(Some(st)) = child.try_wait() {
                break Some(st);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(20));
        };
        let res = Exited {
            status,
            stdout: fs::read_to_string(&out_path).unwrap_or_default(),
            stderr: fs::read_to_string(&err_path).unwrap_or_default(),
        };
        let _ = fs::remove_dir_all(&dir);
        res
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exit.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------
// RESP values
// ---------------------------------------------------------------------------

/// One reply, RESP2 or RESP3. Doubles and big numbers keep their exact text,
/// because how a number is printed is part of compatibility.
#[derive(Clone, Debug, PartialEq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    /// `$-1` is `Bulk(None)`.
    Bulk(Option<Vec<u8>>),
    /// `*-1` is `Array(None)`.
    Array(Option<Vec<Resp>>),
    // RESP3 only
    Null,
    Double(String),
    Bool(bool),
    BlobError(Vec<u8>),
    /// Format (`txt`, `mkd`) and content.
    Verbatim(String, Vec<u8>),
    BigNum(String),
    Map(Vec<(Resp, Resp)>),
    Set(Vec<Resp>),
    Attribute(Vec<(Resp, Resp)>),
    Push(Vec<Resp>),
}

impl Resp {
    pub fn ok() -> Resp {
        Resp::Simple("OK".into())
    }
    pub fn simple(s: &str) -> Resp {
        Resp::Simple(s.into())
    }
    pub fn err(s: &str) -> Resp {
        Resp::Error(s.into())
    }
    pub fn bulk(s: &str) -> Resp {
        Resp::Bulk(Some(s.as_bytes().to_vec()))
    }
    pub fn nil() -> Resp {
        Resp::Bulk(None)
    }
    pub fn arr(items: Vec<Resp>) -> Resp {
        Resp::Array(Some(items))
    }
    /// An array of bulk strings.
    pub fn bulks(items: &[&str]) -> Resp {
        Resp::Array(Some(items.iter().map(|s| Resp::bulk(s)).collect()))
    }

    /// The integer of an `Int`; panics otherwise.
    pub fn int(&self) -> i64 {
        match self {
            Resp::Int(n) => *n,
            other => panic!("expected an integer reply, got {other:?}"),
        }
    }

    /// The text of a bulk, simple or verbatim string; panics otherwise.
    pub fn text(&self) -> String {
        match self {
            Resp::Bulk(Some(b)) | Resp::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
            Resp::Simple(s) | Resp::Double(s) | Resp::BigNum(s) => s.clone(),
            other => panic!("expected a string reply, got {other:?}"),
        }
    }

    /// The items of an array, set or push; panics otherwise.
    pub fn items(&self) -> Vec<Resp> {
        match self {
            Resp::Array(Some(v)) | Resp::Set(v) | Resp::Push(v) => v.clone(),
            other => panic!("expected an aggregate reply, got {other:?}"),
        }
    }

    /// The items of an array of strings, as text.
    pub fn strings(&self) -> Vec<String> {
        self.items().iter().map(Resp::text).collect()
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Resp::Error(_) | Resp::BlobError(_))
    }

    /// The wire form (used to compare a parsed reply with recorded bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        fn agg(out: &mut Vec<u8>, tag: u8, items: &[Resp]) {
            out.push(tag);
            out.extend(format!("{}\r\n", items.len()).bytes());
            items.iter().for_each(|i| i.encode_into(out));
        }
        fn pairs(out: &mut Vec<u8>, tag: u8, items: &[(Resp, Resp)]) {
            out.push(tag);
            out.extend(format!("{}\r\n", items.len()).bytes());
            for (k, v) in items {
                k.encode_into(out);
                v.encode_into(out);
            }
        }
        match self {
            Resp::Simple(s) => out.extend(format!("+{s}\r\n").bytes()),
            Resp::Error(s) => out.extend(format!("-{s}\r\n").bytes()),
            Resp::Int(n) => out.extend(format!(":{n}\r\n").bytes()),
            Resp::Bulk(None) => out.extend(b"$-1\r\n"),
            Resp::Bulk(Some(b)) => {
                out.extend(format!("${}\r\n", b.len()).bytes());
                out.extend(b);
                out.extend(b"\r\n");
            }
            Resp::Array(None) => out.extend(b"*-1\r\n"),
            Resp::Array(Some(v)) => agg(out, b'*', v),
            Resp::Null => out.extend(b"_\r\n"),
            Resp::Double(s) => out.extend(format!(",{s}\r\n").bytes()),
            Resp::Bool(b) => out.extend(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Resp::BlobError(b) => {
                out.extend(format!("!{}\r\n", b.len()).bytes());
                out.extend(b);
                out.extend(b"\r\n");
            }
            Resp::Verbatim(f, b) => {
                out.extend(format!("={}\r\n{f}:", b.len() + 4).bytes());
                out.extend(b);
                out.extend(b"\r\n");
            }
            Resp::BigNum(s) => out.extend(format!("({s}\r\n").bytes()),
            Resp::Map(v) => pairs(out, b'%', v),
            Resp::Set(v) => agg(out, b'~', v),
            Resp::Attribute(v) => pairs(out, b'|', v),
            Resp::Push(v) => agg(out, b'>', v),
        }
    }
}

/// Parses one reply from the front of `buf`: `Ok(None)` if `buf` holds only
/// part of one, `Ok(Some((reply, bytes used)))` otherwise, `Err` on bytes that
/// are not RESP at all.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Resp, usize)>, String> {
    let Some(line_end) = find_crlf(buf) else {
        return Ok(None);
    };
    let Some(&tag) = buf.first() else {
        return Ok(None);
    };
    let line = String::from_utf8_lossy(&buf[1..line_end]).into_owned();
    let after = line_end + 2;
    let num = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("bad length/number {s:?}"))
    };
    let simple = |r: Resp| Ok(Some((r, after)));
    match tag {
        b'+' => simple(Resp::Simple(line)),
        b'-' => simple(Resp::Error(line)),
        b':' => simple(Resp::Int(num(&line)?)),
        b'_' => simple(Resp::Null),
        b',' => simple(Resp::Double(line)),
        b'(' => simple(Resp::BigNum(line)),
        b'#' => match line.as_str() {
            "t" => simple(Resp::Bool(true)),
            "f" => simple(Resp::Bool(false)),
            _ => Err(format!("bad boolean {line:?}")),
        },
        b'$' | b'!' | b'=' => {
            let n = num(&line)?;
            if n < 0 {
                return if tag == b'$' {
                    simple(Resp::Bulk(None))
                } else {
                    Err("negative blob".into())
                };
            }
            let n = n as usize;
            if buf.len() < after + n + 2 {
                return Ok(None);
            }
            if &buf[after + n..after + n + 2] != b"\r\n" {
                return Err("blob not followed by CRLF".into());
            }
            let body = buf[after..after + n].to_vec();
            let r = match tag {
                b'$' => Resp::Bulk(Some(body)),
                b'!' => Resp::BlobError(body),
                _ => {
                    if body.len() < 4 || body[3] != b':' {
                        return Err("verbatim string without a format".into());
                    }
                    Resp::Verbatim(
                        String::from_utf8_lossy(&body[..3]).into_owned(),
                        body[4..].to_vec(),
                    )
                }
            };
            Ok(Some((r, after + n + 2)))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = num(&line)?;
            if n < 0 {
                return if tag == b'*' {
                    simple(Resp::Array(None))
                } else {
                    Err("negative aggregate".into())
                };
            }
            let count = if matches!(tag, b'%' | b'|') {
                2 * n as usize
            } else {
                n as usize
            };
            let mut items = Vec::with_capacity(count.min(1024));
            let mut pos = after;
            for _ in 0..count {
                match parse_reply(&buf[pos..])? {
                    None => return Ok(None),
                    Some((r, used)) => {
                        items.push(r);
                        pos += used;
                    }
                }
            }
            let pair_up = |items: Vec<Resp>| {
                let mut it = items.into_iter();
                let mut v = Vec::new();
                while let (Some(k), Some(val)) = (it.next(), it.next()) {
                    v.push((k, val));
                }
                v
            };
            let r = match tag {
                b'*' => Resp::Array(Some(items)),
                b'~' => Resp::Set(items),
                b'>' => Resp::Push(items),
                b'%' => Resp::Map(pair_up(items)),
                _ => Resp::Attribute(pair_up(items)),
            };
            Ok(Some((r, pos)))
        }
        other => Err(format!("unknown RESP type byte {:?}", other as char)),
    }
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

/// Whether `buf` is a whole number of complete replies.
fn complete_replies(buf: &[u8]) -> bool {
    let mut pos = 0;
    while pos < buf.len() {
        match parse_reply(&buf[pos..]) {
            Ok(Some((_, used))) => pos += used,
            _ => return false,
        }
    }
    true
}

/// The multibulk encoding of one command.
pub fn encode_cmd(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend(format!("${}\r\n", a.len()).bytes());
        out.extend_from_slice(a);
        out.extend(b"\r\n");
    }
    out
}

/// `encode_cmd` for text arguments.
pub fn encode_strs(args: &[&str]) -> Vec<u8> {
    let v: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    encode_cmd(&v)
}

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

/// A RESP connection. Bytes read past the current reply stay in `pending`,
/// so pipelined replies and partial reads are both handled.
pub struct Client {
    stream: TcpStream,
    pending: Vec<u8>,
    /// Deadline for each `read_reply`.
    pub timeout: Duration,
}

impl Client {
    /// Connects to 127.0.0.1:`port`; panics if that fails.
    pub fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("connect to port {port}: {e}"));
        Client::from_stream(s)
    }

    pub fn from_stream(stream: TcpStream) -> Client {
        let _ = stream.set_nodelay(true);
        Client {
            stream,
            pending: Vec::new(),
            timeout: REPLY_TIMEOUT,
        }
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Sends a command and returns its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Resp {
        self.send(args);
        self.read_reply()
    }

    /// `cmd` with binary arguments.
    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> Resp {
        self.send_raw(&encode_cmd(args));
        self.read_reply()
    }

    /// Sends a command without waiting for the reply (for pipelines).
    pub fn send(&mut self, args: &[&str]) {
        self.send_raw(&encode_strs(args));
    }

    /// Writes bytes as they are; panics if the write fails.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.try_send_raw(bytes)
            .unwrap_or_else(|e| panic!("write to server: {e}"));
    }

    pub fn try_send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Reads one reply; panics on timeout, on a closed connection or on bytes
    /// that are not RESP.
    pub fn read_reply(&mut self) -> Resp {
        match self.try_read_reply() {
            Ok(r) => r,
            Err(e) => panic!(
                "reading a reply: {e} (unparsed bytes: {:?})",
                String::from_utf8_lossy(&self.pending)
            ),
        }
    }

    /// Reads one reply within `self.timeout`.
    pub fn try_read_reply(&mut self) -> io::Result<Resp> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match parse_reply(&self.pending) {
                Ok(Some((r, used))) => {
                    self.pending.drain(..used);
                    return Ok(r);
                }
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
            if self.fill(deadline)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed by the server",
                ));
            }
        }
    }

    /// Reads more bytes into `pending`; Ok(0) on EOF, TimedOut after `deadline`.
    fn fill(&mut self, deadline: Instant) -> io::Result<usize> {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no reply in time"));
            }
            self.stream.set_read_timeout(Some(left))?;
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.pending.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // a read timeout shows up as WouldBlock on Linux
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "no reply in time"));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends raw bytes and returns every byte that comes back: reading stops
    /// when the connection closes, or when what arrived is a whole number of
    /// replies and nothing more comes for a short quiet period. Waits up to
    /// `self.timeout` for the first byte.
    pub fn raw(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.send_raw(bytes);
        self.read_raw()
    }

    /// The reading half of `raw`.
    pub fn read_raw(&mut self) -> Vec<u8> {
        let quiet = Duration::from_millis(150);
        let first_deadline = Instant::now() + self.timeout;
        loop {
            let deadline = if self.pending.is_empty() || !complete_replies(&self.pending) {
                first_deadline
            } else {
                Instant::now() + quiet
            };
            match self.fill(deadline) {
                Ok(0) => break, // closed by the server
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => break,
                Err(_) => break, // reset: the server closed the connection
            }
        }
        std::mem::take(&mut self.pending)
    }

    /// Reads exactly `n` bytes (panics on timeout or EOF before that).
    pub fn read_bytes(&mut self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + self.timeout;
        while self.pending.len() < n {
            match self.fill(deadline) {
                Ok(0) => panic!(
                    "connection closed after {} of {n} bytes",
                    self.pending.len()
                ),
                Ok(_) => {}
                Err(e) => panic!("reading {n} bytes: {e} (got {})", self.pending.len()),
            }
        }
        self.pending.drain(..n).collect()
    }

    /// Whether the server closes this connection within `timeout`. Any bytes
    /// that arrive first are discarded. A connection that stays open for the
    /// whole timeout returns false.
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            match self.fill(deadline) {
                Ok(0) => return true,
                Ok(_) => self.pending.clear(),
                Err(e) if e.kind() == io::ErrorKind::TimedOut => return false,
                Err(_) => return true, // ECONNRESET and friends
            }
        }
    }

    /// `closed_within` with a generous deadline, for connections expected to close.
    pub fn is_closed(&mut self) -> bool {
        self.closed_within(Duration::from_secs(10))
    }

    /// Closes our write side (the server sees EOF after what was sent).
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// The value of `field` in `INFO <section>`, if present.
    pub fn info_field(&mut self, section: &str, field: &str) -> Option<String> {
        let info = self.cmd(&["INFO", section]).text();
        info_value(&info, field)
    }
}

/// The value of `field` in INFO text.
pub fn info_value(info: &str, field: &str) -> Option<String> {
    info.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == field).then(|| v.trim_end().to_string())
    })
}
