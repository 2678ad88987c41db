"""Rule-based extractor: a Chinese policy text → a draft record file with spans (docs/extract.md).

Library entry points: `extract_text` (text → Draft), `to_yaml` (Draft → record file bytes), `extract_file`
and `extract_dir` (files, atomically written), `evaluate` (drafts of the seed texts vs the curated records).
The rules are tables (kg/extract/tables.py) applied by small modules: numbers, structure, places, classify.
"""

from .draft import Draft, extract_text, to_yaml
from .evaluate import evaluate
from .files import extract_dir, extract_file, read_input, write_draft
from .numbers import Quantity, find_quantities, parse_number

__all__ = ["Draft", "Quantity", "evaluate", "extract_dir", "extract_file", "extract_text", "find_quantities",
           "parse_number", "read_input", "to_yaml", "write_draft"]
