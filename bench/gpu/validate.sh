#!/usr/bin/env bash
# qo-validate --device gpu on every committed model fixture, bf16 and q8_0, on the GPU machine (where the
# prefill matmuls run on the int8 tensor cores, which CI's lavapipe lacks), from the repository root:
#   bash bench/gpu/validate.sh OUT
# Needs (carried): .device and bench/gpu/dist (node bench/gpu/build.mjs). Reports in OUT/validate-*.txt;
# exit status 1 when any check fails.
set -uo pipefail
OUT=${1:?usage: validate.sh OUT}
mkdir -p "$OUT"
source .device/enter.sh >/dev/null 2>&1
status=0
for dir in reference/fixtures/*/; do
  [ -f "$dir/reference.json" ] || continue
  grep -qE '"kind": *"(causal-lm|e2e-chat)"' "$dir/reference.json" || continue
  f=$(basename "$dir")
  for dt in bf16 q8_0; do
    timeout 300 node bench/gpu/dist/main.mjs validate --fixture "$dir" --device gpu --dtype "$dt" >"$OUT/validate-$f-$dt.txt" 2>&1
    rc=$?
    echo "$f $dt: $([ $rc = 0 ] && echo pass || echo "FAIL (exit $rc)")"
    [ $rc = 0 ] || status=1
  done
done
exit $status
