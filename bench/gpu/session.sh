#!/usr/bin/env bash
# One device session's measurements in one call (device time is scarce and each start costs minutes),
# from the repository root on the GPU machine, most important first:
#   1. bash bench/gpu/validate.sh: every fixture, bf16 and q8_0, on the GPU's own kernels;
#   2. the kernel micro-benchmarks named in MICRO (default: matmul);
#   3. bash bench/gpu/run.sh: qo, llama.cpp and transformers side by side.
#   bash bench/gpu/session.sh OUT [MICRO...]
# Needs what run.sh carries (.device, .llama-pack, bench/gpu/dist). The validation and micro-benchmark files
# land in OUT/session.tar.xz (the device tool brings back a handful of files), run.sh's in OUT/run (written
# as it goes, so a run cut short keeps what it finished), and OUT/summary.txt to read at a glance.
set -uo pipefail
OUT=${1:?usage: session.sh OUT [MICRO...]}
shift
MICRO=${*:-matmul}
W=/tmp/qo-session
rm -rf "$W" && mkdir -p "$W"
S="$OUT/summary.txt"
source .device/enter.sh >/dev/null 2>&1
{
  echo "# $(date -u +%FT%TZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "## validate.sh"
} >"$S"
timeout 180 bash bench/gpu/validate.sh "$W/validate" >>"$S" 2>&1
# the worst relL2 check of each report (check name, relL2)
for f in "$W"/validate/validate-*.txt; do
  echo "$(basename "$f" .txt): $(awk '{ for (i = 5; i <= NF; i++) if ($i ~ /^relL2≤/) print $1, $4 }' "$f" | sort -k2 -g | tail -1)" >>"$S"
done
for m in $MICRO; do
  echo "## micro $m" >>"$S"
  # compile warnings (deprecated subgroup-matrix builtins) also go to stdout: keep the result lines
  timeout 150 node bench/gpu/dist/main.mjs micro "$m" >"$W/micro-$m.txt" 2>&1
  grep -vE 'deprecated|^ *\^|^\s*$|subgroupMatrix(Load|Store)' "$W/micro-$m.txt" >>"$S"
done
tar cJf "$OUT/session.tar.xz" -C "$W" .
echo "## run.sh ($(date -u +%T))" >>"$S"
bash bench/gpu/run.sh "$OUT/run" 512 128 >>"$S" 2>&1
echo "## done $(date -u +%T)" >>"$S"
