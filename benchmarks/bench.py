"""kg at scale: the fast path (pyoxigraph) against plain rdflib on the same synthetic data, at 100k and 1M triples.

    python benchmarks/bench.py                      # 100k and 1M, writes benchmarks/RESULTS.md
    python benchmarks/bench.py --sizes 10000 --rdflib-timeout 5 --no-write     # a quick smoke run

Every measurement runs in its own process (so peak RSS means something): building (records → graph), the
N-Triples and Turtle exports, parsing the exported files back, and every canned query (median and p95 of
several runs; parameterised ones with one district, one year, one category). rdflib steps that pass
--rdflib-timeout seconds are stopped and reported as ">N s", their ratio as a lower bound. Not part of the
tests: it takes tens of minutes and its numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARAMETERISED = {  # one district, one year, one category
    "targets-by-district": {"district": "浑南区"},
    "targets-by-year": {"year": "2023"},
    "category-values": {"category": "pocket-parks"},
}
QUERY_RUNS = 7
INSTANT = 0.001  # seconds: below this on both sides a ratio is noise


# ---------------------------------------------------------------------------------------------------------------
# Children: one measurement each, JSON on stdout


class StepTimeout(BaseException):  # not an Exception: kg.query wraps those
    pass


def _alarm(seconds: float):
    def handler(signum, frame):
        raise StepTimeout

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def timed(fn, limit: float | None = None):
    """(seconds, result) or (None, None) when the step passed `limit` seconds."""
    if limit:
        _alarm(limit)
    t = time.perf_counter()
    try:
        out = fn()
    except StepTimeout:
        return None, None
    finally:
        if limit:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - t, out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_build(corpus: Path, out: Path, backend: str, limit: float) -> dict:
    """records → graph → N-Triples file → Turtle file, timing each step."""
    from kg.records import load_records
    from kg.sources import load_sources
    from kg.store import build_store

    res: dict = {}
    t, (corpus_, sources) = timed(lambda: _load(corpus, load_records, load_sources))
    res["records"] = t
    if backend == "kg":
        t, store = timed(lambda: build_store(corpus_, sources=sources, store="oxigraph"))
        res["emit"] = t
        t, _ = timed(lambda: _write(out / "g.nt", store.serialize("nt")))
        res["nt"] = t
        res["e2e_nt"] = res["records"] + res["emit"] + res["nt"]
        t, _ = timed(lambda: store.native)  # load the (lazy) store: now it answers queries
        res["build"] = res["records"] + res["emit"] + t
        t, _ = timed(lambda: _write(out / "g.ttl", store.serialize("turtle")))
        res["turtle"] = t
        res["triples"] = len(store)
    else:  # plain rdflib: Graph.add every triple, Graph.serialize
        from kg.build import build_graph

        t, graph = timed(lambda: build_graph(corpus_, sources=sources), limit)
        if t is None:
            return {**res, "build": None, "e2e_nt": None, "nt": None, "turtle": None}
        res["build"] = res["records"] + t
        t, _ = timed(lambda: _write(out / "rdflib.nt", graph.serialize(format="nt", encoding="utf-8")), limit)
        res["nt"] = t
        res["e2e_nt"] = None if t is None else res["build"] + t
        t, _ = timed(lambda: _write(out / "rdflib.ttl", graph.serialize(format="turtle", encoding="utf-8")), limit)
        res["turtle"] = t
        res["triples"] = len(graph)
    return res


def _load(corpus: Path, load_records, load_sources):
    c = load_records(corpus / "records")
    return c, load_sources(corpus / "sources", c)


def _write(path: Path, data: bytes) -> None:
    from kg.export import write_atomic

    write_atomic(path, data)


def child_parse(file: Path, backend: str, limit: float) -> dict:
    if backend == "kg":
        import pyoxigraph as ox

        fmt = ox.RdfFormat.N_TRIPLES if file.suffix == ".nt" else ox.RdfFormat.TURTLE
        store = ox.Store()
        t, _ = timed(lambda: store.bulk_load(path=str(file), format=fmt))
        return {"parse": t, "triples": len(store)}
    from rdflib import Graph

    g = Graph()
    t, _ = timed(lambda: g.parse(str(file), format="nt" if file.suffix == ".nt" else "turtle"), limit)
    return {"parse": t, "triples": len(g)}


def child_queries(file: Path, backend: str, limit: float) -> dict:
    from kg import paths
    from kg import query as q

    if backend == "kg":
        import pyoxigraph as ox

        from kg.store import add_ontology

        graph = ox.Store()
        t_load, _ = timed(lambda: graph.bulk_load(path=str(file), format=ox.RdfFormat.N_TRIPLES))
        add_ontology(graph)
    else:
        from rdflib import Graph

        graph = Graph()
        t_load, _ = timed(lambda: graph.parse(str(file), format="nt"))
        graph.parse(paths.ONTOLOGY)
    out: dict = {"load": t_load, "queries": {}}
    jobs = [(name, name, {}) for name in sorted(q.canned_queries())]
    jobs += [(f"{name} ({', '.join(f'{k}={v}' for k, v in params.items())})", name, params)
             for name, params in PARAMETERISED.items()]
    for label, name, params in jobs:
        canned = q.canned(name)
        times, rows = [], None
        runs = QUERY_RUNS if backend == "kg" else 3
        if backend == "kg":
            # oxigraph cannot be interrupted in-process: a first run in a forked child that is killed at the
            # limit (kg.query's timeout), then warm runs in-process
            try:
                q.run(graph, canned, params, timeout=limit * 3)
            except q.QueryTimeout:
                out["queries"][label] = {"times": None, "rows": None, "parameterised": bool(params)}
                _progress(backend, label, None, None, limit * 3)
                continue
        for _ in range(runs):
            # rdflib is stopped by SIGALRM in-process (pure Python stops between bytecodes): no fork per query
            t, res = timed(lambda: q.run(graph, canned, params), limit if backend == "rdflib" else None)
            if t is None:
                times = None
                break
            times.append(t)
            rows = len(res)
            if backend == "rdflib" and times[-1] > 2:  # slow: one run is enough to know
                break
        out["queries"][label] = {"times": times, "rows": rows, "parameterised": bool(params)}
        _progress(backend, label, times, rows, limit)
    return out


def _progress(backend: str, label: str, times: list[float] | None, rows: int | None, limit: float) -> None:
    """One line on stderr as each query finishes (the JSON on stdout comes at the end)."""
    shown = f"median {secs(statistics.median(times))}" if times else f"stopped at {limit:g} s"
    print(f"{time.strftime('%H:%M:%S')} {backend} {label}: {shown}, {rows if rows is not None else '?'} rows",
          file=sys.stderr, flush=True)


def run_child(args: list[str], timeout: float) -> dict:
    """Run one measurement in a fresh interpreter; its peak RSS comes back with the result."""
    cmd = [sys.executable, __file__, "--child", *args]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=timeout)  # stderr: progress, as it comes
    except subprocess.TimeoutExpired:
        return {"timeout": True}
    if proc.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed (its error is printed above)")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------------------------
# The table


def rate(triples: int, seconds: float | None) -> str:
    return "—" if seconds is None else f"{triples / seconds / 1000:,.0f}k triples/s"


def secs(seconds: float | None, limit: float | None = None) -> str:
    if seconds is None:
        return f">{limit:g} s" if limit else "—"
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def ratio_rate(kg: float | None, rd: float | None, limit: float) -> str:
    """kg/rdflib for throughput rows (= rdflib's time / kg's); a lower bound when rdflib was stopped."""
    if kg is None:
        return "—"
    if rd is None:
        return f"> {limit / kg:,.1f}×"
    return f"{rd / kg:,.1f}×"


def bench_size(size: int, work: Path, limit: float, log) -> dict:
    from kg.synth import plan_for_triples, synthesize

    corpus = work / f"corpus-{size}"
    plan = plan_for_triples(size, seed=1)
    log(f"[{size:,}] synthesising {plan.cities} cities × {plan.years} years …")
    synthesize(plan, corpus)
    out = work / f"out-{size}"
    out.mkdir(exist_ok=True)
    r: dict = {"plan": [plan.cities, plan.years]}
    log(f"[{size:,}] kg build + exports …")
    r["kg_build"] = run_child(["build", str(corpus), str(out), "kg", str(limit)], 3600)
    n = r["kg_build"]["triples"]
    log(f"[{size:,}] {n:,} triples; rdflib build + exports …")
    r["rd_build"] = run_child(["build", str(corpus), str(out), "rdflib", str(limit)], 4 * limit + 600)
    log(f"[{size:,}] kg build CLI (SHACL sample, N-Triples + Turtle) …")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kg", "build", "--records", str(corpus / "records"), "--sources",
                    str(corpus / "sources"), "--out", str(work / f"cli-{size}"), "-q"], check=True)
    r["kg_cli"] = time.perf_counter() - t
    for suffix in ("nt", "ttl"):
        f = out / f"g.{suffix}"
        log(f"[{size:,}] parse {f.name} …")
        r[f"kg_parse_{suffix}"] = run_child(["parse", str(f), "kg", str(limit)], 3600)
        r[f"rd_parse_{suffix}"] = run_child(["parse", str(f), "rdflib", str(limit)], limit + 600)
    log(f"[{size:,}] queries (kg) …")
    r["kg_queries"] = run_child(["queries", str(out / "g.nt"), "kg", str(limit)], 3600)
    log(f"[{size:,}] queries (rdflib, each capped at {limit:g} s) …")
    r["rd_queries"] = run_child(["queries", str(out / "g.nt"), "rdflib", str(limit)], 40 * limit + 1200)
    r["triples"] = n
    return r


def table(results: dict[int, dict], limit: float) -> list[str]:
    lines = ["| triples | measurement | kg fast path (pyoxigraph) | plain rdflib | kg / rdflib |",
             "|---:|---|---:|---:|---:|"]
    for size, r in results.items():
        n = r["triples"]
        kb, rb = r["kg_build"], r["rd_build"]
        label = f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.0f}k"

        def row(what, kg, rd, ratio):
            lines.append(f"| {label} | {what} | {kg} | {rd} | {ratio} |")

        stopped = f">{rb['records'] + rb.get('limit', limit):.0f} s (stopped)"  # records read, then the cap
        row("build: records → graph (in a store)", rate(n, kb["build"]),
            rate(n, rb["build"]) if rb["build"] else stopped,
            ratio_rate(kb["build"], rb["build"], rb["records"] + rb.get("limit", limit)))
        row("build + N-Triples export, records in, file out", rate(n, kb["e2e_nt"]),
            rate(n, rb["e2e_nt"]) if rb["e2e_nt"] else (stopped if not rb["build"] else "—"),
            ratio_rate(kb["e2e_nt"], rb["e2e_nt"], rb["records"] + rb.get("limit", limit)))
        what = ("all exports, full SHACL (rdflib backend below 200k)" if n <= 200_000
                else "N-Triples + Turtle, SHACL on 3 documents")
        row(f"`kg build` CLI, wall time: {what}", secs(r["kg_cli"]), "—", "")
        for fmt, key in (("N-Triples", "nt"), ("Turtle", "turtle")):
            if not rb["build"]:
                row(f"export {fmt}", rate(n, kb[key]), "not run (build stopped)", "")
                continue
            rlim = rb.get("limit", limit)
            row(f"export {fmt}", rate(n, kb[key]), rate(n, rb[key]) if rb[key] else f">{rlim:g} s",
                ratio_rate(kb[key], rb[key], rlim))
        for fmt, key in (("N-Triples", "nt"), ("Turtle", "ttl")):
            k, d = r[f"kg_parse_{key}"]["parse"], r[f"rd_parse_{key}"]["parse"]
            row(f"load/parse {fmt}", rate(n, k), rate(n, d) if d else f">{limit:g} s", ratio_rate(k, d, limit))
        kq, rq = r["kg_queries"]["queries"], r["rd_queries"]["queries"]
        for name in kq:
            kt, rt = kq[name]["times"], rq[name]["times"]
            if not kt:
                row(f"query {name}", f">{limit * 3:g} s (stopped)", secs(statistics.median(rt)) if rt else
                    f">{limit:g} s", "—")
                continue
            kmed, kp95 = statistics.median(kt), _p95(kt)
            rmed = statistics.median(rt) if rt else None
            ratio = f"{rmed / kmed:,.0f}×" if rmed else f"> {limit / kmed:,.0f}×"
            if rmed is not None and max(rmed, kmed) < INSTANT:
                ratio = "— (both < 1 ms)"
            row(f"query {name} ({kq[name]['rows']:,} rows): median / p95",
                f"{secs(kmed)} / {secs(kp95)}", secs(rmed, limit) if rmed else f">{limit:g} s", ratio)
        rss = [v.get("rss_mb", 0) for k, v in r.items() if isinstance(v, dict) and k.startswith("kg_")]
        rrss = [v.get("rss_mb", 0) for k, v in r.items() if isinstance(v, dict) and k.startswith("rd_")]
        row("peak RSS (largest measurement process)", f"{max(rss):,.0f} MB", f"{max(rrss):,.0f} MB",
            f"{max(rrss) / max(rss):.1f}× less")
    return lines


def _p95(times: list[float]) -> float:
    s = sorted(times)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


def goals(r: dict, limit: float) -> list[str]:
    n = r["triples"]
    kb = r["kg_build"]
    kq, rq = r["kg_queries"]["queries"], r["rd_queries"]["queries"]
    out = [f"- build + N-Triples export ≥ 100k triples/s: {n / kb['e2e_nt'] / 1000:,.0f}k triples/s "
           f"({'met' if n / kb['e2e_nt'] >= 100_000 else 'NOT met'})"]
    med = {k: statistics.median(v["times"]) if v["times"] else float("inf") for k, v in kq.items()}
    slow = [k for k, t in med.items() if t > 1]
    out.append(f"- every canned query ≤ 1 s median: {'met' if not slow else 'NOT met: ' + ', '.join(slow)}")
    weak = []
    for k, v in kq.items():
        kmed = med[k]
        rmed = statistics.median(rq[k]["times"]) if rq[k]["times"] else limit
        if max(rmed, kmed) < INSTANT:
            continue  # two sub-millisecond timings: their ratio measures noise (an ASK that stops at once)
        if rmed / kmed < 20:
            weak.append(f"{k} ({rmed / kmed:.0f}×)")
    out.append(f"- every canned query ≥ 20× faster than rdflib: {'met' if not weak else 'NOT met: ' + ', '.join(weak)}")
    params = {k: med[k] for k, v in kq.items() if v["parameterised"]}
    over = [f"{k} ({t * 1000:.0f} ms)" for k, t in params.items() if t > 0.05]
    out.append("- parameterised canned queries ≤ 50 ms median: "
               + ("met (" + ", ".join(f"{t * 1000:.1f} ms" for t in params.values()) + ")" if not over
                  else "NOT met: " + ", ".join(over)))
    rss = max(v.get("rss_mb", 0) for k, v in r.items() if isinstance(v, dict) and k.startswith("kg_"))
    out.append(f"- peak RSS ≤ 2 GB: {rss:,.0f} MB ({'met' if rss <= 2048 else 'NOT met'})")
    return out


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    import pyoxigraph
    import rdflib

    return (f"{os.cpu_count()} CPUs (`nproc` {os.cpu_count()}), {cpu}, {int(mem) / 1024 / 1024:.0f} GB RAM; "
            f"Python {platform.python_version()}, rdflib {rdflib.__version__}, pyoxigraph {pyoxigraph.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="Triples per corpus, comma-separated.")
    ap.add_argument("--rdflib-timeout", type=float, default=20.0, help="Seconds before an rdflib step is stopped.")
    ap.add_argument("--work", type=Path, default=None, help="Working directory (default: a temporary one).")
    ap.add_argument("--no-write", action="store_true", help="Print the table only; leave RESULTS.md alone.")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="Re-render RESULTS.md from a results.json of an earlier run (with its header lines).")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.from_json:
        results = {int(k): v for k, v in json.loads(args.from_json.read_text()).items()}
        old = (HERE / "RESULTS.md").read_text(encoding="utf-8").split("\n| triples |")[0]
        biggest = results[max(results)]
        text = "\n".join([old.rstrip("\n"), "", *table(results, args.rdflib_timeout), "",
                          f"Goals at {biggest['triples'] / 1e6:.2f}M triples:", "",
                          *goals(biggest, args.rdflib_timeout), ""])
        (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
        print(text)
        return
    if args.child:
        kind, *rest = args.child
        limit = float(rest[-1])
        if kind == "build":
            res = child_build(Path(rest[0]), Path(rest[1]), rest[2], limit)
        elif kind == "parse":
            res = child_parse(Path(rest[0]), rest[1], limit)
        else:
            res = child_queries(Path(rest[0]), rest[1], limit)
        res["rss_mb"] = peak_rss_mb()
        print(json.dumps(res))
        return

    def log(msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = {int(s): bench_size(int(s), work, args.rdflib_timeout, log) for s in args.sizes.split(",")}
    load_after = os.getloadavg()
    minutes = (time.time() - started) / 60
    lines = table(results, args.rdflib_timeout)
    biggest = results[max(results)]
    report = [
        "# kg at scale: benchmark results",
        "",
        f"Run {date.today().isoformat()} with `python benchmarks/bench.py --sizes {args.sizes} "
        f"--rdflib-timeout {args.rdflib_timeout:g}` ({minutes:.0f} min).",
        f"Machine: {machine()}.",
        f"Load average (1/5/15 min) before: {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, after: "
        f"{load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f} — the machine is shared with other "
        "engineers' jobs, so absolute numbers are lower than on an idle machine; ratios are taken in the same run.",
        "",
        "Data: `kg synth --triples N --seed 1` (source texts included, so every span carries its quote). kg: "
        "records → N-Triples lines (kg.build.iter_ntriples) → sorted, unique → pyoxigraph bulk load; exports "
        "from that. rdflib: the same records → `Graph.add` per triple → `Graph.serialize`. Queries: the "
        "canned queries (queries/*.rq) through `kg.query.run`, data + ontology, on a pyoxigraph Store vs an "
        f"rdflib Graph; kg {QUERY_RUNS} runs each, rdflib up to 3 (one when a run takes over 2 s), stopped at "
        f"{args.rdflib_timeout:g} s (then the ratio is a lower bound). Every row is its own process.",
        "",
        *lines,
        "",
        f"Goals at {biggest['triples'] / 1e6:.2f}M triples:",
        "",
        *goals(biggest, args.rdflib_timeout),
        "",
    ]
    text = "\n".join(report)
    print(text)
    if not args.no_write:
        (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
        (HERE / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
