//! The process title (Redis' setproctitle.c): `ps` and /proc/<pid>/cmdline
//! show `proc-title-template` expanded, e.g. "redis-server 127.0.0.1:6379".
//!
//! Linux shows a process' title from the memory that held its original
//! argv and environment strings, so we overwrite that area. The
//! environment is first copied elsewhere (setenv on every variable makes
//! libc allocate fresh strings), and nothing reads the original argv after
//! start-up (main copies it first). The area's size is fixed at exec time,
//! so a longer title is cut.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Start and length of the writable argv+environ area, once found.
static AREA_START: AtomicUsize = AtomicUsize::new(0);
static AREA_LEN: AtomicUsize = AtomicUsize::new(0);

/// Fields of /proc/self/stat after the command name: (arg_start, arg_end,
/// env_start, env_end) are fields 48..=51 of the whole line.
fn stat_area() -> Option<(usize, usize, usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3, so field N is f[N - 3].
    let get = |n: usize| f.get(n - 3).and_then(|v| v.parse::<usize>().ok());
    Some((get(48)?, get(49)?, get(50)?, get(51)?))
}

/// Find the area and move the environment out of it. Call once, early in
/// main, before any other thread exists.
pub fn init() {
    let Some((arg_start, arg_end, env_start, env_end)) = stat_area() else {
        return;
    };
    if arg_start == 0 || arg_end <= arg_start {
        return;
    }
    // The environment strings normally follow argv directly; use them too
    // only in that case.
    let end = if env_start == arg_end && env_end > env_start {
        env_end
    } else {
        arg_end
    };
    for (k, v) in std::env::vars_os().collect::<Vec<_>>() {
        // SAFETY (of the process, not memory): still single-threaded here,
        // which is what set_var requires.
        std::env::set_var(k, v);
    }
    AREA_START.store(arg_start, Ordering::Relaxed);
    AREA_LEN.store(end - arg_start, Ordering::Relaxed);
}

/// Show `title` as the process title.
pub fn set(title: &str) {
    let start = AREA_START.load(Ordering::Relaxed);
    let len = AREA_LEN.load(Ordering::Relaxed);
    if start == 0 || len < 2 {
        return;
    }
    let bytes = title.as_bytes();
    let n = bytes.len().min(len - 1);
    // SAFETY: [start, start+len) is this process' own argv+environ string
    // area as the kernel reports it; it is mapped and writable (it lives on
    // the initial stack). `init` moved the environment strings out, and
    // nothing keeps references into the area, so overwriting it cannot
    // invalidate a live Rust reference.
    unsafe {
        let dst = start as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, n);
        std::ptr::write_bytes(dst.add(n), 0, len - n);
    }
}
