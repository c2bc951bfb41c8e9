#!/usr/bin/env bash
# Fuzzes every reader cactus has for files others write: tokenizer.json, chat templates,
# safetensors, torch.save checkpoints, torch.export archives, graph.cactus, IR JSON (read, and
# lowered as `cactus lower` does), .npy, WAV audio,
# weight files, and a bundle's weights_manifest.json and graph_bindings.json.
# One binary (bench/fuzz/fuzz_all.cpp, clang's libFuzzer with AddressSanitizer, LeakSanitizer
# and UndefinedBehaviorSanitizer) holds every target; CACTUS_FUZZ_TARGET picks one. Each runs
# from seeds (bench/fuzz/make_seeds.py) for SECONDS, or for FUZZ_RUNS inputs with a fixed seed
# (the deterministic short run CI does). A crash, a sanitizer report, a leak, a timeout or an
# exception other than cactus::error fails the run and leaves the input and the log in
# build-fuzz/findings/<target>/. The corpus grows across runs in build-fuzz/corpus/.
#
# usage: bench/fuzz.sh [SECONDS per target, default 1800] [target ...]
#   FUZZ_JOBS=2 bench/fuzz.sh 20           the short run of tools/test.sh: 20 s per target, two
#                                          targets at a time
#   FUZZ_RUNS=5000 bench/fuzz.sh           5000 inputs per target from a fixed seed (reproducible)
#   bench/fuzz.sh 1800 fuzz_chat_template  30 minutes of wall time on one target
#   FUZZ_OPT=-O0 bench/fuzz.sh 20          the binary at -O0 (default -O1): a shorter build, fewer
#                                          inputs per second (the test suite's short run)
#   FUZZ_BUILD_ONLY=1 bench/fuzz.sh        makes the seeds and builds the binary, runs nothing
#                                          (tools/test.sh builds it in the background of its
#                                          other steps, then runs the short fuzz step on it)
#   FUZZ_CPU=1 nice -n 19 bench/fuzz.sh 1800   30 CPU-minutes per target (the fuzzer's own user +
#                                          system time, read from /proc), so a niced campaign
#                                          can share the machine and still count honestly
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-1800}
shift || true
ALL="fuzz_tokenizer_json fuzz_chat_template fuzz_safetensors fuzz_torch_checkpoint fuzz_pt2 fuzz_graph_file fuzz_ir_json fuzz_lower_ir fuzz_npy fuzz_weight_file fuzz_bundle_json fuzz_wav"
TARGETS=${*:-$ALL}
CXX=${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++ || true)}
[ -n "$CXX" ] || { echo "fuzz.sh: clang++ is missing (tools/setup.sh --test installs clang-14 and libclang-rt-14-dev)"; exit 2; }
OUT=build-fuzz
mkdir -p "$OUT/corpus" "$OUT/findings"
if [ ! -f "$OUT/seeds/.done" ] || [ bench/fuzz/make_seeds.py -nt "$OUT/seeds/.done" ]; then
  rm -rf "$OUT/seeds"
  .venv/bin/python bench/fuzz/make_seeds.py "$OUT/seeds" build
  touch "$OUT/seeds/.done"
fi
BIN=$OUT/fuzz_all
if [ ! -x "$BIN" ] || [ -n "$(find include bench/fuzz -newer "$BIN" \( -name '*.hpp' -o -name '*.cpp' \) | head -1)" ]; then
  echo "== build $BIN"
  t=$(date +%s)
  # the readers are what is fuzzed: Highway's kernels are compiled for the x86 baseline targets
  # only (SSSE3 and the static one), not for AVX2 and AVX-512 too, which keeps this one-file
  # build short; -g1 (line tables, enough for the sanitizers' stack traces, as the sanitizer step
  # of tools/test.sh uses) rather than full debug info
  "$CXX" -std=c++20 "${FUZZ_OPT:--O1}" -g1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
    "-DHWY_DISABLED_TARGETS=(HWY_AVX3_DL|HWY_AVX3|HWY_AVX2|HWY_SSE4)" \
    -Iinclude -Ibench/fuzz bench/fuzz/fuzz_all.cpp -o "$BIN" -lhwy -lpcre2-8 -lutf8proc -lsamplerate
  echo "   built in $(($(date +%s) - t)) s"
fi
[ -n "${FUZZ_BUILD_ONLY:-}" ] && exit 0
if [ -n "${FUZZ_RUNS:-}" ]; then LIMIT="-runs=$FUZZ_RUNS -seed=1"
elif [ -n "${FUZZ_CPU:-}" ]; then LIMIT=""
else LIMIT="-max_total_time=$SECONDS_PER"; fi
TIMEOUT=10; [ -n "${FUZZ_CPU:-}" ] && TIMEOUT=120
TICK=$(getconf CLK_TCK)
# cpu_seconds PID: the user + system time of PID so far
cpu_seconds() { awk -v t="$TICK" '{ sub(/.*\) /, ""); print int(($12 + $13) / t) }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# run_fuzzer ARGS...: with FUZZ_CPU, interrupts the fuzzer (SIGINT: libFuzzer prints its final
# stats and exits with 72, which counts as success here) once it has used SECONDS_PER CPU-seconds
run_fuzzer() {
  if [ -z "${FUZZ_CPU:-}" ]; then "$@"; return; fi
  "$@" &
  local pid=$! used=0
  while kill -0 "$pid" 2>/dev/null; do
    used=$(cpu_seconds "$pid")
    if [ "$used" -ge "$SECONDS_PER" ]; then kill -INT "$pid"; break; fi
    sleep 5
  done
  local rc=0
  wait "$pid" || rc=$?
  echo "cpu_seconds: $used" >&2
  if [ "$rc" = 72 ] && [ "$used" -ge "$SECONDS_PER" ]; then rc=0; fi
  return $rc
}
# fuzz_one TARGET: one target's run; prints one line, returns non-zero on a finding
fuzz_one() {
  local t=$1
  mkdir -p "$OUT/corpus/$t" "$OUT/findings/$t"
  cp -n "$OUT/seeds/$t/"* "$OUT/corpus/$t/" 2>/dev/null || true
  log=$OUT/findings/$t/log.txt
  start=$(date +%s)
  # shellcheck disable=SC2086
  # libFuzzer's -timeout is wall time: a niced campaign on a busy machine gets a longer one
  if CACTUS_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
     run_fuzzer "$BIN" "$OUT/corpus/$t" $LIMIT -timeout=$TIMEOUT -rss_limit_mb=3072 -max_len=262144 \
     -artifact_prefix="$OUT/findings/$t/" -print_final_stats=1 > "$log" 2>&1; then
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    cpu=$(grep -E '^cpu_seconds' "$log" | awk '{print $2}' || true)
    echo "== $t: $runs inputs in $(($(date +%s) - start)) s${cpu:+ ($cpu CPU-s, $((runs / (cpu > 0 ? cpu : 1))) exec/CPU-s)}, corpus $(ls "$OUT/corpus/$t" | wc -l) files, no findings"
  else
    echo "== $t: FINDING (input and log in $OUT/findings/$t/):"
    grep -E 'ERROR|SUMMARY|runtime error|terminate|what\(\)' "$log" | head -8 | sed 's/^/     /'
    return 1
  fi
}
# FUZZ_JOBS targets at a time (each fuzzer is one process: two jobs use both cores of a small
# machine); the next target starts as soon as any running one ends
status=0
running=0
for t in $TARGETS; do
  if [ "$running" -ge "${FUZZ_JOBS:-1}" ]; then wait -n || status=1; running=$((running - 1)); fi
  fuzz_one "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do wait -n || status=1; running=$((running - 1)); done
exit $status
