#!/usr/bin/env bash
# The whole test suite, from a clean checkout: installs what is missing, then builds and tests
#   1. the host build (CMake): unit tests, zoo vs PyTorch, speech and language models, bad input,
#      header checks
#   2. single_include/: regenerated and diffed against the checked-in copy, then each amalgamated
#      header compiled on its own and the two examples (TextClassifier, API) built from it and run
#   3. aarch64 (cross-compiled, qemu-user): unit tests (but the target-independent pass and
#      pattern tests) on NEON, SVE-128, SVE-256 and a Cortex-A53
#      (the quantized kernels on a Cortex-A76 too), and the host's zoo bundles run there
#   4. meson: the LibTorch CLI, the tokenizer and template unit tests and a sample of the end-to-end tests
#      through meson.build
#   5. cmake --install, and an out-of-tree project using find_package(cactus)
#   6. short fuzz runs (clang libFuzzer + ASan + UBSan), 20 s for every reader, two at a time
#   7. AddressSanitizer + UndefinedBehaviorSanitizer (-O0, so the build stays short): the CLI and
#      the reader, quantizer, pass and kernel unit tests (every SIMD target the host runs,
#      SSE4 included) built with both, then those tests (two at a time), the CLI's
#      bad-input and interrupted-write tests and a quantized zoo model run under them
# Each step prints its wall time. usage: tools/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc)
T0=$(date +%s)
step() { echo; echo "=== [$(($(date +%s) - T0)) s] $*"; }
done_step() { echo "=== $1 passed ($(($(date +%s) - $2)) s)"; }

step "1/7 host build and tests"; t=$(date +%s)
# the runtime-only CLI (main.cpp without capture, minutes of compiling) is built and run by
# step 3, for aarch64; here its commands run through the LibTorch CLI. The examples are built
# and run by step 2, from the amalgamation
CACTUS_CMAKE_ARGS="-DCACTUS_RUNTIME_CLI=OFF -DCACTUS_BUILD_EXAMPLES=OFF" tools/setup.sh --test build
(cd build && ctest --output-on-failure -j"$JOBS")
done_step "host build and tests" $t

# The fuzz binary is one clang translation unit (a single-threaded compile of many minutes): it is
# built in the background from here on, on the core the next steps leave idle (single-file
# builds, test runs), and step 6 waits for it. Its log is printed there. -O0: the build is
# shorter, and 20 s per reader is a smoke run (campaigns use bench/fuzz.sh's -O1)
mkdir -p build-fuzz
FUZZ_BUILD_ONLY=1 FUZZ_OPT=-O0 bench/fuzz.sh > build-fuzz/build.log 2>&1 &
FUZZ_BUILD_PID=$!

step "2/7 single_include"; t=$(date +%s)
.venv/bin/python tools/amalgamate.py --check
cmake -S . -B build-single -G Ninja -DCMAKE_BUILD_TYPE=Release -DCACTUS_USE_SINGLE_INCLUDE=ON >/dev/null
# the amalgamation is the same code as include/ (diffed above), so this step shows it is complete:
# every amalgamated header compiles on its own, LibTorch capture included (headers_self_contained),
# and the two examples are built from it and run: the TextClassifier (the library and its
# kernels, re-included per Highway target, without LibTorch) against PyTorch, with step 1's CLI
# converting the weights, and the API example (LibTorch capture). Steps 1 and 3 build the CLIs
# and run every unit test from include/
cmake --build build-single -j"$JOBS" --target text_classifier api_example
.venv/bin/python tests/model_dsl/text_classifier_test.py build/cactus build-single/examples/text_classifier build-single/text_classifier_test
(cd build-single && ctest --output-on-failure -R '^(headers_self_contained|example_api)$')
done_step "single_include" $t

step "3/7 aarch64 under qemu"; t=$(date +%s)
cmake -S . -B build-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
      -DCACTUS_WITH_TORCH=OFF -DCACTUS_BUILD_EXAMPLES=OFF -DCACTUS_HOST_ZOO_DIR="$ROOT/build/tests/zoo" >/dev/null
cmake --build build-aarch64 -j"$JOBS"
(cd build-aarch64 && ctest --output-on-failure -j"$JOBS")
# which targets and int8 instructions each CPU gets: the report cases only (ctest above ran the
# whole tests on these CPUs, but test_kernels on the Cortex-A76, whose NEON target it ran on
# the others)
for cpu in cortex-a53 cortex-a76 max,sve=off max,sve128=on max,sve256=on; do
  echo "qemu -cpu $cpu: $(QEMU_CPU=$cpu qemu-aarch64 build-aarch64/tests/test_kernels "report the Highway targets under test" | grep 'kernel targets')"
  echo "qemu -cpu $cpu: $(QEMU_CPU=$cpu qemu-aarch64 build-aarch64/tests/test_quant_kernels "which int8*" | grep 'int8 instructions')"
done
done_step "aarch64" $t

step "4/7 meson"; t=$(date +%s)
[ -d build-meson ] || meson setup build-meson --buildtype=release >/dev/null
# everything meson.build declares but the runtime-only CLI, which is the LibTorch CLI's main.cpp
# without capture (step 3 builds and runs that combination; one more compile of it here costs minutes)
meson compile -C build-meson -j "$JOBS" cactus cactus_torchscript text_classifier test_tokenizer test_jinja test_audio
meson test -C build-meson --no-rebuild --num-processes "$JOBS" --print-errorlogs
done_step "meson" $t

step "5/7 install + find_package"; t=$(date +%s)
rm -rf build-install
cmake --install build --prefix build-install/prefix >/dev/null
cmake -S examples/find_package -B build-install/app -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$ROOT/build-install/prefix" >/dev/null
cmake --build build-install/app
Z=build/tests/zoo/text_classifier_fp32
build-install/app/run_bundle $Z/bundle $Z/in0_0.npy --expect $Z/ref0_0.npy
done_step "install + find_package" $t

step "6/7 fuzz (20 s per reader)"; t=$(date +%s)
fuzz_built=0; wait "$FUZZ_BUILD_PID" || fuzz_built=$?
cat build-fuzz/build.log
[ "$fuzz_built" = 0 ] || { echo "the fuzz binary's build failed (exit $fuzz_built)"; exit 1; }
FUZZ_JOBS=2 bench/fuzz.sh 20
done_step "fuzz" $t

step "7/7 ASan + UBSan"; t=$(date +%s)
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCACTUS_BUILD_EXAMPLES=OFF \
      "-DCMAKE_CXX_FLAGS=-O0 -g1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
      "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" >/dev/null
ASAN_UNIT="test_core test_formats test_audio test_tokenizer test_jinja test_quant test_passes test_kernels test_fused_kernels test_quant_kernels"
# shellcheck disable=SC2086
cmake --build build-asan -j"$JOBS" --target cactus-cli $ASAN_UNIT
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# the unit tests, two at a time (each is one process)
asan_unit() {
  ASAN_OPTIONS=detect_leaks=1:exitcode=99 build-asan/tests/$1 > build-asan/$1.log 2>&1 || { tail -40 build-asan/$1.log; echo "  $1 failed"; return 1; }
  echo "  $1: $(grep -E "^All tests passed|^test cases:" build-asan/$1.log | tail -1)"
}
export -f asan_unit
# shellcheck disable=SC2086
printf '%s\n' $ASAN_UNIT | xargs -P "$JOBS" -I{} bash -c 'asan_unit {}'
# LibTorch (linked for TorchScript capture) keeps allocations alive at exit: no leak check here
(cd build-asan && ASAN_OPTIONS=detect_leaks=0:exitcode=99 ctest --output-on-failure -j"$JOBS" -R '^(bad_input|interrupted_writes|zoo_gpt_q4)$')
done_step "ASan + UBSan" $t

echo; echo "all test steps passed in $(($(date +%s) - T0)) s"
