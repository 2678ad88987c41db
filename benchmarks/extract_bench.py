"""Extraction speed: the seed texts repeated to ~10 MB, drafted as one text; prints throughput.

    python benchmarks/extract_bench.py [--mb 10] [--sources DIR]

Goal (issue 6): more than 1 MB/s of UTF-8 input for the extraction itself. Serialising the (huge) draft
to YAML is timed separately. No assertions: this prints figures and the ratio to the goal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg import paths  # noqa: E402
from kg.extract import extract_text, to_yaml  # noqa: E402
from kg.vocab import load_vocab  # noqa: E402

GOAL_MB_S = 1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=10.0, help="size of the repeated text in MB (UTF-8)")
    ap.add_argument("--sources", type=Path, default=paths.default_seeds(), help="directory of seed texts")
    args = ap.parse_args()
    if args.sources is None or not args.sources.is_dir():
        sys.exit("no seed texts: pass --sources DIR or set KG_SOURCES")
    seeds = [p.read_text(encoding="utf-8") for p in sorted(args.sources.glob("*.txt"))]
    unit = "\n\n".join(seeds) + "\n\n"
    reps = max(1, int(args.mb * 1e6 // len(unit.encode("utf-8"))) + 1)
    text = unit * reps
    size = len(text.encode("utf-8"))
    vocab = load_vocab()
    extract_text(unit, doc_id="warm-up", year=2023, city="shenyang", vocab=vocab)  # imports, tables

    t0, c0 = time.perf_counter(), time.process_time()
    draft = extract_text(text, doc_id="bench", year=2023, city="shenyang", vocab=vocab)
    t1, c1 = time.perf_counter(), time.process_time()
    data = to_yaml(draft)
    t2, c2 = time.perf_counter(), time.process_time()

    c = draft.counts()
    mb_s = size / 1e6 / (t1 - t0)
    cpu_mb_s = size / 1e6 / (c1 - c0)
    print(f"input: {len(seeds)} seed text(s) x {reps} = {size / 1e6:.1f} MB UTF-8, {len(text):,} characters")
    print(f"drafted: {c['goals']:,} goals, {c['measures']:,} measures, {c['statements']:,} statements, "
          f"{c['facilities']:,} facilities (distinct), {c['districts']:,} district mentions")
    print(f"extract: {t1 - t0:.2f} s = {mb_s:.2f} MB/s = {len(text) / (t1 - t0) / 1e6:.2f} M characters/s "
          f"({mb_s / GOAL_MB_S:.1f}x the {GOAL_MB_S:g} MB/s goal)")
    print(f"         CPU time {c1 - c0:.2f} s = {cpu_mb_s:.2f} MB/s ({cpu_mb_s / GOAL_MB_S:.1f}x the goal; wall time "
          "counts other processes on a shared machine, CPU time does not)")
    print(f"to_yaml: {t2 - t1:.2f} s (CPU {c2 - c1:.2f} s) for {len(data) / 1e6:.1f} MB of YAML")
    print(f"total:   {size / 1e6 / (t2 - t0):.2f} MB/s including YAML (CPU: {size / 1e6 / (c2 - c0):.2f} MB/s)")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} core(s)")


if __name__ == "__main__":
    main()
