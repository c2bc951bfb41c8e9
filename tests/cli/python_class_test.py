"""The seed's three steps from a Python class: `cactus convert` a state_dict, then
`cactus transpile path/model.py:Class --weights-dir W --example-input ids.npy` (exported with
torch.export by the project's Python), then `cactus run` on other batch and sequence sizes, each
compared with PyTorch. Also --init-args, the reference comparison in result.json, and a model
without parameters (an empty state_dict converts to an empty manifest; every capture path
transpiles it with or without --weights-dir).

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

# A model without parameters: torch.save({}) converts to an empty manifest, and the Python class,
# .pt2 and TorchScript paths transpile it with that manifest or with no --weights-dir at all.
d = os.path.join(work, "no_params")
os.makedirs(d)
with open(os.path.join(d, "no_params.py"), "w") as f:
    f.write("import torch\n\nclass NoParams(torch.nn.Module):\n"
            "    def forward(self, x):\n        return torch.relu(x) * 2 + x.mean(-1, keepdim=True)\n")
sys.path.insert(0, d)
from no_params import NoParams  # noqa: E402

free = NoParams().eval()
g = torch.Generator().manual_seed(3)
x = torch.randn(3, 7, generator=g)
np.save(os.path.join(d, "x.npy"), x.numpy())
ref = free(x).numpy()
torch.save({}, os.path.join(d, "empty.pt"))
out = run("convert", os.path.join(d, "empty.pt"), os.path.join(d, "w"), "--bits", "32")
m = json.load(open(os.path.join(d, "w", "weights_manifest.json")))
check("no parameters: convert writes an empty manifest", m["weights"] == [] and "without parameters" in out, out.strip())
torch.export.save(torch.export.export(free, (x,)), os.path.join(d, "no_params.pt2"))
torch.jit.save(torch.jit.trace(free, (x,)), os.path.join(d, "no_params.ts"))
cls = os.path.join(d, "no_params.py") + ":NoParams"
for label, args in [("class, empty --weights-dir", [cls, "--weights-dir", os.path.join(d, "w"), "--example-input", os.path.join(d, "x.npy")]),
                    ("class, no --weights-dir", [cls, "--example-input", os.path.join(d, "x.npy")]),
                    (".pt2, empty --weights-dir", [os.path.join(d, "no_params.pt2"), "--weights-dir", os.path.join(d, "w")]),
                    (".pt2, no --weights-dir", [os.path.join(d, "no_params.pt2")]),
                    ("TorchScript, no --weights-dir", [os.path.join(d, "no_params.ts"), "--example-input", os.path.join(d, "x.npy")])]:
    b = os.path.join(d, label.replace(" ", "_").replace(",", "").replace("-", ""))
    run("transpile", *args, "--artifact-dir", b)
    od = os.path.join(b, "out")
    run("run", b, "--input", os.path.join(d, "x.npy"), "--output-dir", od)
    got = np.load(os.path.join(od, "output_0.npy"))
    err = float(np.abs(got - ref).max() / np.abs(ref).max())
    check(f"no parameters, {label}: vs PyTorch", got.shape == ref.shape and err <= 1e-6, f"rel err {err:.2e}")

finish()
