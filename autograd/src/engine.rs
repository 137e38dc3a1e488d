//! The backward pass: order the graph, keep the part that leads to a wanted
//! gradient, run each node's rule once in reverse topological order and sum
//! the gradients that meet at a var.

use crate::grad_mode::GradModeGuard;
use crate::var::{Ctx, Node, Var};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tensor::{Error, Result};

/// Which gradients a backward pass is for.
pub(crate) enum Targets<'a> {
    /// Every leaf that requires grad, accumulated into it (`backward`).
    Leaves,
    /// These vars, returned and accumulated nowhere (`grad`).
    Vars(&'a [Var]),
}

/// What a pass produced for `Targets::Vars`.
pub(crate) struct Captured {
    /// The gradient of each target (by id) that one reached.
    pub grads: HashMap<usize, Var>,
    /// The ids of the vars the pass saw: a target among them is part of the
    /// outputs' graph even if no gradient reached it.
    pub reached: HashSet<usize>,
}

/// Vars reachable from `roots` through recorded nodes (requiring grad), each
/// after all of its inputs, with a handle on its node as it was found.
/// Iterative, so that deep graphs cannot overflow the stack.
fn topological_order(roots: &[Var]) -> Vec<(Var, Option<Arc<Node>>)> {
    let mut order = Vec::new();
    let mut visited = HashSet::new();
    let mut stack: Vec<(Var, Option<Arc<Node>>, bool)> = roots
        .iter()
        .rev()
        .map(|v| (v.clone(), None, false))
        .collect();
    while let Some((v, node, expanded)) = stack.pop() {
        if expanded {
            order.push((v, node));
            continue;
        }
        if !visited.insert(v.id()) {
            continue;
        }
        let node = v.node();
        let inputs: Vec<Var> = node
            .as_ref()
            .map(|n| {
                n.inputs
                    .iter()
                    .filter(|i| i.requires_grad() && !visited.contains(&i.id()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        stack.push((v, node, true));
        stack.extend(inputs.into_iter().map(|i| (i, None, false)));
    }
    order
}

fn released(v: &Var) -> Error {
    Error::Autograd(format!(
        "a value of shape {:?} was computed by a graph already released by an earlier backward \
         through it; recompute the forward, or pass retain_graph to the first backward",
        v.shape()
    ))
}

/// Add `g` to the gradient collected for `v` (recorded under `create_graph`).
fn add_into(grads: &mut HashMap<usize, Var>, v: &Var, g: Var) -> Result<()> {
    let sum = match grads.remove(&v.id()) {
        Some(prev) => prev.add(&g)?,
        None => g,
    };
    grads.insert(v.id(), sum);
    Ok(())
}

/// Backpropagate the seed gradients (one per root) to `targets`. Rules run
/// with recording on only when `create_graph`; without `retain_graph` each
/// node that ran is released.
pub(crate) fn run(
    seeds: Vec<(Var, Var)>,
    targets: Targets<'_>,
    create_graph: bool,
    retain_graph: bool,
) -> Result<Captured> {
    let _mode = GradModeGuard::set(create_graph);
    let roots: Vec<Var> = seeds.iter().map(|(v, _)| v.clone()).collect();
    let mut order = topological_order(&roots);
    let target_ids: HashSet<usize> = match targets {
        Targets::Leaves => HashSet::new(),
        Targets::Vars(vs) => vs.iter().map(Var::id).collect(),
    };
    // A var is needed when it is a target or one of its inputs is needed:
    // only those nodes run, and a rule is told which inputs to compute.
    let mut needed: HashSet<usize> = HashSet::new();
    for (v, node) in &order {
        let want = match targets {
            Targets::Leaves => true,
            Targets::Vars(_) => {
                target_ids.contains(&v.id())
                    || node
                        .as_ref()
                        .is_some_and(|n| n.inputs.iter().any(|i| needed.contains(&i.id())))
            }
        };
        if want {
            needed.insert(v.id());
        }
    }
    let mut grads: HashMap<usize, Var> = HashMap::new();
    for (v, g) in seeds {
        add_into(&mut grads, &v, g)?;
    }
    let mut captured = HashMap::new();
    for k in (0..order.len()).rev() {
        let v = order[k].0.clone();
        // Taken, so that a released node's memory goes as the pass goes.
        let node = order[k].1.take();
        if !needed.contains(&v.id()) {
            continue;
        }
        let Some(g) = grads.remove(&v.id()) else {
            continue;
        };
        if target_ids.contains(&v.id()) {
            captured.insert(v.id(), g.clone());
        }
        let Some(node) = node else {
            if v.is_leaf() {
                if let Targets::Leaves = targets {
                    v.accumulate(g.data())?;
                }
                continue;
            }
            if target_ids.contains(&v.id()) {
                // Wanted here, and nothing beyond it can be reached.
                continue;
            }
            return Err(released(&v));
        };
        let needs: Vec<bool> = node
            .inputs
            .iter()
            .map(|i| i.requires_grad() && needed.contains(&i.id()))
            .collect();
        if !needs.contains(&true) {
            continue;
        }
        let ctx = Ctx {
            inputs: &node.inputs,
            output: &v,
            grad: &g,
            needs: &needs,
        };
        let input_grads = (node.rule)(&ctx)?;
        if input_grads.len() != node.inputs.len() {
            return Err(Error::Autograd(format!(
                "{}: backward returned {} gradients for {} inputs",
                node.name,
                input_grads.len(),
                node.inputs.len()
            )));
        }
        for ((inp, gi), need) in node.inputs.iter().zip(input_grads).zip(needs) {
            let Some(gi) = gi else { continue };
            if !need {
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
            add_into(&mut grads, inp, gi)?;
        }
        if !retain_graph {
            v.release_node();
        }
    }
    let reached = match targets {
        Targets::Leaves => HashSet::new(),
        Targets::Vars(_) => order.iter().map(|(v, _)| v.id()).collect(),
    };
    Ok(Captured {
        grads: captured,
        reached,
    })
}
