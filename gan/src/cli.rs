//! The command line. `gan` with flags and no subcommand means `gan train`, so
//! that `cargo run -p gan --release` trains the default model and
//! `cargo run -p gan --release -- --device cuda` passes its flag to training.
//! Each command's arguments turn into the library's options (`TrainOptions`,
//! `SampleOptions`, `EvalOptions`) here; the flags' value types and parsers
//! are in cli_values.rs, the recipe flags in cli_recipe.rs.

use crate::data::DatasetName;
use crate::eval::command::EvalOptions;
use crate::models::ModelKind;
use crate::sample::{ClassChoice, SampleOptions};
use crate::train::{ResumeFlags, Settings, Start, TrainOptions};
use clap::{value_parser, Args, Parser, Subcommand};
use std::path::PathBuf;
use tensor::Device;

#[path = "cli_recipe.rs"]
mod cli_recipe;
#[path = "cli_values.rs"]
mod cli_values;
pub use cli_recipe::RecipeArgs;
pub use cli_values::parse_size;
use cli_values::{parse_channels, parse_device, parse_lr};

/// `gan`'s arguments.
#[derive(Parser, Debug)]
#[command(
    name = "gan",
    version,
    about = "Train the MLP GANs and DCGANs of the classic MNIST tutorials and sample from them.",
    long_about = "Train the MLP GANs and DCGANs of the classic MNIST tutorials and sample from them.\n\n\
        With no subcommand, the flags are those of `gan train`: plain `gan` trains `mlp` on \
        the shipped MNIST into runs/mlp-N with the tutorial's settings.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// The command; none means `train`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The flags of `train` when no command is given.
    #[command(flatten)]
    pub train: TrainArgs,
}

/// `gan`'s commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a model (the default command). Every option defaults to the model's
    /// tutorial setting.
    Train(Box<TrainArgs>),
    /// Generate images from a trained generator checkpoint.
    Sample(SampleArgs),
    /// Measure samples with the evaluation classifier: Fréchet distance of its
    /// features to the test set's, class coverage, KL from uniform, confidence.
    Eval(EvalArgs),
}

/// The flags of `gan train`.
// The field docs are clap's help text, which shows `<dataset>` as it is.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Args, Debug, Clone, Default)]
pub struct TrainArgs {
    /// Model to train: mlp (MNIST MLP GAN), mlp-small (one hidden layer, SGD,
    /// Fashion-MNIST), mlp-dropout (dropout, BCE with logits, label smoothing),
    /// dcgan28 (28×28 DCGAN, KMNIST) or dcgan64 (64×64 DCGAN, MNIST resized)
    /// [default: mlp]
    #[arg(long, value_enum)]
    pub model: Option<ModelKind>,

    /// Data set to train on [default: the model's: fashion-mnist for mlp-small,
    /// kmnist for dcgan28, mnist for the others]. dcgan64 resizes the 28×28
    /// images to 64×64 (bilinear, as torchvision's Resize(64)).
    ///
    /// folder: your own pictures, every PNG, JPEG, BMP, GIF (first frame) and
    /// WebP under --data-dir, recursively, in sorted path order; subfolders
    /// are class names, as torchvision's ImageFolder (recorded, unused by
    /// these unconditional models); other files are skipped and counted.
    /// Each image goes through the PyTorch DCGAN tutorial's transforms:
    /// Resize(S) (shorter side to the model's side S: 64 for dcgan64, 28 for
    /// the others; bilinear with antialiasing), CenterCrop(S), ToTensor(),
    /// Normalize(0.5, 0.5) to [-1, 1]. An unreadable, corrupt or too small
    /// (under 8 px) image stops with an error naming the file
    #[arg(long, value_enum, verbatim_doc_comment)]
    pub dataset: Option<DatasetName>,

    /// Directory holding the data set: the IDX files, gzipped or not
    /// [default: $GAN_DATA_DIR, else the repository's data/<dataset> (MNIST is
    /// shipped there), else the download cache ~/.cache/gan-rs]; for
    /// --dataset folder, the folder of images (required)
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Image channels for --dataset folder: 3 (RGB) or 1 (grey). Grey images
    /// are replicated to RGB, colour ones converted to grey with ITU-R 601
    /// luma (as PIL's convert("L")); alpha is dropped. dcgan64 and dcgan28
    /// are built with nc = this (as models.py's _dcgan64(nc)); the MLPs take
    /// 1 only [default: 3 when any image file is in colour, else 1]
    #[arg(long, value_parser = parse_channels)]
    pub channels: Option<u64>,

    /// Decode the folder's images once into memory (u8, N × C × S × S) when
    /// that fits in SIZE (bytes, or with K, M, G: 512M, 2G; 0: never),
    /// else decode them on the loader's threads every epoch [default: 2G]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub cache_limit: Option<u64>,

    /// Number of passes over the data [default: 30; 5 for the DCGANs]. With --resume, the new total
    /// (to train a finished run for longer)
    #[arg(long, allow_negative_numbers = true, value_parser = value_parser!(u64).range(1..=100_000))]
    pub epochs: Option<u64>,

    /// Images per training step [default: the model's: 100 for mlp, 128 for the
    /// DCGANs, 64 for the others; 32 for dcgan28 with --recipe best]
    #[arg(long, allow_negative_numbers = true, value_parser = value_parser!(u64).range(1..=65_536))]
    pub batch_size: Option<u64>,

    /// Learning rate of both optimisers [default: the model's: 2e-4 for mlp and
    /// the DCGANs, 0.03 for mlp-small, 2e-3 for mlp-dropout]
    #[arg(long, allow_negative_numbers = true, value_parser = parse_lr)]
    pub lr: Option<f64>,

    /// Seed of every random stream: initialisation, data order, noise, dropout.
    /// The same seed gives the same run, bit for bit [default: 0]
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<u64>,

    /// Where to compute: cpu, or cuda / cuda:N (every model; needs the NVIDIA
    /// driver and NVRTC 13 on the library path). Checkpoints are the same from
    /// either device, so a run may be resumed on the other one
    #[arg(long, value_parser = parse_device, default_value = "cpu")]
    pub device: Device,

    /// Run directory for checkpoints, sample grids, log.csv and losses.png
    /// [default: runs/<model>-N, the first N not taken]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Continue the run in DIR from its last checkpoint (optimiser state, epoch,
    /// step and random streams included), with the settings it was started with
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "out")]
    pub resume: Option<PathBuf>,

    /// Train a new run into an --out folder that holds another run's
    /// checkpoint, replacing that run's files (checkpoints, logs, pictures);
    /// other files in the folder are kept. Without it, such a folder is an error
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,

    /// Write a row to log.csv every N steps (means over the interval)
    #[arg(long, value_name = "N", allow_negative_numbers = true, default_value_t = 100, value_parser = value_parser!(u64).range(1..=1_000_000))]
    pub log_every: u64,

    /// Use only the first N batches of each epoch (quick trials and tests;
    /// the batches are drawn from the whole shuffled set)
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = value_parser!(u64).range(1..))]
    pub limit_batches: Option<u64>,

    /// No progress bar; one line per epoch only
    #[arg(long)]
    pub quiet: bool,

    /// Every N epochs (and after the last), measure 10,000 samples as `gan eval`
    /// does: eval.csv, frechet.png and the end-of-run summary
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = value_parser!(u64).range(1..=100_000))]
    pub eval_every: Option<u64>,

    /// Write TensorBoard event files into the run folder: losses, D's outputs
    /// and their histograms at every log row, the sample grid every epoch, the
    /// evaluation's figures, the settings (on by default; `tensorboard --logdir
    /// runs` then shows every run, live)
    #[arg(long, overrides_with = "no_tensorboard")]
    pub tensorboard: bool,

    /// Do not write TensorBoard event files
    #[arg(long, overrides_with = "tensorboard")]
    pub no_tensorboard: bool,

    /// The recipe flags (cli_recipe.rs).
    #[command(flatten)]
    pub recipe: RecipeArgs,

    /// Behave as if Ctrl-C came after N steps of this process (for tests)
    #[arg(long, hide = true, value_name = "N")]
    pub interrupt_after: Option<u64>,
}

/// The flags of `gan sample`.
#[derive(Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("output").required(true).multiple(true).args(["out", "grid"])))]
pub struct SampleArgs {
    /// Generator checkpoint: a G.safetensors file, or a run directory holding
    /// one (its G_ema.safetensors when the run kept an average of G, --ema)
    #[arg(long, value_name = "FILE")]
    pub checkpoint: PathBuf,

    /// From a run directory, sample G itself even when the run kept an average
    #[arg(long)]
    pub no_ema: bool,

    /// Number of images to generate
    #[arg(long, allow_negative_numbers = true, default_value_t = 100, value_parser = value_parser!(u64).range(1..=1_000_000))]
    pub count: u64,

    /// Write the images as an IDX file of unsigned bytes (N × H × W, MNIST's
    /// format: 28 × 28, or 64 × 64 for dcgan64; N × C × H × W for a model
    /// trained in colour)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Write the images as a PNG grid, 10 per row (RGB for colour models)
    #[arg(long, value_name = "FILE.png")]
    pub grid: Option<PathBuf>,

    /// Seed of the noise
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Model of the checkpoint, for files without gan metadata (e.g. saved from
    /// PyTorch) [default: read from the checkpoint]
    #[arg(long, value_enum)]
    pub model: Option<ModelKind>,

    /// Where to compute: cpu, or cuda / cuda:N
    #[arg(long, value_parser = parse_device, default_value = "cpu")]
    pub device: Device,

    /// For a class-conditional generator (trained with --conditional): the
    /// class of every image (0, 1, ...), or `all` for rows of ten images per
    /// class, the classes in turn
    #[arg(long, value_name = "K|all")]
    pub class: Option<ClassChoice>,
}

/// The flags of `gan eval`.
#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// IDX file of u8 images (N × 28 × 28, gzipped or not), as `gan sample --out` writes
    #[arg(long, value_name = "FILE")]
    pub samples: PathBuf,

    /// Data set the samples imitate: its classifier and test set are used
    /// (mnist, fashion-mnist or kmnist: there is no classifier for a folder)
    #[arg(long, value_enum, default_value = "mnist")]
    pub dataset: DatasetName,

    /// Directory holding the data set's IDX files [default: as `gan train`]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print the figures as JSON
    #[arg(long)]
    pub json: bool,

    /// No progress messages on stderr
    #[arg(long)]
    pub quiet: bool,
}

impl TrainArgs {
    /// The run these flags ask for: a fresh one's settings are the model's
    /// tutorial settings with the flags given applied.
    pub fn options(&self) -> TrainOptions {
        let start = match &self.resume {
            Some(dir) => Start::Resume {
                dir: dir.clone(),
                flags: ResumeFlags {
                    model: self.model,
                    dataset: self.dataset,
                    batch: self.batch_size.map(|b| b as usize),
                    lr: self.lr,
                    seed: self.seed,
                    limit_batches: self.limit_batches,
                    epochs: self.epochs.map(|e| e as usize),
                    data_dir: self.data_dir.clone(),
                    recipe: self.recipe.recipe(self.model),
                },
            },
            None => Start::Fresh {
                settings: self.fresh_settings(),
                out: self.out.clone(),
                overwrite: self.overwrite,
            },
        };
        TrainOptions {
            start,
            device: self.device,
            channels: self.channels.map(|c| c as usize),
            cache_limit: self
                .cache_limit
                .unwrap_or(datasets::folder::DEFAULT_CACHE_LIMIT),
            eval_every: self.eval_every,
            tensorboard: !self.no_tensorboard,
            quiet: self.quiet,
            interrupt_after: self.interrupt_after,
        }
    }

    fn fresh_settings(&self) -> Settings {
        let model = self.model.unwrap_or(ModelKind::Mlp);
        // `--recipe best` may change more than the step (dcgan28's batch size)
        let mut s = match self.recipe.recipe.as_deref() {
            Some("best") => Settings::best(model),
            _ => Settings::for_model(model),
        };
        if let Some(d) = self.dataset {
            s.dataset = d;
        }
        s.data_dir = self.data_dir.clone();
        s.epochs = self.epochs.map_or(s.epochs, |e| e as usize);
        s.batch = self.batch_size.map_or(s.batch, |b| b as usize);
        s.lr = self.lr.unwrap_or(s.lr);
        s.seed = self.seed.unwrap_or(s.seed);
        s.log_every = self.log_every;
        s.limit_batches = self.limit_batches;
        s.recipe = self.recipe.recipe(self.model).unwrap_or_default();
        s
    }
}

impl SampleArgs {
    /// What `gan sample` is asked to do.
    pub fn options(&self) -> SampleOptions {
        SampleOptions {
            checkpoint: self.checkpoint.clone(),
            no_ema: self.no_ema,
            count: self.count as usize,
            out: self.out.clone(),
            grid: self.grid.clone(),
            seed: self.seed,
            model: self.model,
            device: self.device,
            class: self.class,
        }
    }
}

impl EvalArgs {
    /// What `gan eval` is asked to do; there is no classifier for a folder.
    pub fn options(&self) -> crate::Result<EvalOptions> {
        Ok(EvalOptions {
            samples: self.samples.clone(),
            dataset: self.dataset.kind().ok_or_else(|| {
                crate::Error::usage(
                    "gan eval --dataset folder: the evaluation classifier exists for mnist, fashion-mnist and kmnist only",
                )
            })?,
            data_dir: self.data_dir.clone(),
            cache_dir: None,
            json: self.json,
            quiet: self.quiet,
        })
    }
}
