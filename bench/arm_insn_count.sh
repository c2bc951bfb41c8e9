#!/usr/bin/env bash
# Instructions each Arm int8 path retires for one quantized matrix product, counted under
# qemu-user (no Arm machine here, so no times): qemu runs bench/quant_calls one instruction per
# translation block (-singlestep) and logs every block it executes (-d exec,nochain), so the log
# has one line per retired instruction. Calls are counted as (count of 3 calls - count of 1) / 2,
# which leaves out start-up, packing and printing.
#
# Paths: NEON int16 widening multiply-adds (-cpu cortex-a53: no FEAT_DotProd), NEON SDOT
# (-cpu cortex-a76), NEON SDOT + SMMLA (-cpu max,sve=off: FEAT_I8MM too), and SVE2's SDOT
# (-cpu max,sve128=on), each the path the dispatcher picks on that CPU. Batches of 16 and 64 run
# the prefill microkernel (SDOT, or SMMLA with FEAT_I8MM on NEON).
#
# usage: bench/arm_insn_count.sh [BUILD_DIR]   (an aarch64 build dir, default build-aarch64,
#        configured as tools/test.sh configures it; quant_calls is built there)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-aarch64}
[ -f "$B/CMakeCache.txt" ] || cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
  -DCACTUS_WITH_TORCH=OFF -DCACTUS_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$B" --target quant_calls >/dev/null
BIN=$B/quant_calls
export CACTUS_NUM_THREADS=1
LOG=$(mktemp -p /dev/shm insn.XXXXXX)
trap 'rm -f "$LOG"' EXIT
count() {  # CPU REPS ARGS...: instructions retired by the whole program
  local cpu=$1 reps=$2; shift 2
  qemu-aarch64 -cpu "$cpu" -singlestep -d exec,nochain -D "$LOG" "$BIN" "$@" "$reps" >/dev/null
  grep -c '^Trace' "$LOG"
}
path() { qemu-aarch64 -cpu "$1" "$BIN" "$2" 1 1 128 1 | sed 's/.*on \([A-Z0-9_]*\), int8 instructions: \([^;]*\);.*/\1: \2/'; }
printf "%-14s %-4s %-18s %-48s %14s %12s %8s\n" shape fmt "qemu -cpu" "target: int8 instructions" "instr/call" "instr/kMAC" "x int16"
for shape in "1 1024 1024" "16 256 1024" "64 256 1024"; do
  read -r M N K <<<"$shape"
  for fmt in cq4 q8; do
    base=""
    for cpu in cortex-a53 cortex-a76 max,sve=off max,sve128=on; do
      c1=$(count "$cpu" 1 "$fmt" "$M" "$N" "$K")
      c3=$(count "$cpu" 3 "$fmt" "$M" "$N" "$K")
      per=$(( (c3 - c1) / 2 ))
      [ -n "$base" ] || base=$per
      printf "%-14s %-4s %-18s %-48s %14d %12.1f %7.2fx\n" "${M}x${N}x${K}" "$fmt" "$cpu" "$(path "$cpu" "$fmt")" "$per" \
        "$(echo "$per * 1000 / ($M * $N * $K)" | bc -l)" "$(echo "$base / $per" | bc -l)"
    done
  done
done
