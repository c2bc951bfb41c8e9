"""End to end for op tests: a module is captured one way (TorchScript, torch.export, or
torch.export after run_decompositions(), the core ATen opset), transpiled by the CLI and run on
the same inputs; its outputs are compared with PyTorch's (dtype, shape, and values: exactly, or
to a relative error of the output's largest magnitude). Tallies through tests/checks.py."""
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402,F401

HOWS = ("torchscript", "export", "export-core")


def capture(model, xs, path, how):
    if how == "torchscript":
        torch.jit.trace(model, xs, check_trace=False).save(path)
        return
    ep = torch.export.export(model, xs)
    if how == "export-core":
        ep = ep.run_decompositions()
    torch.export.save(ep, path)


def transpile(cactus, d, src, xs, extra=()):
    """Transpiles src into d/b with xs as example inputs (saved as d/x{i}.npy): the CLI's result."""
    args = []
    for i, x in enumerate(xs):
        np.save(f"{d}/x{i}.npy", x.numpy())
        args += ["--example-input", f"{d}/x{i}.npy"]
    return subprocess.run([cactus, "transpile", src, "--artifact-dir", f"{d}/b", *args, "--quiet", *extra], capture_output=True, text=True)


def run_model(cactus, work, tag, model, xs, how):
    """Captures, transpiles and runs model on xs; the outputs as numpy arrays, or None after a
    failed check."""
    d = os.path.join(work, f"{tag}-{how}")
    os.makedirs(d, exist_ok=True)
    src = os.path.join(d, "m.ts" if how == "torchscript" else "m.pt2")
    capture(model, xs, src, how)
    r = transpile(cactus, d, src, xs, ["--skip-reference-compare"])
    check(f"{tag} {how}: transpile", r.returncode == 0, r.stderr.strip()[-2000:] if r.returncode else "")
    if r.returncode:
        return None
    ins = [a for i in range(len(xs)) for a in ("--input", f"{d}/x{i}.npy")]
    r = subprocess.run([cactus, "run", f"{d}/b", *ins, "--output-dir", f"{d}/o"], capture_output=True, text=True)
    check(f"{tag} {how}: run", r.returncode == 0, r.stderr.strip()[-2000:] if r.returncode else "")
    if r.returncode:
        return None
    n = len([f for f in os.listdir(f"{d}/o") if f.startswith("output_")])
    return [np.load(f"{d}/o/output_{k}.npy") for k in range(n)]


def compare(label, got, ref, exact, rtol=1e-5):
    """One check: got (numpy) against ref (a torch tensor) in dtype, shape and values."""
    ref = ref.detach().numpy()
    same = got.dtype == ref.dtype and got.shape == ref.shape
    if exact:
        ok, what = same and np.array_equal(got, ref, equal_nan=got.dtype.kind == "f"), "exact"
    else:
        scale = max(float(np.abs(ref).max()) if ref.size else 0.0, 1e-30)
        err = float(np.abs(got.astype(np.float64) - ref).max() / scale) if same and ref.size else (0.0 if same else float("inf"))
        ok, what = same and err < rtol, f"rel err {err:.1e}"
    check(label, ok, f"{got.dtype}{list(got.shape)} vs PyTorch {ref.dtype}{list(ref.shape)}, {what}")


def check_model(cactus, work, tag, model, xs, names, exact, rtol=1e-5, hows=HOWS):
    """Every capture path: each named output against PyTorch's. exact: the names compared exactly."""
    with torch.no_grad():
        refs = model(*[x.clone() for x in xs])
    refs = refs if isinstance(refs, (tuple, list)) else (refs,)
    assert len(refs) == len(names), f"{tag}: {len(refs)} outputs, {len(names)} names"
    for how in hows:
        outs = run_model(cactus, work, tag, model, xs, how)
        if outs is None:
            continue
        check(f"{tag} {how}: {len(outs)} outputs", len(outs) == len(refs), f"PyTorch gives {len(refs)}")
        for name, got, ref in zip(names, outs, refs):
            compare(f"{tag} {how} {name}", got, ref, name in exact, rtol)


def check_refused(cactus, work, tag, model, xs, how, must_name):
    """The CLI refuses to transpile the model: one 'cactus: error:' line naming must_name, and
    no bundle left behind."""
    d = os.path.join(work, f"{tag}-{how}")
    os.makedirs(d, exist_ok=True)
    src = os.path.join(d, "m.ts" if how == "torchscript" else "m.pt2")
    capture(model, xs, src, how)
    r = transpile(cactus, d, src, xs)
    msg = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(f"{tag} {how}: refused", r.returncode != 0 and must_name in msg and msg.startswith("cactus: error:") and not os.path.exists(f"{d}/b"),
          msg)
