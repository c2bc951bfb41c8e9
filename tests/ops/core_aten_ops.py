"""The core ATen opset of the installed torch (every operator overload tagged torch.Tag.core, the
set torch.export's run_decompositions() leaves), and which of them cactus's torch.export
importer reads: an overload counts as covered when its schema is in
include/cactus/frontends/torch_export/schema.hpp (the importer refuses any other). Prints one
line per core overload (covered or missing) and the totals.

usage: .venv/bin/python tests/ops/core_aten_ops.py [--missing]
"""
import os
import re
import sys

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def core_overloads():
    out = []
    for name in dir(torch.ops.aten):
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


def main():
    core, have = core_overloads(), importer_schemas()
    missing = [op for op in core if op not in have]
    if "--missing" not in sys.argv:
        for op in core:
            print(f"{'covered' if op in have else 'MISSING'} {op}")
    else:
        for op in missing:
            print(op)
    print(f"torch {torch.__version__}: {len(core)} core ATen overloads, {len(core) - len(missing)} covered by cactus's importer, "
          f"{len(missing)} missing")


if __name__ == "__main__":
    main()
