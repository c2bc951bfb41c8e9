"""Bad input gives one clear error line and a non-zero exit, never a crash or a partial bundle.

usage: .venv/bin/python bad_input_test.py CACTUS_BINARY WORKDIR
"""
import os
import shutil
import subprocess
import sys

import json

import numpy as np
import torch

cactus, work = os.path.abspath(sys.argv[1]), sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []
n_cases = 1  # the no-partial-bundle check below


def expect_error(label, args, *needles, env=None):
    p = subprocess.run([cactus, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
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
        return torch.erfinv(x * 0.5)


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
expect_error("not a TorchScript archive (transpile)", ["transpile", junk, "--input-shape", "1x8"], "junk.bin", "not a TorchScript archive (not a zip file)")
expect_error("state_dict given to transpile", ["transpile", sd, "--input-shape", "1x8"], "state_dict", "torch.jit.trace")
expect_error("unsupported bit width", ["convert", sd, os.path.join(work, "o3"), "--bits", "5"], "--bits", "got 5")
expect_error("bit width that is not a number", ["convert", sd, os.path.join(work, "o3"), "--bits", "four"], "--bits", "'four'")
expect_error("wrong input dtype", ["run", bundle, "--input", os.path.join(work, "x_i64.npy")], "must be f32", "got i64")
expect_error("wrong input rank", ["run", bundle, "--input", os.path.join(work, "x_rank.npy")], "rank")
expect_error("wrong input shape", ["run", bundle, "--input", os.path.join(work, "x_wrong.npy")], "linear", "does not match weight")
expect_error("unknown option", ["run", bundle, "--frobnicate", "1"], "--frobnicate")
expect_error("--input and --input-ids for a one-input bundle", ["run", bundle, "--input", os.path.join(work, "x.npy"), "--input-ids", "1,2"],
             "--input-ids", "takes 1 input")
expect_error("--max-new-tokens not a number", ["run", bundle, "--input", os.path.join(work, "x.npy"), "--max-new-tokens", "many"],
             "--max-new-tokens", "'many'")

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

# Bundles whose parts disagree or point elsewhere: weights converted again under the graph, a
# binding outside the bundle, bindings and manifests that are not what they say.
def edited_bundle(name, edit):
    d = os.path.join(work, name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(bundle, d)
    edit(d)
    return d


def edit_json(path, fn):
    j = json.load(open(path))
    fn(j)
    open(path, "w").write(json.dumps(j))


def reconvert(d, bits):
    subprocess.run([cactus, "convert", sd, d, "--bits", bits], check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


xin = ["--input", os.path.join(work, "x.npy")]
for label, edit, needles in [
    ("weights converted again at another --bits under the graph", lambda d: reconvert(d, "16"), (".weights", "changed since this graph was lowered")),
    ("a weight file replaced by another's", lambda d: shutil.copy(os.path.join(d, "fc.bias.weights"), os.path.join(d, "fc.weight.weights")),
     ("fc.weight.weights", "changed since this graph was lowered")),
    ("a binding outside the bundle", lambda d: edit_json(os.path.join(d, "graph_bindings.json"), lambda j: j["bindings"][0].__setitem__("file", "../bundle/fc.weight.weights")),
     ("graph_bindings.json", "points outside the bundle")),
    ("a binding with an absolute path", lambda d: edit_json(os.path.join(d, "graph_bindings.json"), lambda j: j["bindings"][0].__setitem__("file", os.path.join(bundle, "fc.weight.weights"))),
     ("graph_bindings.json", "points outside the bundle")),
    ("a binding whose file name is longer than the file system allows",
     lambda d: edit_json(os.path.join(d, "graph_bindings.json"), lambda j: j["bindings"][0].__setitem__("file", "w" * 300 + ".weights")),
     ("w" * 300, "cannot resolve this path (File name too long)")),
    ("a component whose graph name is longer than the file system allows",
     lambda d: edit_json(os.path.join(d, "components", "manifest.json"), lambda j: j["components"][0].__setitem__("graph", "g" * 300)),
     ("g" * 300, "cannot look up this path (File name too long)")),
    ("graph_bindings.json not JSON", lambda d: open(os.path.join(d, "graph_bindings.json"), "w").write("{bindings"), ("graph_bindings.json", "not valid JSON at line 1, column 2")),
    ("graph_bindings.json without bindings", lambda d: open(os.path.join(d, "graph_bindings.json"), "w").write('{"format": "cactus-bindings"}'),
     ("graph_bindings.json", "no \"bindings\" list")),
    ("a binding whose name is a number", lambda d: edit_json(os.path.join(d, "graph_bindings.json"), lambda j: j["bindings"][0].__setitem__("name", 7)),
     ("graph_bindings.json", "without a \"name\" and \"file\" string")),
    ("external_weights that is not a bool", lambda d: edit_json(os.path.join(d, "graph_bindings.json"), lambda j: j.__setitem__("external_weights", "yes")),
     ("graph_bindings.json", "must be true or false")),
    ("a weight file deleted", lambda d: os.remove(os.path.join(d, "fc.bias.weights")), ("fc.bias.weights", "not found")),
    ("graph_bindings.json deleted", lambda d: os.remove(os.path.join(d, "graph_bindings.json")), ("graph_bindings.json", "not found")),
    ("components/manifest.json not JSON", lambda d: open(os.path.join(d, "components", "manifest.json"), "w").write("[1,"),
     ("manifest.json", "not valid JSON at line")),
    ("graph.cactus emptied", lambda d: open(os.path.join(d, "graph.cactus"), "w").close(), ("graph.cactus",)),
]:
    d = edited_bundle("edited_" + str(n_cases), edit)
    expect_error(label, ["run", d, *xin], *needles)
expect_error("run: an .npy that is not one", ["run", bundle, "--input", junk], "junk.bin")
trunc_npy = os.path.join(work, "trunc.npy")
open(trunc_npy, "wb").write(open(os.path.join(work, "x.npy"), "rb").read()[:-9])
expect_error("run: a truncated .npy", ["run", bundle, "--input", trunc_npy], "trunc.npy")
expect_error("run: an input file that does not exist", ["run", bundle, "--input", os.path.join(work, "nope.npy")], "nope.npy")
expect_error("run: --input-ids that are not numbers", ["run", bundle, "--input-ids", "1,x,3"], "--input-ids")
expect_error("run: a token id past 2^64", ["run", bundle, "--input-ids", "1," + "9" * 30], "--input-ids", "is not a token id")
expect_error("run: --profile past int range", ["run", bundle, "--input", os.path.join(work, "x.npy"), "--profile", "99999999999"],
             "--profile", "is not a number of runs")
expect_error("transpile: an --input-shape dim past 2^64", ["transpile", ts, "--input-shape", "2x" + "9" * 25, "--artifact-dir", os.path.join(work, "t_shape")],
             "--input-shape", "is not a dimension")
expect_error("transpile: --input-shape malformed", ["transpile", ts, "--input-shape", "2xq", "--artifact-dir", os.path.join(work, "t_shape")], "--input-shape", "2xq")
expect_error("transpile: --packed-conv with --f32-conv", ["transpile", ts, "--input-shape", "2x8:f32", "--packed-conv", "--f32-conv",
             "--artifact-dir", os.path.join(work, "t_conv")], "--packed-conv and --f32-conv")
expect_error("transpile: --example-input missing", ["transpile", ts, "--example-input", os.path.join(work, "nope.npy"), "--artifact-dir", os.path.join(work, "t_ex")], "nope.npy")
expect_error("transpile: --weights-dir without a manifest", ["transpile", ts, "--weights-dir", work, "--input-shape", "2x8:f32"], "weights_manifest.json", "not found")
bad_manifest = edited_bundle("bad_manifest", lambda d: edit_json(os.path.join(d, "weights_manifest.json"), lambda j: j["weights"][0].__setitem__("shape", [1.5e30])))
expect_error("transpile: a manifest shape that is not integers", ["transpile", ts, "--weights-dir", bad_manifest, "--input-shape", "2x8:f32"], "weights_manifest.json", "expected an integer")
def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


num_manifest = edited_bundle("num_manifest", lambda d: write_text(os.path.join(d, "weights_manifest.json"), "1"))
expect_error("transpile: a manifest that is a number, not an object", ["transpile", ts, "--weights-dir", num_manifest, "--input-shape", "2x8:f32"], "weights_manifest.json", "expected a JSON object")
str_manifest = edited_bundle("str_manifest", lambda d: edit_json(os.path.join(d, "weights_manifest.json"), lambda j: j["weights"][0].__setitem__("file", 7)))
expect_error("transpile: a manifest entry whose file is a number", ["transpile", ts, "--weights-dir", str_manifest, "--input-shape", "2x8:f32"], "weights_manifest.json", "\"file\" must be a string")
fp_manifest = edited_bundle("fp_manifest", lambda d: edit_json(os.path.join(d, "weights_manifest.json"), lambda j: [w.__setitem__("fingerprint", "0123456789abcdef") for w in j["weights"]]))
expect_error("transpile: a manifest whose fingerprints do not match its files", ["transpile", ts, "--weights-dir", fp_manifest, "--input-shape", "2x8:f32"],
             "weights", "does not match its manifest entry")
afile = os.path.join(work, "a_file")
open(afile, "w").write("x")
expect_error("convert: OUT is a file", ["convert", sd, afile], "a_file", "not a directory")
expect_error("transpile: --artifact-dir is a file", ["transpile", ts, "--weights-dir", bundle, "--input-shape", "2x8:f32", "--artifact-dir", afile], "a_file", "not a directory")
expect_error("convert: --bits without a value", ["convert", sd, os.path.join(work, "o4"), "--bits"], "--bits")

# Re-lowering from saved IR: a missing file, and a file that is not IR.
expect_error("lower: missing IR", ["lower", os.path.join(work, "nope_ir.json"), "--artifact-dir", os.path.join(work, "rl")], "nope_ir.json", "no such file")
expect_error("lower: not IR JSON", ["lower", junk, "--artifact-dir", os.path.join(work, "rl")], "junk.bin", "not valid JSON at line 1")
for label, edit, needle in [
    ("lower: a node output that is not a value", lambda j: j["nodes"][0].__setitem__("outputs", [10**6]), "produces unknown value"),
    ("lower: a graph output that is not a value", lambda j: j.__setitem__("outputs", [10**6]), "graph output"),
    ("lower: a graph input that is not a value", lambda j: j.__setitem__("inputs", [-3]), "graph input"),
]:
    import json as _json
    ir = _json.load(open(os.path.join(bundle, "optimized_ir.json")))
    edit(ir)
    bad_ir = os.path.join(work, "bad_ids_ir.json")
    open(bad_ir, "w").write(_json.dumps(ir))
    expect_error(label, ["lower", bad_ir, "--artifact-dir", os.path.join(work, "rl_ids")], needle)
for label, edit, needles in [
    ("lower: a node input that is not a value", lambda j: j["nodes"][0]["inputs"].__setitem__(0, 10**6), ("uses unknown value",)),
    ("lower: a cycle (a node uses its own output)", lambda j: j["nodes"][0]["inputs"].__setitem__(0, j["nodes"][-1]["outputs"][0]), ("before it is produced",)),
    ("lower: two producers of one value", lambda j: j["nodes"][-1].__setitem__("outputs", j["nodes"][0]["outputs"]), ("two producers",)),
    ("lower: a graph input listed twice", lambda j: j.__setitem__("inputs", j["inputs"] * 2), ("listed twice as a graph input",)),
    ("lower: a graph output never produced", lambda j: (j["values"].append({"kind": "tensor", "dtype": "f32", "shape": [2, 4]}),
                                                        j.__setitem__("outputs", [len(j["values"]) - 1])), ("is never produced",)),
    ("lower: a node id that is a float", lambda j: j["nodes"][0]["inputs"].__setitem__(0, 1e30), ("expected an integer",)),
    ("lower: a shape that is not a list", lambda j: j["values"][0].__setitem__("shape", "2x8"), ("expected a list of integers",)),
    ("lower: a node with more inputs than its op takes", lambda j: j["nodes"][0]["inputs"].append(j["nodes"][0]["inputs"][0]),
     ("node 0 (", " inputs; ", " takes ")),
    ("lower: a node with no outputs", lambda j: j["nodes"][0].__setitem__("outputs", []), ("node 0 (", "has 0 outputs; ", " gives 1")),
]:
    ir = json.load(open(os.path.join(bundle, "optimized_ir.json")))
    edit(ir)
    bad_ir = os.path.join(work, "bad_graph_ir.json")
    open(bad_ir, "w").write(json.dumps(ir))
    expect_error(label, ["lower", bad_ir, "--artifact-dir", os.path.join(work, "rl_graph")], "bad_graph_ir.json", *needles)
# TorchScript spellings canonicalize rewrites by hand (the raw IR's aten::relu becomes each of them)
for label, edit, needles in [
    ("lower: a transpose with too few inputs", lambda n: n.__setitem__("op", "aten::transpose"), ("aten::transpose", "has 1 inputs, needs at least 3")),
    ("lower: a transpose whose dims are not constants", lambda n: (n.__setitem__("op", "aten::transpose"), n.__setitem__("inputs", n["inputs"] * 3)),
     ("aten::transpose", "must be a constant int")),
    ("lower: a no-op with no inputs", lambda n: (n.__setitem__("op", "aten::dropout"), n.__setitem__("inputs", [])), ("aten::dropout", "has 0 inputs, needs at least 1")),
]:
    ir = json.load(open(os.path.join(bundle, "raw_ir.json")))
    relu = [n for n in ir["nodes"] if n["op"] == "aten::relu"][0]
    edit(relu)
    bad_ir = os.path.join(bundle, "bad_raw_ir.json")  # beside the bundle's weight files, which the IR names relatively
    open(bad_ir, "w").write(json.dumps(ir))
    expect_error(label, ["lower", bad_ir, "--artifact-dir", os.path.join(work, "rl_raw")], *needles)
    os.remove(bad_ir)
# an IR named without a directory is read from the current one (its parent path is empty)
p = subprocess.run([cactus, "lower", "raw_ir.json", "--artifact-dir", os.path.join(work, "rl_cwd")], cwd=bundle, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, text=True)
n_cases += 1
print(f"{'ok  ' if p.returncode == 0 else 'FAIL'} lower: raw_ir.json given from its own directory: exit {p.returncode} {p.stderr.strip()}")
if p.returncode != 0:
    failures.append("lower from the bundle directory")
expect_error("lower: onto its own bundle", ["lower", os.path.join(bundle, "optimized_ir.json"), "--artifact-dir", bundle], "other than the source bundle")

# Unsupported op: named with its source line, and no partial bundle is left behind.
uts = os.path.join(work, "unsupported.ts")
torch.jit.trace(Unsupported(), torch.randn(2, 8)).save(uts)
art = os.path.join(work, "unsupported_bundle")
expect_error("unsupported aten op", ["transpile", uts, "--input-shape", "2x8", "--artifact-dir", art], "aten::erfinv", "bad_input_test.py:")
leftover = os.listdir(art) if os.path.exists(art) else []
print(("ok  " if not leftover else "FAIL") + f" no partial bundle after a failed transpile: {leftover}")
if leftover:
    failures.append("partial bundle")

# Checkpoint readers: safetensors offsets that wrap past 2^64 or overlap, a zip directory that
# overstates an entry's size, a shape whose element count overflows.
import struct


def safetensors_file(path, header, data):
    h = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)


st_cases = [
    ("safetensors: offsets wrap past 2^64", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 2**64 - 1]}}, ("'a'", "outside the file")),
    ("safetensors: tensors overlap", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, ("'a' and 'b'", "overlap")),
    ("safetensors: element count overflows", {"a": {"dtype": "F32", "shape": [2**31, 2**31, 2**31], "data_offsets": [0, 8]}},
     ("'a'", "too many elements")),
    ("safetensors: negative size", {"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, ("'a'", "negative size")),
]
for label, header, needles in st_cases:
    p = os.path.join(work, label.split(": ")[1].replace(" ", "_") + ".safetensors")
    safetensors_file(p, header, bytes(16))
    expect_error(label, ["convert", p, os.path.join(work, "o_st")], os.path.basename(p), *needles)
zbad = os.path.join(work, "overstated.pt")
zdata = bytearray(open(sd, "rb").read())
cd = zdata.rfind(b"PK\x01\x02")  # the last central directory entry: its uncompressed size field
struct.pack_into("<I", zdata, cd + 24, struct.unpack_from("<I", zdata, cd + 24)[0] + 1000)
open(zbad, "wb").write(bytes(zdata))
expect_error("zip: directory overstates an entry's size", ["convert", zbad, os.path.join(work, "o_z")], "overstated.pt", "sizes differ")

# torch.export archives (.pt2): damaged, of another schema, with an unknown op or a missing weight.
import zipfile


def rewrite_pt2(src, dst, edit):
    """Copies a .pt2 with edit(name, bytes) -> bytes or None (drop the entry)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)


pt2 = os.path.join(work, "small.pt2")
torch.export.save(torch.export.export(m, (torch.randn(2, 8),)), pt2)
good = open(pt2, "rb").read()
cases_pt2 = os.path.join(work, "pt2")
os.makedirs(cases_pt2, exist_ok=True)
trunc = os.path.join(cases_pt2, "truncated.pt2")
open(trunc, "wb").write(good[: len(good) // 2])
expect_error("pt2: truncated archive", ["transpile", trunc, "--artifact-dir", os.path.join(work, "t1")], "truncated.pt2")


def with_schema(name, data):
    if name.endswith("models/model.json"):
        d = json.loads(data)
        d["schema_version"]["major"] = 99
        return json.dumps(d).encode()
    return data


def drop_weight(name, data):
    if name.endswith("model_weights_config.json"):
        d = json.loads(data)
        d["config"].pop("fc.weight")
        return json.dumps(d).encode()
    return data


def pickled_weight(name, data):
    if name.endswith("model_weights_config.json"):
        d = json.loads(data)
        d["config"]["fc.weight"]["use_pickle"] = True
        return json.dumps(d).encode()
    return data


with zipfile.ZipFile(pt2) as z:
    cfg = next(n for n in z.namelist() if n.endswith("model_weights_config.json"))
    fc_weight_entry = "/" + json.loads(z.read(cfg))["config"]["fc.weight"]["path_name"]


def short_storage(name, data):
    return data[:7] if name.endswith(fc_weight_entry) else data


def wrong_format(name, data):
    return b"pt1" if name.endswith("archive_format") else data


for label, edit, needles in [
    ("pt2: wrong schema version", with_schema, ("schema version 99.", "not supported")),
    ("pt2: missing weight", drop_weight, ("fc.weight", "does not store")),
    ("pt2: pickled weight", pickled_weight, ("fc.weight", "pickled")),
    ("pt2: weight storage too short", short_storage, ("fc.weight", "storage entry has 7 bytes")),
    ("pt2: not archive_format pt2", wrong_format, ("archive_format is 'pt1'",)),
]:
    dst = os.path.join(cases_pt2, label.split(": ")[1].replace(" ", "_") + ".pt2")
    rewrite_pt2(pt2, dst, edit)
    expect_error(label, ["transpile", dst, "--artifact-dir", os.path.join(work, "t_" + os.path.basename(dst))], os.path.basename(dst), *needles)
upt2 = os.path.join(cases_pt2, "unsupported.pt2")
torch.export.save(torch.export.export(Unsupported(), (torch.randn(2, 8),)), upt2)
expect_error("pt2: unsupported op, with its source line", ["transpile", upt2, "--artifact-dir", os.path.join(work, "t_u")],
             "torch.ops.aten.erfinv.default", "bad_input_test.py:", "not read by cactus", "run_decompositions")
expect_error("pt2: wrong number of example inputs", ["transpile", pt2, "--artifact-dir", os.path.join(work, "t_n"), "--example-input",
             os.path.join(work, "x.npy"), "--example-input", os.path.join(work, "x.npy")], "takes 1 inputs, 2 example inputs")

# The Python-class path: a missing class, bad --init-args, data-dependent control flow (with
# the user's source line), a state_dict that does not fit.
src = os.path.join(work, "user_model.py")
open(src, "w").write("""import torch


class Small(torch.nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.fc = torch.nn.Linear(d, 4)

    def forward(self, x):
        return torch.relu(self.fc(x))


class DataDependent(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x
""")
pc = lambda *a: ["transpile", *a, "--example-input", os.path.join(work, "x.npy"), "--artifact-dir", os.path.join(work, "pc")]
expect_error("python class: no such class", pc(src + ":Nope"), "user_model.py", "no nn.Module class named 'Nope'")
expect_error("python class: no such file", pc(os.path.join(work, "nope.py") + ":Small"), "nope.py", "no such file")
expect_error("python class: --init-args not JSON", pc(src + ":Small", "--init-args", "{d: 8"), "--init-args", "not valid JSON")
expect_error("python class: data-dependent control flow", pc(src + ":DataDependent"), "user_model.py:15", "torch.export failed")
expect_error("python class: state_dict does not fit", pc(src + ":Small", "--init-args", '{"d": 6}', "--weights-dir", bundle),
             "small.pt", "does not fit Small")

# a pickle may put a container inside itself (fuzz_torch_checkpoint found that this leaked the
# objects; the sanitizer step runs this case with leak checking)
holds_itself = []
holds_itself.append(holds_itself)
cyc = os.path.join(work, "holds_itself.pt")
torch.save({"l": holds_itself, "d": {"self": holds_itself}}, cyc)
expect_error("state_dict: a list that holds itself, no tensors", ["convert", cyc, os.path.join(work, "cyc_out")], "holds_itself.pt",
             "no tensors found")

# a broadcast view (stride 0) is saved as its few stored bytes; copied out whole it would be
# gigabytes (fuzz_torch_checkpoint found a 2 KB file that took 76 s and 1.7 GB). A small
# broadcast view still loads, as its contiguous copy.
big_view = os.path.join(work, "big_view.pt")
torch.save({"w": torch.zeros(1).expand(4, 100_000_000)}, big_view)
expect_error("state_dict: a broadcast view of 1.6 GB from 4 stored bytes", ["convert", big_view, os.path.join(work, "big_view_out")],
             "big_view.pt", "storage data/0", "[4x100000000]", "would expand 4 stored bytes", ".contiguous()")
small_view = os.path.join(work, "small_view.pt")
torch.save({"w": torch.arange(3.0).expand(4, 3)}, small_view)
n_cases += 1
p = subprocess.run([cactus, "convert", small_view, os.path.join(work, "small_view_out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
print(f"{'ok  ' if p.returncode == 0 else 'FAIL'} state_dict: a small broadcast view converts: exit {p.returncode} {p.stderr.strip()[-200:]}")
if p.returncode != 0:
    failures.append("small broadcast view")

# JSON others wrote, read by the tokenizer and the checkpoint reader: our words, with the place
tokdir = os.path.join(work, "tok")
os.makedirs(tokdir, exist_ok=True)
def write_tokenizer(text):
    with open(os.path.join(tokdir, "tokenizer.json"), "w") as f:
        f.write(text)
write_tokenizer('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},\n "added_tokens": [')
expect_error("tokenizer.json cut short", ["tokenize", tokdir, "--text", "a"], "tokenizer.json", "not valid JSON at line 2")
write_tokenizer('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "added_tokens": [{"content": 5, "id": 1}]}')
expect_error("tokenizer.json: added token content is a number", ["tokenize", tokdir, "--text", "a"], "tokenizer.json",
             '"added_tokens": expected a string, found a number')
write_tokenizer('{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}, "max_input_chars_per_word": 3e52}}')
expect_error("tokenizer.json: a WordPiece length that is a float (fuzz_tokenizer_json: UB)", ["tokenize", tokdir, "--text", "a"],
             "tokenizer.json", '"max_input_chars_per_word": expected an integer, got 3e+52')
dirtok = os.path.join(work, "dir_tok")
os.makedirs(os.path.join(dirtok, "tokenizer.json"), exist_ok=True)
expect_error("tokenizer.json that is a directory", ["tokenize", dirtok, "--text", "a"], "tokenizer.json", "not a regular file (a directory)")
hfdir = os.path.join(work, "hf_bad")
os.makedirs(hfdir, exist_ok=True)
with open(os.path.join(hfdir, "config.json"), "w") as f:
    f.write('{"model_type": "qwen3",')
expect_error("HF config.json cut short", ["convert", hfdir, os.path.join(work, "hf_out")], "config.json", "not valid JSON at line 1")

# LibTorch is a plugin the CLI loads only to capture or read a TorchScript archive: a missing or
# wrong one is an error naming it, and the CLI itself does not link LibTorch
missing_plugin = os.path.join(work, "no_such_plugin.so")
env = {**os.environ, "CACTUS_TORCHSCRIPT_PLUGIN": missing_plugin}
expect_error("transpile of TorchScript without the LibTorch plugin", ["transpile", ts, "--input-shape", "2x8", "--artifact-dir",
             os.path.join(work, "t_noplugin")], "no_such_plugin.so", "no such file", "CACTUS_TORCHSCRIPT_PLUGIN", env=env)
expect_error("convert of TorchScript without the LibTorch plugin", ["convert", ts, os.path.join(work, "c_noplugin")], "no_such_plugin.so",
             "no such file", env=env)
env = {**os.environ, "CACTUS_TORCHSCRIPT_PLUGIN": junk}
expect_error("a file that is not the plugin", ["transpile", ts, "--input-shape", "2x8", "--artifact-dir", os.path.join(work, "t_junkplugin")],
             "cannot load the TorchScript front end", "junk.bin", env=env)
n_cases += 1
needed = subprocess.run(["readelf", "-d", cactus], capture_output=True, text=True).stdout
linked = [ln.split("[")[-1].rstrip("]") for ln in needed.splitlines() if "(NEEDED)" in ln]
ok = bool(linked) and not any("torch" in lib or lib.startswith("libc10") for lib in linked)
print(f"{'ok  ' if ok else 'FAIL'} the CLI does not link LibTorch: it needs {', '.join(linked)}")
if not ok:
    failures.append("CLI links LibTorch")

print(f"{n_cases - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
