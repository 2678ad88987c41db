"""Speed where people wait (issue 17): the four goals, each as paired ratios taken in one run.

    python benchmarks/speed_bench.py everyday [--runs 5]           # kg build vs rdflib parsing its Turtle
    python benchmarks/speed_bench.py query [--runs 7]              # kg query of a canned query, process start to end
    python benchmarks/speed_bench.py shacl --nt FILE [--pyshacl]   # full SHACL of an N-Triples file (1M triples)
    python benchmarks/speed_bench.py shacl-build --corpus DIR      # SHACL as kg build runs it: whole vs parts
    python benchmarks/speed_bench.py scale --corpus DIR --store DIR    # kg build --store oxigraph:DIR, then queries
    python benchmarks/speed_bench.py queries --store DIR [--timeout 60]  # every canned query on a built store
    python benchmarks/speed_bench.py queries --nt FILE                 # … on that graph in an in-memory store
    python benchmarks/speed_bench.py queries --store DIR --only parameterised   # one district, year, category
    python benchmarks/speed_bench.py stream --before DIR [--runs 3] -- kg query --name goal-tree -g STORE
                                       # first and last output byte of a command: another checkout (DIR) vs this

`stream` runs a command of kg (`kg …` becomes `python -m kg …`) with DIR's code and with this checkout's, in turn,
reading its standard output as it comes: seconds to the first byte and to the last (end of output), CPU of the
process and its children, bytes and exit code; medians of each side and of the per-pair ratios (after / before).

`queries` runs each canned query (and the parameterised runs) in a child process killed at --timeout and prints
its row as soon as it finishes: rows, time to the first row (`kg.query.run` returning: rows are converted as
they are read) and to the last, wall and CPU, the first run (cold) left out of the medians, and the goal class —
parameterised: all rows ≤ 50 ms; a small answer (≤ 10k rows): all rows ≤ 2 s; a growing one: first row ≤ 1 s.

Commands run in turn (A B A B …) so that a machine shared with other jobs slows both alike; every line gives
wall and CPU (user + system of the child) medians and the median of the per-pair ratios. Prints Markdown rows
for benchmarks/RESULTS.md. Not part of the tests: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS MB of the largest child so far) of one process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss // 1024


def paired(a: list[str], b: list[str], runs: int, env_a: dict | None = None, env_b: dict | None = None) -> dict:
    timed(a, env_a), timed(b, env_b)  # warm-up: file cache, .pyc, kg's query cache
    rows = [(timed(a, env_a), timed(b, env_b)) for _ in range(runs)]
    med = statistics.median
    return {"a_wall": med(r[0][0] for r in rows), "a_cpu": med(r[0][1] for r in rows),
            "b_wall": med(r[1][0] for r in rows), "b_cpu": med(r[1][1] for r in rows),
            "wall_ratio": med(r[0][0] / r[1][0] for r in rows), "cpu_ratio": med(r[0][1] / r[1][1] for r in rows),
            "runs": runs}


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def everyday(args) -> None:
    out = Path(tempfile.mkdtemp(prefix="kg-everyday-"))
    build = [PY, "-m", "kg", "build", "--out", str(out), "-q"]
    timed(build)
    ttl = out / "shenyang.ttl"
    parse = [PY, "-c", f"import rdflib; rdflib.Graph().parse({str(ttl)!r}, format='turtle')"]
    r = paired(build, parse, args.runs)
    triples = sum(1 for line in (out / "shenyang.nt").open("rb"))
    print(f"load before/after: {args.load_before} / {load()}")
    print(f"| everyday build ({triples:,} triples) | `kg build` (all exports, HTML, catalog, full SHACL) | "
          f"{r['a_wall']:.2f} s wall, {r['a_cpu']:.2f} s CPU | rdflib parses shenyang.ttl: {r['b_wall']:.2f} s "
          f"wall, {r['b_cpu']:.2f} s CPU | {r['wall_ratio']:.1f}× wall, {r['cpu_ratio']:.1f}× CPU |")


def query(args) -> None:
    q = [PY, "-m", "kg", "query", "--name", args.name, "--format", "csv"]
    warm_env = {**ENV, "KG_CACHE_DIR": tempfile.mkdtemp(prefix="kg-warm-")}
    # B: the same command with no usable cache directory: the Turtle loaded and the query parsed on every call
    cold_env = {**ENV, "KG_CACHE_DIR": "/dev/null/no-cache"}
    r = paired(q, q, args.runs, env_a=warm_env, env_b=cold_env)
    start = paired([PY, "-c", "import rdflib, pyoxigraph, click"], [PY, "-c", "pass"], args.runs)
    print(f"load before/after: {args.load_before} / {load()}")
    print(f"| kg query --name {args.name} | process start to last row, caches warm | {r['a_wall']:.2f} s wall, "
          f"{r['a_cpu']:.2f} s CPU | no cache (Turtle loaded, query parsed every call): {r['b_wall']:.2f} s wall, "
          f"{r['b_cpu']:.2f} s CPU | {r['wall_ratio']:.2f}× wall, {r['cpu_ratio']:.2f}× CPU |")
    print(f"| (yardstick) | `python -c 'import rdflib, pyoxigraph, click'` | {start['a_wall']:.2f} s wall, "
          f"{start['a_cpu']:.2f} s CPU | `python -c pass`: {start['b_wall']:.2f} s wall | |")


def first_last(cmd: list[str], env: dict, cwd: Path = ROOT) -> dict:
    """One run of `cmd` in `cwd`, its standard output read as it comes: seconds to its first byte and to its
    end, CPU seconds (user + system of the process and its children), bytes, exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=err)
        first, size = None, 0
        while chunk := os.read(proc.stdout.fileno(), 1 << 16):
            if first is None:
                first = time.perf_counter() - t
            size += len(chunk)
        last = time.perf_counter() - t
        code = proc.wait()
        err.seek(0)
        message = err.read().decode(errors="replace").strip().splitlines()[-1:] if code else []
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"first": first, "last": last, "cpu": cpu, "bytes": size, "code": code, "error": message}


def stream(args) -> None:
    """`args.command` with another checkout's code (`--before DIR`) and this one's, A B A B."""
    cmd = list(args.command)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if cmd and cmd[0] == "kg":
        cmd = [PY, "-m", "kg", *cmd[1:]]
    other = Path(args.before).resolve()
    # each side runs in its own checkout: `python -m` puts the working directory first on the path
    envs = {"before": ({**os.environ, "PYTHONPATH": str(other)}, other), "after": (ENV, ROOT)}
    for _ in range(args.warmup):  # page cache, .pyc, kg's caches
        for side in envs:
            first_last(cmd, *envs[side])
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    loads = [load()]
    for i in range(args.runs):
        for side in envs:
            r = first_last(cmd, *envs[side])
            runs[side].append(r)
            print(f"{side} {i}: first byte {fmt_s(r['first'])}, last byte {fmt_s(r['last'])}, CPU "
                  f"{fmt_s(r['cpu'])}, {r['bytes']:,} bytes, exit {r['code']} {' '.join(r['error'])}",
                  file=sys.stderr, flush=True)
        loads.append(load())
    med = statistics.median

    def ratio(key: str) -> str:
        pairs = [a[key] / b[key] for a, b in zip(runs["after"], runs["before"])
                 if a[key] is not None and b[key]]
        return f"{med(pairs):.3f}×" if pairs else "—"

    def cell(side: str, key: str) -> str:
        values = [r[key] for r in runs[side] if r[key] is not None]
        return fmt_s(med(values)) if values else "no output"

    exits = {side: sorted({r["code"] for r in rs}) for side, rs in runs.items()}
    print(f"load (1 min) before, after each pair: {', '.join(loads)}")
    print("| command | side | first byte | last byte | CPU | bytes | exit |")
    print("|---|---|---:|---:|---:|---:|---|")
    shown = " ".join(args.command if args.command[0] != "--" else args.command[1:])
    for side, rs in runs.items():
        print(f"| `{shown}` | {side} | {cell(side, 'first')} | {cell(side, 'last')} | {cell(side, 'cpu')} | "
              f"{med(r['bytes'] for r in rs):,.0f} | {', '.join(map(str, exits[side]))} |")
    print(f"| | after / before (median of {args.runs} pairs) | {ratio('first')} | {ratio('last')} | "
          f"{ratio('cpu')} | | |")


def shacl(args) -> None:
    code = ("import sys, time, json, resource; sys.path.insert(0, %r)\n"
            "from pathlib import Path\n"
            "nt = Path(%r).read_bytes()\n"
            "from kg.validate import validate_graph\n"
            "r0 = resource.getrusage(resource.RUSAGE_SELF)\n"
            "t = time.perf_counter(); v = validate_graph(nt, engine=%r); dt = time.perf_counter() - t\n"
            "r1 = resource.getrusage(resource.RUSAGE_SELF)\n"
            "cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime\n"
            "print(json.dumps({'seconds': dt, 'cpu': cpu, 'violations': len(v), "
            "'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))")
    triples = sum(1 for _ in open(args.nt, "rb"))
    engines = ["turbo", "pyshacl"] if args.pyshacl else ["turbo"]
    for engine in engines:
        try:
            out = subprocess.run([PY, "-c", code % (str(ROOT), args.nt, engine)], capture_output=True, text=True,
                                 timeout=args.timeout, env=ENV, cwd=ROOT)
            if out.returncode:
                raise SystemExit(out.stderr[-3000:])
            r = json.loads(out.stdout.strip().splitlines()[-1])
            shown = (f"{r['seconds']:.1f} s wall, {r['cpu']:.1f} s CPU, {r['violations']} violations, "
                     f"peak {r['rss_mb']:,} MB")
        except subprocess.TimeoutExpired:
            shown = f"> {args.timeout:.0f} s (stopped)"
        print(f"| full SHACL ({triples:,} triples) | {engine} | {shown} | load {load()} |")


SHACL_BUILD = """import sys, time, json, os, resource; sys.path.insert(0, %r)
from pathlib import Path
from kg.records import load_records
from kg.sources import load_sources
from kg.store import build_store
from kg import pipeline
from kg.validate import validate_graph
corpus = load_records(Path(%r) / "records", jobs=1)
sources = load_sources([Path(%r) / "sources"], corpus)
triples = %r
class Counted:  # a big corpus (10M) is not built for this: the parts need only the count and the corpus
    def __len__(self):
        return triples
built = build_store(corpus, sources=sources, store="oxigraph") if triples is None else Counted()
validate_graph(b"")  # imports and the compiled shapes, as a build has them by then
mode, jobs = %r, %r
def cpu():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
peak = {}
def watch():  # the workers' own peak (VmHWM): ru_maxrss of a spawned child counts the parent it forked from
    import threading
    while True:
        for d in os.listdir("/proc"):
            try:
                st = open(f"/proc/{d}/status").read()
            except OSError:
                continue
            f = dict(x.split(":", 1) for x in st.splitlines() if ":" in x)
            if f.get("PPid", "").strip() == str(os.getpid()) and "VmHWM" in f:
                peak[d] = max(peak.get(d, 0), int(f["VmHWM"].split()[0]) // 1024)
        time.sleep(0.2)
import threading; threading.Thread(target=watch, daemon=True).start()
c, t = cpu(), time.perf_counter()
if mode == "whole":
    v = validate_graph(built.ntriples())
else:
    v = pipeline.shacl_all(built, corpus, pipeline.DEFAULT_BASE, sources, jobs)
wall, c = time.perf_counter() - t, cpu() - c
print(json.dumps({"wall": wall, "cpu": c, "violations": len(v), "triples": len(built),
                  "self_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "before_rss_mb": rss0 // 1024,
                  "worker_rss_mb": max(peak.values(), default=0)}))
"""


def shacl_build(args) -> None:
    """SHACL as `kg build` runs it on a corpus (records in, graph built untimed): the whole graph in the build's
    process against the parts in worker processes (kg.pipeline.shacl_all), A B A B."""
    def run(mode: str, jobs: int | None) -> dict:
        out = subprocess.run([PY, "-c", SHACL_BUILD % (str(ROOT), args.corpus, args.corpus, args.triples, mode, jobs)],
                             capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=args.timeout)
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["load"] = load()
        return r

    modes = [("parts", None)] if args.parts_only or args.triples else [("whole", None), ("parts", None), ("parts", 1)]
    rows = {m: [] for m in modes}
    for _ in range(args.runs):
        for m in modes:
            rows[m].append(run(*m))
            print(m, rows[m][-1], file=sys.stderr, flush=True)
    med = statistics.median
    for (mode, jobs), rs in rows.items():
        how = "whole graph, in the build's process" if mode == "whole" else (
            f"parts, {jobs or 'one per CPU'} worker processes" if jobs != 1
            else "parts, in the build's process (--jobs 1)")
        rss = rs[0]["self_rss_mb"] - rs[0]["before_rss_mb"] if mode == "whole" else max(r["worker_rss_mb"] for r in rs)
        print(f"| full SHACL as `kg build` runs it ({rs[0]['triples']:,} triples) | {how} | "
              f"{med(r['wall'] for r in rs):.1f} s wall, {med(r['cpu'] for r in rs):.1f} s CPU (medians of "
              f"{len(rs)}), {rs[0]['violations']} violations | peak {'growth' if mode == 'whole' else 'worker'} "
              f"{rss:,} MB | load {', '.join(r['load'] for r in rs)} |")


def scale(args) -> None:
    corpus, store = Path(args.corpus), Path(args.store)
    out = store.parent / (store.name + "-exports")
    cmd = [PY, "-m", "kg", "build", "--records", str(corpus / "records"), "--sources", str(corpus / "sources"),
           "--out", str(out), "--store", f"oxigraph:{store}", "--shacl", args.shacl, "-q"]
    wall, cpu, rss = timed(cmd)
    triples = sum(1 for _ in (out / "shenyang.nt").open("rb"))
    print(f"load before/after: {args.load_before} / {load()}")
    print(f"| {triples / 1e6:.1f}M | `kg synth` → `kg build --store oxigraph:DIR --shacl {args.shacl}` (N-Triples + Turtle) | "
          f"{wall:.0f} s wall, {cpu:.0f} s CPU, {triples / wall / 1000:,.0f}k triples/s, peak RSS {rss:,} MB |")
    queries(args, store, triples)


# ---------------------------------------------------------------------------------------------------------------
# Canned queries on a big store: each in its own process with a time limit, a line printed as each finishes

PARAMETERISED = {  # one district, one year, one category (as benchmarks/bench.py)
    "targets-by-district": {"district": "浑南区"},
    "targets-by-year": {"year": "2023"},
    "category-values": {"category": "pocket-parks"},
}
SMALL = 10_000  # rows: an answer up to this size is "small" (goal: all of it in 2 s at 10M); above, "growing"
GOALS = {"small": 2.0, "growing": 1.0, "parameterised": 0.05}  # seconds: all rows / first row / all rows


def query_jobs(only: str | None = None) -> list[tuple[str, str, dict]]:
    """(label, canned name, params): every canned query with its defaults, then the parameterised runs."""
    sys.path.insert(0, str(ROOT))
    from kg import query as Q

    names = sorted(Q.canned_queries())
    jobs = [(name, name, {}) for name in names]
    jobs += [(f"{name} ({', '.join(f'{k}={v}' for k, v in p.items())})", name, p) for name, p in PARAMETERISED.items()]
    if only == "parameterised":  # the parameterised runs alone (one district, one year, one category)
        jobs = [j for j in jobs if j[2]]
    elif only:
        wanted = set(only.split(","))
        jobs = [j for j in jobs if j[1] in wanted or j[0] in wanted]
    return jobs


def _child_query(store: str, name: str, params: dict, runs: int, budget: float) -> None:
    """In a fresh process: open the store, run one canned query `runs` times through kg.query.run. Prints a
    JSON line per run as soon as it is measured: seconds (and CPU seconds) to `run` returning with its first
    row, and to the last row read; rows."""
    from kg import query as Q

    t = time.perf_counter()
    g = Q.load_graph([Path(store)], engine="oxigraph")
    print(json.dumps({"open": time.perf_counter() - t}), flush=True)
    canned = Q.canned(name)
    spent = 0.0
    for i in range(runs):
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        res = Q.run(g, canned, params)
        first = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        print(json.dumps({"run": i, "first": first, "first_cpu": _cpu(r0, r1)}), flush=True)
        n = len(res)
        total = time.perf_counter() - t0
        r2 = resource.getrusage(resource.RUSAGE_SELF)
        print(json.dumps({"run": i, "first": first, "first_cpu": _cpu(r0, r1), "all": total,
                          "all_cpu": _cpu(r0, r2), "rows": n}), flush=True)
        spent += total
        if spent > budget:  # slow: fewer runs
            break


def _cpu(a, b) -> float:
    return (b.ru_utime - a.ru_utime) + (b.ru_stime - a.ru_stime)


def measure_query(store: str, name: str, params: dict, runs: int, timeout: float) -> dict:
    """Run `_child_query` in a child process killed after `timeout` s; medians of what it printed. A query
    killed before its last row still reports its first-row time (measured in the run that was cut short)."""
    cmd = [PY, str(Path(__file__).resolve()), "_query", "--store", store, "--name", name, "--params",
           json.dumps(params, ensure_ascii=False), "--runs", str(runs), "--budget", str(max(1.0, timeout / 4))]
    proc = subprocess.Popen(cmd, env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        killed = True
    if proc.returncode and not killed:
        return {"error": (err.strip().splitlines() or ["?"])[-1][:300]}
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    done = [x for x in lines if "all" in x]
    firsts = [x for x in lines if "first" in x and "all" not in x]
    med = statistics.median
    res = {"killed": killed, "timeout": timeout, "runs": len(done)}
    if done:
        # the first run reads the store's pages from disk (cold); report the median of the warm ones
        warm = done[1:] or done
        res.update(first=med(x["first"] for x in warm), first_cpu=med(x["first_cpu"] for x in warm),
                   all=med(x["all"] for x in warm), all_cpu=med(x["all_cpu"] for x in warm),
                   rows=done[-1]["rows"], cold_all=done[0]["all"], cold_first=done[0]["first"])
    elif firsts:
        res.update(first=firsts[-1]["first"], first_cpu=firsts[-1]["first_cpu"], cold_first=firsts[0]["first"])
    return res


def verdict(r: dict, parameterised: bool) -> tuple[str, str]:
    """(class, met?) by the goal: parameterised ≤ 50 ms (all rows); a small answer (≤ 10k rows) ≤ 2 s in all;
    a growing one: first row ≤ 1 s."""
    if "error" in r:
        return "error", "no"
    rows = r.get("rows")
    if rows is None and not parameterised:
        return "unknown (stopped)", "no"  # no row count: not classified
    cls = "parameterised" if parameterised else ("growing" if rows > SMALL else "small")
    if cls == "growing":
        ok = r.get("first") is not None and r["first"] <= GOALS["growing"]
    else:
        ok = r.get("all") is not None and r["all"] <= GOALS[cls]
    return cls, "yes" if ok else "no"


def fmt_s(x: float | None, limit: float | None = None) -> str:
    if x is None:
        return f"> {limit:g} s" if limit else "—"
    return f"{x * 1000:,.1f} ms" if x < 1 else f"{x:,.2f} s"


def _timings(g, name: str, params: dict, runs: int, budget: float) -> dict:
    """What `_child_query` prints, as one dict (in-memory mode: measured in a forked child)."""
    from kg import query as Q

    canned, done, spent = Q.canned(name), [], 0.0
    for _ in range(runs):
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        res = Q.run(g, canned, params)
        first, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
        n = len(res)
        total, r2 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
        done.append({"first": first, "first_cpu": _cpu(r0, r1), "all": total, "all_cpu": _cpu(r0, r2), "rows": n})
        spent += total
        if spent > budget:
            break
    return {"done": done}


def measure_in_memory(g, name: str, params: dict, runs: int, timeout: float) -> dict:
    """`measure_query` on a graph already in memory: each query in a forked child killed at `timeout` s."""
    from kg import query as Q

    try:
        done = Q.call_with_timeout(lambda: _timings(g, name, params, runs, max(1.0, timeout / 4)), timeout)["done"]
    except Q.QueryTimeout:
        return {"killed": True, "timeout": timeout, "runs": 0}
    med = statistics.median
    warm = done[1:] or done
    return {"killed": False, "timeout": timeout, "runs": len(done), "first": med(x["first"] for x in warm),
            "first_cpu": med(x["first_cpu"] for x in warm), "all": med(x["all"] for x in warm),
            "all_cpu": med(x["all_cpu"] for x in warm), "rows": done[-1]["rows"], "cold_all": done[0]["all"],
            "cold_first": done[0]["first"]}


def queries(args, store: Path | None, triples: int | None = None) -> dict:
    """Every canned query on the store, one child process each; one Markdown row printed as each finishes.
    With `args.nt` (no store): the N-Triples file in an in-memory pyoxigraph store (+ the ontology), loaded
    once, each query in a forked child."""
    graph = None
    if getattr(args, "nt", None):
        sys.path.insert(0, str(ROOT))
        import pyoxigraph as ox

        from kg.store import add_ontology

        t = time.perf_counter()
        graph = ox.Store()
        graph.bulk_load(path=str(args.nt), format=ox.RdfFormat.N_TRIPLES)
        add_ontology(graph)
        triples = len(graph)
        print(f"in memory: {args.nt} loaded in {time.perf_counter() - t:.0f} s, peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB", flush=True)
    store_s = str(store)
    if triples is None:
        triples = _store_triples(store_s)
    size = f"{triples / 1e6:.1f}M" if triples >= 1e6 else f"{triples / 1e3:.0f}k"
    print(f"load before queries: {load()}", flush=True)
    print("| triples | query | rows | first row (CPU) | all rows (CPU) | class | met? |", flush=True)
    print("|---:|---|---:|---:|---:|---|---|", flush=True)
    out = {}
    for label, name, params in query_jobs(args.only):
        r = (measure_in_memory(graph, name, params, args.runs, args.timeout) if graph is not None
             else measure_query(store_s, name, params, args.runs, args.timeout))
        cls, met = verdict(r, bool(params))
        out[label] = {**r, "class": cls, "met": met, "params": params, "name": name}
        if "error" in r:
            print(f"| {size} | {label} | error: {r['error']} | | | | no |", flush=True)
            continue
        first = fmt_s(r.get("first"), args.timeout) + (f" ({fmt_s(r['first_cpu'])})" if "first_cpu" in r else "")
        total = fmt_s(r.get("all"), args.timeout) + (f" ({fmt_s(r['all_cpu'])})" if "all_cpu" in r else "")
        rows = f"{r['rows']:,}" if r.get("rows") is not None else "?"
        print(f"| {size} | {label} | {rows} | {first} | {total} | {cls} | {met} |", flush=True)
    print(f"load after queries: {load()}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def _store_triples(store: str) -> int:
    code = ("import sys; sys.path.insert(0, %r)\nfrom pathlib import Path\nfrom kg.store import OxigraphStore\n"
            "print(len(OxigraphStore.open(Path(%r))))") % (str(ROOT), store)
    done = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=ENV, cwd=ROOT)
    return int(done.stdout.strip() or 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("everyday")
    p.add_argument("--runs", type=int, default=5)
    p = sub.add_parser("query")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--name", default="targets-by-year")
    p = sub.add_parser("shacl")
    p.add_argument("--nt", required=True)
    p.add_argument("--pyshacl", action="store_true")
    p.add_argument("--timeout", type=float, default=600)
    p = sub.add_parser("shacl-build")
    p.add_argument("--corpus", required=True)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--parts-only", action="store_true")
    p.add_argument("--triples", type=int, help="the graph's size, known: skip building it (parts only; 10M)")
    p.add_argument("--timeout", type=float, default=1800)
    p = sub.add_parser("scale")
    p.add_argument("--corpus", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--shacl", default="all", choices=["all", "sample"])
    p.add_argument("--timeout", type=float, default=120, help="Seconds each query may take (a child process each).")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--only", default=None, help="Comma-separated canned query names or labels, or "
                   "'parameterised' for the parameterised runs alone (default: all).")
    p.add_argument("--json", default=None, help="Also write the measurements to this JSON file.")
    p = sub.add_parser("queries", help="Every canned query on an on-disk store (kg build --store oxigraph:DIR).")
    p.add_argument("--store", default=None)
    p.add_argument("--nt", default=None, help="Instead of --store: this N-Triples file in an in-memory store.")
    p.add_argument("--timeout", type=float, default=120, help="Seconds each query may take (a child process each).")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--only", default=None, help="Comma-separated canned query names or labels, or "
                   "'parameterised' for the parameterised runs alone (default: all).")
    p.add_argument("--json", default=None, help="Also write the measurements to this JSON file.")
    p = sub.add_parser("stream", help="First and last output byte of a command: --before DIR's code vs this.")
    p.add_argument("--before", required=True, help="A checkout of kg to compare with (its root directory).")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1, help="Uncounted rounds first (default 1).")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the command: kg … or any other")
    p = sub.add_parser("_query")  # the child of `queries`
    p.add_argument("--store", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--params", default="{}")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--budget", type=float, default=30)
    args = ap.parse_args()
    if args.what == "_query":
        sys.path.insert(0, str(ROOT))
        return _child_query(args.store, args.name, json.loads(args.params), args.runs, args.budget)
    if args.what == "queries":
        args.load_before = load()
        if not (args.store or args.nt):
            raise SystemExit("queries: give --store DIR or --nt FILE")
        return queries(args, Path(args.store) if args.store else None)
    args.load_before = load()
    {"everyday": everyday, "query": query, "shacl": shacl, "shacl-build": shacl_build,
     "scale": scale, "stream": stream}[args.what](args)


if __name__ == "__main__":
    main()
