"""Load a `gan train` run's G.safetensors and D.safetensors into
../shared/reference/models.py's modules with load_state_dict(strict=True), check
that num_batches_tracked is int64 as PyTorch keeps it, and write G's output
for a fixed z in train and eval mode (and D's on it), so that the Rust side
can compare (`--out FILE`, then `cargo run -p gan --release --example
torch_forward_check -- RUN_DIR MODEL FILE`).

A colour run (`gan train --dataset folder`, nc = 3) is read with the same
command: the channels come from the checkpoint's metadata, and dcgan64 is
built as `models._dcgan64(nc)` followed by `dcgan_init`, exactly as
`models.build` does for nc = 1 (models.py's dcgan28 has no nc).

Not used by any test (PyTorch is never a test dependency). Usage:
  /tmp/torch/bin/python tools/torch_load_check.py --model dcgan28 --run runs/dcgan28-1
"""
import argparse, os, sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "reference"))
import models  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    with safe_open(os.path.join(a.run, "G.safetensors"), "pt") as f:
        nc = int((f.metadata() or {}).get("channels", "1"))
    if nc == 1:
        G, D, spec = models.build(a.model)
    elif a.model == "dcgan64":
        G, D, spec = models._dcgan64(nc)
        G.apply(models.dcgan_init)
        D.apply(models.dcgan_init)
    else:
        sys.exit(f"models.py has no {nc}-channel {a.model}")
    print(f"{a.model}, nc = {nc}")
    for name, m in (("G", G), ("D", D)):
        sd = load_file(os.path.join(a.run, f"{name}.safetensors"))
        m.load_state_dict(sd, strict=True)
        for k, v in m.state_dict().items():
            assert v.dtype == sd[k].dtype, (k, v.dtype, sd[k].dtype)
        counts = {k: int(v) for k, v in sd.items() if k.endswith("num_batches_tracked")}
        print(f"{name}: {len(sd)} tensors loaded with strict=True; num_batches_tracked {counts}")
    if a.out:
        n, latent = 16, spec["latent"]
        # A z without any random generator, reproducible anywhere.
        z = torch.sin(torch.arange(n * latent, dtype=torch.float32) * 0.37)
        z = z.view(n, latent, 1, 1) if a.model.startswith("dcgan") else z.view(n, latent)
        out = {"z": z}
        with torch.no_grad():
            G.eval(), D.eval()
            out["g_eval"] = G(z)
            out["d_eval"] = D(out["g_eval"])
            # Train mode differs from eval mode by batchnorm's batch statistics
            # (deterministic) or by dropout (random: nothing to compare).
            if a.model != "mlp-dropout":
                G.train()
                out["g_train"] = G(z)
        save_file({k: v.contiguous() for k, v in out.items()}, a.out)
        print("wrote", a.out)


if __name__ == "__main__":
    main()
