"""Whole-step PyTorch parity fixtures: three full D+G training steps of `mlp`
and `dcgan28`, exactly as ../shared/reference/bench_torch.py's `train_step_fn`
takes them, from known weights, batches and z. gan/tests/step_parity.rs starts
our `Gan` from the same weights (and optimiser state), feeds it the same
batches and z through `Gan::train_step_with_z`, and compares after every step.

    /tmp/torch/bin/python tools/make_step_fixtures.py --out tests/fixtures

writes tests/fixtures/step_mlp.safetensors and step_dcgan28.safetensors
(about 20 seconds). Not used by any test at run time (PyTorch is never a test
dependency); the files it writes are committed. When the test fails,

    STEP_PARITY_DUMP=/tmp/d cargo test --release -p gan --test step_parity
    /tmp/torch/bin/python tools/make_step_fixtures.py --compare /tmp/d

compares our whole state after every step with PyTorch's in float32 and in
float64, every element (the test sees every 97th): where ours is far from
both while PyTorch float32 is near float64, the difference is ours.

Inputs: a formula, not stored
-----------------------------
The initial weights, the batches, z and a warm Adam's state are not in the
files: this script and the Rust test both compute them from one formula, exact
in both languages (integer arithmetic, then +, -, *, / and sqrt in float64,
which IEEE 754 rounds the same everywhere, then one rounding to float32):

    fnv1a(s)  = 32-bit FNV-1a of the UTF-8 bytes of s
    mix32(x)  = x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b;
                x ^= x >> 16                          (all mod 2^32)
    unit(s, i) = (mix32(mix32(fnv1a(s)) ^ i) >> 8) / 2^24        in [0, 1)
    uniform(s, i, centre, bound) = f32(centre + bound * (2 * unit(s, i) - 1))
    normal(s, i) = f32((unit(s+"#0", i) + ... + unit(s+"#3", i) - 2) * sqrt(3))
                   (a sum of four uniforms: mean 0, variance 1, within +-3.47)

with i the index into the flattened (row-major) tensor and s a name under the
root "<model>/<salt>" (the salt: below): "<root>/<G|D>/<state_dict key>" for
weights, "<root>/batch/<step>" and "<root>/z/<step>" for the inputs of steps
1, 2, 3, "<root>/opt_<G|D>/<param>.exp_avg" / ".exp_avg_sq" for a warm Adam:

    Linear weight [out, in] and bias    uniform, centre 0, bound 1/sqrt(in)
                                        (PyTorch's default init has the same bound)
    Conv / ConvTranspose weight         uniform, centre 0, bound 0.02*sqrt(3)
                                        (std 0.02, as models.py's dcgan_init)
    BatchNorm weight / bias             uniform, centre 1 / 0, bound 0.02*sqrt(3)
    BatchNorm running_mean / _var       0 / 1, num_batches_tracked 0 (fresh)
    batch (values in [-1, 1])           uniform, centre 0, bound 1
    z                                   normal
    warm Adam exp_avg / exp_avg_sq      uniform, centre 0 / c, bound m / c/2,
                                        `step` = k, with (k, m, c) from MODELS

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
batch; at 16 they are rare, and the margin check below rejects inputs that
come near one. At batch 16 with the warm start, ours (checked on 12 salts,
conditioning ignored) matched wherever PyTorch's float32 runs matched float64
(9 salts, within 0.03 of the tolerance) and failed exactly where PyTorch did
too (3 salts, all flagged by the margin check).

The salt: conditioning checks
-----------------------------
A fixture is only worth asserting if it is a property of the training and not
of PyTorch's rounding. For salt 0, 1, ... the script runs the three steps in
float64 (from the same float32 inputs: the exact answer) and three times in
float32 with different rounding (one thread; two threads, which split
PyTorch's sums otherwise; one thread without oneDNN, another convolution
algorithm), and takes the first salt where (a) every float32 run is within
ACCEPT (1/10) of the test's tolerance of float64 on every element of every
result of every step, and (b) no ReLU / LeakyReLU input of any forward pass is
within KINK_MARGIN (1e-6, about 10 times float32's rounding there) of 0,
relative to that input's rms. The first float32 run is stored; the metadata
names the salt, the worst float32-vs-float64 deviation and the salts rejected
and why.

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
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "..", "shared", "reference")

FULL_MAX = 4096
STRIDE = 97
HEAD = 64
STEPS = 3
TOL = 1e-4  # the test's tolerance, see tolerance_floor
ACCEPT = 0.1  # every float32 run must stay within this fraction of it of float64
KINK_MARGIN = 1e-6  # smallest |ReLU / LeakyReLU input| / rms(input) allowed
MAX_SALTS = 60
# model: (batch, Adam warm start as (steps, exp_avg bound, exp_avg_sq centre) or None)
MODELS = {
    "mlp": (100, None),
    "dcgan28": (16, (10, 1e-3, 1e-6)),
}
DCGAN_BOUND = 0.02 * math.sqrt(3.0)


def fnv1a(s):
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def mix32(x):
    """lowbias32 (Chris Wellons) on uint32 numpy arrays or Python ints."""
    if isinstance(x, int):
        return int(mix32(np.array([x], dtype=np.uint32))[0])
    x = x.astype(np.uint32)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint32(16)
        x *= np.uint32(0x7FEB352D)
        x ^= x >> np.uint32(15)
        x *= np.uint32(0x846CA68B)
        x ^= x >> np.uint32(16)
    return x


def unit(name, n):
    """float64 values k / 2^24 in [0, 1), one per flattened index."""
    key = np.uint32(mix32(fnv1a(name)))
    h = mix32(np.arange(n, dtype=np.uint32) ^ key)
    return (h >> np.uint32(8)).astype(np.float64) / 16777216.0


def uniform(name, shape, centre, bound):
    n = math.prod(shape)
    v = centre + bound * (2.0 * unit(name, n) - 1.0)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def normal(name, shape):
    n = math.prod(shape)
    s = unit(name + "#0", n) + unit(name + "#1", n) + unit(name + "#2", n) + unit(name + "#3", n)
    v = (s - 2.0) * math.sqrt(3.0)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def init_weights(model, net, module):
    """Overwrite every parameter and buffer of `module` by the formula."""
    for mname, m in module.named_modules():
        prefix = f"{model}/{net}/{mname}."
        if isinstance(m, nn.Linear):
            bound = 1.0 / math.sqrt(m.in_features)
            m.weight.data.copy_(uniform(prefix + "weight", m.weight.shape, 0.0, bound))
            if m.bias is not None:
                m.bias.data.copy_(uniform(prefix + "bias", m.bias.shape, 0.0, bound))
        elif isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            assert m.bias is None, "the DCGANs' convolutions have no bias"
            m.weight.data.copy_(uniform(prefix + "weight", m.weight.shape, 0.0, DCGAN_BOUND))
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.data.copy_(uniform(prefix + "weight", m.weight.shape, 1.0, DCGAN_BOUND))
            m.bias.data.copy_(uniform(prefix + "bias", m.bias.shape, 0.0, DCGAN_BOUND))
            m.reset_running_stats()
        elif len(list(m.children())) == 0:
            assert not list(m.parameters(recurse=False)), f"unhandled layer {mname}: {m}"
    # every state_dict entry must have been set by a rule above
    for k, v in module.state_dict().items():
        assert torch.isfinite(v.double()).all(), k


def save_sorted(path, tensors, metadata):
    """A safetensors file with its header in one order, so that the same
    fixture is the same bytes (safetensors.torch.save_file orders the
    metadata as a hash map does): metadata first, then the float64 tensors
    and the float32 ones, each by name (every offset aligned to its dtype;
    the header padded with spaces to 8 bytes, as the format allows)."""
    dtypes = {torch.float64: "F64", torch.float32: "F32"}
    order = sorted(tensors, key=lambda k: (tensors[k].dtype != torch.float64, k))
    header, blobs, offset = {"__metadata__": dict(sorted(metadata.items()))}, [], 0
    for k in order:
        t = tensors[k].contiguous()
        b = t.numpy().tobytes()
        header[k] = {"dtype": dtypes[t.dtype], "shape": list(t.shape),
                     "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)


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


def tolerance_floor(key, ref):
    """The test's floor (gan/tests/step_parity.rs): 1, or for Adam's moments
    the largest |value| the fixture stores of that tensor."""
    if ".opt_" not in key:
        return 1.0
    flat = ref.reshape(-1)
    stored = flat if flat.numel() <= FULL_MAX else flat[::STRIDE]
    return max(stored.abs().max().item(), float(np.finfo(np.float32).tiny))


def worst_deviation(got, ref):
    """Largest |got - ref| / (TOL * max(floor, |ref|)) over every element of
    every result, with where it is."""
    worst = (0.0, "")
    for key, r in ref.items():
        d = (got[key] - r).abs() / (TOL * torch.clamp(r.abs(), min=tolerance_floor(key, r)))
        d = d.reshape(-1)
        i = int(d.argmax())
        if d[i].item() > worst[0]:
            worst = (d[i].item(), f"{key} element {i}: float32 {got[key].reshape(-1)[i].item():.8e}, "
                                  f"float64 {r.reshape(-1)[i].item():.8e}")
    return worst


def float32_variants(model, salt, batch, warm):
    """The float32 runs that round differently: (label, run)."""
    yield "1 thread", train(model, salt, torch.float32, batch, warm)
    torch.set_num_threads(2)
    try:
        yield "2 threads", train(model, salt, torch.float32, batch, warm)
    finally:
        torch.set_num_threads(1)
    with torch.backends.mkldnn.flags(enabled=False):
        yield "1 thread, no oneDNN", train(model, salt, torch.float32, batch, warm)


def make(model, out_dir, force_salt=None):
    """Write the fixture of `model` from the first salt that passes the
    conditioning checks (module doc), or from `force_salt` whatever they say."""
    batch, warm = MODELS[model]
    rejected = []
    salts = range(MAX_SALTS) if force_salt is None else [force_salt]
    for salt in salts:
        _, _, _, f64, kink = train(model, salt, torch.float64, batch, warm)
        if kink[0] < KINK_MARGIN:
            why = f"a ReLU / LeakyReLU input {kink[0]:.1e} of its rms from 0, in {kink[1]}"
            print(f"{model} salt {salt}: rejected: {why}")
            rejected.append({"salt": salt, "why": why})
            if force_salt is None:
                continue
        worst, first = (0.0, ""), None
        for label, run in float32_variants(model, salt, batch, warm):
            first = first or run
            ratio, where = worst_deviation(run[3], f64)
            if ratio > worst[0]:
                worst = (ratio, f"float32 ({label}) vs float64 at {where}")
            if ratio > ACCEPT:
                break
        print(f"{model} salt {salt}: worst deviation {worst[0]:.3f} of the tolerance: {worst[1]}; "
              f"kink margin {kink[0]:.1e}")
        if force_salt is not None or worst[0] <= ACCEPT:
            break
        rejected.append({"salt": salt, "why": f"{worst[0]:.3g} of the tolerance: {worst[1]}"})
    else:
        raise SystemExit(f"{model}: no salt below {MAX_SALTS} passes the conditioning checks")
    spec, tensors, steps_meta, _, _ = first
    for m in steps_meta:
        st = m["stats"]
        print(f"{model} step {m['step']}: d_loss {st[0]:.6f} g_loss {st[1]:.6f} "
              f"D(x) {st[2]:.6f} D(G(z)) {st[3]:.6f}")

    params = {
        "model": model,
        "salt": salt,
        "batch": batch,
        "warm": None if warm is None else
        {"steps": warm[0], "exp_avg_bound": warm[1], "exp_avg_sq_centre": warm[2]},
        "steps": steps_meta,
        "lr": spec["lr"],
        "betas": list(spec["betas"]),
        "label_smooth": spec["label_smooth"],
        "full_max": FULL_MAX,
        "head": HEAD,
        "stride": STRIDE,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "inputs": "formula (see tools/make_step_fixtures.py): weights, batches and z are not stored",
        "conditioning": {"worst_float32_vs_float64": worst[0], "at": worst[1], "accept": ACCEPT,
                         "kink_margin": kink[0], "kink_margin_min": KINK_MARGIN,
                         "rejected": rejected},
    }
    meta = {"op": "train_step", "params": json.dumps(params)}
    path = os.path.join(out_dir, f"step_{model}.safetensors")
    save_sorted(path, tensors, meta)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)")


def compare(dump_dir, fixtures_dir, only):
    """Diagnosis of a failing test: our whole state after every step (as
    `STEP_PARITY_DUMP=DIR cargo test --release -p gan --test step_parity`
    writes it) against PyTorch's in float32 and float64, every element."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    for model, (batch, warm) in MODELS.items():
        first = os.path.join(dump_dir, f"ours_{model}_step1.safetensors")
        if only and only != model or not os.path.exists(first):
            continue
        with safe_open(os.path.join(fixtures_dir, f"step_{model}.safetensors"), "pt") as f:
            salt = json.loads(f.metadata()["params"])["salt"]
        f32 = train(model, salt, torch.float32, batch, warm)[3]
        f64 = train(model, salt, torch.float64, batch, warm)[3]
        for s in range(1, STEPS + 1):
            path = os.path.join(dump_dir, f"ours_{model}_step{s}.safetensors")
            if not os.path.exists(path):
                break
            ours = {f"step{s}.{k}": v.double() for k, v in load_file(path).items()}
            missing = set(k for k in f32 if k.startswith(f"step{s}.") and k != f"step{s}.stats")
            missing -= set(ours)
            assert not missing, f"the dump has no {sorted(missing)}"
            t32 = {k: f32[k] for k in ours}
            t64 = {k: f64[k] for k in ours}
            print(f"{model} step {s} (worst |diff| / tolerance over every element):")
            for label, got, ref in (("ours vs PyTorch float32", ours, t32),
                                    ("ours vs float64", ours, t64),
                                    ("PyTorch float32 vs float64", t32, t64)):
                ratio, where = worst_deviation(got, ref)
                where = where.replace("float32 ", "").replace("float64 ", "vs ")
                print(f"  {label:28s} {ratio:10.3f} at {where}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures")
    ap.add_argument("--only", default="", help="one model of " + ", ".join(MODELS))
    ap.add_argument("--salt", type=int, default=None,
                    help="use this salt even if it fails the conditioning checks (to study them)")
    ap.add_argument("--compare", default="", metavar="DIR",
                    help="compare the test's STEP_PARITY_DUMP=DIR files instead (reads --out)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)  # nothing here draws from it; set for completeness
    if a.compare:
        compare(a.compare, a.out, a.only)
        return
    os.makedirs(a.out, exist_ok=True)
    for model in MODELS:
        if not a.only or a.only == model:
            make(model, a.out, a.salt)


if __name__ == "__main__":
    main()
