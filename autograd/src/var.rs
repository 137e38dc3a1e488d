//! `Var`, the graph, and the backward pass.

use crate::grad_mode::is_grad_enabled;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tensor::{Error, Result, Tensor};

/// Maps the gradient of a node's output to one optional gradient per input.
pub(crate) type BackwardFn = Box<dyn FnOnce(&Tensor) -> Result<Vec<Option<Tensor>>> + Send>;

pub(crate) struct Node {
    name: &'static str,
    inputs: Vec<Var>,
    backward: BackwardFn,
}

struct Inner {
    id: usize,
    data: Tensor,
    requires_grad: bool,
    /// Created by the user, not by an op: gradients accumulate here.
    leaf: bool,
    /// `Some` for a recorded op until backward has run through it.
    node: Mutex<Option<Node>>,
    /// Accumulated gradient, for leaves that require grad.
    grad: Mutex<Option<Tensor>>,
}

/// A tensor in the autograd graph. Cloning shares the same node.
#[derive(Clone)]
pub struct Var(Arc<Inner>);

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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
            node: Mutex::new(node),
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
    /// result is a constant and `backward` is dropped without being kept.
    pub(crate) fn from_op(
        name: &'static str,
        data: Tensor,
        inputs: Vec<Var>,
        backward: impl FnOnce(&Tensor) -> Result<Vec<Option<Tensor>>> + Send + 'static,
    ) -> Var {
        if is_grad_enabled() && inputs.iter().any(|v| v.0.requires_grad) {
            Var::make(
                data,
                true,
                Some(Node {
                    name,
                    inputs,
                    backward: Box::new(backward),
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

    /// Backpropagate from a one-element output (seed gradient 1).
    pub fn backward(&self) -> Result<()> {
        if self.0.data.numel() != 1 {
            return Err(Error::arg(
                "backward",
                self.shape(),
                "needs a one-element output; use backward_with for a given upstream gradient",
            ));
        }
        let seed = Tensor::full(1.0, self.shape(), self.0.data.dtype(), self.0.data.device())?;
        self.backward_with(seed)
    }

    /// Backpropagate an upstream gradient of this var's shape.
    pub fn backward_with(&self, grad: Tensor) -> Result<()> {
        if !self.0.requires_grad {
            return Err(Error::Autograd(
                "backward on a value that does not require grad".into(),
            ));
        }
        if grad.shape() != self.shape() {
            return Err(Error::shape_detail(
                "backward",
                self.shape(),
                grad.shape(),
                "upstream gradient shape differs",
            ));
        }
        let order = self.topological_order();
        let mut grads: HashMap<usize, Tensor> = HashMap::new();
        grads.insert(self.0.id, grad);
        for v in order.iter().rev() {
            let Some(g) = grads.remove(&v.0.id) else {
                continue;
            };
            let node = lock(&v.0.node).take();
            let Some(node) = node else {
                if !v.0.leaf {
                    return Err(Error::Autograd(
                        "the graph was already released by an earlier backward through it; recompute the forward".into(),
                    ));
                }
                v.accumulate(g)?;
                continue;
            };
            let input_grads = (node.backward)(&g)?;
            if input_grads.len() != node.inputs.len() {
                return Err(Error::Autograd(format!(
                    "{}: backward returned {} gradients for {} inputs",
                    node.name,
                    input_grads.len(),
                    node.inputs.len()
                )));
            }
            for (inp, gi) in node.inputs.iter().zip(input_grads) {
                let Some(gi) = gi else { continue };
                if !inp.0.requires_grad {
                    continue;
                }
                if gi.shape() != inp.shape() {
                    return Err(Error::shape_detail(
                        node.name,
                        inp.shape(),
                        gi.shape(),
                        "backward produced a gradient of the wrong shape",
                    ));
                }
                let acc = match grads.remove(&inp.0.id) {
                    Some(prev) => kernels::binary(&prev, &gi, kernels::BinaryOp::Add)?,
                    None => gi,
                };
                grads.insert(inp.0.id, acc);
            }
        }
        Ok(())
    }

    fn accumulate(&self, g: Tensor) -> Result<()> {
        let g = kernels::contiguous(&g)?;
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

    /// Vars reachable through recorded nodes, each after all of its inputs.
    /// Iterative, so that deep graphs cannot overflow the stack.
    fn topological_order(&self) -> Vec<Var> {
        let mut order = Vec::new();
        let mut visited = HashSet::new();
        let mut stack: Vec<(Var, bool)> = vec![(self.clone(), false)];
        while let Some((v, expanded)) = stack.pop() {
            if expanded {
                order.push(v);
                continue;
            }
            if !visited.insert(v.0.id) {
                continue;
            }
            stack.push((v.clone(), true));
            if let Some(node) = lock(&v.0.node).as_ref() {
                for inp in &node.inputs {
                    if inp.0.requires_grad && !visited.contains(&inp.0.id) {
                        stack.push((inp.clone(), false));
                    }
                }
            }
        }
        order
    }
}
