//! What a run directory's checkpoint holds beyond the two models: the settings
//! the run was started with, where it stands, the partial logging interval, and
//! both optimisers' state. Together with the counter-derived random streams this
//! makes a resumed run equal to an uninterrupted one.

use super::step::Gan;
use crate::data::DatasetName;
use crate::error::{Error, Result};
use crate::io::checkpoint::{self, meta_get, Loaded};
use crate::models::ModelKind;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tensor::Device;

/// The generator's checkpoint file (PyTorch-loadable names).
pub const G_FILE: &str = "G.safetensors";
/// The average of G's weights (runs whose recipe keeps one): G's model and
/// keys, so that it loads wherever G does.
pub const G_EMA_FILE: &str = "G_ema.safetensors";
/// The discriminator's checkpoint file.
pub const D_FILE: &str = "D.safetensors";
/// The rest of a run's checkpoint: settings, position, optimisers.
pub const STATE_FILE: &str = "train_state.safetensors";
const FORMAT: u64 = 1;

/// A run's settings, fixed when it starts (epochs may grow on resume).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The model pair.
    pub model: ModelKind,
    /// The data set.
    pub dataset: DatasetName,
    /// Where the data set is (`None`: the default places).
    pub data_dir: Option<PathBuf>,
    /// Passes over the data.
    pub epochs: usize,
    /// Images per step.
    pub batch: usize,
    /// Both optimisers' learning rate.
    pub lr: f64,
    /// Seed of every random stream: initialisation, data order, noise, dropout.
    pub seed: u64,
    /// Steps per logging interval (a log row each).
    pub log_every: u64,
    /// Use only the first N batches of each epoch.
    pub limit_batches: Option<u64>,
    /// How the step trains (`Recipe::default()`: the tutorials' step).
    pub recipe: super::recipe::Recipe,
}

impl Settings {
    /// `model`'s tutorial settings: its data set, epochs, batch size and
    /// learning rate; seed 0, a log row every 100 steps, every batch.
    pub fn for_model(model: ModelKind) -> Settings {
        let spec = model.spec();
        Settings {
            model,
            dataset: DatasetName::from_name(spec.dataset).unwrap_or(DatasetName::Mnist),
            data_dir: None,
            epochs: spec.epochs,
            batch: spec.batch,
            lr: spec.lr,
            seed: 0,
            log_every: 100,
            limit_batches: None,
            recipe: super::recipe::Recipe::default(),
        }
    }

    /// `model`'s recommended settings (`gan train --recipe best`): the
    /// tutorial settings with `Recipe::best`'s step, and the batch size the
    /// recipe was measured with where it is not the tutorial's: dcgan28
    /// trains on batches of 32 instead of 128 (four times the updates in the
    /// same epochs; README: recipes, for the runs behind it).
    pub fn best(model: ModelKind) -> Settings {
        let mut s = Settings::for_model(model);
        s.recipe = super::recipe::Recipe::best(model);
        if model == ModelKind::Dcgan28 {
            s.batch = 32;
        }
        s
    }
}

/// Where a run stands: `batch` batches of (0-based) `epoch` are done.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Position {
    /// The epoch in progress (0-based).
    pub epoch: usize,
    /// Batches of it done.
    pub batch: usize,
    /// Steps done since the run began.
    pub global_step: u64,
}

/// Sums of the step figures over the logging interval in progress.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LogAcc {
    /// Steps summed.
    pub n: u64,
    /// Sum of d_loss.
    pub d_loss: f64,
    /// Sum of g_loss.
    pub g_loss: f64,
    /// Sum of D(x).
    pub d_x: f64,
    /// Sum of D(G(z)).
    pub d_gz: f64,
}

impl LogAcc {
    /// Add one step's figures.
    pub fn add(&mut self, s: &super::StepStats) {
        self.n += 1;
        self.d_loss += s.d_loss as f64;
        self.g_loss += s.g_loss as f64;
        self.d_x += s.d_x as f64;
        self.d_gz += s.d_gz as f64;
    }
}

fn model_meta(s: &Settings, pos: &Position, net: &str, channels: usize) -> HashMap<String, String> {
    HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("model".to_string(), s.model.name().to_string()),
        ("net".to_string(), net.to_string()),
        ("global_step".to_string(), pos.global_step.to_string()),
        ("channels".to_string(), channels.to_string()),
    ])
    .into_iter()
    .chain(
        s.recipe
            .classes
            .map(|c| ("classes".to_string(), c.to_string())),
    )
    .collect()
}

/// The image channels a G or D file says it is for (files without the key,
/// from before colour models or from PyTorch, are taken as 1).
pub fn channels_of(path: &Path, l: &Loaded) -> Result<usize> {
    match l.meta.get("channels") {
        None => Ok(1),
        Some(c) => c
            .parse()
            .ok()
            .filter(|c| *c == 1 || *c == 3)
            .ok_or_else(|| Error::checkpoint(path, format!("bad 'channels' metadata '{c}'"))),
    }
}

/// Write G, D and the training state, each atomically; the state goes last.
/// Tensors on a GPU are downloaded: the files are the same from any device.
pub fn save(dir: &Path, gan: &Gan, s: &Settings, pos: &Position, acc: &LogAcc) -> Result<()> {
    let channels = gan.spec.image[0];
    let meta = |net| model_meta(s, pos, net, channels);
    checkpoint::save_module(&dir.join(G_FILE), gan.g.as_ref(), meta("G"))?;
    checkpoint::save_module(&dir.join(D_FILE), gan.d.as_ref(), meta("D"))?;
    if let Some(avg) = &gan.g_ema {
        let mut m = meta("G");
        m.insert("average".to_string(), "ema".to_string());
        checkpoint::save_module(&dir.join(G_EMA_FILE), avg.as_ref(), m)?;
    }
    let state = json!({
        "format": FORMAT,
        "model": s.model.name(),
        "channels": channels,
        "dataset": s.dataset.name(),
        "data_dir": s.data_dir.as_ref().map(|p| p.to_string_lossy().into_owned()),
        "epochs": s.epochs,
        "batch_size": s.batch,
        "lr": s.lr,
        "seed": s.seed,
        "log_every": s.log_every,
        "limit_batches": s.limit_batches,
        "recipe": s.recipe.to_json(),
        "epoch": pos.epoch,
        "batch": pos.batch,
        "global_step": pos.global_step,
        "opt_g_steps": gan.opt_g.steps(),
        "opt_d_steps": gan.opt_d.steps(),
        "log_acc": [acc.n as f64, acc.d_loss, acc.g_loss, acc.d_x, acc.d_gz],
    });
    let mut tensors = Vec::new();
    for (prefix, opt) in [("opt_g", &gan.opt_g), ("opt_d", &gan.opt_d)] {
        for (n, t) in opt.state()? {
            tensors.push((format!("{prefix}.{n}"), t));
        }
    }
    let meta = HashMap::from([
        ("model".to_string(), s.model.name().to_string()),
        ("global_step".to_string(), pos.global_step.to_string()),
        ("state".to_string(), state.to_string()),
    ]);
    checkpoint::save(&dir.join(STATE_FILE), &tensors, meta)
}

/// A run read back from its directory.
pub struct Restored {
    /// The settings the run was started with.
    pub settings: Settings,
    /// Where it stands.
    pub pos: Position,
    /// The logging interval in progress.
    pub acc: LogAcc,
    /// The models and optimisers.
    pub gan: Gan,
}

fn field<'a>(path: &Path, v: &'a Value, key: &str) -> Result<&'a Value> {
    v.get(key)
        .ok_or_else(|| Error::checkpoint(path, format!("training state has no '{key}'")))
}

fn as_u64(path: &Path, v: &Value, key: &str) -> Result<u64> {
    field(path, v, key)?
        .as_u64()
        .ok_or_else(|| Error::checkpoint(path, format!("training state '{key}' is not a count")))
}

/// Read a run directory's checkpoint and rebuild the models and optimisers on
/// `device`, whichever device wrote it.
pub fn load(dir: &Path, device: Device) -> Result<Restored> {
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "--resume {}: no such run directory",
            dir.display()
        )));
    }
    let sp = dir.join(STATE_FILE);
    if !sp.exists() {
        return Err(Error::checkpoint(
            &sp,
            "missing: this directory holds no checkpoint to resume (it is written after the first epoch or on Ctrl-C)",
        ));
    }
    let st = checkpoint::read(&sp)?;
    let v: Value = serde_json::from_str(meta_get(&sp, &st, "state")?)
        .map_err(|e| Error::checkpoint(&sp, format!("training state is not JSON: {e}")))?;
    if as_u64(&sp, &v, "format")? != FORMAT {
        return Err(Error::checkpoint(
            &sp,
            "written by an incompatible version of gan",
        ));
    }
    let name = field(&sp, &v, "model")?.as_str().unwrap_or("");
    let model = ModelKind::from_name(name)
        .ok_or_else(|| Error::checkpoint(&sp, format!("unknown model '{name}'")))?;
    let dname = field(&sp, &v, "dataset")?.as_str().unwrap_or("");
    let dataset = DatasetName::from_name(dname)
        .ok_or_else(|| Error::checkpoint(&sp, format!("unknown dataset '{dname}'")))?;
    let lr = field(&sp, &v, "lr")?
        .as_f64()
        .filter(|l| l.is_finite() && *l > 0.0)
        .ok_or_else(|| Error::checkpoint(&sp, "bad learning rate"))?;
    let settings = Settings {
        model,
        dataset,
        data_dir: v.get("data_dir").and_then(Value::as_str).map(PathBuf::from),
        epochs: as_u64(&sp, &v, "epochs")? as usize,
        batch: as_u64(&sp, &v, "batch_size")? as usize,
        lr,
        seed: as_u64(&sp, &v, "seed")?,
        log_every: as_u64(&sp, &v, "log_every")?.max(1),
        limit_batches: v.get("limit_batches").and_then(Value::as_u64),
        recipe: super::recipe::Recipe::from_json(v.get("recipe"))
            .map_err(|e| Error::checkpoint(&sp, e))?,
    };
    let pos = Position {
        epoch: as_u64(&sp, &v, "epoch")? as usize,
        batch: as_u64(&sp, &v, "batch")? as usize,
        global_step: as_u64(&sp, &v, "global_step")?,
    };
    let a: Vec<f64> = field(&sp, &v, "log_acc")?
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let [n, d_loss, g_loss, d_x, d_gz] = a[..] else {
        return Err(Error::checkpoint(&sp, "bad 'log_acc'"));
    };
    let acc = LogAcc {
        n: n as u64,
        d_loss,
        g_loss,
        d_x,
        d_gz,
    };

    // The weights are loaded into CPU models, which then move to `device`; the
    // optimiser state stays on the host until a GPU step first needs it.
    // Runs from before colour models have no "channels": they are grey.
    let channels = match v.get("channels") {
        None => 1,
        Some(c) => c
            .as_u64()
            .map(|c| c as usize)
            .filter(|c| model.supports_channels(*c))
            .ok_or_else(|| Error::checkpoint(&sp, format!("bad 'channels' {c} for {model}")))?,
    };
    let classes = settings.recipe.classes.map(|c| c as usize);
    let (g, mut d) = model.build_for(settings.seed, channels, classes)?;
    if settings.recipe.spectral_norm {
        // D's checkpoint holds the reparametrised weights and their u and v.
        super::spectral_norm::apply_to(d.as_mut(), model, settings.seed)?;
    }
    for (file, net, m) in [(G_FILE, "G", g.as_ref()), (D_FILE, "D", d.as_ref())] {
        let p = dir.join(file);
        let l = checkpoint::read(&p)?;
        check_model_file(&p, &l, model, net, Some(pos.global_step))?;
        checkpoint::load_into(&p, m, &l)?;
    }
    let gan = Gan::assemble_with_channels(model, channels, g, d, settings.lr, device)?;
    let mut gan = gan.with_recipe(settings.recipe, settings.lr, settings.seed)?;
    if let Some(avg) = &gan.g_ema {
        // Read into a CPU copy of G, then copied to the average's device.
        let p = dir.join(G_EMA_FILE);
        if !p.exists() {
            return Err(Error::checkpoint(
                &p,
                "missing: the run keeps an average of G (--ema), saved beside G",
            ));
        }
        let l = checkpoint::read(&p)?;
        check_model_file(&p, &l, model, "G", Some(pos.global_step))?;
        let (g, _) = model.build_for(settings.seed, channels, classes)?;
        checkpoint::load_into(&p, g.as_ref(), &l)?;
        let mut g = g;
        g.to_device(device)?;
        super::ema::copy_module(avg.as_ref(), g.as_ref())?;
    }
    for (prefix, key, opt) in [
        ("opt_g.", "opt_g_steps", &mut gan.opt_g),
        ("opt_d.", "opt_d_steps", &mut gan.opt_d),
    ] {
        let steps = as_u64(&sp, &v, key)?;
        let ts = st
            .tensors
            .iter()
            .filter_map(|(k, t)| k.strip_prefix(prefix).map(|k| (k.to_string(), t.clone())))
            .collect();
        opt.load_state(steps, &ts)
            .map_err(|e| Error::checkpoint(&sp, e.to_string()))?;
    }
    Ok(Restored {
        settings,
        pos,
        acc,
        gan,
    })
}

/// A G or D file must be of `model` (when it says) and, within a run, of the
/// same step as the training state.
pub fn check_model_file(
    path: &Path,
    l: &Loaded,
    model: ModelKind,
    net: &str,
    step: Option<u64>,
) -> Result<()> {
    if let Some(m) = l.meta.get("model") {
        if m != model.name() {
            return Err(Error::checkpoint(
                path,
                format!("is a checkpoint of model '{m}', not '{}'", model.name()),
            ));
        }
    }
    if let Some(n) = l.meta.get("net") {
        if n != net {
            return Err(Error::checkpoint(
                path,
                format!("holds network {n}, expected {net}"),
            ));
        }
    }
    if let (Some(want), Some(got)) = (step, l.meta.get("global_step")) {
        if got.parse::<u64>().ok() != Some(want) {
            return Err(Error::checkpoint(
                path,
                format!("is of step {got} but the training state of step {want}: the checkpoint was not written completely"),
            ));
        }
    }
    Ok(())
}
