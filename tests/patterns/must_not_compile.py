"""Compiles each case and requires failure with the readable static_assert message.

usage: must_not_compile.py CXX INCLUDE_DIR SOURCE_DIR
"""
import os
import platform
import subprocess
import sys

cxx, include, src = sys.argv[1], sys.argv[2], sys.argv[3]
cases = [("malformed_rule.cpp", "the replacement uses a var the pattern does not bind"),
         ("misspelt_op.cpp", "no op of this name in the op registry"),
         ("misspelt_rule_op.cpp", "names an op the op registry does not have")]
# the static_asserts do not depend on the SIMD target: the kernels are parsed for AVX2 (and the
# baseline) only, which makes each compile a third as long (headers/self_contained.py does the same)
few_targets = ["-DHWY_DISABLED_TARGETS=(HWY_AVX3_DL|HWY_AVX3|HWY_SSE4|HWY_SSSE3)"] if platform.machine() in ("x86_64", "AMD64") else []
failures = 0
for f, message in cases:
    p = subprocess.run([cxx, "-std=c++20", "-fsyntax-only", *few_targets, "-I", include, os.path.join(src, f)], capture_output=True, text=True)
    ok = p.returncode != 0 and message in p.stderr
    print(f"{'ok  ' if ok else 'FAIL'} {f}: {'rejected with' if p.returncode else 'COMPILED, expected'} \"{message}\"")
    failures += not ok
sys.exit(1 if failures else 0)
