"""Elementwise ops of the core ATen opset, end to end against PyTorch. Unary: rounding (floor,
ceil, round, trunc, sign), hard activations (hardswish, hardsigmoid, in place too), logs and
exponentials (expm1, log1p, log2, log10) and trigonometry (tan, asin, acos, atan, sinh, cosh,
asinh, acosh, atanh). Binary: fmod and remainder (float and int, tensor and scalar), atan2,
bitwise and / or / xor (int and bool, also as & | ^), logical_xor. One module computes all of
them from inputs in each one's domain, and goes through every capture path: TorchScript,
torch.export, and torch.export after run_decompositions() (the core ATen opset). Each output
must match PyTorch's dtype, shape and values (f32: relative error < 1e-5 of the output's largest
magnitude; rounding, sign, integer and bool results exactly).
round(x, decimals=...) has no kernel and is refused with an error that names it.

usage: .venv/bin/python elementwise_ops_test.py CACTUS_BINARY WORKDIR
"""
import os
import shutil
import sys

import torch
import torch.nn.functional as F

from op_harness import check_model, check_refused, finish

EXACT = {"floor", "ceil", "round", "trunc", "sign", "sign_int", "floor_int", "fmod_int", "remainder_int", "remainder_int_scalar", "and_int",
         "or_int", "xor_int", "and_bool", "or_bool", "xor_bool", "logical_xor"}


class Unary(torch.nn.Module):
    names = ["floor", "ceil", "round", "trunc", "sign", "hardswish", "hardsigmoid", "hardswish_", "expm1", "log1p", "log2", "log10",
             "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "sign_int", "floor_int",
             "fmod", "fmod_scalar", "remainder", "remainder_scalar", "fmod_int", "remainder_int", "remainder_int_scalar", "atan2",
             "and_int", "or_int", "xor_int", "and_bool", "or_bool", "xor_bool", "logical_xor"]

    def forward(self, x, unit, pos, ints):  # x any real, unit in (-1, 1), pos in (0, 5), ints int64
        nonzero = torch.where(ints == 0, torch.ones_like(ints), ints)
        a, b = x > 0, unit > 0
        h = x * 1.0
        F.hardswish(h, inplace=True)
        return (torch.floor(x), torch.ceil(x), torch.round(x), torch.trunc(x), torch.sign(x), F.hardswish(x), F.hardsigmoid(x), h,
                torch.expm1(x * 0.5), torch.log1p(pos - 0.9), torch.log2(pos), torch.log10(pos), torch.tan(unit * 1.4), torch.asin(unit),
                torch.acos(unit), torch.atan(x), torch.sinh(x * 0.5), torch.cosh(x * 0.5), torch.asinh(x), torch.acosh(pos + 1.0),
                torch.atanh(unit), torch.sign(ints), torch.floor(ints),
                torch.fmod(x, pos), torch.fmod(x, -1.5), torch.remainder(x, pos), torch.remainder(x, -1.5), torch.fmod(ints, 3),
                torch.remainder(ints, nonzero), torch.remainder(ints, -4), torch.atan2(x, unit),
                torch.bitwise_and(ints, nonzero), ints | nonzero, torch.bitwise_xor(ints, 6), a & b, torch.bitwise_or(a, b), a ^ b,
                torch.logical_xor(x > 0, unit))


class RoundDecimals(torch.nn.Module):
    def forward(self, x):
        return torch.round(x, decimals=2)


def inputs(seed, n):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, n, generator=g) * 4
    x[0, :4] = torch.tensor([0.5, 1.5, -2.5, -3.0])  # halves round to even; hardswish's knee
    unit = torch.rand(3, n, generator=g) * 1.98 - 0.99
    pos = torch.rand(3, n, generator=g) * 5 + 0.01
    ints = torch.randint(-5, 6, (3, n), generator=g)
    return (x, unit, pos, ints)


def main():
    cactus, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    check_model(cactus, work, "elementwise", Unary().eval(), inputs(0, 37), Unary.names, EXACT)
    # round with decimals has no kernel: refused, naming the op
    check_refused(cactus, work, "round_decimals", RoundDecimals(), (torch.randn(2, 5),), "export", "round")
    finish()


if __name__ == "__main__":
    main()
