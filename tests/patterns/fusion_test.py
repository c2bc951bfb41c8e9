"""Each fusion rule on TorchScript produced by real PyTorch code, in its common spellings, and
on near misses: `cactus transpile` with the rule on and off (--no-fuse-<name>), counting the
fused op in optimized_ir.json and comparing `cactus run`'s output with PyTorch both ways.

usage: /usr/bin/python3 fusion_test.py CACTUS_BINARY WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch


class LlamaRMSNorm(torch.nn.Module):  # as in HF transformers' Llama / Qwen3 / Mistral
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.rand(d) + 0.5)
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class GemmaRMSNorm(torch.nn.Module):  # as in HF transformers' Gemma: (1 + weight), x * x
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.randn(d) * 0.1)

    def _norm(self, x):
        return x * torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps)

    def forward(self, x):
        output = self._norm(x.float())
        output = output * (1.0 + self.weight.float())
        return output.type_as(x)


class WrongDim(LlamaRMSNorm):  # near miss: statistics over the sequence, not the features
    def forward(self, x):
        variance = x.pow(2).mean(1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.variance_epsilon))


class Block(torch.nn.Module):
    def __init__(self, norm):
        super().__init__()
        self.norm, self.proj = norm, torch.nn.Linear(64, 64)

    def forward(self, x):
        return self.proj(self.norm(x)) + x


cases = [("llama", LlamaRMSNorm, "rms_norm", 1), ("gemma", GemmaRMSNorm, "rms_norm", 1), ("wrong_dim", WrongDim, "rms_norm", 0)]


def main():
    cactus, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    failures = 0
    for name, norm, op, expect in cases:
        torch.manual_seed(0)
        model = Block(norm(64)).eval()
        x = torch.randn(2, 7, 64)
        d = os.path.join(work, name)
        os.makedirs(d)
        torch.save(model.state_dict(), f"{d}/m.pt")
        torch.jit.trace(model, x).save(f"{d}/m.ts")
        np.save(f"{d}/x.npy", x.numpy())
        with torch.no_grad():
            ref = model(x).numpy()
        subprocess.run([cactus, "convert", f"{d}/m.pt", f"{d}/w", "--bits", "32"], check=True, capture_output=True)
        for fused in (True, False):
            out = f"{d}/bundle_{'on' if fused else 'off'}"
            flags = [] if fused else ["--no-fuse-" + op.replace("_", "-")]
            subprocess.run([cactus, "transpile", f"{d}/m.ts", "--weights-dir", f"{d}/w", "--artifact-dir", out, "--example-input", f"{d}/x.npy",
                            "--quiet", "--skip-reference-compare", *flags], check=True, capture_output=True)
            ops = [n["op"] for n in json.load(open(f"{out}/optimized_ir.json"))["nodes"]]
            subprocess.run([cactus, "run", out, "--input", f"{d}/x.npy", "--output-dir", f"{out}/o"], check=True, capture_output=True)
            got = np.load(f"{out}/o/output_0.npy")
            err = float(np.abs(got - ref).max() / np.abs(ref).max())
            count = ops.count(op) if fused else ops.count(op)
            want = expect if fused else 0
            ok = count == want and err < 1e-5
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name:10s} fusion {'on ' if fused else 'off'}: {count} {op} (want {want}), {len(ops)} ops, "
                  f"rel err vs PyTorch {err:.1e}")
    # cactus inspect: op counts per pass, the fusion report, and a dot file
    r = subprocess.run([cactus, "inspect", f"{work}/llama/bundle_on", "--dot", f"{work}/llama.dot"], capture_output=True, text=True)
    dot = open(f"{work}/llama.dot").read() if os.path.exists(f"{work}/llama.dot") else ""
    ok = r.returncode == 0 and "rms_norm x1" in r.stdout and "fold_constants" in r.stdout and dot.startswith("digraph") and "rms_norm" in dot
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} cactus inspect: per-pass op counts, fusion report, {len(dot)} bytes of dot")
    r = subprocess.run([cactus, "inspect", f"{work}/llama/bundle_on", "--no-fuse-rms-norm"], capture_output=True, text=True)
    ok = r.returncode == 0 and "rms_norm (off)" in r.stdout
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} cactus inspect --no-fuse-rms-norm")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
