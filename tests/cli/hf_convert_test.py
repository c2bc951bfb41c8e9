"""`cactus convert` on a Hugging Face style directory: sharded safetensors with an index, bf16,
f16 and f32 tensors, config and tokenizer files; --bits 4 with --keep. Checks the manifest, the
copied side files, and the weight files byte by byte: f16 values exactly, int8 embeddings and
CQ4 matrices by decoding them here, independently of the C++ code, from the documented format
(include/cactus/core/packed.hpp, quant/codebook.hpp, quant/weight_file.hpp).

usage: .venv/bin/python hf_convert_test.py CACTUS_BINARY WORKDIR
"""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch

CQ4_LEVELS = [-127, -97, -75, -59, -45, -31, -19, -7, 7, 19, 31, 45, 59, 75, 97, 127]
CQ4_STEP = np.float32(0.001870928076289102)
SEED = 0x43414354
M64 = (1 << 64) - 1


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, (dt, t) in tensors.items():
        if dt == "BF16":
            raw = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().astype({"F16": np.float16, "F32": np.float32}[dt]).tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def rotation_signs():
    signs, x = [], SEED
    for _ in range(2):
        x = (x + 0x9E3779B97F4A7C15) & M64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        signs += [-1.0 if (z >> b) & 1 else 1.0 for b in range(64)]
    return np.array(signs)


def hadamard(n):
    h = np.array([[1.0]])
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h / np.sqrt(n)


def read_weight_file(path):
    b = open(path, "rb").read()
    assert b[:4] == b"CACT", path
    version, align, ndim = struct.unpack_from("<III", b, 4)
    dims = struct.unpack_from("<4Q", b, 16)[:ndim]
    prec, data_bytes, scales_bytes, group, groups, k = struct.unpack_from("<IQQIIQ", b, 48)
    kp = struct.unpack_from("<I", b, 108)[0]
    assert version == 2 and align == 64 and len(b) == 128 + data_bytes + scales_bytes, path
    return dict(dims=list(dims), prec=prec, data=b[128:128 + data_bytes], scales=b[128 + data_bytes:], group=group, k=k, kp=kp)


def decode_q8(w):
    rows, g = w["dims"][0], w["kp"] // 128
    codes = np.frombuffer(w["data"][:rows * w["kp"]], dtype=np.int8).reshape(rows, g, 128).astype(np.float32)
    steps = np.frombuffer(w["scales"], dtype=np.float16).astype(np.float32).reshape(rows, g, 1)
    return (codes * steps).reshape(rows, -1)[:, :w["k"]]


def decode_cq4(w):
    rows, g = w["dims"][0], w["kp"] // 128
    packed = np.frombuffer(w["data"][:rows * g * 64], dtype=np.uint8).reshape(rows, g, 64)
    codes = np.concatenate([packed & 15, packed >> 4], axis=2)  # byte j: codes j and j + 64
    y = np.array(CQ4_LEVELS, dtype=np.float32)[codes] * CQ4_STEP
    y *= np.frombuffer(w["scales"], dtype=np.float16).astype(np.float32).reshape(rows, g, 1)
    x = (y @ hadamard(128).T) * rotation_signs()  # R^T = diag(s) H, H symmetric
    return x.reshape(rows, -1)[:, :w["k"]]


def main():
    cactus, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    src, out = os.path.join(work, "hf"), os.path.join(work, "out")
    os.makedirs(src)
    torch.manual_seed(0)
    t = {
        "model.embed_tokens.weight": ("BF16", torch.randn(300, 64)),
        "model.layers.0.mlp.up_proj.weight": ("F16", torch.randn(200, 300) * 0.05),
        "model.norm.weight": ("F32", torch.rand(64) + 0.5),
        "lm_head.weight": ("F32", torch.randn(300, 64) * 0.1),
        "model.layers.0.self_attn.q_proj.weight": ("BF16", torch.randn(64, 64) * 0.1),
    }
    shards = {"model-00001-of-00002.safetensors": list(t)[:3], "model-00002-of-00002.safetensors": list(t)[3:]}
    for f, names in shards.items():
        write_safetensors(os.path.join(src, f), {n: t[n] for n in names})
    json.dump({"metadata": {}, "weight_map": {n: f for f, ns in shards.items() for n in ns}},
              open(os.path.join(src, "model.safetensors.index.json"), "w"))
    json.dump({"model_type": "llama", "hidden_size": 64}, open(os.path.join(src, "config.json"), "w"))
    json.dump({"model": {"type": "BPE"}}, open(os.path.join(src, "tokenizer.json"), "w"))
    json.dump({"bos_token": "<s>"}, open(os.path.join(src, "tokenizer_config.json"), "w"))

    r = subprocess.run([cactus, "convert", src, out, "--bits", "4", "--keep", "lm_head"], capture_output=True, text=True)
    print(r.stdout.strip())
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr, "progress must stay quiet when stderr is not a terminal"
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        assert open(os.path.join(out, f)).read() == open(os.path.join(src, f)).read(), f"{f} not copied"
    m = {w["source_name"]: w for w in json.load(open(os.path.join(out, "weights_manifest.json")))["weights"]}
    assert set(m) == set(t), m.keys()
    expect = {"model.embed_tokens.weight": ("int8", "embedding"), "model.layers.0.mlp.up_proj.weight": ("cq4", "matrix"),
              "model.norm.weight": ("fp16", "vector"), "lm_head.weight": ("fp16", "matrix"),
              "model.layers.0.self_attn.q_proj.weight": ("cq4", "matrix")}
    for name, (prec, kind) in expect.items():
        e = m[name]
        assert (e["precision"], e["kind"]) == (prec, kind), (name, e)
        assert e["shape"] == list(t[name][1].shape), e
        w = read_weight_file(os.path.join(out, e["file"]))
        assert e["bytes"] == len(w["data"]) + len(w["scales"]), e
        ref = t[name][1]
        if t[name][0] == "BF16":
            ref = ref.to(torch.bfloat16).float()
        elif t[name][0] == "F16":
            ref = ref.half().float()
        ref = ref.numpy().reshape(ref.shape[0], -1) if ref.dim() > 1 else ref.numpy()
        if prec == "fp16":
            got = np.frombuffer(w["data"], dtype=np.float16).astype(np.float32).reshape(ref.shape)
            assert np.array_equal(got, ref.astype(np.float16).astype(np.float32)), name
            print(f"{name}: fp16, exact")
            continue
        assert e["group_size"] == 128 and w["group"] == 128 and e["padded_k"] == w["kp"] == -(-ref.shape[1] // 128) * 128, e
        got = decode_q8(w) if prec == "int8" else decode_cq4(w)
        rel = float(((got - ref) ** 2).sum() / (ref ** 2).sum())
        bound = 1e-4 if prec == "int8" else 0.02  # int8: ~4e-5, CQ4: Lloyd-Max ~0.0093
        print(f"{name}: {prec} bits {e['bits']} padded_k {e['padded_k']}, relative MSE decoded here {rel:.5f} (bound {bound})")
        assert rel < bound, (name, rel)

    # failures: a shard missing, an unknown width; nothing half-written is left behind
    os.remove(os.path.join(src, "model-00002-of-00002.safetensors"))
    bad = os.path.join(work, "bad_out")
    r = subprocess.run([cactus, "convert", src, bad, "--bits", "4"], capture_output=True, text=True)
    assert r.returncode == 1 and "model-00002-of-00002.safetensors" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(bad, "weights_manifest.json"))
    r = subprocess.run([cactus, "convert", src, bad, "--bits", "5"], capture_output=True, text=True)
    assert r.returncode == 1 and "--bits" in r.stderr, r.stderr
    assert not os.path.exists(bad) or not os.listdir(bad), os.listdir(bad)
    print("hf_convert: ok")


if __name__ == "__main__":
    main()
