"""Composite ops users hit, end to end against PyTorch:
- nn.GRU and nn.RNN (tanh, relu): layers, bidirectional, batch_first or not, with and without
  biases, given or zero initial state; through TorchScript, torch.export (aten.gru.input kept
  whole) and torch.export's core ATen decomposition (the cell unrolled);
- torch.outer; torch.einsum over one and two operands (batched products, transposes, sums,
  "...", implicit output); F.one_hot; index_add (with alpha, repeated indices);
- nn.TransformerEncoderLayer traced by TorchScript on PyTorch's inference fast path
  (aten::_transformer_encoder_layer_fwd), post- and pre-norm, relu and gelu; the test checks the
  trace does take the fast path;
- the Python-class path (`cactus transpile model.py:Class`): the exporter decomposes to core ATen
  exactly the ops cactus's importer does not read (mish, softplus, logsumexp, glu, logsigmoid,
  pixel_shuffle here) and keeps those it reads, so linear, layer_norm, gru and einsum stay whole; the bundle
  matches PyTorch on inputs of another batch size;
- cdist over broadcast batch dims, native_layer_norm's and native_group_norm's mean and rstd,
  addmm with alpha and beta (0 too), Conv3d (padded, strided, dilated, grouped), and a 0-d
  scalar_tensor expanded, cat led by a legacy empty tensor;
- an output PyTorch returns as float64 (softmax with dtype): transpile notes that cactus
  computes it in float32.
Floats to 1e-5 of the output's largest magnitude (the GRU / RNN recurrences to 2e-5).

usage: .venv/bin/python composite_ops_test.py CACTUS_BINARY WORKDIR
"""
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import torch
import torch.nn.functional as F

from op_harness import capture, check, check_model, compare, finish


class Recurrent(torch.nn.Module):
    names = ["gru_out", "gru_h", "gru_seq_first", "gru_seq_first_h", "rnn_tanh", "rnn_tanh_h", "rnn_relu", "rnn_relu_h"]

    def __init__(self):
        super().__init__()
        torch.manual_seed(5)
        self.gru = torch.nn.GRU(6, 8, num_layers=2, bidirectional=True, batch_first=True)
        self.gru_nb = torch.nn.GRU(6, 5, bias=False)
        self.rnn = torch.nn.RNN(6, 7, num_layers=2, batch_first=True)
        self.rnn_relu = torch.nn.RNN(6, 4, nonlinearity="relu", bidirectional=True, batch_first=True)

    def forward(self, x, h0):  # x [2, 5, 6] batch first; h0 [4, 2, 8]
        y, h = self.gru(x, h0)
        y2, h2 = self.gru_nb(x.transpose(0, 1))
        y3, h3 = self.rnn(x)
        y4, h4 = self.rnn_relu(x)
        return y, h, y2, h2, y3, h3, y4, h4


class Outer(torch.nn.Module):
    names = ["outer", "rotary"]

    def forward(self, a, b, t):  # a [5]; b [7]; t [6]: a hand-written rotary table
        inv = 1.0 / (10000 ** (torch.arange(0, 8, 2, dtype=torch.float32) / 8))
        freqs = torch.outer(t, inv)
        return torch.outer(a, b), torch.cat([freqs.cos(), freqs.sin()], -1)


class Routing(torch.nn.Module):
    names = ["bmm", "transpose", "attention_scores", "dot", "ellipsis", "implicit", "sum_out", "one_hot", "index_add", "index_add_alpha"]

    def forward(self, a, b, q, k, v, idx, src):  # a [2, 3, 4]; b [2, 4, 5]; q, k [2, 2, 6, 4]; v [7]; idx [5] int64; src [5, 3]
        return (torch.einsum("bij,bjk->bik", a, b), torch.einsum("ij->ji", a[0]), torch.einsum("bhqd,bhkd->bhqk", q, k),
                torch.einsum("i,i->", v, v), torch.einsum("...ij,jk->...ik", a, b[0]), torch.einsum("ij,jk", a[0], b[1]),
                torch.einsum("bij->j", a), torch.nn.functional.one_hot(idx, 6), torch.zeros(6, 3).index_add(0, idx, src),
                torch.ones(3, 6).index_add(1, idx, src.t(), alpha=2.0))


class EncoderLayers(torch.nn.Module):
    names = ["post_norm_relu", "pre_norm_gelu"]

    def __init__(self):
        super().__init__()
        torch.manual_seed(7)
        self.post = torch.nn.TransformerEncoderLayer(16, 4, dim_feedforward=24, dropout=0.1, batch_first=True)
        self.pre = torch.nn.TransformerEncoderLayer(16, 2, dim_feedforward=20, activation="gelu", norm_first=True, batch_first=True)
        for p in self.parameters():  # no gradients: PyTorch takes its inference fast path
            p.requires_grad_(False)

    def forward(self, x):  # x [2, 5, 16]
        return self.post(x), self.pre(x)


class Extras(torch.nn.Module):
    """Forms OpInfo's samples found missing: cdist over broadcast batch dims, the statistics of
    native_layer_norm / native_group_norm, addmm with alpha and beta, Conv3d, a 0-d scalar_tensor
    expanded, cat whose first tensor is a legacy empty one (1-D, size 0)."""
    names = ["cdist_broadcast", "cdist_p1", "ln", "ln_mean", "ln_rstd", "gn", "gn_mean", "gn_rstd", "addmm", "addmm_beta0", "conv3d",
             "conv3d_grouped", "scalar_expand", "cat_legacy_empty"]

    def __init__(self):
        super().__init__()
        torch.manual_seed(13)
        self.w = torch.nn.Parameter(torch.randn(6))
        self.b = torch.nn.Parameter(torch.randn(6))

    # a [2, 1, 4, 5]; b [3, 6, 5]; x [2, 4, 6]; m1 [3, 5]; m2 [5, 2]; bias [2]; vol [2, 3, 4, 6, 5]; the Conv3d kernels are inputs
    # (weight files hold at most 4 dims: a 5-D kernel as a parameter is refused when stored)
    def forward(self, a, b, x, m1, m2, bias, vol, k1, b1, k2):  # k1 [4, 3, 3, 2, 3]; b1 [4]; k2 [6, 2, 2, 2, 2]
        ln, ln_mean, ln_rstd = torch.native_layer_norm(x, [6], self.w, self.b, 1e-5)
        gn, gn_mean, gn_rstd = torch.native_group_norm(x.reshape(2, 6, 4), self.w, self.b, 2, 6, 4, 3, 1e-5)
        y = F.conv3d(vol, k1, b1, stride=(1, 2, 1), padding=(1, 0, 2), dilation=(1, 1, 2))
        return (torch.cdist(a, b), torch.cdist(a, b, p=1.0), ln, ln_mean, ln_rstd, gn, gn_mean, gn_rstd,
                torch.addmm(bias, m1, m2, beta=0.5, alpha=-2.0), torch.addmm(bias, m1, m2, beta=0.0, alpha=3.0), y,
                F.conv3d(y, k2, groups=2), torch.scalar_tensor(2.5).expand(3, 4) * x[0, :3, :4], torch.cat([torch.zeros(0), m1, m1], dim=1))


MODEL_FILE = '''
import torch
import torch.nn.functional as F


class Mixed(torch.nn.Module):
    """Ops the importer does not read (decomposed by the exporter) beside ones it does."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(11)
        self.proj = torch.nn.Linear(8, 16)
        self.norm = torch.nn.LayerNorm(8)
        self.gru = torch.nn.GRU(8, 8, batch_first=True)
        self.mix = torch.nn.Parameter(torch.randn(8, 8))

    def forward(self, x, img):  # x [batch, seq, 8]; img [batch, 8, 3, 3]
        h, _ = self.gru(self.norm(x))
        a = F.glu(self.proj(F.mish(h)), dim=-1)                     # glu, mish
        b = torch.einsum("bsd,de->bse", F.softplus(a), self.mix)    # softplus (einsum is read)
        b = b + F.logsigmoid(b)                                     # log_sigmoid
        pooled = torch.logsumexp(b, dim=1)                          # logsumexp
        return b, pooled, F.pixel_shuffle(img, 2)                   # pixel_shuffle
'''


def check_python_class(cactus, work):
    d = os.path.join(work, "python_class")
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/mixed.py", "w") as f:
        f.write(textwrap.dedent(MODEL_FILE))
    sys.path.insert(0, d)
    import mixed  # noqa: E402
    model = mixed.Mixed().eval()
    g = torch.Generator().manual_seed(3)
    example = (torch.randn(2, 6, 8, generator=g), torch.randn(2, 8, 3, 3, generator=g))
    # another batch (torch.export keeps the sequence static: nn.GRU specializes it)
    other = (torch.randn(3, 6, 8, generator=g), torch.randn(3, 8, 3, 3, generator=g))
    args = []
    for i, x in enumerate(example):
        np.save(f"{d}/x{i}.npy", x.numpy())
        args += ["--example-input", f"{d}/x{i}.npy"]
    r = subprocess.run([cactus, "transpile", f"{d}/mixed.py:Mixed", "--artifact-dir", f"{d}/b", *args], capture_output=True, text=True)
    check("python class: transpile", r.returncode == 0, r.stderr.strip()[-2000:])
    if r.returncode:
        return
    line = next((ln for ln in r.stderr.splitlines() if "decomposed to core ATen ops" in ln), "")
    decomposed = {op for op in ("mish", "softplus", "logsumexp", "glu", "log_sigmoid", "pixel_shuffle") if f"{op}." in line}
    kept = {op for op in ("linear.", "layer_norm.", "gru.", "einsum.") if op in line}
    check("python class: the exporter decomposed the ops the importer does not read", len(decomposed) == 6, line.strip())
    check("python class: and kept linear, layer_norm, gru and einsum whole", not kept, line.strip())
    r = subprocess.run([cactus, "inspect", f"{d}/b"], capture_output=True, text=True)
    check("python class: inspect", r.returncode == 0, r.stderr.strip()[-500:])
    listed = {ln.split()[0] for ln in r.stdout.splitlines() if ln.split()}
    check("python class: the bundle runs linear, layer_norm and gru ops", {"linear", "layer_norm", "gru"} <= listed, r.stdout[-1500:])
    for i, x in enumerate(other):
        np.save(f"{d}/y{i}.npy", x.numpy())
    ins = [a for i in range(len(other)) for a in ("--input", f"{d}/y{i}.npy")]
    r = subprocess.run([cactus, "run", f"{d}/b", *ins, "--output-dir", f"{d}/o"], capture_output=True, text=True)
    check("python class: run on batch 3", r.returncode == 0, r.stderr.strip()[-2000:])
    if r.returncode:
        return
    with torch.no_grad():
        refs = model(*other)
    for k, (name, ref) in enumerate(zip(["einsum", "logsumexp", "pixel_shuffle"], refs)):
        compare(f"python class {name}", np.load(f"{d}/o/output_{k}.npy"), ref, False, 2e-5)


class Float64Out(torch.nn.Module):
    def forward(self, x):
        return torch.softmax(x, -1, dtype=torch.float64), x * 2


def check_float64_note(cactus, work):
    """An output PyTorch returns as float64 is computed in float32: transpile says so, per output,
    on both front ends (and the values still match to float32's precision)."""
    x = torch.randn(3, 5, generator=torch.Generator().manual_seed(9))
    for how in ("export", "torchscript"):
        d = os.path.join(work, f"float64-{how}")
        os.makedirs(d, exist_ok=True)
        src = os.path.join(d, "m.ts" if how == "torchscript" else "m.pt2")
        capture(Float64Out().eval(), (x,), src, how)
        np.save(f"{d}/x0.npy", x.numpy())
        r = subprocess.run([cactus, "transpile", src, "--artifact-dir", f"{d}/b", "--example-input", f"{d}/x0.npy", "--skip-reference-compare"],
                           capture_output=True, text=True)
        notes = [ln.strip() for ln in r.stderr.splitlines() if "as float64" in ln]
        ok = r.returncode == 0 and len(notes) == 1 and "output 0" in notes[0] and "computes float64 in float32" in notes[0]
        check(f"float64 output {how}: transpile notes output 0 only", ok, notes[0] if ok else r.stderr.strip()[-1500:])
        if r.returncode:
            continue
        r = subprocess.run([cactus, "run", f"{d}/b", "--input", f"{d}/x0.npy", "--output-dir", f"{d}/o"], capture_output=True, text=True)
        check(f"float64 output {how}: run", r.returncode == 0, r.stderr.strip()[-1000:])
        if r.returncode == 0:
            compare(f"float64 output {how}: softmax in float32", np.load(f"{d}/o/output_0.npy"), torch.softmax(x, -1), False)


def main():
    cactus, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    g = torch.Generator().manual_seed(0)
    rec = (torch.randn(2, 5, 6, generator=g), torch.randn(4, 2, 8, generator=g))
    check_model(cactus, work, "recurrent", Recurrent().eval(), rec, Recurrent.names, set(), rtol=2e-5)
    outer = (torch.randn(5, generator=g), torch.randn(7, generator=g), torch.arange(6, dtype=torch.float32))
    check_model(cactus, work, "outer", Outer().eval(), outer, Outer.names, set())

    route = (torch.randn(2, 3, 4, generator=g), torch.randn(2, 4, 5, generator=g), torch.randn(2, 2, 6, 4, generator=g),
             torch.randn(2, 2, 6, 4, generator=g), torch.randn(7, generator=g), torch.tensor([0, 5, 2, 0, 3]), torch.randn(5, 3, generator=g))
    check_model(cactus, work, "routing", Routing().eval(), route, Routing.names, {"one_hot"})

    layers = EncoderLayers().eval()
    x = torch.randn(2, 5, 16, generator=g)
    traced = torch.jit.trace(layers, (x,), check_trace=False)
    fast = str(traced.inlined_graph).count("aten::_transformer_encoder_layer_fwd")
    check("encoder layers: TorchScript traces PyTorch's fast path for both", fast == 2, f"{fast} fast-path nodes")
    check_model(cactus, work, "encoder_layers", layers, (x,), EncoderLayers.names, set())

    extras = (torch.randn(2, 1, 4, 5, generator=g), torch.randn(3, 6, 5, generator=g), torch.randn(2, 4, 6, generator=g), torch.randn(3, 5, generator=g),
              torch.randn(5, 2, generator=g), torch.randn(2, generator=g), torch.randn(2, 3, 4, 6, 5, generator=g), torch.randn(4, 3, 3, 2, 3, generator=g),
              torch.randn(4, generator=g), torch.randn(6, 2, 2, 2, 2, generator=g))
    check_model(cactus, work, "extras", Extras().eval(), extras, Extras.names, set())

    check_python_class(cactus, work)
    check_float64_note(cactus, work)
    finish()


if __name__ == "__main__":
    main()
