"""`kg serve` over HTTP against `kg.query.run` in-process, on the seed graph: every canned SELECT query.

Starts `kg serve` on a free loopback port, asks each canned query (defaults bound) over the SPARQL Protocol
with SPARQL JSON results, and prints the best time of each against running it in-process on an oxigraph store
(`kg query`'s default engine), with the ratio: the price of HTTP, the worker hand-off and serialisation. Then
requests per second with 1 and 4 concurrent clients on a small query, and the /id/ lookup. Bounded: a fixed
number of requests to 127.0.0.1 only.

    python benchmarks/serve_bench.py                 # best of 3
    python benchmarks/serve_bench.py --repeat 5 --graph exports/shenyang.ttl
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg import paths  # noqa: E402
from kg import query as Q  # noqa: E402
from kg.serve import Dataset, with_defaults  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def ask(base: str, query: str) -> bytes:
    data = urllib.parse.urlencode({"query": query}).encode()
    req = urllib.request.Request(base + "/sparql", data=data,
                                 headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def get(url: str, accept: str) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=60) as r:
        return r.read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graph", type=Path, default=None, help="A built graph (default: build the seeds now).")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    graph_file = args.graph
    if graph_file is None:
        from kg.export import to_turtle
        from kg.pipeline import build

        graph_file = Path(tempfile.mkdtemp()) / "shenyang.ttl"
        graph_file.write_bytes(to_turtle(build(paths.RECORDS, sources_dir=paths.default_sources(),
                                                validate=False).graph))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--graph", str(graph_file), "--port", str(port),
                             "--timeout", "60", "--max-rows", "1000000"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                get(base + "/", "text/html")
                break
            except OSError:
                time.sleep(0.1)
        print(f"server ready after {time.perf_counter() - t0:.2f} s")
        store = Q.load_graph([graph_file], engine="oxigraph")
        dataset = Dataset.load(graph_file)
        print(f"{'canned query':<24} {'in-process s':>12} {'HTTP s':>9} {'ratio':>7}")
        total_local = total_http = 0.0
        for name, canned in Q.canned_queries().items():
            if canned.kind != "select":
                continue
            text = with_defaults(canned, dataset)
            Q.run(store, text)  # warm the parse cache on both sides
            ask(base, text)
            local = best(lambda: Q.run(store, text), args.repeat)
            remote = best(lambda: ask(base, text), args.repeat)
            total_local, total_http = total_local + local, total_http + remote
            print(f"{name:<24} {local:>12.4f} {remote:>9.4f} {remote / local:>7.1f}")
        print(f"{'all canned SELECTs':<24} {total_local:>12.4f} {total_http:>9.4f} {total_http / total_local:>7.1f}")

        small = "SELECT ?d ?zh WHERE { ?d a sy:District ; rdfs:label ?zh }"
        n = 200
        for clients in (1, 4):
            t = time.perf_counter()
            with cf.ThreadPoolExecutor(clients) as ex:
                list(ex.map(lambda _: ask(base, small), range(n)))
            print(f"small SELECT, {clients} client(s): {n / (time.perf_counter() - t):.0f} requests/s")
        district = base + "/id/district/hunnan"
        print(f"/id/ lookup (Turtle): {best(lambda: get(district, 'text/turtle'), 20) * 1000:.1f} ms")
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
