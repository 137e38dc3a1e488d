//! The one place where a tensor's storage is matched to a device and dtype.
//! The macros bind the CPU slice and a type alias `T` (f32 or f64) so that the
//! body is written once and compiled per element type. A CUDA tensor reaching
//! a macro means the op has no CUDA kernel: the enclosing function returns
//! `Error::Unsupported` (ops with kernels branch to their family's `cuda`
//! launcher first).

use tensor::{Element, Error, Result, Tensor};

/// Element types the CPU kernels run on: storage access plus GEMM.
pub trait KElem: tensor::CpuSlice + Element + crate::fastmath::FastMath {
    /// C = alpha·A·B + beta·C with arbitrary (row, column) strides.
    ///
    /// # Safety
    /// The pointers and strides must describe valid m×k, k×n and m×n matrices.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

impl KElem for f32 {
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: f32,
        a: *const f32,
        rsa: isize,
        csa: isize,
        b: *const f32,
        rsb: isize,
        csb: isize,
        beta: f32,
        c: *mut f32,
        rsc: isize,
        csc: isize,
    ) {
        // Our packed kernel when it applies (the common case: alpha 1, beta 0
        // or 1, C row-major); matrixmultiply for anything else.
        let ours = alpha == 1.0
            && (beta == 0.0 || beta == 1.0)
            && csc == 1
            && crate::gemm::threaded::sgemm_strided(
                m,
                k,
                n,
                a,
                (rsa, csa),
                b,
                (rsb, csb),
                beta == 1.0,
                c,
                rsc,
            );
        if !ours {
            matrixmultiply::sgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}

impl KElem for f64 {
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: f64,
        a: *const f64,
        rsa: isize,
        csa: isize,
        b: *const f64,
        rsb: isize,
        csb: isize,
        beta: f64,
        c: *mut f64,
        rsc: isize,
        csc: isize,
    ) {
        matrixmultiply::dgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
    }
}

/// Both operands must share dtype and device.
pub fn check_same(op: &'static str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.device() != b.device() {
        return Err(Error::DeviceMismatch {
            op,
            lhs: a.device(),
            rhs: b.device(),
        });
    }
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch {
            op,
            expected: a.dtype(),
            got: b.dtype(),
        });
    }
    Ok(())
}

/// The error of an op that has no CUDA kernel yet (named by its module).
pub fn no_cuda_kernel(op: &'static str, device: tensor::Device) -> Error {
    Error::Unsupported {
        op,
        device,
        msg: "no CUDA kernel yet".into(),
    }
}

/// `dispatch1!(x, |s: T, layout| body)`: body sees `s: &[T]` (the whole storage).
macro_rules! dispatch1 {
    ($x:expr, |$s:ident : $T:ident, $l:ident| $body:expr) => {{
        let __x: &tensor::Tensor = $x;
        let __g = __x.storage();
        let $l = __x.layout();
        match __g.kind() {
            tensor::StorageKind::Cpu(tensor::CpuStorage::F32($s)) => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            tensor::StorageKind::Cpu(tensor::CpuStorage::F64($s)) => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
            // Ops with a CUDA kernel branch to it before reaching this macro.
            tensor::StorageKind::Cuda(_) => {
                return Err($crate::dispatch::no_cuda_kernel(
                    module_path!(),
                    __x.device(),
                ))
            }
        }
    }};
}

/// `dispatch2!(op, a, b, |sa, sb: T, la, lb| body)` after checking dtype and device.
macro_rules! dispatch2 {
    ($op:expr, $a:expr, $b:expr, |$sa:ident, $sb:ident : $T:ident, $la:ident, $lb:ident| $body:expr) => {{
        let (__a, __b): (&tensor::Tensor, &tensor::Tensor) = ($a, $b);
        $crate::dispatch::check_same($op, __a, __b)?;
        let __ga = __a.storage();
        let __gb = __b.storage();
        let ($la, $lb) = (__a.layout(), __b.layout());
        match (__ga.kind(), __gb.kind()) {
            (
                tensor::StorageKind::Cpu(tensor::CpuStorage::F32($sa)),
                tensor::StorageKind::Cpu(tensor::CpuStorage::F32($sb)),
            ) => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            (
                tensor::StorageKind::Cpu(tensor::CpuStorage::F64($sa)),
                tensor::StorageKind::Cpu(tensor::CpuStorage::F64($sb)),
            ) => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
            // Ops with a CUDA kernel branch to it before reaching this macro.
            (tensor::StorageKind::Cuda(_), _) | (_, tensor::StorageKind::Cuda(_)) => {
                return Err($crate::dispatch::no_cuda_kernel(
                    module_path!(),
                    __a.device(),
                ))
            }
            _ => unreachable!("dtypes were checked equal"),
        }
    }};
}

/// `dispatch3!(op, a, b, c, |sa, sb, sc: T, la, lb, lc| body)` after checking
/// that the three share a dtype and a device.
macro_rules! dispatch3 {
    ($op:expr, $a:expr, $b:expr, $c:expr, |$sa:ident, $sb:ident, $sc:ident : $T:ident, $la:ident, $lb:ident, $lc:ident| $body:expr) => {{
        let (__a, __b, __c): (&tensor::Tensor, &tensor::Tensor, &tensor::Tensor) = ($a, $b, $c);
        $crate::dispatch::check_same($op, __a, __b)?;
        $crate::dispatch::check_same($op, __a, __c)?;
        let (__ga, __gb, __gc) = (__a.storage(), __b.storage(), __c.storage());
        let ($la, $lb, $lc) = (__a.layout(), __b.layout(), __c.layout());
        match (__ga.kind(), __gb.kind(), __gc.kind()) {
            (
                tensor::StorageKind::Cpu(tensor::CpuStorage::F32($sa)),
                tensor::StorageKind::Cpu(tensor::CpuStorage::F32($sb)),
                tensor::StorageKind::Cpu(tensor::CpuStorage::F32($sc)),
            ) => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            (
                tensor::StorageKind::Cpu(tensor::CpuStorage::F64($sa)),
                tensor::StorageKind::Cpu(tensor::CpuStorage::F64($sb)),
                tensor::StorageKind::Cpu(tensor::CpuStorage::F64($sc)),
            ) => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
            // Ops with a CUDA kernel branch to it before reaching this macro.
            (tensor::StorageKind::Cuda(_), _, _)
            | (_, tensor::StorageKind::Cuda(_), _)
            | (_, _, tensor::StorageKind::Cuda(_)) => {
                return Err($crate::dispatch::no_cuda_kernel(
                    module_path!(),
                    __a.device(),
                ))
            }
            _ => unreachable!("dtypes were checked equal"),
        }
    }};
}
