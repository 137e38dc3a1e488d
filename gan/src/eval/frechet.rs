//! The Fréchet distance between two Gaussians fitted to feature sets:
//!
//! FD = |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2·tr((Σ₁^½ Σ₂ Σ₁^½)^½)
//!
//! Means and covariances are accumulated in f64. The trace of the matrix square
//! root goes through two symmetric eigendecompositions (nalgebra's
//! `SymmetricEigen`), which stay real and stable where the `sqrtm(Σ₁Σ₂)` of
//! pytorch-fid can turn complex: Σ₁^½ = V·diag(√max(λ, 0))·Vᵀ from eig(Σ₁), then
//! tr(M^½) = Σ √max(μ, 0) over the eigenvalues μ of the symmetric
//! M = Σ₁^½ Σ₂ Σ₁^½ (similar to Σ₁Σ₂, so the same trace of its square root).

use crate::error::{Error, Result};
use nalgebra::{DMatrix, SymmetricEigen};

/// Mean and covariance (unbiased, ÷ (n − 1), as `numpy.cov`) of `n` feature
/// vectors of dimension `dim`.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureStats {
    /// Number of feature vectors.
    pub n: usize,
    /// Their dimension.
    pub dim: usize,
    /// Their mean, of `dim` values.
    pub mean: Vec<f64>,
    /// Row-major `dim × dim`, symmetric.
    pub cov: Vec<f64>,
}

impl FeatureStats {
    /// Statistics of `features` (`n × dim`, row-major). Needs at least two
    /// vectors and finite values.
    pub fn from_features(features: &[f32], n: usize, dim: usize) -> Result<FeatureStats> {
        if dim == 0 || n.checked_mul(dim) != Some(features.len()) {
            return Err(Error::usage(format!(
                "feature statistics: {} values for {n} vectors of dimension {dim}",
                features.len()
            )));
        }
        if n < 2 {
            return Err(Error::usage(format!(
                "feature statistics: a covariance needs at least 2 samples, got {n}"
            )));
        }
        if let Some(i) = features.iter().position(|v| !v.is_finite()) {
            return Err(Error::usage(format!(
                "feature statistics: value {} of sample {} is not finite",
                features[i],
                i / dim
            )));
        }
        let mut mean = vec![0f64; dim];
        for row in features.chunks_exact(dim) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        for m in &mut mean {
            *m /= n as f64;
        }
        // Two passes (centre, then accumulate the upper triangle) for accuracy.
        let mut cov = vec![0f64; dim * dim];
        let mut centred = vec![0f64; dim];
        for row in features.chunks_exact(dim) {
            for ((c, &v), &m) in centred.iter_mut().zip(row).zip(&mean) {
                *c = v as f64 - m;
            }
            for i in 0..dim {
                let ci = centred[i];
                if ci == 0.0 {
                    continue;
                }
                let dst = &mut cov[i * dim + i..(i + 1) * dim];
                for (d, &cj) in dst.iter_mut().zip(&centred[i..]) {
                    *d += ci * cj;
                }
            }
        }
        let denom = (n - 1) as f64;
        for i in 0..dim {
            for j in i..dim {
                let v = cov[i * dim + j] / denom;
                cov[i * dim + j] = v;
                cov[j * dim + i] = v;
            }
        }
        Ok(FeatureStats { n, dim, mean, cov })
    }

    fn matrix(&self) -> DMatrix<f64> {
        DMatrix::from_row_slice(self.dim, self.dim, &self.cov)
    }

    /// The trace of the covariance.
    pub fn trace(&self) -> f64 {
        (0..self.dim).map(|i| self.cov[i * self.dim + i]).sum()
    }
}

/// The symmetric square root V·diag(√max(λ, 0))·Vᵀ of a symmetric matrix.
fn sqrt_psd(m: DMatrix<f64>) -> DMatrix<f64> {
    let eig = SymmetricEigen::new(m);
    let mut v_scaled = eig.eigenvectors.clone();
    for (j, &l) in eig.eigenvalues.iter().enumerate() {
        let s = l.max(0.0).sqrt();
        v_scaled.column_mut(j).scale_mut(s);
    }
    &v_scaled * eig.eigenvectors.transpose()
}

/// `(m + mᵀ)/2`: removes the rounding asymmetry of a product before `eig`.
fn symmetrise(m: &DMatrix<f64>) -> DMatrix<f64> {
    (m + m.transpose()) * 0.5
}

/// The Fréchet distance between the Gaussians of `a` and `b` (same dimension).
/// Never negative: rounding below zero is reported as 0.
pub fn frechet_distance(a: &FeatureStats, b: &FeatureStats) -> Result<f64> {
    if a.dim != b.dim {
        return Err(Error::usage(format!(
            "Fréchet distance: feature dimensions differ ({} and {})",
            a.dim, b.dim
        )));
    }
    let mean_term: f64 = a
        .mean
        .iter()
        .zip(&b.mean)
        .map(|(x, y)| (x - y).powi(2))
        .sum();
    let s1_half = sqrt_psd(a.matrix());
    let m = symmetrise(&(&s1_half * b.matrix() * &s1_half));
    let tr_sqrt: f64 = SymmetricEigen::new(m)
        .eigenvalues
        .iter()
        .map(|&l| l.max(0.0).sqrt())
        .sum();
    let fd = mean_term + a.trace() + b.trace() - 2.0 * tr_sqrt;
    if !fd.is_finite() {
        return Err(Error::usage(
            "Fréchet distance: the result is not finite".to_string(),
        ));
    }
    Ok(fd.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_gaussians_have_closed_form() {
        // Σ₁ = diag(a), Σ₂ = diag(b): FD = |Δμ|² + Σ (√a − √b)².
        let a = FeatureStats {
            n: 2,
            dim: 2,
            mean: vec![0.0, 1.0],
            cov: vec![4.0, 0.0, 0.0, 1.0],
        };
        let b = FeatureStats {
            n: 2,
            dim: 2,
            mean: vec![3.0, 1.0],
            cov: vec![1.0, 0.0, 0.0, 9.0],
        };
        let fd = frechet_distance(&a, &b).unwrap();
        let want = 9.0 + (2.0f64 - 1.0).powi(2) + (1.0f64 - 3.0).powi(2);
        assert!((fd - want).abs() < 1e-9, "{fd} vs {want}");
        assert!((frechet_distance(&b, &a).unwrap() - want).abs() < 1e-9);
    }

    #[test]
    fn non_commuting_2x2_matches_closed_form() {
        // For 2×2 PSD M: tr √M = √(tr M + 2√det M), and M = Σ₁^½Σ₂Σ₁^½ has
        // tr M = tr(Σ₁Σ₂), det M = det Σ₁ · det Σ₂.
        let (s1, s2) = ([2.0, 0.7, 0.7, 1.0], [0.5, -0.3, -0.3, 3.0]);
        let a = FeatureStats {
            n: 2,
            dim: 2,
            mean: vec![1.0, -1.0],
            cov: s1.to_vec(),
        };
        let b = FeatureStats {
            n: 2,
            dim: 2,
            mean: vec![0.5, 0.0],
            cov: s2.to_vec(),
        };
        let tr12 = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] + s1[3] * s2[3];
        let det = |m: [f64; 4]| m[0] * m[3] - m[1] * m[2];
        let tr_sqrt = (tr12 + 2.0 * (det(s1) * det(s2)).sqrt()).sqrt();
        let want = 0.25 + 1.0 + (s1[0] + s1[3]) + (s2[0] + s2[3]) - 2.0 * tr_sqrt;
        let fd = frechet_distance(&a, &b).unwrap();
        assert!((fd - want).abs() < 1e-12, "{fd} vs {want}");
        assert!((frechet_distance(&b, &a).unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn stats_match_numpy_cov() {
        let x = [1.0f32, 2.0, 3.0, 5.0, 5.0, 4.0];
        let s = FeatureStats::from_features(&x, 3, 2).unwrap();
        assert_eq!(s.mean, vec![3.0, 11.0 / 3.0]);
        // np.cov([[1,3,5],[2,5,4]]) = [[4, 2], [2, 2.3333]]
        assert!((s.cov[0] - 4.0).abs() < 1e-12);
        assert!((s.cov[1] - 2.0).abs() < 1e-12 && (s.cov[2] - 2.0).abs() < 1e-12);
        assert!((s.cov[3] - 7.0 / 3.0).abs() < 1e-12);
        assert!(FeatureStats::from_features(&x, 1, 6).is_err());
        assert!(FeatureStats::from_features(&x, 2, 2).is_err());
        assert!(FeatureStats::from_features(&[0.0, f32::NAN], 2, 1).is_err());
    }
}
