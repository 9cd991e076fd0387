#!/usr/bin/env bash
# Rebuilds every committed fixture. Runs where torch + transformers are installed (the GPU machine:
# see reference/README.md). Usage: bash reference/run_all.sh TOKENIZER_DIR
set -euo pipefail
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
python3 make_ops.py
python3 make_tokenizer.py "$1"
python3 make_causal_lm.py
python3 make_e2e_chat.py "$1"
