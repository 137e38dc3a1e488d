//! `gan sample`: images from a generator checkpoint, as an IDX file and/or a
//! PNG grid.

use crate::error::{Error, Result};
use crate::io::checkpoint::{self, Loaded};
use crate::io::{grid, write_idx_u8};
use crate::models::conditional::one_hot;
use crate::models::ModelKind;
use crate::nn::Fwd;
use crate::train::noise::{sample_z, stream_rng, SAMPLE};
use crate::train::setup::check_device;
use crate::train::state::{check_model_file, G_EMA_FILE, G_FILE};
use autograd::{no_grad, Var};
use std::path::{Path, PathBuf};
use tensor::Device;

/// What `gan sample` is asked to do.
#[derive(Clone, Debug)]
pub struct SampleOptions {
    /// A G.safetensors file, or a run folder holding one (its average of G,
    /// G_ema.safetensors, when it has one).
    pub checkpoint: PathBuf,
    /// In a run folder, take G even when it holds an average.
    pub no_ema: bool,
    /// Images to generate.
    pub count: usize,
    /// Write them as an IDX file of unsigned bytes here.
    pub out: Option<PathBuf>,
    /// Write them as a PNG grid, 10 per row, here.
    pub grid: Option<PathBuf>,
    /// Seed of the noise.
    pub seed: u64,
    /// The checkpoint's model, for files without gan metadata.
    pub model: Option<ModelKind>,
    /// Where to compute.
    pub device: Device,
    /// The class of every image, for a class-conditional generator.
    pub class: Option<ClassChoice>,
}

/// `--class`: which classes a conditional generator draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassChoice {
    /// Every image of this class.
    One(u32),
    /// Rows of ten images per class, the classes in turn (a grid's row is
    /// one class).
    All,
}

impl std::str::FromStr for ClassChoice {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s == "all" {
            return Ok(ClassChoice::All);
        }
        s.parse()
            .map(ClassChoice::One)
            .map_err(|_| format!("'{s}' is neither a class number (0, 1, ...) nor 'all'"))
    }
}

/// The classes of a G file's class embedding (`label_emb.weight`, [C, C]),
/// or `None` for an unconditional G.
fn classes_of(l: &Loaded) -> Option<usize> {
    l.tensors.get("label_emb.weight").map(|t| t.shape()[0])
}

/// The class of each of `n` images, checked against the generator's classes.
fn labels_for(
    path: &Path,
    choice: Option<ClassChoice>,
    classes: Option<usize>,
    n: usize,
) -> Result<Option<Vec<u32>>> {
    match (choice, classes) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(Error::usage(format!(
            "--class: {} is not a class-conditional generator",
            path.display()
        ))),
        (None, Some(c)) => Err(Error::usage(format!(
            "{} is class-conditional ({c} classes): pass --class K (0 to {}) or --class all",
            path.display(),
            c - 1
        ))),
        (Some(ClassChoice::One(k)), Some(c)) if k as usize >= c => Err(Error::usage(format!(
            "--class {k}: the generator has {c} classes, 0 to {}",
            c - 1
        ))),
        (Some(ClassChoice::One(k)), Some(_)) => Ok(Some(vec![k; n])),
        (Some(ClassChoice::All), Some(c)) => {
            Ok(Some(crate::train::conditional::grid_classes(n, c)))
        }
    }
}

/// Images generated per forward pass.
const CHUNK: usize = 1000;

/// Whether `kind`'s generator for `channels` has exactly the keys and shapes of `l`.
fn fits(kind: ModelKind, channels: usize, l: &Loaded) -> bool {
    kind.build_with_channels(0, channels).is_ok_and(|(g, _)| {
        let sd = g.state_dict();
        sd.len() == l.tensors.len()
            && sd
                .iter()
                .all(|(n, t)| l.tensors.get(n).is_some_and(|x| x.shape() == t.shape()))
    })
}

/// The image channels of a G file: its metadata, else (files saved from
/// PyTorch) whichever of 1 or 3 its shapes fit.
fn channels_of(path: &Path, l: &Loaded, kind: ModelKind) -> Result<usize> {
    if l.meta.contains_key("channels") {
        return crate::train::state::channels_of(path, l);
    }
    Ok([1, 3].into_iter().find(|&c| fits(kind, c, l)).unwrap_or(1))
}

/// The model a G file is of: from its metadata, `--model`, or its keys and shapes.
fn model_of(path: &Path, l: &Loaded, flag: Option<ModelKind>) -> Result<ModelKind> {
    if let Some(m) = l.meta.get("model") {
        let k = ModelKind::from_name(m)
            .ok_or_else(|| Error::checkpoint(path, format!("is of unknown model '{m}'")))?;
        if let Some(f) = flag.filter(|f| *f != k) {
            return Err(Error::checkpoint(
                path,
                format!("is a checkpoint of model '{k}', not '{f}'"),
            ));
        }
        return Ok(k);
    }
    if let Some(f) = flag {
        return Ok(f);
    }
    ModelKind::ALL
        .into_iter()
        .find(|&k| fits(k, 1, l) || fits(k, 3, l))
        .ok_or_else(|| {
            Error::checkpoint(
                path,
                "fits none of the models' generators; pass --model if it is one of them",
            )
        })
}

/// Generate the images `a` asks for from a generator checkpoint.
pub fn sample(a: &SampleOptions) -> Result<()> {
    check_device(a.device)?;
    let path = match a.checkpoint.is_dir() {
        true if !a.no_ema && a.checkpoint.join(G_EMA_FILE).exists() => {
            println!("sampling the run's average of G ({G_EMA_FILE}; --no-ema for {G_FILE})");
            a.checkpoint.join(G_EMA_FILE)
        }
        true => a.checkpoint.join(G_FILE),
        false => a.checkpoint.clone(),
    };
    let l = checkpoint::read(&path)?;
    let kind = model_of(&path, &l, a.model)?;
    check_model_file(&path, &l, kind, "G", None)?;
    let channels = channels_of(&path, &l, kind)?;
    let classes = classes_of(&l);
    let labels = labels_for(&path, a.class, classes, a.count)?;
    let (mut g, _) = kind.build_for(0, channels, classes)?;
    // Loaded on the CPU, then moved: the file is the same from any device.
    checkpoint::load_into(&path, g.as_ref(), &l)?;
    g.to_device(a.device)?;
    crate::train::step::check_on(kind, "G", g.as_ref(), a.device)?;
    // Eval mode: no dropout, and batchnorm with the running statistics (see
    // `Gan::generate` for why not the tutorials' train mode).
    g.set_training(false);
    let spec = kind.spec_with_channels(channels);
    let n = a.count;
    let mut rng = stream_rng(a.seed, SAMPLE);
    let mut values = Vec::with_capacity(n * spec.image_numel());
    while values.len() < n * spec.image_numel() {
        let m = CHUNK.min(n - values.len() / spec.image_numel());
        // z is drawn on the CPU and uploaded, so that a seed gives the same
        // images (to rounding) on every device.
        let z = sample_z(spec.z, m, spec.latent, &mut rng)?.to_device(a.device)?;
        let done = values.len() / spec.image_numel();
        let y = match (&labels, classes) {
            (Some(l), Some(c)) => Some(Var::constant(one_hot(&l[done..done + m], c, a.device)?)),
            _ => None,
        };
        let out = no_grad(|| {
            g.forward(
                &Var::constant(z),
                &mut Fwd::new(&mut rng).with_labels(y.as_ref()),
            )
        })?;
        values.extend(out.data().to_vec_f32()?);
    }
    let [c, h, w] = spec.image;
    if let Some(out) = &a.out {
        // Grey as MNIST's N × H × W; colour as N × C × H × W.
        let dims = if c == 1 {
            vec![n, h, w]
        } else {
            vec![n, c, h, w]
        };
        write_idx_u8(out, &values, &dims)?;
        let what = if c == 1 {
            String::new()
        } else {
            format!("{c}×")
        };
        println!(
            "wrote {n} images of {what}{h}×{w} from {kind} to {} (IDX u8)",
            out.display()
        );
    }
    if let Some(p) = &a.grid {
        grid::save_grid_c(p, &values, n, spec.image, 10)?;
        println!("wrote a grid of {n} images to {}", p.display());
    }
    Ok(())
}
