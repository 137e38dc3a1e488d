"""The PyTorch side of the whole-step parity fixtures: three D+G training
steps of a model of ../shared/reference/models.py, taken as
../shared/reference/bench_torch.py's `train_step_fn` takes them, from the
inputs of step_formula.py, with every result recorded (the tensors to store,
the steps' metadata, and every result whole in float64 for the conditioning
checks of make_step_fixtures.py). Kept apart from the command line so that
both writing the fixtures and `--compare` run the very same steps.

Batch and optimiser: mlp runs at its spec's batch (100) from fresh Adam, as
training starts. dcgan28 runs at batch 16 (not 128) from an Adam that has
taken 10 steps, because at batch 128 from fresh Adam its three steps are
decided by float32 rounding: on 9 of 10 input draws PyTorch disagrees with
itself (float32 vs float64, and 1 vs 2 threads) by 50 to 2000 times the
tolerance by step 3. Two things do it. (1) Fresh Adam's first update is
lr * g / (|g| + eps), a sign: a weight whose gradient is within rounding of 0
(|g| ~ 1e-8 = eps, where the rounding of dcgan28's gradient sums is 1e-8 to
1e-6) moves by up to +-lr depending on the last bits. In one draw
G 3.weight[37692] had g = -4.4e-9 in float32 (one thread), +1.8e-8 (two
threads), +4.9e-9 in float64; that one weight, 1.5e-4 apart after step 1,
moves the next step's gradients by 1 % (setting it to our value made ours
and PyTorch's step 2 agree to 2e-6). A warm Adam (sqrt(v) ~ 3e-3 >> eps)
makes the update a smooth function of g. (2) A ReLU / LeakyReLU input within
rounding of 0 takes the other slope in the backward pass: one term of a
gradient sum changes, by up to 1 % of the tensor. Their number grows with the
batch; at 16 they are rare, and the margin check (make_step_fixtures.py) rejects inputs that
come near one. At batch 16 with the warm start, ours (checked on 12 salts,
conditioning ignored) matched wherever PyTorch's float32 runs matched float64
(9 salts, within 0.03 of the tolerance) and failed exactly where PyTorch did
too (3 salts, all flagged by the margin check).

What the files hold
-------------------
In float32 unless said otherwise:

    init.<G|D>.<key>, batch<s>, z<s>,   `.head` (the first 64 elements, flattened)
    init.opt_<G|D>.<param>.exp_avg(_sq) and `.sums` (float64 [sum, sum of squares])
                                        of the inputs, so that the test can check
                                        that it computes the same inputs, bit for bit
    step<s>.stats                       [d_loss, g_loss, D(x), D(G(z))] after step s
    step<s>.<G|D>.<key>                 every parameter and float buffer after step s
    step<s>.opt_<G|D>.<param>.exp_avg   Adam's state after step s (named as our
    step<s>.opt_<G|D>.<param>.exp_avg_sq  optimisers' `state()` names it)

A result of at most 4096 elements is stored whole under its key; a larger one
as `<key>.every97` (flattened elements 0, 97, 194, ...) and `<key>.sums`
(float64 [sum, sum of squares] of all its elements). The integers go in the
metadata (`params`, JSON): each optimiser's step count after every step (Adam's
`state[p]["step"]`, the same for every parameter), every `num_batches_tracked`,
the batch, the warm start and the salt.
"""
import math
import os
import sys

import torch
import torch.nn as nn

from step_formula import init_weights, normal, uniform

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "..", "shared", "reference")

FULL_MAX = 4096
STRIDE = 97
HEAD = 64
STEPS = 3
# model: (batch, Adam warm start as (steps, exp_avg bound, exp_avg_sq centre) or None)
MODELS = {
    "mlp": (100, None),
    "dcgan28": (16, (10, 1e-3, 1e-6)),
}


def put(out, key, t):
    """`t` whole, or its every-97th elements and float64 sums."""
    t = t.detach()
    if t.numel() <= FULL_MAX:
        out[key] = t.to(torch.float32).contiguous().clone()
    else:
        flat = t.reshape(-1)
        out[key + ".every97"] = flat[::STRIDE].to(torch.float32).contiguous().clone()
        d = flat.double()
        out[key + ".sums"] = torch.stack([d.sum(), (d * d).sum()])


def put_input(out, key, t):
    """An input the test computes itself: its first HEAD elements and float64
    sums, enough to show that the test's formula gives the same bits."""
    flat = t.detach().reshape(-1)
    out[key + ".head"] = flat[:HEAD].to(torch.float32).contiguous().clone()
    d = flat.double()
    out[key + ".sums"] = torch.stack([d.sum(), (d * d).sum()])


def record_state(out, full, meta_step, prefix, G, D, og, od):
    """Step `prefix`'s results: stored (`put`) into `out`, whole into `full`."""
    def keep(key, v):
        put(out, key, v)
        full[key] = v.detach().double().clone()

    for net, mod, opt in (("G", G, og), ("D", D, od)):
        for k, v in mod.state_dict().items():
            if k.endswith("num_batches_tracked"):
                meta_step["num_batches_tracked"][f"{net}.{k}"] = int(v)
            else:
                keep(f"{prefix}.{net}.{k}", v)
        steps = set()
        for pname, p in mod.named_parameters():
            st = opt.state[p]
            keep(f"{prefix}.opt_{net}.{pname}.exp_avg", st["exp_avg"])
            keep(f"{prefix}.opt_{net}.{pname}.exp_avg_sq", st["exp_avg_sq"])
            steps.add(int(st["step"]))
        assert len(steps) == 1, f"{net}: parameters at different Adam steps {steps}"
        meta_step["opt_steps"][net] = steps.pop()


def warm_start(root, net, mod, opt, warm, dtype, tensors):
    """Adam's state as if `steps` steps had been taken, from the formula."""
    steps, m_bound, v_centre = warm
    for pname, p in mod.named_parameters():
        name = f"{root}/opt_{net}/{pname}"
        m = uniform(name + ".exp_avg", p.shape, 0.0, m_bound)
        v = uniform(name + ".exp_avg_sq", p.shape, v_centre, v_centre / 2)
        put_input(tensors, f"init.opt_{net}.{pname}.exp_avg", m)
        put_input(tensors, f"init.opt_{net}.{pname}.exp_avg_sq", v)
        opt.state[p] = {"step": torch.tensor(float(steps)), "exp_avg": m.to(dtype),
                        "exp_avg_sq": v.to(dtype)}


def train(model, salt, dtype, batch, warm):
    """The three steps from the formula's inputs (salt `salt`), computed in
    `dtype` (the inputs are the same float32 values either way). Returns the
    tensors to store, the steps' metadata, every result whole (float64) and
    the smallest |ReLU / LeakyReLU input| / rms(input) seen."""
    sys.path.insert(0, REF)
    from models import build  # noqa: E402

    root = f"{model}/{salt}"
    G, D, spec = build(model)
    assert spec["opt"] == "adam" and spec["loss"] == "bce", spec
    b, latent = batch, spec["latent"]
    init_weights(root, "G", G)
    init_weights(root, "D", D)
    tensors, full = {}, {}
    for net, mod in (("G", G), ("D", D)):
        for k, v in mod.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                put_input(tensors, f"init.{net}.{k}", v)
    G, D = G.to(dtype).train(), D.to(dtype).train()

    kink = [math.inf, ""]

    def watch(name):
        def hook(_m, args):
            x = args[0].detach()
            r = (x.abs().min() / x.pow(2).mean().sqrt()).item()
            if r < kink[0]:
                kink[:] = [r, name]
        return hook

    for net, mod in (("G", G), ("D", D)):
        for mname, m in mod.named_modules():
            if isinstance(m, (nn.ReLU, nn.LeakyReLU)):
                m.register_forward_pre_hook(watch(f"{net} {mname} ({type(m).__name__})"))

    # As bench_torch.py's train_step_fn, with the batch and z given.
    og = torch.optim.Adam(G.parameters(), lr=spec["lr"], betas=spec["betas"])
    od = torch.optim.Adam(D.parameters(), lr=spec["lr"], betas=spec["betas"])
    if warm:
        warm_start(root, "G", G, og, warm, dtype, tensors)
        warm_start(root, "D", D, od, warm, dtype, tensors)
    crit = nn.BCELoss()
    flat = not model.startswith("dcgan")
    ones = torch.full((b, 1), spec["label_smooth"], dtype=dtype)
    zeros = torch.zeros(b, 1, dtype=dtype)
    image = (b, math.prod(spec["image"])) if flat else (b, *spec["image"])
    zshape = (b, latent, 1, 1) if spec["z"] == "normal4d" else (b, latent)
    assert spec["z"] in ("normal", "normal4d"), spec["z"]

    def out(m, x):
        return m(x).view(b, 1)

    steps_meta = []
    for s in range(1, STEPS + 1):
        real = uniform(f"{root}/batch/{s}", image, 0.0, 1.0)
        z = normal(f"{root}/z/{s}", zshape)
        put_input(tensors, f"batch{s}", real)
        put_input(tensors, f"z{s}", z)
        real, z = real.to(dtype), z.to(dtype)

        fake = G(z)
        if flat:
            fake = fake.view(b, -1)
        d_real = out(D, real)
        d_fake = out(D, fake.detach())
        d_loss = crit(d_real, ones) + crit(d_fake, zeros)
        od.zero_grad()
        d_loss.backward()
        od.step()
        g_loss = crit(out(D, fake), torch.ones(b, 1, dtype=dtype))
        og.zero_grad()
        g_loss.backward()
        og.step()

        stats = [d_loss.item(), g_loss.item(), d_real.mean().item(), d_fake.mean().item()]
        tensors[f"step{s}.stats"] = torch.tensor(stats, dtype=torch.float32)
        full[f"step{s}.stats"] = torch.tensor(stats, dtype=torch.float64)
        m = {"step": s, "stats": stats, "opt_steps": {}, "num_batches_tracked": {}}
        record_state(tensors, full, m, f"step{s}", G, D, og, od)
        steps_meta.append(m)
    return spec, tensors, steps_meta, full, tuple(kink)

