"""Canonicalization on TorchScript from real PyTorch code, checked against PyTorch:
  - sizes the model fixes (head_dim from a view, ...) become constants and the arithmetic on
    them folds, while sizes the inputs set stay dynamic: the bundle still runs another length;
  - torch.ones / zeros / arange / full of such sizes are materialized as constants;
  - permute of permute is one permute, an identity permute is gone;
  - a half-precision model computes in f32 and returns f16, like PyTorch's outputs.

usage: .venv/bin/python canonical_test.py CACTUS_BINARY WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "patterns"))
from fusion_test import repeat_kv, rotate_half  # noqa: E402  (the HF spellings)


class LlamaAttention(torch.nn.Module):  # projections, rope from positions, GQA, causal mask
    def __init__(self, d=64, heads=4, kv_heads=2):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, d // heads
        self.q_proj = torch.nn.Linear(d, heads * self.head_dim, bias=False)
        self.k_proj = torch.nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.v_proj = torch.nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.o_proj = torch.nn.Linear(heads * self.head_dim, d, bias=False)
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim)), persistent=False)

    def forward(self, x):
        b, n, _ = x.shape
        q = self.q_proj(x).view(b, n, -1, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, n, -1, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, n, -1, self.head_dim).transpose(1, 2)
        freqs = (self.inv_freq[None, :, None] @ torch.arange(n)[None, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, self.heads // self.kv_heads), repeat_kv(v, self.heads // self.kv_heads)
        w = torch.matmul(q, k.transpose(2, 3)) * q.shape[-1] ** -0.5 + torch.full((n, n), float("-inf")).triu(1)
        o = torch.matmul(F.softmax(w, dim=-1), v)
        return self.o_proj(o.transpose(1, 2).reshape(b, n, -1))


class Materialized(torch.nn.Module):  # creation ops sized by a dim the weights fix
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 12)

    def forward(self, x):
        h = self.fc(x)
        d = h.shape[-1]
        scale = torch.arange(d).float() / d + torch.ones(d) - torch.zeros(d)
        return h * scale + torch.full((d,), 0.5)


class Permutes(torch.nn.Module):
    def forward(self, x):
        y = x.transpose(1, 2).transpose(1, 2) + 1  # identity after composition
        z = x.permute(0, 2, 1).permute(2, 0, 1)  # one permute
        return y * 2, z


class Half(torch.nn.Module):  # exported with .half(): f16 activations, f16 result
    def forward(self, x):
        y = (x * 2 + 1).float()
        return (torch.relu(y - 0.5).half() * 3).sum(-1)


class ParamViews(torch.nn.Module):  # freezing folds views of parameters into constants
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(8, 7)
        self.bias = torch.nn.Parameter(torch.randn(7))

    def forward(self, x):  # x [B, 7, T]: a per-channel bias through a view, a transposed weight
        y = x + self.bias[:, None]
        return y.transpose(1, 2) @ self.proj.weight + 1


def run(cactus, d, name, model, xs, more=None):
    os.makedirs(d)
    torch.jit.trace(model, xs).save(f"{d}/m.ts")
    args = []
    for i, x in enumerate(xs):
        np.save(f"{d}/x{i}.npy", x.numpy())
        args += ["--example-input", f"{d}/x{i}.npy"]
    weights = []
    if len(model.state_dict()):
        torch.save(model.state_dict(), f"{d}/m.pt")
        subprocess.run([cactus, "convert", f"{d}/m.pt", f"{d}/w", "--bits", "32"], check=True, capture_output=True)
        weights = ["--weights-dir", f"{d}/w"]
    subprocess.run([cactus, "transpile", f"{d}/m.ts", *weights, "--artifact-dir", f"{d}/b", *args, "--quiet", "--skip-reference-compare"], check=True,
                   capture_output=True)
    ir = json.load(open(f"{d}/b/optimized_ir.json"))
    results = []
    for tag, inputs in [("example", xs)] + ([("other shape", more)] if more else []):
        ins = []
        for i, x in enumerate(inputs):
            np.save(f"{d}/in_{i}.npy", x.numpy())
            ins += ["--input", f"{d}/in_{i}.npy"]
        subprocess.run([cactus, "run", f"{d}/b", *ins, "--output-dir", f"{d}/o"], check=True, capture_output=True)
        with torch.no_grad():
            ref = model(*inputs)
        refs = ref if isinstance(ref, tuple) else (ref,)
        for k, r in enumerate(refs):
            got = np.load(f"{d}/o/output_{k}.npy")
            r = r.numpy()
            err = float(np.abs(got.astype(np.float64) - r).max() / max(np.abs(r).max(), 1e-30))
            results.append((f"{tag} output {k}", got.dtype == r.dtype and got.shape == r.shape, err, got.dtype))
    return [n["op"] for n in ir["nodes"]], ir, results


def main():
    cactus, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    failures = 0

    def check(ok, what):
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {what}")

    torch.manual_seed(0)
    ops, ir, res = run(cactus, f"{work}/llama", "llama", LlamaAttention().eval(), (torch.randn(1, 6, 64),), more=(torch.randn(1, 9, 64),))
    consts = {v["id"]: v["constant"].get("value") for v in ir["values"] if "constant" in v}
    sizes = [n for n in ir["nodes"] if n["op"] == "size"]
    check(all(consts.get(n["inputs"][1]) in (0, 1) for n in sizes) and len(sizes) == 2,
          f"llama attention: only batch and length stay size() calls ({len(sizes)} left)")
    rope = [n for n in ir["nodes"] if n["op"] == "rope"]
    attn = [n for n in ir["nodes"] if n["op"] == "attention"]
    check(len(rope) == 2 and all(consts.get(n["inputs"][3]) == 8 for n in rope), "llama attention: rope x2 with the split folded to head_dim // 2 = 8")
    check(len(attn) == 1 and consts.get(attn[0]["inputs"][4]) == 0.25, "llama attention: one attention op, scale folded to 16 ** -0.5 = 0.25")
    for what, ok, err, dt in res:
        check(ok and err < 1e-5, f"llama attention {what}: rel err vs PyTorch {err:.1e}")

    ops, ir, res = run(cactus, f"{work}/materialized", "materialized", Materialized().eval(), (torch.randn(3, 8),), more=(torch.randn(5, 8),))
    check(not {"arange", "ones", "zeros", "full", "size"} & set(ops), f"ones/zeros/arange/full of a fixed size are constants: {ops}")
    for what, ok, err, dt in res:
        check(ok and err < 1e-6, f"materialized {what}: rel err vs PyTorch {err:.1e}")

    ops, ir, res = run(cactus, f"{work}/permutes", "permutes", Permutes(), (torch.randn(2, 3, 4),))
    check(ops.count("permute") == 1, f"permute rewrites: one permute left of four ({ops})")
    for what, ok, err, dt in res:
        check(ok and err < 1e-6, f"permutes {what}: rel err vs PyTorch {err:.1e}")

    # a frozen view of a parameter (bias[:, None], weight used as is) is not that parameter:
    # only the tensor with the parameter's own shape binds to its converted file
    ops, ir, res = run(cactus, f"{work}/param_views", "param_views", ParamViews().eval(), (torch.randn(2, 7, 5),))
    bound = sorted(v["weight"] for v in ir["values"] if "weight" in v)
    check(bound == ["proj.weight"], f"param views: only the parameter itself binds by name ({bound})")
    for what, ok, err, dt in res:
        check(ok and err < 1e-6, f"param views {what}: rel err vs PyTorch {err:.1e}")

    ops, ir, res = run(cactus, f"{work}/half", "half", Half(), (torch.randn(2, 16).half(),))
    types = {v["id"]: v.get("dtype") for v in ir["values"]}
    computed_half = [n["op"] for n in ir["nodes"] if n["op"] != "cast" and any(types.get(o) == "f16" for o in n["outputs"])]
    check(not computed_half, f"half model: no op but cast produces f16 ({computed_half})")
    for what, ok, err, dt in res:
        check(ok and err < 2e-3, f"half model {what}: dtype {dt}, rel err vs PyTorch {err:.1e}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
