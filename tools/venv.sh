#!/usr/bin/env bash
# Makes or refreshes the project's Python environment, .venv/, from the first python3 on PATH
# and the pinned tools/requirements.txt. A stamp (the requirements file's hash) lets a matching
# environment be reused without asking pip anything.
# usage: tools/venv.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REQ=tools/requirements.txt
STAMP=.venv/.cactus-requirements
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
PY=$(command -v python3) || { echo "tools/venv.sh: no python3 on PATH" >&2; exit 1; }
echo "making .venv from $PY ($("$PY" --version 2>&1)) with $REQ"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQ"
.venv/bin/python -c "import torch, numpy, safetensors, transformers; assert torch.__version__.startswith('2.13.0'), torch.__version__"
echo "$want" > "$STAMP"
