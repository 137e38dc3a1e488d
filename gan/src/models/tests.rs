//! The models against models.py: parameter counts, state_dict names, initialisation.

use super::*;

#[test]
fn parameter_counts_match_pytorch() {
    let want = [
        (ModelKind::Mlp, 283_920, 267_009),
        (ModelKind::MlpSmall, 114_064, 100_609),
        (ModelKind::MlpDropout, 114_800, 110_849),
        (ModelKind::Dcgan28, 305_480, 128_016),
        (ModelKind::Dcgan64, 3_574_656, 2_763_520),
    ];
    for (k, g, d) in want {
        let (mg, md) = k.build(0).unwrap();
        assert_eq!(mg.num_parameters(), g, "{k} G");
        assert_eq!(md.num_parameters(), d, "{k} D");
    }
}

/// `_dcgan64(3)` of models.py: 3,576,704 and 2,765,568 parameters
/// (PyTorch's count); dcgan28 likewise with 3 in place of its 1. The MLPs
/// refuse colour.
#[test]
fn colour_dcgans_count_as_pytorch_and_grey_is_unchanged() {
    let (g, d) = ModelKind::Dcgan64.build_with_channels(0, 3).unwrap();
    assert_eq!(
        (g.num_parameters(), d.num_parameters()),
        (3_576_704, 2_765_568)
    );
    let (g, d) = ModelKind::Dcgan28.build_with_channels(0, 3).unwrap();
    assert_eq!(
        (g.num_parameters(), d.num_parameters()),
        (305_480 + 2 * 28 * 16, 128_016 + 2 * 28 * 16)
    );
    assert!(ModelKind::Mlp.build_with_channels(0, 3).is_err());
    assert_eq!(ModelKind::Dcgan64.spec_with_channels(3).image, [3, 64, 64]);
    let bits = |m: &dyn Module| -> Vec<Vec<u32>> {
        m.state_dict()
            .iter()
            .map(|(_, t)| {
                t.to_vec_f32()
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect()
            })
            .collect()
    };
    let (a, _) = ModelKind::Dcgan28.build(7).unwrap();
    let (b, _) = ModelKind::Dcgan28.build_with_channels(7, 1).unwrap();
    assert_eq!(bits(a.as_ref()), bits(b.as_ref()));
}

#[test]
fn state_dict_names_are_pytorchs() {
    let names = |m: &dyn Module| -> Vec<String> {
        m.named_parameters().into_iter().map(|(n, _)| n).collect()
    };
    let (g, d) = ModelKind::Mlp.build(0).unwrap();
    assert_eq!(
        names(g.as_ref()),
        ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    );
    assert_eq!(names(d.as_ref()), names(g.as_ref()));
    let (g, d) = ModelKind::MlpSmall.build(0).unwrap();
    assert_eq!(
        names(g.as_ref()),
        ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    );
    assert_eq!(names(d.as_ref()), names(g.as_ref()));
    let (g, _) = ModelKind::MlpDropout.build(0).unwrap();
    assert_eq!(names(g.as_ref()).len(), 8);
    assert_eq!(names(g.as_ref())[7], "fc4.bias");
}

/// Every key of a DCGAN's `state_dict()` (PyTorch 2's, listed from
/// models.py): weights of the convolutions at `convs`, weight, bias,
/// running_mean, running_var (f32) and num_batches_tracked (int64) of the
/// batch norms at `bns`. Sorted, as safetensors stores them.
fn dcgan_keys(convs: &[usize], bns: &[usize]) -> (Vec<String>, Vec<String>) {
    let mut f32s: Vec<String> = convs.iter().map(|i| format!("{i}.weight")).collect();
    for i in bns {
        for n in ["weight", "bias", "running_mean", "running_var"] {
            f32s.push(format!("{i}.{n}"));
        }
    }
    let mut counts: Vec<String> = bns
        .iter()
        .map(|i| format!("{i}.num_batches_tracked"))
        .collect();
    f32s.sort();
    counts.sort();
    (f32s, counts)
}

fn keys_of(m: &dyn Module) -> (Vec<String>, Vec<String>) {
    let mut f32s: Vec<String> = m.state_dict().into_iter().map(|(n, _)| n).collect();
    let mut counts: Vec<String> = m.named_counts().into_iter().map(|(n, _)| n).collect();
    f32s.sort();
    counts.sort();
    (f32s, counts)
}

#[test]
fn dcgan_state_dict_names_are_pytorchs() {
    let (g, d) = ModelKind::Dcgan28.build(0).unwrap();
    assert_eq!(keys_of(g.as_ref()), dcgan_keys(&[0, 3, 6, 9], &[1, 4, 7]));
    assert_eq!(keys_of(d.as_ref()), dcgan_keys(&[0, 2, 5, 8], &[3, 6]));
    let (g, d) = ModelKind::Dcgan64.build(0).unwrap();
    assert_eq!(
        keys_of(g.as_ref()),
        dcgan_keys(&[0, 3, 6, 9, 12], &[1, 4, 7, 10])
    );
    assert_eq!(
        keys_of(d.as_ref()),
        dcgan_keys(&[0, 2, 5, 8, 11], &[3, 6, 9])
    );
    // The first G layer is ConvTranspose2d(100, 512, 4): PyTorch's (in, out, kH, kW).
    assert_eq!(g.named_parameters()[0].1.shape(), [100, 512, 4, 4]);
}

/// `dcgan_init`: conv weights N(0, 0.02), batchnorm weights N(1, 0.02),
/// biases 0; running statistics at their defaults, nothing counted yet.
#[test]
fn dcgan_init_as_models_py() {
    let (g, d) = ModelKind::Dcgan64.build(3).unwrap();
    let stats = |v: &[f32]| {
        let n = v.len() as f64;
        let m = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / n;
        (m, var.sqrt())
    };
    for m in [&g, &d] {
        for (name, t) in m.state_dict() {
            let v = t.to_vec_f32().unwrap();
            let (mean, std) = stats(&v);
            let is_bn = m
                .named_counts()
                .iter()
                .any(|(c, _)| name.split('.').next() == c.split('.').next());
            let want = match (is_bn, name.rsplit('.').next().unwrap()) {
                (false, "weight") => Some((0.0, 0.02)),
                (true, "weight") => Some((1.0, 0.02)),
                (true, "bias" | "running_mean") => Some((0.0, 0.0)),
                (true, "running_var") => Some((1.0, 0.0)),
                _ => None,
            };
            let (wm, ws) = want.unwrap_or_else(|| panic!("unexpected key {name}"));
            // Loose bounds: the smallest tensors have 64 values.
            assert!((mean - wm).abs() < 0.01, "{name}: mean {mean}");
            assert!((std - ws).abs() < 0.006, "{name}: std {std}");
        }
        assert!(m.named_counts().iter().all(|(_, c)| c.get() == 0));
    }
}

/// dcgan28-nobn: dcgan28's G exactly (it loads into models.py's G), a D
/// without batch norm whose convolutions have biases.
#[test]
fn the_critic_without_batch_norm_is_dcgan28_less_its_batch_norms() {
    let (g, d) = ModelKind::Dcgan28NoBn.build(3).unwrap();
    let (g28, _) = ModelKind::Dcgan28.build(3).unwrap();
    let bits = |m: &dyn Module| -> Vec<(String, Vec<u32>)> {
        m.state_dict()
            .into_iter()
            .map(|(n, t)| {
                let v = t.to_vec_f32().unwrap();
                (n, v.iter().map(|x| x.to_bits()).collect())
            })
            .collect()
    };
    assert_eq!(bits(g.as_ref()), bits(g28.as_ref()));
    // 127,680 conv weights as dcgan28's, plus biases 28 + 56 + 112 + 1.
    assert_eq!(d.num_parameters(), 127_877);
    let names: Vec<String> = d.state_dict().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"]
    );
    assert!(d.named_counts().is_empty(), "no batch norm");
    assert_eq!(
        ModelKind::from_name("dcgan28-nobn"),
        Some(ModelKind::Dcgan28NoBn)
    );
    assert!(!ModelKind::ALL.contains(&ModelKind::Dcgan28NoBn));
}
