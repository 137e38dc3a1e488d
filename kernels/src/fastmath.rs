//! Branch-free f32 `exp`, `tanh` and `sigmoid` that LLVM vectorises (libm's are
//! scalar calls). f64 keeps the standard library's, so gradient checks in f64 run
//! at full precision. Accuracy of the f32 versions is tested against std below.

// The polynomial coefficients are kept digit for digit as published (Cephes,
// Eigen), even where f32 cannot hold every digit.
#![allow(clippy::excessive_precision)]

use tensor::Element;

/// Element-level math the kernels use in their hot loops.
pub trait FastMath: Element {
    /// eˣ by a polynomial (f32) or the standard library (f64).
    fn fast_exp(self) -> Self;
    /// tanh x by a rational approximation (f32) or the standard library (f64).
    fn fast_tanh(self) -> Self;
    /// σ(x) = 1 / (1 + e⁻ˣ) on `fast_exp`.
    #[inline(always)]
    fn fast_sigmoid(self) -> Self {
        Self::ONE / (Self::ONE + (-self).fast_exp())
    }
}

impl FastMath for f64 {
    #[inline(always)]
    fn fast_exp(self) -> f64 {
        self.exp()
    }
    #[inline(always)]
    fn fast_tanh(self) -> f64 {
        self.tanh()
    }
    #[inline(always)]
    fn fast_sigmoid(self) -> f64 {
        // Neither branch overflows: exp of a non-positive number only.
        if self >= 0.0 {
            1.0 / (1.0 + (-self).exp())
        } else {
            let e = self.exp();
            e / (1.0 + e)
        }
    }
}

impl FastMath for f32 {
    /// e^x = 2^n · e^r with n = round(x / ln 2), |r| ≤ ln2/2, e^r by Cephes' expf
    /// polynomial; 2^n is built in the exponent bits. Results below e^-86 flush
    /// to 0 and above the f32 range become +inf.
    #[inline(always)]
    fn fast_exp(self) -> f32 {
        const LOG2E: f32 = std::f32::consts::LOG2_E;
        const LN2_HI: f32 = 0.693_359_4;
        const LN2_LO: f32 = -2.121_944_4e-4;
        let x = self.clamp(-86.0, 88.0);
        // Round to nearest by adding and removing 1.5·2^23: plain SSE2 arithmetic,
        // where f32::round would be a libm call that stops vectorisation.
        // The integer n then sits in the low mantissa bits of the rounded sum, so
        // it is read from the bits instead of by a (scalarised) float→int cast.
        const MAGIC: f32 = 12_582_912.0;
        let shifted = x * LOG2E + MAGIC;
        let n = shifted - MAGIC;
        let ni = shifted.to_bits() as i32 - MAGIC.to_bits() as i32;
        let r = x - n * LN2_HI - n * LN2_LO;
        let mut p = 1.987_569_1e-4f32;
        p = p * r + 1.398_199_9e-3;
        p = p * r + 8.333_452e-3;
        p = p * r + 4.166_579_6e-2;
        p = p * r + 1.666_666_5e-1;
        p = p * r + 5.000_000_1e-1;
        let y = p * r * r + r + 1.0;
        let scale = f32::from_bits(((ni + 127) << 23) as u32);
        let v = y * scale;
        if self > 88.722_83 {
            f32::INFINITY
        } else if self < -86.0 {
            0.0
        } else if self.is_nan() {
            self
        } else {
            v
        }
    }

    /// Eigen's rational approximation of tanh on [-7.9, 7.9] (±1 outside),
    /// and x itself below 4e-4 where tanh x = x to f32 precision.
    #[inline(always)]
    fn fast_tanh(self) -> f32 {
        let x = self.clamp(-7.905_311, 7.905_311);
        let x2 = x * x;
        let mut p = -2.760_768_5e-16f32;
        p = p * x2 + 2.000_187_9e-13;
        p = p * x2 + -8.604_672e-11;
        p = p * x2 + 5.122_297e-8;
        p = p * x2 + 1.485_722_4e-5;
        p = p * x2 + 6.372_619_3e-4;
        p = p * x2 + 4.893_524_6e-3;
        p *= x;
        let mut q = 1.198_258_4e-6f32;
        q = q * x2 + 1.185_347_1e-4;
        q = q * x2 + 2.268_434_6e-3;
        q = q * x2 + 4.893_525_2e-3;
        if self.abs() < 4e-4 {
            self
        } else {
            p / q
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FastMath;

    #[test]
    fn f32_exp_tanh_sigmoid_match_std() {
        let mut worst = (0f64, 0f64, 0f64);
        let mut x = -30.0f32;
        while x < 30.0 {
            let e = (x.fast_exp() as f64 - (x as f64).exp()).abs() / (x as f64).exp();
            let t = (x.fast_tanh() as f64 - (x as f64).tanh()).abs();
            let s = (x.fast_sigmoid() as f64 - 1.0 / (1.0 + (-x as f64).exp())).abs();
            worst = (worst.0.max(e), worst.1.max(t), worst.2.max(s));
            x += 0.001_7;
        }
        assert!(worst.0 < 3e-7, "exp relative error {}", worst.0);
        // 4 ulp of 1.0, where tanh saturates
        assert!(worst.1 < 4.8e-7, "tanh absolute error {}", worst.1);
        assert!(worst.2 < 3e-7, "sigmoid absolute error {}", worst.2);
        assert_eq!(1000f32.fast_exp(), f32::INFINITY);
        assert_eq!((-1000f32).fast_exp(), 0.0);
        assert!(f32::NAN.fast_exp().is_nan());
        assert_eq!(1000f32.fast_sigmoid(), 1.0);
        assert_eq!((-1000f32).fast_sigmoid(), 0.0);
        assert_eq!(20f32.fast_tanh(), 1.0);
        assert_eq!(1e-7f32.fast_tanh(), 1e-7);
    }
}
