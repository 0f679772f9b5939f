//! DEBUG MALLCTL / MALLCTL-STR: jemalloc's control namespace by name, as
//! Redis exposes it for tests and tuning (`arenas.page`,
//! `thread.tcache.flush`, `arena.<i>.purge`, ...).
//!
//! mallctl() reads and writes through untyped pointers. Numbers are read
//! and written as 8 bytes, as Redis 7.0.15 effectively does. String
//! controls are known by name: reading a number as a `char *` or writing a
//! number where jemalloc expects one would follow a bogus pointer, so
//! either is refused with EINVAL instead.

use nix::errno::Errno;
use std::ffi::{c_char, c_void, CString};
use tikv_jemalloc_sys::mallctl;

/// What a DEBUG MALLCTL call answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    Int(i64),
    Text(Vec<u8>),
    Ok,
    /// An error text (strerror of jemalloc's code, as Redis replies).
    Err(String),
}

/// Controls whose value is a string (jemalloc 5.3).
fn is_string_control(name: &str) -> bool {
    const EXACT: [&str; 12] = [
        "version",
        "opt.dss",
        "opt.metadata_thp",
        "opt.percpu_arena",
        "opt.junk",
        "opt.thp",
        "opt.zero_realloc",
        "opt.prof_prefix",
        "opt.stats_print_opts",
        "opt.stats_interval_opts",
        "prof.dump",
        "prof.prefix",
    ];
    EXACT.contains(&name)
        || name == "thread.prof.name"
        || (name.starts_with("arena.") && name.ends_with(".dss"))
}

fn errno_text(code: i32) -> String {
    Errno::from_raw(code).desc().to_string()
}

fn c_name(name: &[u8]) -> Option<CString> {
    CString::new(name).ok()
}

/// DEBUG MALLCTL <name> [value]: the control's value (before `new` was
/// written, when given). Redis 7.0.15 meant to retry narrower widths on
/// EINVAL, but jemalloc shrinks the length it is handed to the control's
/// own width first, so the retries never match and only 8-byte controls
/// (size_t, uint64_t, ssize_t) answer; others get "Invalid argument".
/// That is the behaviour reproduced here.
pub fn int(name: &[u8], new: Option<i64>) -> Reply {
    let Some(cname) = c_name(name) else {
        return Reply::Err(errno_text(libc_einval()));
    };
    if is_string_control(&String::from_utf8_lossy(name)) {
        return Reply::Err(errno_text(libc_einval()));
    }
    let size = std::mem::size_of::<i64>();
    let mut old: i64 = 0;
    let mut val: i64 = new.unwrap_or(0);
    let mut old_len = size;
    let (newp, newlen) = match new {
        Some(_) => (&mut val as *mut i64 as *mut c_void, size),
        None => (std::ptr::null_mut(), 0),
    };
    // SAFETY: `old` and `val` are 8 bytes, the length jemalloc is given;
    // it copies at most that much.
    let ret = unsafe {
        mallctl(
            cname.as_ptr(),
            &mut old as *mut i64 as *mut c_void,
            &mut old_len,
            newp,
            newlen,
        )
    };
    if ret == 0 {
        return Reply::Int(old);
    }
    if ret == nix::libc::EPERM && new.is_some() {
        // A write-only control: just write it.
        // SAFETY: as above, no old value requested.
        let ret = unsafe {
            mallctl(
                cname.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                newp,
                newlen,
            )
        };
        if ret == 0 {
            return Reply::Ok;
        }
        return Reply::Err(errno_text(ret));
    }
    Reply::Err(errno_text(ret))
}

fn libc_einval() -> i32 {
    nix::libc::EINVAL
}

/// DEBUG MALLCTL-STR <name> [value]: a string control's value (before
/// `new` was written); `VOID` as the value triggers a control that takes
/// no value (`thread.tcache.flush`).
pub fn string(name: &[u8], new: Option<&[u8]>) -> Reply {
    let Some(cname) = c_name(name) else {
        return Reply::Err(errno_text(libc_einval()));
    };
    if new == Some(b"VOID") {
        // SAFETY: no old value, no new value: a plain trigger.
        let ret = unsafe {
            mallctl(
                cname.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            )
        };
        return if ret == 0 {
            Reply::Ok
        } else {
            Reply::Err(errno_text(ret))
        };
    }
    if !is_string_control(&String::from_utf8_lossy(name)) {
        return Reply::Err(errno_text(libc_einval()));
    }
    let mut old: *const c_char = std::ptr::null();
    let mut old_len = std::mem::size_of::<*const c_char>();
    // SAFETY: a string control stores a `const char *` into `old`.
    let read = unsafe {
        mallctl(
            cname.as_ptr(),
            &mut old as *mut *const c_char as *mut c_void,
            &mut old_len,
            std::ptr::null_mut(),
            0,
        )
    };
    let old_text = (read == 0 && !old.is_null())
        // SAFETY: jemalloc returned a NUL-terminated string it owns.
        .then(|| unsafe { std::ffi::CStr::from_ptr(old) }.to_bytes().to_vec());
    if read != 0 && !(read == nix::libc::EPERM && new.is_some()) {
        return Reply::Err(errno_text(read));
    }
    let mut written = 0;
    if let Some(v) = new {
        let Some(val) = CString::new(v).ok() else {
            return Reply::Err(errno_text(libc_einval()));
        };
        let mut ptr: *const c_char = val.as_ptr();
        // SAFETY: the new value is a `const char *` to a live C string
        // (jemalloc copies what it keeps).
        written = unsafe {
            mallctl(
                cname.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut ptr as *mut *const c_char as *mut c_void,
                std::mem::size_of::<*const c_char>(),
            )
        };
    }
    match old_text {
        Some(t) => Reply::Text(t),
        None if written != 0 => Reply::Err(errno_text(written)),
        None => Reply::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_controls_are_read_as_eight_bytes() {
        // arenas.page is a size_t; opt.tcache a bool and arenas.narenas a
        // u32, which Redis 7.0.15 cannot read either.
        assert_eq!(int(b"arenas.page", None), Reply::Int(4096));
        assert_eq!(
            int(b"opt.tcache", None),
            Reply::Err("Invalid argument".into())
        );
        assert_eq!(
            int(b"arenas.narenas", None),
            Reply::Err("Invalid argument".into())
        );
        assert_eq!(
            int(b"no.such.thing", None),
            Reply::Err("No such file or directory".into())
        );
        // Read-only: writing is refused.
        assert_eq!(
            int(b"arenas.page", Some(1)),
            Reply::Err("Operation not permitted".into())
        );
        // A string control is not read as a number, nor written one.
        assert_eq!(int(b"version", None), Reply::Err("Invalid argument".into()));
    }

    #[test]
    fn string_controls_and_void_triggers() {
        match string(b"version", None) {
            Reply::Text(v) => assert!(v.starts_with(b"5.")),
            other => panic!("{other:?}"),
        }
        assert_eq!(string(b"thread.tcache.flush", Some(b"VOID")), Reply::Ok);
        assert_eq!(
            string(b"arenas.page", None),
            Reply::Err("Invalid argument".into())
        );
        assert_eq!(
            string(b"bad\0name", None),
            Reply::Err("Invalid argument".into())
        );
    }
}
