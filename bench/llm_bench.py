"""Causal LM generation speed, cactus and transformers side by side in one run.

A Qwen3-0.6B-shaped model with random weights (28 layers, hidden 1024, intermediate 3072, 16
heads / 8 KV heads, head_dim 128, vocab 151936, tied embeddings) is saved with save_pretrained,
converted by `cactus convert` at fp16, q8 and CQ4, transpiled (KV cache f16) and generated with
`cactus run --input-ids` (512 prompt tokens, 128 new tokens, greedy; no EOS in the config so every
run generates all 128). transformers' eager generate runs the same model in fp32 on the same
threads. Printed per precision and thread count: prefill tokens/s (the 512-token prompt), decode
tokens/s (the 128 tokens after it), the ratio to transformers, and decode as a share of the
read-bandwidth roofline: the bytes one decode step reads (every weight file once: the tied
embedding is read whole as the output projection, and one row of it for the lookup; plus the KV
cache at the mean position) over the read
bandwidth measured here in the same run (the higher of numpy sums over a 1 GiB array per thread
and bench/read_bandwidth, a C++ read loop with hints: `ninja read_bandwidth` beside the binary).

With --ggml PATH (bench/peers/ggml_decoder.cpp built against a ggml from its public source,
outside this repository; see that file), the same decoder on ggml, llama.cpp's engine, runs in
the same session at Q4_0, Q4_K and Q8_0 (repacked CPU buffers, as llama.cpp loads weights), and
the ratios CQ4 / Q4_0, CQ4 / Q4_K and q8 / Q8_0 are printed.

This VM's speed moves by 10-30% from one run to the next (other tenants), so every engine runs
--repeat times (3) per thread count, the runs of cactus and ggml interleaved in rounds, and the
best prefill and the best decode of each are kept, as the read bandwidth is the best of its
passes: the same rule for every engine and for the roofline's denominator.

usage: .venv/bin/python bench/llm_bench.py CACTUS_BINARY WORKDIR [--layers N] [--threads 1,2] [--bits 16,8,4] [--ggml PATH] [--repeat 3]
"""
import re
import argparse
import json
import os
import subprocess
import threading
import time

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("cactus")
ap.add_argument("work")
ap.add_argument("--layers", type=int, default=28)
ap.add_argument("--threads", default="1,2")
ap.add_argument("--bits", default="16,8,4")
ap.add_argument("--prompt", type=int, default=512)
ap.add_argument("--new", type=int, default=128)
ap.add_argument("--ggml", default="")
ap.add_argument("--repeat", type=int, default=3, help="runs of every engine per thread count, in rounds; the best prefill and decode are kept")
a = ap.parse_args()
os.makedirs(a.work, exist_ok=True)
os.environ["HF_HUB_OFFLINE"] = "1"
threads = [int(t) for t in a.threads.split(",")]
bits_list = [int(b) for b in a.bits.split(",")]

import transformers  # noqa: E402

ckpt = os.path.join(a.work, f"qwen3_0.6b_shape_{a.layers}l")
cfg = transformers.Qwen3Config(vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=a.layers,
                               num_attention_heads=16, num_key_value_heads=8, head_dim=128, max_position_embeddings=4096,
                               tie_word_embeddings=True, eos_token_id=None, bos_token_id=None)
if not os.path.exists(os.path.join(ckpt, "config.json")):
    print(f"making {ckpt} ...", flush=True)
    torch.manual_seed(0)
    transformers.Qwen3ForCausalLM(cfg).eval().save_pretrained(ckpt)
model = transformers.Qwen3ForCausalLM.from_pretrained(ckpt, dtype=torch.float32).eval()
rng = np.random.default_rng(0)
prompt = rng.integers(0, cfg.vocab_size, a.prompt).tolist()


def read_bandwidth(n_threads, gib=1):
    """The higher of two read-bandwidth measures (the roofline's denominator should not flatter
    us): numpy sums on n threads, and bench/read_bandwidth (a C++ loop with read hints, built
    beside the cactus binary) when it is there."""
    best = numpy_read_bandwidth(n_threads, gib)
    probe = os.path.join(os.path.dirname(os.path.abspath(a.cactus)), "read_bandwidth")
    if os.path.exists(probe):
        out = subprocess.run([probe], check=True, capture_output=True, text=True, env=dict(os.environ, CACTUS_NUM_THREADS=str(n_threads))).stdout
        best = max(best, float(re.search(r"read bandwidth ([\d.]+) GB/s", out).group(1)) * 1e9)
    return best


def numpy_read_bandwidth(n_threads, gib=1):
    arrays = [np.ones(gib << 27, dtype=np.float64) for _ in range(n_threads)]  # 1 GiB each
    best = 0.0
    for _ in range(3):
        ts = [threading.Thread(target=np.sum, args=(x,)) for x in arrays]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        best = max(best, n_threads * (gib << 30) / (time.perf_counter() - t0))
    return best


def hf_speeds(n_threads):
    torch.set_num_threads(n_threads)
    ids = torch.tensor([prompt])
    mask = torch.ones_like(ids)

    def gen(n):
        t0 = time.perf_counter()
        with torch.no_grad():
            model.generate(ids, attention_mask=mask, do_sample=False, max_new_tokens=n, min_new_tokens=n, pad_token_id=0)
        return time.perf_counter() - t0
    t1 = gen(1)
    tn = gen(a.new + 1)
    return a.prompt / t1, a.new / (tn - t1)


def cactus_bundle(bits):
    out = os.path.join(a.work, f"b{bits}_{a.layers}l")
    if not os.path.exists(os.path.join(out, "components", "manifest.json")):
        print(f"converting and transpiling at {bits} bits ...", flush=True)
        subprocess.run([a.cactus, "convert", ckpt, out, "--bits", str(bits)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([a.cactus, "transpile", ckpt, "--weights-dir", out, "--quiet", "--skip-reference-compare"], check=True,
                       stdout=subprocess.DEVNULL)
    return out


def cactus_speeds(bundle, n_threads):
    res = os.path.join(bundle, "bench.json")
    env = dict(os.environ, CACTUS_NUM_THREADS=str(n_threads))
    subprocess.run([a.cactus, "run", bundle, "--input-ids", ",".join(map(str, prompt)), "--max-new-tokens", str(a.new),
                    "--temperature", "0", "--result-json", res], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = json.load(open(res))
    assert len(r["generated_ids"]) == a.new, len(r["generated_ids"])
    return r["prefill_tok_s"], r["decode_tok_s"], r["peak_rss_mb"]


def decode_bytes(bundle):
    m = json.load(open(os.path.join(bundle, "weights_manifest.json")))
    weights = m["weights"] if isinstance(m["weights"], list) else list(m["weights"].values())
    total = sum(int(w["bytes"]) for w in weights)
    mean_pos = a.prompt + a.new / 2
    kv = cfg.num_hidden_layers * 2 * cfg.num_key_value_heads * cfg.head_dim * mean_pos * 2  # f16
    return total + kv


bundles = {b: cactus_bundle(b) for b in bits_list}
print(f"\nmodel: Qwen3-0.6B shape, {a.layers} layers, random weights; prompt {a.prompt}, {a.new} new tokens, greedy")
print(f"{'threads':>7} {'precision':>9} {'prefill tok/s':>13} {'x HF':>6} {'decode tok/s':>12} {'x HF':>6} {'roofline':>8} {'RSS MB':>7}")
ours = {}


def ggml_speeds(kind, n_threads):
    out = subprocess.run([a.ggml, kind, str(n_threads), str(a.layers), str(a.prompt), str(a.new)], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"prefill \d+ tokens: ([\d.]+) tok/s; decode \d+ tokens after them: ([\d.]+) tok/s", out)
    return float(m.group(1)), float(m.group(2))


def best(runs):
    """The best prefill and the best decode over runs of (prefill, decode[, ...])."""
    return (max(r[0] for r in runs), max(r[1] for r in runs)) + tuple(runs[-1][2:])


ggml_kinds = (("q4_0", 4), ("q4_k", 4), ("q8_0", 8)) if a.ggml else ()
for t in threads:
    bw = read_bandwidth(t)
    hf_p, hf_d = best([hf_speeds(t) for _ in range(a.repeat)])
    print(f"{t:>7} {'HF fp32':>9} {hf_p:>13.1f} {'':>6} {hf_d:>12.2f}   (read bandwidth {bw / 1e9:.1f} GB/s)", flush=True)
    runs = {}
    for _ in range(a.repeat):  # rounds: every engine once per round
        for b, bundle in bundles.items():
            runs.setdefault(("cactus", b), []).append(cactus_speeds(bundle, t))
        for kind, _mine in ggml_kinds:
            runs.setdefault(("ggml", kind), []).append(ggml_speeds(kind, t))
    for b, bundle in bundles.items():
        p, d, rss = best(runs[("cactus", b)])
        roof = bw / decode_bytes(bundle)
        name = {16: "fp16", 8: "q8", 4: "CQ4"}.get(b, f"CQ{b}")
        print(f"{t:>7} {name:>9} {p:>13.1f} {p / hf_p:>5.2f}x {d:>12.2f} {d / hf_d:>5.2f}x {100 * d / roof:>7.0f}% {rss:>7.0f}", flush=True)
        ours[(t, b)] = (p, d)
    for kind, mine in ggml_kinds:
        gp, gd = best(runs[("ggml", kind)])
        line = f"{t:>7} {'ggml ' + kind:>9} {gp:>13.1f} {'':>6} {gd:>12.2f}"
        if (t, mine) in ours:
            p, d = ours[(t, mine)]
            line += f"   cactus {'CQ4' if mine == 4 else 'q8'} / ggml {kind}: prefill {p / gp:.2f}x, decode {d / gd:.2f}x"
        print(line, flush=True)
