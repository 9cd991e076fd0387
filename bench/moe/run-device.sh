#!/usr/bin/env bash
# The 30B-A3B measurements on the GPU machine, one after the other on the same GPU: the synthetic qo
# forward pass (WebGPU through Dawn/Vulkan; DTYPES, default q8_0), then transformers in bf16 (eager
# attention; the 'eager' experts loop, then grouped_mm). Here: `node bench/moe/build.mjs` and
# `bash ../shared/device/prepare-carry.sh`; there, from the repo root with `.device` and
# `bench/moe/dist` carried: `source .device/enter.sh && bash bench/moe/run-device.sh`.
set -u
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
for dtype in ${DTYPES:-q8_0}; do
  DTYPE=$dtype timeout "${QO_TIMEOUT:-300}" node bench/moe/dist/synthetic-30b-a3b.mjs 2>&1 | grep -v maxDynamic | tee "$out/qo-$dtype.log"
done
[ "${SKIP_TRANSFORMERS:-0}" = 1 ] || PYTHONUNBUFFERED=1 GEN=${TF_GEN:-24} timeout "${TF_TIMEOUT:-300}" python3 bench/moe/transformers_30b_a3b.py 2>&1 | grep -v -i warn | tail -20 | tee "$out/transformers.log"
