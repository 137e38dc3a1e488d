//! Modules, functions and kernel launches. A launch is checked as the
//! hardware checks it (block and grid limits, `__launch_bounds__`), its
//! arguments are copied, and it is queued on its stream.

use super::{after_run, current_device, put, status, with, Res};
use crate::abi::Dim3;
use crate::exec::Launch;
use crate::module::{self, Function};
use crate::sim::Op;
use cudarc::driver::sys::{CUfunction, CUmodule, CUresult, CUstream};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};

/// # Safety
/// `image` points to a module image (see `module::load`).
#[no_mangle]
pub unsafe extern "C" fn cuModuleLoadData(out: *mut CUmodule, image: *const c_void) -> CUresult {
    status(with(|s| {
        let d = current_device(s)?;
        if image.is_null() {
            return Err(CUresult::CUDA_ERROR_INVALID_VALUE);
        }
        let m = module::load(image as *const u8, d).map_err(|(code, msg)| {
            eprintln!("cudasim: cuModuleLoadData: {msg}");
            code
        })?;
        let h = s.handle();
        s.modules.insert(h, m);
        put(out, h as CUmodule)
    }))
}

/// Everything queued on the module's device runs first.
#[no_mangle]
pub extern "C" fn cuModuleUnload(m: CUmodule) -> CUresult {
    status(with(|s| {
        let key = m as usize;
        let d = s
            .modules
            .get(&key)
            .ok_or(CUresult::CUDA_ERROR_INVALID_HANDLE)?
            .device;
        s.run_device(d);
        s.functions.retain(|_, f| f.module != key);
        s.modules.remove(&key).expect("checked").unload();
        after_run(s)
    }))
}

/// # Safety
/// `name` is a C string; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuModuleGetFunction(
    out: *mut CUfunction,
    m: CUmodule,
    name: *const c_char,
) -> CUresult {
    status(with(|s| {
        let key = m as usize;
        let module = s
            .modules
            .get(&key)
            .ok_or(CUresult::CUDA_ERROR_INVALID_HANDLE)?;
        if name.is_null() {
            return Err(CUresult::CUDA_ERROR_INVALID_VALUE);
        }
        let name = CStr::from_ptr(name).to_string_lossy().into_owned();
        let kernel = module.kernel(&name).ok_or(CUresult::CUDA_ERROR_NOT_FOUND)?;
        let h = s.handle();
        s.functions.insert(
            h,
            Function {
                module: key,
                kernel,
                name,
            },
        );
        put(out, h as CUfunction)
    }))
}

/// # Safety
/// `v` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuFuncGetAttribute(
    v: *mut c_int,
    attrib: c_uint,
    f: CUfunction,
) -> CUresult {
    status(with(|s| {
        let func = s
            .functions
            .get(&(f as usize))
            .ok_or(CUresult::CUDA_ERROR_INVALID_HANDLE)?;
        let value = match attrib {
            // CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK
            0 => match (*func.kernel).max_threads {
                0 => 1024,
                n => n,
            },
            // shared, const, local sizes and registers are not known here
            1..=4 => 0,
            _ => return Err(CUresult::CUDA_ERROR_INVALID_VALUE),
        };
        put(v, value)
    }))
}

#[no_mangle]
pub extern "C" fn cuFuncSetAttribute(f: CUfunction, _attrib: c_uint, _value: c_int) -> CUresult {
    status(with(|s| {
        s.functions
            .get(&(f as usize))
            .ok_or(CUresult::CUDA_ERROR_INVALID_HANDLE)?;
        Ok(())
    }))
}

fn check_dims(name: &str, grid: Dim3, block: Dim3, shared: c_uint, max_threads: c_int) -> Res {
    let bad = |why: String, code: CUresult| {
        eprintln!("cudasim: launch of `{name}` refused: {why}");
        Err(code)
    };
    let threads = block.x as u64 * block.y as u64 * block.z as u64;
    if [grid.x, grid.y, grid.z, block.x, block.y, block.z].contains(&0) {
        return bad(
            format!("a zero-sized grid {grid:?} or block {block:?}"),
            CUresult::CUDA_ERROR_INVALID_VALUE,
        );
    }
    if block.x > 1024 || block.y > 1024 || block.z > 64 || threads > 1024 {
        return bad(
            format!("block {block:?} exceeds 1024 threads or (1024, 1024, 64)"),
            CUresult::CUDA_ERROR_INVALID_VALUE,
        );
    }
    if grid.x > i32::MAX as u32 || grid.y > 65_535 || grid.z > 65_535 {
        return bad(
            format!("grid {grid:?} exceeds (2^31 - 1, 65535, 65535)"),
            CUresult::CUDA_ERROR_INVALID_VALUE,
        );
    }
    if max_threads > 0 && threads > max_threads as u64 {
        return bad(
            format!("{threads} threads per block exceed its __launch_bounds__({max_threads})"),
            CUresult::CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES,
        );
    }
    if shared > 48 << 10 {
        return bad(
            format!("{shared} bytes of dynamic shared memory exceed 48 KiB"),
            CUresult::CUDA_ERROR_INVALID_VALUE,
        );
    }
    Ok(())
}

/// # Safety
/// As the driver's: `params` holds one pointer per kernel parameter, each to
/// a value of the parameter's type.
#[no_mangle]
pub unsafe extern "C" fn cuLaunchKernel(
    f: CUfunction,
    gx: c_uint,
    gy: c_uint,
    gz: c_uint,
    bx: c_uint,
    by: c_uint,
    bz: c_uint,
    shared: c_uint,
    h: CUstream,
    params: *mut *mut c_void,
    extra: *mut *mut c_void,
) -> CUresult {
    status(with(|s| {
        let d = current_device(s)?;
        let st = s
            .stream_key(h as usize, d)
            .ok_or(CUresult::CUDA_ERROR_INVALID_HANDLE)?;
        let func = s
            .functions
            .get(&(f as usize))
            .ok_or(CUresult::CUDA_ERROR_INVALID_HANDLE)?;
        let module = &s.modules[&func.module];
        if module.device != d {
            return Err(CUresult::CUDA_ERROR_INVALID_HANDLE);
        }
        if !extra.is_null() {
            eprintln!("cudasim: cuLaunchKernel's `extra` argument is not supported");
            return Err(CUresult::CUDA_ERROR_NOT_SUPPORTED);
        }
        let k = &*func.kernel;
        let (grid, block) = (
            Dim3 {
                x: gx,
                y: gy,
                z: gz,
            },
            Dim3 {
                x: bx,
                y: by,
                z: bz,
            },
        );
        check_dims(&func.name, grid, block, shared, k.max_threads)?;
        let name = func.name.clone();
        s.counts
            .add(d, crate::counts::Queue::Stream(st), "launch", &name, 0);
        let func = &s.functions[&(f as usize)];
        let k = &*func.kernel;
        let n = k.num_params as usize;
        if n > 0 && params.is_null() {
            return Err(CUresult::CUDA_ERROR_INVALID_VALUE);
        }
        let mut copies = Vec::with_capacity(n);
        for i in 0..n {
            let size = *k.param_sizes.add(i) as usize;
            let mut buf = vec![0u128; size.div_ceil(16).max(1)];
            std::ptr::copy_nonoverlapping(
                *params.add(i) as *const u8,
                buf.as_mut_ptr() as *mut u8,
                size,
            );
            copies.push(buf);
        }
        let launch = Launch {
            name: func.name.clone(),
            entry: k.entry,
            state: (*module.desc).state,
            grid,
            block,
            params: copies,
            order: if s.checks.orders {
                s.cfg.devices[d].order
            } else {
                crate::config::Order::Forward
            },
        };
        s.push(st, Op::Launch(Box::new(launch)));
        Ok(())
    }))
}
