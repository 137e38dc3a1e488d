//! The two ways to run a backward pass, as PyTorch's: [`Var::backward`]
//! accumulates into the leaves, [`grad`] returns the gradients of given
//! vars, optionally as vars with a graph of their own (`create_graph`).

use crate::engine::{run, Targets};
use crate::Var;
use tensor::{Error, Result, Tensor};

/// Options of [`grad`], as `torch.autograd.grad`'s keyword arguments.
#[derive(Clone, Copy, Debug, Default)]
pub struct GradOptions {
    /// Record the backward pass, so that the returned gradients are vars
    /// with a graph (through the forward graph's saved values and the
    /// parameters) and can be differentiated again.
    pub create_graph: bool,
    /// Keep the graph for another backward through it; `None` means
    /// "as `create_graph`", PyTorch's default.
    pub retain_graph: Option<bool>,
    /// Return `None` for an input the outputs do not depend on, instead of
    /// an error naming it.
    pub allow_unused: bool,
}

impl GradOptions {
    /// The defaults: first order, graph released, unused inputs an error.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set [`GradOptions::create_graph`].
    pub fn create_graph(mut self, on: bool) -> Self {
        self.create_graph = on;
        self
    }
    /// Set [`GradOptions::retain_graph`].
    pub fn retain_graph(mut self, on: bool) -> Self {
        self.retain_graph = Some(on);
        self
    }
    /// Set [`GradOptions::allow_unused`].
    pub fn allow_unused(mut self, on: bool) -> Self {
        self.allow_unused = on;
        self
    }
}

/// Options of [`Var::backward_with_options`].
#[derive(Clone, Copy, Debug, Default)]
pub struct BackwardOptions {
    /// Keep the graph, so that the same forward can be backpropagated again
    /// (`loss.backward(retain_graph=True)`); without it a second backward
    /// through the graph is an error.
    pub retain_graph: bool,
}

/// Ones of `t`'s shape, dtype and device, for the seed of a backward. On a
/// GPU made once per (device, shape) and shared: every backward of a
/// training step then starts without a host→device copy (which would stage
/// through pinned memory) and without a launch. Sharing is safe: nothing
/// writes into a tensor whose storage another holds (a leaf's gradient is
/// added to in place only when it is its sole owner).
fn ones_like(t: &Tensor) -> Result<Tensor> {
    use std::sync::Mutex;
    type Key = (tensor::Device, tensor::DType, Vec<usize>);
    static CACHE: Mutex<Vec<(Key, Tensor)>> = Mutex::new(Vec::new());
    if !t.device().is_cuda() {
        return Tensor::full(1.0, t.shape(), t.dtype(), t.device());
    }
    let key = (t.device(), t.dtype(), t.shape().to_vec());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, ones)) = cache.iter().find(|(k, _)| *k == key) {
        return Ok(ones.clone());
    }
    let zeros = Tensor::zeros(t.shape(), t.dtype(), t.device())?;
    let ones = kernels::unary(&zeros, kernels::UnaryOp::AddScalar(1.0))?;
    cache.push((key, ones.clone()));
    Ok(ones)
}

/// The seed gradient of `out`: the given one (checked against its shape),
/// or 1 for a one-element output.
fn seed(op: &'static str, out: &Var, given: Option<&Var>) -> Result<Var> {
    match given {
        Some(g) => {
            if g.shape() != out.shape() {
                return Err(Error::shape_detail(
                    op,
                    out.shape(),
                    g.shape(),
                    "the gradient given for an output must have the output's shape",
                ));
            }
            if g.device() != out.device() || g.dtype() != out.dtype() {
                return Err(Error::Autograd(format!(
                    "{op}: the gradient given for an output is {:?} on {}, the output {:?} on {}",
                    g.dtype(),
                    g.device(),
                    out.dtype(),
                    out.device()
                )));
            }
            Ok(g.clone())
        }
        None if out.data().numel() == 1 => Ok(Var::constant(ones_like(out.data())?)),
        None => Err(Error::arg(
            op,
            out.shape(),
            "an output of more than one element needs a gradient given for it",
        )),
    }
}

/// The gradients of `outputs` with respect to `inputs`
/// (`torch.autograd.grad`): one entry per input, accumulated into nothing.
///
/// `grad_outputs` holds the gradient of each output (empty, or `None` for
/// an entry, means 1 for a one-element output); with
/// [`GradOptions::create_graph`] the gradients may themselves require grad
/// (the graph then runs through them too). An input must require grad; an
/// input the outputs do not depend on is an error naming it unless
/// [`GradOptions::allow_unused`], when its entry is `None`. An input the
/// outputs do depend on always gets a tensor (zeros when the rules send it
/// nothing, as PyTorch's zero-valued formulas do).
///
/// ```
/// use autograd::{grad, GradOptions, Tensor, Var};
/// let x = Var::param(Tensor::from_vec(vec![0.5f64, -1.0], &[2])?);
/// // y = Σ x³; dy/dx = 3x² (with a graph), d(Σ dy/dx)/dx = 6x
/// let y = x.pow_scalar(3.0)?.sum_all()?;
/// let dx = grad(&[y], &[x.clone()], &[], GradOptions::new().create_graph(true))?;
/// let dx = dx[0].clone().unwrap();
/// assert_eq!(dx.data().to_vec::<f64>()?, vec![0.75, 3.0]);
/// let ddx = grad(&[dx.sum_all()?], &[x], &[], GradOptions::new())?;
/// assert_eq!(ddx[0].as_ref().unwrap().data().to_vec::<f64>()?, vec![3.0, -6.0]);
/// # Ok::<(), autograd::Error>(())
/// ```
pub fn grad(
    outputs: &[Var],
    inputs: &[Var],
    grad_outputs: &[Option<Var>],
    options: GradOptions,
) -> Result<Vec<Option<Var>>> {
    if outputs.is_empty() {
        return Err(Error::invalid("grad", "needs at least one output"));
    }
    if !grad_outputs.is_empty() && grad_outputs.len() != outputs.len() {
        return Err(Error::invalid(
            "grad",
            format!(
                "{} gradients given for {} outputs",
                grad_outputs.len(),
                outputs.len()
            ),
        ));
    }
    let mut seeds = Vec::with_capacity(outputs.len());
    for (k, out) in outputs.iter().enumerate() {
        if !out.requires_grad() {
            return Err(Error::Autograd(format!(
                "grad: output {k} (shape {:?}) does not require grad: nothing it was computed \
                 from requires grad, or it was computed under no_grad",
                out.shape()
            )));
        }
        let given = grad_outputs.get(k).and_then(Option::as_ref);
        seeds.push((out.clone(), seed("grad", out, given)?));
    }
    for (k, x) in inputs.iter().enumerate() {
        if !x.requires_grad() {
            return Err(Error::Autograd(format!(
                "grad: input {k} (shape {:?}) does not require grad",
                x.shape()
            )));
        }
    }
    let retain = options.retain_graph.unwrap_or(options.create_graph);
    let got = run(seeds, Targets::Vars(inputs), options.create_graph, retain)?;
    inputs
        .iter()
        .enumerate()
        .map(|(k, x)| {
            if let Some(g) = got.grads.get(&x.id()) {
                return Ok(Some(g.clone()));
            }
            if got.reached.contains(&x.id()) {
                return Ok(Some(x.zeros_like()?));
            }
            if options.allow_unused {
                return Ok(None);
            }
            Err(Error::Autograd(format!(
                "grad: input {k} (shape {:?}) is not part of the graph of the outputs; \
                 pass allow_unused to get None for it",
                x.shape()
            )))
        })
        .collect()
}

impl Var {
    /// Backpropagate from a one-element output (seed gradient 1) into the
    /// leaves, releasing the graph.
    pub fn backward(&self) -> Result<()> {
        self.backward_with_options(None, BackwardOptions::default())
    }

    /// Backpropagate an upstream gradient of this var's shape into the
    /// leaves, releasing the graph.
    pub fn backward_with(&self, grad: Tensor) -> Result<()> {
        self.backward_with_options(Some(grad), BackwardOptions::default())
    }

    /// Backpropagate into the leaves: `grad` is the upstream gradient
    /// (`None`: 1, for a one-element output); with
    /// [`BackwardOptions::retain_graph`] the graph stays for another
    /// backward.
    pub fn backward_with_options(
        &self,
        grad: Option<Tensor>,
        options: BackwardOptions,
    ) -> Result<()> {
        if !self.requires_grad() {
            return Err(Error::Autograd(
                "backward on a value that does not require grad".into(),
            ));
        }
        let given = grad.map(Var::constant);
        let seed = seed("backward", self, given.as_ref())?;
        run(
            vec![(self.clone(), seed)],
            Targets::Leaves,
            false,
            options.retain_graph,
        )?;
        Ok(())
    }
}
