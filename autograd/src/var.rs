//! `Var`, its graph node, and what a backward rule sees.

use crate::grad_mode::is_grad_enabled;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tensor::{DType, Device, Result, Tensor};

/// What a backward rule is given: the node's inputs and output (as the vars
/// of the forward graph, so that a recorded rule differentiates through
/// them), the gradient of the output, and which inputs need a gradient.
pub(crate) struct Ctx<'a> {
    /// The op's inputs, in the order the op recorded them.
    pub inputs: &'a [Var],
    /// The op's result (rules that use the output, as tanh's, read it here:
    /// a node never holds its own output, which would be a cycle).
    pub output: &'a Var,
    /// The gradient of the output: a constant when only first-order
    /// gradients are wanted, a var with a graph of its own under
    /// `create_graph`.
    pub grad: &'a Var,
    /// Per input: whether this backward needs its gradient (it requires
    /// grad and leads to a wanted gradient); the rule may return `None`
    /// for the others.
    pub needs: &'a [bool],
}

impl Ctx<'_> {
    /// Input `i`.
    pub fn input(&self, i: usize) -> &Var {
        &self.inputs[i]
    }
    /// Whether input `i`'s gradient is needed.
    pub fn need(&self, i: usize) -> bool {
        self.needs.get(i).copied().unwrap_or(false)
    }
}

/// A backward rule: the gradient of a node's output mapped to one optional
/// gradient per input, written with `Var` ops. The engine runs it under
/// `no_grad` for first-order gradients (the ops then call their kernels and
/// record nothing) and with recording on under `create_graph` (the same ops
/// then build the gradient's own graph). `Fn`, not `FnOnce`: with
/// `retain_graph` a node runs more than once.
pub(crate) type Rule = Box<dyn Fn(&Ctx<'_>) -> Result<Vec<Option<Var>>> + Send + Sync>;

/// A recorded op: its name (for errors), its inputs and its backward rule.
pub(crate) struct Node {
    pub name: &'static str,
    pub inputs: Vec<Var>,
    pub rule: Rule,
}

pub(crate) struct Inner {
    id: usize,
    data: Tensor,
    requires_grad: bool,
    /// Created by the user, not by an op: gradients accumulate here.
    leaf: bool,
    /// `Some` for a recorded op until a backward without `retain_graph`
    /// has run through it.
    pub(crate) node: Mutex<Option<Arc<Node>>>,
    /// Accumulated gradient, for leaves that require grad.
    grad: Mutex<Option<Tensor>>,
}

/// A tensor in the autograd graph. Cloning shares the same node.
#[derive(Clone)]
pub struct Var(pub(crate) Arc<Inner>);

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Var(id={}, shape={:?}, requires_grad={})",
            self.0.id,
            self.shape(),
            self.0.requires_grad
        )
    }
}

impl Var {
    fn make(data: Tensor, requires_grad: bool, node: Option<Node>) -> Var {
        Var(Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            data,
            requires_grad,
            leaf: node.is_none(),
            node: Mutex::new(node.map(Arc::new)),
            grad: Mutex::new(None),
        }))
    }

    /// A constant: no gradient flows into it.
    pub fn constant(data: Tensor) -> Var {
        Var::make(data, false, None)
    }

    /// A leaf that collects gradients (a parameter).
    pub fn param(data: Tensor) -> Var {
        Var::make(data, true, None)
    }

    /// Record an op. When grad mode is off or no input needs a gradient, the
    /// result is a constant and `rule` is dropped without being kept.
    pub(crate) fn from_op(
        name: &'static str,
        data: Tensor,
        inputs: Vec<Var>,
        rule: impl Fn(&Ctx<'_>) -> Result<Vec<Option<Var>>> + Send + Sync + 'static,
    ) -> Var {
        if is_grad_enabled() && inputs.iter().any(|v| v.0.requires_grad) {
            Var::make(
                data,
                true,
                Some(Node {
                    name,
                    inputs,
                    rule: Box::new(rule),
                }),
            )
        } else {
            Var::constant(data)
        }
    }

    /// The value (forward result) of this var.
    pub fn data(&self) -> &Tensor {
        &self.0.data
    }
    /// The shape of the value.
    pub fn shape(&self) -> &[usize] {
        self.0.data.shape()
    }
    /// The element type of the value.
    pub fn dtype(&self) -> DType {
        self.0.data.dtype()
    }
    /// The device the value lives on.
    pub fn device(&self) -> Device {
        self.0.data.device()
    }
    /// Whether gradients flow into this var: a parameter, or an op result
    /// recorded from one while grad mode was on.
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }
    /// Whether the user made this var ([`Var::param`], [`Var::constant`],
    /// [`Var::detach`]) rather than an op: only leaves keep a gradient after
    /// `backward`.
    pub fn is_leaf(&self) -> bool {
        self.0.leaf
    }
    /// A number unique to this var in the process (clones share it), for
    /// keying vars in maps.
    pub fn id(&self) -> usize {
        self.0.id
    }
    /// The accumulated gradient of a leaf (`None` before any backward).
    pub fn grad(&self) -> Option<Tensor> {
        lock(&self.0.grad).clone()
    }
    /// Drop the accumulated gradient (the next backward starts from none,
    /// as `optimizer.zero_grad(set_to_none=True)`).
    pub fn zero_grad(&self) {
        *lock(&self.0.grad) = None;
    }
    /// Replace the accumulated gradient (the optimiser tests feed given
    /// gradients this way); `g` should have this var's shape.
    pub fn set_grad(&self, g: Option<Tensor>) {
        *lock(&self.0.grad) = g;
    }
    /// The same data, cut from the graph.
    pub fn detach(&self) -> Var {
        Var::constant(self.0.data.clone())
    }
    /// The value of a one-element var.
    pub fn item(&self) -> Result<f64> {
        self.0.data.item()
    }
    /// A constant of zeros with this var's shape, dtype and device.
    pub fn zeros_like(&self) -> Result<Var> {
        Ok(Var::constant(Tensor::zeros(
            self.shape(),
            self.dtype(),
            self.device(),
        )?))
    }

    /// The recorded node, if any (a clone of the handle: the lock is not
    /// held while a rule runs).
    pub(crate) fn node(&self) -> Option<Arc<Node>> {
        lock(&self.0.node).clone()
    }

    /// Drop the node, and with it the rule and the inputs it kept alive.
    pub(crate) fn release_node(&self) {
        *lock(&self.0.node) = None;
    }

    /// Add `g` into a leaf's accumulated gradient.
    pub(crate) fn accumulate(&self, g: &Tensor) -> Result<()> {
        let g = kernels::contiguous(g)?;
        let mut slot = lock(&self.0.grad);
        *slot = Some(match slot.take() {
            // In place when `prev` is ours alone (nobody holds a `grad()`
            // clone or a view of it), as PyTorch's `grad += g`.
            Some(prev) if kernels::add_assign(&prev, &g)? => prev,
            Some(prev) => kernels::binary(&prev, &g, kernels::BinaryOp::Add)?,
            None => g,
        });
        Ok(())
    }
}
