//! What the classifier's predictions say about a set of samples: which classes
//! it sees (coverage), how far the class histogram is from uniform (KL), and
//! how sure it is (mean confidence).

/// A class counts as covered when at least this fraction of the samples is
/// predicted as it.
pub const COVERAGE_THRESHOLD: f64 = 0.02;

/// Per-sample predictions: the argmax class and its softmax probability.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Predictions {
    /// The predicted class of each sample.
    pub classes: Vec<usize>,
    /// Its softmax probability.
    pub confidences: Vec<f64>,
}

impl Predictions {
    /// Predictions from `logits` (`n × k`, row-major), softmax in f64. A row
    /// with a non-finite logit counts as class 0 with confidence 0.
    pub fn from_logits(logits: &[f32], k: usize) -> Predictions {
        let mut p = Predictions::default();
        p.extend_from_logits(logits, k);
        p
    }

    /// Add the predictions of more `logits` (as `from_logits`).
    pub fn extend_from_logits(&mut self, logits: &[f32], k: usize) {
        for row in logits.chunks_exact(k.max(1)) {
            if row.iter().any(|v| !v.is_finite()) {
                self.classes.push(0);
                self.confidences.push(0.0);
                continue;
            }
            // The first maximum wins, as torch.argmax.
            let (mut best, mut at) = (row[0], 0);
            for (i, &v) in row.iter().enumerate() {
                if v > best {
                    best = v;
                    at = i;
                }
            }
            let sum: f64 = row.iter().map(|&v| ((v - best) as f64).exp()).sum();
            self.classes.push(at);
            self.confidences.push(1.0 / sum);
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }
}

/// How many samples are predicted as each of `k` classes.
pub fn class_histogram(classes: &[usize], k: usize) -> Vec<usize> {
    let mut h = vec![0usize; k];
    for &c in classes {
        if let Some(slot) = h.get_mut(c) {
            *slot += 1;
        }
    }
    h
}

/// The number of classes holding at least [`COVERAGE_THRESHOLD`] of the samples.
pub fn coverage(hist: &[usize]) -> usize {
    let n: usize = hist.iter().sum();
    if n == 0 {
        return 0;
    }
    hist.iter()
        .filter(|&&c| c as f64 >= COVERAGE_THRESHOLD * n as f64)
        .count()
}

/// KL(p ‖ uniform) = Σ p·ln(p·k) in nats, with 0·ln 0 = 0: 0 for a uniform
/// histogram, ln k when every sample is in one class.
pub fn kl_from_uniform(hist: &[usize]) -> f64 {
    let n: usize = hist.iter().sum();
    let k = hist.len();
    if n == 0 || k == 0 {
        return 0.0;
    }
    hist.iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n as f64;
            p * (p * k as f64).ln()
        })
        .sum::<f64>()
        .max(0.0)
}

/// The mean of the confidences (0 for none).
pub fn mean_confidence(confidences: &[f64]) -> f64 {
    if confidences.is_empty() {
        0.0
    } else {
        confidences.iter().sum::<f64>() / confidences.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_coverage_kl() {
        let uniform = vec![100usize; 10];
        assert_eq!(coverage(&uniform), 10);
        assert!(kl_from_uniform(&uniform).abs() < 1e-12);
        let mut one = vec![0usize; 10];
        one[3] = 1000;
        assert_eq!(coverage(&one), 1);
        assert!((kl_from_uniform(&one) - 10f64.ln()).abs() < 1e-12);
        // 2% exactly counts, just below does not.
        let mut h = vec![0usize; 10];
        h[0] = 980;
        h[1] = 20;
        assert_eq!(coverage(&h), 2);
        h[0] = 981;
        h[1] = 19;
        assert_eq!(coverage(&h), 1);
        assert_eq!(coverage(&[0; 10]), 0);
    }

    #[test]
    fn softmax_predictions() {
        let p = Predictions::from_logits(&[0.0, 0.0, 10.0, 1.0, 1.0, 1.0, f32::NAN, 0.0, 0.0], 3);
        assert_eq!(p.classes, vec![2, 0, 0]);
        let want = 1.0 / (1.0 + 2.0 * (-10f64).exp());
        assert!((p.confidences[0] - want).abs() < 1e-12);
        assert!((p.confidences[1] - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(p.confidences[2], 0.0);
        assert_eq!(class_histogram(&p.classes, 3), vec![2, 0, 1]);
    }
}
