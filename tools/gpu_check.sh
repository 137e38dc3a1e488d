#!/usr/bin/env bash
# The GPU checks of issues 6 and 7 as one prepared command, for a session that
# is lent a GPU machine (which has the driver, NVRTC and PyTorch, but no cargo).
#
#   bash tools/gpu_check.sh prepare     # here: build, strip and pack the binaries into .gpu/
#   device run: command "bash tools/gpu_check.sh run", carry [".gpu"], timeout_s 540
#
# `run` writes under $OUT: nvidia-smi.txt, tests.log (every CUDA test binary),
# train.log (one epoch of each MLP model, a short dcgan28 and dcgan64 run, a
# GPU→CPU→GPU resume), bench.md / bench.json (`benches --device cuda`, PyTorch
# timed live beside each case with the machine's python3).
set -uo pipefail
cd "$(dirname "$0")/.."
TESTS=(cuda_ops cuda_autograd cuda_conv cuda_gan cuda_parity)

prepare() {
    set -e
    cargo build --release -p gan -p benches
    rm -rf .gpu && mkdir -p .gpu/bin
    for t in "${TESTS[@]}"; do
        exe=$(cargo test --release -p tests --test "$t" --no-run 2>&1 |
            sed -n "s/.*Executable .*(\(.*\))$/\1/p" | tail -1)
        cp "$exe" ".gpu/bin/$t"
    done
    cp target/release/gan target/release/benches .gpu/bin/
    strip .gpu/bin/*
    gzip -9 .gpu/bin/*
    mkdir -p .gpu/reference
    cp -r ../shared/reference/{cases.json,bench_torch.py,models.py,fixtures} .gpu/reference/
    grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
    du -sh .gpu
}

run() {
    out=${OUT:-/tmp/gpu-out}
    mkdir -p "$out" /tmp/gpu-bin
    for f in .gpu/bin/*.gz; do gunzip -c "$f" > "/tmp/gpu-bin/$(basename "$f" .gz)"; done
    chmod +x /tmp/gpu-bin/*
    # NVRTC 13 from the image's Python packages (cudarc dlopens libnvrtc.so.13)
    nvrtc=$(find /opt /usr /root -name 'libnvrtc.so.13*' 2>/dev/null | head -1)
    [ -n "$nvrtc" ] && export LD_LIBRARY_PATH="$(dirname "$nvrtc")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export PARITY_FIXTURES="$PWD/.gpu/reference/fixtures" GAN_RS_REFERENCE="$PWD/.gpu/reference"
    export GAN_CACHE_DIR=/tmp/gan-cache
    nvidia-smi > "$out/nvidia-smi.txt" 2>&1
    echo "nvrtc: ${nvrtc:-not found}" >> "$out/nvidia-smi.txt"
    for t in "${TESTS[@]}"; do
        echo "== $t" >> "$out/tests.log"
        timeout 120 "/tmp/gpu-bin/$t" --test-threads 1 >> "$out/tests.log" 2>&1
        echo "== $t exit $?" >> "$out/tests.log"
    done
    gan=/tmp/gpu-bin/gan
    for m in mlp mlp-small mlp-dropout; do
        timeout 90 $gan train --model "$m" --dataset mnist --data-dir data/mnist --epochs 1 \
            --device cuda --quiet --out "/tmp/run-$m" >> "$out/train.log" 2>&1
        echo "== $m exit $?" >> "$out/train.log"
    done
    for m in dcgan28 dcgan64; do
        timeout 120 $gan train --model "$m" --dataset mnist --data-dir data/mnist --epochs 1 \
            --limit-batches 100 --device cuda --quiet --out "/tmp/run-$m" >> "$out/train.log" 2>&1
        echo "== $m exit $?" >> "$out/train.log"
    done
    # a GPU checkpoint resumed on the CPU, then on the GPU again
    timeout 60 $gan train --resume /tmp/run-mlp --epochs 2 --device cpu --quiet >> "$out/train.log" 2>&1
    timeout 60 $gan train --resume /tmp/run-mlp --epochs 3 --device cuda --quiet >> "$out/train.log" 2>&1
    echo "== resume exit $?" >> "$out/train.log"
    cp /tmp/run-mlp/samples_epoch_003.png "$out/mlp-gpu-epoch3.png" 2>/dev/null
    timeout 200 /tmp/gpu-bin/benches --device cuda --live-pytorch python3 \
        --json "$out/bench.json" --markdown "$out/bench.md" > "$out/bench.log" 2>&1
    echo "== benches exit $?" >> "$out/bench.log"
    for f in tests train bench; do tail -n 5 "$out/$f.log"; done
}

case "${1:-}" in
    prepare) prepare ;;
    run) run ;;
    *) echo "usage: bash tools/gpu_check.sh prepare|run" >&2; exit 2 ;;
esac
