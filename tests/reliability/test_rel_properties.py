"""Property-based tests (hypothesis): the record loader fails only with RecordError and whatever it accepts the
build can write as well-formed exports; the number normaliser is exact; the extractor never crashes on edited
report texts and its drafts load."""

from __future__ import annotations

import copy
import tempfile
import xml.dom.minidom
from decimal import Decimal
from pathlib import Path

import cn2an
import yaml
from conftest import one_record_project, require
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg import paths
from kg.build import build_graph
from kg.doctor import DOC_ID, RECORD_NAME, SOURCE_TEXT, dump_record, good_record
from kg.errors import RecordError, SourceError
from kg.export import serialize
from kg.extract import extract_text, find_quantities, parse_number, to_yaml
from kg.extract.numbers import FULLWIDTH, format_value
from kg.extract.tables import unit_table
from kg.records import load_record, load_records
from kg.sources import SourceText, check_record, load_sources
from kg.vocab import load_vocab

VOCAB = load_vocab()
TABLE = unit_table(VOCAB)
RECORD_KEYS = ["document", "goals", "measures", "facilities", "district_mentions", "id", "slug", "sha256", "chars",
               "title", "zh", "en", "date", "publisher", "city", "year", "reviewed", "label", "label_en", "parent",
               "ordinal", "span", "goal", "category", "districts", "statements", "kind", "value", "unit",
               "comparator", "as_written", "note", "type", "district"]
WORDS = ["shenyang", "浑南区", "浑南", "target", "ge", "exactly", "at-least", "pocket-parks", "museum", "plan", "parks",
         "2030", "12个", "", " ", "\x00", "\ud800", "<script>", "1e999", "-1", "NaN", ".inf", "~", "null", "&a", "*a"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.sampled_from(WORDS))
keys = st.one_of(st.sampled_from(RECORD_KEYS), st.text(max_size=6), st.integers(-3, 3))
docs = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(keys, inner, max_size=5)), max_leaves=25)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_or_record_error(data: bytes | str):
    """load_record on a file with these contents: a Record, or None when it raised RecordError."""
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / RECORD_NAME
        p.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
        try:
            return load_record(p, VOCAB)
        except RecordError as e:
            assert e.problems and all(isinstance(x, str) and x for x in e.problems)
            assert str(p) in str(e)  # every message names the file
            return None


@SETTINGS
@given(docs)
def test_any_yaml_document_loads_or_is_a_record_error(doc):
    load_or_record_error(yaml.safe_dump(doc, allow_unicode=True))


@SETTINGS
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300),
                 st.lists(st.sampled_from(["document:", "\n", "  ", "- ", "[", "]", "{", "}", ": ", "&x ", "*x",
                                           "? ", "!!python/object:os.system", "'", '"', "#", "---", "...", "\t",
                                           "\ufeff", "span: [1, 2]", "id: x", "%YAML 1.1"]),
                          max_size=40).map("".join)))
def test_any_text_loads_or_is_a_record_error(text):
    load_or_record_error(text)


@st.composite
def mutated_records(draw):
    """The good record with one value somewhere replaced by anything, or one key removed."""
    data = copy.deepcopy(good_record())
    node = data  # walk down to a random (container, key) and change what is there
    while True:
        key = (draw(st.sampled_from(sorted(node, key=str))) if isinstance(node, dict)
               else draw(st.integers(0, len(node) - 1)))
        child = node[key]
        if not isinstance(child, dict | list) or not child or draw(st.booleans()):
            break
        node = child
    if isinstance(node, dict) and draw(st.integers(0, 5)) == 0:
        del node[key]
    else:
        node[key] = draw(like(node[key]) if draw(st.integers(0, 3)) else docs)
    return data


def like(value):
    """Values of the same shape as `value` (so that many mutated records still load)."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(-2, 10**6)
    if isinstance(value, str):
        return st.one_of(st.text(max_size=30), st.sampled_from(WORDS))
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return st.lists(st.integers(-2, 80), min_size=1, max_size=3)
    if isinstance(value, list):
        return st.lists(st.sampled_from(WORDS), max_size=3)
    return st.one_of(st.none(), st.text(max_size=10))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_records())
def test_what_the_loader_accepts_the_build_writes(data):
    """A record the loader accepts (and whose spans match the text) becomes a graph every export format writes,
    and the XML ones are well-formed."""
    with one_record_project(data) as (records, sources):
        try:
            corpus = load_records(records, VOCAB)
            texts = load_sources(sources, corpus)
        except (RecordError, SourceError):
            return
        graph = build_graph(corpus, sources=texts)
        for fmt in ("turtle", "nt", "rdfxml", "jsonld", "graphml", "trig", "csv"):
            out = serialize(graph, fmt)
            if fmt in ("rdfxml", "graphml"):
                xml.dom.minidom.parseString(out)


# --------------------------------------------------------------------------------------------------------
# The number normaliser


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**15))
def test_arabic_integers_in_every_spelling(n):
    assert parse_number(str(n)) == n
    assert parse_number(f"{n:,}") == n
    assert parse_number(str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))) == n
    assert parse_number(f" {n}% ") == n
    assert parse_number(f"百分之{n}") == n
    assert parse_number(f"{n}万") == n * 10_000
    assert parse_number(f"{n}亿") == n * 10**8
    assert format_value(parse_number(str(n))) == str(n)


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_decimals_are_exact(d):
    written = format(d, "f")
    assert parse_number(written) == d
    assert parse_number(written + "万") == d * 10_000
    assert Decimal(format_value(parse_number(written))) == d  # no binary floating point anywhere


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 99_999_999))
def test_chinese_numerals(n):
    written = cn2an.an2cn(n)
    value = parse_number(written)
    assert value == n or (value is None and len(written) > 12), (written, value)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789,.%万亿千百十一二两三四五六七八九零〇百分之０１２．％ -+e"), max_size=20))
def test_number_like_text_never_raises(text):
    value = parse_number(text)
    assert value is None or value.is_finite()
    if value is not None and "," not in text and not set(text) & set("万亿千百十一二两三四五六七八九零〇"):
        plain = text.strip().translate(FULLWIDTH).removesuffix("%").removeprefix("百分之")
        assert value == Decimal(plain)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**12), st.sampled_from(["", "万", "亿"]), st.booleans())
def test_a_quantity_in_a_sentence_is_found_with_its_value(n, mult, commas):
    written = (f"{n:,}" if commas else str(n)) + mult + "个"
    text = f"新建口袋公园{written}。"
    found, _ = find_quantities(text, TABLE)
    value = Decimal(n) * {"": 1, "万": 10_000, "亿": 10**8}[mult]
    if value >= Decimal("1e18"):
        assert found == []
        return
    assert [(q.value, q.unit, q.as_written) for q in found] == [(value, "ge", written)]
    assert text[found[0].start:found[0].end] == written


# --------------------------------------------------------------------------------------------------------
# The extractor on edited real texts


def seed_texts() -> list[str]:
    found = paths.default_seeds()
    require(found is not None and found.is_dir(), "source texts not found: set KG_SOURCES or ../shared/seeds")
    return [p.read_text(encoding="utf-8") for p in sorted(found.glob("*.txt"))]


EDITS = st.lists(st.tuples(st.sampled_from(["insert", "delete", "swap"]), st.floats(0, 1), st.floats(0, 1),
                           st.one_of(st.text(max_size=6), st.sampled_from(
                               ["\n", "。", "、", "一、", "（二）", "万", "%", "以上", "个", "12", "９", "\ufeff", "\x00",
                                "\r\n", "<b>", "浑南", "百分之", "1,2"]))), max_size=12)


def edit(text: str, edits) -> str:
    for op, a, b, piece in edits:
        i, j = sorted((int(a * len(text)), int(b * len(text))))
        if op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "delete":
            text = text[:i] + text[i:min(j, i + 200)]
        else:
            text = text[i:j] + text[:i] + text[j:]
    return text


def test_extractor_on_edited_seed_texts():
    texts = seed_texts()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(range(len(texts))), st.floats(0, 1), st.integers(50, 1500), EDITS)
    def check(which, where, length, edits):
        full = texts[which]
        start = int(where * max(0, len(full) - length))
        text = edit(full[start:start + length], edits)
        draft = extract_text(text, doc_id="edited", year=2030, city="shenyang", vocab=VOCAB)
        data = to_yaml(draft)
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "edited.yaml"
            p.write_bytes(data)
            record = load_record(p, VOCAB)
        assert check_record(record, SourceText("edited", p, text, draft.document.sha256)) == []

    check()
