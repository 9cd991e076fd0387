"""Builds the training corpus of the embedded default model from Debian's `fortunes` package
(fortune-mod's data files, BSD licence: /usr/share/doc/fortunes/copyright).

    apt-get install fortunes   # or: apt-get download fortunes && dpkg -x fortunes_*.deb ROOT
    python3 reference/corpus_fortunes.py [ROOT] > corpus.jsonl

One JSON object per fortune: {"category": file name, "text": the fortune}. The picture files (art,
ascii-art), translate-me and the ethnic, men-women and drugs files are left out; whitespace
inside a fortune is kept as written.
"""
import json
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else "/") / "usr/share/games/fortunes"
SKIP = {"art", "ascii-art", "translate-me", "ethnic", "men-women", "drugs"}
n = 0
for f in sorted(root.iterdir()):
    if f.suffix or f.name in SKIP or f.is_symlink() or not f.is_file():
        continue
    text = f.read_bytes().decode("utf-8", errors="replace")
    for chunk in text.split("\n%\n"):
        chunk = chunk.strip("\n").rstrip()
        if 20 <= len(chunk) <= 1200:
            print(json.dumps({"category": f.name, "text": chunk}, ensure_ascii=False))
            n += 1
print(f"{n} fortunes", file=sys.stderr)
