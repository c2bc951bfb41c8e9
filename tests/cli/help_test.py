"""The CLI's help and its parser come from one table (tools/cactus/options.hpp): every option a
command's --help lists is one its parser takes, an option it does not list is refused by name,
and the README's CLI reference is what `cactus --help` prints.

usage: .venv/bin/python help_test.py CACTUS_BINARY README
"""
import re
import subprocess
import sys

cactus, readme = sys.argv[1], sys.argv[2]
failures = 0


def check(label, ok, detail=""):
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {label}" + (f": {detail}" if detail and not ok else ""))
    failures += not ok


def run(*args):
    return subprocess.run([cactus, *args], capture_output=True, text=True, timeout=60)


top = run("--help")
check("cactus --help exits 0", top.returncode == 0, top.stderr)
commands = re.findall(r"^  cactus ([a-z]+) ", top.stdout, re.M)
check("cactus --help lists the commands", {"convert", "transpile", "lower", "inspect", "run", "tokenize"} <= set(commands), str(commands))

for cmd in commands:
    h = run(cmd, "--help")
    check(f"cactus {cmd} --help exits 0", h.returncode == 0, h.stderr)
    check(f"cactus {cmd} --help is its part of cactus --help", h.stdout in top.stdout)
    # an option line: the name, its value's placeholder, then two spaces before its help (or the
    # help on the next line); description lines that start with an option name read on with one
    options = re.findall(r"^      (--[a-z0-9-]+)( \S+)?(?= {2,}|\n)", h.stdout, re.M)
    check(f"cactus {cmd} --help lists options", len(options) > 0)
    # positional placeholders: enough of them that the parser reaches the options
    synopsis = h.stdout.splitlines()[0].split()
    positional = []
    for w in synopsis[2:]:
        if w.startswith("[") or w.startswith("--"):
            break
        positional.append(w)
    for name, value in options:
        args = [cmd, *["/nonexistent/cactus-help-test"] * len(positional), name]
        if value:
            args.append("1")
        r = run(*args)
        check(f"cactus {cmd} takes {name}", "unknown option" not in r.stderr, r.stderr.strip())
    r = run(cmd, *["/nonexistent/cactus-help-test"] * len(positional), "--no-such-option")
    check(f"cactus {cmd} refuses an option it does not list", r.returncode == 1 and "unknown option --no-such-option" in r.stderr, r.stderr.strip())

# the README's reference block is the help text itself
text = open(readme, encoding="utf-8").read()
m = re.search(r"## CLI reference \(`cactus --help`\)\n\n```\n(.*?)```\n", text, re.S)
check("README has a CLI reference block", m is not None)
if m:
    check("README's CLI reference is `cactus --help` (regenerate it from the binary)", m.group(1) == top.stdout,
          "first difference at line " + str(next((i + 1 for i, (a, b) in enumerate(zip(m.group(1).splitlines(), top.stdout.splitlines())) if a != b),
                                                 min(len(m.group(1).splitlines()), len(top.stdout.splitlines())) + 1)))
sys.exit(1 if failures else 0)
