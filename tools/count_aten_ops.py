"""Count the ATen ops PyTorch dispatches for one training step of each model (and one
WGAN-GP penalty step), on the CPU, with torch.profiler: the closest comparison without a
GPU to the kernel launches our step makes on one (tests/tests/cuda_step_counts.rs).

    python3 tools/count_aten_ops.py [--reference ../shared/reference]

The step is bench_torch.py's own (train_step_fn / penalty_fn), warmed up, then profiled
once. Prints, per case: every aten:: call, the top-level ones (called from Python, not from
another ATen op), and the leaves (ATen ops that call no other: roughly what would launch a
kernel on a GPU; on a GPU some leaves launch none, e.g. views, and some several).
"""
import argparse
import os
import sys

import torch
from torch.profiler import ProfilerActivity, profile


def counts(fn):
    for _ in range(3):
        fn()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    events = [e for e in prof.events() if e.name.startswith("aten::")]
    top = [e for e in events if e.cpu_parent is None or not e.cpu_parent.name.startswith("aten::")]
    leaves = [e for e in events if not any(c.name.startswith("aten::") for c in e.cpu_children)]
    return len(events), len(top), len(leaves)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--reference", default=os.path.join(here, "..", "..", "shared", "reference"))
    a = ap.parse_args()
    sys.path.insert(0, a.reference)
    import bench_torch as bt

    torch.set_num_threads(2)
    dev = torch.device("cpu")
    g = torch.Generator().manual_seed(0)
    print(f"torch {torch.__version__}: aten calls per step (all / top-level / leaves)")
    for model in ["mlp", "mlp-small", "mlp-dropout", "dcgan28", "dcgan64"]:
        print(f"train_step/{model}: %d / %d / %d" % counts(bt.train_step_fn(model, dev)))
    print("penalty/gp/mlp: %d / %d / %d" % counts(bt.penalty_fn("mlp", "gp", dev, g)))


if __name__ == "__main__":
    main()
