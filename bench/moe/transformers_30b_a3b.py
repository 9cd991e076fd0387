"""transformers on the same GPU as the synthetic qo run: a random-init Qwen3-30B-A3B
(Qwen3MoeForCausalLM from the Hub model's config, bf16, made on the GPU), eager attention, with
the 'eager' experts backend (the loop over experts) and then the library's default (grouped_mm on
recent torch), a 512-token prefill and greedy decode steps with the KV cache. Prints one JSON line
per experts backend. Speed does not depend on the values, so random weights stand in for the
checkpoint (which cannot be downloaded here)."""
import json
import os
import time

import torch
import transformers
from transformers import Qwen3MoeConfig, Qwen3MoeForCausalLM

PROMPT = int(os.environ.get("PROMPT", "512"))
GEN = int(os.environ.get("GEN", "32"))

# Qwen/Qwen3-30B-A3B config.json
cfg = Qwen3MoeConfig(
    vocab_size=151936, hidden_size=2048, intermediate_size=6144, num_hidden_layers=48,
    num_attention_heads=32, num_key_value_heads=4, head_dim=128, moe_intermediate_size=768,
    num_experts=128, num_experts_per_tok=8, norm_topk_prob=True, decoder_sparse_step=1,
    mlp_only_layers=[], max_position_embeddings=40960, rms_norm_eps=1e-6,
    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, tie_word_embeddings=False,
)
torch.manual_seed(0)
t0 = time.perf_counter()
with torch.device("cuda"):
    try:
        model = Qwen3MoeForCausalLM._from_config(cfg, dtype=torch.bfloat16, attn_implementation="eager", experts_implementation="eager")
    except TypeError:
        model = Qwen3MoeForCausalLM._from_config(cfg, dtype=torch.bfloat16, attn_implementation="eager")
model.eval()
torch.cuda.synchronize()
load_s = time.perf_counter() - t0
print(f"transformers {transformers.__version__}, torch {torch.__version__}, {torch.cuda.get_device_name()}: "
      f"{sum(p.numel() for p in model.parameters()) / 1e9:.2f} B params, {torch.cuda.memory_allocated() / 2**30:.1f} GiB, made in {load_s:.1f} s", flush=True)

ids = torch.randint(0, cfg.vocab_size, (1, PROMPT), device="cuda")


@torch.no_grad()
def run(backend: str) -> None:
    def prefill():
        out = model(ids, use_cache=True)
        return out.past_key_values, out.logits[:, -1:].argmax(-1)

    prefill()  # warm
    torch.cuda.synchronize()
    t = time.perf_counter()
    past, tok = prefill()
    torch.cuda.synchronize()
    prefill_s = time.perf_counter() - t
    for _ in range(3):  # warm decode
        out = model(tok, past_key_values=past, use_cache=True)
        past, tok = out.past_key_values, out.logits[:, -1:].argmax(-1)
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(GEN):
        out = model(tok, past_key_values=past, use_cache=True)
        past, tok = out.past_key_values, out.logits[:, -1:].argmax(-1)
    torch.cuda.synchronize()
    decode_s = (time.perf_counter() - t) / GEN
    print(json.dumps({
        "engine": "transformers", "experts_implementation": backend,
        "attn_implementation": model.config._attn_implementation, "dtype": "bf16", "prompt": PROMPT, "gen": GEN,
        "prefill_tps": PROMPT / prefill_s, "decode_tps": 1 / decode_s, "decode_ms": decode_s * 1000,
        "ttft_ms": prefill_s * 1000, "peak_gpu_bytes": torch.cuda.max_memory_allocated(),
        "gpu": torch.cuda.get_device_name(),
    }), flush=True)


for backend in ("eager", "grouped_mm"):
    try:
        if getattr(model.config, "_experts_implementation", backend) != backend:
            model.set_experts_implementation(backend)
        run(getattr(model.config, "_experts_implementation", "eager (this version has no experts backends)"))
    except Exception as e:  # a backend this torch/transformers lacks: say so, keep the other numbers
        print(json.dumps({"engine": "transformers", "experts_implementation": backend, "error": repr(e)[:300]}), flush=True)
