#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two `make bench` results files (bench/results/*.md).

  scripts/bench-compare.py [--limit PCT] FIRST.md SECOND.md

For every mode in both files: BPF ns per workload event (median of the
statistics windows), the same at the run's speed (x yardstick times the
run's yardstick: the results' column, or made from the header's yardstick
and calibration lines in files that predate it) and x yardstick, first ->
second and the change in %, and the kept ratio of each.  A line is marked '>' when a figure moved by more than
--limit percent (default 10, issue 14's agreement).  The last line says how
many modes agreed on each figure.  Exit status: 0, or 2 for bad usage or a
file without that table.
"""
import importlib.util
import os
import re
import sys

NUM = re.compile(r"\*\*([0-9.]+)")


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


YARD = re.compile(r"^- the yardstick during this run, workload (\w+): ([0-9.]+) ns per event")
CALIB = re.compile(r"^- workload (\w+): .*?allocator events per op: ([0-9.]+) \(([^)]*)\)")
# the yardstick's events: the workload's events at least this frequent per op
# (bench-report.py's threshold, the one that made the column)
_spec = importlib.util.spec_from_file_location(
    "bench_report", os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-report.py"))
_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_report)
MAIN_PER_OP = _report.MAIN_PER_OP


def load(path):
    """mode -> {"ns": float, "x": float, "speed": float, "kept": float}"""
    out = {}
    yard, calib = {}, {}
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        sys.exit(print(f"bench-compare: {path}: {e.strerror}", file=sys.stderr) or 2)
    table = None
    for line in lines:
        m = YARD.match(line)
        if m:
            yard[m.group(1)] = float(m.group(2))
        m = CALIB.match(line)
        if m:
            ev = [float(x.rsplit(" ", 1)[1]) for x in m.group(3).split(";")[0].split(", ")]
            calib[m.group(1)] = (float(m.group(2)), sum(x for x in ev if x >= MAIN_PER_OP))
        if not line.startswith("|"):
            table = None
            continue
        c = cells(line)
        if c[0] == "mode":
            table = tuple(c[1:3])
            continue
        if not table or set(c[0]) <= set("-"):
            continue
        if table[0] == "ns per workload event" and len(c) >= 4:
            ns, x = NUM.match(c[1]), NUM.match(c[3])
            if ns and x:
                out.setdefault(c[0], {}).update(ns=float(ns.group(1)), x=float(x.group(1)))
                sp = NUM.match(c[4]) if len(c) >= 10 else None
                if sp:
                    out[c[0]]["speed"] = float(sp.group(1))
        elif table[0] == "attach" and len(c) >= 3:
            try:
                out.setdefault(c[0], {})["kept"] = float(c[2])
            except ValueError:
                pass
    # files before the column: x yardstick x the run's yardstick ns per op
    # (per event x its events per op) over the workload's events per op
    for mode, v in out.items():
        w = "pipe" if mode.startswith("pipe: ") else "msg"
        if "x" in v and "speed" not in v and w in yard and w in calib:
            v["speed"] = v["x"] * yard[w] * calib[w][1] / calib[w][0]
    if not any("ns" in v for v in out.values()):
        print(f"bench-compare: {path}: no 'ns per workload event' table", file=sys.stderr)
        sys.exit(2)
    return out


def main(argv):
    limit = 10.0
    args = list(argv)
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if args[:1] == ["--limit"]:
        try:
            limit = float(args[1])
        except (IndexError, ValueError):
            print("bench-compare: --limit needs a number (percent)", file=sys.stderr)
            return 2
        args = args[2:]
    if len(args) != 2:
        print("usage: scripts/bench-compare.py [--limit PCT] FIRST.md SECOND.md", file=sys.stderr)
        return 2
    a, b = load(args[0]), load(args[1])
    modes = [m for m in a if "ns" in a[m] and "ns" in b.get(m, {})]
    print("| mode | BPF ns per workload event | change | at the run's speed | change | "
          "x yardstick | change | kept |")
    print("|---|---|---|---|---|---|---|---|")
    agree = {"ns": 0, "speed": 0, "x": 0}
    for m in modes:
        row = [m]
        for k, fmt in (("ns", "%.1f"), ("speed", "%.1f"), ("x", "%.3f")):
            if k not in a[m] or k not in b[m]:
                row += ["-", "-"]
                continue
            d = (b[m][k] - a[m][k]) / a[m][k] * 100 if a[m][k] else 0.0
            ok = abs(d) <= limit
            agree[k] += ok
            row += [f"{fmt % a[m][k]} → {fmt % b[m][k]}", f"{d:+.1f} %{'' if ok else ' >'}"]
        ka, kb = a[m].get("kept"), b.get(m, {}).get("kept")
        row.append(f"{ka:.2f} / {kb:.2f}" if ka is not None and kb is not None else "-")
        print("| " + " | ".join(row) + " |")
    print(f"\nwithin {limit:g} %: BPF ns/event {agree['ns']} of {len(modes)} modes, "
          f"at the run's speed {agree['speed']} of {len(modes)}, "
          f"x yardstick {agree['x']} of {len(modes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
