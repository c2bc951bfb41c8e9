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
