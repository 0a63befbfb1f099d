#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The tables of `make bench` from the data scripts/bench.sh collected.

    scripts/bench-report.py DIR      (DIR: what bench.sh --raw DIR kept)

DIR holds: header (key=value lines), modes (name|status|reason|workload|kind),
meta (name|workload|kind|floor|untraced|args|env), results (one line per mode
and round of the timed runs), bpfstats (per program and round, whole
statistics run), bpfwin (per program and window of the statistics runs),
calib (workload|tracepoint|events per op), calib_note, load
(round|loadavg|seconds since start).  Round 0 is the warm-up: shown, never
counted.  Prints markdown; see bench/README.md for what each figure means.
"""
import os
import statistics
import sys

MIN_RUNS = 1000  # a window counts for a program with at least this many runs
MAIN_PER_OP = 0.05  # programs on events the workload makes this often per op
PT = {"2": "kprobe", "5": "tracepoint", "7": "perf_event", "17": "raw_tp", "26": "fentry"}


def lines(d, name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return []
    return [l.rstrip("\n").split("|") for l in open(path) if l.strip()]


def med(v):
    return statistics.median(v) if v else None


def quart(v):
    """(p25, median, p75) of v (inclusive quartiles; one value: itself)."""
    if not v:
        return None, None, None
    if len(v) == 1:
        return v[0], v[0], v[0]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], q[1], q[2]


def fmt_q(v, f="{:.1f}"):
    lo, m, hi = quart(v)
    if m is None:
        return "-"
    return f.format(m) + (f" ({f.format(lo)}–{f.format(hi)})" if len(v) > 1 else "")


def fmt_span(v, f="{:.1f}"):
    if not v:
        return "-"
    s = f.format(med(v))
    return s + (f" ({f.format(min(v))}–{f.format(max(v))})" if len(v) > 1 else "")


def short_attach(a):
    """'raw_tp+tracepoint (a,b,c,d,e)' with at most 3 events named."""
    if " (" not in a or not a.endswith(")"):
        return a
    t, evs = a[:-1].split(" (", 1)
    evs = evs.split(",")
    if len(evs) <= 3:
        return a
    return f"{t} ({len(evs)} events)"


def main(d):
    H = dict(l.split("=", 1) for l in open(os.path.join(d, "header")).read().splitlines() if "=" in l)
    modes = [(f[0], f[1], f[2], f[3], f[4]) for f in lines(d, "modes")]
    meta = {f[0]: {"w": f[1], "kind": f[2], "floor": f[3], "untr": f[4]} for f in lines(d, "meta")}
    order = [f[0] for f in lines(d, "meta")]
    # the skipped modes, and any mode of modes that meta does not list, after
    for name, status, why, w, kind in modes:
        if name not in meta:
            order.append(name)
            meta[name] = {"w": w, "kind": kind, "floor": "", "untr": ""}
    status = {m[0]: (m[1], m[2]) for m in modes}
    rows = {}  # mode -> {round: fields}
    for f in lines(d, "results"):
        if len(f) >= 11:
            rows.setdefault(f[0], {})[int(f[1])] = f
    calib = {}
    for w, tp, n in lines(d, "calib"):
        calib.setdefault(w, {})[tp] = float(n)
    cnote = {f[0]: f[1] for f in lines(d, "calib_note")}
    nr = int(H["rounds"])
    R = range(1, nr + 1)

    out = []
    P = out.append
    P(f"# kmtrace benchmark: tracer overhead, {H['date']}")
    P("")
    P(f"- kernel: {H['kernel']}")
    P(f"- machine: {H['machine']}; load average {H['load']}; CPU used by other processes "
      f"during the run: {H['others']} cores on average")
    loads = lines(d, "load")
    if loads:
        P("- 1-minute load average at the start of each round: " + ", ".join(
            f"{'warm-up' if l[0] == '0' else ('end' if l[0] == 'end' else 'round ' + l[0])} "
            f"{l[1].split()[0]} ({l[2]} s)" for l in loads) + f"; wall time {H['wall']} s")
    ws = [w for w in ("msg", "pipe") if any(meta[m]["w"] == w for m in order)]
    for w in ws:
        ev = calib.get(w, {})
        desc = ", ".join(f"{tp} {n:g}" for tp, n in sorted(ev.items(), key=lambda x: -x[1]))
        P(f"- workload {w}: `{H.get(w, '?')}`; allocator events per op: "
          f"{sum(ev.values()):.3f} ({desc}; {cnote.get(w, '')})")
    P(f"- {nr} interleaved round(s)" + (", after a warm-up round (not counted)"
                                         if H.get("warmup") == "1" else "") + "; medians over rounds")
    if H.get("tools"):
        P(f"- tools: {H['tools']}")
    P("")

    # ---- kept ratios ---------------------------------------------------------
    def ratio(m, r, col=2):
        a = rows.get(m, {}).get(r)
        u = rows.get(meta[m]["untr"], {}).get(r) if meta[m]["untr"] else None
        if not a or not u or not a[col] or not u[col]:
            return None
        return float(a[col]) / float(u[col])

    P("| mode | attach | kept (x untraced) | kept per CPU-s | ops/s | events/s | "
      "under its floor (points) | lost events | tracer CPU (cores) | max RSS MiB | output MiB |")
    P("|---|---|---|---|---|---|---|---|---|---|---|")
    notes, left_out = [], []
    kept_of = {}
    for name in order:
        st, why = status.get(name, ("ok", ""))
        if st != "ok":
            P(f"| {name} | - | skipped: {why} | - | - | - | - | - | - | - | - |")
            continue
        rs = {r: f for r, f in rows.get(name, {}).items() if r >= 1}
        good = {r: f for r, f in rs.items() if f[2] != ""}
        errs = sorted({f[8] for f in rs.values() if f[8]})
        if not good:
            P(f"| {name} | - | failed: {'; '.join(errs) or 'no result'} | - | - | - | - | - | - | - | - |")
            continue
        if errs:
            notes.append(f"{name}: {len(rs) - len(good)} round(s) failed: {'; '.join(errs)}")
        u = meta[name]["untr"]
        clean = {r for r, f in good.items()
                 if not f[9] and not (rows.get(u, {}).get(r, [""] * 10)[9])}
        use = [r for r in good if r in clean] or list(good)
        tag = "" if set(use) <= clean else " (disturbed)"
        kept = med([x for x in (ratio(name, r) for r in use) if x is not None])
        ckept = med([x for x in (ratio(name, r, 10) for r in use) if x is not None])
        kept_of[name] = kept
        fl = meta[name]["floor"]
        under = "-"
        if fl and fl in rows:
            pts = [(ratio(fl, r) - ratio(name, r)) * 100 for r in use
                   if ratio(fl, r) is not None and ratio(name, r) is not None]
            if pts:
                under = f"{med(pts):+.1f} vs {fl}"
        ops = med([float(good[r][2]) for r in use])
        evop = sum(calib.get(meta[name]["w"], {}).values()) or 0
        num = lambda f, k: float(f[k]) if f[k] != "" else None
        cores = med([c for c in (num(good[r], 3) for r in use) if c is not None])
        rss = [v for v in (num(f, 4) for f in good.values()) if v is not None]
        lost = [int(f[5]) for f in good.values() if f[5] != ""]
        outb = [v for v in (num(f, 6) for f in good.values()) if v is not None]
        attach = "+".join(sorted({short_attach(f[7]) for f in good.values()})) or "-"
        unit = " LOST records" if meta[name]["kind"] == "perf" and lost else ""
        P(f"| {name} | {attach} | {f'{kept:.2f}' if kept is not None else '-'}{tag} | "
          f"{f'{ckept:.2f}' if ckept is not None else '-'} | {ops:,.0f} | "
          f"{ops * evop:,.0f} | {under} | {str(max(lost)) + unit if lost else '-'} | "
          f"{f'{cores:.2f}' if cores is not None else '-'} | "
          f"{f'{max(rss) / 1024:.1f}' if rss else '-'} | "
          f"{f'{med(outb) / 1048576:.1f}' if outb else '-'} |")
        if len(use) < len(good):
            left_out.append(f"{name} {len(good) - len(use)}")
    P("")
    P("kept: median over rounds of (ops/s of the mode / ops/s of the same workload untraced "
      "in the same round). kept per CPU-s: the same with ops per CPU-second of kstorm (its "
      "utime+stime), which ignores time kstorm spent waiting for a CPU; it includes the BPF "
      "programs (they run in kstorm's context), not the tracer's own CPU. under its floor: "
      "median over rounds of (the floor's kept - the mode's kept) x 100, both from the same "
      "round, the floor being kmfloor with the same tracepoints as the mode (bpftrace: the "
      "classic tracepoints). ops/s: median. events/s: allocator events per second the "
      "workload made while traced (ops/s x its events per op). lost: the largest count a "
      "tracer reported in one round ('-': it reports none; perf: PERF_RECORD_LOST records, "
      "each for one or more events). tracer CPU: the tracer's utime+stime while kstorm ran / "
      "kstorm's wall time (BPF time is charged to the workload). max RSS: VmHWM. output: "
      "what the tracer wrote per round (kmtrace trace goes to /dev/null). One run's ratios "
      "are the result; they move by a few points between runs on a shared machine.")
    if left_out:
        notes.append("rounds left out of the medians because another tracer ran during the "
                      "mode's run or that round's untraced run: " + ", ".join(left_out))
    for n in notes:
        P("")
        P(f"- {n}")
    P("")
    P("Per round ops/s (* = another tracer of these events was running; round 0: warm-up):")
    P("")
    rr = sorted({r for m in rows.values() for r in m})
    P("| mode | " + " | ".join(f"round {r}" for r in rr) + " |")
    P("|---|" + "---|" * len(rr))
    dist = set()
    for name in order:
        if status.get(name, ("ok",))[0] != "ok":
            continue
        cells = []
        for r in rr:
            f = rows.get(name, {}).get(r)
            cells.append("failed" if not f or not f[2] else f[2] + (" *" if f[9] else ""))
            if f:
                dist.update(f[9].split())
        P(f"| {name} | " + " | ".join(cells) + " |")
    if dist:
        P("")
        P("Other tracers seen: " + ", ".join(sorted(dist)) + ".")

    # ---- BPF run time -----------------------------------------------------------
    # a program's event: its link's tracepoint, else (bpftrace holds no link
    # fds) its name when that names an allocator event
    known = {tp for w in calib.values() for tp in w}

    def event(name, tp):
        return tp if tp != "-" or name not in known else name

    st, hows, misses, runs = {}, set(), {}, {}
    for f in lines(d, "bpfstats"):
        if len(f) < 10:
            continue
        m, r, key = f[0], int(f[1]), (f[2], event(f[2], f[4]))
        ns, cnt, miss, kops = int(f[5]), int(f[6]), int(f[7]), int(f[8])
        st.setdefault(m, {}).setdefault(r, {})[key] = (f[3], ns, cnt, miss, kops)
        hows.add(f[9])
        if r >= 1:
            misses[(m, key)] = misses.get((m, key), 0) + miss
            runs[(m, key)] = runs.get((m, key), 0) + cnt
    win = {}  # (mode, round) -> {window: {key: (run_ns, run_cnt)}}
    for f in lines(d, "bpfwin"):
        if len(f) >= 7:
            win.setdefault((f[0], int(f[1])), {}).setdefault(int(f[2]), {})[(f[3], event(f[3], f[4]))] = \
                (int(f[5]), int(f[6]))
    yard = {}  # (mode, round, window) -> {tp: (run_ns, run_cnt)}
    for f in lines(d, "yardwin"):
        if len(f) >= 6:
            yard.setdefault((f[0], int(f[1]), int(f[2])), {})[f[3]] = (int(f[4]), int(f[5]))
    if not st:
        print("\n".join(out))
        return

    def wev(m, key):
        return calib.get(meta.get(m, {}).get("w", "msg"), {}).get(key[1], 0.0)

    def n_ev(m):
        return sum(calib.get(meta.get(m, {}).get("w", "msg"), {}).values()) or 1.0

    def prog_windows(m, key, rounds):
        """ns/event of program key in each window (>= MIN_RUNS runs) of those rounds."""
        return [ws[key][0] / ws[key][1] for r in rounds
                for ws in win.get((m, r), {}).values() if ws.get(key, (0, 0))[1] >= MIN_RUNS]

    def whole(m, r, key):
        p = st.get(m, {}).get(r, {}).get(key)
        return p[1] / p[2] if p and p[2] else None

    def mode_windows_by(m, r):
        """{window: ns per workload op} of round r: the programs on events the
        workload makes at least MAIN_PER_OP times per op by that window's run time,
        the rarer ones by their whole run's; {-1: the whole run's} when no window
        has enough runs."""
        ps = st.get(m, {}).get(r, {})
        main = [k for k in ps if wev(m, k) >= MAIN_PER_OP]
        minor = sum((whole(m, r, k) or 0) * wev(m, k) for k in ps if 0 < wev(m, k) < MAIN_PER_OP)
        if not main:
            return {}
        v = {i: sum(ws[k][0] / ws[k][1] * wev(m, k) for k in main) + minor
             for i, ws in win.get((m, r), {}).items()
             if all(ws.get(k, (0, 0))[1] >= MIN_RUNS for k in main)}
        return v or {-1: sum((whole(m, r, k) or 0) * wev(m, k) for k in ps)}

    def mode_windows(m, r):
        return list(mode_windows_by(m, r).values())

    def yard_ratios(m, r, ns=False):
        """The mode's ns per op over the yardstick's (empty raw_tp programs on the
        workload's frequent events, attached next to the mode's) in each window;
        with NS the yardstick's ns per op instead."""
        out = []
        for i, v in mode_windows_by(m, r).items():
            ys = yard.get((m, r, i))
            if not ys:
                continue
            evs = [tp for tp in ys if calib.get(meta[m]["w"], {}).get(tp, 0) >= MAIN_PER_OP]
            if not evs or any(ys[tp][1] < MIN_RUNS for tp in evs):
                continue
            y = sum(ys[tp][0] / ys[tp][1] * calib[meta[m]["w"]][tp] for tp in evs)
            if y > 0:
                out.append(y if ns else v / y)
        return out

    def round_fig(m, r):
        v = mode_windows(m, r)
        return med(v) / n_ev(m) if v else None

    P("")
    P("## BPF programs' own run time (kernel BPF statistics)")
    P("")
    P(f"After each timed run, a statistics run of {H['stats_secs']} s of the same workload "
      f"with the kernel's BPF statistics on ({', '.join(sorted(hows))}; "
      f"kernel.bpf_stats_enabled was {H['stats_prev']} before the bench); the tracer's "
      f"programs' run_time_ns and run_cnt (from /proc/PID/fdinfo) sampled every "
      f"{H['stats_win']} s (the first and last window of each run left out). "
      "**ns per workload event**: in each window, every program's run_time_ns/run_cnt "
      "weighted by how many of its events the workload makes per op (the calibration "
      "above), summed, over the workload's allocator events per op; median over all "
      "windows of all rounds, (p25–p75) their quartiles. **x floor**: per round, the "
      "median of the mode's windows over the median of its floor's windows in the same "
      "round; median (min–max) over rounds. whole run: per round over the whole "
      "statistics run, median over rounds. over the floor per op: (the mode's x yardstick "
      "- its floor's, kmfloor with the same tracepoints) x the yardstick's ns per op over "
      "the run, and that in % of an untraced op (1 / its median ops/s): what the programs' "
      "own work adds to each op beyond the empty programs, without user space or cache "
      "effects (a mode that adds x % keeps about x points less than its floor, for small "
      "x). **x yardstick**: in "
      "each window, the mode's ns per op over that of the yardstick, empty raw_tp "
      "programs on the workload's frequent events attached next to the mode's for the "
      "statistics run and timed in the same windows (the machine's speed at that moment); "
      "median (p25–p75) over all windows.")
    P("")
    # the yardstick's ns per op over all windows of the run, per workload: the
    # machine's speed during this run
    yard_ns = {}
    for w in ws:
        v = [x for m in order if meta[m]["w"] == w and m in st for r in R
             for x in yard_ratios(m, r, ns=True)]
        if v:
            yard_ns[w] = med(v)
            lo, m_, hi = quart([x / sum(t for tp, t in calib[w].items() if t >= MAIN_PER_OP)
                                for x in v])
            P(f"- the yardstick during this run, workload {w}: {m_:.1f} ns per event "
              f"({lo:.1f}–{hi:.1f}; {len(v)} windows): the machine's speed; raw ns/event "
              "of two runs compare only as far as these agree")
    P("")
    P("**at the run's speed**: the mode's x yardstick times the yardstick's ns per op "
      "over all windows of the run, over the workload's events per op: its ns per "
      "workload event as if the machine had run at its average speed of the run "
      "throughout (a mode is timed for only ~10 s of the run, in a fast or a slow phase; "
      "the run's yardstick, ~450 windows, is the same within 1-2 % from run to run).")
    P("")
    P("| mode | ns per workload event | windows | x yardstick (same windows) | "
      "at the run's speed | x floor (same round) | floor | whole run | ns per op | "
      "over the floor per op |")
    P("|---|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for name in order:
        if name not in st or status.get(name, ("ok",))[0] != "ok":
            continue
        allw = [x / n_ev(name) for r in R for x in mode_windows(name, r)]
        if not allw:
            continue
        fl = meta[name]["floor"] or ("kmfloor raw_tp" if name != "kmfloor raw_tp" and
                                     meta[name]["w"] == "msg" else "")
        xf = [round_fig(name, r) / round_fig(fl, r) for r in R
              if fl in st and round_fig(name, r) and round_fig(fl, r)]
        wh = [sum((whole(name, r, k) or 0) * wev(name, k) for k in st[name].get(r, {})) /
              n_ev(name) for r in R if r in st[name]]
        # the mode's BPF time per op beyond its floor's, also in % of an
        # untraced op of the workload (BPF time only: what the programs
        # themselves add, not user space, not cache effects)
        # (x yardstick of the mode - of its floor) x the yardstick's ns per op
        # over the whole run: both ratios from their own windows, so the
        # machine's speed at each moment is out of the difference
        over = "-"
        yr = [x for r in R for x in yard_ratios(name, r)]
        f_ = meta[name]["floor"]
        if f_ and f_ in st:
            fyr = [x for r in R for x in yard_ratios(f_, r)]
            ou = [float(f[2]) for r, f in rows.get(meta[name]["untr"], {}).items()
                  if r >= 1 and f[2]]
            yw = yard_ns.get(meta[name]["w"])
            if yr and fyr and yw:
                d_ns = (med(yr) - med(fyr)) * yw
                over = f"{d_ns:+.0f} ns" + (f" ({d_ns * med(ou) / 1e7:+.1f} % of an op)"
                                             if ou else "")
        summary[name] = (allw, xf, yr)
        yw = yard_ns.get(meta[name]["w"])
        at_speed = f"**{med(yr) * yw / n_ev(name):.1f}**" if yr and yw else "-"
        P(f"| {name} | **{fmt_q(allw)}** | {len(allw)} | "
          f"{'**' + fmt_q(yr, '{:.3f}') + '**' if yr else '-'} | {at_speed} | "
          f"{fmt_span(xf, '{:.3f}') if xf else '-'} | {fl or '-'} | "
          f"{fmt_span(wh)} | {fmt_q([x * n_ev(name) for x in allw], '{:.0f}')} | {over} |")
    P("")
    P("Per program:")
    P("")
    P("| mode | program | attached | ns/event | over floor | whole run ns/event | "
      "events/op (all processes) | ns per workload op |")
    P("|---|---|---|---|---|---|---|---|")

    def floor_prog(fl, pt, tp):
        """The floor program's pooled median ns/event for that attach type and event."""
        for fm in (fl, "kmfloor raw_tp" if pt == "17" else "kmfloor tracepoint"):
            for r in R:
                for k, p in st.get(fm, {}).get(r, {}).items():
                    if p[0] == pt and k[1] == tp:
                        v = prog_windows(fm, k, R) or \
                            [x for x in (whole(fm, rr, k) for rr in R) if x]
                        return med(v)
        return None

    rare = {}
    for name in order:
        if name not in summary:
            continue
        keys = sorted({k for r in R for k in st[name].get(r, {})},
                      key=lambda k: (-wev(name, k), k))
        # programs on events the workload does not make (threads, vmalloc, ...)
        # are not its cost: counted below, not listed
        rare[name] = len([k for k in keys if wev(name, k) < 0.001])
        keys = [k for k in keys if wev(name, k) >= 0.001]
        fl = meta[name]["floor"]
        evs = []
        for k in keys:
            p0 = next(st[name][r][k] for r in R if k in st[name].get(r, {}))
            pt = p0[0]
            att = PT.get(pt, "type " + pt) + ("" if k[1] == "-" else " " + k[1])
            v = prog_windows(name, k, R)
            wh = [x for x in (whole(name, r, k) for r in R) if x is not None]
            if not v:
                v = wh
            f0 = floor_prog(fl, pt, k[1]) if meta[name]["kind"] != "kmfloor" else None
            over = f"{med(v) - f0:+.1f}" if v and f0 is not None else "-"
            epo = [st[name][r][k][2] / st[name][r][k][4] for r in R
                   if k in st[name].get(r, {}) and st[name][r][k][4]]
            w = wev(name, k)
            if w >= MAIN_PER_OP:
                evs.append(k[1])
            P(f"| {name} | {k[0]} | {att} | {fmt_q(v)} | {over} | {fmt_span(wh)} | "
              f"{fmt_span(epo, '{:.3f}')} | {f'{med(v) * w:.1f}' if v and w else '-'} |")
        allw = summary[name][0]
        P(f"| {name} | **per workload event** | {'+'.join(evs) or '-'} | **{fmt_q(allw)}** | - | "
          f"- | {n_ev(name):.3f} (the workload's) | **{med(allw) * n_ev(name):.0f}** |")
    if any(rare.values()):
        P("")
        P("Not listed: programs on events the workload makes less than once per 1000 ops "
          "(thread, vmalloc, per-CPU events): " +
          ", ".join(f"{m} {n}" for m, n in rare.items() if n) + ".")
    P("")
    P("Per round BPF ns per workload event (median of the round's windows; round 0: warm-up):")
    P("")
    P("| mode | " + " | ".join(f"round {r}" for r in rr) + " |")
    P("|---|" + "---|" * len(rr))
    for name in order:
        if name not in summary:
            continue
        cells = []
        for r in rr:
            x = round_fig(name, r)
            cells.append(f"{x:.1f}" if x is not None else "-")
        P(f"| {name} | " + " | ".join(cells) + " |")
    P("")
    P("ns/event: run_time_ns / run_cnt of the program: the kernel times each run (a clock "
      "read before and after: the empty programs' figure is almost all that), not how the "
      "event reaches the program (the classic tracepoint's record copy, the raw_tp "
      "dispatch), which shows in the kept ratios only. The programs run for every process's "
      "events (events/op: run_cnt / kstorm ops; other load adds to it). over floor: the "
      "program's median minus the empty program's for the same attach type and event. "
      "The raw ns/event moves with the machine's speed (a shared host: the empty programs' "
      "too); x floor, a ratio to the empty programs measured in the same round, takes that "
      "out. Statistics are off during the timed runs.")
    leaked = sorted({f[0] for m in rows.values() for r, f in m.items()
                     if r >= 1 and len(f) > 11 and f[11] not in ("", "0")})
    if leaked:
        P("")
        P("- BPF statistics were on during the timed run of: " + ", ".join(leaked) +
          " (someone else enabled them): those kept ratios include their cost.")
    ms = [f"{m} {k[0]}: {v} of {runs[(m, k)] + v}" for (m, k), v in misses.items() if v]
    if ms:
        P("")
        P("- recursion misses in the statistics runs, all rounds (runs skipped because an "
          "interrupt's event came while a program of the same kind ran on that CPU: the "
          "interrupt's events, not kstorm's): " + "; ".join(ms))
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print("usage: scripts/bench-report.py DIR (the data of scripts/bench.sh --raw DIR)",
              file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
