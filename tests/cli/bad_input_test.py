"""Bad input gives one clear error line and a non-zero exit, never a crash or a partial bundle.

usage: /usr/bin/python3 bad_input_test.py CACTUS_BINARY WORKDIR
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

cactus, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []
n_cases = 1  # the no-partial-bundle check below


def expect_error(label, args, *needles):
    p = subprocess.run([cactus, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = p.stderr.strip().splitlines()
    err = lines[-1] if lines else ""
    # progress lines may come first; the error is exactly one line, the last one
    global n_cases
    n_cases += 1
    ok = (p.returncode == 1 and err.startswith("cactus: error:") and sum(l.startswith("cactus: error:") for l in lines) == 1
          and all(n in err for n in needles))
    print(f"{'ok  ' if ok else 'FAIL'} {label}: exit {p.returncode}: {err}")
    if not ok:
        failures.append(label)


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        return torch.relu(self.fc(x))


class Unsupported(torch.nn.Module):
    def forward(self, x):
        return torch.cumsum(x, dim=1)


torch.manual_seed(0)
m = Small().eval()
sd, ts = os.path.join(work, "small.pt"), os.path.join(work, "small.ts")
torch.save(m.state_dict(), sd)
torch.jit.trace(m, torch.randn(2, 8)).save(ts)
np.save(os.path.join(work, "x.npy"), np.random.randn(2, 8).astype(np.float32))
np.save(os.path.join(work, "x_i64.npy"), np.zeros((2, 8), np.int64))
np.save(os.path.join(work, "x_rank.npy"), np.zeros((16,), np.float32))
np.save(os.path.join(work, "x_wrong.npy"), np.zeros((2, 5), np.float32))
junk = os.path.join(work, "junk.bin")
open(junk, "wb").write(b"this is not a model at all" * 10)
bundle = os.path.join(work, "bundle")
subprocess.run([cactus, "convert", sd, bundle], check=True, stdout=subprocess.PIPE)
subprocess.run([cactus, "transpile", ts, "--weights-dir", bundle, "--input-shape", "2x8:f32", "--quiet"], check=True, stdout=subprocess.PIPE)

expect_error("missing file (convert)", ["convert", os.path.join(work, "nope.pt"), os.path.join(work, "o")], "nope.pt", "no such file")
expect_error("missing file (transpile)", ["transpile", os.path.join(work, "nope.ts"), "--input-shape", "1x8"], "nope.ts")
expect_error("missing bundle (run)", ["run", os.path.join(work, "nope")], "nope")
expect_error("not a model (convert)", ["convert", junk, os.path.join(work, "o2")], "junk.bin", "not a state_dict")
expect_error("not a TorchScript archive (transpile)", ["transpile", junk, "--input-shape", "1x8"], "junk.bin", "not a TorchScript archive")
expect_error("state_dict given to transpile", ["transpile", sd, "--input-shape", "1x8"], "state_dict", "torch.jit.trace")
expect_error("unsupported bit width", ["convert", sd, os.path.join(work, "o3"), "--bits", "5"], "--bits", "got 5")
expect_error("bit width that is not a number", ["convert", sd, os.path.join(work, "o3"), "--bits", "four"], "--bits", "'four'")
expect_error("wrong input dtype", ["run", bundle, "--input", os.path.join(work, "x_i64.npy")], "must be f32", "got i64")
expect_error("wrong input rank", ["run", bundle, "--input", os.path.join(work, "x_rank.npy")], "rank")
expect_error("wrong input shape", ["run", bundle, "--input", os.path.join(work, "x_wrong.npy")], "linear", "does not match weight")
expect_error("unknown option", ["run", bundle, "--frobnicate", "1"], "--frobnicate")

# Damaged bundles: truncated weight file, flipped byte in a weight header, truncated and corrupted graph.
for label, fname, mutate, needle in [
    ("truncated weight file", "fc.weight.weights", lambda b: b[: len(b) // 2], "fc.weight.weights"),
    ("flipped byte in weight header", "fc.weight.weights", lambda b: b[:20] + bytes([b[20] ^ 0xFF]) + b[21:], "fc.weight.weights"),
    ("truncated graph.cactus", "graph.cactus", lambda b: b[:-7], "graph.cactus"),
    ("corrupted graph.cactus", "graph.cactus", lambda b: b[:-7] + bytes([b[-7] ^ 1]) + b[-6:], "graph.cactus"),
]:
    dmg = os.path.join(work, "damaged")
    shutil.rmtree(dmg, ignore_errors=True)
    shutil.copytree(bundle, dmg)
    path = os.path.join(dmg, fname)
    data = open(path, "rb").read()
    open(path, "wb").write(mutate(data))
    expect_error(label, ["run", dmg, "--input", os.path.join(work, "x.npy")], needle)

# Re-lowering from saved IR: a missing file, and a file that is not IR.
expect_error("lower: missing IR", ["lower", os.path.join(work, "nope_ir.json"), "--artifact-dir", os.path.join(work, "rl")], "nope_ir.json", "no such file")
expect_error("lower: not IR JSON", ["lower", junk, "--artifact-dir", os.path.join(work, "rl")], "junk.bin", "invalid JSON")
expect_error("lower: onto its own bundle", ["lower", os.path.join(bundle, "optimized_ir.json"), "--artifact-dir", bundle], "other than the source bundle")

# Unsupported op: named with its source line, and no partial bundle is left behind.
uts = os.path.join(work, "unsupported.ts")
torch.jit.trace(Unsupported(), torch.randn(2, 8)).save(uts)
art = os.path.join(work, "unsupported_bundle")
expect_error("unsupported aten op", ["transpile", uts, "--input-shape", "2x8", "--artifact-dir", art], "aten::cumsum", "bad_input_test.py:")
leftover = os.listdir(art) if os.path.exists(art) else []
print(("ok  " if not leftover else "FAIL") + f" no partial bundle after a failed transpile: {leftover}")
if leftover:
    failures.append("partial bundle")

print(f"{n_cases - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
