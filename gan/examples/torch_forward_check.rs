//! Compare a run's G and D with PyTorch's on the same weights: load the run's
//! checkpoint here, read the z and the outputs that
//! `tools/torch_load_check.py --out FILE` computed with models.py's modules,
//! and print the largest differences (G in eval and train mode, D in eval
//! mode on G's eval output):
//! `cargo run -p gan --release --example torch_forward_check -- RUN_DIR MODEL FILE`.

use autograd::{no_grad, Var};
use gan::io::checkpoint;
use gan::models::ModelKind;
use gan::nn::{Fwd, Module};
use gan::train::noise::{stream_rng, SAMPLE};
use gan::Error;
use std::path::PathBuf;
use tensor::Tensor;

fn max_diff(a: &Tensor, b: &Tensor) -> gan::Result<f32> {
    if a.shape() != b.shape() {
        return Err(Error::usage(format!(
            "shapes differ: {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    let (a, b) = (a.to_vec_f32()?, b.to_vec_f32()?);
    Ok(a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max))
}

fn main() -> gan::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, model, file] = &args[..] else {
        return Err(Error::usage(
            "usage: torch_forward_check RUN_DIR MODEL FILE",
        ));
    };
    let kind = ModelKind::from_name(model)
        .ok_or_else(|| Error::usage(format!("unknown model '{model}'")))?;
    // A colour run's files say so ("channels" metadata).
    let g_path = PathBuf::from(dir).join("G.safetensors");
    let channels = gan::train::state::channels_of(&g_path, &checkpoint::read(&g_path)?)?;
    let (mut g, mut d) = kind.build_with_channels(0, channels)?;
    for (f, m) in [("G.safetensors", &g), ("D.safetensors", &d)] {
        let p = PathBuf::from(dir).join(f);
        checkpoint::load_into(&p, m.as_ref(), &checkpoint::read(&p)?)?;
    }
    let path = PathBuf::from(file);
    let want = checkpoint::read(&path)?.tensors;
    let get = |k: &str| {
        want.get(k)
            .ok_or_else(|| Error::checkpoint(&path, format!("has no '{k}'")))
    };
    // Nothing here is random; the stream is only what `Fwd` asks for.
    let mut rng = stream_rng(0, SAMPLE);
    let mut run = |m: &dyn Module, x: Tensor| {
        no_grad(|| m.forward(&Var::constant(x), &mut Fwd::new(&mut rng))).map(|v| v.data().clone())
    };
    g.set_training(false);
    d.set_training(false);
    let g_eval = run(g.as_ref(), get("z")?.clone())?;
    let d_eval = run(d.as_ref(), g_eval.clone())?;
    // No g_train for a G with dropout: its train mode is random.
    let g_train = match want.get("g_train") {
        Some(t) => {
            g.set_training(true);
            let ours = run(g.as_ref(), get("z")?.clone())?;
            format!("{:.2e}", max_diff(&ours, t)?)
        }
        None => "n/a (dropout)".to_string(),
    };
    println!(
        "{kind} (nc {channels}): max |ours − PyTorch|: G eval {:.2e}, D eval {:.2e}, G train {g_train}",
        max_diff(&g_eval, get("g_eval")?)?,
        max_diff(&d_eval, get("d_eval")?)?,
    );
    Ok(())
}
