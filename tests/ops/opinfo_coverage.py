"""PyTorch's own OpInfo samples through cactus: for every OpInfo of
torch.testing._internal.common_methods_invocations.op_db that runs in float32 on the CPU, its
sample inputs are exported with torch.export, decomposed to the core ATen opset
(run_decompositions()), transpiled by the CLI and run, and each output is compared with PyTorch's
eager result at the tolerances OpInfo's tests use by default for float32 (torch.testing's:
rtol 1.3e-6, atol 1e-5; integers and booleans exactly; NaN equal to NaN).

The samples of one OpInfo go through as one module (one input group and one output group per
sample) so that the whole database runs in minutes; when that module fails to export or transpile,
it is split (groups of 8, then single samples), so every sample gets its own verdict. The first sample
goes alone: an OpInfo whose first sample is not made of core ATen ops is judged by it. Verdicts:
  pass      the outputs match PyTorch's; or, as PyTorch's test_ops.py judges its own Python
            references, an output beyond the tolerance is no farther (sum of absolute differences)
            from the sample computed in float64 than PyTorch's float32 result is (listed apart,
            with both distances)
  fail      cactus ran it and an output differs (dtype, shape or values)
  refused   cactus refused it with an error (unsupported op, argument or dtype)
  crash     the CLI died without an error message (a defect, always listed)
and, outside the measured set (these samples are not made of core ATen ops):
  no-core   the decomposed graph holds ops outside the core ATen opset (linalg, fft, sparse...)
  no-export torch.export cannot capture the sample (data-dependent shapes, Python numbers out)
  random    the op draws random numbers or leaves memory uninitialized: nothing to compare
  left-out  the graph holds a core op the README leaves out on purpose (a backward op...)
Each core ATen overload is credited with the samples whose graph holds it (a sample measured in
its OpInfo's module is credited with that module's ops).

usage: .venv/bin/python opinfo_coverage.py CACTUS WORKDIR [--subset] [--ops NAME,...] [--jobs N]
                                           [--results bench/RESULTS.md] [--max-samples N]
  --subset    the CI subset (SUBSET below, >= 300 samples): exits 1 unless every sample passes
  --results   writes the coverage table into that file (between its OpInfo markers)
"""
import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
import torch.utils._pytree as pytree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from core_aten_ops import LEFT_OUT, REFUSED, core_overloads, importer_schemas  # noqa: E402

RTOL, ATOL = 1.3e-6, 1e-5
CHUNK = 48  # samples per module
RANDOM = ("dropout", "bernoulli", "normal", "rand", "multinomial", "uniform", "cauchy", "exponential", "geometric", "log_normal",
          "empty", "poisson")
# The CI subset: 44 OpInfos across the opset's families (elementwise, reductions, shape and
# indexing, normalization, convolution and pooling, resampling), 481 float32 samples, every one
# of which matched in the full run.
SUBSET = ("add", "mul", "sub", "div.no_rounding_mode", "where", "clamp", "exp", "sigmoid", "rsqrt", "remainder", "maximum", "eq",
          "logical_and", "sum", "amax", "argmax", "var", "cumsum", "softmax", "log_softmax", "permute", "reshape", "transpose",
          "stack", "flip", "roll", "index_select", "topk", "nn.functional.layer_norm", "nn.functional.group_norm",
          "nn.functional.conv2d", "nn.functional.conv_transpose2d", "nn.functional.avg_pool2d",
          "nn.functional.interpolate.bilinear", "nn.functional.gelu", "nn.functional.linear", "matmul", "expand", "unsqueeze",
          "masked_fill", "pow", "addmm", "native_layer_norm", "nn.functional.conv3d")


def leaves_of(sample):
    """(leaves, spec, tensor positions) of a sample's (input, args, kwargs)."""
    leaves, spec = pytree.tree_flatten((sample.input, tuple(sample.args), dict(sample.kwargs)))
    return leaves, spec, [i for i, x in enumerate(leaves) if isinstance(x, torch.Tensor)]


def usable(sample):
    leaves, _, pos = leaves_of(sample)
    return all(not leaves[i].is_complex() and leaves[i].layout == torch.strided for i in pos)


class Batch(torch.nn.Module):
    """One module for several samples of an op: inputs are the samples' tensors in order,
    outputs the tensors each call returns."""

    def __init__(self, fn, samples):
        super().__init__()
        self.fn = fn
        self.plan = []
        for s in samples:
            leaves, spec, pos = leaves_of(s)
            self.plan.append((leaves, spec, pos))

    def forward(self, *flat):
        outs, k = [], 0
        for leaves, spec, pos in self.plan:
            leaves = list(leaves)
            for i in pos:
                leaves[i] = flat[k]
                k += 1
            inp, args, kwargs = pytree.tree_unflatten(leaves, spec)
            r = self.fn(inp, *args, **kwargs)
            outs.extend(x for x in pytree.tree_leaves(r) if isinstance(x, torch.Tensor))
        return tuple(outs)


def inputs_of(samples):
    flat = []
    for s in samples:
        leaves, _, pos = leaves_of(s)
        flat.extend(leaves[i].detach().clone() for i in pos)
    return flat


def reference(fn, s):
    leaves, spec, pos = leaves_of(s)
    inp, args, kwargs = pytree.tree_unflatten([x.detach().clone() if isinstance(x, torch.Tensor) else x for x in leaves], spec)
    with torch.no_grad():
        r = fn(inp, *args, **kwargs)
    return [x for x in pytree.tree_leaves(r) if isinstance(x, torch.Tensor)]


def reference64(fn, s):
    """The sample computed in float64 (its float32 tensors cast), or None where the op refuses it."""
    leaves, spec, pos = leaves_of(s)
    lv = [x.detach().clone().double() if isinstance(x, torch.Tensor) and x.dtype == torch.float32 else x for x in leaves]
    inp, args, kwargs = pytree.tree_unflatten(lv, spec)
    try:
        with torch.no_grad():
            r = fn(inp, *args, **kwargs)
    except Exception:  # noqa: BLE001
        return None
    return [x for x in pytree.tree_leaves(r) if isinstance(x, torch.Tensor)]


def as_close_as_pytorch(got, ref32, ref64):
    """PyTorch's own rule for its Python references (test_ops.py, _ref_test_helper): a result off
    PyTorch's by more than the tolerance still passes when its distance from the result computed
    in float64 (the sum of absolute differences, NaN equal to NaN) is no larger than that of
    PyTorch's float32 result. (our distance, PyTorch's), or None when it cannot be judged."""
    if ref64 is None or got.dtype.kind != "f" or tuple(ref64.shape) != got.shape:
        return None
    r64 = ref64.detach().numpy().astype(np.float64)

    def distance(a):
        a = a.astype(np.float64)
        same = (a == r64) | (np.isnan(a) & np.isnan(r64))
        return float(np.where(same, 0.0, np.abs(a - r64)).sum())

    return distance(got), distance(ref32.detach().numpy())


def graph_ops(ep):
    ops = set()
    for n in ep.graph.nodes:
        if n.op == "call_function" and isinstance(n.target, torch._ops.OpOverload):
            name = n.target.name().split("::", 1)[-1]
            ops.add(name if "." in name else name + ".default")
    return ops


def export(fn, samples):
    flat = inputs_of(samples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ep = torch.export.export(Batch(fn, samples), tuple(flat)).run_decompositions()
    return ep, flat


def compare(got, ref):
    """None when got (numpy) matches ref (torch) at OpInfo's float32 tolerances, else why not."""
    ref = ref.detach().numpy()
    if got.dtype != ref.dtype:
        return f"dtype {got.dtype} vs {ref.dtype}"
    if got.shape != ref.shape:
        return f"shape {list(got.shape)} vs {list(ref.shape)}"
    if got.dtype.kind in "fc":
        bad = ~np.isclose(got, ref, rtol=RTOL, atol=ATOL, equal_nan=True)
        if bad.any():
            err = np.abs(got.astype(np.float64) - ref)[bad].max()
            return f"{int(bad.sum())} of {got.size} values differ (max abs err {err:.2e})"
        return None
    return None if np.array_equal(got, ref) else f"{int((got != ref).sum())} of {got.size} values differ"


def run_cactus(cactus, d, ep, flat):
    """Transpiles and runs; (outputs, None) or (None, (verdict, reason))."""
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    try:
        torch.export.save(ep, f"{d}/m.pt2")
    except Exception as e:  # noqa: BLE001  (a program without tensor outputs, say)
        return None, ("no-export", f"torch.export.save: {str(e).strip()[:150] or type(e).__name__}")
    args = []
    for i, x in enumerate(flat):
        np.save(f"{d}/x{i}.npy", x.contiguous().numpy())  # a transposed sample would save Fortran-ordered
        args += ["--example-input", f"{d}/x{i}.npy"]
    r = subprocess.run([cactus, "transpile", f"{d}/m.pt2", "--artifact-dir", f"{d}/b", *args, "--quiet", "--skip-reference-compare"],
                       capture_output=True, text=True)
    if r.returncode:
        return None, verdict_of_error(r, "transpile")
    ins = [a for i in range(len(flat)) for a in ("--input", f"{d}/x{i}.npy")]
    r = subprocess.run([cactus, "run", f"{d}/b", *ins, "--output-dir", f"{d}/o"], capture_output=True, text=True)
    if r.returncode:
        return None, verdict_of_error(r, "run")
    n = len([f for f in os.listdir(f"{d}/o") if f.startswith("output_")])
    return [np.load(f"{d}/o/output_{k}.npy") for k in range(n)], None


def verdict_of_error(r, step):
    lines = r.stderr.strip().splitlines()
    msg = lines[-1] if lines else ""
    if msg.startswith("cactus: error:") and "dropout in training" in msg:  # the sample draws random numbers
        return "random", f"{step}: dropout in training mode"
    if msg.startswith("cactus: error:"):
        return "refused", f"{step}: {msg[len('cactus: error:'):].strip()}"
    return "crash", f"{step}: status {r.returncode}: {msg[-300:]}"


def one_op(args):
    """Every sample of one OpInfo: a list of {op, sample, verdict, reason, ops}."""
    try:
        return measure_op(*args)
    except Exception as e:  # noqa: BLE001  (the harness, not cactus: counted outside the measured set)
        return [{"op": args[2], "sample": -1, "verdict": "no-export", "reason": f"harness: {type(e).__name__}: {str(e)[:150]}", "ops": []}]


def measure_op(cactus, work, name, max_samples):
    """Every sample of one OpInfo (one_op)."""
    torch.set_num_threads(1)
    op = next(o for o in OPS if o.name + ("." + o.variant_test_name if o.variant_test_name else "") == name)
    try:
        samples = [s for s in op.sample_inputs("cpu", torch.float32, requires_grad=False) if usable(s)]
    except Exception as e:  # noqa: BLE001
        return [{"op": name, "sample": -1, "verdict": "no-export", "reason": f"sample_inputs: {e}"[:200], "ops": []}]
    samples = samples[:max_samples] if max_samples else samples
    if any(r in op.name for r in RANDOM):
        return [{"op": name, "sample": i, "verdict": "random", "reason": "random or uninitialized", "ops": []} for i in range(len(samples))]
    # attention samples with dropout draw random numbers: kept in the list, not measured
    rand = [i for i, smp in enumerate(samples) if float(smp.kwargs.get("dropout_p", 0) or 0) > 0]
    if rand:
        keep = [i for i in range(len(samples)) if i not in rand]
        out = [{"op": name, "sample": i, "verdict": "random", "reason": "dropout_p > 0", "ops": []} for i in rand]
        sub = measure_samples(cactus, work, name, [samples[i] for i in keep], op)
        return out + [{**r, "sample": keep[r["sample"]]} for r in sub]
    return measure_samples(cactus, work, name, samples, op)


def measure_samples(cactus, work, name, samples, op):
    """The verdicts of the given samples of one OpInfo."""
    tag = name.replace(".", "_").replace("/", "_")
    core = set(CORE)
    results = [None] * len(samples)

    def measure(idx, d):
        """Exports the samples idx together; fills results[i] for each, or returns False when the
        group must be split."""
        group = [samples[i] for i in idx]
        try:
            ep, flat = export(op.op, group)
        except Exception as e:  # noqa: BLE001
            if len(idx) > 1:
                return False
            results[idx[0]] = {"verdict": "no-export", "reason": str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__, "ops": []}
            return True
        ops = graph_ops(ep)
        if not ops <= core:
            if len(idx) > 1:
                return False
            results[idx[0]] = {"verdict": "no-core", "reason": ", ".join(sorted(ops - core))[:200], "ops": sorted(ops)}
            return True
        refs = [reference(op.op, s) for s in group]
        outs, err = run_cactus(CACTUS, d, ep, flat)
        if err:
            if len(idx) > 1:
                return False
            results[idx[0]] = {"verdict": err[0], "reason": err[1][:300], "ops": sorted(ops)}
            return True
        if len(outs) != sum(len(r) for r in refs):
            if len(idx) > 1:
                return False
            results[idx[0]] = {"verdict": "fail", "reason": f"{len(outs)} outputs, PyTorch gives {len(refs[0])}", "ops": sorted(ops)}
            return True
        k = 0
        for i, s, r in zip(idx, group, refs):
            got = outs[k:k + len(r)]
            k += len(r)
            why = [compare(got[j], r[j]) for j in range(len(r))]
            bad = [f"output {j}: {w}" for j, w in enumerate(why) if w]
            precise = []
            if bad and all(not w or "values differ" in w for w in why):  # values off: judged against float64 as PyTorch judges its refs
                r64 = reference64(op.op, s)
                errs = [as_close_as_pytorch(got[j], r[j], r64[j] if r64 and j < len(r64) else None) if w else None for j, w in enumerate(why)]
                if all(not w or (e and e[0] <= e[1]) for w, e in zip(why, errs)):
                    precise = [f"output {j}: distance from float64 {e[0]:.2e}, PyTorch's float32 {e[1]:.2e}" for j, e in enumerate(errs) if e]
                    bad = []
            results[i] = {"verdict": "fail" if bad else "pass", "reason": "; ".join(bad or precise)[:300], "ops": sorted(ops),
                          "precise": bool(precise)}
        return True

    def settle(idx):  # a group that cannot go through together: groups of 8, then one by one
        if idx and not measure(idx, d):
            step = 8 if len(idx) > 8 else 1
            for b in range(0, len(idx), step):
                settle(idx[b:b + step])

    d = os.path.join(work, tag)
    # an OpInfo whose first sample is not made of core ATen ops (linalg, fft, sparse...) is
    # judged by it: its samples are outside the measured set, and halving would export each
    left_out = sorted(set(LEFT_OUT) & set(results[0]["ops"] or [])) if samples and measure([0], d) else []
    if left_out:  # a backward or random op the README leaves out on purpose: outside the measured set
        for i in range(len(samples)):
            results[i] = {"verdict": "left-out", "reason": f"{', '.join(left_out)}: {LEFT_OUT[left_out[0]]}", "ops": results[0]["ops"]}
    elif samples and results[0]["verdict"] in ("no-core", "no-export"):
        for i in range(1, len(samples)):
            results[i] = {**results[0], "reason": f"as sample 0: {results[0]['reason']}"}
    else:  # modules of at most CHUNK samples, so that an OpInfo of 1440 samples exports in pieces
        for b in range(1, len(samples), CHUNK):
            settle(list(range(b, min(len(samples), b + CHUNK))))
    shutil.rmtree(d, ignore_errors=True)
    out = []
    for i, r in enumerate(results):
        out.append({"op": name, "sample": i, **r})
    return out


def opinfo_name(o):
    return o.name + ("." + o.variant_test_name if o.variant_test_name else "")



def table(results, elapsed):
    core, read = core_overloads(), importer_schemas()
    measured = [r for r in results if r["verdict"] in ("pass", "fail", "refused", "crash")]
    count = lambda rs, v: sum(1 for r in rs if r["verdict"] == v)  # noqa: E731
    per_op = {op: [] for op in core}
    for r in measured:
        for o in r["ops"]:
            if o in per_op:
                per_op[o].append(r)
    exercised = [o for o in core if per_op[o]]
    lines = ["| | count |", "|---|---:|"]
    lines.append(f"| OpInfos run (float32, CPU) | {len({r['op'] for r in results})} |")
    lines.append(f"| samples | {len(results)} |")
    for v in ("no-export", "no-core", "random", "left-out"):
        lines.append(f"| samples outside the measured set: {v} | {count(results, v)} |")
    lines.append(f"| **samples made of core ATen ops (measured)** | **{len(measured)}** |")
    for v in ("pass", "fail", "refused", "crash"):
        pct = 100.0 * count(measured, v) / max(1, len(measured))
        lines.append(f"| {v} | {count(measured, v)} ({pct:.1f}%) |")
        if v == "pass":
            lines.append(f"| ... of which beyond OpInfo's tolerance of PyTorch but no farther from float64 than PyTorch's float32 "
                         f"| {sum(1 for r in measured if r.get('precise'))} |")
    supported = [o for o in core if o in read and o not in REFUSED]
    device = [o for o in core if o not in LEFT_OUT or "backward" not in LEFT_OUT[o] and "random" not in LEFT_OUT[o]]
    lines.append(f"| core ATen overloads (torch {torch.__version__}) | {len(core)} |")
    lines.append(f"| run by cactus (read by its importer, not refused) | {len(supported)} ({100.0 * len(supported) / len(core):.1f}%) |")
    lines.append(f"| of those meaningful on a device (not backward, not random) | {len([o for o in supported if o in device])} of {len(device)} "
                 f"({100.0 * len([o for o in supported if o in device]) / max(1, len(device)):.1f}%) |")
    lines.append(f"| core overloads exercised by the samples | {len(exercised)} |")
    lines.append(f"| ... whose every sample passes | {sum(1 for o in exercised if all(r['verdict'] == 'pass' for r in per_op[o]))} |")
    lines.append(f"| wall time | {elapsed:.0f} s |")
    per = ["", "| core ATen overload | samples | pass | fail | refused | crash |", "|---|---:|---:|---:|---:|---:|"]
    for o in exercised:
        rs = per_op[o]
        per.append(f"| {o} | {len(rs)} | {count(rs, 'pass')} | {count(rs, 'fail')} | {count(rs, 'refused')} | {count(rs, 'crash')} |")
    not_seen = [o for o in core if not per_op[o]]
    per.append("")
    per.append(f"Core overloads no measured sample holds ({len(not_seen)}): " + ", ".join(not_seen) + ".")
    bad = [r for r in measured if r["verdict"] != "pass"]
    fails = ["", f"Samples that pass against float64 only ({sum(1 for r in measured if r.get('precise'))}): beyond OpInfo's tolerance of "
             "PyTorch's float32 result, but no farther from the float64 result than PyTorch's float32 result is:", ""]
    for r in measured:
        if r.get("precise"):
            fails.append(f"- `{r['op']}` sample {r['sample']}: {r['reason']}")
    fails += ["", f"Samples that do not pass ({len(bad)}), by OpInfo:", ""]
    by_op = {}
    for r in bad:
        by_op.setdefault(r["op"], []).append(r)
    for name, rs in sorted(by_op.items()):
        reasons = {}
        for r in rs:
            reasons.setdefault(f"{r['verdict']}: {r['reason']}", []).append(r["sample"])
        for why, idx in reasons.items():
            fails.append(f"- `{name}` samples {','.join(map(str, idx[:12]))}{'...' if len(idx) > 12 else ''}: {why}")
    return "\n".join(lines), "\n".join(per + fails)


def main():
    global CACTUS, OPS, CORE
    ap = argparse.ArgumentParser()
    ap.add_argument("cactus")
    ap.add_argument("work")
    ap.add_argument("--subset", action="store_true")
    ap.add_argument("--ops", default="")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--results", default="")
    ap.add_argument("--max-samples", type=int, default=0)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    CACTUS = os.path.abspath(a.cactus)
    CORE = core_overloads()
    warnings.filterwarnings("ignore")
    from torch.testing._internal.common_methods_invocations import op_db
    OPS = [o for o in op_db if torch.float32 in o.supported_dtypes("cpu")]
    names = [opinfo_name(o) for o in OPS]
    if a.subset:  # by exact name, variant included ("nn.functional.interpolate.bilinear")
        names = [n for n in names if n in SUBSET]
    elif a.ops:
        wanted = set(a.ops.split(","))
        names = [n for n in names if n in wanted or n.split(".")[0] in wanted]
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    t0 = time.time()
    results = []
    jobs = [(CACTUS, a.work, n, a.max_samples) for n in names]
    with multiprocessing.get_context("fork").Pool(max(1, a.jobs)) as pool:
        for k, rs in enumerate(pool.imap_unordered(one_op, jobs)):
            results.extend(rs)
            c = {v: sum(1 for r in rs if r["verdict"] == v) for v in ("pass", "fail", "refused", "crash")}
            print(f"[{k + 1}/{len(jobs)}] {rs[0]['op'] if rs else '?'}: {len(rs)} samples, "
                  + ", ".join(f"{v} {n}" for v, n in c.items() if n), flush=True)
    elapsed = time.time() - t0
    summary, detail = table(results, elapsed)
    print(summary)
    print(detail)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f)
    if a.results:
        begin, end = "<!-- opinfo:begin -->", "<!-- opinfo:end -->"
        text = open(a.results, encoding="utf-8").read() if os.path.exists(a.results) else ""
        block = f"{begin}\n{summary}\n{detail}\n{end}"
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):] if begin in text else text + "\n" + block + "\n"
        with open(a.results, "w", encoding="utf-8") as f:
            f.write(text)
    if a.subset:
        measured = [r for r in results if r["verdict"] in ("pass", "fail", "refused", "crash")]
        passed = sum(1 for r in measured if r["verdict"] == "pass")
        print(f"CI subset: {passed} of {len(measured)} measured samples pass")
        sys.exit(0 if passed == len(measured) and len(measured) >= 300 else 1)


if __name__ == "__main__":
    main()
