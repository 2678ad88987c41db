"""A synthetic corpus: record files, the source texts they point into, and gazetteers for made-up cities.

It exists so that the whole pipeline (load → build → validate → export → query) can be run and measured at
10k … 5M triples. Every document is generated from its own `random.Random` seeded by (seed, city, year), so a
corpus is byte-identical for a seed, and growing `--cities`/`--years` keeps the documents already generated.

The texts are written from short templates and the vocabularies in data/vocab (never from real reports); the
records follow docs/records.md exactly and their spans are computed while the text is written, so `kg build
--records DIR/records --sources DIR/sources` checks every span like it does for curated records.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from . import paths
from .divisions import divisions as division_table
from .errors import InputError
from .export import commit_files
from .vocab import Division, Gazetteer, Vocab, load_gazetteer, load_vocab

#: Average triples one synthetic document adds (measured; `--triples` divides by it).
TRIPLES_PER_DOC = 4600
#: Years a `--triples` corpus spans before it adds cities.
DEFAULT_YEARS = 10
LAST_YEAR = 2024

# Syllables for made-up place names: (characters, pinyin). Keys are made unique by the generator.
_SYLLABLES = [
    ("云", "yun"), ("河", "he"), ("青", "qing"), ("山", "shan"), ("安", "an"), ("平", "ping"), ("宁", "ning"),
    ("江", "jiang"), ("兴", "xing"), ("德", "de"), ("华", "hua"), ("明", "ming"), ("阳", "yang"), ("林", "lin"),
    ("泉", "quan"), ("台", "tai"), ("丰", "feng"), ("源", "yuan"), ("川", "chuan"), ("湖", "hu"), ("桥", "qiao"),
    ("庄", "zhuang"), ("海", "hai"), ("城", "cheng"), ("永", "yong"), ("长", "chang"), ("松", "song"),
    ("柳", "liu"), ("石", "shi"), ("金", "jin"), ("玉", "yu"), ("白", "bai"), ("望", "wang"), ("凤", "feng"),
    ("龙", "long"), ("岭", "ling"), ("塘", "tang"), ("溪", "xi"), ("峰", "feng"), ("原", "yuan"),
]
MAX_CITIES = 1000
_CN_NUM = "一二三四五六七八九十"

# Verbs a measure starts with: zh, en.
_VERBS = [("新建", "Build"), ("改造", "Renovate"), ("建设", "Develop"), ("新增", "Add"), ("打造", "Create"),
          ("实施", "Carry out"), ("推进", "Advance"), ("完成", "Complete"), ("培育", "Foster"), ("提升", "Improve")]
# Categories named by a process (…改造, …建设) take a verb of doing, not of making.
_PROCESS_NOUNS = ("改造", "建设", "整治", "更新", "转型", "发展", "改革", "治理", "增长", "投入", "排放", "保障",
                  "服务", "转化", "合作", "规划", "救助", "安全", "就业", "振兴", "标准", "诈骗", "检查", "能耗")
_PROCESS_VERBS = [("推进", "Advance"), ("实施", "Carry out"), ("加快", "Speed up"), ("深化", "Deepen"),
                  ("开展", "Conduct")]
_AREA_VERBS = ["加快推进", "全面提升", "持续深化", "着力加强", "大力发展", "扎实推进", "统筹推进"]
_AREA_TAILS = ["", "工作", "水平", "建设", "质量"]

# Units by the kind of thing a category counts; anything else counts items (个).
_UNITS_BY_CATEGORY = {
    "old-residential-compounds": ["ge"], "back-alleys": ["tiao"], "street-renewal": ["tiao", "km"],
    "pocket-parks": ["ge", "zuo"], "parks-greening": ["ge", "km", "m2"], "gas-pipelines": ["km"],
    "heating-pipelines": ["km"], "water-pipelines": ["km"], "utility-pipelines": ["km"], "rural-roads": ["km"],
    "bus-routes": ["tiao"], "rail-transit": ["km", "tiao"], "parking": ["ge"], "housing-support": ["tao", "hu"],
    "elderly-care": ["ge", "person"], "home-elderly-care-beds": ["zhang"], "education": ["suo", "ge"],
    "school-bus": ["tiao", "person"], "employment": ["person"], "investment-projects": ["ge", "xiang", "yuan"],
    "innovation": ["jia"], "private-enterprises": ["jia", "hu"], "technology-transfer": ["yuan", "xiang"],
    "culture-venues": ["ge", "chu"], "health-screening": ["person"], "minimum-living-allowance": ["yuan-per-person-month"],
    "extreme-poverty-support": ["yuan-per-person-month"], "orphan-support": ["yuan-per-person-month"],
    "business-environment": ["working-day", "xiang"], "fitness-facilities": ["chu", "ge"], "tourism": ["ge", "person"],
    "foreign-trade": ["yuan"], "social-insurance": ["person"], "worker-welfare": ["ge"],
    "outdoor-worker-stations": ["ge"], "village-environment": ["ge"], "environment": ["km2", "ge"],
    "air-quality": ["day", "percent"], "green-development": ["jia", "percent"], "grid-governance": ["ge"],
}
_INDICATORS = ["gdp-growth", "budget-revenue", "fixed-asset-investment", "retail-sales", "industrial-value-added",
               "income-growth", "rd-expenditure", "energy-intensity", "emissions"]
_LIVELIHOOD = ["old-residential-compounds", "back-alleys", "pocket-parks", "parking", "housing-support",
               "elderly-care", "home-elderly-care-beds", "health-screening", "school-bus", "education",
               "outdoor-worker-stations", "minimum-living-allowance", "fitness-facilities", "culture-venues",
               "gas-pipelines", "heating-pipelines", "water-pipelines", "bus-routes", "employment", "anti-fraud"]
_AREA_CATEGORIES = ["economic-development", "innovation", "urban-renewal", "transport", "rural-revitalisation",
                    "green-development", "environment", "education", "elderly-care", "public-health",
                    "social-assistance", "business-environment", "foreign-trade", "culture-venues", "tourism",
                    "employment", "public-safety", "metropolitan-area", "digital-transformation",
                    "government-self-improvement", "soe-reform", "county-economy", "housing-support"]


@dataclass(frozen=True)
class Plan:
    """Which documents a synthetic corpus holds: every (city, year) pair."""

    cities: int
    years: int
    seed: int = 0

    @property
    def year_range(self) -> range:
        return range(LAST_YEAR - self.years + 1, LAST_YEAR + 1)

    @property
    def documents(self) -> int:
        return self.cities * self.years


def plan_for_triples(triples: int, seed: int = 0, years: int | None = None) -> Plan:
    """The smallest cities × years plan of about `triples` triples (±10%: document sizes vary)."""
    docs = max(1, round(triples / TRIPLES_PER_DOC))
    if years is None:  # ten years a city, the years stretched or shrunk so that cities × years ≈ docs
        cities = max(1, round(docs / DEFAULT_YEARS))
        years = max(1, min(LAST_YEAR - 1949, round(docs / cities)))
        return Plan(cities, years, seed)
    return Plan(max(1, round(docs / years)), years, seed)


@dataclass(frozen=True)
class SynthResult:
    out_dir: Path
    plan: Plan
    records: int
    statements: int
    files: int

    @property
    def records_dir(self) -> Path:
        return self.out_dir / "records"

    @property
    def sources_dir(self) -> Path:
        return self.out_dir / "sources"

    @property
    def gazetteer_dir(self) -> Path:
        return self.out_dir / "gazetteer"


# ---------------------------------------------------------------------------------------------------------------
# Gazetteers


def synth_gazetteers(n: int, seed: int) -> list[Gazetteer]:
    """Shenyang (the real gazetteer) followed by n-1 made-up cities with unique keys and names."""
    if not 1 <= n <= MAX_CITIES:
        raise InputError(f"--cities {n}: choose 1 to {MAX_CITIES} cities")
    out = [load_gazetteer(paths.GAZETTEERS / "shenyang.yaml")]
    rng = random.Random(f"kg-synth/{seed}/gazetteers")
    used_keys = {out[0].city.key, *(d.key for d in out[0].divisions)}
    used_city_names = {out[0].city.zh}
    real = division_table()
    while len(out) < n:
        zh, key = _name(rng, 2)
        if zh + "市" in used_city_names or key in used_keys or real.of_gazetteer(key, zh + "市"):
            continue  # (the last: a real city's key and name, so kg would mint the real one, not these districts)
        used_city_names.add(zh + "市")
        used_keys.add(key)
        city = Division(key, zh + "市", f"{key.capitalize()} (synthetic)", "city", (zh,))
        divisions, names = [], set()
        for j in range(rng.randint(6, 14)):
            kind = "district" if j < 5 else rng.choice(["district", "district", "county", "county-level-city"])
            dzh, dkey = _name(rng, 2)
            dkey = f"{key}-{dkey}"
            if dzh in names or dzh == zh or dkey in used_keys:
                continue
            names.add(dzh)
            used_keys.add(dkey)
            suffix, en = {"district": ("区", "District"), "county": ("县", "County"),
                          "county-level-city": ("市", "")}[kind]
            divisions.append(Division(dkey, dzh + suffix, f"{dkey.split('-', 1)[1].capitalize()} {en}".strip(),
                                      kind, (dzh,)))
        by_name = {}
        for d in (city, *divisions):
            for name in (d.zh, d.key, *d.short):
                by_name[name] = d
        out.append(Gazetteer(city, tuple(divisions), by_name))
    return out


def _name(rng: random.Random, n: int) -> tuple[str, str]:
    parts = rng.sample(_SYLLABLES, n)
    return "".join(p[0] for p in parts), "".join(p[1] for p in parts)


def gazetteer_yaml(g: Gazetteer) -> str:
    lines = [f"# Synthetic gazetteer ({'real' if g.city.key == 'shenyang' else 'made-up'} city) written by kg synth.",
             "city:", f"  key: {g.city.key}", f"  zh: {g.city.zh}", f"  en: {_q(g.city.en)}",
             f"  short: [{', '.join(g.city.short)}]", "divisions:"]
    for d in g.divisions:
        lines.append(f"  - {{key: {d.key}, zh: {d.zh}, en: {_q(d.en)}, kind: {d.kind}, "
                     f"short: [{', '.join(d.short)}]}}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Documents


class _Text:
    """A text being written; `add` returns the code-point span of what it appended."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.n = 0

    def add(self, s: str) -> list[int]:
        start = self.n
        self.parts.append(s)
        self.n += len(s)
        return [start, self.n]

    def text(self) -> str:
        return "".join(self.parts)


def _number(rng: random.Random, unit: str) -> tuple[Decimal, str]:
    """A realistic value for a unit and the way a report writes it (万/亿 for large amounts)."""
    if unit == "percent":
        v = Decimal(rng.randint(5, 150)) / 10
        return v, f"{v}%"
    if unit == "yuan":
        yi = rng.choice([1, 2, 5, 10, 20, 30, 50, 100, 150, 300])
        return Decimal(yi) * 100_000_000, f"{yi}亿元"
    if unit == "yuan-per-person-month":
        v = rng.randrange(600, 1500, 10)
        return Decimal(v), f"{v}元/人月"
    if unit in ("km", "km2"):
        v = Decimal(rng.randint(10, 3000)) / 10
        return v, f"{v}{'公里' if unit == 'km' else '平方公里'}"
    if unit == "m2":
        wan = rng.randint(1, 300)
        return Decimal(wan * 10_000), f"{wan}万平方米"
    if unit in ("day", "working-day"):
        v = rng.randint(1, 30)
        return Decimal(v), f"{v}{'天' if unit == 'day' else '个工作日'}"
    alias = {"ge": "个", "tiao": "条", "hu": "户", "zhang": "张", "tao": "套", "suo": "所", "jia": "家",
             "zuo": "座", "chu": "处", "xiang": "项", "jian-item": "件", "person": "人", "times": "次"}[unit]
    v = max(1, int(math.exp(rng.gauss(4.0, 1.4))))
    if v >= 10_000:
        wan = Decimal(round(v / 1000)) / 10
        return wan * 10_000, f"{wan.normalize():f}万{alias}"
    return Decimal(v), f"{v}{alias}"


def _clause(rng: random.Random, kind: str, unit: str) -> tuple[list[str], Decimal, str, str | list[str]]:
    """(words before the number, value, as_written, comparator) of one quantified clause."""
    value, written = _number(rng, unit)
    if kind == "indicator" or unit == "percent":
        comp = rng.choice([["increase-by", "at-least"], "increase-by", "increase-by", "at-least", "decrease-by"])
        lead = {"decrease-by": "下降", "at-least": "达到"}.get(comp if isinstance(comp, str) else "", "增长")
        tail = "以上" if comp == ["increase-by", "at-least"] else ""
        return [lead, written, tail], value, written, comp
    comp = rng.choices(["exactly", "at-least", "approximately", "at-most"], [80, 12, 5, 3])[0]
    lead = {"exactly": rng.choice(["", "达到", "共"]), "at-least": "不少于", "approximately": "约",
            "at-most": "控制在"}[comp]
    tail = {"at-most": "以内"}.get(comp, "")
    return [lead, written, tail], value, written, comp


def synth_document(gaz: Gazetteer, year: int, seed: int, vocab: Vocab,
                   city_facilities: list[tuple[str, str, str, str | None]]) -> tuple[str, str, dict]:
    """(doc id, source text, record as a dict in the docs/records.md shape) of one city-year report."""
    rng = random.Random(f"kg-synth/{seed}/{gaz.city.key}/{year}")
    cats = vocab.categories
    doc_id = f"synth-{gaz.city.key}-{year}"
    slug = f"{gaz.city.key}-{year}-synth"
    t = _Text()
    goals: list[dict] = []
    measures: list[dict] = []
    facilities: dict[str, dict] = {}
    mentions: list[dict] = []
    title = f"{year}年{gaz.city.zh}政府工作报告要点（合成）"
    t.add(f"# {title}\n\n")
    t.add(f"本文由kg synth生成，用于测试。{gaz.city.zh}{year}年政府工作报告要点如下。\n\n")

    def measure(goal_id: str, cat_key: str, kind: str | None, stmt_year: int) -> None:
        cat = cats[cat_key]
        verb, verb_en = rng.choice(_PROCESS_VERBS if cat.zh.endswith(_PROCESS_NOUNS) else _VERBS)
        label = (verb + cat.zh)[:30]
        districts = []
        if gaz.divisions and rng.random() < 0.3:
            districts = rng.sample(gaz.divisions, 1 if rng.random() < 0.85 else min(3, len(gaz.divisions)))
            t.add("在" + "、".join(d.zh for d in districts))
        m = {"id": f"m-{len(measures) + 1:03d}", "goal": goal_id, "label": label,
             "label_en": f"{verb_en} {cat.en}" if rng.random() < 0.5 else None, "category": cat_key,
             "districts": [d.zh for d in districts], "facilities": [], "span": t.add(label), "statements": []}
        if city_facilities and rng.random() < 0.15:
            fid, flabel, ftype, fdistrict = rng.choice(city_facilities)
            t.add("，重点建设")
            span = t.add(flabel)
            m["facilities"].append(fid)
            if fid not in facilities:
                facilities[fid] = {"id": fid, "label": flabel, "type": ftype, "district": fdistrict, "span": span}
        if kind:
            for _ in range(1 if rng.random() < 0.85 else 2):
                unit = "percent" if kind == "indicator" else rng.choice(_UNITS_BY_CATEGORY.get(cat_key, ["ge"]))
                words, value, written, comp = _clause(rng, kind, unit)
                t.add("，")
                start = t.add(words[0])[0]
                t.add(words[1])
                end = t.add(words[2])[1]
                st = {"kind": "target" if kind == "indicator" else kind, "value": value, "unit": unit, "comparator": comp, "as_written": written,
                      "span": [start, end]}
                if stmt_year != year:
                    st["year"] = stmt_year
                m["statements"].append(st)
        t.add("。\n")
        measures.append(m)

    def goal(gid: str, label: str, parent: str | None, ordinal: int | None, prefix: str, label_en: str | None = None):
        t.add(prefix)
        goals.append({"id": gid, "label": label[:30], "label_en": label_en, "parent": parent, "ordinal": ordinal,
                      "span": t.add(label[:30])})
        t.add("\n")

    # 1. the livelihood programme: N numbered items, most with a target
    items = rng.sample(_LIVELIHOOD, rng.randint(8, 14))
    goal("ls", f"{len(items)}件民生实事", None, None, "## ", f"{len(items)} livelihood projects")
    for i, key in enumerate(items, 1):
        goal(f"ls-{i:02d}", f"{rng.choice(_AREA_VERBS)}{cats[key].zh}", "ls", i, f"### {i}. ",
             cats[key].en.capitalize() if rng.random() < 0.6 else None)
        for _ in range(rng.randint(1, 3)):
            measure(f"ls-{i:02d}", key, "target" if rng.random() < 0.8 else None, year)
    # 2. the headline indicators
    goal("indicators", "主要预期目标", None, None, "\n## ", "Main expected targets")
    for key in rng.sample(_INDICATORS, rng.randint(5, len(_INDICATORS))):
        measure("indicators", key, "indicator", year)
    # 3. the work programme: areas with numbered sub-goals
    areas = rng.sample(_AREA_CATEGORIES, rng.randint(7, 11))
    goal("work", f"{year}年重点工作", None, None, "\n## ", f"Key work for {year}")
    for i, key in enumerate(areas, 1):
        gid = f"wa-{i:02d}"
        goal(gid, f"{rng.choice(_AREA_VERBS)}{cats[key].zh}{rng.choice(_AREA_TAILS)}", "work", i,
             f"### {_CN_NUM[i - 1] if i <= 10 else i}、", cats[key].en.capitalize() if rng.random() < 0.5 else None)
        narrower = [c.key for c in cats.values() if c.broader == key] or [key]
        for j in range(1, rng.randint(3, 6)):
            sub = rng.choice(narrower)
            goal(f"{gid}-{j}", f"{rng.choice(_AREA_VERBS)}{cats[sub].zh}", gid, j, f"（{_CN_NUM[j - 1]}）")
            for _ in range(rng.randint(1, 4)):
                measure(f"{gid}-{j}", rng.choice(narrower), "target" if rng.random() < 0.35 else None, year)
    # 4. a review of last year's work: outcomes
    goal("review", f"{year - 1}年工作回顾", None, None, "\n## ", f"Review of {year - 1}")
    for i, key in enumerate(rng.sample(_AREA_CATEGORIES, rng.randint(4, 7)), 1):
        goal(f"review-{i}", f"{cats[key].zh}取得新进展", "review", i, f"### {i}. ")
        for _ in range(rng.randint(1, 3)):
            measure(f"review-{i}", key, "outcome" if rng.random() < 0.6 else None, year - 1)
    # 5. districts named outside measures
    if gaz.divisions:
        t.add("\n")
        for d in rng.sample(gaz.divisions, min(len(gaz.divisions), rng.randint(1, 4))):
            t.add("支持")
            mentions.append({"district": d.zh, "span": t.add(d.zh)})
            t.add("加快发展。\n")

    text = t.text()
    record = {
        "document": {"id": doc_id, "slug": slug, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                     "chars": len(text), "title": {"zh": title, "en": f"Synthetic government work report: "
                                                                       f"{gaz.city.key} {year}"},
                     "date": f"{year}-01-{rng.randint(5, 28):02d}", "publisher": f"{gaz.city.zh}人民政府（合成）",
                     "city": gaz.city.key, "year": year, "reviewed": False},
        "goals": goals, "measures": measures, "facilities": list(facilities.values()),
        "district_mentions": mentions,
    }
    return doc_id, text, record


def city_facilities(gaz: Gazetteer, seed: int, vocab: Vocab) -> list[tuple[str, str, str, str | None]]:
    """A city's named places (id, label, type, district), shared by all its years like real landmarks."""
    rng = random.Random(f"kg-synth/{seed}/{gaz.city.key}/facilities")
    types = [f for f in vocab.facility_types.values() if f.suffixes]
    out, labels = [], set()
    for i in range(rng.randint(15, 40)):
        ftype = rng.choice(types)
        zh, _ = _name(rng, 2)
        label = zh + rng.choice(ftype.suffixes)
        if label in labels:
            continue
        labels.add(label)
        district = rng.choice(gaz.divisions).zh if gaz.divisions and rng.random() < 0.7 else None
        out.append((f"{gaz.city.key}-facility-{i + 1:03d}", label, ftype.key, district))
    return out


# ---------------------------------------------------------------------------------------------------------------
# YAML output (hand-written: flow mappings for short items, JSON-quoted strings, so files load fast and exactly)


def _q(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_q(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _flow(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {_q(v)}" for k, v in d.items() if v is not None or k == "parent") + "}"


def record_yaml(record: dict) -> str:
    d = record["document"]
    lines = ["# Synthetic record written by `kg synth` (not a real report): facts and offsets only.", "document:"]
    for key in ("id", "slug", "sha256", "chars"):
        lines.append(f"  {key}: {_q(d[key])}")
    lines.append(f"  title: {_flow(d['title'])}")
    for key in ("date", "publisher", "city", "year", "reviewed"):
        lines.append(f"  {key}: {_q(d[key])}")
    lines += ["", "goals:"]
    lines += [f"  - {_flow(g)}" for g in record["goals"]]
    lines += ["", "measures:"]
    for m in record["measures"]:
        lines.append(f"  - id: {_q(m['id'])}")
        for key in ("goal", "label", "label_en", "category", "districts", "facilities", "span"):
            if m[key] is not None:
                lines.append(f"    {key}: {_q(m[key])}")
        if m["statements"]:
            lines.append("    statements:")
            lines += [f"      - {_flow(s)}" for s in m["statements"]]
        else:
            lines.append("    statements: []")
    lines += ["", "facilities:" + ("" if record["facilities"] else " []")]
    lines += [f"  - {_flow(f)}" for f in record["facilities"]]
    lines += ["", "district_mentions:" + ("" if record["district_mentions"] else " []")]
    lines += [f"  - {_flow(m)}" for m in record["district_mentions"]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------


def synthesize(plan: Plan, out_dir: Path, *, vocab: Vocab | None = None,
               progress: Callable[[int], None] | None = None) -> SynthResult:
    """Write DIR/records/*.yaml, DIR/sources/*.txt and DIR/gazetteer/*.yaml for every (city, year) of a plan.

    All files are staged and committed together (no partial corpus). `progress(n)` is told of each document.
    """
    vocab = vocab or load_vocab()
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "synth.json").is_file():
        raise InputError(f"{out_dir}: exists and is not a kg synth directory (no synth.json); choose an empty "
                         "or new directory")
    files: list[tuple[Path, bytes]] = []
    statements = 0
    for gaz in synth_gazetteers(plan.cities, plan.seed):
        files.append((out_dir / "gazetteer" / f"{gaz.city.key}.yaml", gazetteer_yaml(gaz).encode("utf-8")))
        places = city_facilities(gaz, plan.seed, vocab)
        for year in plan.year_range:
            doc_id, text, record = synth_document(gaz, year, plan.seed, vocab, places)
            statements += sum(len(m["statements"]) for m in record["measures"])
            files.append((out_dir / "sources" / f"{doc_id}.txt", text.encode("utf-8")))
            files.append((out_dir / "records" / f"{doc_id}.yaml", record_yaml(record).encode("utf-8")))
            if progress:
                progress(1)
    manifest = {"generator": "kg synth", "cities": plan.cities, "years": plan.years, "seed": plan.seed,
                "first_year": plan.year_range[0], "last_year": plan.year_range[-1], "documents": plan.documents,
                "statements": statements}
    files.append((out_dir / "synth.json", (json.dumps(manifest, indent=2) + "\n").encode("utf-8")))
    commit_files(files)
    # A smaller corpus written over a bigger one: drop the documents and cities it no longer has.
    written = {path for path, _ in files}
    for sub in ("records", "sources", "gazetteer"):
        for stale in sorted((out_dir / sub).glob("*")):
            if stale.is_file() and stale not in written and stale.suffix in (".yaml", ".txt"):
                stale.unlink()
    return SynthResult(out_dir, plan, plan.documents, statements, len(files))
