#!/usr/bin/env bash
# Packs node-llama-cpp and its prebuilt Vulkan binaries (linux-x64) into .llama/llama.tar.xz at the
# repository root (git-ignored), for bench/gpu/run.sh on the GPU machine: npm install with scripts
# off and optional packages left out (no CUDA, ARM or CPU-only prebuilts), then without llama.cpp's
# git bundle (sources for building, 35 MB). Run from the repository root.
set -euo pipefail
V=3.22.1
mkdir -p .llama
grep -qxF '/.llama/' .git/info/exclude || echo '/.llama/' >> .git/info/exclude
cd .llama
[ -f package.json ] || echo '{ "name": "qo-llama-bench", "private": true, "type": "module" }' > package.json
npm i --ignore-scripts --omit=optional --no-audit --no-fund "node-llama-cpp@$V" "@node-llama-cpp/linux-x64-vulkan@$V"
# the run carries at most 64 MiB with the working tree and .device: keep the Vulkan backend, the
# generic x64 CPU backend and those of server CPUs (ggml picks the best that runs), no sources,
# source maps or type declarations
keep='x64|sapphirerapids|zen4'
XZ_OPT=-9e tar cJf llama.tar.xz --exclude='node-llama-cpp/llama/gitRelease.bundle' --exclude='node-llama-cpp/templates' \
  --exclude='node-addon-api' --exclude='*.map' --exclude='*.ts' --exclude='yarn.lock' \
  $(find node_modules/@node-llama-cpp -name 'libggml-cpu-*.so' | grep -Ev "libggml-cpu-($keep)\.so" | sed 's/^/--exclude=/') node_modules
du -h llama.tar.xz
