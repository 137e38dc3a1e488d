//! Names and texts of the statuses. The text of a status that an execution
//! failure returned is that failure's own message (kernel, block, thread,
//! address, nearest allocation), so that it reaches the user through
//! cudarc's `DriverError` formatting.

use crate::sim::Failure;
use cudarc::driver::sys::CUresult;
use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::sync::Mutex;

static MESSAGES: Mutex<Option<HashMap<u32, &'static CString>>> = Mutex::new(None);

/// Keep `f`'s message as the text of its status; the status.
pub(crate) fn report(f: Failure) -> CUresult {
    let text: &'static CString = Box::leak(Box::new(
        CString::new(format!("{} (cudasim: {})", base_text(f.code), f.message).replace('\0', " "))
            .unwrap_or_default(),
    ));
    let mut g = MESSAGES.lock().unwrap_or_else(|e| e.into_inner());
    g.get_or_insert_with(HashMap::new)
        .insert(f.code as u32, text);
    f.code
}

fn name(code: CUresult) -> &'static str {
    use CUresult::*;
    match code {
        CUDA_SUCCESS => "CUDA_SUCCESS\0",
        CUDA_ERROR_INVALID_VALUE => "CUDA_ERROR_INVALID_VALUE\0",
        CUDA_ERROR_OUT_OF_MEMORY => "CUDA_ERROR_OUT_OF_MEMORY\0",
        CUDA_ERROR_NOT_INITIALIZED => "CUDA_ERROR_NOT_INITIALIZED\0",
        CUDA_ERROR_NO_DEVICE => "CUDA_ERROR_NO_DEVICE\0",
        CUDA_ERROR_INVALID_DEVICE => "CUDA_ERROR_INVALID_DEVICE\0",
        CUDA_ERROR_INVALID_IMAGE => "CUDA_ERROR_INVALID_IMAGE\0",
        CUDA_ERROR_INVALID_CONTEXT => "CUDA_ERROR_INVALID_CONTEXT\0",
        CUDA_ERROR_INVALID_PTX => "CUDA_ERROR_INVALID_PTX\0",
        CUDA_ERROR_INVALID_HANDLE => "CUDA_ERROR_INVALID_HANDLE\0",
        CUDA_ERROR_NOT_FOUND => "CUDA_ERROR_NOT_FOUND\0",
        CUDA_ERROR_NOT_READY => "CUDA_ERROR_NOT_READY\0",
        CUDA_ERROR_ILLEGAL_ADDRESS => "CUDA_ERROR_ILLEGAL_ADDRESS\0",
        CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES => "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES\0",
        CUDA_ERROR_ASSERT => "CUDA_ERROR_ASSERT\0",
        CUDA_ERROR_ILLEGAL_INSTRUCTION => "CUDA_ERROR_ILLEGAL_INSTRUCTION\0",
        CUDA_ERROR_LAUNCH_FAILED => "CUDA_ERROR_LAUNCH_FAILED\0",
        CUDA_ERROR_NOT_SUPPORTED => "CUDA_ERROR_NOT_SUPPORTED\0",
        _ => "CUDA_ERROR_UNKNOWN\0",
    }
}

fn base_text(code: CUresult) -> &'static str {
    use CUresult::*;
    let s = match code {
        CUDA_SUCCESS => "no error\0",
        CUDA_ERROR_INVALID_VALUE => "invalid argument\0",
        CUDA_ERROR_OUT_OF_MEMORY => "out of memory\0",
        CUDA_ERROR_NOT_INITIALIZED => "initialization error\0",
        CUDA_ERROR_NO_DEVICE => "no CUDA-capable device is detected\0",
        CUDA_ERROR_INVALID_DEVICE => "invalid device ordinal\0",
        CUDA_ERROR_INVALID_IMAGE => "device kernel image is invalid\0",
        CUDA_ERROR_INVALID_CONTEXT => "invalid device context\0",
        CUDA_ERROR_INVALID_PTX => "a PTX JIT compilation failed\0",
        CUDA_ERROR_INVALID_HANDLE => "invalid resource handle\0",
        CUDA_ERROR_NOT_FOUND => "named symbol not found\0",
        CUDA_ERROR_NOT_READY => "device not ready\0",
        CUDA_ERROR_ILLEGAL_ADDRESS => "an illegal memory access was encountered\0",
        CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES => "too many resources requested for launch\0",
        CUDA_ERROR_ASSERT => "device-side assert triggered\0",
        CUDA_ERROR_ILLEGAL_INSTRUCTION => "an illegal instruction was encountered\0",
        CUDA_ERROR_LAUNCH_FAILED => "unspecified launch failure\0",
        CUDA_ERROR_NOT_SUPPORTED => "operation not supported\0",
        _ => "unknown error\0",
    };
    s.trim_end_matches('\0')
}

/// # Safety
/// `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuGetErrorName(code: CUresult, out: *mut *const c_char) -> CUresult {
    if out.is_null() {
        return CUresult::CUDA_ERROR_INVALID_VALUE;
    }
    *out = name(code).as_ptr() as *const c_char;
    CUresult::CUDA_SUCCESS
}

/// # Safety
/// `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuGetErrorString(code: CUresult, out: *mut *const c_char) -> CUresult {
    if out.is_null() {
        return CUresult::CUDA_ERROR_INVALID_VALUE;
    }
    let g = MESSAGES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = g.as_ref().and_then(|m| m.get(&(code as u32))) {
        *out = m.as_ptr();
        return CUresult::CUDA_SUCCESS;
    }
    // The trimmed text is a prefix of a literal that ends in NUL.
    *out = base_text(code).as_ptr().cast::<c_char>();
    CUresult::CUDA_SUCCESS
}
