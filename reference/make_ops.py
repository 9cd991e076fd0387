"""Op-level slices for @qo/tensor, recorded from PyTorch and transformers' own Qwen3 modules.

Writes fixtures/ops/ops.safetensors + ops.json (format qo-ops-1). Activations are laid out
[T, heads, head_dim] (qo's layout); transformers' [B, heads, T, head_dim] is transposed.
"""
from __future__ import annotations

import json
import types

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import Qwen3Config
from transformers.models.qwen3.modeling_qwen3 import (Qwen3RMSNorm, Qwen3RotaryEmbedding,
                                                      apply_rotary_pos_emb, eager_attention_forward)

from common import FIXTURES, provenance

g = torch.Generator().manual_seed(20261122)
randn = lambda *s, scale=1.0: scale * torch.randn(*s, generator=g)  # noqa: E731
bf16 = lambda t: t.to(torch.bfloat16).to(torch.float32)  # noqa: E731

tensors: dict[str, torch.Tensor] = {}
cases: dict[str, dict] = {}


def case(name: str, params: dict, **ts: torch.Tensor) -> None:
    cases[name] = {"params": params, "tensors": {}}
    for role, t in ts.items():
        key = f"{name}.{role}"
        tensors[key] = t.detach().contiguous().to(torch.int64 if not t.is_floating_point() else torch.float32)
        cases[name]["tensors"][role] = key


with torch.no_grad():
    # RMSNorm over the hidden size, odd width
    eps = 1e-6
    norm = Qwen3RMSNorm(37, eps=eps)
    norm.weight.copy_(bf16(1 + 0.1 * randn(37)))
    x = randn(7, 37, scale=3.0)
    case("rmsnorm", {"eps": eps}, x=x, weight=norm.weight, out=norm(x))

    # per-head q/k norm (Qwen3's q_norm / k_norm over head_dim)
    qn = Qwen3RMSNorm(16, eps=eps)
    qn.weight.copy_(bf16(1 + 0.1 * randn(16)))
    x = randn(5, 3, 16, scale=2.0)
    case("qk_norm", {"eps": eps}, x=x, weight=qn.weight, out=qn(x))

    # RoPE, default and YaRN, through Qwen3RotaryEmbedding + apply_rotary_pos_emb
    def rope_case(name, rope_parameters, max_pos, positions, n_heads=3, n_kv=2, head_dim=16):
        cfg = Qwen3Config(hidden_size=n_heads * head_dim, num_attention_heads=n_heads, num_key_value_heads=n_kv,
                          head_dim=head_dim, max_position_embeddings=max_pos, rope_parameters=rope_parameters)
        rot = Qwen3RotaryEmbedding(cfg)
        T = len(positions)
        q = randn(T, n_heads, head_dim)
        k = randn(T, n_kv, head_dim)
        pos = torch.tensor(positions)[None]
        cos, sin = rot(q, pos)
        qo, ko = apply_rotary_pos_emb(q.transpose(0, 1)[None], k.transpose(0, 1)[None], cos, sin)
        case(name, {"rope_parameters": dict(rope_parameters), "head_dim": head_dim,
                    "max_position_embeddings": max_pos, "attention_scaling": float(rot.attention_scaling)},
             q=q, k=k, positions=pos[0], inv_freq=rot.inv_freq,
             q_out=qo[0].transpose(0, 1), k_out=ko[0].transpose(0, 1))

    rope_case("rope_default", {"rope_type": "default", "rope_theta": 1000000.0}, 4096,
              [0, 1, 2, 3, 17, 100, 1000, 4095])
    rope_case("rope_yarn", {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0,
                            "original_max_position_embeddings": 64}, 512,
              [0, 1, 5, 63, 64, 65, 200, 511, 700])

    # real Qwen3 shapes: head_dim 128, theta 1e6, positions out to 131071 (YaRN x4 over 32768)
    far = [0, 1, 4095, 32767, 32768, 65535, 100000, 131071]
    rope_case("rope_default_qwen3", {"rope_type": "default", "rope_theta": 1000000.0}, 40960, far,
              n_heads=2, n_kv=1, head_dim=128)
    rope_case("rope_yarn_qwen3", {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0,
                                  "original_max_position_embeddings": 32768}, 131072, far,
              n_heads=2, n_kv=1, head_dim=128)

    x = torch.cat([randn(4, 33, scale=4.0), torch.linspace(-80, 90, 33)[None]])
    case("softmax", {}, x=x, out=torch.softmax(x, dim=-1))
    x = randn(5, 41, scale=4.0)
    case("silu", {}, x=x, out=F.silu(x))
    gate, up = randn(5, 41, scale=3.0), randn(5, 41)
    case("silu_mul", {}, gate=gate, up=up, out=F.silu(gate) * up)

    # causal attention, queries = the last T of S positions, through transformers' eager kernel
    def attn_case(name, T, S, n_heads, n_kv, head_dim):
        q, k, v = randn(T, n_heads, head_dim, scale=2.0), randn(S, n_kv, head_dim, scale=2.0), randn(S, n_kv, head_dim)
        past = S - T
        mask = torch.zeros(T, S)
        for t in range(T):
            mask[t, past + t + 1:] = torch.finfo(torch.float32).min
        scale = head_dim ** -0.5
        module = types.SimpleNamespace(num_key_value_groups=n_heads // n_kv, training=False)
        out, _ = eager_attention_forward(module, q.transpose(0, 1)[None], k.transpose(0, 1)[None],
                                         v.transpose(0, 1)[None], mask[None, None], scaling=scale, dropout=0.0)
        case(name, {"scale": scale, "n_heads": n_heads, "n_kv_heads": n_kv, "head_dim": head_dim},
             q=q, k=k, v=v, out=out[0])  # eager returns [B, T, heads, head_dim]

    attn_case("attention_gqa", 5, 13, 4, 2, 16)
    attn_case("attention_mqa", 7, 7, 3, 1, 8)

    x, w = randn(5, 37), bf16(randn(23, 37, scale=0.3))
    case("matmul_bf16", {}, x=x, weight=w, out=F.linear(x, w))

out = FIXTURES / "ops"
out.mkdir(parents=True, exist_ok=True)
save_file(tensors, str(out / "ops.safetensors"), metadata={"format": "qo-ops-1"})
(out / "ops.json").write_text(json.dumps({"format": "qo-ops-1", **provenance(), "cases": cases}, indent=1) + "\n")
print("ops:", ", ".join(cases))
