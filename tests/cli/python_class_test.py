"""The seed's three steps from a Python class: `cactus convert` a state_dict, then
`cactus transpile path/model.py:Class --weights-dir W --example-input ids.npy` (exported with
torch.export by the project's Python), then `cactus run` on other batch and sequence sizes, each
compared with PyTorch. Also --init-args, and the reference comparison in result.json.

usage: .venv/bin/python python_class_test.py CACTUS_BINARY WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "zoo"))
from models import TextClassifier  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

cactus, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
models_py = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "zoo", "models.py"))
run = lambda *a: subprocess.run([cactus, *a], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout


for label, init, vocab in [("default constructor", None, 32000), ("--init-args", {"vocab_size": 500, "embed_dim": 64, "num_classes": 3}, 500)]:
    torch.manual_seed(0)
    model = TextClassifier(**(init or {})).eval()
    d = os.path.join(work, label.strip("-").replace(" ", "_"))
    os.makedirs(d)
    sd = os.path.join(d, "classifier.pt")
    torch.save(model.state_dict(), sd)
    g = torch.Generator().manual_seed(1)
    sets = [torch.randint(0, vocab, s, generator=g) for s in [(2, 16), (1, 5), (4, 33)]]
    for i, ids in enumerate(sets):
        np.save(os.path.join(d, f"ids{i}.npy"), ids.numpy())
    w = os.path.join(d, "w")
    run("convert", sd, w, "--bits", "32")
    extra = ["--init-args", json.dumps(init)] if init else []
    out = run("transpile", models_py + ":TextClassifier", "--weights-dir", w, "--example-input", os.path.join(d, "ids0.npy"), *extra)
    print(out.strip().splitlines()[-1])
    res = json.load(open(os.path.join(w, "result.json")))
    check(f"{label}: transpile compared with PyTorch", res["relative_error"] <= 1e-5, f"(result.json relative error {res['relative_error']:.2e})")
    manifest = json.load(open(os.path.join(w, "components", "manifest.json")))
    check(f"{label}: model_id is the class name", manifest["model_id"] == "TextClassifier", manifest["model_id"])
    check(f"{label}: no export staging left", not any(n.startswith(".cactus-export") for n in os.listdir(w)), str(os.listdir(w)))
    for i, ids in enumerate(sets):
        od = os.path.join(d, f"out{i}")
        run("run", w, "--input", os.path.join(d, f"ids{i}.npy"), "--output-dir", od)
        got = np.load(os.path.join(od, "output_0.npy"))
        with torch.no_grad():
            ref = model(ids).numpy()
        err = float(np.abs(got - ref).max() / np.abs(ref).max())
        check(f"{label}: ids {tuple(ids.shape)} vs PyTorch", got.shape == ref.shape and err <= 1e-5, f"rel err {err:.2e}")

# A model torch.export cannot keep dynamic at batch 1 (example batch 1): Dim.AUTO decides, the
# sequence stays dynamic, and the batch is fixed at 1; other lengths run, another batch is refused.
from models import GPTBlock  # noqa: E402

torch.manual_seed(0)
lm = GPTBlock().eval()
d = os.path.join(work, "gpt_auto")
os.makedirs(d)
torch.save(lm.state_dict(), os.path.join(d, "lm.pt"))
g = torch.Generator().manual_seed(2)
sets = [torch.randint(0, 512, s, generator=g) for s in [(1, 6), (1, 11)]]
for i, ids in enumerate(sets):
    np.save(os.path.join(d, f"ids{i}.npy"), ids.numpy())
w = os.path.join(d, "w")
run("convert", os.path.join(d, "lm.pt"), w, "--bits", "32")
print(run("transpile", models_py + ":GPTBlock", "--weights-dir", w, "--example-input", os.path.join(d, "ids0.npy")).strip().splitlines()[-1])
for i, ids in enumerate(sets):
    od = os.path.join(d, f"out{i}")
    run("run", w, "--input", os.path.join(d, f"ids{i}.npy"), "--output-dir", od)
    got = np.load(os.path.join(od, "output_0.npy"))
    with torch.no_grad():
        ref = lm(ids).numpy()
    err = float(np.abs(got - ref).max() / np.abs(ref).max())
    check(f"GPTBlock (Dim.AUTO): ids {tuple(ids.shape)} vs PyTorch", got.shape == ref.shape and err <= 1e-4, f"rel err {err:.2e}")
np.save(os.path.join(d, "batch2.npy"), np.zeros((2, 6), np.int64))
p = subprocess.run([cactus, "run", w, "--input", os.path.join(d, "batch2.npy")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check("GPTBlock (Dim.AUTO): a batch the export fixed is refused", p.returncode == 1 and "dim 0" in p.stdout, p.stdout.strip().splitlines()[-1])

finish()
