//! The CUDA simulator (`tests/cudasim`): a stand-in for the CUDA driver and
//! NVRTC that runs our kernels on the CPU, so that the CUDA path is tested
//! on machines without a GPU.
//!
//! cudarc loads `libcuda.so` and `libnvrtc.so` by name. The simulator's two
//! libraries carry those names as their SONAMEs, so once `load` has opened
//! them by path, cudarc's own `dlopen("libcuda.so")` finds the loaded copy
//! instead of searching the library path. Nothing here runs unless asked:
//! the tests call `load` when no real GPU is usable, and `gan` / `benches`
//! only when the developer sets `GAN_RS_CUDASIM` (see `from_env`), so a
//! user's `--device cuda` never lands on the simulator by accident.

use crate::{Error, Result};
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// File name of the driver stand-in (`tests/cudasim/driver`), as cargo
/// builds it.
pub const DRIVER_LIB: &str = "libcudasim.so";
/// File name of the NVRTC stand-in (`tests/cudasim/nvrtc`).
pub const NVRTC_LIB: &str = "libcudasim_nvrtc.so";

/// The variable that sends `gan` and `benches` to the simulator: `1` (find
/// the libraries beside the executable) or the folder that holds them.
pub const ENV: &str = "GAN_RS_CUDASIM";

static DRIVER: AtomicUsize = AtomicUsize::new(0);

/// Whether the simulator is loaded in this process.
pub fn active() -> bool {
    DRIVER.load(Ordering::Acquire) != 0
}

fn dlerror() -> String {
    // SAFETY: dlerror returns null or a valid C string.
    unsafe {
        let e = libc::dlerror();
        if e.is_null() {
            "unknown error".into()
        } else {
            std::ffi::CStr::from_ptr(e).to_string_lossy().into_owned()
        }
    }
}

fn open(path: &Path, flags: c_int) -> Result<*mut c_void> {
    let c = CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| Error::Cuda(format!("simulator path {path:?} holds a NUL byte")))?;
    // SAFETY: dlopen with a valid C string.
    let h = unsafe { libc::dlopen(c.as_ptr(), flags) };
    if h.is_null() {
        return Err(Error::Cuda(format!(
            "loading the CUDA simulator from {}: {}",
            path.display(),
            dlerror()
        )));
    }
    Ok(h)
}

pub(crate) fn symbol(h: *mut c_void, name: &str) -> *mut c_void {
    let c = CString::new(name).expect("no NUL");
    // SAFETY: a handle from dlopen and a valid C string.
    unsafe { libc::dlsym(h, c.as_ptr()) }
}

/// The folder holding both libraries: `dir` if given, else beside the
/// running executable (cargo puts test binaries in `target/<profile>/deps`
/// and the libraries in `deps` and its parent).
pub fn find(dir: Option<&Path>) -> Result<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(d) = dir {
        candidates.push(d.to_path_buf());
    } else if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        candidates.push(exe_dir.join("deps"));
        candidates.push(exe_dir.clone());
        if let Some(up) = exe_dir.parent() {
            candidates.push(up.join("deps"));
            candidates.push(up.to_path_buf());
        }
    }
    candidates
        .iter()
        .find(|d| d.join(DRIVER_LIB).exists() && d.join(NVRTC_LIB).exists())
        .cloned()
        .ok_or_else(|| {
            Error::Cuda(format!(
                "the CUDA simulator's libraries ({DRIVER_LIB}, {NVRTC_LIB}) are not in {candidates:?}; \
                 build them with `cargo build --release -p cudasim -p cudasim-nvrtc`"
            ))
        })
}

/// Load the simulator from `dir` and, when `spec` is given, configure its
/// machine (`devices=2 sms=132,8 order=forward,reverse`, see
/// tests/cudasim/driver/src/config.rs). Must come before anything in this
/// process touches the driver; a second call does nothing.
pub fn load(dir: &Path, spec: Option<&str>) -> Result<()> {
    if active() {
        return Ok(());
    }
    if super::device::driver_touched() {
        return Err(Error::Cuda(
            "the CUDA simulator must be loaded before the driver is first used".into(),
        ));
    }
    let flags = libc::RTLD_NOW | libc::RTLD_LOCAL | libc::RTLD_NODELETE;
    let driver = open(&dir.join(DRIVER_LIB), flags)?;
    open(&dir.join(NVRTC_LIB), flags)?;
    if let Some(spec) = spec {
        let f = symbol(driver, "cudasim_configure");
        if f.is_null() {
            return Err(Error::Cuda("the simulator has no cudasim_configure".into()));
        }
        // SAFETY: the simulator's exported function of this signature.
        let configure: extern "C" fn(*const c_char) -> c_int = unsafe { std::mem::transmute(f) };
        let c = CString::new(spec).map_err(|_| Error::Cuda("spec holds a NUL byte".into()))?;
        if configure(c.as_ptr()) != 0 {
            return Err(Error::Cuda(format!(
                "the simulator refused the configuration `{spec}`"
            )));
        }
    }
    DRIVER.store(driver as usize, Ordering::Release);
    Ok(())
}

/// `GAN_RS_CUDASIM` for the applications: Ok(None) when unset, else load
/// the simulator and return its device 0 in words.
pub fn from_env() -> Result<Option<String>> {
    let Some(v) = std::env::var_os(ENV) else {
        return Ok(None);
    };
    if v.is_empty() || v == "0" {
        return Ok(None);
    }
    let dir = if v == "1" {
        find(None)?
    } else {
        find(Some(Path::new(&v)))?
    };
    load(&dir, None)?;
    Ok(describe(0))
}

/// The loaded simulator's driver library, if it is loaded.
pub(crate) fn driver_handle() -> Option<*mut c_void> {
    let h = DRIVER.load(Ordering::Acquire);
    (h != 0).then_some(h as *mut c_void)
}

/// Simulated device `ordinal` in words, when the simulator is loaded.
pub fn describe(ordinal: usize) -> Option<String> {
    let h = DRIVER.load(Ordering::Acquire);
    if h == 0 {
        return None;
    }
    let f = symbol(h as *mut c_void, "cudasim_describe");
    if f.is_null() {
        return None;
    }
    // SAFETY: the simulator's exported function of this signature.
    let describe: extern "C" fn(c_int, *mut c_char, c_int) -> c_int =
        unsafe { std::mem::transmute(f) };
    let mut buf = vec![0u8; 256];
    let n = describe(
        ordinal as c_int,
        buf.as_mut_ptr() as *mut c_char,
        buf.len() as c_int,
    );
    if n < 0 {
        return None;
    }
    buf.truncate((n as usize).min(255));
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// How many devices the loaded simulator has (0 when it is not loaded).
pub fn device_count() -> usize {
    let h = DRIVER.load(Ordering::Acquire);
    if h == 0 {
        return 0;
    }
    let f = symbol(h as *mut c_void, "cudasim_device_count");
    if f.is_null() {
        return 0;
    }
    // SAFETY: the simulator's exported function of this signature.
    let count: extern "C" fn() -> c_int = unsafe { std::mem::transmute(f) };
    count().max(0) as usize
}

/// Whether a real NVIDIA driver loads and reports a GPU. Asked of the
/// driver directly (its SONAME `libcuda.so.1`, which the simulator's never
/// matches), without cudarc, so that the answer does not fix which library
/// cudarc will use.
pub fn real_gpu_present() -> bool {
    let name = c"libcuda.so.1";
    // SAFETY: dlopen/dlsym of the real driver and calls of its documented
    // signatures; the handle is closed again.
    unsafe {
        let h = libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if h.is_null() {
            return false;
        }
        let init = symbol(h, "cuInit");
        let count = symbol(h, "cuDeviceGetCount");
        let mut n: c_int = 0;
        let ok = !init.is_null() && !count.is_null() && {
            let init: extern "C" fn(u32) -> c_int = std::mem::transmute(init);
            let count: extern "C" fn(*mut c_int) -> c_int = std::mem::transmute(count);
            init(0) == 0 && count(&mut n) == 0
        };
        libc::dlclose(h);
        ok && n > 0
    }
}
