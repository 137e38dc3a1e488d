//! The real NVRTC, when it is on the library path: every program is handed to
//! it too, for the architecture asked for, so that code the host compiler
//! accepts but NVRTC rejects still fails to compile on the simulator.
//!
//! `CUDASIM_REAL_NVRTC=0` turns the pass off; `CUDASIM_REAL_NVRTC=PATH` names
//! the library. Results are cached like the modules.

use crate::host_cc::{cache_dir, hash};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::OnceLock;

type Create = unsafe extern "C" fn(
    *mut *mut c_void,
    *const c_char,
    *const c_char,
    c_int,
    *const *const c_char,
    *const *const c_char,
) -> c_int;
type Compile = unsafe extern "C" fn(*mut c_void, c_int, *const *const c_char) -> c_int;
type LogSize = unsafe extern "C" fn(*mut c_void, *mut usize) -> c_int;
type Log = unsafe extern "C" fn(*mut c_void, *mut c_char) -> c_int;
type Destroy = unsafe extern "C" fn(*mut *mut c_void) -> c_int;
type Version = unsafe extern "C" fn(*mut c_int, *mut c_int) -> c_int;

pub struct RealNvrtc {
    create: Create,
    compile: Compile,
    log_size: LogSize,
    log: Log,
    destroy: Destroy,
    pub version: (i32, i32),
}

unsafe fn sym<T: Copy>(lib: *mut c_void, name: &str) -> Option<T> {
    let c = CString::new(name).ok()?;
    let p = libc::dlsym(lib, c.as_ptr());
    if p.is_null() {
        None
    } else {
        Some(std::mem::transmute_copy::<*mut c_void, T>(&p))
    }
}

/// The real library, if it loads (searched on the library path under its
/// versioned name, which the stand-in's own SONAME `libnvrtc.so` never matches).
pub fn get() -> Option<&'static RealNvrtc> {
    static R: OnceLock<Option<RealNvrtc>> = OnceLock::new();
    R.get_or_init(|| {
        let name = match std::env::var("CUDASIM_REAL_NVRTC") {
            Ok(v) if v == "0" => return None,
            Ok(v) if !v.is_empty() => v,
            _ => "libnvrtc.so.13".to_string(),
        };
        let c = CString::new(name).ok()?;
        // SAFETY: dlopen/dlsym with valid C strings; the handle is never closed.
        unsafe {
            let lib = libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            if lib.is_null() {
                return None;
            }
            let version_fn: Version = sym(lib, "nvrtcVersion")?;
            let (mut major, mut minor) = (0, 0);
            version_fn(&mut major, &mut minor);
            Some(RealNvrtc {
                create: sym(lib, "nvrtcCreateProgram")?,
                compile: sym(lib, "nvrtcCompileProgram")?,
                log_size: sym(lib, "nvrtcGetProgramLogSize")?,
                log: sym(lib, "nvrtcGetProgramLog")?,
                destroy: sym(lib, "nvrtcDestroyProgram")?,
                version: (major, minor),
            })
        }
    })
    .as_ref()
}

impl RealNvrtc {
    /// NVRTC's log when it compiles the program with `options` (ptxas'
    /// report is there with `--ptxas-options=-v`); else its status and log.
    pub fn check(
        &self,
        name: &str,
        source: &str,
        headers: &[(String, String)],
        options: &[String],
    ) -> Result<String, (c_int, String)> {
        let mut parts: Vec<&[u8]> = vec![b"real-nvrtc", name.as_bytes(), source.as_bytes()];
        for (n, s) in headers {
            parts.push(n.as_bytes());
            parts.push(s.as_bytes());
        }
        options.iter().for_each(|o| parts.push(o.as_bytes()));
        let v = format!("{:?}", self.version);
        parts.push(v.as_bytes());
        let marker = cache_dir().join(format!("{}.nvrtc-ok", hash(&parts)));
        if let Ok(log) = std::fs::read_to_string(&marker) {
            return Ok(log);
        }
        let cstr = |s: &str| CString::new(s).map_err(|e| (3, e.to_string()));
        let src = cstr(source)?;
        let cname = cstr(name)?;
        let hdr_src: Vec<CString> = headers
            .iter()
            .map(|h| cstr(&h.1))
            .collect::<Result<_, _>>()?;
        let hdr_name: Vec<CString> = headers
            .iter()
            .map(|h| cstr(&h.0))
            .collect::<Result<_, _>>()?;
        let opts: Vec<CString> = options.iter().map(|o| cstr(o)).collect::<Result<_, _>>()?;
        let hs: Vec<*const c_char> = hdr_src.iter().map(|c| c.as_ptr()).collect();
        let hn: Vec<*const c_char> = hdr_name.iter().map(|c| c.as_ptr()).collect();
        let os: Vec<*const c_char> = opts.iter().map(|c| c.as_ptr()).collect();
        // SAFETY: every pointer is a live C string or array of them, as NVRTC's
        // API takes them; the program is destroyed before returning.
        unsafe {
            let mut prog = std::ptr::null_mut();
            let st = (self.create)(
                &mut prog,
                src.as_ptr(),
                cname.as_ptr(),
                hs.len() as c_int,
                if hs.is_empty() {
                    std::ptr::null()
                } else {
                    hs.as_ptr()
                },
                if hn.is_empty() {
                    std::ptr::null()
                } else {
                    hn.as_ptr()
                },
            );
            if st != 0 {
                return Err((st, "the real NVRTC could not create the program".into()));
            }
            let st = (self.compile)(prog, os.len() as c_int, os.as_ptr());
            let mut size = 0usize;
            (self.log_size)(prog, &mut size);
            let mut buf = vec![0 as c_char; size.max(1)];
            (self.log)(prog, buf.as_mut_ptr());
            let log = CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned();
            (self.destroy)(&mut prog);
            if st != 0 {
                return Err((st, log));
            }
            let _ = std::fs::create_dir_all(cache_dir());
            let _ = std::fs::write(&marker, log.as_bytes());
            Ok(log)
        }
    }
}
