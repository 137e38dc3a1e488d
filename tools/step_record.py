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
import copy
import math
import os
import sys

import torch
import torch.nn as nn

from step_formula import init_weights, labels, normal, spectral_norm_by_formula, uniform

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "..", "shared", "reference")

FULL_MAX = 4096
STRIDE = 97
HEAD = 64
STEPS = 3
# case: (batch, Adam warm start as (steps, exp_avg bound, exp_avg_sq centre) or None)
# for the tutorials' step of the model named by the case
MODELS = {
    "mlp": (100, None),
    "dcgan28": (16, (10, 1e-3, 1e-6)),
}
# The recipe cases (gan::train::Recipe, as its to_json writes it): case ->
# (model, batch, warm, steps, recipe). Each runs enough steps that G is
# updated and D updates once more after it; a lazy R1 comes on D update 0, K, ...
# mlp-wgan-gp starts Adam warm: from fresh Adam, on salt 2 (the first that
# passes the other checks), an element of D's gradient is 0 in exact
# arithmetic but not in float32 (the
# Wasserstein loss's mean over the fake batch minus the mean over the real
# one, for a unit in the same regime on as many samples of each batch: 49 of
# 100 negative in salt 2's D 2.bias[81]); PyTorch's summation order gives 0
# there, ours 4e-9, and fresh Adam's sign-like first update turns that into
# 0.27 lr. A warm Adam (sqrt(v) ~ 1e-3) makes such an element's update 1e-6 lr.
RECIPES = {
    "mlp-wgan-gp": ("mlp", 100, (10, 1e-3, 1e-6), 6, dict(
        loss="wasserstein", gp=10.0, n_critic=5, lr_g=1e-4, lr_d=1e-4, betas=[0.5, 0.9])),
    "mlp-lsgan-ema": ("mlp", 100, None, 3, dict(
        loss="lsgan", lr_g=1e-4, lr_d=4e-4, ema_decay=0.9, ema_start=1)),
    "mlp-hinge-r1": ("mlp", 100, None, 3, dict(
        loss="hinge", r1_gamma=10.0, r1_every=2, betas=[0.0, 0.9])),
    # As the dcgan28 tutorial case: batch 16, Adam warm (its module doc says why).
    "dcgan28-hinge-r1-sn": ("dcgan28", 16, (10, 1e-3, 1e-6), 3, dict(
        loss="hinge", r1_gamma=1.0, r1_every=2, betas=[0.0, 0.9], spectral_norm=True)),
    # Class-conditional (G: z joined with a class embedding; D: projection),
    # the classes of each step from the formula ("<root>/labels/<step>").
    "mlp-cond-hinge": ("mlp", 100, None, 3, dict(
        loss="hinge", betas=[0.0, 0.9], classes=10)),
    "dcgan28-cond": ("dcgan28", 16, (10, 1e-3, 1e-6), 3, dict(classes=10)),
}


def case_of(name):
    """(model, batch, warm, steps, recipe) of a case name; the tutorial cases
    have the recipe {} and STEPS steps."""
    if name in MODELS:
        return (name, *MODELS[name], STEPS, {})
    return RECIPES[name]


CASES = list(MODELS) + list(RECIPES)


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
            # Before its first step Adam has no state: its moments are zeros.
            st = opt.state[p] or {"step": 0, "exp_avg": torch.zeros_like(p),
                                  "exp_avg_sq": torch.zeros_like(p)}
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


def train(case, salt, dtype):
    """The case's steps from the formula's inputs (salt `salt`), computed in
    `dtype` (the inputs are the same float32 values either way). Returns the
    tensors to store, the steps' metadata, every result whole (float64) and
    the smallest |ReLU / LeakyReLU input| / rms(input) seen."""
    sys.path.insert(0, REF)
    from models import build  # noqa: E402

    model, batch, warm, steps, recipe = case_of(case)
    if recipe:
        return train_recipe(case, salt, dtype)
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
    for s in range(1, steps + 1):
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



class CondG(nn.Module):
    """gan/src/models/conditional.rs's ConditionalG: z joined with the class
    embedding on the feature axis, into the tutorial G built for the wider input."""

    def __init__(self, classes, net):
        super().__init__()
        self.label_emb = nn.Embedding(classes, classes)
        self.net = net

    def forward(self, z, y):
        e = self.label_emb(y)
        if z.dim() == 4:
            e = e.view(*e.shape, 1, 1)
        return self.net(torch.cat([z, e], 1))


class CondD(nn.Module):
    """ConditionalD: the projection discriminator. raw(x, y) = head(body(x)) +
    <embed(y), features>, the features summed over space for a conv body;
    forward is the sigmoid of it."""

    def __init__(self, classes, features, net):
        super().__init__()
        self.net = net
        self.embed = nn.Embedding(classes, features)

    def raw(self, x, y):
        h = self.net[:-2](x)
        score = self.net[-2](h).view(x.shape[0], 1)
        phi = h.sum((2, 3)) if h.dim() == 4 else h
        return score + (self.embed(y) * phi).sum(1, keepdim=True)

    def forward(self, x, y):
        return torch.sigmoid(self.raw(x, y))


def conditional_pair(model, G, D, classes):
    """The conditional versions of models.py's G and D: G's first layer
    rebuilt for latent + classes inputs (the formula sets its weights)."""
    first = G[0]
    if isinstance(first, nn.Linear):
        G[0] = nn.Linear(first.in_features + classes, first.out_features)
    else:
        G[0] = nn.ConvTranspose2d(first.in_channels + classes, first.out_channels,
                                  first.kernel_size, first.stride, first.padding, bias=False)
    head = D[-2]
    features = head.in_features if isinstance(head, nn.Linear) else head.in_channels
    return CondG(classes, G), CondD(classes, features, D)


def raw(D):
    """D without its final sigmoid, as the raw-score losses take it (the
    Sequential models: every layer but the last)."""
    assert isinstance(D, nn.Sequential) and isinstance(D[-1], nn.Sigmoid), D
    return D[:-1]


def train_recipe(case, salt, dtype):
    """`train` for a recipe case: gan/src/train/recipe_step.rs's step, written
    out in PyTorch. Each step: D's loss on D(real) and D(fake.detach()) (raw
    scores unless the loss is BCE), plus a lazy R1 (scaled by its K) on the
    D updates 0, K, 2K, ... and WGAN-GP on interpolates with ε from the
    formula ("<root>/eps/<step>", uniform in [0, 1)); D's update; then on
    every n_critic-th step G's loss on its fakes through the updated D and
    G's update. The stats: [d_loss (with the penalties), g_loss (of the G
    update; without one, G's loss on the step's fakes through D before its
    update), mean D(real), mean D(fake)] (raw scores for the raw losses)."""
    sys.path.insert(0, REF)
    from models import build  # noqa: E402

    model, b, warm, steps, recipe = case_of(case)
    root = f"{model}/{salt}"
    G, D, spec = build(model)
    assert spec["opt"] == "adam" and spec["loss"] == "bce", spec
    classes = recipe.get("classes")
    if classes:
        G, D = conditional_pair(model, G, D, classes)
    latent = spec["latent"]
    init_weights(root, "G", G)
    init_weights(root, "D", D)
    if recipe.get("spectral_norm"):
        spectral_norm_by_formula(root, "D", D)
    tensors, full = {}, {}
    for net, mod in (("G", G), ("D", D)):
        for k, v in mod.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                put_input(tensors, f"init.{net}.{k}", v)
    G, D = G.to(dtype).train(), D.to(dtype).train()
    loss = recipe.get("loss", "bce")
    y = None  # the step's classes (conditional cases)
    if classes:
        critic = (lambda x: D(x, y)) if loss == "bce" else (lambda x: D.raw(x, y))
        generate = lambda z: G(z, y)  # noqa: E731
    else:
        critic = D if loss == "bce" else raw(D)
        generate = G

    kink = [math.inf, ""]

    def note_kink(name, x):
        x = x.detach()
        r = (x.abs().min() / x.pow(2).mean().sqrt()).item()
        if r < kink[0]:
            kink[:] = [r, name]

    def watch(name):
        def hook(_m, args):
            note_kink(name, args[0])
        return hook

    for net, mod in (("G", G), ("D", D)):
        for mname, m in mod.named_modules():
            if isinstance(m, (nn.ReLU, nn.LeakyReLU)):
                m.register_forward_pre_hook(watch(f"{net} {mname} ({type(m).__name__})"))

    betas = tuple(recipe.get("betas") or spec["betas"])
    og = torch.optim.Adam(G.parameters(), lr=recipe.get("lr_g", spec["lr"]), betas=betas)
    od = torch.optim.Adam(D.parameters(), lr=recipe.get("lr_d", spec["lr"]), betas=betas)
    if warm:
        warm_start(root, "G", G, og, warm, dtype, tensors)
        warm_start(root, "D", D, od, warm, dtype, tensors)
    bce = nn.BCELoss()
    flat = not model.startswith("dcgan")
    ones = torch.ones(b, 1, dtype=dtype)
    zeros = torch.zeros(b, 1, dtype=dtype)
    image = (b, math.prod(spec["image"])) if flat else (b, *spec["image"])
    zshape = (b, latent, 1, 1) if spec["z"] == "normal4d" else (b, latent)
    n_critic = recipe.get("n_critic", 1)
    r1 = dict(gamma=recipe["r1_gamma"], every=recipe["r1_every"]) if "r1_gamma" in recipe else None
    gp = recipe.get("gp")

    def scores(x):
        return critic(x).view(b, 1)

    def d_loss_of(s_real, s_fake):
        if loss == "bce":
            return bce(s_real, ones * spec["label_smooth"]) + bce(s_fake, zeros)
        if loss == "hinge":
            note_kink("hinge 1 - D(real)", 1 - s_real)
            note_kink("hinge 1 + D(fake)", 1 + s_fake)
            return torch.relu(1 - s_real).mean() + torch.relu(1 + s_fake).mean()
        if loss == "wasserstein":
            return s_fake.mean() - s_real.mean()
        assert loss == "lsgan", loss
        return ((s_real - ones) ** 2).mean() + ((s_fake - zeros) ** 2).mean()

    def g_loss_of(s_fake):
        if loss == "bce":
            return bce(s_fake, ones)
        if loss in ("hinge", "wasserstein"):
            return -s_fake.mean()
        return ((s_fake - ones) ** 2).mean()

    def input_grad(out, x):
        (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        return g.reshape(b, -1)

    # The average of G (gan/src/train/ema.rs): a copy of G through G update
    # `ema_start`, then torch._foreach_lerp_(avg, G, 1 - decay); buffers copied.
    G_ema = copy.deepcopy(G).eval() if "ema_decay" in recipe else None

    def update_average(g_updates):
        if G_ema is None:
            return
        with torch.no_grad():
            if g_updates <= recipe.get("ema_start", 0):
                G_ema.load_state_dict(G.state_dict())
                return
            torch._foreach_lerp_(list(G_ema.parameters()), list(G.parameters()),
                                 1.0 - recipe["ema_decay"])
            for a, g in zip(G_ema.buffers(), G.buffers()):
                a.copy_(g)

    steps_meta = []
    g_updates = 0
    for s in range(1, steps + 1):
        real = uniform(f"{root}/batch/{s}", image, 0.0, 1.0)
        z = normal(f"{root}/z/{s}", zshape)
        put_input(tensors, f"batch{s}", real)
        put_input(tensors, f"z{s}", z)
        real, z = real.to(dtype), z.to(dtype)
        if classes:
            ys = labels(f"{root}/labels/{s}", b, classes)
            put_input(tensors, f"labels{s}", torch.tensor(ys, dtype=torch.float32))
            y = torch.tensor(ys, dtype=torch.long)
        d_done = s - 1  # D updates before this step
        g_due = (d_done + 1) % n_critic == 0
        r1_due = r1 is not None and d_done % r1["every"] == 0

        fake = generate(z)
        if flat:
            fake = fake.view(b, -1)
        real_in = real.clone().requires_grad_(r1_due)
        s_real = scores(real_in)
        s_fake = scores(fake.detach())
        d_loss = d_loss_of(s_real, s_fake)
        if r1_due:
            sq = input_grad(s_real, real_in).pow(2).sum(1)
            d_loss = d_loss + sq.mean() * (r1["gamma"] / 2 * r1["every"])
        if gp is not None:
            eps = uniform(f"{root}/eps/{s}", (b,), 0.5, 0.5)
            put_input(tensors, f"eps{s}", eps)
            eps = eps.to(dtype).view(b, *([1] * (real.dim() - 1)))
            f = fake.detach()
            x_hat = (f + eps * (real - f)).requires_grad_(True)
            norm = input_grad(scores(x_hat), x_hat).pow(2).sum(1).sqrt()
            d_loss = d_loss + gp * ((norm - 1) ** 2).mean()
        od.zero_grad()
        d_loss.backward()
        od.step()
        if g_due:
            g_loss = g_loss_of(scores(fake))
            og.zero_grad()
            g_loss.backward()
            og.step()
            g_updates += 1
            update_average(g_updates)
        else:
            with torch.no_grad():
                g_loss = g_loss_of(s_fake.detach())

        stats = [d_loss.item(), g_loss.item(), s_real.mean().item(), s_fake.mean().item()]
        tensors[f"step{s}.stats"] = torch.tensor(stats, dtype=torch.float32)
        full[f"step{s}.stats"] = torch.tensor(stats, dtype=torch.float64)
        m = {"step": s, "stats": stats, "opt_steps": {}, "num_batches_tracked": {},
             "g_updated": g_due, "r1": r1_due}
        record_state(tensors, full, m, f"step{s}", G, D, og, od)
        if G_ema is not None:
            for k, v in G_ema.state_dict().items():
                if k.endswith("num_batches_tracked"):
                    m["num_batches_tracked"][f"G_ema.{k}"] = int(v)
                else:
                    put(tensors, f"step{s}.G_ema.{k}", v)
                    full[f"step{s}.G_ema.{k}"] = v.detach().double().clone()
                    # The average's lag behind G, held to its own scale: the
                    # average itself is within 1e-4 of G whatever the decay.
                    lag = (v - G.state_dict()[k]).detach()
                    put(tensors, f"step{s}.G_ema_lag.{k}", lag)
                    full[f"step{s}.G_ema_lag.{k}"] = lag.double().clone()
        steps_meta.append(m)
    return spec, tensors, steps_meta, full, tuple(kink)
