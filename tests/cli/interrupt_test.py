"""Kills of `cactus convert` and `cactus transpile` at random points never leave a mixed bundle.

Each kill (SIGKILL, at a random moment of the run) is followed by a look at the bundle and a
`cactus run`: the bundle must be the old one or the new one, file for file, and run must give
the old outputs, the new ones, or (a convert of other weights under an existing graph) the error
that the weights no longer match the graph. After the kills, one complete run must remove the
stages the killed runs left behind.

usage: .venv/bin/python interrupt_test.py CACTUS_BINARY WORKDIR [KILLS]
"""
import glob
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

cactus, work = sys.argv[1], sys.argv[2]
kills = int(sys.argv[3]) if len(sys.argv) > 3 else 8
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
rng = random.Random(1234)
failures = []
n_cases = 0


def report(ok, label):
    global n_cases
    n_cases += 1
    print(f"{'ok  ' if ok else 'FAIL'} {label}")
    if not ok:
        failures.append(label)


class MLP(torch.nn.Module):
    def __init__(self, act):
        super().__init__()
        self.layers = torch.nn.ModuleList([torch.nn.Linear(512, 512) for _ in range(8)])
        self.act = act

    def forward(self, x):
        for layer in self.layers:
            x = self.act(layer(x))
        return x


x = torch.randn(2, 512)
np.save(os.path.join(work, "x.npy"), x.numpy())
torch.manual_seed(0)
relu = MLP(torch.relu).eval()
torch.manual_seed(1)
other = MLP(torch.relu).eval()
sd_a, sd_b = os.path.join(work, "a.pt"), os.path.join(work, "b.pt")
torch.save(relu.state_dict(), sd_a)
torch.save(other.state_dict(), sd_b)
ts_relu, ts_gelu = os.path.join(work, "relu.ts"), os.path.join(work, "gelu.ts")
torch.jit.trace(relu, x).save(ts_relu)
gelu = MLP(torch.nn.functional.gelu).eval()
gelu.load_state_dict(relu.state_dict())
torch.jit.trace(gelu, x).save(ts_gelu)


def cli(*args, check=True):
    p = subprocess.run([cactus, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise SystemExit(f"cactus {' '.join(args)} failed: {p.stderr.strip()}")
    return p


def timed(*args):
    t = time.time()
    cli(*args)
    return time.time() - t


def run_output(bundle):
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    p = cli("run", bundle, "--input", os.path.join(work, "x.npy"), "--output-dir", out, check=False)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"
    return np.load(sorted(glob.glob(os.path.join(out, "*.npy")))[0]), ""


def digest(bundle):
    """The bundle's files: relative path -> sha256 (stages beside it are not part of it)."""
    r = {}
    for root, _, files in os.walk(bundle):
        for f in files:
            p = os.path.join(root, f)
            r[os.path.relpath(p, bundle)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return r


def kill_at_random(args, seconds):
    p = subprocess.Popen([cactus, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0, seconds))
    p.kill()
    p.wait()


def stages(bundle):
    return glob.glob(os.path.join(os.path.dirname(bundle), "." + os.path.basename(bundle) + ".cactus-staging-*"))


# convert B over bundle K (weights A + a graph lowered against them), killed at random points
k = os.path.join(work, "k")
cli("convert", sd_a, k, "--bits", "4")
cli("transpile", ts_relu, "--weights-dir", k, "--input-shape", "2x512:f32", "--quiet")
out_a, _ = run_output(k)
state_a = digest(k)
scratch = os.path.join(work, "scratch")
t_convert = timed("convert", sd_b, scratch, "--bits", "4")
state_b = digest(k) | {f: h for f, h in digest(scratch).items()}  # B's weights, K's graph
print(f"convert takes {t_convert:.2f} s; {kills} kills")
for i in range(kills):
    kill_at_random(["convert", sd_b, k, "--bits", "4"], t_convert * 1.2)
    state = digest(k)
    which = "old" if state == state_a else "new" if state == state_b else "mixed"
    out, err = run_output(k)
    if which == "old":
        ok = out is not None and np.array_equal(out, out_a)
    else:
        ok = which == "new" and out is None and "changed since this graph was lowered" in err
    report(ok, f"convert killed ({i + 1}/{kills}): the bundle is the {which} one; run: {'outputs as before' if out is not None else err}")
    if which == "new":
        cli("convert", sd_a, k, "--bits", "4")  # back to A: the graph runs again
report(digest(k) == state_a and run_output(k)[0] is not None, "convert of A again: the graph lowered against A runs")
cli("convert", sd_a, k, "--bits", "4")
report(not stages(k), f"no stages left after a complete convert: {stages(k)}")

# transpile a different graph (GELU for ReLU) into bundle T, killed at random points
t = os.path.join(work, "t")
cli("convert", sd_a, t, "--bits", "4")
cli("transpile", ts_relu, "--weights-dir", t, "--input-shape", "2x512:f32", "--quiet")
out_relu, _ = run_output(t)
state_relu = digest(t)
t2 = os.path.join(work, "t2")
shutil.copytree(t, t2)
t_transpile = timed("transpile", ts_gelu, "--weights-dir", t2, "--input-shape", "2x512:f32", "--quiet")
out_gelu, _ = run_output(t2)
state_gelu = digest(t2)
assert not np.allclose(out_relu, out_gelu), "the two graphs must give different outputs"
print(f"transpile takes {t_transpile:.2f} s")
for i in range(kills):
    kill_at_random(["transpile", ts_gelu, "--weights-dir", t, "--input-shape", "2x512:f32", "--quiet"], t_transpile * 1.2)
    state = digest(t)
    which = "old" if state == state_relu else "new" if state == state_gelu else "mixed"
    out, err = run_output(t)
    want = out_relu if which == "old" else out_gelu
    ok = which != "mixed" and out is not None and np.array_equal(out, want)
    report(ok, f"transpile killed ({i + 1}/{kills}): the bundle is the {which} one; run: {'its outputs' if ok else err or 'other outputs'}")
    if which == "new":
        cli("transpile", ts_relu, "--weights-dir", t, "--input-shape", "2x512:f32", "--quiet")
cli("transpile", ts_relu, "--weights-dir", t, "--input-shape", "2x512:f32", "--quiet")
report(not stages(t) and digest(t) == state_relu, f"no stages left after a complete transpile: {stages(t)}")

print(f"{n_cases - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
