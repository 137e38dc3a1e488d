//! The NVRTC half of the CUDA simulator: a shared library with NVRTC's C API
//! that compiles our CUDA C with the host C++ compiler (against `shim.h`) into
//! a shared object, returned as the "CUBIN" that the driver stand-in
//! (`tests/cudasim/driver`) loads as a module. See the README's section
//! "Testing the CUDA path without a GPU".
//!
//! Every status returned is a value of cudarc's `nvrtcResult`.

mod host_cc;
mod real;
pub mod scan;

use std::ffi::{c_char, c_int, CStr, CString};
use std::path::PathBuf;

const SUCCESS: c_int = 0;
const ERROR_INVALID_INPUT: c_int = 3;
const ERROR_INVALID_PROGRAM: c_int = 4;
const ERROR_INVALID_OPTION: c_int = 5;
const ERROR_COMPILATION: c_int = 6;
const ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION: c_int = 9;
const ERROR_NAME_EXPRESSION_NOT_VALID: c_int = 10;

/// What an `nvrtcProgram` handle points to.
pub struct Program {
    name: String,
    source: String,
    headers: Vec<(String, String)>,
    log: CString,
    /// The compiled shared object and its path in the cache.
    output: Option<(Vec<u8>, PathBuf)>,
}

unsafe fn text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

unsafe fn program<'a>(p: *mut Program) -> Option<&'a mut Program> {
    p.as_mut()
}

/// # Safety
/// As NVRTC's: valid pointers, `num_headers` entries in both arrays.
#[no_mangle]
pub unsafe extern "C" fn nvrtcCreateProgram(
    prog: *mut *mut Program,
    src: *const c_char,
    name: *const c_char,
    num_headers: c_int,
    headers: *const *const c_char,
    include_names: *const *const c_char,
) -> c_int {
    let Some(source) = text(src) else {
        return ERROR_INVALID_INPUT;
    };
    if prog.is_null() || num_headers < 0 {
        return ERROR_INVALID_INPUT;
    }
    let mut hdrs = Vec::new();
    for i in 0..num_headers as usize {
        let (Some(h), Some(n)) = (text(*headers.add(i)), text(*include_names.add(i))) else {
            return ERROR_INVALID_INPUT;
        };
        hdrs.push((n, h));
    }
    let p = Box::new(Program {
        name: text(name).unwrap_or_else(|| "default_program".into()),
        source,
        headers: hdrs,
        log: CString::default(),
        output: None,
    });
    *prog = Box::into_raw(p);
    SUCCESS
}

/// # Safety
/// `prog` points to a handle from `nvrtcCreateProgram`.
#[no_mangle]
pub unsafe extern "C" fn nvrtcDestroyProgram(prog: *mut *mut Program) -> c_int {
    if prog.is_null() || (*prog).is_null() {
        return ERROR_INVALID_PROGRAM;
    }
    drop(Box::from_raw(*prog));
    *prog = std::ptr::null_mut();
    SUCCESS
}

/// NVRTC's options as host-compiler options; the architecture is checked.
fn translate(options: &[String]) -> Result<Vec<String>, String> {
    let mut cxx = Vec::new();
    let mut std = "-std=c++17".to_string();
    let mut it = options.iter();
    while let Some(o) = it.next() {
        let value = |flag: &str| o.strip_prefix(flag).map(str::to_string);
        if let Some(v) = value("--std=").or_else(|| value("-std=")) {
            std = format!("-std={v}");
        } else if let Some(v) = value("--define-macro=").or_else(|| value("-D")) {
            cxx.push(format!("-D{v}"));
        } else if let Some(v) = value("--include-path=").or_else(|| value("-I")) {
            cxx.push(format!("-I{v}"));
        } else if let Some(v) = value("--gpu-architecture=").or_else(|| value("-arch=")) {
            let ok = ["sm_", "compute_"].iter().any(|p| {
                v.strip_prefix(p)
                    .is_some_and(|n| n.trim_end_matches(['a', 'f']).parse::<u32>().is_ok())
            });
            if !ok {
                return Err(format!(
                    "nvrtc: error: invalid value for --gpu-architecture: {v}"
                ));
            }
        } else if o == "-arch" || o == "--gpu-architecture" {
            it.next();
        }
        // Everything else (-lineinfo, --use_fast_math, -G, ...) changes nothing here.
    }
    cxx.insert(0, std);
    Ok(cxx)
}

/// # Safety
/// As NVRTC's: a live program and `num_options` C strings.
#[no_mangle]
pub unsafe extern "C" fn nvrtcCompileProgram(
    prog: *mut Program,
    num_options: c_int,
    options: *const *const c_char,
) -> c_int {
    let Some(p) = program(prog) else {
        return ERROR_INVALID_PROGRAM;
    };
    let mut opts = Vec::new();
    for i in 0..num_options.max(0) as usize {
        match text(*options.add(i)) {
            Some(o) => opts.push(o),
            None => return ERROR_INVALID_OPTION,
        }
    }
    let cxx = match translate(&opts) {
        Ok(c) => c,
        Err(msg) => {
            p.log = CString::new(msg).unwrap_or_default();
            return ERROR_INVALID_OPTION;
        }
    };
    // The real NVRTC's log, kept for a successful compile (ptxas' report).
    let mut real_log = String::new();
    if let Some(r) = real::get() {
        match r.check(&p.name, &p.source, &p.headers, &opts) {
            Ok(log) => real_log = log,
            Err((status, log)) => {
                let msg = format!("cudasim: the real NVRTC rejected {}:\n{log}", p.name);
                p.log = CString::new(msg.replace('\0', " ")).unwrap_or_default();
                return if (1..=17).contains(&status) {
                    status
                } else {
                    ERROR_COMPILATION
                };
            }
        }
    }
    let input = host_cc::Input {
        name: &p.name,
        source: &p.source,
        headers: &p.headers,
        cxx_options: &cxx,
    };
    match host_cc::build(&input) {
        Ok(out) => {
            p.output = Some(out);
            p.log = CString::new(real_log.replace('\0', " ")).unwrap_or_default();
            SUCCESS
        }
        Err(log) => {
            p.log = CString::new(log.replace('\0', " ")).unwrap_or_default();
            ERROR_COMPILATION
        }
    }
}

/// # Safety
/// A live program and a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn nvrtcGetProgramLogSize(prog: *mut Program, size: *mut usize) -> c_int {
    let Some(p) = program(prog) else {
        return ERROR_INVALID_PROGRAM;
    };
    *size = p.log.as_bytes_with_nul().len();
    SUCCESS
}

/// # Safety
/// `log` has room for `nvrtcGetProgramLogSize` bytes.
#[no_mangle]
pub unsafe extern "C" fn nvrtcGetProgramLog(prog: *mut Program, log: *mut c_char) -> c_int {
    let Some(p) = program(prog) else {
        return ERROR_INVALID_PROGRAM;
    };
    let b = p.log.as_bytes_with_nul();
    std::ptr::copy_nonoverlapping(b.as_ptr() as *const c_char, log, b.len());
    SUCCESS
}

/// The "PTX" of a simulated module: a line naming the cached object, which
/// the driver stand-in's `cuModuleLoadData` recognises.
fn ptx_text(p: &Program) -> Option<CString> {
    let (_, path) = p.output.as_ref()?;
    CString::new(format!("//cudasim-module {}\n", path.display())).ok()
}

/// # Safety
/// A live program and a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn nvrtcGetPTXSize(prog: *mut Program, size: *mut usize) -> c_int {
    let Some(p) = program(prog) else {
        return ERROR_INVALID_PROGRAM;
    };
    let Some(t) = ptx_text(p) else {
        return ERROR_INVALID_PROGRAM;
    };
    *size = t.as_bytes_with_nul().len();
    SUCCESS
}

/// # Safety
/// `ptx` has room for `nvrtcGetPTXSize` bytes.
#[no_mangle]
pub unsafe extern "C" fn nvrtcGetPTX(prog: *mut Program, ptx: *mut c_char) -> c_int {
    let Some(p) = program(prog) else {
        return ERROR_INVALID_PROGRAM;
    };
    let Some(t) = ptx_text(p) else {
        return ERROR_INVALID_PROGRAM;
    };
    let b = t.as_bytes_with_nul();
    std::ptr::copy_nonoverlapping(b.as_ptr() as *const c_char, ptx, b.len());
    SUCCESS
}

/// # Safety
/// A live program and a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn nvrtcGetCUBINSize(prog: *mut Program, size: *mut usize) -> c_int {
    let Some(p) = program(prog) else {
        return ERROR_INVALID_PROGRAM;
    };
    let Some((bytes, _)) = &p.output else {
        return ERROR_INVALID_PROGRAM;
    };
    *size = bytes.len();
    SUCCESS
}

/// # Safety
/// `cubin` has room for `nvrtcGetCUBINSize` bytes.
#[no_mangle]
pub unsafe extern "C" fn nvrtcGetCUBIN(prog: *mut Program, cubin: *mut c_char) -> c_int {
    let Some(p) = program(prog) else {
        return ERROR_INVALID_PROGRAM;
    };
    let Some((bytes, _)) = &p.output else {
        return ERROR_INVALID_PROGRAM;
    };
    std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const c_char, cubin, bytes.len());
    SUCCESS
}

/// # Safety
/// Valid pointers.
#[no_mangle]
pub unsafe extern "C" fn nvrtcVersion(major: *mut c_int, minor: *mut c_int) -> c_int {
    let (a, b) = real::get().map(|r| r.version).unwrap_or((13, 0));
    *major = a;
    *minor = b;
    SUCCESS
}

const ARCHS: [c_int; 8] = [75, 80, 86, 87, 89, 90, 100, 120];

/// # Safety
/// A valid pointer.
#[no_mangle]
pub unsafe extern "C" fn nvrtcGetNumSupportedArchs(n: *mut c_int) -> c_int {
    *n = ARCHS.len() as c_int;
    SUCCESS
}

/// # Safety
/// Room for `nvrtcGetNumSupportedArchs` ints.
#[no_mangle]
pub unsafe extern "C" fn nvrtcGetSupportedArchs(archs: *mut c_int) -> c_int {
    std::ptr::copy_nonoverlapping(ARCHS.as_ptr(), archs, ARCHS.len());
    SUCCESS
}

/// Name expressions name C++ templates; our kernels are `extern "C"`.
///
/// # Safety
/// A live program.
#[no_mangle]
pub unsafe extern "C" fn nvrtcAddNameExpression(prog: *mut Program, _e: *const c_char) -> c_int {
    if program(prog).is_none() {
        return ERROR_INVALID_PROGRAM;
    }
    ERROR_NAME_EXPRESSION_NOT_VALID
}

/// # Safety
/// A live program.
#[no_mangle]
pub unsafe extern "C" fn nvrtcGetLoweredName(
    prog: *mut Program,
    _e: *const c_char,
    _out: *mut *const c_char,
) -> c_int {
    if program(prog).is_none() {
        return ERROR_INVALID_PROGRAM;
    }
    ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION
}

/// The text of a status.
#[no_mangle]
pub extern "C" fn nvrtcGetErrorString(result: c_int) -> *const c_char {
    let s: &'static [u8] = match result {
        0 => b"NVRTC_SUCCESS\0",
        1 => b"NVRTC_ERROR_OUT_OF_MEMORY\0",
        2 => b"NVRTC_ERROR_PROGRAM_CREATION_FAILURE\0",
        3 => b"NVRTC_ERROR_INVALID_INPUT\0",
        4 => b"NVRTC_ERROR_INVALID_PROGRAM\0",
        5 => b"NVRTC_ERROR_INVALID_OPTION\0",
        6 => b"NVRTC_ERROR_COMPILATION\0",
        7 => b"NVRTC_ERROR_BUILTIN_OPERATION_FAILURE\0",
        8 => b"NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION\0",
        9 => b"NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION\0",
        10 => b"NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID\0",
        11 => b"NVRTC_ERROR_INTERNAL_ERROR\0",
        _ => b"NVRTC_ERROR unknown\0",
    };
    s.as_ptr() as *const c_char
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn options_translate_and_bad_architectures_fail() {
        let o = |v: &[&str]| translate(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            o(&["--gpu-architecture=sm_90", "--std=c++17", "-DX=1"]).unwrap(),
            ["-std=c++17", "-DX=1"]
        );
        assert!(o(&["--gpu-architecture=sm_90a"]).is_ok());
        assert!(o(&["--gpu-architecture=compute_80"]).is_ok());
        assert!(o(&["--gpu-architecture=banana"]).is_err());
    }
}
