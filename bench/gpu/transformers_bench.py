"""transformers (torch bf16, eager attention) on the same shapes as qo's GPU benchmark.

Random Qwen3-0.6B weights (speed does not depend on the values), the same prompt ids as qo and
llama.cpp ((i * 7919 + 13) % vocab), P prompt tokens, G greedy tokens. Prefill: one forward of the
prompt and the argmax of its last logits (time to first token). Decode: model.generate() with a KV
cache, its time minus that first token; also a plain loop of forward calls. Median of RUNS after a
warm-up. One JSON object on stdout.

    python3 bench/gpu/transformers_bench.py [P] [G] [RUNS]
"""

import json
import statistics
import sys
import time

import torch
import transformers
from transformers import Qwen3Config, Qwen3ForCausalLM

args = [int(a) for a in sys.argv[1:]] + [512, 128, 3][len(sys.argv) - 1 :]
P, G, RUNS = args[:3]
V = 151936
shape = dict(
    vocab_size=V, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28, num_attention_heads=16,
    num_key_value_heads=8, head_dim=128, max_position_embeddings=40960, rms_norm_eps=1e-6, tie_word_embeddings=True,
)
try:
    cfg = Qwen3Config(**shape, rope_parameters={"rope_type": "default", "rope_theta": 1e6})
except TypeError:
    cfg = Qwen3Config(**shape, rope_theta=1e6)
cfg._attn_implementation = "eager"
torch.manual_seed(0)
t0 = time.perf_counter()
with torch.device("cuda"):
    model = Qwen3ForCausalLM(cfg).to(torch.bfloat16).eval()
torch.cuda.synchronize()
load_ms = (time.perf_counter() - t0) * 1000
ids = torch.tensor([[(i * 7919 + 13) % V for i in range(P)]], device="cuda")
mask = torch.ones_like(ids)


@torch.inference_mode()
def one():
    torch.cuda.synchronize()
    a = time.perf_counter()
    out = model(input_ids=ids, use_cache=True)
    nxt = out.logits[:, -1].argmax(-1, keepdim=True)
    torch.cuda.synchronize()
    ttft = time.perf_counter() - a
    # plain decode loop over the cache
    past = out.past_key_values
    b = time.perf_counter()
    for _ in range(G - 1):
        out = model(input_ids=nxt, past_key_values=past, use_cache=True)
        past = out.past_key_values
        nxt = out.logits[:, -1].argmax(-1, keepdim=True)
    torch.cuda.synchronize()
    loop = time.perf_counter() - b
    # generate(): the API people call
    c = time.perf_counter()
    gen = model.generate(ids, attention_mask=mask, max_new_tokens=G, min_new_tokens=G, do_sample=False, pad_token_id=0)
    torch.cuda.synchronize()
    total = time.perf_counter() - c
    assert gen.shape[1] == P + G
    return {
        "prefill_tps": P / ttft,
        "ttft_ms": ttft * 1000,
        "decode_tps": (G - 1) / max(1e-9, total - ttft),
        "decode_loop_tps": (G - 1) / loop,
    }


one()
runs = [one() for _ in range(RUNS)]
med = lambda k: statistics.median(r[k] for r in runs)
print(json.dumps({
    "engine": "transformers (torch bf16, eager)",
    "transformers": transformers.__version__,
    "torch": torch.__version__,
    "gpu": torch.cuda.get_device_name(0),
    "prompt_tokens": P,
    "gen_tokens": G,
    "load_ms": load_ms,
    "prefill_tps": med("prefill_tps"),
    "decode_tps": med("decode_tps"),
    "decode_loop_tps": med("decode_loop_tps"),
    "ttft_ms": med("ttft_ms"),
    "runs": runs,
}))
