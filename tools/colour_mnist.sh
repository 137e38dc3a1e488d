#!/usr/bin/env bash
# Writes a coloured-MNIST image folder from the shipped MNIST (no download):
# every digit tinted with a random bright colour on a random dark background,
# 64x64 RGB PNG, one subfolder per digit, seeded.
#   bash tools/colour_mnist.sh --out data/colour-mnist [--count N] [--seed S]
# Then: cargo run -p gan --release -- --model dcgan64 --dataset folder --data-dir data/colour-mnist
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run -q -p gan --release --example colour_mnist -- "$@"
