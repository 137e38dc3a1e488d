"""Check a run folder's TensorBoard event files with TensorBoard's own reader.

    python3 tools/check_tensorboard.py RUN_DIR [RUN_DIR ...]

Loads each run with tensorboard.backend.event_processing's EventAccumulator (every
event kept, purges of resumed runs applied, as `tensorboard --logdir` does) and checks
it against the files the run wrote beside it:
  - scalars loss/d, loss/g, D(x), D(G(z)): one per log.csv row, same global steps,
    values equal to float32 rounding; time/seconds_per_step at the same steps;
  - histograms D(x) and D(G(z)) at every log row, each counting one batch of values
    in [0, 1];
  - images: real_images (step 0) byte for byte real_images.png; one "samples" image per
    epoch, byte for byte samples_epoch_NNN.png, in epoch order;
  - eval/frechet_distance, eval/coverage, ... : one per eval.csv row, equal values;
  - the settings text.
Prints what it checked and exits 1 on the first mismatch. Needs `pip install
tensorboard` (not a test dependency: CI checks the records in Rust).
"""
import csv
import glob
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def fail(msg):
    print("MISMATCH:", msg)
    sys.exit(1)


def check(run):
    files = sorted(glob.glob(os.path.join(run, "events.out.tfevents.*")))
    if not files:
        fail(f"{run}: no event file")
    acc = EventAccumulator(run, size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    rows = list(csv.DictReader(open(os.path.join(run, "log.csv"))))
    steps = [int(r["global_step"]) for r in rows]
    for tag, col in [("loss/d", "d_loss"), ("loss/g", "g_loss"), ("D(x)", "d_x"), ("D(G(z))", "d_gz")]:
        ev = acc.Scalars(tag)
        if [e.step for e in ev] != steps:
            fail(f"{run}: {tag} steps {[e.step for e in ev][:8]}... vs log.csv {steps[:8]}...")
        for e, r in zip(ev, rows):
            want = float(r[col])
            if abs(e.value - want) > 1e-6 + 1e-6 * abs(want):
                fail(f"{run}: {tag} at step {e.step}: {e.value} vs log.csv {want}")
    t = acc.Scalars("time/seconds_per_step")
    if [e.step for e in t] != steps or not all(e.value > 0 for e in t):
        fail(f"{run}: time/seconds_per_step at {[e.step for e in t][:8]}")
    for tag in ("D(x)", "D(G(z))"):
        h = acc.Histograms(tag)
        if [e.step for e in h] != steps:
            fail(f"{run}: histogram {tag} steps {[e.step for e in h][:8]} vs {steps[:8]}")
        for e in h:
            v = e.histogram_value
            if v.num <= 0 or v.min < 0 or v.max > 1 or abs(sum(v.bucket) - v.num) > 1e-9:
                fail(f"{run}: histogram {tag} at {e.step}: num {v.num} range [{v.min}, {v.max}]")
    images = acc.Images("samples")
    grids = sorted(glob.glob(os.path.join(run, "samples_epoch_*.png")))
    if len(images) != len(grids):
        fail(f"{run}: {len(images)} sample images vs {len(grids)} grids")
    for img, path in zip(images, grids):
        if img.encoded_image_string != open(path, "rb").read():
            fail(f"{run}: samples at step {img.step} differ from {os.path.basename(path)}")
    real = os.path.join(run, "real_images.png")
    if "real_images" in tags["images"]:
        (r0,) = acc.Images("real_images")
        if r0.encoded_image_string != open(real, "rb").read():
            fail(f"{run}: real_images differ from real_images.png")
    evals = []
    eval_csv = os.path.join(run, "eval.csv")
    if os.path.exists(eval_csv):
        evals = list(csv.DictReader(open(eval_csv)))
        fd = acc.Scalars("eval/frechet_distance")
        if [e.step for e in fd] != [int(r["global_step"]) for r in evals]:
            fail(f"{run}: eval steps {[e.step for e in fd]} vs eval.csv")
        for e, r in zip(fd, evals):
            want = float(r["frechet_distance"])
            if abs(e.value - want) > 1e-4 * max(1.0, abs(want)):
                fail(f"{run}: Fréchet distance at {e.step}: {e.value} vs {want}")
        cov = acc.Scalars("eval/coverage")
        if [int(e.value) for e in cov] != [int(r["coverage"]) for r in evals]:
            fail(f"{run}: coverage {[e.value for e in cov]}")
    if "settings" not in tags["tensors"]:
        fail(f"{run}: no settings text (tensor tags {tags['tensors']})")
    print(
        f"{run}: {len(files)} event file(s); scalars {sorted(tags['scalars'])} at {len(steps)} steps "
        f"({steps[0]}..{steps[-1]}) = log.csv; histograms {sorted(tags['histograms'])} at the same steps; "
        f"images: {len(images)} sample grids = samples_epoch_*.png"
        f"{', real_images = real_images.png' if 'real_images' in tags['images'] else ''}; "
        f"{len(evals)} evaluations = eval.csv; settings text: ok"
    )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    for run in sys.argv[1:]:
        check(run)
