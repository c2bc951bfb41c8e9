"""Bundles written on one machine run on another: every zoo bundle the host (x86) test run wrote
is run by a cactus-run built for another architecture (aarch64 under qemu), on each emulated CPU,
and must match PyTorch's outputs (saved by the host run) within the zoo tolerances, and the host's
own cactus outputs within the same bound.

usage: .venv/bin/python cross_bundle_test.py HOST_ZOO_DIR EMULATOR CACTUS_RUN [QEMU_CPU...]
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

zoo_dir, emulator, cactus_run = sys.argv[1], sys.argv[2], sys.argv[3]
cpus = sys.argv[4:] or [""]
models = sorted(d for pat in ("*_fp*", "*_q[0-9]") for d in glob.glob(os.path.join(zoo_dir, pat)) if os.path.isdir(os.path.join(d, "bundle")))
if not models:
    sys.exit(f"no zoo bundles under {zoo_dir}: run the host test suite first")
failures, checked = [], 0
for cpu in cpus:
    env = dict(os.environ, **({"QEMU_CPU": cpu} if cpu else {}))
    for d in models:
        name = os.path.basename(d)
        # quantized bundles (_q8, _q4, ...) are held to the host's cactus output only (their
        # distance from PyTorch is quantization error, checked on the host), by cosine: x86
        # quantizes CQ activations to int8, ARM to int16, so values differ by that rounding
        quantized = "_q" in name
        tol = 1e-4 if name.endswith("_fp32") else 1e-2
        inputs = sorted(glob.glob(os.path.join(d, "in0_*.npy")))
        with tempfile.TemporaryDirectory() as od:
            p = subprocess.run([emulator, cactus_run, "run", os.path.join(d, "bundle"), *[x for f in inputs for x in ("--input", f)],
                                "--output-dir", od], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            if p.returncode != 0:
                failures.append(f"{cpu} {name}: exit {p.returncode}: {p.stderr.strip()}")
                continue
            k = 0
            while os.path.exists(os.path.join(d, f"ref0_{k}.npy")):
                ref = np.load(os.path.join(d, f"ref0_{k}.npy"))
                host = np.load(os.path.join(d, "out0", f"output_{k}.npy"))
                got = np.load(os.path.join(od, f"output_{k}.npy"))
                scale = max(float(np.abs(ref).max()), 1e-6)
                e_ref = float(np.abs(got - ref).max()) / scale
                e_host = float(np.abs(got - host).max()) / scale
                if quantized:
                    a, b = got.astype(np.float64).ravel(), host.astype(np.float64).ravel()
                    cos = float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))
                    e_host = 1 - cos
                    tol = 1e-3
                ok = got.shape == ref.shape and (quantized or e_ref <= tol) and e_host <= tol
                vs_host = "1 - cosine vs host cactus" if quantized else "vs host cactus"
                print(f"{'ok  ' if ok else 'FAIL'} {cpu or 'default'} {name} output {k}: vs PyTorch {e_ref:.1e}, {vs_host} {e_host:.1e} (tol {tol:g})")
                if not ok:
                    failures.append(f"{cpu} {name} output {k}")
                checked += 1
                k += 1
print(f"{checked - len(failures)} of {checked} outputs match; {len(failures)} failures")
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures or checked == 0 else 0)
