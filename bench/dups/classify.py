#!/usr/bin/env python3
"""Classify the rows of `duplicates --most 200 --seconds 120` (issue 14's repeated-code count).

Run from the repository root:

    python3 bench/dups/classify.py            # runs duplicates itself
    python3 bench/dups/classify.py -v         # also lists the rows of each class
    python3 bench/dups/classify.py --from F   # reads a saved duplicates output instead

Each row (the longest run the pair shares) falls in one class:

  import   every line of both sides lies inside a Go `import ( ... )` block (or is blank)
  test     both sides are in _test.go files
  mixed    one side is in a _test.go file, the other is not
  nontest  neither side is in a _test.go file
"""
import argparse
import re
import subprocess
import sys

ROW = re.compile(r"^D(\d+) (\S+):(\d+)-(\d+) ~ (\S+):(\d+)-(\d+)(.*)$")
CLASSES = ("import", "test", "mixed", "nontest")

_blocks = {}


def import_lines(path):
    """Returns the set of 1-based line numbers inside path's import blocks (both ends included)."""
    if path in _blocks:
        return _blocks[path]
    lines = set()
    if path.endswith(".go"):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                inside = False
                for n, line in enumerate(f, 1):
                    s = line.strip()
                    if not inside and re.match(r"^import\s*\($", s):
                        inside = True
                    if inside:
                        lines.add(n)
                        if s == ")":
                            inside = False
                    elif s.startswith("import "):
                        lines.add(n)
        except OSError:
            pass
    _blocks[path] = lines
    return lines


def side_is_import(path, lo, hi):
    inside = import_lines(path)
    if not inside:
        return False
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read().splitlines()
    except OSError:
        return False
    for n in range(lo, hi + 1):
        s = text[n - 1].strip() if n - 1 < len(text) else ""
        if s == "" or s.startswith("//"):
            continue
        if n not in inside:
            return False
    return True


def classify(a, alo, ahi, b, blo, bhi):
    if side_is_import(a, alo, ahi) and side_is_import(b, blo, bhi):
        return "import"
    ta, tb = a.endswith("_test.go"), b.endswith("_test.go")
    if ta and tb:
        return "test"
    if ta or tb:
        return "mixed"
    return "nontest"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", help="a saved duplicates output to read instead of running it")
    ap.add_argument("--seconds", default="120", help="duplicates --seconds (default 120)")
    ap.add_argument("-v", action="store_true", help="list the rows of each class")
    args = ap.parse_args()
    if args.src:
        with open(args.src, encoding="utf-8") as f:
            out = f.read()
    else:
        out = subprocess.run(["duplicates", "--most", "200", "--seconds", args.seconds],
                             capture_output=True, text=True, check=False).stdout
    lines = out.splitlines()
    head = lines[0] if lines else "(no output)"
    rows = {c: [] for c in CLASSES}
    for line in lines:
        m = ROW.match(line)
        if not m:
            continue
        a, alo, ahi, b, blo, bhi = m.group(2), int(m.group(3)), int(m.group(4)), m.group(5), int(m.group(6)), int(m.group(7))
        rows[classify(a, alo, ahi, b, blo, bhi)].append(line)
    listed = sum(len(r) for r in rows.values())
    print(head)
    print(f"rows listed: {listed}")
    for c in CLASSES:
        print(f"{c:8} {len(rows[c])}")
    for line in lines[1:]:
        if not ROW.match(line):
            print(line)
    if args.v:
        for c in CLASSES:
            print(f"\n## {c}")
            for line in rows[c]:
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
