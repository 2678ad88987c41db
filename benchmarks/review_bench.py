"""kg review: CPU time of one change to a national draft, kg.review.yamledit (edit the text at the composer's
node positions) against a round trip through ruamel.yaml (the alternative considered; not a dependency: the
comparison is skipped when it is not installed). Prints the ratio and the load.

    python benchmarks/review_bench.py [TEXT]     # default: prc-2024.txt among the source texts
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

from kg import paths
from kg.extract.draft import extract_text, to_yaml
from kg.review.yamledit import YamlText
from kg.sources import SourceFinder


def cpu(fn, rounds: int) -> float:
    start = time.process_time()
    for _ in range(rounds):
        fn()
    return (time.process_time() - start) / rounds


def main() -> None:
    text_file = Path(sys.argv[1]) if len(sys.argv) > 1 else SourceFinder(paths.default_sources()).find("prc-2024")
    text = text_file.read_text("utf-8")
    draft = to_yaml(extract_text(text, doc_id=text_file.stem, data=text_file.read_bytes())).decode("utf-8")
    print(f"draft of {text_file.name}: {draft.count(chr(10)):,} lines")

    def yamledit():
        doc = YamlText(draft)
        doc.set(("goals", 3), "reviewed", True)
        doc.mark(("goals", 3), "edited")
        doc.commit()

    ours = cpu(yamledit, 5)
    print(f"kg.review.yamledit: {ours:.3f} s CPU per change")
    try:
        from ruamel.yaml import YAML
    except ImportError:
        print("ruamel.yaml is not installed: no comparison")
        return
    y = YAML()
    y.preserve_quotes, y.width = True, 10**6
    y.indent(mapping=2, sequence=4, offset=2)
    y.representer.add_representer(type(None), lambda r, d: r.represent_scalar("tag:yaml.org,2002:null", "null"))

    def ruamel():
        doc = y.load(draft)
        doc["goals"][3]["reviewed"] = True
        y.dump(doc, io.StringIO())

    theirs = cpu(ruamel, 2)
    print(f"ruamel.yaml round trip: {theirs:.3f} s CPU per change ({theirs / ours:.1f}x kg.review.yamledit)")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} core(s)")


if __name__ == "__main__":
    main()
