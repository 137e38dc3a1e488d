//! The pictures of a run: `real_images.png` (the first 100 training images of
//! a fresh run) and, after every epoch, `samples_epoch_NNN.png`: G's images of
//! one fixed noise batch, so that the grids show the same z epoch after epoch.

use super::Observer;
use crate::data::DataSource;
use crate::error::Result;
use crate::io::grid;
use crate::train::noise::{sample_z, stream_rng, FIXED_NOISE};
use crate::train::trainer::Trainer;
use rand::rngs::StdRng;
use std::path::{Path, PathBuf};
use tensor::Tensor;

/// Images in the grids (10 × 10).
pub const GRID_COUNT: usize = 100;
/// The grid of real training images.
pub const REAL_FILE: &str = "real_images.png";

/// The sample grid after `epoch` (1-based) epochs.
pub fn grid_file(epoch: usize) -> String {
    format!("samples_epoch_{epoch:03}.png")
}

/// Draws the sample grid of every epoch.
pub struct Grids {
    dir: PathBuf,
    fixed_z: Tensor,
    rng: StdRng,
}

impl Grids {
    /// Grids into `dir`; a fresh run's real images are drawn now.
    pub fn open(dir: &Path, fresh: bool, data: &DataSource, t: &Trainer) -> Result<Grids> {
        let spec = &t.gan().spec;
        if fresh {
            let real = data.first_images(GRID_COUNT)?;
            grid::save_grid_c(
                &dir.join(REAL_FILE),
                &real.to_vec_f32()?,
                real.shape()[0],
                spec.image,
                10,
            )?;
        }
        let mut rng = stream_rng(t.settings().seed, FIXED_NOISE);
        // Drawn on the CPU on every device, so that the grids of a CPU and a
        // GPU run show the same z; uploaded once.
        let fixed_z = sample_z(spec.z, GRID_COUNT, spec.latent, &mut rng)?.to_device(t.device())?;
        Ok(Grids {
            dir: dir.to_path_buf(),
            fixed_z,
            rng,
        })
    }
}

impl Observer for Grids {
    fn epoch_end(&mut self, t: &mut Trainer, _notes: &mut Vec<String>) -> Result<()> {
        let epoch = t.position().epoch;
        let image = t.gan().spec.image;
        let imgs = t.gan_mut().generate(&self.fixed_z, &mut self.rng)?;
        grid::save_grid_c(
            &self.dir.join(grid_file(epoch)),
            &imgs.to_vec_f32()?,
            GRID_COUNT,
            image,
            10,
        )
    }
}
