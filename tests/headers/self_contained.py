"""Every public header compiles on its own, and twice in a row (include guards), with -Wall -Wextra
-Werror (the kernels for every Highway target through kernels/dispatch.hpp; see FEW_TARGETS).
Kernel -inl.hpp files are excluded: they are re-included per Highway target through dispatch.hpp
and are not meant to stand alone. Headers that need LibTorch are checked only when
its include flags are given.

--skip names headers left out: the CMake build skips the two umbrella headers, cactus.hpp and
transpile.hpp, which are the roots of single_include/. tools/test.sh step 2 compiles their
amalgamated text on its own with the same flags (amalgamate.py --check proves it is include/'s),
and the parts they include are each checked here; compiling them again took 80 s.

usage: python3 self_contained.py CXX INCLUDE_DIR [--skip HEADER...] [--torch FLAG...]
"""
import concurrent.futures
import os
import platform
import re
import subprocess
import sys

cxx, inc = sys.argv[1], sys.argv[2]
torch_flags = sys.argv[sys.argv.index("--torch") + 1:] if "--torch" in sys.argv else None
args = sys.argv[:sys.argv.index("--torch")] if "--torch" in sys.argv else sys.argv
skip = set(args[args.index("--skip") + 1:]) if "--skip" in args else set()
LOCAL = re.compile(r'^\s*#\s*include\s+"(cactus/[^"]+)"', re.M)


def text(rel):
    with open(os.path.join(inc, rel), encoding="utf-8") as f:
        return f.read()


def needs_torch(rel, seen=None):
    seen = set() if seen is None else seen
    if rel in seen:
        return False
    seen.add(rel)
    t = text(rel)
    return "#include <torch/" in t or any(needs_torch(d, seen) for d in LOCAL.findall(t))


headers = sorted(os.path.relpath(os.path.join(d, f), inc) for d, _, fs in os.walk(os.path.join(inc, "cactus"))
                 for f in fs if f.endswith(".hpp") and not f.endswith("-inl.hpp"))
missing = skip - set(headers)
if missing:
    sys.exit(f"--skip names headers not under {inc}: {sorted(missing)}")
headers = [h for h in headers if h not in skip]


# Highway compiles the kernels once per target in every file that includes kernels/dispatch.hpp,
# which makes 70 of these compiles slow. Whether a header includes what it uses does not depend
# on the target, so the others are checked for AVX2 (and the baseline) only; dispatch.hpp itself
# is checked for every target, so every target's kernel code still compiles without a warning.
ALL_TARGETS = "cactus/kernels/dispatch.hpp"
FEW_TARGETS = ["-DHWY_DISABLED_TARGETS=(HWY_AVX3_DL|HWY_AVX3|HWY_SSE4|HWY_SSSE3)"] if platform.machine() in ("x86_64", "AMD64") else []


def check(rel):
    flags = ["-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-I", inc, "-x", "c++", "-"]
    if rel != ALL_TARGETS:
        flags = FEW_TARGETS + flags
    if needs_torch(rel):
        if torch_flags is None:
            return rel, None, "skipped (needs LibTorch)"
        flags = torch_flags + flags
    src = f'#include "{rel}"\n#include "{rel}"\nint main() {{ return 0; }}\n'
    p = subprocess.run([cxx, *flags], input=src, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return rel, p.returncode == 0, p.stdout.strip()


with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    results = list(pool.map(check, headers))
failed = [r for r in results if r[1] is False]
for rel, ok, out in results:
    print(f"{'ok  ' if ok else 'skip' if ok is None else 'FAIL'} {rel}" + ("" if ok else f": {out.splitlines()[0] if out else ''}"))
for rel, ok, out in failed:
    print(f"\n== {rel}\n{out[:3000]}")
checked = sum(r[1] is not None for r in results)
print(f"{checked - len(failed)} of {checked} headers compile on their own" + (f"; {len(results) - checked} skipped" if checked < len(results) else "")
      + (f"; not checked here (--skip): {', '.join(sorted(skip))}" if skip else ""))
sys.exit(1 if failed else 0)
