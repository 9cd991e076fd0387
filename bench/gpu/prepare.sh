#!/usr/bin/env bash
# Here (no GPU needed), from the repository root: builds what bench/gpu/run.sh carries to the GPU
# machine: .device (Node, Vulkan loader, webgpu; Node stripped of debug info so that everything fits
# the 64 MiB a run carries), .llama-pack/llama.tar.xz (node-llama-cpp + its Vulkan prebuilt) and the
# bundle bench/gpu/dist/main.mjs. Then, with the device tool:
#   run(command: "bash bench/gpu/run.sh $OUT", carry: [".device", ".llama-pack", "bench/gpu/dist"])
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
bash ../shared/device/prepare-carry.sh
if xz -dc .device/node.xz | file - | grep -q 'not stripped'; then
  xz -dc .device/node.xz >/tmp/qo-node-full && strip /tmp/qo-node-full && xz -9e -T2 -c /tmp/qo-node-full >.device/node.xz && rm /tmp/qo-node-full
fi
[ -f .llama/llama.tar.xz ] || bash bench/gpu/pack-llama.sh
mkdir -p .llama-pack
grep -qxF '/.llama-pack/' .git/info/exclude || echo '/.llama-pack/' >>.git/info/exclude
cp .llama/llama.tar.xz .llama-pack/
pnpm build
node bench/gpu/build.mjs
du -sh .device .llama-pack bench/gpu/dist
