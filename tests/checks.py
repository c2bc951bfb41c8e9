"""The end-to-end tests' tally: check(label, ok, detail) prints one line per check, and
finish() prints 'N passed, M failed' (the closing line CI reads) and exits non-zero on a failure."""
import sys

_checks, _failures = [], []


def check(label, ok, detail=""):
    _checks.append(label)
    print(f"{'ok  ' if ok else 'FAIL'} {label} {detail}")
    if not ok:
        _failures.append(label)


def finish():
    print(f"{len(_checks) - len(_failures)} passed, {len(_failures)} failed")
    sys.exit(1 if _failures else 0)


def cli_runner(cactus):
    """run(*args, expect_ok=True) -> (returncode, stdout, stderr) of the cactus CLI; with
    expect_ok, a failure raises with the end of its stderr."""
    import subprocess

    def run(*args, expect_ok=True):
        p = subprocess.run([cactus, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        if expect_ok and p.returncode != 0:
            raise RuntimeError(f"cactus {' '.join(args)} failed ({p.returncode}): {err.strip()[-2000:]}")
        return p.returncode, out, err
    return run
