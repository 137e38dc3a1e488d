//! The performance targets of issue 8, and of issue 22 for the gradient
//! penalties (ratio ours / PyTorch, measured side by side, lower is better),
//! so that every table says which ones hold.

/// The largest acceptable ratio for a case, `None` for cases without a target.
pub fn target(name: &str) -> Option<f64> {
    let op = name.split('/').next().unwrap_or("");
    let model = name.split('/').nth(1).unwrap_or("");
    Some(match op {
        "train_step" if model.starts_with("mlp") => 0.5,
        "train_step" => 1.0,
        "penalty" => 0.8,
        "matmul" => 1.2,
        "linear" => 1.0,
        "conv2d" | "conv_transpose2d" => 1.25,
        "batchnorm2d" | "leaky_relu" | "relu" | "tanh" | "sigmoid" | "bce" | "bce_with_logits" => {
            1.0
        }
        _ => return None,
    })
}

/// "yes" / "no" against the target, "-" when either side is missing.
pub fn verdict(name: &str, ratio: Option<f64>) -> &'static str {
    match (target(name), ratio) {
        (Some(t), Some(r)) if r <= t => "yes",
        (Some(_), Some(_)) => "no",
        _ => "-",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_its_target() {
        assert_eq!(target("train_step/mlp-dropout"), Some(0.5));
        assert_eq!(target("train_step/dcgan64"), Some(1.0));
        assert_eq!(target("matmul/1024x1024x1024"), Some(1.2));
        assert_eq!(
            target("conv_transpose2d/dcgan28/128x100x1x1->112k4s1p0"),
            Some(1.25)
        );
        assert_eq!(target("bce_with_logits/128"), Some(1.0));
        assert_eq!(target("penalty/r1/dcgan64"), Some(0.8));
        assert_eq!(verdict("linear/100x64->256", Some(1.01)), "no");
        assert_eq!(verdict("linear/100x64->256", None), "-");
    }
}
