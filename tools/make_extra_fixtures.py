"""PyTorch parity fixtures for the differentiable ops that
../shared/reference/fixtures does not cover, in the same format (see
../shared/reference/make_fixtures.py: op and JSON params in the metadata, the
inputs, "out", "grad_out" and "grad_<input>", computed in float64, stored as
float32). The parity test reads them from tests/fixtures beside the shared ones.

    /tmp/torch/bin/python tools/make_extra_fixtures.py --out tests/fixtures

Not used by any test at run time (PyTorch is never a test dependency); the
files it writes are committed. Inputs are kept away from kinks and poles
(abs and clamp near 0 and their bounds, log/sqrt/pow/div near 0) so that the
gradients there are well defined.
"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file


def save(out_dir, name, op, params, tensors):
    meta = {"op": op, "params": json.dumps(params)}
    tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in tensors.items()}
    save_file(tensors, os.path.join(out_dir, name + ".safetensors"), metadata=meta)


def run(fn, inputs, gen):
    """fn on float64 leaves, backpropagated with a random upstream gradient."""
    leaves = {k: v.double().requires_grad_(True) for k, v in inputs.items()}
    out = fn(**leaves)
    go = torch.randn(out.shape, generator=gen, dtype=torch.float64)
    out.backward(go)
    res = dict(inputs)
    res["out"] = out
    res["grad_out"] = go
    for k, v in leaves.items():
        if v.grad is not None:
            res["grad_" + k] = v.grad
    return res


def make(out_dir, seed):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)
    u = lambda lo, hi, *s: lo + (hi - lo) * torch.rand(*s, generator=g, dtype=torch.float64)

    def away(x, from_=0.0, gap=0.1):
        # push values within `gap` of `from_` out to the gap's edge
        d = x - from_
        return torch.where(d.abs() < gap, from_ + torch.sign(d) * gap + d, x)

    n = 0
    unary = [
        ("neg", {}, lambda x: -x, r(3, 5)),
        ("exp", {}, torch.exp, r(3, 5)),
        ("log", {}, torch.log, u(0.2, 3.0, 3, 5)),
        ("sqrt", {}, torch.sqrt, u(0.2, 3.0, 3, 5)),
        ("abs", {}, torch.abs, away(r(3, 5))),
        ("square", {}, torch.square, r(3, 5)),
        ("pow", {"exponent": 2.5}, lambda x: x.pow(2.5), u(0.2, 2.0, 3, 5)),
        ("clamp", {"min": -0.5, "max": 0.6},
         lambda x: x.clamp(-0.5, 0.6), away(away(r(4, 6), -0.5), 0.6)),
        ("add_scalar", {"value": 3.0}, lambda x: x + 3.0, r(3, 5)),
        ("mul_scalar", {"value": -1.5}, lambda x: x * -1.5, r(3, 5)),
        ("leaky_relu", {"negative_slope": 0.2}, lambda x: torch.nn.functional.leaky_relu(x, 0.2),
         away(r(4, 6))),
        # a transposed (non-contiguous) input through a unary op
        ("exp", {"transposed": True}, lambda x: torch.exp(x.t()), r(4, 3)),
        ("tanh", {"transposed": True}, lambda x: torch.tanh(x.t()), r(5, 2)),
    ]
    counts = {}
    for op, params, fn, x in unary:
        i = counts.get(op, 0)
        counts[op] = i + 1
        save(out_dir, f"extra_{op}_{i}", op, params, run(lambda x: fn(x), dict(x=x), g)); n += 1

    binary = [
        ("sub", lambda a, b: a - b, r(4, 1, 5), r(3, 1)),
        ("div", lambda a, b: a / b, r(2, 3, 4), u(0.5, 2.0, 4) * torch.sign(r(4))),
        ("mul", lambda a, b: a * b, r(3, 4), r(3, 4)),
    ]
    for op, fn, a, b in binary:
        save(out_dir, f"extra_{op}_0", op, {"broadcast": a.shape != b.shape},
             run(fn, dict(a=a, b=b), g)); n += 1
    # the same tensor used twice: gradients accumulate
    save(out_dir, "extra_reuse_0", "reuse", {}, run(lambda x: x * x + x, dict(x=r(3, 4)), g)); n += 1

    # reductions: max (distinct values, so the argmax is unique), whole-tensor sum/mean
    save(out_dir, "extra_max_0", "max", {"dim": 1, "keepdim": False},
         run(lambda x: x.max(1).values, dict(x=r(3, 6, 4)), g)); n += 1
    save(out_dir, "extra_max_1", "max", {"dim": -1, "keepdim": True},
         run(lambda x: x.max(-1, keepdim=True).values, dict(x=r(5, 7)), g)); n += 1
    save(out_dir, "extra_sum_0", "sum", {"dim": -1, "keepdim": True},
         run(lambda x: x.sum(-1, keepdim=True), dict(x=r(2, 3, 4)), g)); n += 1
    save(out_dir, "extra_sum_all_0", "sum_all", {}, run(lambda x: x.sum(), dict(x=r(3, 4)), g)); n += 1
    save(out_dir, "extra_mean_all_0", "mean_all", {}, run(lambda x: x.mean(), dict(x=r(3, 4)), g)); n += 1

    # shape ops (views and copies), each followed by a multiply so that the
    # upstream gradient reaches every element through a non-trivial path
    shape_ops = [
        ("reshape", {"shape": [4, 6]}, lambda x: x.reshape(4, 6), r(2, 3, 4)),
        ("permute", {"dims": [2, 0, 1]}, lambda x: x.permute(2, 0, 1), r(2, 3, 4)),
        ("transpose", {"dim0": 0, "dim1": 2}, lambda x: x.transpose(0, 2), r(2, 3, 4)),
        ("unsqueeze", {"dim": 1}, lambda x: x.unsqueeze(1), r(3, 4)),
        ("squeeze", {"dim": 1}, lambda x: x.squeeze(1), r(3, 1, 4)),
        ("expand", {"shape": [3, 4, 5]}, lambda x: x.expand(3, 4, 5), r(4, 1)),
        ("narrow", {"dim": 1, "start": 1, "length": 2}, lambda x: x.narrow(1, 1, 2), r(3, 5)),
    ]
    for op, params, fn, x in shape_ops:
        save(out_dir, f"extra_{op}_0", op, params, run(fn, dict(x=x), g)); n += 1
    save(out_dir, "extra_cat_0", "cat", {"dim": 1},
         run(lambda a, b: torch.cat([a, b], 1), dict(a=r(3, 2), b=r(3, 4)), g)); n += 1
    save(out_dir, "extra_stack_0", "stack", {"dim": 1},
         run(lambda a, b: torch.stack([a, b], 1), dict(a=r(3, 4), b=r(3, 4)), g)); n += 1

    # dropout in eval mode is the identity (train mode draws from our own
    # stream: its statistics are tested in tests/tests/gradcheck.rs)
    save(out_dir, "extra_dropout_0_eval", "dropout", {"p": 0.3, "training": False},
         run(lambda x: torch.nn.functional.dropout(x, 0.3, training=False), dict(x=r(4, 5)), g)); n += 1

    # batchnorm1d in eval mode: normalised with the running statistics
    x, w, b = r(8, 5), 1 + 0.1 * r(5), 0.1 * r(5)
    rm, rv = 0.1 * r(5), u(0.5, 1.5, 5)
    res = run(lambda x, w, b: torch.nn.functional.batch_norm(
        x, rm, rv, w, b, training=False, momentum=0.1, eps=1e-5), dict(x=x, w=w, b=b), g)
    res |= {"running_mean_in": rm, "running_var_in": rv, "running_mean": rm, "running_var": rv}
    save(out_dir, "extra_batchnorm1d_0_eval", "batchnorm1d",
         {"training": False, "momentum": 0.1, "eps": 1e-5}, res); n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    print(f"wrote {make(a.out, a.seed)} fixtures to {a.out}")


if __name__ == "__main__":
    main()
