"""Ops of the core ATen opset for reductions, normalization, resampling and transposed
convolution, end to end against PyTorch: amin, argmin, min (all and over a dim, with indices),
mean and sum of every element, prod (all, over a dim, of ints), var and std (unbiased, biased,
a correction, over dims), isnan / isinf, elu / selu / celu, clamp with tensor bounds, pow of a
number to a tensor, div of a tensor by a number with a rounding mode; group_norm, instance_norm
and training-mode batch_norm (the batch's statistics); F.interpolate nearest, nearest-exact,
(bi/tri)linear with and without align_corners, by size and by scale, 1-3 spatial dims;
ConvTranspose1d/2d/3d with stride, padding, output_padding, dilation and groups; grid_sample
bilinear, nearest and bicubic with zeros, border and reflection padding; max_pool3d (with indices),
avg_pool3d, adaptive_avg_pool3d, max_pool2d / max_pool1d with indices, unbatched pools, cdist, pdist, F.unfold / F.fold (im2col / col2im) and
embedding_bag (sum, mean with padding_idx, max, per-sample weights). Each goes through TorchScript,
torch.export and torch.export's core ATen decomposition. Indices and booleans must match
exactly, floats to 1e-5 of the output's largest magnitude. Ops whose result shape depends on the
data (nonzero, masked_select) and .item() are refused with an error that says why.

usage: .venv/bin/python nn_ops_test.py CACTUS_BINARY WORKDIR
"""
import os
import shutil
import sys

import torch
import torch.nn.functional as F

from op_harness import check_model, check_refused, finish


class Reductions(torch.nn.Module):
    names = ["amin", "amin_keep", "argmin", "argmin_flat", "min_v", "min_i", "min_all", "max_all", "mean_all", "sum_all", "prod_all",
             "prod_dim", "prod_int", "var", "var_biased", "var_corr", "std", "std_dims", "var_all", "isnan", "isinf", "elementwise_min"]

    def forward(self, x, ints, y):  # x [3, 5, 4]; ints [3, 4] small int64; y [3, 5, 4] with nan and inf
        mv, mi = torch.min(x, dim=1)
        return (torch.amin(x, dim=(0, 2)), x.amin(dim=-1, keepdim=True), torch.argmin(x, dim=1), torch.argmin(x), mv, mi, torch.min(x),
                torch.max(x), x.mean(), x.sum(), (x * 0.1 + 1.0).prod(), torch.prod(x * 0.5 + 1.0, 1, keepdim=True), torch.prod(ints, 1),
                torch.var(x, dim=1), x.var(dim=(0, 2), unbiased=False), torch.var(x, dim=-1, correction=2, keepdim=True),
                torch.std(x, dim=0), x.std(dim=(1, 2), keepdim=True), x.var(), torch.isnan(y), torch.isinf(y), torch.min(x, x.flip(0)))


class Activations(torch.nn.Module):
    names = ["elu", "elu_alpha", "selu", "celu", "clamp_t", "clamp_lo", "pow_scalar", "div_floor", "div_trunc"]

    def forward(self, x, lo, hi):  # x [4, 6]; lo, hi [6]
        return (F.elu(x), F.elu(x, alpha=0.5), F.selu(x), F.celu(x, alpha=1.5), torch.clamp(x, lo, hi), torch.clamp(x, min=lo),
                torch.pow(2.0, x), torch.div(x, 0.7, rounding_mode="floor"), torch.div(x, -0.3, rounding_mode="trunc"))


class Norms(torch.nn.Module):
    names = ["group_norm", "group_norm_affine", "instance_norm", "instance_norm_affine", "batch_stats"]

    def __init__(self):
        super().__init__()
        self.gn = torch.nn.GroupNorm(3, 6)
        self.inorm = torch.nn.InstanceNorm2d(6, affine=True)
        with torch.no_grad():
            for p in [self.gn.weight, self.gn.bias, self.inorm.weight, self.inorm.bias]:
                p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))

    def forward(self, x):  # x [2, 6, 5, 4]
        return (F.group_norm(x, 2), self.gn(x), F.instance_norm(x), self.inorm(x), F.batch_norm(x, None, None, training=True))


class Resample(torch.nn.Module):
    names = ["nearest_x2", "nearest_size", "nearest_frac", "nearest_exact", "bilinear", "bilinear_align", "bilinear_down", "bilinear_scale",
             "nearest_1d", "linear_1d", "nearest_3d", "trilinear"]

    def forward(self, img, seq, vol):  # img [2, 3, 5, 6]; seq [2, 3, 7]; vol [1, 2, 3, 4, 5]
        return (F.interpolate(img, scale_factor=2, mode="nearest"), F.interpolate(img, size=(7, 9)), F.interpolate(img, size=(3, 4)),
                F.interpolate(img, size=(8, 11), mode="nearest-exact"), F.interpolate(img, size=(9, 10), mode="bilinear"),
                F.interpolate(img, size=(9, 10), mode="bilinear", align_corners=True), F.interpolate(img, size=(3, 4), mode="bilinear"),
                F.interpolate(img, scale_factor=1.5, mode="bilinear"), F.interpolate(seq, scale_factor=3), F.interpolate(seq, size=11, mode="linear"),
                F.interpolate(vol, scale_factor=2), F.interpolate(vol, size=(4, 6, 7), mode="trilinear"))


class TransposedConvs(torch.nn.Module):
    names = ["deconv2d", "deconv2d_strided", "deconv2d_groups", "deconv1d", "deconv3d"]

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.a = torch.nn.ConvTranspose2d(4, 3, 3)
        self.b = torch.nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1, output_padding=1, dilation=(1, 2))
        self.c = torch.nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, groups=2, bias=False)
        self.d = torch.nn.ConvTranspose1d(4, 5, 5, stride=3, padding=2, output_padding=2)

    def forward(self, img, seq, vol, w3):  # img [2, 4, 5, 6]; seq [2, 4, 7]; vol [1, 2, 3, 4, 5]; w3 [2, 3, 3, 3, 3] (an input: weights are stored with at most 4 dims)
        return self.a(img), self.b(img), self.c(img), self.d(seq), F.conv_transpose3d(vol, w3, stride=(1, 2, 2), padding=1, output_padding=(0, 1, 1))


class GridSample(torch.nn.Module):
    names = ["bilinear_zeros", "bilinear_border_align", "bilinear_reflect", "bilinear_reflect_align", "nearest_zeros", "nearest_border",
             "bicubic_zeros", "bicubic_border_align", "bicubic_reflect"]

    def forward(self, img, grid):  # img [2, 3, 5, 6]; grid [2, 4, 7, 2] in about [-1.3, 1.3]
        return (F.grid_sample(img, grid, align_corners=False), F.grid_sample(img, grid, padding_mode="border", align_corners=True),
                F.grid_sample(img, grid, padding_mode="reflection", align_corners=False),
                F.grid_sample(img, grid, padding_mode="reflection", align_corners=True),
                F.grid_sample(img, grid, mode="nearest", align_corners=False), F.grid_sample(img, grid, mode="nearest", padding_mode="border", align_corners=True),
                F.grid_sample(img, grid, mode="bicubic", align_corners=False),
                F.grid_sample(img, grid, mode="bicubic", padding_mode="border", align_corners=True),
                F.grid_sample(img, grid, mode="bicubic", padding_mode="reflection", align_corners=False))


class Blocks(torch.nn.Module):
    names = ["max_pool3d", "max_pool3d_v", "max_pool3d_i", "avg_pool3d", "avg_pool3d_nopad", "adaptive3d", "cdist", "cdist_p1", "pdist",
             "unfold", "fold", "bag_sum", "bag_mean", "bag_max", "bag_weighted", "max_pool2d_v", "max_pool2d_i", "max_pool1d_v", "max_pool1d_i",
             "unbatched_max_pool1d", "unbatched_avg_pool2d"]

    def __init__(self):
        super().__init__()
        self.table = torch.nn.Parameter(torch.randn(10, 4, generator=torch.Generator().manual_seed(7)))

    def forward(self, vol, a, b, img, ids, offs, psw):  # vol [1, 2, 5, 6, 7]; a [2, 5, 3]; b [2, 4, 3]; img [2, 3, 5, 6]; ids [9]; offs [4]
        mv, mi = F.max_pool3d(vol, 3, stride=2, padding=1, return_indices=True)
        cols = F.unfold(img, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
        return (F.max_pool3d(vol, (2, 3, 2), stride=(1, 2, 2), dilation=(2, 1, 1), ceil_mode=True), mv, mi,
                F.avg_pool3d(vol, 3, stride=2, padding=1), F.avg_pool3d(vol, (2, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), count_include_pad=False),
                F.adaptive_avg_pool3d(vol, (2, 4, 3)), torch.cdist(a, b), torch.cdist(a, b, p=1.0), F.pdist(a[0]), cols,
                F.fold(cols, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
                F.embedding_bag(ids, self.table, offs, mode="sum"), F.embedding_bag(ids, self.table, offs, mode="mean", padding_idx=3),
                F.embedding_bag(ids, self.table, offs, mode="max"), F.embedding_bag(ids, self.table, offs, mode="sum", per_sample_weights=psw),
                *F.max_pool2d(img, 3, stride=2, padding=1, dilation=1, ceil_mode=True, return_indices=True),
                *F.max_pool1d(a, 2, stride=1, dilation=2, return_indices=True), F.max_pool1d(a[0], 2), F.avg_pool2d(img[0], 2, 1, 1))


class NonZero(torch.nn.Module):
    def forward(self, x):
        return torch.nonzero(x)


class MaskedSelect(torch.nn.Module):
    def forward(self, x):
        return torch.masked_select(x, x > 0)


def main():
    cactus, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    g = torch.Generator().manual_seed(0)

    x = torch.randn(3, 5, 4, generator=g)
    y = torch.randn(3, 5, 4, generator=g)
    y[0, 1, 2], y[1, 2, 3], y[2, 0, 0], y[2, 4, 1] = float("nan"), float("inf"), -float("inf"), float("nan")
    ints = torch.randint(-3, 4, (3, 4), generator=g)
    exact = {"amin", "amin_keep", "argmin", "argmin_flat", "min_v", "min_i", "min_all", "max_all", "prod_int", "isnan", "isinf", "elementwise_min"}
    check_model(cactus, work, "reductions", Reductions().eval(), (x, ints, y), Reductions.names, exact)

    acts = (torch.randn(4, 6, generator=g) * 2, torch.randn(6, generator=g) - 1.0, torch.randn(6, generator=g) + 1.0)
    check_model(cactus, work, "activations", Activations().eval(), acts, Activations.names, {"clamp_t", "clamp_lo", "div_floor", "div_trunc"})

    check_model(cactus, work, "norms", Norms().eval(), (torch.randn(2, 6, 5, 4, generator=g) * 3 + 1,), Norms.names, set())

    rs = (torch.randn(2, 3, 5, 6, generator=g), torch.randn(2, 3, 7, generator=g), torch.randn(1, 2, 3, 4, 5, generator=g))
    nearest = {"nearest_x2", "nearest_size", "nearest_frac", "nearest_exact", "nearest_1d", "nearest_3d"}
    check_model(cactus, work, "resample", Resample().eval(), rs, Resample.names, nearest)

    tc = (torch.randn(2, 4, 5, 6, generator=g), torch.randn(2, 4, 7, generator=g), torch.randn(1, 2, 3, 4, 5, generator=g),
          torch.randn(2, 3, 3, 3, 3, generator=g))
    check_model(cactus, work, "transposed_convs", TransposedConvs().eval(), tc, TransposedConvs.names, set())

    gs = (torch.randn(2, 3, 5, 6, generator=g), (torch.rand(2, 4, 7, 2, generator=g) * 2.6 - 1.3))
    check_model(cactus, work, "grid_sample", GridSample().eval(), gs, GridSample.names, set())

    bl = (torch.randn(1, 2, 5, 6, 7, generator=g), torch.randn(2, 5, 3, generator=g), torch.randn(2, 4, 3, generator=g),
          torch.randn(2, 3, 5, 6, generator=g), torch.tensor([1, 3, 3, 7, 0, 9, 2, 3, 5]), torch.tensor([0, 2, 2, 6]), torch.rand(9, generator=g))
    check_model(cactus, work, "blocks", Blocks().eval(), bl, Blocks.names, {"max_pool3d", "max_pool3d_v", "max_pool3d_i", "unfold", "bag_max", "max_pool2d_v", "max_pool2d_i",
                                                                                   "max_pool1d_v", "max_pool1d_i"})

    for how in ("torchscript", "export"):
        check_refused(cactus, work, "nonzero", NonZero(), (torch.randn(3, 4),), how, "depends on the data")
        check_refused(cactus, work, "masked_select", MaskedSelect(), (torch.randn(3, 4),), how, "depends on the data")
    finish()


if __name__ == "__main__":
    main()
