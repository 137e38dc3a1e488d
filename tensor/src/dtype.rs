//! Element types. f32 is the working type; f64 exists on the CPU so that gradient
//! checks can use central differences at the precision torch.autograd.gradcheck uses.

use std::fmt::Debug;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// The element type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit IEEE float: the type of every op, on every device.
    F32,
    /// 64-bit IEEE float: CPU only, for finite-difference gradient checks.
    F64,
}

impl DType {
    /// Bytes per element: 4 or 8.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

/// A float element type the CPU kernels are generic over.
pub trait Element:
    Copy
    + Send
    + Sync
    + Debug
    + Default
    + PartialOrd
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + Sum
{
    /// The [`DType`] tag of this Rust type.
    const DTYPE: DType;
    /// Additive identity, 0.
    const ZERO: Self;
    /// Multiplicative identity, 1.
    const ONE: Self;
    /// `v` rounded to this type (exact for f64).
    fn from_f64(v: f64) -> Self;
    /// This value widened to f64 (exact).
    fn to_f64(self) -> f64;
    /// eˣ.
    fn exp(self) -> Self;
    /// Natural logarithm (NaN below 0, −∞ at 0).
    fn ln(self) -> Self;
    /// Square root (NaN below 0).
    fn sqrt(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `self` raised to the power `e`.
    fn powf(self, e: Self) -> Self;
    /// The larger of the two; the other one when one is NaN (IEEE maxNum).
    fn max(self, o: Self) -> Self;
    /// The smaller of the two; the other one when one is NaN (IEEE minNum).
    fn min(self, o: Self) -> Self;
    /// ln(1 + x), accurate for small x (used by the stable BCE).
    fn ln_1p(self) -> Self;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
}

macro_rules! impl_element {
    ($t:ty, $d:expr) => {
        impl Element for $t {
            const DTYPE: DType = $d;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                <$t>::max(self, o)
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                <$t>::min(self, o)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
        }
    };
}
impl_element!(f32, DType::F32);
impl_element!(f64, DType::F64);
