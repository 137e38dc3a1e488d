"""Train one model of ../shared/reference/models.py in PyTorch with the tutorial loop
that `gan train` implements, and write 10,000 samples as an IDX u8 file, so that
`gan eval --samples` can score PyTorch's result on the same scale as ours.

Not used by any test (PyTorch is never a test dependency). Usage:
  /tmp/torch/bin/python tools/torch_reference_train.py --model mlp --epochs 30 \
      --out /tmp/torch-mlp   # then: gan eval --samples /tmp/torch-mlp/samples.idx
"""
import argparse, gzip, os, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "reference"))
import models  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def noise(spec, n):
    if spec["z"] == "uniform":
        return torch.rand(n, spec["latent"]) * 2 - 1
    z = torch.randn(n, spec["latent"])
    return z.view(n, spec["latent"], 1, 1) if spec["z"] == "normal4d" else z


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mlp")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data", "mnist"))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    G, D, spec = models.build(a.model)
    imgs = read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"))
    x_all = torch.from_numpy(imgs.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
    if spec["image"][1] != 28:
        x_all = F.interpolate(x_all, size=spec["image"][1:], mode="bilinear", align_corners=False)
    if spec["opt"] == "adam":
        mk = lambda p: torch.optim.Adam(p, lr=spec["lr"], betas=spec.get("betas", (0.9, 0.999)))
    else:
        mk = lambda p: torch.optim.SGD(p, lr=spec["lr"])
    opt_g, opt_d = mk(G.parameters()), mk(D.parameters())
    crit = nn.BCEWithLogitsLoss() if spec["loss"] == "bce_logits" else nn.BCELoss()
    flat = a.model.startswith("mlp")
    b = spec["batch"]
    os.makedirs(a.out, exist_ok=True)
    for epoch in range(a.epochs):
        t0 = time.time()
        perm = torch.randperm(len(x_all))
        for i in range(len(x_all) // b):
            real = x_all[perm[i * b:(i + 1) * b]]
            if flat:
                real = real.view(b, -1)
            ones = torch.full((b,), spec["label_smooth"])
            zeros, full1 = torch.zeros(b), torch.ones(b)
            fake = G(noise(spec, b))
            opt_d.zero_grad()
            ld = crit(D(real).view(-1), ones) + crit(D(fake.detach()).view(-1), zeros)
            ld.backward()
            opt_d.step()
            opt_g.zero_grad()
            lg = crit(D(fake).view(-1), full1)
            lg.backward()
            opt_g.step()
        print(f"epoch {epoch + 1}: {time.time() - t0:.1f} s d_loss {ld.item():.4f} g_loss {lg.item():.4f}", flush=True)
    with torch.no_grad():
        s = torch.cat([G(noise(spec, 1000)).view(1000, *spec["image"]) for _ in range(10)])
    u8 = ((s.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    n, _, h, w = u8.shape
    with open(os.path.join(a.out, "samples.idx"), "wb") as f:
        f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, n, h, w))
        f.write(u8.tobytes())
    print("wrote", os.path.join(a.out, "samples.idx"))


if __name__ == "__main__":
    main()
