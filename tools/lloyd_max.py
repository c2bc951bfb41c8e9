#!/usr/bin/env python3
"""Derives the CQ codebooks in include/cactus/quant/codebook.hpp.

A unit vector's coordinate in R^d (after the random rotation) has density ~ (1 - x^2)^((d-3)/2).
Lloyd-Max iteration on a fine grid gives the MSE-optimal 2^bits levels; they are stored as odd
int8 values (scaled so the largest level is 127) times one step. Odd, so that (level + 127) / 2
is an integer in [0, 127]: x86 kernels multiply that unsigned 7-bit value with int8 activations
(pmaddubsw) without saturating. Prints levels, step and the relative MSE
of a group (distortion x d) for the float and for the int8 levels. Needs numpy only.
"""
import numpy as np

D = 128
x = np.linspace(-1, 1, 400001)[1:-1]
logf = (D - 3) / 2 * np.log1p(-x * x)
f = np.exp(logf - logf.max())
f /= f.sum()
for bits in (1, 2, 3, 4):
    levels = 2 ** bits
    c = np.linspace(-2, 2, levels) / np.sqrt(D)
    for _ in range(2000):
        idx = np.searchsorted((c[1:] + c[:-1]) / 2, x)
        c = np.bincount(idx, weights=f * x, minlength=levels) / np.bincount(idx, weights=f, minlength=levels)
    mse = (f * (x - c[np.searchsorted((c[1:] + c[:-1]) / 2, x)]) ** 2).sum() * D
    step = np.abs(c).max() / 127
    q = (2 * np.round((c / step - 1) / 2) + 1) * step  # nearest odd integer
    mse8 = (f * (x - q[np.searchsorted((q[1:] + q[:-1]) / 2, x)]) ** 2).sum() * D
    print(f"{bits} bits: levels {list(np.round(q / step).astype(int))} step {step!r} mse {mse:.5f} (int8 levels {mse8:.5f})")
