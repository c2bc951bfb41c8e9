"""Output cosine similarity vs PyTorch fp32 of every zoo model at every quantized bit width
(weights converted by `cactus convert --bits N`, run by cactus; all input sets concatenated).
Runs tests/zoo/run_zoo.py for each pair, so the numbers are the ones the zoo tests assert on.

usage: .venv/bin/python bench/zoo_quant_cosine.py build/cactus [WORKDIR]
"""
import os
import re
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
run_zoo = os.path.join(here, "..", "tests", "zoo", "run_zoo.py")
models = ["text_classifier", "mlp", "cnn", "resnet", "mobilenet", "conv_pools", "lstm", "transformer_encoder", "gpt"]
bits = ["8", "4", "3", "2", "1"]
cactus = sys.argv[1]
work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="cactus-quant-cosine-")
print(f"{'model':<22}" + "".join(f"{'q' + b if b == '8' else 'cq' + b:>10}" for b in bits))
for m in models:
    row = []
    for b in bits:
        p = subprocess.run([sys.executable, run_zoo, cactus, m, os.path.join(work, f"{m}_q{b}"), "--bits", b],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        hit = re.search(r"over all outputs ([0-9.]+)", p.stdout)
        row.append(hit.group(1) if hit else "error")
    print(f"{m:<22}" + "".join(f"{c:>10}" for c in row), flush=True)
