"""rdflib against oxigraph on the seed graph: loading the built Turtle, then every canned query.

Both engines return the same rows (tests/test_query.py checks it); this prints how long each takes and the
ratio, so the choice of `kg query --engine oxigraph` as the default stays justified. Parsing the query
text (rdflib's parser, used by both for the read-only check) is cached and excluded after the first run.

    python benchmarks/query_bench.py               # best of 3
    python benchmarks/query_bench.py --repeat 5 --graph exports/shenyang.ttl
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg import paths  # noqa: E402
from kg import query as Q  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


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
    t_rdf = best(lambda: Q.load_graph([graph_file]), args.repeat)
    t_ox = best(lambda: Q.load_graph([graph_file], engine="oxigraph"), args.repeat)
    g, store = Q.load_graph([graph_file]), Q.load_graph([graph_file], engine="oxigraph")
    print(f"{'step':<24} {'rdflib s':>9} {'oxigraph s':>11} {'ratio':>7}")
    print(f"{'load graph + ontology':<24} {t_rdf:>9.3f} {t_ox:>11.3f} {t_rdf / t_ox:>7.1f}")
    total_r = total_o = 0.0
    for name, canned in Q.canned_queries().items():
        Q.run(store, canned)  # warm the parse cache
        r = best(lambda: Q.run(g, canned), args.repeat)
        o = best(lambda: Q.run(store, canned), args.repeat)
        total_r, total_o = total_r + r, total_o + o
        print(f"{name:<24} {r:>9.3f} {o:>11.3f} {r / o:>7.1f}")
    print(f"{'all canned queries':<24} {total_r:>9.3f} {total_o:>11.3f} {total_r / total_o:>7.1f}")


if __name__ == "__main__":
    main()
