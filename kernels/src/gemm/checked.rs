//! The GEMMs of the conv engine behind one bounds-checked entry point: every
//! operand's extent is checked against its slice before the one unsafe call.
//! f32 runs on the single-threaded AVX2 kernel of `sgemm` where the CPU has it,
//! with the weights packed once per pass and the column matrix read straight
//! from the padded images (`B::Gather`, see `unfold`); f64 (gradient checks)
//! and other CPUs materialise what they need and use matrixmultiply.

use super::sgemm;
use crate::dispatch::KElem;

/// A left operand (m × k) prepared once for many products.
pub(crate) enum Packed<T> {
    /// A row-major copy, for matrixmultiply.
    Plain(Vec<T>, usize, usize),
    /// Packed for the f32 kernel.
    Fast(sgemm::PackedA),
}

/// The left operand of a product.
#[derive(Clone, Copy)]
pub(crate) enum A<'a, T> {
    /// A[i][p] = a[i·rs + p·cs].
    Strided(&'a [T], (usize, usize)),
    Packed(&'a Packed<T>),
}

/// The right operand of a product.
#[derive(Clone, Copy)]
pub(crate) enum B<'a, T> {
    /// B[p][j] = b[p·rs + j·cs].
    Strided(&'a [T], (usize, usize)),
    /// B[p][j] = base[rows[p] + cols[j]]: an implicit im2col (k = rows.len(),
    /// n = cols.len()).
    Gather(&'a [T], &'a [usize], &'a [usize]),
}

/// Element types the conv engine runs on.
pub(crate) trait GemmElem: KElem {
    /// # Safety
    /// `a` with strides `sa` readable for m × k.
    unsafe fn pack(m: usize, k: usize, a: *const Self, sa: (usize, usize)) -> Packed<Self> {
        let v = (0..m * k).map(|i| *a.add(i / k * sa.0 + i % k * sa.1));
        Packed::Plain(v.collect(), m, k)
    }

    /// C [m, n] (row stride rsc, unit column stride) = A·B, or += when
    /// `accumulate`, on the calling thread where the backend allows.
    ///
    /// # Safety
    /// The operands were checked by `gemm`; C is valid for m × n.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm_conv(
        m: usize,
        k: usize,
        n: usize,
        a: A<'_, Self>,
        b: B<'_, Self>,
        accumulate: bool,
        c: *mut Self,
        rsc: usize,
    ) {
        fallback(m, k, n, a, b, accumulate, c, rsc)
    }
}

impl GemmElem for f64 {}

impl GemmElem for f32 {
    unsafe fn pack(m: usize, k: usize, a: *const f32, sa: (usize, usize)) -> Packed<f32> {
        if sgemm::available() {
            Packed::Fast(sgemm::PackedA::new(m, k, a, sa))
        } else {
            let v = (0..m * k).map(|i| *a.add(i / k * sa.0 + i % k * sa.1));
            Packed::Plain(v.collect(), m, k)
        }
    }

    unsafe fn gemm_conv(
        m: usize,
        k: usize,
        n: usize,
        a: A<'_, f32>,
        b: B<'_, f32>,
        accumulate: bool,
        c: *mut f32,
        rsc: usize,
    ) {
        #[cfg(target_arch = "x86_64")]
        if sgemm::available() {
            let lhs = match a {
                A::Strided(a, sa) => sgemm::Lhs::Strided(a.as_ptr(), sa),
                A::Packed(Packed::Fast(p)) => sgemm::Lhs::Packed(p),
                A::Packed(Packed::Plain(v, _, kk)) => sgemm::Lhs::Strided(v.as_ptr(), (*kk, 1)),
            };
            let rhs = match b {
                B::Strided(b, sb) => sgemm::Rhs::Strided(b.as_ptr(), sb),
                B::Gather(base, rows, cols) => sgemm::Rhs::Gather(base.as_ptr(), rows, cols),
            };
            return sgemm::sgemm(m, k, n, lhs, rhs, accumulate, c, rsc);
        }
        fallback(m, k, n, a, b, accumulate, c, rsc)
    }
}

/// matrixmultiply, after materialising a packed or gathered operand.
///
/// # Safety
/// As `GemmElem::gemm_conv`.
#[allow(clippy::too_many_arguments)]
unsafe fn fallback<T: KElem>(
    m: usize,
    k: usize,
    n: usize,
    a: A<'_, T>,
    b: B<'_, T>,
    accumulate: bool,
    c: *mut T,
    rsc: usize,
) {
    let (a, sa) = match a {
        A::Strided(a, sa) => (a, sa),
        A::Packed(Packed::Plain(v, _, kk)) => (v.as_slice(), (*kk, 1)),
        A::Packed(Packed::Fast(_)) => unreachable!("packed for the f32 kernel only when it runs"),
    };
    let gathered: Vec<T>;
    let (b, sb) = match b {
        B::Strided(b, sb) => (b, sb),
        B::Gather(base, rows, cols) => {
            gathered = rows
                .iter()
                .flat_map(|&r| cols.iter().map(move |&o| base[r + o]))
                .collect();
            (gathered.as_slice(), (n, 1))
        }
    };
    let beta = if accumulate { T::ONE } else { T::ZERO };
    let (rsa, csa, rsb, csb) = (sa.0 as isize, sa.1 as isize, sb.0 as isize, sb.1 as isize);
    let (pa, pb, rsc) = (a.as_ptr(), b.as_ptr(), rsc as isize);
    T::gemm(m, k, n, T::ONE, pa, rsa, csa, pb, rsb, csb, beta, c, rsc, 1)
}

fn dims<T>(a: &A<'_, T>) -> Option<(usize, usize)> {
    match a {
        A::Packed(Packed::Plain(_, m, k)) => Some((*m, *k)),
        A::Packed(Packed::Fast(p)) => Some((p.rows(), p.depth())),
        A::Strided(..) => None,
    }
}

/// One past the largest index an r×c matrix with strides (rs, cs) touches.
fn extent(r: usize, c: usize, (rs, cs): (usize, usize)) -> usize {
    if r == 0 || c == 0 {
        0
    } else {
        (r - 1) * rs + (c - 1) * cs + 1
    }
}

fn check(what: &str, needed: usize, len: usize) {
    assert!(
        needed <= len,
        "conv gemm: {what} needs {needed} elements, its buffer has {len}"
    );
}

/// C [m, n] (row stride `rsc`, unit column stride) = A [m, k] · B [k, n], or
/// `+=` when `accumulate`. Panics only on an engine bug (an operand larger than
/// its buffer), never on user input, which was validated before.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm<T: GemmElem>(
    m: usize,
    k: usize,
    n: usize,
    a: A<'_, T>,
    b: B<'_, T>,
    accumulate: bool,
    c: &mut [T],
    rsc: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    match (&a, dims(&a)) {
        (A::Strided(a, sa), _) => check("A", extent(m, k, *sa), a.len()),
        (_, Some(d)) => assert_eq!(d, (m, k), "conv gemm: packed A has the wrong shape"),
        _ => unreachable!(),
    }
    match b {
        B::Strided(b, sb) => check("B", extent(k, n, sb), b.len()),
        B::Gather(base, rows, cols) => {
            assert!(
                rows.len() == k && cols.len() == n,
                "conv gemm: gather tables"
            );
            let top = rows.iter().max().unwrap_or(&0) + cols.iter().max().unwrap_or(&0);
            check("B", top + 1, base.len());
        }
    }
    check("C", extent(m, n, (rsc, 1)), c.len());
    if k == 0 {
        if !accumulate {
            for row in 0..m {
                c[row * rsc..row * rsc + n].fill(T::ZERO);
            }
        }
        return;
    }
    // SAFETY: the extents of all three operands were checked against their slices.
    unsafe { T::gemm_conv(m, k, n, a, b, accumulate, c.as_mut_ptr(), rsc) }
}

/// Pack A [m, k] (strides `sa`) once for many products; `None` for an empty A.
pub(crate) fn pack<T: GemmElem>(
    m: usize,
    k: usize,
    a: &[T],
    sa: (usize, usize),
) -> Option<Packed<T>> {
    if m == 0 || k == 0 {
        return None;
    }
    check("A", extent(m, k, sa), a.len());
    // SAFETY: A's extent was checked against its slice.
    Some(unsafe { T::pack(m, k, a.as_ptr(), sa) })
}
