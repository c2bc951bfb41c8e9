"""Zoo test for one model: build it (seeded), save state_dict + TorchScript, run `cactus
convert` / `transpile` / `run`, and compare every output with PyTorch on every input set.

usage: .venv/bin/python run_zoo.py CACTUS_BINARY MODEL_NAME WORKDIR [--bits 32|16|8|4|3|2|1] [--runtime-cli CACTUS_RUN]
                        [--packed-conv | --f32-conv] [--capture torchscript|export|export-core] [--zoo first|second]
(--zoo second: the models of models_second.py)
(--packed-conv: transpile keeps the conv kernels packed, and the test checks that it did;
 --f32-conv: every conv kernel dequantized; by default only those >= 64 channels and >= 256
 products per output stay packed, which the test checks too)
--capture export: the model goes through torch.export instead of TorchScript: the dims that
differ between the zoo's input sets are exported dynamic (torch.export.Dim from 1, or
Dim.AUTO where the model fixes them), the .pt2 is transpiled by cactus's own reader, and every
input set inside the exported ranges must match PyTorch while one outside gets the range
error; as `cactus transpile model.py:Class` does, the ops cactus's importer does not read are
decomposed to core ATen first (python/cactus_export.py). export-core does the same after
run_decompositions() (the core ATen opset).
Exit status 0 only if every comparison is within tolerance:
  fp32 weights: max|diff| <= 1e-4 * max|ref|;  fp16 weights: <= 1e-2 * max|ref|;
  quantized weights (--bits 8 and below): cosine similarity between cactus's outputs and
  PyTorch's fp32 outputs, all input sets concatenated, >= MIN_COSINE[bits]. Quantization
  error is the point there (one bound per bit width for every model); the kernels themselves
  are checked exactly by test_quant_kernels and the codebooks by test_quant.
With --runtime-cli, the bundle is also re-lowered from its optimized_ir.json and raw_ir.json by
that CLI (the LibTorch-free cactus-run where the build has it), and both re-lowered bundles must
give bit-identical outputs.
"""
import json
import math
import os
import re
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ops"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from core_aten_ops import importer_schemas  # noqa: E402
from cactus_export import decompose_unread  # noqa: E402


MIN_COSINE = {"8": 0.999, "4": 0.97, "3": 0.9, "2": 0.8, "1": 0.55}


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def export_archive(model, inputs, path, core):
    """torch.export the model with the dims that vary across the input sets dynamic; returns the
    archive's path and the input sets that fall inside the exported ranges (first one for capture)."""
    from torch.export import Dim
    varying = [{k for k in range(a.dim()) if len({s[j].shape[k] for s in inputs}) > 1} for j, a in enumerate(inputs[0])]
    # capture on a set whose dynamic dims are all >= 2 (torch.export specializes sizes 0 and 1)
    ex = next((s for s in inputs if all(s[j].shape[k] >= 2 for j in range(len(s)) for k in varying[j])), inputs[0])
    ep = None
    for make in (lambda n: Dim(n, min=1, max=1024), lambda n: Dim.AUTO):
        specs = tuple({k: make(f"d{j}_{k}") for k in varying[j]} or None for j in range(len(ex)))
        try:
            ep = torch.export.export(model, ex, dynamic_shapes=specs)
            break
        except Exception as e:  # the model fixes a dim: let torch.export decide
            if "onstraint" not in str(e) and "specialized" not in str(e):
                raise
    if core:
        ep = ep.run_decompositions()
    else:  # as `cactus transpile model.py:Class` does: the ops the importer does not read, decomposed
        keep = os.path.join(os.path.dirname(path), "keep_ops.txt")
        with open(keep, "w") as f:
            f.write("\n".join(sorted(importer_schemas())))
        ep, decomposed = decompose_unread(ep, keep)
        if decomposed:
            print(f"decomposed to core ATen: {decomposed}")
    torch.export.save(ep, path)
    ranges = {str(k): (int(v.lower), v.upper) for k, v in ep.range_constraints.items()}
    print(f"exported{' (core ATen)' if core else ''}: ranges {ranges}")
    # and the capture set at twice its batch: inside every range whose batch is dynamic
    double = tuple(torch.cat([a, a]) for a in ex)
    return path, [ex] + [s for s in inputs if s is not ex] + [double]


def exported_dims(bundle):
    """Each graph input's dim ranges as the bundle records them ([[min, max], ...])."""
    ir = json.load(open(os.path.join(bundle, "raw_ir.json")))
    return [ir["values"][i].get("dims", []) for i in ir["inputs"]]


def inside(dims, args):
    return all(lo <= a.shape[k] <= hi for d, a in zip(dims, args) for k, (lo, hi) in enumerate(d))


def check_outside_range(run, bundle, work, inputs):
    """A size outside the exported range, or a static dim changed, is refused with an error naming the input and the dim."""
    dims = exported_dims(bundle)
    x, d = inputs[0][0], dims[0]
    shape = list(x.shape)
    # the cheapest violation: below a min above 1, a static dim changed, or just past a small max
    for k, (lo, hi) in enumerate(d):
        if lo > 1:
            shape[k] = lo - 1
            break
        if lo == hi:
            shape[k] = hi + 1
            break
        if hi < 4096:
            shape[k] = hi + 1
            break
    else:
        print("no cheap out-of-range shape for this model's ranges", d)
        return
    p = os.path.join(work, "outside.npy")
    np.save(p, torch.zeros(shape, dtype=x.dtype).numpy())
    feed = ["--input", p] + [y for j in range(1, len(inputs[0])) for y in ("--input", os.path.join(work, f"in0_{j}.npy"))]
    try:
        run("run", bundle, *feed)
    except subprocess.CalledProcessError as e:
        msg = e.stdout.strip().splitlines()[-1]
        assert f"dim {k}" in msg and ("must be in" in msg or "is fixed at" in msg), f"unexpected error for shape {shape}: {msg}"
        print(f"input shape {shape} outside the exported ranges {d}: {msg}")
        return
    raise AssertionError(f"input shape {shape} outside the exported ranges {d} was accepted")


def check_conv_precision(run, out, work, inputs, packed, f32_conv):
    """Which quantized conv kernels the runtime left packed when it loaded the bundle, from the
    kernel paths `cactus run --profile` reports (gemm8 / dequantized run on packed kernels; the
    f32 paths on kernels dequantized at load): every one with --packed-conv, none with
    --f32-conv, and by default those with >= 64 output channels and >= 256 products per output
    where the CPU has the int8 microkernel."""
    ir = json.load(open(os.path.join(out, "optimized_ir.json")))
    dtype = {v["id"]: v.get("dtype", "") for v in ir["values"]}
    shape = {v["id"]: v.get("shape", []) for v in ir["values"]}
    is_packed = lambda v: dtype[v] == "q8" or dtype[v].startswith("cq")
    kernels = [n["inputs"][1] for n in ir["nodes"] if n["op"] in ("conv", "conv_module") and is_packed(n["inputs"][1])]
    if not kernels:
        return
    args = [x for j in range(len(inputs[0])) for x in ("--input", os.path.join(work, f"in0_{j}.npy"))]
    prof = run("run", out, *args, "--output-dir", os.path.join(work, "profiled"), "--profile", "1")
    head = next(ln for ln in prof.splitlines() if ln.startswith("profile:"))
    microkernel = "plain loops" not in head
    on_packed = 0
    for ln in prof.splitlines():
        m = re.match(r"\s+(conv|conv_module) \[(gemm8(/\w+)?|dequantized)\]\s+(\d+)", ln)
        if m:
            on_packed += int(m.group(4))
    if packed:
        want, rule = len(kernels), "--packed-conv"
    elif f32_conv:
        want, rule = 0, "--f32-conv"
    else:
        want = sum(shape[w][0] >= 64 and math.prod(shape[w][1:]) >= 256 for w in kernels) if microkernel else 0
        rule = "default (>= 64 channels, >= 256 products per output, on a CPU with the int8 microkernel)"
    assert on_packed == want, f"{rule}: {on_packed} of {len(kernels)} quantized convolutions ran on packed kernels, want {want}\n{prof}"
    print(f"{on_packed} of {len(kernels)} quantized convolutions on packed kernels at load: {rule}; {head.split(', ')[-1]}")


def main():
    cactus, name, work = sys.argv[1], sys.argv[2], sys.argv[3]
    bits = sys.argv[sys.argv.index("--bits") + 1] if "--bits" in sys.argv else "32"
    tol = 1e-4 if bits == "32" else 1e-2
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(0)
    second = "--zoo" in sys.argv and sys.argv[sys.argv.index("--zoo") + 1] == "second"
    if second:
        from models_second import zoo
    else:
        from models import zoo
    cls, inputs = zoo()[name]
    model = cls().eval()
    with torch.no_grad():  # non-trivial batch-norm statistics
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
    sd, ts, out = os.path.join(work, "model.pt"), os.path.join(work, "model.ts"), os.path.join(work, "bundle")
    torch.save(model.state_dict(), sd)
    capture = sys.argv[sys.argv.index("--capture") + 1] if "--capture" in sys.argv else "torchscript"
    if capture == "torchscript":
        torch.jit.trace(model, inputs[0], check_trace=False).save(ts)
    else:
        ts, inputs = export_archive(model, inputs, os.path.join(work, "model.pt2"), capture == "export-core")
    for i, args in enumerate(inputs):
        for j, a in enumerate(args):
            np.save(os.path.join(work, f"in{i}_{j}.npy"), a.numpy())
    run = lambda *a: subprocess.run([cactus, *a], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    run("convert", sd, out, "--bits", bits)
    ex = [x for j in range(len(inputs[0])) for x in ("--example-input", os.path.join(work, f"in0_{j}.npy"))]
    packed = ["--packed-conv"] if "--packed-conv" in sys.argv else []
    f32_conv = ["--f32-conv"] if "--f32-conv" in sys.argv else []
    print(run("transpile", ts, "--weights-dir", out, *ex, "--quiet", *packed, *f32_conv).strip().splitlines()[-1])
    if capture != "torchscript":
        check_outside_range(run, out, work, inputs)
    check_conv_precision(run, out, work, inputs, packed, f32_conv)
    worst = 0.0
    pairs = []
    dims = exported_dims(out) if capture != "torchscript" else None
    for i, args in enumerate(inputs):
        od = os.path.join(work, f"out{i}")
        if dims is not None and not inside(dims, args):
            print(f"{name} input {i} {tuple(args[0].shape)}: outside the exported ranges {dims[0]}, skipped (see the range check)")
            continue
        run("run", out, *[x for j in range(len(args)) for x in ("--input", os.path.join(work, f"in{i}_{j}.npy"))], "--output-dir", od)
        with torch.no_grad():
            ref = model(*args)
        refs = ref if isinstance(ref, (tuple, list)) else (ref,)
        for k, r in enumerate(refs):
            got = np.load(os.path.join(od, f"output_{k}.npy"))
            r = r.numpy()
            np.save(os.path.join(work, f"ref{i}_{k}.npy"), r)  # for the aarch64 run of this bundle
            assert got.shape == r.shape, f"{name} input {i} output {k}: shape {got.shape} vs {r.shape}"
            if bits in MIN_COSINE:
                pairs.append((got, r))
                print(f"{name} bits={bits} input {i} {tuple(args[0].shape)} output {k}: cosine vs fp32 {cosine(got, r):.5f}")
                continue
            err = float(np.abs(got - r).max()) / max(float(np.abs(r).max()), 1e-6)
            worst = max(worst, err)
            status = "ok" if err <= tol else "FAIL"
            print(f"{name} bits={bits} input {i} {tuple(args[0].shape)} output {k}: rel max err {err:.2e} (tol {tol:g}) {status}")
            if err > tol:
                sys.exit(1)
    if bits in MIN_COSINE:
        cos = cosine(np.concatenate([g.ravel() for g, _ in pairs]), np.concatenate([r.ravel() for _, r in pairs]))
        status = "ok" if cos >= MIN_COSINE[bits] else "FAIL"
        print(f"{name} bits={bits}: cosine vs fp32 over all outputs {cos:.5f} (min {MIN_COSINE[bits]}) {status}")
        if status != "ok":
            sys.exit(1)
    else:
        print(f"{name}: worst relative error {worst:.2e}")
    if "--runtime-cli" in sys.argv:
        rt = sys.argv[sys.argv.index("--runtime-cli") + 1]
        rt_run = lambda *a: subprocess.run([rt, *a], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
        feed = [x for j in range(len(inputs[0])) for x in ("--input", os.path.join(work, f"in0_{j}.npy"))]
        for src in ("optimized_ir.json", "raw_ir.json"):
            again = os.path.join(work, "relowered_" + src.split("_")[0])
            print(rt_run("lower", os.path.join(out, src), "--artifact-dir", again).strip())
            od = os.path.join(work, "out_" + src.split("_")[0])
            rt_run("run", again, *feed, "--output-dir", od)
            k = 0
            while os.path.exists(os.path.join(work, "out0", f"output_{k}.npy")):
                a, b = np.load(os.path.join(work, "out0", f"output_{k}.npy")), np.load(os.path.join(od, f"output_{k}.npy"))
                assert a.shape == b.shape and np.array_equal(a, b), f"{name}: re-lowered from {src}: output {k} differs"
                k += 1
            by = os.path.basename(rt) + (" (without LibTorch)" if os.path.basename(rt) == "cactus-run" else "")
            print(f"{name}: re-lowered from {src} by {by}: {k} outputs bit-identical")


if __name__ == "__main__":
    main()
