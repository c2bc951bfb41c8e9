"""The core ATen opset of the installed torch (every operator overload tagged torch.Tag.core, the
set torch.export's run_decompositions() leaves), and which of them cactus's torch.export
importer reads: an overload counts as covered when its schema is in
include/cactus/frontends/torch_export/schema.hpp (the importer refuses any other), refused when
it is read only to be refused with a reason, left out when the README says why not. Prints one
line per core overload (covered or missing) and the totals.

usage: .venv/bin/python tests/ops/core_aten_ops.py [--missing]
"""
import os
import re
import sys

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def core_overloads():
    # every aten operator the dispatcher knows (dir(torch.ops.aten) lists only those loaded so far)
    names = sorted({n.split("::", 1)[1].split(".")[0] for n in torch._C._dispatch_get_all_op_names() if n.startswith("aten::")})
    out = []
    for name in names:
        packet = getattr(torch.ops.aten, name, None)
        if not isinstance(packet, torch._ops.OpOverloadPacket):
            continue
        for o in packet.overloads():
            op = getattr(packet, o)
            if torch.Tag.core in op.tags:
                out.append(f"{name}.{o}")
    return sorted(out)


def importer_schemas():
    with open(os.path.join(ROOT, "include/cactus/frontends/torch_export/schema.hpp"), encoding="utf-8") as f:
        text = f.read()
    names = set()
    for decl in re.findall(r'^\s*"([A-Za-z_0-9.]+)\(', text, re.M):
        names.add(decl if "." in decl else decl + ".default")
    return names


# core overloads left out on purpose (README, "What is supported"), with the reason
LEFT_OUT = {
    **{op: "backward op: an inference graph never holds it" for op in (
        "_adaptive_avg_pool2d_backward.default", "avg_pool2d_backward.default", "convolution_backward.default",
        "embedding_dense_backward.default", "max_pool2d_with_indices_backward.default", "native_group_norm_backward.default",
        "native_layer_norm_backward.default")},
    **{op: "random" for op in ("rand.default", "randn.default", "randperm.default")},
    **{op: "complex tensors (no cactus dtype)" for op in ("_fft_c2r.default", "_fft_r2c.default")},
    "atan2.out": "an out= variant (graphs use atan2)",
    "sym_stride.int": "memory layout query (cactus tensors are contiguous)",
    "sym_storage_offset.default": "memory layout query (cactus tensors are contiguous)",
    "sym_is_contiguous.default": "memory layout query (cactus tensors are contiguous)",
    "resize_.default": "resizes a tensor's storage in place (training and out= code; graphs allocate their results)",
}
# core overloads the importer reads only to refuse them with a reason
REFUSED = {"_local_scalar_dense.default": ".item(): a data-dependent number", "nonzero.default": "its shape depends on the data"}


def main():
    core, have = core_overloads(), importer_schemas()
    missing = [op for op in core if op not in have]
    if "--missing" not in sys.argv:
        for op in core:
            what = "refused" if op in REFUSED else "covered" if op in have else "left out" if op in LEFT_OUT else "MISSING"
            why = REFUSED.get(op) or (LEFT_OUT.get(op) if op not in have else None)
            print(f"{what} {op}" + (f"  ({why})" if why else ""))
    else:
        for op in missing:
            print(op)
    refused = [op for op in core if op in REFUSED]
    left = [op for op in missing if op in LEFT_OUT]
    print(f"torch {torch.__version__}: {len(core)} core ATen overloads, {len(core) - len(missing) - len(refused)} run by cactus, "
          f"{len(refused)} refused with a reason, {len(left)} left out on purpose, {len(missing) - len(left)} missing")


if __name__ == "__main__":
    main()
