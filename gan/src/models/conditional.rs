//! Class-conditional versions of the Sequential models (`--conditional`).
//!
//! - G joins z with a learned embedding of the class (`nn.Embedding(C, C)`,
//!   N(0, 1) as PyTorch's default), on the feature axis: (B, latent + C), or
//!   (B, 100 + C, 1, 1) for the DCGANs; the tutorial G then takes the wider
//!   input. Concatenation is the common choice for G (Mirza & Osindero 2014,
//!   the PyTorch cGAN examples) and changes nothing else in the network.
//! - D conditions by projection (Miyato & Koyama 2018): with φ(x) the
//!   features before D's last layer (summed over space for the DCGANs) and
//!   ψ that last layer, the raw score is ψ(φ(x)) + ⟨e_y, φ(x)⟩ with e_y a
//!   learned embedding of the class (`nn.Embedding(C, F)`, Xavier-uniform as
//!   the SNGAN projection ports initialise it). Projection rather than
//!   joining the label to D's input: it is the form the conditional
//!   likelihood ratio takes under a log-linear model, it gives the class a
//!   say on the final score without a single extra layer, and it is what
//!   SNGAN and BigGAN use. The probability (BCE) is the sigmoid of that score.
//!
//! The classes come one-hot in `Fwd::labels` ([B, C]); an embedding is then
//! the product one_hot · E, whose gradient Eᵀ-side is one_hotᵀ · g: exactly
//! `nn.Embedding`'s lookup and its scatter-add, and differentiable again for
//! the penalties. State-dict keys: G `label_emb.weight`, `net.<i>.…`; D
//! `net.<i>.…`, `embed.weight` (a PyTorch module with those attribute names
//! loads them with `strict=True`).

use crate::nn::module::{prefixed, Count};
use crate::nn::{Fwd, Module, Sequential};
use autograd::Var;
use rand::Rng;
use tensor::{Device, Error, Result, Tensor};

/// The batch's one-hot classes of `f`, checked against `classes` and `b`.
fn labels<'a>(f: &'a Fwd, classes: usize, b: usize, who: &str) -> Result<&'a Var> {
    let y = f.labels.as_ref().ok_or_else(|| Error::InvalidArgument {
        op: "conditional",
        msg: format!("the class-conditional {who} needs each image's class"),
        shape: vec![b],
    })?;
    if y.shape() != [b, classes] {
        return Err(Error::InvalidArgument {
            op: "conditional",
            msg: format!(
                "{who}: classes of shape {:?} for a batch of {b} over {classes} classes",
                y.shape()
            ),
            shape: y.shape().to_vec(),
        });
    }
    Ok(y)
}

/// One-hot rows of `labels` over `classes` classes, on `device`; an error
/// names a label out of range.
pub fn one_hot(labels: &[u32], classes: usize, device: Device) -> Result<Tensor> {
    let mut v = vec![0f32; labels.len() * classes];
    for (i, &l) in labels.iter().enumerate() {
        let l = l as usize;
        if l >= classes {
            return Err(Error::InvalidArgument {
                op: "one_hot",
                msg: format!("label {l} of image {i} is not below {classes} classes"),
                shape: vec![labels.len()],
            });
        }
        v[i * classes + l] = 1.0;
    }
    Tensor::from_vec(v, &[labels.len(), classes])?.to_device(device)
}

/// G with a class embedding joined to z.
pub struct ConditionalG {
    /// [C, C]: class → embedding.
    pub label_emb: Var,
    /// The tutorial G, taking latent + C inputs.
    pub net: Box<dyn Module>,
}

impl ConditionalG {
    /// `net` (built for latent + `classes` inputs) with a fresh embedding.
    pub fn new<R: Rng + ?Sized>(classes: usize, net: Box<dyn Module>, rng: &mut R) -> Result<Self> {
        Ok(ConditionalG {
            label_emb: Var::param(Tensor::randn(&[classes, classes], 0.0, 1.0, rng)?),
            net,
        })
    }
    fn classes(&self) -> usize {
        self.label_emb.shape()[0]
    }
}

impl Module for ConditionalG {
    fn forward(&self, z: &Var, f: &mut Fwd) -> Result<Var> {
        let b = z.shape()[0];
        let c = self.classes();
        let y = labels(f, c, b, "G")?.clone();
        // [B, C] · [C, C] → [B, C]
        let e = y.matmul(&f.param(&self.label_emb))?;
        let e = match z.shape().len() {
            4 => e.reshape(&[b, c, 1, 1])?,
            _ => e,
        };
        let h = Var::cat(&[z.clone(), e], 1)?;
        self.net.forward(&h, f)
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        let mut v = vec![("label_emb.weight".to_string(), self.label_emb.clone())];
        v.extend(prefixed("net", self.net.named_parameters()));
        v
    }
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        prefixed("net", self.net.named_buffers())
    }
    fn named_counts(&self) -> Vec<(String, Count)> {
        prefixed("net", self.net.named_counts())
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        crate::nn::module::param_to_device(&mut self.label_emb, device)?;
        self.net.to_device(device)
    }
    fn set_training(&mut self, train: bool) {
        self.net.set_training(train)
    }
    fn training(&self) -> bool {
        self.net.training()
    }
}

/// D with a projection of the class embedding onto its last features.
pub struct ConditionalD {
    /// The tutorial D: body, head (its last linear or conv layer), sigmoid.
    pub net: Sequential,
    /// [C, F]: class → projection vector over the F features.
    pub embed: Var,
}

impl ConditionalD {
    /// `net` (a tutorial D ending in its head and a sigmoid, whose head takes
    /// `features` channels) with a fresh projection.
    pub fn new<R: Rng + ?Sized>(
        classes: usize,
        features: usize,
        net: Sequential,
        rng: &mut R,
    ) -> Result<Self> {
        if net.len() < 3 {
            return Err(Error::InvalidArgument {
                op: "conditional",
                msg: "D needs a body, a head and a sigmoid".to_string(),
                shape: vec![net.len()],
            });
        }
        let bound = (6.0 / (classes + features) as f32).sqrt();
        Ok(ConditionalD {
            net,
            embed: Var::param(Tensor::rand_uniform(
                &[classes, features],
                -bound,
                bound,
                rng,
            )?),
        })
    }
}

impl Module for ConditionalD {
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        self.forward_raw(x, f)?.sigmoid()
    }
    /// ψ(φ(x)) + ⟨e_y, φ(x)⟩, shape [B, 1].
    fn forward_raw(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let b = x.shape()[0];
        let (classes, features) = (self.embed.shape()[0], self.embed.shape()[1]);
        let y = labels(f, classes, b, "D")?.clone();
        let n = self.net.len();
        let h = self.net.forward_range(x, f, 0..n - 2)?;
        let head = self.net.layer(n - 2).expect("checked in new");
        let score = head.forward(&h, f)?.reshape(&[b, 1])?;
        // φ(x): [B, F], summed over space for a conv body.
        let phi = match h.shape().len() {
            4 => h.sum(&[2, 3], false)?,
            _ => h,
        };
        if phi.shape() != [b, features] {
            return Err(Error::InvalidArgument {
                op: "conditional",
                msg: format!(
                    "D's features are {:?}, the projection takes {features}",
                    phi.shape()
                ),
                shape: phi.shape().to_vec(),
            });
        }
        // [B, C] · [C, F] → [B, F]
        let e = y.matmul(&f.param(&self.embed))?;
        let projection = e.mul(&phi)?.sum(&[1], true)?;
        score.add(&projection)
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        let mut v = prefixed("net", self.net.named_parameters());
        v.push(("embed.weight".to_string(), self.embed.clone()));
        v
    }
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        prefixed("net", self.net.named_buffers())
    }
    fn named_counts(&self) -> Vec<(String, Count)> {
        prefixed("net", self.net.named_counts())
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        crate::nn::module::param_to_device(&mut self.embed, device)?;
        self.net.to_device(device)
    }
    /// The network's Linear and Conv2d weights; the projection embedding
    /// stays as it is (a lookup table, not a layer of D's stack).
    fn apply_spectral_norm(&mut self, rng: &mut dyn rand::RngCore) -> Result<()> {
        self.net.apply_spectral_norm(rng)
    }
    fn set_training(&mut self, train: bool) {
        self.net.set_training(train)
    }
    fn training(&self) -> bool {
        self.net.training()
    }
}
