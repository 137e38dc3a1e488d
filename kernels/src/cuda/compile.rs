//! NVRTC: the CUDA C sources, embedded in the binary, compiled at run time.
//!
//! At run time each source is compiled once per process per compute
//! capability, straight to a CUBIN for the device's own `sm_XY`: machine code
//! loads on any driver of the same major version, whereas PTX from an NVRTC
//! newer than the driver would not load. Modules are then cached per device
//! and functions per (device, name), so a launch costs a map look-up.
//!
//! `compile` with `Target::Ptx` is what the NVRTC test uses to check every
//! source for several architectures on machines without a GPU.

use cudarc::driver::{CudaFunction, CudaModule};
use cudarc::nvrtc::{result as nvrtc, sys as nvrtc_sys, Ptx};
use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tensor::cuda::CudaDevice;
use tensor::{Error, Result};

/// One CUDA C translation unit (self-contained: no `#include`). Each op
/// family's `cuda.rs` owns its source (`kernels::cuda_sources` lists them all);
/// a family whose op codes are generated from its Rust table builds the text
/// once and keeps it for the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source {
    /// The file name, as NVRTC's messages and the module cache name it.
    pub name: &'static str,
    /// The complete CUDA C text.
    pub code: &'static str,
}

impl Source {
    /// A source whose text is put together at run time (a shared prelude,
    /// `case` lines generated from an op table), built once per process and
    /// kept for its life in `cell`.
    pub(crate) fn assembled(
        name: &'static str,
        cell: &'static OnceLock<String>,
        build: impl FnOnce() -> String,
    ) -> Source {
        Source {
            name,
            code: cell.get_or_init(build).as_str(),
        }
    }
}

/// What NVRTC should emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// PTX for the virtual architecture `compute_XY`.
    Ptx(u32),
    /// Machine code for the real architecture `sm_XY`.
    Cubin(u32),
}

impl Target {
    fn arch_flag(self) -> String {
        match self {
            Target::Ptx(a) => format!("--gpu-architecture=compute_{a}"),
            Target::Cubin(a) => format!("--gpu-architecture=sm_{a}"),
        }
    }
}

/// Whether the NVRTC library (libnvrtc.so.13 or a name cudarc accepts) loads.
/// Probed once: cudarc panics when a missing library is first used.
pub fn nvrtc_available() -> Result<()> {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    // SAFETY: only tries to dlopen the candidate library names.
    if *PRESENT.get_or_init(|| unsafe { nvrtc_sys::is_culib_present() }) {
        Ok(())
    } else {
        Err(Error::Cuda(
            "no NVRTC library found (libnvrtc.so.13): install the CUDA 13 NVRTC \
             (e.g. `pip install nvidia-cuda-nvrtc`) and add its lib folder to \
             LD_LIBRARY_PATH, or use --device cpu"
                .into(),
        ))
    }
}

/// NVRTC's version as (major, minor).
pub fn nvrtc_version() -> Result<(i32, i32)> {
    nvrtc_available()?;
    let (mut major, mut minor) = (0, 0);
    // SAFETY: the library is present; the pointers are valid for writes.
    unsafe { nvrtc_sys::nvrtcVersion(&mut major, &mut minor) }
        .result()
        .map_err(|e| Error::Cuda(format!("nvrtcVersion: {e:?}")))?;
    Ok((major, minor))
}

fn c_text(v: &[c_char]) -> String {
    // SAFETY: NVRTC returns NUL-terminated text; an empty buffer is handled below.
    if v.is_empty() {
        return String::new();
    }
    unsafe { CStr::from_ptr(v.as_ptr()) }
        .to_string_lossy()
        .trim()
        .to_string()
}

/// Destroys the program on every path out of `compile`.
struct Program(nvrtc_sys::nvrtcProgram);

impl Drop for Program {
    fn drop(&mut self) {
        // SAFETY: created by create_program and destroyed only here.
        let _ = unsafe { nvrtc::destroy_program(self.0) };
    }
}

/// Compile `src` for `target`; the error carries NVRTC's log.
pub fn compile(src: Source, target: Target) -> Result<Vec<u8>> {
    Ok(compile_with(src, target, &[])?.0)
}

/// Compile `src` for `target` with more NVRTC options (e.g.
/// `--ptxas-options=-v`); the image and NVRTC's log (ptxas' report goes there).
pub fn compile_with(src: Source, target: Target, extra: &[&str]) -> Result<(Vec<u8>, String)> {
    nvrtc_available()?;
    let fail = |what: &str, detail: String| {
        Error::Cuda(format!(
            "NVRTC {what} of {} for {target:?}: {detail}",
            src.name
        ))
    };
    let code = CString::new(src.code).map_err(|e| fail("input", e.to_string()))?;
    let name = CString::new(src.name).map_err(|e| fail("input", e.to_string()))?;
    let prog = Program(
        nvrtc::create_program(&code, Some(&name)).map_err(|e| fail("create", format!("{e:?}")))?,
    );
    let mut opts = vec![target.arch_flag(), "--std=c++17".to_string()];
    opts.extend(extra.iter().map(|o| o.to_string()));
    // SAFETY: `prog` is a live program; options are plain strings.
    if let Err(e) = unsafe { nvrtc::compile_program(prog.0, &opts) } {
        // SAFETY: as above.
        let log = unsafe { nvrtc::get_program_log(prog.0) }
            .map(|l| c_text(&l))
            .unwrap_or_default();
        return Err(fail("compile", format!("{e:?}\n{log}")));
    }
    // SAFETY: as above.
    let log = unsafe { nvrtc::get_program_log(prog.0) }
        .map(|l| c_text(&l))
        .unwrap_or_default();
    // SAFETY: compiled program; buffers sized by NVRTC's own size queries.
    let image = unsafe {
        match target {
            Target::Ptx(_) => {
                let ptx = nvrtc::get_ptx(prog.0).map_err(|e| fail("get PTX", format!("{e:?}")))?;
                ptx.iter().map(|&c| c as u8).collect()
            }
            Target::Cubin(_) => {
                let mut size = 0usize;
                nvrtc_sys::nvrtcGetCUBINSize(prog.0, &mut size)
                    .result()
                    .map_err(|e| fail("get CUBIN", format!("{e:?}")))?;
                let mut bin = vec![0u8; size];
                nvrtc_sys::nvrtcGetCUBIN(prog.0, bin.as_mut_ptr() as *mut c_char)
                    .result()
                    .map_err(|e| fail("get CUBIN", format!("{e:?}")))?;
                bin
            }
        }
    };
    Ok((image, log))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

type ImageKey = (&'static str, u32);
type ModuleKey = (usize, &'static str);

fn images() -> &'static Mutex<HashMap<ImageKey, Arc<Vec<u8>>>> {
    static M: OnceLock<Mutex<HashMap<ImageKey, Arc<Vec<u8>>>>> = OnceLock::new();
    M.get_or_init(Default::default)
}

fn modules() -> &'static Mutex<HashMap<ModuleKey, Arc<CudaModule>>> {
    static M: OnceLock<Mutex<HashMap<ModuleKey, Arc<CudaModule>>>> = OnceLock::new();
    M.get_or_init(Default::default)
}

/// A loaded kernel and the largest launch shape it was given (threads per
/// block in the high half, dynamic shared memory bytes in the low half),
/// for the resource report (`kernels::cuda::resources`).
pub(crate) struct Kernel {
    pub(crate) f: CudaFunction,
    shape: std::sync::atomic::AtomicU64,
}

impl Kernel {
    /// Remember `cfg`'s block size and dynamic shared memory (the largest).
    pub(crate) fn note(&self, cfg: &cudarc::driver::LaunchConfig) {
        let (x, y, z) = cfg.block_dim;
        let packed = ((x * y * z) as u64) << 32 | cfg.shared_mem_bytes as u64;
        self.shape
            .fetch_max(packed, std::sync::atomic::Ordering::Relaxed);
    }
}

fn functions() -> &'static Mutex<HashMap<ModuleKey, Arc<Kernel>>> {
    static M: OnceLock<Mutex<HashMap<ModuleKey, Arc<Kernel>>>> = OnceLock::new();
    M.get_or_init(Default::default)
}

/// Every kernel launched in this process (on any device) with the largest
/// (threads per block, dynamic shared memory bytes) it was launched with.
pub fn launched_shapes() -> Vec<(&'static str, u32, u32)> {
    let mut seen: HashMap<&'static str, u64> = HashMap::new();
    for ((_, name), k) in lock(functions()).iter() {
        let s = k.shape.load(std::sync::atomic::Ordering::Relaxed);
        let e = seen.entry(name).or_default();
        *e = (*e).max(s);
    }
    let mut v: Vec<_> = seen
        .into_iter()
        .map(|(n, s)| (n, (s >> 32) as u32, s as u32))
        .collect();
    v.sort();
    v
}

/// The loaded module of `src` on `dev`, compiled on first use.
fn module(dev: &CudaDevice, src: Source) -> Result<Arc<CudaModule>> {
    let key = (dev.ordinal(), src.name);
    if let Some(m) = lock(modules()).get(&key) {
        return Ok(m.clone());
    }
    let (major, minor) = dev.compute_capability();
    let arch = (major * 10 + minor) as u32;
    let image = {
        // Held while compiling: a second thread waits instead of compiling twice.
        let mut imgs = lock(images());
        match imgs.get(&(src.name, arch)) {
            Some(i) => i.clone(),
            None => {
                let i = Arc::new(compile(src, Target::Cubin(arch))?);
                imgs.insert((src.name, arch), i.clone());
                i
            }
        }
    };
    let m = dev
        .context()
        .load_module(Ptx::from_binary(image.as_ref().clone()))
        .map_err(|e| {
            Error::Cuda(format!(
                "loading {} (sm_{arch}) on cuda:{}: {e:?}",
                src.name,
                dev.ordinal()
            ))
        })?;
    lock(modules()).insert(key, m.clone());
    Ok(m)
}

/// The kernel `name` of `src` on `dev` (names are unique across sources).
pub(crate) fn function(dev: &CudaDevice, src: Source, name: &'static str) -> Result<Arc<Kernel>> {
    let key = (dev.ordinal(), name);
    if let Some(f) = lock(functions()).get(&key) {
        return Ok(f.clone());
    }
    let f = module(dev, src)?
        .load_function(name)
        .map_err(|e| Error::Cuda(format!("kernel {name} missing from {}: {e:?}", src.name)))?;
    let k = Arc::new(Kernel {
        f,
        shape: Default::default(),
    });
    lock(functions()).insert(key, k.clone());
    Ok(k)
}
