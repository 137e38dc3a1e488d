"""The inputs of the whole-step parity fixtures (make_step_fixtures.py) as a
formula rather than data. gan/tests/step_parity/inputs.rs computes the same
values bit for bit; kept apart from the PyTorch steps (step_record.py) so that
the part Rust must reproduce exactly is in one place.

Inputs: a formula, not stored
-----------------------------
The initial weights, the batches, z and a warm Adam's state are not in the
files: this module and the Rust test both compute them from one formula, exact
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
root "<model>/<salt>" (the salt: make_step_fixtures.py): "<root>/<G|D>/<state_dict key>" for
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
                                        `step` = k, with (k, m, c) from step_record.MODELS
"""
import math

import numpy as np
import torch
import torch.nn as nn

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
        elif isinstance(m, nn.Embedding):
            # The conditional models' class embeddings (gan/src/models/conditional.rs):
            # G's `label_emb` N(0, 1) by `normal`, D's projection `embed` uniform
            # within the Xavier bound sqrt(6 / (classes + features)).
            w = m.weight
            if mname.endswith("label_emb"):
                w.data.copy_(normal(prefix + "weight", w.shape))
            else:
                assert mname.endswith("embed"), mname
                w.data.copy_(uniform(prefix + "weight", w.shape, 0.0, math.sqrt(6.0 / sum(w.shape))))
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.data.copy_(uniform(prefix + "weight", m.weight.shape, 1.0, DCGAN_BOUND))
            m.bias.data.copy_(uniform(prefix + "bias", m.bias.shape, 0.0, DCGAN_BOUND))
            m.reset_running_stats()
        elif len(list(m.children())) == 0:
            assert not list(m.parameters(recurse=False)), f"unhandled layer {mname}: {m}"
    # every state_dict entry must have been set by a rule above
    for k, v in module.state_dict().items():
        assert torch.isfinite(v.double()).all(), k


def unit_vector(name, n):
    """u / ||u|| for u = uniform(name, (n,), 0, 1): the float32 values summed
    in order in float64, the root and the divisions in float64, then one
    rounding to float32 (what gan/tests/step_parity/inputs.rs computes)."""
    u = uniform(name, (n,), 0.0, 1.0).double().tolist()
    s = 0.0
    for x in u:
        s += x * x
    norm = math.sqrt(s)
    return torch.tensor([x / norm for x in u], dtype=torch.float64).to(torch.float32)


def spectral_norm_by_formula(model, net, module):
    """torch.nn.utils.parametrizations.spectral_norm on every Linear and
    Conv2d of `module` (after init_weights: the original is the weight the
    formula set), then u and v set by the formula: unit_vector of
    "<model>/<net>/<layer>.parametrizations.weight.0._u" (and "._v") in place
    of the ones drawn from torch's generator."""
    from torch.nn.utils.parametrizations import spectral_norm
    for mname, m in list(module.named_modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            spectral_norm(m)
            sn = m.parametrizations.weight[0]
            with torch.no_grad():
                for b in ("_u", "_v"):
                    buf = getattr(sn, b)
                    key = f"{model}/{net}/{mname}.parametrizations.weight.0.{b}"
                    buf.copy_(unit_vector(key, buf.numel()))


def labels(name, n, classes):
    """n class labels: floor(unit(name, i) * classes), exact in float64."""
    return [int(u * classes) for u in unit(name, n)]
