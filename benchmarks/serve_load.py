"""Bounded load on `kg serve` over loopback: REQUESTS requests from CLIENTS concurrent clients, then it stops.

Each client keeps one HTTP/1.1 connection and takes the next request of a fixed mix (SELECT as JSON and CSV,
ASK, CONSTRUCT as Turtle, /id/ pages as HTML and Turtle, the query page) until all are sent. Prints the
throughput, latency percentiles and the error count (goal: 0; any non-200 answer or broken connection is an
error). Exit code 1 when there were errors.

    python benchmarks/serve_load.py                          # its own kg serve on a free port, exports/shenyang.ttl
    python benchmarks/serve_load.py --requests 2000 --clients 16 --workers 2 --graph /tmp/x/shenyang.ttl
    python benchmarks/serve_load.py --url http://127.0.0.1:8000   # a server already running (loopback only)
    python benchmarks/serve_load.py --attack     # meanwhile, pathological queries that must hit the time limit

tests/reliability/test_rel_serve.py imports `run_load` and `ServeProcess` from here.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

#: (kind, method, path or query, Accept)
QUERIES = [
    ("select-json", "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)",
     "application/sparql-results+json"),
    ("select-csv", "SELECT ?d ?label WHERE { ?d a sy:District ; rdfs:label ?label } ORDER BY ?d", "text/csv"),
    ("ask", "ASK { ?m a sy:Measure }", "application/sparql-results+json"),
    ("construct", "CONSTRUCT { ?g rdfs:label ?l } WHERE { ?g a sy:Goal ; rdfs:label ?l } LIMIT 50", "text/turtle"),
    ("select-filter", "SELECT ?s ?v WHERE { ?s sy:value ?v FILTER(?v > 100) } ORDER BY DESC(?v) LIMIT 20",
     "application/sparql-results+json"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_loopback(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise SystemExit(f"refusing {url}: this load generator only talks to http://127.0.0.1 (loopback)")
    return parts


class ServeProcess:
    """`kg serve` in a subprocess on a free loopback port; a context manager that stops it."""

    def __init__(self, graph: Path, *, workers: int = 2, timeout: float = 10.0, max_rows: int = 10_000,
                 log: Path | None = None, extra: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or Path(tempfile.mkstemp(prefix="kg-serve-", suffix=".log")[1])
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kg", "serve", "--graph", str(graph), "--host", "127.0.0.1", "--port",
                 str(self.port), "--workers", str(workers), "--timeout", str(timeout), "--max-rows", str(max_rows),
                 *extra],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)

    def wait_ready(self, seconds: float = 120.0) -> ServeProcess:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kg serve exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                status, _, _ = request(self.url, "GET", "/", "text/html", timeout=5)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"kg serve did not answer within {seconds:g} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> ServeProcess:
        return self.wait_ready()

    def __exit__(self, *exc) -> None:
        self.stop()


def request(base: str, method: str, path: str, accept: str, body: bytes | None = None, timeout: float = 60.0,
            conn: http.client.HTTPConnection | None = None) -> tuple[int, dict, bytes]:
    """One request (on `conn` when given, kept open); (status, lower-case headers, body)."""
    parts = check_loopback(base)
    own = conn is None
    conn = conn or http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        if own:
            conn.close()


def sparql_path(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def request_mix(base: str) -> list[tuple[str, str, str]]:
    """The (kind, path, Accept) requests the clients cycle through, with /id/ paths of real resources."""
    for _ in range(60):  # a saturated server (--attack) sheds with 503 + Retry-After: come back
        status, headers, body = request(base, "GET", sparql_path(
            "SELECT ?s WHERE { { ?s a sy:District } UNION { ?s a sy:Measure } } ORDER BY ?s LIMIT 40"),
            "application/sparql-results+json")
        if status != 503 or "retry-after" not in headers:
            break
        time.sleep(float(headers["retry-after"]))
    if status != 200:
        raise RuntimeError(f"the server answered {status} to a plain query: {body[:300]!r}")
    iris = [b["s"]["value"] for b in json.loads(body)["results"]["bindings"]]
    ids = [urllib.parse.urlsplit(i).path for i in iris if "/id/" in i]
    ids = ["/id/" + p.split("/id/", 1)[1] for p in ids][:8] or ["/id/dataset"]
    mix = [(kind, sparql_path(q), accept) for kind, q, accept in QUERIES]
    mix += [("id-html", ids[i % len(ids)], "text/html") for i in range(2)]
    mix += [("id-turtle", ids[(i + 2) % len(ids)], "text/turtle") for i in range(2)]
    mix.append(("page", "/", "text/html"))
    return mix


@dataclass
class LoadResult:
    requests: int
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    errors: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    finished_at: list[float] = field(default_factory=list)  # time.monotonic() of each answer
    shed: list[float] = field(default_factory=list)  # seconds to each 503 + Retry-After (server saturated)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs)) - 1))]

    def report(self) -> str:
        lat = [f"p{p} {self.percentile(p) * 1000:.1f} ms" for p in (50, 90, 99)]
        lines = [f"  requests    {len(self.latencies) + len(self.errors)} ({self.clients} concurrent clients)",
                 f"  time        {self.seconds:.2f} s",
                 f"  throughput  {self.throughput:.1f} requests/s",
                 f"  latency     {'   '.join(lat)}   max {max(self.latencies, default=0) * 1000:.1f} ms"
                 f"   mean {statistics.fmean(self.latencies) * 1000 if self.latencies else 0:.1f} ms",
                 f"  errors      {len(self.errors)}"]
        if self.shed:
            xs = sorted(self.shed)
            lines.append(f"  shed        {len(xs)} answered 503 + Retry-After (saturated), p99 "
                         f"{xs[min(len(xs) - 1, round(0.99 * len(xs)) - 1)] * 1000:.1f} ms")
        lines.append("  mix         " + ", ".join(f"{k} {n}" for k, n in sorted(self.kinds.items())))
        for e in self.errors[:10]:
            lines.append(f"    error: {e}")
        return "\n".join(lines)


def run_load(base: str, requests: int = 2000, clients: int = 16, timeout: float = 60.0,
             stop: threading.Event | None = None) -> LoadResult:
    """Send `requests` requests of the mix from `clients` threads (bounded: it always ends)."""
    parts = check_loopback(base)
    mix = request_mix(base)
    result = LoadResult(requests, clients, 0.0)
    counter = iter(range(requests))
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            while not (stop and stop.is_set()):
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                kind, path, accept = mix[i % len(mix)]
                t0 = time.perf_counter()
                shed = False
                try:
                    status, headers, body = request(base, "GET", path, accept, conn=conn)
                    ok = status == 200 and body
                    shed = status == 503 and headers.get("retry-after") is not None  # saturated: told to retry
                    problem = None if ok or shed else f"{kind}: HTTP {status} {body[:120]!r}"
                except (OSError, http.client.HTTPException) as e:
                    problem = f"{kind}: {type(e).__name__}: {e}"
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
                elapsed = time.perf_counter() - t0
                with lock:
                    if shed:
                        result.shed.append(elapsed)
                    elif problem:
                        result.errors.append(problem)
                    else:
                        result.latencies.append(elapsed)
                        result.kinds[kind] += 1
                        result.finished_at.append(time.monotonic())
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - t0
    return result


#: Queries no endpoint should run to the end: they must be stopped by the server's time limit (HTTP 503).
ATTACKS = [
    ("cartesian", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"),
    ("regex-over-every-literal", 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?t ?q ?u FILTER(isLiteral(?o) && '
                                 'isLiteral(?u) && REGEX(CONCAT(STR(?o), STR(?u)), "^(a|aa)+(b|bb)+$", "i")) }'),
]


def attack(base: str, out: list) -> None:
    """Send each pathological query once, one after the other; record (name, status, seconds)."""
    for name, query in ATTACKS:
        t0 = time.perf_counter()
        try:
            status, _, _ = request(base, "GET", sparql_path(query), "application/sparql-results+json", timeout=300)
        except OSError as e:
            status = f"{type(e).__name__}"
        out.append((name, status, time.perf_counter() - t0))


#: Issue 19's attacks, looped by their own clients for as long as the load runs: a sorted cross product
#: (memory: each worker is capped by `kg serve --max-memory`) and a 100,000-character UNION (parsing).
HOGS = [
    ("sorted-cross-product", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"),
    ("sorted-cross-product", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"),
    ("union-of-4000", "SELECT * WHERE { " + " UNION ".join(f"{{ ?s ?p {i} }}" for i in range(4000)) + " }"),
]


def hog(base: str, name: str, query: str, stop: threading.Event, out: Counter) -> None:
    """Send one expensive query again and again until `stop`; count the answers by (name, status)."""
    while not stop.is_set():
        try:
            status, _, _ = request(base, "POST", "/sparql", "application/sparql-results+json",
                                   body=urllib.parse.urlencode({"query": query}).encode(), timeout=300)
        except OSError as e:
            status = type(e).__name__
        out[(name, status)] += 1


def peak_rss(pid: int, stop: threading.Event, out: list) -> None:
    """Sample the resident memory of a process and all its descendants every 0.2 s; keep the peak (bytes)."""
    def tree(p: int) -> list[int]:
        kids = []
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    kids += [int(c) for c in fh.read().split()]
        return [p] + [q for k in kids for q in tree(k)]

    peak = 0
    while not stop.is_set():
        total = 0
        for p in tree(pid):
            with contextlib.suppress(OSError, ValueError):
                with open(f"/proc/{p}/statm") as fh:
                    total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        peak = max(peak, total)
        stop.wait(0.2)
    out.append(peak)


def default_graph() -> Path:
    graph = ROOT / "exports" / "shenyang.ttl"
    if graph.is_file():
        return graph
    out = Path(tempfile.mkdtemp(prefix="kg-load-"))
    print(f"no exports/shenyang.ttl: building into {out}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "kg", "build", "--out", str(out), "-q"], check=True, cwd=ROOT)
    return out / "shenyang.ttl"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="kg serve --workers (own server only)")
    ap.add_argument("--graph", type=Path, default=None, help="graph file to serve (own server only)")
    ap.add_argument("--url", default=None, help="a running server on loopback, e.g. http://127.0.0.1:8000")
    ap.add_argument("--timeout", type=float, default=10.0, help="kg serve --timeout (own server only)")
    ap.add_argument("--max-memory", type=int, default=2048, help="kg serve --max-memory MB (own server only)")
    ap.add_argument("--attack", action="store_true",
                    help="while the load runs, send pathological queries (they must end with 503 at the time limit)")
    args = ap.parse_args(argv)
    if not 1 <= args.requests <= 1_000_000 or not 1 <= args.clients <= 256:
        ap.error("--requests must be 1..1000000 and --clients 1..256")
    attacks: list = []

    hogged: Counter = Counter()
    peaks: list = []

    def load(url: str, pid: int | None = None) -> LoadResult:
        if not args.attack:
            return run_load(url, args.requests, args.clients)
        stop = threading.Event()
        threads = [threading.Thread(target=attack, args=(url, attacks))]
        threads += [threading.Thread(target=hog, args=(url, name, q, stop, hogged)) for name, q in HOGS]
        if pid is not None:
            threads.append(threading.Thread(target=peak_rss, args=(pid, stop, peaks)))
        for t in threads:
            t.start()
        res = run_load(url, args.requests, args.clients)
        stop.set()
        for t in threads:
            t.join()
        return res

    if args.url:
        check_loopback(args.url)
        print(f"kg serve load against {args.url}")
        result = load(args.url)
    else:
        graph = args.graph or default_graph()
        with ServeProcess(graph, workers=args.workers, timeout=args.timeout,
                          extra=("--max-memory", str(args.max_memory))) as server:
            print(f"kg serve load: {graph} served by {args.workers} worker(s) at {server.url} "
                  f"({os.cpu_count()} CPUs here)")
            run_load(server.url, min(50, args.requests), min(4, args.clients))  # warm up: workers, caches
            result = load(server.url, server.proc.pid)
    print(result.report())
    for name, status, seconds in attacks:
        print(f"  attack      {name}: HTTP {status} after {seconds:.1f} s")
    for (name, status), n in sorted(hogged.items(), key=str):
        print(f"  looped      {name}: {n} × HTTP {status}")
    if peaks:
        print(f"  peak RSS    {peaks[0] / 2**20:.0f} MB (kg serve and its workers)")
    bad_attacks = [a for a in attacks if a[1] != 503]
    return 1 if result.errors or bad_attacks else 0


if __name__ == "__main__":
    sys.exit(main())
