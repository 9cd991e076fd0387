"""Shared helpers for the reference scripts: deterministic tiny checkpoints and qo-reference-1 fixtures.

Every fixture under reference/fixtures/ is written by these scripts and never edited by hand.
Weights are bf16; reference activations are float32 computed from those bf16-rounded weights with
eager attention on the CPU (no TF32), as ../shared/REFERENCE_FORMAT.md requires.
"""
from __future__ import annotations

import json
import math
import os
import platform
import sys
from pathlib import Path

import torch
import transformers
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent
FIXTURES = Path(os.environ.get("QO_FIXTURES", ROOT / "fixtures"))

torch.set_num_threads(max(1, min(16, os.cpu_count() or 1)))
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def provenance() -> dict:
    return {
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "generator": "reference/" + Path(sys.argv[0]).name,
    }


def bf16_round_(model: torch.nn.Module) -> None:
    """Round every parameter to bf16 in place (kept in float32 storage for float32 compute)."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.bfloat16).to(torch.float32))


def init_weights_(model: torch.nn.Module, seed: int, head_gain: float = 3.0) -> None:
    """Scaled init so activations stay O(1) through the tiny stack and logits have a spread of a
    few units (so greedy top-2 margins are not razor thin). HF's default std=0.02 would make every
    activation tiny and every logit ~0."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1:  # RMSNorm weights (input/post-attention/final/q_norm/k_norm)
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
                continue
            fan_in = p.shape[-1]
            std = 1.0 / math.sqrt(fan_in)
            if name.endswith("embed_tokens.weight"):
                std = 1.0
            elif name.endswith("lm_head.weight"):
                std = head_gain / math.sqrt(fan_in)
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                std = 0.7 / math.sqrt(fan_in)
            elif name.endswith("gate.weight"):  # MoE router: distinct experts per token
                std = 2.0 / math.sqrt(fan_in)
            p.copy_(std * torch.randn(p.shape, generator=g))
    bf16_round_(model)


def write_reference(out_dir: Path, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    conv = {}
    for k, v in tensors.items():
        v = v.detach().cpu().contiguous()
        conv[k] = v.to(torch.int64) if not v.is_floating_point() else v.to(torch.float32)
    save_file(conv, str(out_dir / "reference.safetensors"), metadata={"format": "qo-reference-1"})
    meta = dict(meta)
    meta["tensors"] = sorted(conv.keys())
    meta["provenance"] = provenance()
    (out_dir / "reference.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")


def rewrite_config_legacy_rope(model_dir: Path) -> None:
    """Rewrite config.json in the transformers 4.x Hub style (rope_theta + rope_scaling at top level)
    instead of 5.x's rope_parameters, so both styles on the Hub are covered by fixtures."""
    path = model_dir / "config.json"
    cfg = json.loads(path.read_text())
    rp = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rp.pop("rope_theta")
    cfg["rope_scaling"] = None if rp.get("rope_type", "default") == "default" else rp
    path.write_text(json.dumps(cfg, indent=2) + "\n")
