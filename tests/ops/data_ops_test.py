"""Ops of the core ATen opset that move, order or index data, end to end against PyTorch:
index_select, gather, scatter (src and value), scatter_add;
advanced indexing x[i], x[:, j], x[i, j], x[i, :, j] and index_put (x[i] = v, accumulate too; a
boolean mask, whose result shape depends on the data, is refused with an error, and so is a
TorchScript write into part of a tensor that is read afterwards, which torch.export handles); sort, argsort (and stable), topk
(largest and smallest), max over a dim with its index; cumsum and cumprod (float and int); flip, roll (over dims and
flattened), repeat; F.pad in constant (negative pads crop), reflect, replicate and circular
modes; bitwise_not of ints and bools; scatter_reduce (sum, prod, mean, amax, amin, with and
without self, of ints too), masked_scatter, diagonal (with offsets and dims) and as_strided. Index tensors are model inputs (int64), so every index is
read at run time. Each goes through TorchScript, torch.export and torch.export's core ATen
decomposition; orders, indices, integers and moved data must match exactly, float cumulative
results to 1e-5 of their largest magnitude. A bad index at run time is an error naming it.

usage: .venv/bin/python data_ops_test.py CACTUS_BINARY WORKDIR
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

from op_harness import check, check_model, check_refused, finish, run_model

APPROX = {"cumsum", "cumprod", "cumsum_dim0", "scatter_add"}


class Gathers(torch.nn.Module):
    names = ["index_select", "index_select_neg_dim", "gather", "gather_dim0", "scatter", "scatter_value", "scatter_add"]

    def forward(self, x, rows, idx, perm):  # x [4, 6]; rows [3] in [0, 4); idx [4, 3] in [0, 6); perm [4, 6] a permutation per row
        src = x * 10.0
        return (torch.index_select(x, 0, rows), x.index_select(-1, idx[0]), torch.gather(x, 1, idx), torch.gather(x, 0, idx[:2] % 4),
                torch.zeros(4, 6).scatter(1, perm, src), x.scatter(1, idx[:, :1], -1.0), torch.ones(4, 6).scatter_add(1, idx, src[:, :3]))


class Indexing(torch.nn.Module):
    names = ["x_i", "x_none_i", "x_i_j", "x_i_none_j", "x_2d", "put", "put_acc", "put_none_i"]

    def forward(self, x, i, j, v):  # x [4, 5, 6]; i [3] in [-4, 4); j [3] in [0, 5); v [3, 6]
        y = x.clone()
        y[i] = 2.0
        z = x.clone()
        z[:, j] = v.unsqueeze(0).expand(4, 3, 6) * 0.5
        return (x[i], x[:, j], x[i, j], x[i, :, j[:1]], x[torch.stack([i, i]).abs()], y, torch.index_put(x, (i.abs(),), v.unsqueeze(1), accumulate=True), z)


class WriteIntoView(torch.nn.Module):  # TorchScript records the write into a slice of z, then reads z
    def forward(self, x):
        z = x.clone()
        z[:, 1:3] = 0.0
        return z


class Mask(torch.nn.Module):
    def forward(self, x):
        return x[x > 0]


class Orders(torch.nn.Module):
    names = ["sort_v", "sort_i", "sort_desc_v", "sort_desc_i", "argsort", "argsort_stable", "topk_v", "topk_i", "topk_small_v",
             "topk_small_i", "sort_int_v", "sort_int_i", "max_dim_v", "max_dim_i", "pool"]

    def forward(self, x, ints):  # x [3, 7] distinct values; ints [3, 7] distinct per row
        s, si = torch.sort(x, dim=-1)
        sd, sdi = x.sort(dim=0, descending=True)
        tv, ti = torch.topk(x, 3, dim=1)
        tsv, tsi = x.topk(2, dim=0, largest=False)
        iv, ii = torch.sort(ints, dim=1, descending=True)
        mv, mi = torch.max(x, dim=1)
        return (s, si, sd, sdi, torch.argsort(x, dim=1), torch.argsort(x, dim=0, stable=True), tv, ti, tsv, tsi, iv, ii, mv, mi,
                F.adaptive_avg_pool2d((x * x).reshape(1, 1, 3, 7), (1, 1)))


class Moves(torch.nn.Module):
    names = ["cumsum", "cumsum_dim0", "cumsum_int", "cumprod", "flip", "flip_all", "roll", "roll_flat", "repeat", "repeat_lead",
             "pad_const", "pad_crop", "pad_reflect", "pad_replicate", "pad_circular", "not_int", "not_bool"]

    def forward(self, x, img, ints):  # x [3, 5]; img [2, 3, 4, 5]; ints [3, 5] int64
        return (torch.cumsum(x, 1), x.cumsum(0), torch.cumsum(ints, 1), torch.cumprod(x * 0.5 + 1.0, 1), torch.flip(x, [1]),
                img.flip(0, 2, 3), torch.roll(x, 2, 1), torch.roll(x, -3), x.repeat(2, 3), x.repeat(2, 1, 2),
                F.pad(img, (1, 2, 0, 1), value=0.5), F.pad(img, (-1, 1)), F.pad(img, (2, 1, 1, 2), mode="reflect"),
                F.pad(img[0], (1, 3), mode="replicate"), F.pad(img, (2, 1, 1, 0), mode="circular"), torch.bitwise_not(ints), ~(x > 0))


class Reduces(torch.nn.Module):
    names = ["scatter_sum", "scatter_prod", "scatter_mean", "scatter_amax", "scatter_amin_noself", "scatter_mean_int", "masked_scatter",
             "diagonal", "diagonal_off", "diagonal_neg", "as_strided"]

    def forward(self, x, idx, src, ints, mask):  # x [4, 6]; idx [4, 3] in [0, 6); src [4, 3]; ints [4, 6]; mask [4, 6] bool
        return (x.scatter_reduce(1, idx, src, "sum"), x.scatter_reduce(1, idx, src, "prod"), x.scatter_reduce(1, idx, src, "mean"),
                x.scatter_reduce(1, idx, src, "amax"), x.scatter_reduce(1, idx, src, "amin", include_self=False),
                ints.scatter_reduce(1, idx, ints[:, :3], "mean"), x.masked_scatter(mask, src * 10.0 + 100.0), torch.diagonal(x),
                x.diagonal(offset=2), torch.diagonal(x.reshape(2, 2, 6), offset=-1, dim1=2, dim2=0), torch.as_strided(x, (3, 4), (5, 1), 2))


def main():
    cactus, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 6, generator=g)
    rows = torch.tensor([3, 0, 2])
    idx = torch.randint(0, 6, (4, 3), generator=g)
    perm = torch.stack([torch.randperm(6, generator=g) for _ in range(4)])
    gathers = (x, rows, idx, perm)
    check_model(cactus, work, "gathers", Gathers().eval(), gathers, Gathers.names, set(Gathers.names) - APPROX)

    idx4 = torch.tensor([-1, 2, 0])
    ind = (torch.randn(4, 5, 6, generator=g), idx4, torch.tensor([4, 0, 2]), torch.randn(3, 6, generator=g))
    check_model(cactus, work, "indexing", Indexing().eval(), ind, Indexing.names, set(Indexing.names) - {"put_acc"})
    check_refused(cactus, work, "write_into_view", WriteIntoView(), (torch.randn(3, 4),), "torchscript", "writes into a view")
    check_refused(cactus, work, "write_into_view", WriteIntoView(), (torch.randn(3, 4),), "export", "writes into a view")
    check_model(cactus, work, "write_into_view", WriteIntoView(), (torch.randn(3, 4),), ["z"], {"z"}, hows=("export-core",))
    check_refused(cactus, work, "mask", Mask(), (torch.randn(3, 4),), "torchscript", "boolean mask")

    xo = (torch.randperm(21, generator=g).float() - 10.0).reshape(3, 7) * 0.37
    ints = torch.stack([torch.randperm(7, generator=g) * 3 - 9 for _ in range(3)])
    check_model(cactus, work, "orders", Orders().eval(), (xo, ints), Orders.names, set(Orders.names) - {"pool"})

    moves = (torch.randn(3, 5, generator=g), torch.randn(2, 3, 4, 5, generator=g), torch.randint(-50, 50, (3, 5), generator=g))
    check_model(cactus, work, "moves", Moves().eval(), moves, Moves.names, set(Moves.names) - APPROX)

    red = (torch.randn(4, 6, generator=g), idx, torch.randn(4, 3, generator=g), torch.randint(-20, 20, (4, 6), generator=g),
           torch.rand(4, 6, generator=g) > 0.5)
    check_model(cactus, work, "reduces", Reduces().eval(), red, Reduces.names, set(Reduces.names) - {"scatter_sum", "scatter_prod", "scatter_mean"})

    # an index out of range at run time: an error naming it, not a read out of bounds
    outs = run_model(cactus, work, "bad_index", Gathers().eval(), gathers, "export")
    if outs is not None:
        d = os.path.join(work, "bad_index-export")
        np.save(f"{d}/bad.npy", np.array([3, 9, 1], dtype=np.int64))
        ins = ["--input", f"{d}/x0.npy", "--input", f"{d}/bad.npy", "--input", f"{d}/x2.npy", "--input", f"{d}/x3.npy"]
        r = subprocess.run([cactus, "run", f"{d}/b", *ins, "--output-dir", f"{d}/o2"], capture_output=True, text=True)
        msg = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        check("index 9 of a dim of size 4 refused at run time", r.returncode != 0 and "index 9" in msg and msg.startswith("cactus: error:"), msg)
    finish()


if __name__ == "__main__":
    main()
