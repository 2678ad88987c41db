"""Speed where people wait (issue 17): the four goals, each as paired ratios taken in one run.

    python benchmarks/speed_bench.py everyday [--runs 5]           # kg build vs rdflib parsing its Turtle
    python benchmarks/speed_bench.py query [--runs 7]              # kg query of a canned query, process start to end
    python benchmarks/speed_bench.py shacl --nt FILE [--pyshacl]   # full SHACL of an N-Triples file (1M triples)
    python benchmarks/speed_bench.py scale --corpus DIR --store DIR    # kg build --store oxigraph:DIR, then queries

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
    code = ("import sys, time, json; sys.path.insert(0, %r)\n"
            "from pathlib import Path\n"
            "from kg import query as Q\n"
            "from kg.query.lateral import lateral_optionals\n"
            "g = Q.load_graph([Path(%r)], engine='oxigraph')\n"
            "res = {}\n"
            "params = {'targets-by-district': {'district': 'shenyang'}, 'targets-by-year': {'year': '2023'},"
            " 'category-values': {'category': 'pocket-parks'}}\n"
            "for name, q in Q.canned_queries().items():\n"
            "    for p in ([{}] + ([params[name]] if name in params else [])):\n"
            "        text, _ = Q.bind_params(g, q.text, p, q.params)\n"
            "        t = time.perf_counter(); it = iter(g.query(lateral_optionals(text), prefixes=Q.QUERY_PREFIXES,"
            " use_default_graph_as_union=True)); first = next(it, None) if q.kind == 'select' else None;"
            " t1 = time.perf_counter() - t\n"
            "        t = time.perf_counter(); r = Q.run(g, q, p); dt = time.perf_counter() - t\n"
            "        res[name + (' ' + json.dumps(p, ensure_ascii=False) if p else '')] = [dt, t1, len(r)]\n"
            "print(json.dumps(res, ensure_ascii=False))")
    out = subprocess.run([PY, "-c", code % (str(ROOT), str(store))], capture_output=True, text=True, env=ENV,
                         cwd=ROOT, timeout=args.timeout)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    for name, (dt, first, n) in json.loads(out.stdout.strip().splitlines()[-1]).items():
        print(f"| {triples / 1e6:.1f}M | query {name} ({n:,} rows) | all rows {dt:.2f} s | first row {first:.3f} s |")
    print(f"load after queries: {load()}")


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
    p = sub.add_parser("scale")
    p.add_argument("--corpus", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--shacl", default="all", choices=["all", "sample"])
    p.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()
    args.load_before = load()
    {"everyday": everyday, "query": query, "shacl": shacl, "scale": scale}[args.what](args)


if __name__ == "__main__":
    main()
