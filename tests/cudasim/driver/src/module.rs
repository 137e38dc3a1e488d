//! Modules: the shared objects the NVRTC stand-in builds, loaded with dlopen
//! from a memfd (cuModuleLoadData gets the bytes), or from the cache path its
//! "PTX" names. Each load is a separate copy, with its own shared-memory
//! statics and thread-state variable, so devices never share them.

use crate::abi;
use crate::exec::API;
use cudarc::driver::sys::CUresult;
use std::ffi::{c_int, c_void, CStr, CString};

pub struct LoadedModule {
    handle: *mut c_void,
    /// The memfd it was loaded from, open while it is loaded: dlopen finds
    /// objects by name first, and `/proc/self/fd/N` must not name two.
    fd: c_int,
    pub desc: *const abi::Module,
    pub device: usize,
}

// SAFETY: the handle and descriptor are only used under the simulator's lock.
unsafe impl Send for LoadedModule {}

pub struct Function {
    pub module: usize,
    pub kernel: *const abi::Kernel,
    pub name: String,
}

// SAFETY: as LoadedModule.
unsafe impl Send for Function {}

const EM_X86_64: u16 = 62;
const EM_CUDA: u16 = 190;

fn rd<const N: usize>(p: *const u8, at: usize) -> [u8; N] {
    let mut b = [0u8; N];
    // SAFETY: the caller checked the ELF magic; headers lie at these offsets.
    unsafe { std::ptr::copy_nonoverlapping(p.add(at), b.as_mut_ptr(), N) };
    b
}

/// The length of an ELF image from its headers (cuModuleLoadData gets no
/// length): the end of the section header table or of the last segment.
///
/// # Safety
/// `p` points to a readable ELF64 image.
unsafe fn elf_len(p: *const u8) -> Result<usize, (CUresult, String)> {
    let machine = u16::from_le_bytes(rd(p, 18));
    if machine == EM_CUDA {
        return Err((
            CUresult::CUDA_ERROR_INVALID_IMAGE,
            "a real CUBIN (NVIDIA GPU code) reached the simulator; it runs only what its NVRTC stand-in builds".into(),
        ));
    }
    if *p.add(4) != 2 || machine != EM_X86_64 {
        return Err((
            CUresult::CUDA_ERROR_INVALID_IMAGE,
            "not an x86-64 ELF64 module".into(),
        ));
    }
    let phoff = u64::from_le_bytes(rd(p, 32)) as usize;
    let shoff = u64::from_le_bytes(rd(p, 40)) as usize;
    let phentsize = u16::from_le_bytes(rd(p, 54)) as usize;
    let phnum = u16::from_le_bytes(rd(p, 56)) as usize;
    let shentsize = u16::from_le_bytes(rd(p, 58)) as usize;
    let shnum = u16::from_le_bytes(rd(p, 60)) as usize;
    let mut len = shoff + shentsize * shnum;
    for i in 0..phnum {
        let h = phoff + i * phentsize;
        let off = u64::from_le_bytes(rd(p, h + 8)) as usize;
        let filesz = u64::from_le_bytes(rd(p, h + 32)) as usize;
        len = len.max(off + filesz);
    }
    Ok(len)
}

fn dl_error() -> String {
    // SAFETY: dlerror returns null or a C string valid until the next call.
    unsafe {
        let e = libc::dlerror();
        if e.is_null() {
            "unknown dlopen error".into()
        } else {
            CStr::from_ptr(e).to_string_lossy().into_owned()
        }
    }
}

/// Load the module image at `image` for `device`.
///
/// # Safety
/// `image` points to a NUL-terminated text or to a complete ELF image.
pub unsafe fn load(image: *const u8, device: usize) -> Result<LoadedModule, (CUresult, String)> {
    let invalid = |m: String| (CUresult::CUDA_ERROR_INVALID_IMAGE, m);
    let (handle, fd) = if std::slice::from_raw_parts(image, 4) == b"\x7fELF" {
        let len = elf_len(image)?;
        let bytes = std::slice::from_raw_parts(image, len);
        let fd = libc::memfd_create(c"cudasim-module".as_ptr(), libc::MFD_CLOEXEC);
        if fd < 0 {
            return Err(invalid(format!(
                "memfd_create: {}",
                std::io::Error::last_os_error()
            )));
        }
        let mut written = 0;
        while written < len {
            let w = libc::write(
                fd,
                bytes[written..].as_ptr() as *const c_void,
                len - written,
            );
            if w <= 0 {
                libc::close(fd);
                return Err(invalid(format!(
                    "writing the module: {}",
                    std::io::Error::last_os_error()
                )));
            }
            written += w as usize;
        }
        let path = CString::new(format!("/proc/self/fd/{fd}")).expect("no NUL");
        let h = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if h.is_null() {
            libc::close(fd);
        }
        (h, fd)
    } else {
        let text = CStr::from_ptr(image as *const libc::c_char).to_string_lossy();
        let Some(path) = text
            .strip_prefix("//cudasim-module ")
            .map(|p| p.trim().to_string())
        else {
            return Err((
                CUresult::CUDA_ERROR_INVALID_PTX,
                "PTX from the real NVRTC cannot run on the simulator (its NVRTC stand-in must build the module)".into(),
            ));
        };
        let path = CString::new(path).map_err(|e| invalid(e.to_string()))?;
        // A second dlopen of the same file would share its statics with the
        // first: copy it into a memfd instead.
        let bytes = std::fs::read(path.to_str().unwrap_or_default())
            .map_err(|e| invalid(format!("reading {path:?}: {e}")))?;
        return load(bytes.as_ptr(), device);
    };
    if handle.is_null() {
        return Err(invalid(format!(
            "dlopen of the module failed: {}",
            dl_error()
        )));
    }
    let desc = libc::dlsym(handle, c"__cudasim_module".as_ptr()) as *const abi::Module;
    if desc.is_null() {
        libc::dlclose(handle);
        libc::close(fd);
        return Err(invalid(
            "the shared object has no __cudasim_module: not built by the simulator's NVRTC".into(),
        ));
    }
    if (*desc).abi != abi::ABI {
        libc::dlclose(handle);
        libc::close(fd);
        return Err(invalid(format!(
            "module ABI {} (the driver speaks {})",
            (*desc).abi,
            abi::ABI
        )));
    }
    *(*desc).api = &API;
    Ok(LoadedModule {
        handle,
        fd,
        desc,
        device,
    })
}

impl LoadedModule {
    /// The kernel called `name`.
    pub fn kernel(&self, name: &str) -> Option<*const abi::Kernel> {
        // SAFETY: the descriptor table of a loaded module, `num_kernels` long.
        unsafe {
            let d = &*self.desc;
            (0..d.num_kernels as usize)
                .map(|i| *d.kernels.add(i))
                .find(|&k| CStr::from_ptr((*k).name).to_bytes() == name.as_bytes())
        }
    }

    pub fn unload(self) {
        // SAFETY: no queued launch refers to it any more (the caller ran them).
        unsafe {
            libc::dlclose(self.handle);
            libc::close(self.fd);
        }
    }
}
