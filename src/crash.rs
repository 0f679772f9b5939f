//! Crash reports and the watchdog (the signal side of Redis' debug.c).
//!
//! On SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT (with `crash-log-enabled`)
//! the log gets Redis' bug-report frame: the START line, "crashed by
//! signal", the faulting address or the sender, a stack trace, the END
//! line; then the pid file of a daemon is removed and the process dies of
//! the same signal (a core dump if enabled). A panic writes the same
//! report under Redis' "Guru Meditation" line. With `watchdog-period` the
//! loop re-arms a one-shot timer on every cron tick, so the timer only
//! fires when the loop has been stuck for a whole period: the stack of
//! whatever holds it is logged and the server carries on.
//!
//! Handlers run on the interrupted thread, possibly inside the allocator,
//! so what they write is formatted into a stack buffer and written with
//! plain write(2) to the log file (or stdout), never through the logger.

use nix::libc::{self, c_int, c_void};
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::ffi::CString;
use std::fmt::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

const FATAL_SIGNALS: [Signal; 5] = [
    Signal::SIGSEGV,
    Signal::SIGBUS,
    Signal::SIGFPE,
    Signal::SIGILL,
    Signal::SIGABRT,
];

/// Frames shown in a stack trace.
const MAX_FRAMES: usize = 100;

/// Where reports go: the log file (None: stdout) and the pid file to
/// remove, fixed at start-up (both are immutable configs).
struct Target {
    logfile: Option<CString>,
    pidfile: Option<CString>,
}

static TARGET: OnceLock<Target> = OnceLock::new();
/// A report is being written: a second fault inside it must not recurse.
static REPORTING: AtomicBool = AtomicBool::new(false);

extern "C" {
    // glibc's execinfo: walks the stack without allocating once loaded,
    // and prints frames straight to a descriptor.
    fn backtrace(buffer: *mut *mut c_void, size: c_int) -> c_int;
    fn backtrace_symbols_fd(buffer: *const *mut c_void, size: c_int, fd: c_int);
}

/// A line buffer on the stack; what does not fit is cut off.
struct LineBuf {
    buf: [u8; 512],
    len: usize,
}

impl LineBuf {
    fn new() -> LineBuf {
        LineBuf {
            buf: [0; 512],
            len: 0,
        }
    }
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// The report's output: the log file opened for this report, or stdout.
struct Out(c_int);

impl Out {
    fn open() -> Out {
        match TARGET.get().and_then(|t| t.logfile.as_ref()) {
            Some(path) => {
                // SAFETY: a NUL-terminated path; open(2) is signal-safe.
                let fd = unsafe {
                    libc::open(
                        path.as_ptr(),
                        libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT,
                        0o644,
                    )
                };
                Out(if fd >= 0 { fd } else { 1 })
            }
            None => Out(1),
        }
    }

    fn raw(&self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            // SAFETY: writes from a live slice; write(2) is signal-safe.
            let n = unsafe { libc::write(self.0, rest.as_ptr().cast(), rest.len()) };
            if n <= 0 {
                return;
            }
            rest = &rest[n as usize..];
        }
    }

    /// One line in the log's format, at warning level.
    fn line(&self, args: fmt::Arguments) {
        let mut b = LineBuf::new();
        let _ = write!(b, "{}:{} ", std::process::id(), crate::logging::role());
        let _ = crate::logging::write_time(&mut b, crate::logging::now_ms());
        let _ = b.write_fmt(format_args!(" # {args}\n"));
        self.raw(&b.buf[..b.len]);
    }

    /// A line as Redis writes from a signal handler it survives:
    /// `pid:signal-handler (unixtime) text`.
    fn handler_line(&self, args: fmt::Arguments) {
        let mut b = LineBuf::new();
        let _ = writeln!(
            b,
            "{}:signal-handler ({}) {args}",
            std::process::id(),
            crate::logging::now_ms() / 1000
        );
        self.raw(&b.buf[..b.len]);
    }

    /// The frames of the current stack (`skip` innermost ones left out:
    /// the handler's own), one per line.
    fn stack(&self, skip: usize) {
        let mut frames = [std::ptr::null_mut::<c_void>(); MAX_FRAMES];
        // SAFETY: the buffer holds MAX_FRAMES pointers.
        let n = unsafe { backtrace(frames.as_mut_ptr(), MAX_FRAMES as c_int) }.max(0) as usize;
        let skip = skip.min(n);
        // SAFETY: the first n entries were filled in by backtrace().
        unsafe { backtrace_symbols_fd(frames[skip..].as_ptr(), (n - skip) as c_int, self.0) };
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        if self.0 > 2 {
            // SAFETY: our own descriptor from open().
            unsafe { libc::close(self.0) };
        }
    }
}

/// The faulting instruction from the signal context (x86-64 Linux).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn instruction_pointer(ctx: *mut c_void) -> Option<*mut c_void> {
    if ctx.is_null() {
        return None;
    }
    // SAFETY: the kernel passes a ucontext_t to SA_SIGINFO handlers.
    let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
    Some(uc.uc_mcontext.gregs[libc::REG_RIP as usize] as *mut c_void)
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn instruction_pointer(_ctx: *mut c_void) -> Option<*mut c_void> {
    None
}

/// The stack trace section: the faulting instruction, then the frames.
fn stack_trace(out: &Out, eip: Option<*mut c_void>) {
    out.raw(b"\n------ STACK TRACE ------\n");
    if let Some(ip) = eip {
        out.raw(b"EIP:\n");
        let frames = [ip];
        // SAFETY: one valid entry.
        unsafe { backtrace_symbols_fd(frames.as_ptr(), 1, out.0) };
    }
    out.raw(b"\nBacktrace:\n");
    out.stack(2);
    out.raw(b"\n");
}

const REPORT_START: &[u8] = b"\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n";
const REPORT_END: &[u8] =
    b"\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n       \
ferrodis stopped because of the failure above. When reporting it, please\n       \
include every line from START to END and the version shown by INFO.\n\n";

/// The end of a report: the END frame, the pid file of a daemon removed.
fn end_report(out: &Out) {
    out.raw(REPORT_END);
    if let Some(pid) = TARGET.get().and_then(|t| t.pidfile.as_ref()) {
        // SAFETY: a NUL-terminated path; unlink(2) is signal-safe.
        unsafe { libc::unlink(pid.as_ptr()) };
    }
}

extern "C" fn on_fatal_signal(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    if !REPORTING.swap(true, Ordering::SeqCst) {
        let out = Out::open();
        out.raw(REPORT_START);
        // SAFETY: the kernel's siginfo for this signal.
        let (code, addr, pid, uid) = unsafe {
            let i = &*info;
            (i.si_code, i.si_addr(), i.si_pid(), i.si_uid())
        };
        out.line(format_args!(
            "Redis {} crashed by signal: {sig}, si_code: {code}",
            crate::REDIS_VERSION
        ));
        if sig == libc::SIGSEGV || sig == libc::SIGBUS {
            out.line(format_args!("Accessing address: {addr:p}"));
        }
        if code == libc::SI_USER && pid != -1 {
            out.line(format_args!("Killed by PID: {pid}, UID: {uid}"));
        }
        stack_trace(&out, instruction_pointer(ctx));
        end_report(&out);
    }
    // Die of the same signal, with its default action (a core dump).
    let dfl = SigAction::new(
        SigHandler::SigDfl,
        SaFlags::SA_NODEFER | SaFlags::SA_RESETHAND,
        SigSet::empty(),
    );
    if let Ok(s) = Signal::try_from(sig) {
        // SAFETY: restoring the default disposition.
        let _ = unsafe { sigaction(s, &dfl) };
    }
    // SAFETY: plain syscalls on our own process.
    unsafe { libc::kill(libc::getpid(), sig) };
}

extern "C" fn on_alarm(_sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    let out = Out::open();
    // SAFETY: the kernel's siginfo. The timer sends no pid; kill(1) does.
    let pid = unsafe { (*info).si_pid() };
    if pid == 0 {
        out.handler_line(format_args!("\n--- WATCHDOG TIMER EXPIRED ---"));
    } else {
        out.handler_line(format_args!("\nReceived SIGALRM"));
    }
    stack_trace(&out, instruction_pointer(ctx));
    out.handler_line(format_args!("--------\n"));
}

/// Install the handlers (`crash-log-enabled`) and remember where reports
/// go. Called once the log file is open; `pidfile` only for a daemon.
pub fn install(logfile: &str, pidfile: Option<&str>, enabled: bool) {
    let _ = TARGET.set(Target {
        logfile: (!logfile.is_empty())
            .then(|| CString::new(logfile).ok())
            .flatten(),
        pidfile: pidfile.and_then(|p| CString::new(p).ok()),
    });
    // The first backtrace() loads the unwinder, which allocates: do it
    // now rather than in a handler.
    let mut frames = [std::ptr::null_mut::<c_void>(); 4];
    // SAFETY: the buffer holds 4 pointers.
    unsafe { backtrace(frames.as_mut_ptr(), 4) };
    set_enabled(enabled);
    let alarm = SigAction::new(
        SigHandler::SigAction(on_alarm),
        SaFlags::SA_SIGINFO | SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only formats on the stack and writes.
    let _ = unsafe { sigaction(Signal::SIGALRM, &alarm) };
    install_panic_hook();
}

/// crash-log-enabled: our report, or the signals' default actions.
pub fn set_enabled(enabled: bool) {
    let handler = if enabled {
        SigHandler::SigAction(on_fatal_signal)
    } else {
        SigHandler::SigDfl
    };
    let act = SigAction::new(
        handler,
        SaFlags::SA_SIGINFO | SaFlags::SA_NODEFER | SaFlags::SA_RESETHAND | SaFlags::SA_ONSTACK,
        SigSet::empty(),
    );
    for s in FATAL_SIGNALS {
        // SAFETY: the handler is written for signal context.
        let _ = unsafe { sigaction(s, &act) };
    }
}

/// A panic is a bug: log Redis' panic report, then let the default hook
/// print the message as usual.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !REPORTING.swap(true, Ordering::SeqCst) {
            let out = Out::open();
            out.raw(REPORT_START);
            out.line(format_args!(
                "------------------------------------------------"
            ));
            out.line(format_args!(
                "!!! Software Failure. Press left mouse button to continue"
            ));
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
                .unwrap_or("panic");
            let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
            out.line(format_args!("Guru Meditation: {msg} #{file}:{line}"));
            stack_trace(&out, None);
            end_report(&out);
            REPORTING.store(false, Ordering::SeqCst);
        }
        default(info);
    }));
}

/// watchdog-period: arm (or, with 0, disarm) the one-shot timer; called
/// from cron, so it fires only if the loop misses a whole period. The
/// period is at least two cron intervals.
pub fn schedule_watchdog(period_ms: i32, hz: i32) {
    let min = if hz > 0 { 2000 / hz } else { 0 };
    let ms = if period_ms > 0 {
        period_ms.max(min) as i64
    } else {
        0
    };
    let it = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: ms / 1000,
            tv_usec: (ms % 1000) * 1000,
        },
    };
    // SAFETY: a plain setitimer(2) with a filled-in value.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut()) };
}

/// DEBUG SEGFAULT: write to a read-only page, a real SIGSEGV.
pub fn segfault() -> ! {
    // SAFETY: deliberately faulting on a fresh read-only mapping.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p != libc::MAP_FAILED {
            std::ptr::write_volatile(p as *mut u8, b'x');
        }
        libc::raise(libc::SIGSEGV);
    }
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_cut_at_the_buffer_not_overflowed() {
        let mut b = LineBuf::new();
        for _ in 0..100 {
            let _ = b.write_str("0123456789");
        }
        assert_eq!(b.len, 512);
        assert!(b.buf.iter().all(|&c| c.is_ascii_digit()));
    }
}
