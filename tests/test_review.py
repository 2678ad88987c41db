"""kg review without a browser: the file edits (only the reviewer's lines change, the result parses as the
change says), actions checked as `kg build` checks them, refusals that write nothing, conflicts, the counts
in document.review and what `kg extract --evaluate` makes of them, the server's guards."""

from __future__ import annotations

import difflib
import shutil
from decimal import Decimal

import pytest
import yaml

from kg.cli import cli
from kg.errors import RecordError
from kg.extract.draft import extract_text, to_yaml
from kg.extract.files import extract_file
from kg.records import Span, load_record
from kg.review.session import Conflict, Refused, load_review
from kg.review.yamledit import YamlText
from kg.sources import check_record, read_source

SEED = "003_6c8fb738ee7d04de"


@pytest.fixture(scope="module")
def draft_bytes(sources_dir) -> bytes:
    """`kg extract`'s draft of a seed text (drafted once per module)."""
    return to_yaml(extract_file(sources_dir / f"{SEED}.txt"))


@pytest.fixture()
def draft(tmp_path, sources_dir, draft_bytes):
    path = tmp_path / f"{SEED}.yaml"
    path.write_bytes(draft_bytes)
    shutil.copy(sources_dir / f"{SEED}.txt", tmp_path / f"{SEED}.txt")
    return path


def act(review, op, **kw):
    return review.act({"op": op, "version": review.state.version, **kw})


def changed_lines(before: str, after: str) -> list[str]:
    """The lines a diff shows as removed (-) and added (+) (no junk heuristics: common lines count)."""
    a, b = before.splitlines(), after.splitlines()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            out += ["-" + line for line in a[i1:i2]] + ["+" + line for line in b[j1:j2]]
    return out


def items(review, kind):
    return [i for i in review.state.items if i.kind == kind]


def test_edits_keep_every_other_line_and_parse_as_intended(draft):
    """YamlText against the parsed data changed the same way: set, add and remove keys, remove and insert
    items (first, middle, last, into an empty list), one commit."""
    text = draft.read_text("utf-8")
    data = yaml.safe_load(text)
    doc = YamlText(text)
    m0 = data["measures"][0]
    with_st = next(i for i, m in enumerate(data["measures"]) if len(m["statements"]) >= 1)
    empty = next(i for i, m in enumerate(data["measures"]) if not m["statements"])
    doc.set(("measures", 0), "label", "新的名称 \"引号\" #")
    doc.set(("measures", 0), "label_en", "A new label: with colon")
    doc.set(("measures", 0), "districts", ["浑南区", "和平区"])
    doc.set(("goals", 0), "ordinal", 7)
    doc.remove_key(("goals", 1), "parent")
    new_st = {"id": "x-1", "kind": "target", "value": Decimal("12.5"), "unit": "percent",
              "comparator": ["increase-by", "at-least"], "as_written": "12.5%", "span": [1, 3], "reviewed": True}
    doc.insert_item(("measures", empty, "statements"), 0, new_st, mark="added")
    doc.insert_item(("goals",), 0, {"id": "new-first", "label": "新", "parent": None, "span": [0, 1]})
    doc.remove_item(("goals",), len(data["goals"]) - 1)
    doc.set(("measures", with_st, "statements", 0), "reviewed", True)
    doc.mark(("measures", with_st, "statements", 0), "edited")
    doc.commit()

    m0.update(label="新的名称 \"引号\" #", label_en="A new label: with colon", districts=["浑南区", "和平区"])
    data["goals"][0]["ordinal"] = 7
    del data["goals"][1]["parent"]
    data["measures"][empty]["statements"] = [{**new_st, "value": 12.5}]
    data["goals"] = [{"id": "new-first", "label": "新", "parent": None, "span": [0, 1]}] + data["goals"][:-1]
    data["measures"][with_st]["statements"][0]["reviewed"] = True
    assert yaml.safe_load(doc.text) == data
    assert "        reviewed: true  # edited" in doc.text.splitlines()
    assert "        reviewed: true  # added" in doc.text.splitlines()
    # only the edited places changed: a new goal (4 lines), ordinal (+1), parent (-1), the removed last goal
    # (-6), label (-1 +1), label_en (+1), districts (-1 +1), reviewed (-1 +1), `statements: []` (-1) → a block (+9)
    assert len(changed_lines(text, doc.text)) == 4 + 1 + 1 + 6 + 2 + 1 + 2 + 2 + 1 + 9


def test_actions_are_saved_as_the_file_and_kg_build_want(draft):
    review = load_review(draft)
    before = draft.read_text("utf-8")
    goal = items(review, "goal")[0]
    act(review, "accept", item=goal.key)
    measure = next(m for m in items(review, "measure") if m.fields.get("facilities"))
    act(review, "edit", item=measure.key, fields={"category": "parks-greening", "label_en": "Parks"})
    facility = next(f for f in items(review, "facility") if f.id in measure.fields["facilities"])
    act(review, "reject", item=facility.key)  # its id leaves the measure too
    st = items(review, "statement")[0]
    st_span = Span(*st.span)
    view = act(review, "split", item=st.key)
    after = draft.read_text("utf-8")

    record = load_record(draft)
    check_record(record, read_source(draft.with_name(f"{SEED}.txt")))
    m = next(x for x in record.measures if x.id == measure.id)
    assert m.category == "parks-greening" and facility.id not in m.facilities
    assert facility.id not in {f.id for f in record.facilities}
    split = [s for x in record.measures for s in x.statements if s.span == st_span]
    assert sorted(s.comparators[-1] for s in split) == ["at-least", "at-most"], split
    c = view["counts"]
    assert (c["goal"]["accepted"], c["measure"]["edited"], c["facility"]["rejected"]) == (1, 1, 1)
    assert c["statement"]["edited"] == 1 and c["statement"]["added"] == 1
    assert record.document.review["facilities"]["rejected"] == 1
    # removed or replaced: the facility's lines, and one line per changed field
    lines = before.splitlines()
    start = lines.index(f'  - id: "{facility.id}"')
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    removed = sorted(line[1:] for line in changed_lines(before, after) if line.startswith("-"))
    touched = [line for line in lines if line.strip().startswith(("category:", "facilities:", "comparator:",
                                                                  "reviewed:"))]
    assert set(removed) - set(lines[start:end]) <= set(touched), (set(removed) - set(lines[start:end])) - set(touched)
    assert len(removed) == (end - start) + 1 + 1 + 1 + 3 + (st.fields["value"] != sorted(
        s.value for s in split)[0]) - ("label_en" in measure.fields)


def test_refused_changes_leave_the_file_alone(draft):
    review = load_review(draft)
    data = draft.read_bytes()
    version = review.state.version
    measure = items(review, "measure")[0]
    with pytest.raises(Refused) as e:
        act(review, "edit", item=measure.key, fields={"category": "no-such-category"})
    assert any("unknown category 'no-such-category'" in p for p in e.value.problems)
    parent = next(g for g in items(review, "goal") if any(m.fields.get("goal") == g.id for m in items(review, "measure")))
    with pytest.raises(Refused, match="still has"):
        act(review, "reject", item=parent.key)
    st = items(review, "statement")[0]
    with pytest.raises(Refused) as e:
        act(review, "span", item=st.key, span=[0, 2])
    assert any("does not contain as_written" in p for p in e.value.problems)
    with pytest.raises(Refused, match="no number"):
        act(review, "add", span=[0, 4])
    assert draft.read_bytes() == data and review.state.version == version


def test_a_change_on_disk_is_never_overwritten(draft):
    review = load_review(draft)
    theirs = draft.read_bytes() + b"# someone else\n"
    draft.write_bytes(theirs)
    with pytest.raises(Conflict):
        act(review, "accept", item=items(review, "goal")[0].key)
    assert draft.read_bytes() == theirs
    with pytest.raises(Conflict):  # a page that is behind
        review.act({"op": "accept", "version": "old", "item": items(review, "goal")[0].key})
    review.reload()
    act(review, "accept", item=items(review, "goal")[0].key)
    assert draft.read_text("utf-8").endswith("# someone else\n")


def test_review_counts_validated_and_evaluated(draft, runner, tmp_path):
    review = load_review(draft)
    statements = items(review, "statement")
    act(review, "accept", item=statements[0].key)
    act(review, "reject", item=statements[1].key)
    records = tmp_path / "records"
    records.mkdir()
    shutil.copy(draft, records / draft.name)
    result = runner.invoke(cli, ["extract", "--evaluate", "--records", str(records), "--sources", str(tmp_path)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith(SEED) and "statements" in line)
    assert row.split()[1:] == ["statements", str(len(statements)), "2", "1", "0", "1", "0", "0.500", "0.500"]
    assert "review in progress" in result.output

    bad = draft.read_text("utf-8").replace("statements: {drafted:", "statements: {drafted: -1, x:", 1)
    (records / draft.name).write_text(bad, "utf-8")
    with pytest.raises(RecordError) as e:
        load_record(records / draft.name)
    assert "document.review.statements" in str(e.value)


def test_server_guards(draft):
    from starlette.testclient import TestClient

    from kg.errors import InputError
    from kg.review.server import check_host, create_app

    app = create_app(load_review(draft), token="t0ken", hosts=("testserver",))
    client = TestClient(app)
    page = client.get("/")
    assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
    assert 'content="t0ken"' in page.text and "<script src=\"/static/review.js\"" in page.text
    assert client.get("/api/state").status_code == 403
    assert client.get("/api/state", headers={"X-KG-Token": "t0ken", "Host": "evil.example"}).status_code == 403
    state = client.get("/api/state", headers={"X-KG-Token": "t0ken"}).json()
    assert state["items"] and state["vocab"]["units"]
    r = client.post("/api/action", headers={"X-KG-Token": "t0ken"}, content=b"op=accept")
    assert r.status_code == 415
    assert client.get("/static/../session.py").status_code == 404
    with pytest.raises(InputError, match="allow-remote"):
        check_host("0.0.0.0", False)
    check_host("0.0.0.0", True)


def test_the_document_is_an_item_too(tmp_path):
    """Its fields are edited like an item's; document.reviewed turns true when no item is left."""
    text = "一、建设公园\n在浑南区新建口袋公园12个，改造老旧小区30个。\n"
    (tmp_path / "example.txt").write_text(text, "utf-8")
    draft = tmp_path / "example.yaml"
    draft.write_bytes(to_yaml(extract_text(text, doc_id="example", city="shenyang", year=2025, data=text.encode())))
    review = load_review(draft)
    assert review.view()["items"][0]["key"] == "document"
    with pytest.raises(Refused) as e:
        act(review, "edit", item="document", fields={"year": "二〇二三"})
    assert any("document.year" in p for p in e.value.problems)
    act(review, "edit", item="document", fields={"publisher": "沈阳日报"})
    for op in ("reject", "accept"):
        with pytest.raises(Refused):
            act(review, op, item="document")
    record = load_record(draft)
    assert record.document.publisher == "沈阳日报" and not record.document.reviewed
    left = [i.key for i in review.state.items if not i.reviewed]
    assert len(left) >= 4
    for key in left:
        act(review, "accept", item=key)
    assert load_record(draft).document.reviewed
