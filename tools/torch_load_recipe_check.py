"""Load a recipe run's checkpoints into PyTorch with load_state_dict(strict=True):
G.safetensors and G_ema.safetensors into models.py's G (the conditional one:
step_record.CondG), D.safetensors into models.py's D after
torch.nn.utils.parametrizations.spectral_norm on its Linear and Conv2d layers
when the run used --spectral-norm (step_record.CondD when conditional;
dcgan28-nobn's D as gan/src/models/dcgan28.rs writes it). Then one forward
of each in eval mode, to show the modules run. What the file's keys say
decides the wrapping: parametrizations.* for spectral norm, label_emb.weight
for a conditional G.

Not used by any test (PyTorch is never a test dependency). Usage:
  /tmp/torch/bin/python tools/torch_load_recipe_check.py --model mlp --run runs/mlp-1
"""
import argparse, os, sys

import torch
import torch.nn as nn
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "reference"))
sys.path.insert(0, HERE)
import models  # noqa: E402
from step_record import conditional_pair  # noqa: E402


def nobn_critic():
    """dcgan28-nobn's D (gan/src/models/dcgan28.rs: critic_without_batch_norm)."""
    return nn.Sequential(nn.Conv2d(1, 28, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(28, 56, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(56, 112, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(112, 1, 4, 2, 1), nn.Sigmoid())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--run", required=True)
    a = ap.parse_args()
    G, D, spec = models.build("dcgan28" if a.model == "dcgan28-nobn" else a.model)
    if a.model == "dcgan28-nobn":
        D = nobn_critic()
    g_sd = load_file(os.path.join(a.run, "G.safetensors"))
    d_sd = load_file(os.path.join(a.run, "D.safetensors"))
    classes = g_sd["label_emb.weight"].shape[0] if "label_emb.weight" in g_sd else None
    if classes:
        G, D = conditional_pair(a.model, G, D, classes)
    if any(".parametrizations." in k for k in d_sd):
        from torch.nn.utils.parametrizations import spectral_norm
        for m in list(D.modules()):
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                spectral_norm(m)
    G.load_state_dict(g_sd, strict=True)
    D.load_state_dict(d_sd, strict=True)
    print(f"G.safetensors: {len(g_sd)} tensors, D.safetensors: {len(d_sd)} tensors: strict=True")
    ema = os.path.join(a.run, "G_ema.safetensors")
    if os.path.exists(ema):
        G.load_state_dict(load_file(ema), strict=True)
        print("G_ema.safetensors: strict=True into G")
    G.eval(), D.eval()
    b = 10
    z = torch.randn(b, spec["latent"], 1, 1) if spec["z"] == "normal4d" else torch.randn(b, spec["latent"])
    y = torch.arange(b) % (classes or 1)
    with torch.no_grad():
        x = G(z, y) if classes else G(z)
        flat = x.view(b, -1) if not a.model.startswith("dcgan") else x
        s = D(flat, y) if classes else D(flat)
    print(f"eval forward: G {tuple(x.shape)} in [{x.min():.3f}, {x.max():.3f}], "
          f"D {tuple(s.shape)} mean {s.mean():.4f}")


if __name__ == "__main__":
    main()
