#!/usr/bin/env bash
# The README's recipes table: train MODEL with a recipe for EPOCHS epochs on
# MNIST for each seed, then sample 10,000 images (G_ema when the run kept one)
# and score them with `gan eval`. One line of JSON per run is appended to OUT.
#
#   tools/recipes_quality.sh OUT MODEL EPOCHS "SEEDS" NAME [gan train flags...]
#   tools/recipes_quality.sh /tmp/q.jsonl mlp 30 "0 1 2" tutorial
#   tools/recipes_quality.sh /tmp/q.jsonl mlp 30 "0 1 2" best --recipe best
#
# Runs go to target/quality/<MODEL>-<NAME>-s<SEED> (QUALITY_DIR to change). RAYON_NUM_THREADS is
# passed through (1 leaves the other core for other work; the times then say so).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 model=$2 epochs=$3 seeds=$4 name=$5
shift 5
# GAN_BIN: a gan binary to use as it is (a queue of runs keeps one binary
# while the tree changes); otherwise the tree's, built first.
gan=${GAN_BIN:-}
if [ -z "$gan" ]; then
    cargo build -q --release -p gan
    gan=target/release/gan
fi
for seed in $seeds; do
    dir=${QUALITY_DIR:-target/quality}/$model-$name-s$seed
    start=$(date +%s)
    $gan train --model "$model" --dataset mnist --epochs "$epochs" --seed "$seed" \
        --out "$dir" --overwrite --quiet --no-tensorboard "$@"
    train_s=$(( $(date +%s) - start ))
    # A conditional run (--conditional) samples rows of ten per class, and
    # then 1,000 images of each class for the per-class accuracy.
    class=()
    per_class="[]"
    case " $* " in *" --conditional "*) class=(--class all) ;; esac
    $gan sample --checkpoint "$dir" --count 10000 --seed 1 --out "$dir/samples.idx" "${class[@]}" > /dev/null
    $gan sample --checkpoint "$dir" --count 100 --seed 1 --grid "$dir/grid.png" "${class[@]}" > /dev/null
    metrics=$($gan eval --samples "$dir/samples.idx" --dataset mnist --json --quiet)
    if [ ${#class[@]} -gt 0 ]; then
        per_class="["
        for k in 0 1 2 3 4 5 6 7 8 9; do
            $gan sample --checkpoint "$dir" --count 1000 --seed 2 --class "$k" --out "$dir/class$k.idx" > /dev/null
            hist=$($gan eval --samples "$dir/class$k.idx" --dataset mnist --json --quiet)
            frac=$(python3 -c "import json,sys; h=json.loads(sys.argv[1])['class_histogram']; print(h[$k] / sum(h))" "$hist")
            per_class="$per_class$frac"
            [ "$k" = 9 ] || per_class="$per_class,"
        done
        per_class="$per_class]"
    fi
    python3 - "$out" "$model" "$name" "$seed" "$epochs" "$train_s" "${RAYON_NUM_THREADS:-all}" "$*" "$metrics" "$per_class" <<'PY'
import json, sys
out, model, name, seed, epochs, secs, threads, flags, metrics, per_class = sys.argv[1:]
row = dict(model=model, recipe=name, flags=flags, seed=int(seed), epochs=int(epochs),
           train_seconds=int(secs), threads=threads, **json.loads(metrics))
if json.loads(per_class):
    row["per_class_accuracy"] = json.loads(per_class)
with open(out, "a") as f:
    f.write(json.dumps(row) + "\n")
print(f"{model} {name} seed {seed}: Fréchet {row['frechet_distance']:.1f}, "
      f"coverage {row['coverage']}/10, {secs} s")
PY
done
