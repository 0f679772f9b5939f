//! PLACEHOLDER (replaced by the real link module): the replica's link to
//! its master up to the command stream.
#![allow(dead_code, unused_variables)]

pub struct LinkParams {
    pub host: String,
    pub port: u16,
    pub masteruser: Option<String>,
    pub masterauth: Option<String>,
    pub listening_port: u16,
    pub announce_ip: Option<String>,
    pub psync_from: Option<(String, i64)>,
    pub load_to_memory: bool,
    pub temp_file: std::path::PathBuf,
    pub timeout_ms: i64,
}

pub enum Payload {
    File(std::path::PathBuf),
    Memory(Vec<u8>),
}

pub enum Step {
    Wait,
    FullResync { replid: String, offset: i64 },
    TransferDone(Payload),
    Continue { new_replid: Option<String> },
    Failed,
}

pub struct MasterLink {
    stream: mio::net::TcpStream,
}

impl MasterLink {
    pub fn start(
        p: LinkParams,
        registry: &mio::Registry,
        token: mio::Token,
        now_ms: i64,
    ) -> std::io::Result<MasterLink> {
        Err(std::io::Error::other("not yet"))
    }
    pub fn on_ready(&mut self, registry: &mio::Registry, now_ms: i64) -> Step {
        Step::Failed
    }
    pub fn state_name(&self) -> &'static str {
        "connecting"
    }
    pub fn transfer_progress(&self) -> (u64, i64) {
        (0, -1)
    }
    pub fn last_io_ms(&self) -> i64 {
        0
    }
    pub fn into_stream(self, registry: &mio::Registry) -> (mio::net::TcpStream, Vec<u8>) {
        (self.stream, Vec::new())
    }
    pub fn abort(self, registry: &mio::Registry) {}
}
