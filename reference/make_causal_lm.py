"""Tiny random-weight Qwen3 / Qwen3-MoE checkpoints and their qo-reference-1 slices.

Run on a machine with torch and transformers (see reference/README.md):
    python3 reference/make_causal_lm.py [name ...]
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, Qwen3Config, Qwen3MoeConfig

from common import FIXTURES, init_weights_, rewrite_config_legacy_rope, write_reference

SPECS = {
    # GQA (4 query heads over 2 KV heads), head_dim 32 != hidden/heads = 16, untied LM head,
    # written as a sharded checkpoint (index + several shards).
    "qwen3-gqa": dict(
        cls=Qwen3Config,
        config=dict(vocab_size=512, hidden_size=64, intermediate_size=160, num_hidden_layers=3,
                    num_attention_heads=4, num_key_value_heads=2, head_dim=32, rms_norm_eps=1e-6,
                    max_position_embeddings=1024, tie_word_embeddings=False,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
        prompt_len=24, new_tokens=8, max_shard_size="60KB", legacy_rope=False),
    # MQA (3 query heads over 1 KV head), tied embeddings, YaRN (factor 8 over 64 original
    # positions), a 300-token prompt, sizes that are not multiples of 32 (hidden 48, ffn 100),
    # config.json rewritten in the transformers 4.x style (rope_theta + rope_scaling).
    "qwen3-mqa-yarn": dict(
        cls=Qwen3Config,
        config=dict(vocab_size=384, hidden_size=48, intermediate_size=100, num_hidden_layers=2,
                    num_attention_heads=3, num_key_value_heads=1, head_dim=16, rms_norm_eps=1e-6,
                    max_position_embeddings=512, tie_word_embeddings=True,
                    rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0,
                                     "original_max_position_embeddings": 64}),
        prompt_len=300, new_tokens=8, max_shard_size=None, legacy_rope=True),
    # MoE: layer 1 dense (mlp_only_layers), layers 0, 2, 3 sparse with 8 experts, top-2, renormalized.
    "qwen3-moe": dict(
        cls=Qwen3MoeConfig,
        config=dict(vocab_size=512, hidden_size=64, intermediate_size=128, moe_intermediate_size=32,
                    num_experts=8, num_experts_per_tok=2, norm_topk_prob=True, decoder_sparse_step=1,
                    mlp_only_layers=[1], num_hidden_layers=4, num_attention_heads=4,
                    num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6,
                    max_position_embeddings=1024, tie_word_embeddings=False,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
        prompt_len=20, new_tokens=8, max_shard_size=None, legacy_rope=False),
}
MIN_MARGIN = 0.1  # seeds are tried in order until every greedy step has top1-top2 >= this


def build(spec: dict, seed: int):
    cfg = spec["cls"](**spec["config"])
    v = cfg.vocab_size
    cfg.bos_token_id, cfg.eos_token_id, cfg.pad_token_id = v - 3, v - 2, v - 1
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32, attn_implementation="eager")
    init_weights_(model, seed)
    return model.eval()


@torch.no_grad()
def record(model, ids: torch.Tensor) -> dict[str, torch.Tensor]:
    caps: dict[str, torch.Tensor] = {}
    inner = model.model
    first = lambda o: o[0] if isinstance(o, tuple) else o  # noqa: E731
    hooks = [inner.embed_tokens.register_forward_hook(lambda m, i, o: caps.__setitem__("embed", o[0])),
             inner.norm.register_forward_hook(lambda m, i, o: caps.__setitem__("norm", o[0]))]
    for li, layer in enumerate(inner.layers):
        hooks.append(layer.register_forward_hook(
            lambda m, i, o, li=li: caps.__setitem__(f"layers.{li}", first(o)[0])))
        if hasattr(layer.mlp, "experts"):  # sparse block: router logits = input · gate.weightᵀ
            hooks.append(layer.mlp.register_forward_pre_hook(
                lambda m, inp, li=li: caps.__setitem__(
                    f"layers.{li}.router_logits",
                    F.linear(inp[0].reshape(-1, inp[0].shape[-1]), m.gate.weight))))
    try:
        out = model(input_ids=ids[None], use_cache=False)
    finally:
        for h in hooks:
            h.remove()
    caps["logits"] = out.logits[0]
    return {k: v.clone() for k, v in caps.items()}


@torch.no_grad()
def greedy(model, ids: torch.Tensor, n: int):
    out = model(input_ids=ids[None], use_cache=True)
    past, logits = out.past_key_values, out.logits[0, -1]
    new, rows = [], []
    for _ in range(n):
        rows.append(logits.clone())
        nxt = int(torch.argmax(logits))
        new.append(nxt)
        out = model(input_ids=torch.tensor([[nxt]]), past_key_values=past, use_cache=True)
        past, logits = out.past_key_values, out.logits[0, -1]
    dec = torch.stack(rows)
    top2 = torch.topk(dec, 2, dim=-1).values
    margin = float((top2[:, 0] - top2[:, 1]).min())
    # cached decode must agree with a fresh forward over prompt + generated tokens
    full = model(input_ids=torch.cat([ids, torch.tensor(new[:-1])])[None], use_cache=False).logits[0]
    drift = float((full[len(ids) - 1:] - dec).abs().max())
    assert drift < 1e-3, f"cached decode drifts from full forward by {drift}"
    return new, dec, margin


def split_fused_experts(model_dir: Path) -> None:
    """If this transformers version saved experts fused (experts.gate_up_proj [E, 2I, H] ...),
    rewrite them as the per-expert tensors that Hub checkpoints hold
    (mlp.experts.{e}.gate_proj.weight ...)."""
    for f in sorted(model_dir.glob("*.safetensors")):
        sd = load_file(str(f))
        if not any(".experts.gate_up_proj" in k or ".experts.down_proj" in k for k in sd):
            continue
        if (model_dir / "model.safetensors.index.json").exists():
            raise SystemExit("split_fused_experts: a sharded MoE checkpoint would need its index rewritten")
        out = {}
        for k, t in sd.items():
            if k.endswith(".experts.gate_up_proj"):
                base = k[: -len("gate_up_proj")]
                inter = t.shape[1] // 2
                for e in range(t.shape[0]):
                    out[f"{base}{e}.gate_proj.weight"] = t[e, :inter].contiguous()
                    out[f"{base}{e}.up_proj.weight"] = t[e, inter:].contiguous()
            elif k.endswith(".experts.down_proj"):
                base = k[: -len("down_proj")]
                for e in range(t.shape[0]):
                    out[f"{base}{e}.down_proj.weight"] = t[e].contiguous()
            else:
                out[k] = t
        save_file(out, str(f), metadata={"format": "pt"})
        print(f"  split fused experts in {f.name}")


def make(name: str) -> None:
    spec = SPECS[name]
    out_dir = FIXTURES / name
    for seed in range(100):
        model = build(spec, seed)
        g = torch.Generator().manual_seed(1000 + seed)
        ids = torch.randint(0, model.config.vocab_size - 3, (spec["prompt_len"],), generator=g)
        new, dec, margin = greedy(model, ids, spec["new_tokens"])
        if margin >= MIN_MARGIN:
            break
        print(f"  {name}: seed {seed} min top-2 margin {margin:.4f} < {MIN_MARGIN}, next seed")
    else:
        raise SystemExit(f"{name}: no seed reached margin {MIN_MARGIN}")
    tensors = record(model, ids)
    tensors["input_ids"] = ids
    tensors["decode_logits"] = dec
    if shutil.os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    model_dir = out_dir / "model"
    kw = {"max_shard_size": spec["max_shard_size"]} if spec["max_shard_size"] else {}
    model.to(torch.bfloat16).save_pretrained(model_dir, **kw)
    split_fused_experts(model_dir)
    if spec["legacy_rope"]:
        rewrite_config_legacy_rope(model_dir)
    # the checkpoint on disk must reproduce what was recorded
    re = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        relog = re(input_ids=ids[None], use_cache=False).logits[0]
    diff = float((relog - tensors["logits"]).abs().max())
    assert diff < 1e-5, f"{name}: reloaded checkpoint differs from recorded logits by {diff}"
    write_reference(out_dir, tensors, {
        "kind": "causal-lm",
        "model_type": model.config.model_type,
        "prompt_ids": ids.tolist(),
        "greedy": {"new_ids": new, "min_top2_margin": round(margin, 6)},
        "seed": seed,
    })
    names = sorted(p.name for p in model_dir.iterdir())
    print(f"{name}: seed {seed}, margin {margin:.4f}, files {names}")
    print("  weights:", sorted(load_keys(model_dir))[:12], "...")


def load_keys(model_dir: Path) -> list[str]:
    keys = []
    for f in model_dir.glob("*.safetensors"):
        keys += list(load_file(str(f)).keys())
    return keys


if __name__ == "__main__":
    for n in sys.argv[1:] or list(SPECS):
        make(n)
