"""Whole-step PyTorch parity fixtures: three full D+G training steps of `mlp`
and `dcgan28`, exactly as ../shared/reference/bench_torch.py's `train_step_fn`
takes them, from known weights, batches and z. gan/tests/step_parity.rs starts
our `Gan` from the same weights (and optimiser state), feeds it the same
batches and z through `Gan::train_step_with_z`, and compares after every step.
The recipe cases (step_record.RECIPES: WGAN-GP with 5 critic steps, LSGAN
with two learning rates, hinge with a lazy R1) take the steps of
gan/src/train/recipe_step.rs the same way, WGAN-GP's ε from the formula too;
each writes step_<case>.safetensors.

    /tmp/torch/bin/python tools/make_step_fixtures.py --out tests/fixtures

writes tests/fixtures/step_mlp.safetensors and step_dcgan28.safetensors
(about 20 seconds). Not used by any test at run time (PyTorch is never a test
dependency); the files it writes are committed. When the test fails,

    STEP_PARITY_DUMP=/tmp/d cargo test --release -p gan --test step_parity
    /tmp/torch/bin/python tools/make_step_fixtures.py --compare /tmp/d

compares our whole state after every step with PyTorch's in float32 and in
float64, every element (the test sees every 97th): where ours is far from
both while PyTorch float32 is near float64, the difference is ours.

The parts: step_formula.py (the inputs: a formula, not stored, that the Rust
test computes too), step_record.py (the PyTorch steps, why each model runs at
its batch and optimiser state, and what the files hold) and this file (the
command line, the conditioning checks that choose the salt, and the writing).

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
"""
import argparse
import json
import os

import numpy as np
import torch

from step_record import CASES, FULL_MAX, HEAD, STRIDE, case_of, train

TOL = 1e-4  # the test's tolerance, see tolerance_floor
ACCEPT = 0.1  # every float32 run must stay within this fraction of it of float64
KINK_MARGIN = 1e-6  # smallest |ReLU / LeakyReLU input| / rms(input) allowed
MAX_SALTS = 60


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


def float32_variants(case, salt):
    """The float32 runs that round differently: (label, run)."""
    yield "1 thread", train(case, salt, torch.float32)
    torch.set_num_threads(2)
    try:
        yield "2 threads", train(case, salt, torch.float32)
    finally:
        torch.set_num_threads(1)
    with torch.backends.mkldnn.flags(enabled=False):
        yield "1 thread, no oneDNN", train(case, salt, torch.float32)


def make(case, out_dir, force_salt=None):
    """Write the fixture of `case` from the first salt that passes the
    conditioning checks (module doc), or from `force_salt` whatever they say."""
    model, batch, warm, _, recipe = case_of(case)
    rejected = []
    salts = range(MAX_SALTS) if force_salt is None else [force_salt]
    for salt in salts:
        _, _, _, f64, kink = train(case, salt, torch.float64)
        if kink[0] < KINK_MARGIN:
            why = f"a ReLU / LeakyReLU input {kink[0]:.1e} of its rms from 0, in {kink[1]}"
            print(f"{case} salt {salt}: rejected: {why}")
            rejected.append({"salt": salt, "why": why})
            if force_salt is None:
                continue
        worst, first = (0.0, ""), None
        for label, run in float32_variants(case, salt):
            first = first or run
            ratio, where = worst_deviation(run[3], f64)
            if ratio > worst[0]:
                worst = (ratio, f"float32 ({label}) vs float64 at {where}")
            if ratio > ACCEPT:
                break
        print(f"{case} salt {salt}: worst deviation {worst[0]:.3f} of the tolerance: {worst[1]}; "
              f"kink margin {kink[0]:.1e}")
        if force_salt is not None or worst[0] <= ACCEPT:
            break
        rejected.append({"salt": salt, "why": f"{worst[0]:.3g} of the tolerance: {worst[1]}"})
    else:
        raise SystemExit(f"{case}: no salt below {MAX_SALTS} passes the conditioning checks")
    spec, tensors, steps_meta, _, _ = first
    for m in steps_meta:
        st = m["stats"]
        print(f"{case} step {m['step']}: d_loss {st[0]:.6f} g_loss {st[1]:.6f} "
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
        # as first written (the committed fixtures hold it); the formula is in step_formula.py
        "inputs": "formula (see tools/make_step_fixtures.py): weights, batches and z are not stored",
        "conditioning": {"worst_float32_vs_float64": worst[0], "at": worst[1], "accept": ACCEPT,
                         "kink_margin": kink[0], "kink_margin_min": KINK_MARGIN,
                         "rejected": rejected},
    }
    if recipe:
        # The recipe as gan::train::Recipe::to_json writes it (absent: default).
        params["case"] = case
        params["recipe"] = recipe
    meta = {"op": "train_step", "params": json.dumps(params)}
    path = os.path.join(out_dir, f"step_{case}.safetensors")
    save_sorted(path, tensors, meta)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)")


def compare(dump_dir, fixtures_dir, only):
    """Diagnosis of a failing test: our whole state after every step (as
    `STEP_PARITY_DUMP=DIR cargo test --release -p gan --test step_parity`
    writes it) against PyTorch's in float32 and float64, every element."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    for case in CASES:
        first = os.path.join(dump_dir, f"ours_{case}_step1.safetensors")
        if only and only != case or not os.path.exists(first):
            continue
        with safe_open(os.path.join(fixtures_dir, f"step_{case}.safetensors"), "pt") as f:
            salt = json.loads(f.metadata()["params"])["salt"]
        f32 = train(case, salt, torch.float32)[3]
        f64 = train(case, salt, torch.float64)[3]
        for s in range(1, case_of(case)[3] + 1):
            path = os.path.join(dump_dir, f"ours_{case}_step{s}.safetensors")
            if not os.path.exists(path):
                break
            ours = {f"step{s}.{k}": v.double() for k, v in load_file(path).items()}
            missing = set(k for k in f32 if k.startswith(f"step{s}.") and k != f"step{s}.stats")
            missing -= set(ours)
            assert not missing, f"the dump has no {sorted(missing)}"
            t32 = {k: f32[k] for k in ours}
            t64 = {k: f64[k] for k in ours}
            print(f"{case} step {s} (worst |diff| / tolerance over every element):")
            for label, got, ref in (("ours vs PyTorch float32", ours, t32),
                                    ("ours vs float64", ours, t64),
                                    ("PyTorch float32 vs float64", t32, t64)):
                ratio, where = worst_deviation(got, ref)
                where = where.replace("float32 ", "").replace("float64 ", "vs ")
                print(f"  {label:28s} {ratio:10.3f} at {where}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures")
    ap.add_argument("--only", default="", help="one case of " + ", ".join(CASES))
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
    for case in CASES:
        if not a.only or a.only == case:
            make(case, a.out, a.salt)


if __name__ == "__main__":
    main()
