#!/usr/bin/env bash
# The README's demo: build the seed's TextClassifier and a small causal LM in PyTorch, then
# convert, transpile and run them with cactus, printing outputs next to PyTorch's.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh build
CACTUS=$PWD/build/cactus
PY=$PWD/.venv/bin/python
MODELS=$PWD/tests/zoo/models.py
W=$(mktemp -d /tmp/cactus-demo.XXXXXX)
$PY examples/demo_models.py "$W"
echo; echo "== TextClassifier (vocab 32000, embed 256, 4 classes)"
$CACTUS convert "$W/classifier.pt" "$W/classifier-cactus" --bits 32
# the seed's three steps from the Python class itself: exported with torch.export in .venv
$CACTUS transpile "$MODELS:TextClassifier" --weights-dir "$W/classifier-cactus" --example-input "$W/classifier_ids.npy" --quiet
$CACTUS run "$W/classifier-cactus" --input "$W/classifier_ids.npy" --output-dir "$W/classifier-out"
$PY examples/demo_models.py "$W" --compare classifier
echo; echo "== The same TextClassifier with CQ4 weights, as in the seed (cactus convert --bits 4)"
$CACTUS convert "$W/classifier.pt" "$W/classifier-cq4" --bits 4
$CACTUS transpile "$MODELS:TextClassifier" --weights-dir "$W/classifier-cq4" --example-input "$W/classifier_ids.npy" --quiet --skip-reference-compare
$CACTUS run "$W/classifier-cq4" --input "$W/classifier_ids.npy" --output-dir "$W/classifier-cq4-out"
$PY examples/demo_models.py "$W" --compare classifier-cq4
echo "weight files: fp32 $(cat "$W"/classifier-cactus/*.weights | wc -c) bytes, CQ4 $(cat "$W"/classifier-cq4/*.weights | wc -c) bytes"
echo; echo "== Small causal LM (GPT-style, 2 layers, vocab 512): greedy generation of 8 tokens"
$CACTUS convert "$W/lm.pt" "$W/lm-cactus" --bits 16
$CACTUS transpile "$MODELS:GPTBlock" --weights-dir "$W/lm-cactus" --example-input "$W/lm_ids.npy" --quiet
$CACTUS run "$W/lm-cactus" --input-ids "$(cat "$W/lm_ids.txt")" --max-new-tokens 8 --result-json "$W/lm-result.json"
$PY examples/demo_models.py "$W" --compare lm
