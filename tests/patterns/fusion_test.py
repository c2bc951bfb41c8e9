"""Each fusion rule on TorchScript produced by real PyTorch code, in its common spellings, and
on near misses: `cactus transpile` with the rule on and off (--no-fuse-<name>), counting the
fused op in optimized_ir.json and comparing `cactus run`'s output with PyTorch both ways.

usage: .venv/bin/python fusion_test.py CACTUS_BINARY WORKDIR [CASE_PREFIX]
"""
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F


# ---- rms_norm ------------------------------------------------------------------------------------
class LlamaRMSNorm(torch.nn.Module):  # as in HF transformers' Llama / Qwen3 / Mistral
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.rand(d) + 0.5)
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class GemmaRMSNorm(torch.nn.Module):  # as in HF transformers' Gemma: (1 + weight), x * x
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.randn(d) * 0.1)

    def _norm(self, x):
        return x * torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps)

    def forward(self, x):
        output = self._norm(x.float())
        output = output * (1.0 + self.weight.float())
        return output.type_as(x)


class WrongDim(LlamaRMSNorm):  # near miss: statistics over the sequence, not the features
    def forward(self, x):
        variance = x.pow(2).mean(1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.variance_epsilon))


# ---- layer_norm ----------------------------------------------------------------------------------
class HandLayerNorm(torch.nn.Module):  # ConvNeXt channels_last / nanoGPT-era spelling
    def __init__(self, d, affine=True, rsqrt=False, dim=-1):
        super().__init__()
        shape = (d,) if dim == -1 else (d, 1)  # channels-first: per-channel affine
        self.weight = torch.nn.Parameter(torch.rand(shape) + 0.5) if affine else None
        self.bias = torch.nn.Parameter(torch.randn(shape) * 0.1) if affine else None
        self.rsqrt, self.dim = rsqrt, dim

    def forward(self, x):
        u = x.mean(self.dim, keepdim=True)
        s = (x - u).pow(2).mean(self.dim, keepdim=True)
        x = (x - u) * torch.rsqrt(s + 1e-5) if self.rsqrt else (x - u) / torch.sqrt(s + 1e-5)
        return self.weight * x + self.bias if self.weight is not None else x


# ---- gelu ----------------------------------------------------------------------------------------
class NewGELU(torch.nn.Module):  # HF NewGELUActivation / GPT-2 gelu_new
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class CubedGELU(torch.nn.Module):  # x * x * x and a rounded constant
    def forward(self, x):
        return x * 0.5 * (1.0 + torch.tanh(0.79788456 * (x + 0.044715 * x * x * x)))


class ErfGELU(torch.nn.Module):  # older BERT / ViT code
    def forward(self, x):
        return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


class QuickGELU(torch.nn.Module):  # near miss: CLIP's sigmoid approximation is another function
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class WrongCoefGELU(torch.nn.Module):  # near miss: not the gelu constant
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.05 * torch.pow(x, 3.0))))


class Act(torch.nn.Module):
    def __init__(self, act):
        super().__init__()
        self.fc, self.act = torch.nn.Linear(64, 64), act

    def forward(self, x):
        return self.act(self.fc(x))


# ---- rope ----------------------------------------------------------------------------------------
def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaRope(torch.nn.Module):  # HF Llama / Qwen: cos, sin from position ids, rotate_half
    def __init__(self, head_dim=16, base=10000.0, swapped=False):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim)), persistent=False)
        self.swapped = swapped

    def forward(self, q, position_ids):
        freqs = (self.inv_freq[None, :, None] @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        if self.swapped:
            return (sin * rotate_half(q)) + (cos * q)
        return (q * cos) + (rotate_half(q) * sin)


class WrongWayRope(LlamaRope):  # near miss: cat(x1, -x2) rotates the other way
    def forward(self, q, position_ids):
        freqs = (self.inv_freq[None, :, None] @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        h = q.shape[-1] // 2
        return q * cos + torch.cat((q[..., :h], -q[..., h:]), dim=-1) * sin


class GPTJRope(torch.nn.Module):  # HF GPT-J rotate_every_two with repeat_interleave'd sin/cos
    def forward(self, q, sin, cos):
        x1, x2 = q[:, :, :, ::2], q[:, :, :, 1::2]
        rot = torch.stack((-x2, x1), dim=-1).flatten(-2)
        sin = torch.repeat_interleave(sin[:, :, None, :], 2, 3)
        cos = torch.repeat_interleave(cos[:, :, None, :], 2, 3)
        return (q * cos) + (rot * sin)


# ---- attention -----------------------------------------------------------------------------------
def repeat_kv(hidden_states, n_rep):  # HF transformers
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


class EagerAttention(torch.nn.Module):  # HF Llama eager_attention_forward (+ causal mask, GQA)
    def __init__(self, n_rep=1, style="mul"):
        super().__init__()
        self.n_rep, self.style = n_rep, style

    def forward(self, q, k, v, mask):
        k, v = repeat_kv(k, self.n_rep), repeat_kv(v, self.n_rep)
        if self.style == "mul":
            w = torch.matmul(q, k.transpose(2, 3)) * q.shape[-1] ** -0.5
        elif self.style == "div":
            w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        elif self.style == "where":  # GPT-2: bool causal buffer, torch.where
            w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
            return torch.matmul(F.softmax(torch.where(mask == 0, w, torch.tensor(-1e9)), dim=-1), v)
        elif self.style == "wrong_dim":  # near miss: softmax over the queries
            w = torch.matmul(q, k.transpose(2, 3)) * q.shape[-1] ** -0.5
            return torch.matmul(F.softmax(w + mask, dim=-2), v)
        w = w + mask
        w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        return torch.matmul(w, v)


class SDPA(torch.nn.Module):  # PyTorch 2's F.scaled_dot_product_attention, causal
    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)


class SDPAGroupedScaled(torch.nn.Module):  # grouped-query heads (enable_gqa) and an explicit scale
    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, scale=0.3, enable_gqa=True)


def attention_inputs(heads=4, kv_heads=4, L=6, S=6, E=16):
    q, k, v = torch.randn(1, heads, L, E), torch.randn(1, kv_heads, S, E), torch.randn(1, kv_heads, S, E)
    causal = torch.full((L, S), -1e9).triu(1)[None, None]
    return q, k, v, causal


# ---- gated MLP -----------------------------------------------------------------------------------
class GatedMLP(torch.nn.Module):  # HF LlamaMLP / GemmaMLP
    def __init__(self, act, d=64, f=96, bias=False, up_act=False):
        super().__init__()
        self.gate_proj, self.up_proj = torch.nn.Linear(d, f, bias=bias), torch.nn.Linear(d, f, bias=bias)
        self.down_proj, self.act_fn, self.up_act = torch.nn.Linear(f, d, bias=bias), act, up_act

    def forward(self, x):
        if self.up_act:  # near miss: the activation on the other projection's product
            return self.down_proj(self.act_fn(self.gate_proj(x) * self.up_proj(x)))
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


# ---- conv_module ---------------------------------------------------------------------------------
class ConvBNAct(torch.nn.Module):  # torchvision Conv2dNormActivation-style blocks
    def __init__(self, act, dims=2, bn=True, stride=1, groups=1, bias=False, act_first=False):
        super().__init__()
        conv, norm = (torch.nn.Conv2d, torch.nn.BatchNorm2d) if dims == 2 else (torch.nn.Conv1d, torch.nn.BatchNorm1d)
        self.conv = conv(8, 16, 3, stride=stride, padding=1, groups=groups, bias=bias)
        self.bn = norm(16) if bn else None
        if self.bn is not None:
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.data.uniform_(0.5, 1.5)
            self.bn.bias.data.uniform_(-0.5, 0.5)
        self.act, self.act_first = act, act_first

    def forward(self, x):
        y = self.conv(x)
        if self.act_first:  # near miss: activation before the batch norm
            return self.bn(self.act(y))
        if self.bn is not None:
            y = self.bn(y)
        return self.act(y) if self.act is not None else y


# ---- lstm_cell -----------------------------------------------------------------------------------
class HandLSTMCell(torch.nn.Module):  # the classic LSTMCell re-implementation
    def __init__(self, d=24, h=32, order="ifgo", swapped=False):
        super().__init__()
        self.x2h, self.h2h = torch.nn.Linear(d, 4 * h), torch.nn.Linear(h, 4 * h)
        self.order, self.swapped = order, swapped

    def forward(self, x, h, c):
        gates = self.x2h(x) + self.h2h(h)
        i, f, g, o = gates.chunk(4, 1)
        if self.order == "ifog":  # near miss: tanh on the last chunk is another cell
            g, o = o, g
        if self.swapped:
            c = c * torch.sigmoid(f) + torch.tanh(g) * torch.sigmoid(i)
            h = torch.tanh(c) * torch.sigmoid(o)
        else:
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class Unrolled(torch.nn.Module):  # three steps, h fed back: the fused op sits inside a chain
    def __init__(self, **kw):
        super().__init__()
        self.cell = HandLSTMCell(**kw)

    def forward(self, x, h, c):
        outs = []
        for t in range(3):
            h, c = self.cell(x[t], h, c)
            outs.append(h)
        return torch.stack(outs) + c.sum()


def lstm_inputs():
    return torch.randn(3, 2, 24), torch.randn(2, 32), torch.randn(2, 32)


class Block(torch.nn.Module):  # a norm in front of a projection and a residual
    def __init__(self, norm):
        super().__init__()
        self.norm, self.proj = norm, torch.nn.Linear(64, 64)

    def forward(self, x):
        return self.proj(self.norm(x)) + x


def x64():
    return (torch.randn(2, 7, 64),)


def rope_inputs():
    return torch.randn(1, 2, 5, 16), torch.arange(3, 8)[None]


def gptj_inputs():
    return torch.randn(1, 5, 2, 16), torch.randn(1, 5, 8), torch.randn(1, 5, 8)


# (name, model, inputs, fused op, flag, how many fused ops when on)
cases = [
    ("rms_llama", lambda: Block(LlamaRMSNorm(64)), x64, "rms_norm", "rms-norm", 1),
    ("rms_gemma", lambda: Block(GemmaRMSNorm(64)), x64, "rms_norm", "rms-norm", 1),
    ("rms_wrong_dim", lambda: Block(WrongDim(64)), x64, "rms_norm", "rms-norm", 0),
    ("ln_div", lambda: Block(HandLayerNorm(64)), x64, "layer_norm", "layer-norm", 1),
    ("ln_rsqrt", lambda: Block(HandLayerNorm(64, rsqrt=True)), x64, "layer_norm", "layer-norm", 1),
    ("ln_no_affine", lambda: Block(HandLayerNorm(64, affine=False)), x64, "layer_norm", "layer-norm", 1),
    ("ln_wrong_dim", lambda: Block(HandLayerNorm(7, dim=1)), lambda: (torch.randn(2, 7, 64),), "layer_norm", "layer-norm", 0),
    ("gelu_tanh", lambda: Act(NewGELU()), x64, "gelu", "gelu", 1),
    ("gelu_cubed", lambda: Act(CubedGELU()), x64, "gelu", "gelu", 1),
    ("gelu_erf", lambda: Act(ErfGELU()), x64, "gelu", "gelu", 1),
    ("gelu_quick", lambda: Act(QuickGELU()), x64, "gelu", "gelu", 0),
    ("gelu_wrong_coef", lambda: Act(WrongCoefGELU()), x64, "gelu", "gelu", 0),
    ("rope_llama", LlamaRope, rope_inputs, "rope", "rope", 1),
    ("rope_swapped", lambda: LlamaRope(swapped=True), rope_inputs, "rope", "rope", 1),
    ("rope_gptj", GPTJRope, gptj_inputs, "rope", "rope", 1),
    ("rope_wrong_way", WrongWayRope, rope_inputs, "rope", "rope", 0),
    ("attn_mul_mask", EagerAttention, attention_inputs, "attention", "attention", 1),
    ("attn_div_mask", lambda: EagerAttention(style="div"), attention_inputs, "attention", "attention", 1),
    ("attn_gqa", lambda: EagerAttention(n_rep=2), lambda: attention_inputs(heads=4, kv_heads=2), "attention", "attention", 1),
    ("attn_where", lambda: EagerAttention(style="where"), attention_inputs, "attention", "attention", 1),
    ("attn_wrong_dim", lambda: EagerAttention(style="wrong_dim"), attention_inputs, "attention", "attention", 0),
    ("attn_sdpa", SDPA, lambda: attention_inputs(L=5, S=7)[:3], "attention", "attention", 1),
    ("attn_sdpa_gqa", SDPAGroupedScaled, lambda: attention_inputs(heads=8, kv_heads=2, L=5, S=7)[:3], "attention", "attention", 1),
    ("mlp_silu", lambda: GatedMLP(torch.nn.SiLU()), x64, "gated_mlp", "gated-mlp", 1),
    ("mlp_gelu_tanh", lambda: GatedMLP(torch.nn.GELU(approximate="tanh"), bias=True), x64, "gated_mlp", "gated-mlp", 1),
    ("mlp_gelu_new", lambda: GatedMLP(NewGELU()), x64, "gated_mlp", "gated-mlp", 1),
    ("mlp_up_act", lambda: GatedMLP(torch.nn.SiLU(), up_act=True), x64, "gated_mlp", "gated-mlp", 0),
    ("conv_bn_relu", lambda: ConvBNAct(torch.nn.ReLU()), lambda: (torch.randn(2, 8, 9, 9),), "conv_module", "conv-module", 1),
    ("conv_bn_relu6_s2", lambda: ConvBNAct(torch.nn.ReLU6(), stride=2, bias=True), lambda: (torch.randn(1, 8, 9, 9),), "conv_module", "conv-module", 1),
    ("conv_bn_silu_g2", lambda: ConvBNAct(torch.nn.SiLU(), groups=2), lambda: (torch.randn(1, 8, 9, 9),), "conv_module", "conv-module", 1),
    ("conv1d_bn", lambda: ConvBNAct(None, dims=1), lambda: (torch.randn(1, 8, 20),), "conv_module", "conv-module", 1),
    ("conv_relu", lambda: ConvBNAct(torch.nn.ReLU(), bn=False, bias=True), lambda: (torch.randn(1, 8, 9, 9),), "conv_module", "conv-module", 1),
    ("lstm_cell", Unrolled, lstm_inputs, "lstm_cell", "lstm-cell", 3),
    ("lstm_cell_swapped", lambda: Unrolled(swapped=True), lstm_inputs, "lstm_cell", "lstm-cell", 3),
    ("lstm_cell_ifog", lambda: Unrolled(order="ifog"), lstm_inputs, "lstm_cell", "lstm-cell", 0),
    ("conv_act_first", lambda: ConvBNAct(torch.nn.Tanh(), act_first=True), lambda: (torch.randn(1, 8, 9, 9),), "conv_module", "conv-module", 0),
]


def main():
    cactus, work = sys.argv[1], sys.argv[2]
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    failures = 0
    for name, make, inputs, op, flag, expect in cases:
        if not name.startswith(only):
            continue
        torch.manual_seed(0)
        model = make().eval()
        xs = inputs()
        d = os.path.join(work, name)
        os.makedirs(d)
        torch.jit.trace(model, xs).save(f"{d}/m.ts")
        args = []
        for i, x in enumerate(xs):
            np.save(f"{d}/x{i}.npy", x.numpy())
            args += [f"{d}/x{i}.npy"]
        with torch.no_grad():
            ref = model(*xs).numpy()
        weights = []
        if len(model.state_dict()):
            torch.save(model.state_dict(), f"{d}/m.pt")
            subprocess.run([cactus, "convert", f"{d}/m.pt", f"{d}/w", "--bits", "32"], check=True, capture_output=True)
            weights = ["--weights-dir", f"{d}/w"]
        for fused in (True, False):
            out = f"{d}/bundle_{'on' if fused else 'off'}"
            flags = [] if fused else ["--no-fuse-" + flag]
            r = subprocess.run([cactus, "transpile", f"{d}/m.ts", *weights, "--artifact-dir", out, *[a for p in args for a in ("--example-input", p)],
                                "--quiet", "--skip-reference-compare", *flags], capture_output=True, text=True)
            if r.returncode:
                failures += 1
                print(f"FAIL {name:16s} transpile: {r.stderr.strip()}")
                continue
            ops = [n["op"] for n in json.load(open(f"{out}/optimized_ir.json"))["nodes"]]
            r = subprocess.run([cactus, "run", out, *[a for p in args for a in ("--input", p)], "--output-dir", f"{out}/o"], capture_output=True, text=True)
            if r.returncode:
                failures += 1
                print(f"FAIL {name:16s} run: {r.stderr.strip()}")
                continue
            got = np.load(f"{out}/o/output_0.npy")
            err = float(np.abs(got - ref).max() / np.abs(ref).max())
            count = ops.count(op)
            want = expect if fused or name.startswith("attn_sdpa") else 0  # SDPA is one aten op: nothing to unfuse
            ok = count == want and err < 2e-5
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name:16s} fusion {'on ' if fused else 'off'}: {count} {op} (want {want}), {len(ops)} ops, "
                  f"rel err vs PyTorch {err:.1e}")
    if not only:
        # --help names every fusion's flag
        r = subprocess.run([cactus, "--help"], capture_output=True, text=True)
        missing = sorted({"--no-fuse-" + c[4] for c in cases} - set(w.strip(".,()") for w in r.stdout.split()))
        failures += bool(missing)
        print(f"{'FAIL' if missing else 'ok  '} cactus --help lists every --no-fuse flag{': missing ' + ' '.join(missing) if missing else ''}")
        # cactus inspect: op counts per pass, the fusion report, and a dot file
        r = subprocess.run([cactus, "inspect", f"{work}/rms_llama/bundle_on", "--dot", f"{work}/llama.dot"], capture_output=True, text=True)
        dot = open(f"{work}/llama.dot").read() if os.path.exists(f"{work}/llama.dot") else ""
        ok = r.returncode == 0 and "rms_norm x1" in r.stdout and "fold_constants" in r.stdout and dot.startswith("digraph") and "rms_norm" in dot
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} cactus inspect: per-pass op counts, fusion report, {len(dot)} bytes of dot")
        r = subprocess.run([cactus, "inspect", f"{work}/rms_llama/bundle_on", "--no-fuse-rms-norm"], capture_output=True, text=True)
        ok = r.returncode == 0 and "rms_norm (off)" in r.stdout
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} cactus inspect --no-fuse-rms-norm")
        # a bundle transpiled with --no-fuse-rms-norm records it: `cactus lower` (from either IR)
        # and `cactus inspect` run the passes the same way and do not fuse it
        off = f"{work}/rms_llama/bundle_off"
        lowered = []
        for src in ("optimized_ir.json", "raw_ir.json"):
            dst = f"{work}/rms_llama/relowered_{src.split('_')[0]}"
            r = subprocess.run([cactus, "lower", f"{off}/{src}", "--artifact-dir", dst], capture_output=True, text=True)
            lowered.append(r.returncode == 0 and "rms_norm" not in [n["op"] for n in json.load(open(f"{dst}/optimized_ir.json"))["nodes"]])
        r = subprocess.run([cactus, "inspect", off], capture_output=True, text=True)
        ok = all(lowered) and r.returncode == 0 and "rms_norm (off)" in r.stdout and "rms_norm x" not in r.stdout
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} a bundle's --no-fuse-rms-norm holds through cactus lower (optimized / raw IR: {lowered}) and inspect")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
