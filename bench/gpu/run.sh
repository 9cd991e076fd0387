#!/usr/bin/env bash
# The side-by-side GPU benchmark, on the GPU machine, from the repository root, in one go:
# qo (bf16, q8_0; before and after the others), llama.cpp's Vulkan backend through node-llama-cpp (F16 and Q8_0
# GGUFs written there from the same random weights) and transformers (torch bf16, eager), all on
# random Qwen3-0.6B weights, a P-token prompt and G generated tokens. Results: one JSON line per
# engine and setting in OUT/results.jsonl, logs in OUT/log.txt.
#   bash bench/gpu/run.sh OUT [P] [G]
# Needs (carried): .device (bash ../shared/device/prepare-carry.sh), .llama-pack/llama.tar.xz
# (bench/gpu/pack-llama.sh) and bench/gpu/dist (node bench/gpu/build.mjs): see bench/gpu/prepare.sh.
set -uo pipefail
OUT=${1:?usage: run.sh OUT [P] [G]}
P=${2:-512}
G=${3:-128}
mkdir -p "$OUT"
R="$OUT/results.jsonl"
LOG="$OUT/log.txt"
source .device/enter.sh >>"$LOG" 2>&1
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv >"$OUT/gpu.csv" 2>>"$LOG"
lscpu | grep -E 'Model name|^CPU\(s\)' >>"$OUT/gpu.csv"
step() { echo "=== $* ($(date +%T))" | tee -a "$LOG"; }
qo() {
  step qo "$@"
  timeout 240 node bench/gpu/dist/main.mjs qo --prompt "$P" --gen "$G" --runs 5 "$@" >>"$R" 2>>"$LOG" || echo "qo $* failed: $?" | tee -a "$LOG"
}
# qo: the default settings (Dawn without robust buffer access, prefill matmuls on the int8 tensor cores
# where the device has them, next step submitted ahead, a submit every 4 layers), with a per-op profile (timestamps unquantized); again at the end, without the
# profile, after the other engines (decode is bound by the host thread: two runs show how much it moves)
qo --dtype bf16 --profile --dawn disable-dawn-features=timestamp_quantization
qo --dtype q8_0 --profile --dawn disable-dawn-features=timestamp_quantization
# llama.cpp (Vulkan) through node-llama-cpp, on GGUFs of the same random weights
L=/tmp/qo-llama
mkdir -p "$L"
tar xJf .llama-pack/llama.tar.xz -C "$L" && cp bench/gpu/llama.mjs "$L/"
for dt in bf16 q8_0; do
  name=$([ "$dt" = bf16 ] && echo f16 || echo q8_0)
  step gguf "$name"
  timeout 240 node bench/gpu/dist/main.mjs gguf --dtype "$dt" --out "$L/qwen3-0.6b-$name.gguf" 2>>"$LOG" || echo "gguf $name failed" | tee -a "$LOG"
  step llama.cpp "$name"
  timeout 240 node "$L/llama.mjs" "$L/qwen3-0.6b-$name.gguf" "$P" "$G" 5 >>"$R" 2>>"$LOG" || echo "llama $name failed: $?" | tee -a "$LOG"
done
# transformers (torch bf16, eager)
step transformers
PYTHONUNBUFFERED=1 timeout 300 python3 bench/gpu/transformers_bench.py "$P" "$G" 2 >>"$R" 2>>"$LOG" || echo "transformers failed: $?" | tee -a "$LOG"
qo --dtype bf16
qo --dtype q8_0
# and with the prefill matmuls in f32 (no int8 tensor cores), for the difference they make
qo --dtype bf16 --no-mma
qo --dtype q8_0 --no-mma
step done
