"""The dataset description for open-data portals: exports/catalog.ttl, DCAT-AP 3 + VoID.

`build_catalog(graph, files)` describes the data graph (VoID statistics, class partitions, temporal and
spatial coverage) and every export file (one dcat:Distribution each, with its byte size and SHA-256), from
fixed values in data/catalog.yaml: no clock, so the same files give the same catalog. The official DCAT-AP
3.0.1 SHACL shapes (ontology/dcat-ap-3.0.1/) check its mandatory and range (violation) and recommended
(warning) properties; ontology/dcat-ap-shapes.ttl adds what kg promises beyond them.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD

from . import paths
from .errors import InputError
from .formats import canonical, graph_base
from .namespaces import DCAT, GEO, ONTOLOGY_IRI, PREFIXES, SY, VOID

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"

CONFIG = paths.DATA / "catalog.yaml"
SHAPES = paths.ROOT / "ontology" / "dcat-ap-shapes.ttl"
DCAT_AP_DIR = paths.ROOT / "ontology" / "dcat-ap-3.0.1"
DCAT_AP_SHAPES = ("shapes.ttl", "shapes_recommended.ttl", "range.ttl")
CATALOG_FILE = "catalog.ttl"

CATALOG_PREFIXES = {**PREFIXES, "dcat": str(DCAT), "void": str(VOID), "spdx": str(SPDX), "vcard": str(VCARD),
                    "dcatap": str(DCATAP), "adms": str(ADMS)}


@dataclass(frozen=True)
class FileKind:
    """How a file is described: media type (IANA), file type (EU authority) and a title."""

    media_type: str
    file_type: str
    zh: str
    en: str
    dump: bool = False  # an RDF dump of the whole graph (void:dataDump)


#: Export files by suffix; files with other suffixes (scripts, styles …) are not distributions.
KINDS: dict[str, FileKind] = {
    ".ttl": FileKind("text/turtle", "RDF_TURTLE", "Turtle 格式", "Turtle", True),
    ".nt": FileKind("application/n-triples", "RDF_N_TRIPLES", "N-Triples 格式", "N-Triples", True),
    ".rdf": FileKind("application/rdf+xml", "RDF_XML", "RDF/XML 格式", "RDF/XML", True),
    ".trig": FileKind("application/trig", "RDF_TRIG", "TriG 格式（数据与本体两个命名图）",
                      "TriG (data and ontology as named graphs)", True),
    ".nq": FileKind("application/n-quads", "RDF_N_QUADS", "N-Quads 格式（数据与本体两个命名图）",
                    "N-Quads (data and ontology as named graphs)", True),
    ".jsonld": FileKind("application/ld+json", "JSON_LD", "JSON-LD 格式", "JSON-LD", True),
    ".graphml": FileKind("application/xml", "XML", "GraphML 网络图（可用 Gephi 打开）",
                         "GraphML network (opens in Gephi)"),
    ".csv": FileKind("text/csv", "CSV", "量化表述表格（CSV，每行一条）", "Quantified statements, one per row (CSV)"),
    ".html": FileKind("text/html", "HTML", "网页", "Web page"),
}
#: Better titles for particular files.
TITLES = {
    "context.jsonld": ("JSON-LD 上下文（@context）", "JSON-LD context (@context)"),
    "ontology.html": ("本体说明文档", "Ontology documentation"),
    "shenyang.html": ("交互式关系图", "Interactive graph"),
}


def load_config(path: Path = CONFIG) -> dict:
    try:
        # libyaml's safe loader where installed (the same values as yaml.safe_load, ten times faster)
        cfg = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise InputError(f"{path}: no catalog configuration; restore data/catalog.yaml") from None
    except yaml.YAMLError as e:
        raise InputError(f"{path}: not valid YAML: {e}") from None
    need = ["version", "issued", "modified", "site_url", "homepage", "title", "description", "catalog_title",
            "catalog_description", "publisher", "contact", "license", "keywords", "themes", "languages",
            "spatial"]
    missing = [k for k in need if not isinstance(cfg, dict) or k not in cfg]
    if missing:
        raise InputError(f"{path}: missing key(s) {', '.join(missing)}; see docs/lod.md")
    return cfg


def site_url(cfg: dict, override: str | None = None) -> str:
    """Where files and the endpoint are published: the override, else $KG_SITE_URL, else the config."""
    url = override or os.environ.get("KG_SITE_URL") or str(cfg["site_url"])
    if not url.startswith(("http://", "https://")):
        raise InputError(f"site URL {url!r} is not an http(s) URL; e.g. --site-url https://example.org/kg/")
    return url if url.endswith("/") else url + "/"


def _date(value) -> Literal:
    return Literal(str(value), datatype=XSD.date)


def _temporal(g: Graph) -> tuple[str, str] | None:
    """First and last day of the years the graph covers (from its sy:Year intervals)."""
    starts, ends = [], []
    for year in g.subjects(RDF.type, SY.Year):
        for prop, bucket in ((TIME.hasBeginning, starts), (TIME.hasEnd, ends)):
            for instant in g.objects(year, prop):
                d = g.value(instant, TIME.inXSDDate)
                if d is not None:
                    bucket.append(str(d))
    return (min(starts), max(ends)) if starts and ends else None


def class_partitions(g: Graph) -> dict[URIRef, int]:
    """Distinct instances per class (every rdf:type object), sorted by class IRI."""
    counts = Counter(o for _, o in set(g.subject_objects(RDF.type)) if isinstance(o, URIRef))
    return dict(sorted(counts.items(), key=lambda kv: str(kv[0])))


def _partition_name(g: Graph, cls: URIRef) -> str:
    qname = g.namespace_manager.normalizeUri(cls)
    return "".join(c if c.isalnum() else "-" for c in qname.strip("<>"))


def build_catalog(graph: Graph, files: dict[str, bytes], *, site: str | None = None,
                  config: dict | None = None) -> Graph:
    """The DCAT-AP 3 + VoID description of `graph` and of the export `files` ({file name: bytes})."""
    cfg = config or load_config()
    base = graph_base(graph)
    site = site_url(cfg, site)
    c = Graph(bind_namespaces="none")
    for prefix, ns in CATALOG_PREFIXES.items():
        c.bind(prefix, ns)
    c.bind("id", base)
    add = c.add

    def concept(iri: str, scheme_title: str, label: str | None = None) -> URIRef:
        """A controlled-vocabulary term (ADMS, EU authority tables) typed skos:Concept with a label and its
        scheme, as DCAT-AP's range shapes want: the IRI's last segment is the label unless one is given."""
        node, scheme = URIRef(iri), URIRef(iri.rstrip("/").rsplit("/", 1)[0])
        add((node, RDF.type, SKOS.Concept))
        add((node, SKOS.prefLabel, Literal(label or iri.rstrip("/").rsplit("/", 1)[-1], lang="en")))
        add((node, SKOS.inScheme, scheme))
        add((scheme, RDF.type, SKOS.ConceptScheme))
        add((scheme, DCTERMS.title, Literal(scheme_title, lang="en")))
        return node

    def both(node, prop, texts: dict):
        for lang in sorted(texts):
            values = texts[lang] if isinstance(texts[lang], list) else [texts[lang]]
            for v in values:
                add((node, prop, Literal(str(v).strip(), lang=lang)))

    catalog = URIRef(base + "catalog")
    dataset = URIRef(base + "dataset")
    publisher = URIRef(base + "agent/" + cfg["publisher"]["key"])
    contact = URIRef(f"{publisher}#contact")
    service = URIRef(base + "service/sparql")
    license_ = URIRef(cfg["license"])
    endpoint = URIRef(site + "sparql")
    homepage = URIRef(cfg["homepage"])
    languages = [URIRef(f"{EU}language/{code}") for code in cfg["languages"]]

    # -- the agent, its contact point, the licence
    add((publisher, RDF.type, FOAF.Agent))
    both(publisher, FOAF.name, cfg["publisher"]["name"])
    add((publisher, DCTERMS.type, concept(cfg["publisher"]["type"], "Publisher type")))
    add((contact, RDF.type, VCARD.Kind))
    add((contact, VCARD.fn, Literal(cfg["contact"]["name"])))
    add((contact, VCARD.hasURL, URIRef(cfg["contact"]["url"])))
    add((license_, RDF.type, DCTERMS.LicenseDocument))
    add((license_, DCTERMS.type, concept(cfg["license_type"], "Licence type")))
    add((license_, RDFS.label, Literal("CC BY 4.0", lang="en")))
    for lang in languages:
        add((lang, RDF.type, DCTERMS.LinguisticSystem))

    # -- the catalogue
    add((catalog, RDF.type, DCAT.Catalog))
    both(catalog, DCTERMS.title, cfg["catalog_title"])
    both(catalog, DCTERMS.description, cfg["catalog_description"])
    add((catalog, DCTERMS.publisher, publisher))
    add((catalog, DCTERMS.license, license_))
    add((catalog, DCTERMS.issued, _date(cfg["issued"])))
    add((catalog, DCTERMS.modified, _date(cfg["modified"])))
    add((catalog, FOAF.homepage, homepage))
    add((catalog, DCAT.dataset, dataset))
    add((catalog, DCAT.service, service))
    taxonomy = URIRef(EU + "data-theme")
    add((catalog, DCAT.themeTaxonomy, taxonomy))
    add((taxonomy, RDF.type, SKOS.ConceptScheme))
    add((taxonomy, DCTERMS.title, Literal("Data theme", lang="en")))
    for lang in languages:
        add((catalog, DCTERMS.language, lang))

    # -- the dataset (DCAT) … typed as in the dump (kg.provenance: also the OWL header importing the ontology)
    add((dataset, RDF.type, DCAT.Dataset))
    add((dataset, RDF.type, OWL.Ontology))
    for activity in sorted(graph.objects(dataset, PROV.wasGeneratedBy)):
        add((dataset, PROV.wasGeneratedBy, activity))
        add((activity, RDF.type, PROV.Activity))
    both(dataset, DCTERMS.title, cfg["title"])
    both(dataset, DCTERMS.description, cfg["description"])
    add((dataset, DCTERMS.identifier, Literal(str(dataset))))
    add((dataset, DCAT.version, Literal(str(cfg["version"]))))
    add((dataset, OWL.versionInfo, Literal(str(cfg["version"]))))
    add((dataset, DCTERMS.issued, _date(cfg["issued"])))
    add((dataset, DCTERMS.modified, _date(cfg["modified"])))
    add((dataset, DCTERMS.publisher, publisher))
    add((dataset, DCAT.contactPoint, contact))
    add((dataset, DCTERMS.license, license_))
    add((dataset, DCAT.landingPage, homepage))
    add((homepage, RDF.type, FOAF.Document))
    add((dataset, DCTERMS.conformsTo, ONTOLOGY_IRI))
    add((ONTOLOGY_IRI, RDF.type, DCTERMS.Standard))
    both(dataset, DCAT.keyword, cfg["keywords"])
    for lang in languages:
        add((dataset, DCTERMS.language, lang))
    themes = [concept(f"{EU}data-theme/{code}", "Data theme", label) for code, label in sorted(cfg["themes"].items())]
    for theme in themes:
        add((dataset, DCAT.theme, theme))
    if cfg.get("frequency"):
        freq = URIRef(f"{EU}frequency/{cfg['frequency']}")
        add((dataset, DCTERMS.accrualPeriodicity, freq))
        add((freq, RDF.type, DCTERMS.Frequency))
    span = _temporal(graph)
    if span:
        period = URIRef(f"{dataset}#temporal")
        add((dataset, DCTERMS.temporal, period))
        add((period, RDF.type, DCTERMS.PeriodOfTime))
        add((period, DCAT.startDate, _date(span[0])))
        add((period, DCAT.endDate, _date(span[1])))
    sp = cfg["spatial"]
    place = URIRef(f"{base}district/{sp['city']}")
    add((dataset, DCTERMS.spatial, place))
    add((catalog, DCTERMS.spatial, place))
    add((place, RDF.type, DCTERMS.Location))
    for lang in ("zh", "en"):
        for label in graph.objects(place, RDFS.label):
            if isinstance(label, Literal) and label.language == lang:
                add((place, RDFS.label, label))
    add((place, DCAT.centroid, Literal(sp["centroid"], datatype=GEO.wktLiteral)))
    add((place, DCAT.bbox, Literal(sp["bbox"], datatype=GEO.wktLiteral)))
    for same in sp.get("same_as") or []:
        add((place, OWL.sameAs, URIRef(same)))
    # The reports the data comes from are documents, not datasets (DCAT-AP's range of dct:source).
    for doc in sorted(set(graph.objects(None, DCTERMS.source)), key=str):
        add((dataset, PROV.wasDerivedFrom, doc))

    # … and VoID
    add((dataset, RDF.type, VOID.Dataset))
    add((dataset, VOID.triples, Literal(len(graph), datatype=XSD.integer)))
    subjects = set(graph.subjects())
    add((dataset, VOID.distinctSubjects, Literal(len(subjects), datatype=XSD.integer)))
    add((dataset, VOID.entities, Literal(sum(1 for s in subjects if isinstance(s, URIRef)), datatype=XSD.integer)))
    add((dataset, VOID.properties, Literal(len(set(graph.predicates())), datatype=XSD.integer)))
    partitions = class_partitions(graph)
    add((dataset, VOID.classes, Literal(len(partitions), datatype=XSD.integer)))
    for cls, n in partitions.items():
        part = URIRef(f"{dataset}#class-{_partition_name(c, cls)}")
        add((dataset, VOID.classPartition, part))
        add((part, VOID["class"], cls))
        add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    add((dataset, VOID.sparqlEndpoint, endpoint))
    add((dataset, VOID.uriSpace, Literal(base)))
    for vocab in sorted({str(SY._NS), str(SKOS), str(DCTERMS), PREFIXES["prov"], PREFIXES["oa"], str(TIME),
                         PREFIXES["qudt"]}):
        add((dataset, VOID.vocabulary, URIRef(vocab)))
    for cls in (SY.Goal, SY.Measure, SY.QuantifiedStatement):
        first = min((s for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef)), key=str, default=None)
        if first is not None:
            add((dataset, VOID.exampleResource, first))

    # -- the SPARQL service
    add((service, RDF.type, DCAT.DataService))
    add((service, DCTERMS.title, Literal("kg SPARQL 1.1 查询服务", lang="zh")))
    add((service, DCTERMS.title, Literal("kg SPARQL 1.1 query service", lang="en")))
    add((service, DCTERMS.description, Literal("只读的 SPARQL 1.1 Protocol 端点（kg serve）。", lang="zh")))
    add((service, DCTERMS.description, Literal("A read-only SPARQL 1.1 Protocol endpoint (kg serve).", lang="en")))
    add((service, DCAT.endpointURL, endpoint))
    add((service, DCAT.endpointDescription, endpoint))
    add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    add((URIRef("https://www.w3.org/TR/sparql11-protocol/"), RDF.type, DCTERMS.Standard))
    add((service, DCAT.servesDataset, dataset))
    add((service, DCTERMS.license, license_))
    add((service, DCTERMS.publisher, publisher))
    add((service, DCAT.contactPoint, contact))
    both(service, DCAT.keyword, {"zh": ["SPARQL", "查询服务"], "en": ["SPARQL", "query service"]})
    for theme in themes:
        add((service, DCAT.theme, theme))

    # -- one distribution per export file
    stable = concept(EU + "planned-availability/STABLE", "Planned availability", "Stable")
    add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    for name, data in sorted(files.items()):
        suffix = Path(name).suffix
        kind = KINDS.get(suffix)
        if kind is None or name == CATALOG_FILE:
            continue
        dist = URIRef(f"{base}distribution/{name}")
        url = URIRef(f"{site}exports/{name}")
        zh, en = TITLES.get(name, (kind.zh, kind.en))
        add((dataset, DCAT.distribution, dist))
        add((dist, RDF.type, DCAT.Distribution))
        add((dist, DCTERMS.title, Literal(f"{name}：{zh}", lang="zh")))
        add((dist, DCTERMS.title, Literal(f"{name}: {en}", lang="en")))
        add((dist, DCTERMS.description, Literal(f"{cfg['title']['zh']}：{zh}", lang="zh")))
        add((dist, DCTERMS.description, Literal(f"{cfg['title']['en']}: {en}", lang="en")))
        add((dist, DCAT.accessURL, url))
        add((dist, DCAT.downloadURL, url))
        media = URIRef(IANA + kind.media_type)
        add((dist, DCAT.mediaType, media))
        add((media, RDF.type, DCTERMS.MediaType))
        fmt = URIRef(f"{EU}file-type/{kind.file_type}")
        add((dist, DCTERMS["format"], fmt))
        add((fmt, RDF.type, DCTERMS.MediaTypeOrExtent))
        add((dist, DCAT.byteSize, Literal(len(data), datatype=XSD.nonNegativeInteger)))
        checksum = URIRef(f"{dist}#sha256")
        add((dist, SPDX.checksum, checksum))
        add((checksum, RDF.type, SPDX.Checksum))
        add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        add((checksum, SPDX.checksumValue, Literal(hashlib.sha256(data).hexdigest(), datatype=XSD.hexBinary)))
        add((dist, DCTERMS.license, license_))
        add((dist, DCATAP.availability, stable))
        add((dist, DCTERMS.issued, _date(cfg["issued"])))
        if kind.dump and name != "context.jsonld":
            add((dataset, VOID.dataDump, url))
    return c


def catalog_turtle(graph: Graph, files: dict[str, bytes], **kwargs) -> bytes:
    """The catalog as canonical Turtle (sorted, byte-stable)."""
    c = build_catalog(graph, files, **kwargs)
    out = canonical(c)
    for prefix, ns in CATALOG_PREFIXES.items():
        out.bind(prefix, ns, replace=True)
    return out.serialize(format="longturtle", encoding="utf-8")


def catalog_output(result, staged: dict[str, bytes]) -> dict[str, bytes]:
    """Publisher for `kg build` (must run last): the catalog of every file staged before it."""
    return {CATALOG_FILE: catalog_turtle(result.view, staged)}  # the statistics from the indexed N-Triples


def catalog_for_directory(exports: Path, *, site: str | None = None) -> bytes:
    """The catalog of an existing exports directory (its shenyang.nt or .ttl gives the VoID statistics)."""
    from .validate import load_rdf

    if not exports.is_dir():
        raise InputError(f"{exports}: no such directory; run `kg build --out {exports}` first")
    files = {p.name: p.read_bytes() for p in sorted(exports.iterdir())
             if p.is_file() and p.suffix in KINDS and p.name != CATALOG_FILE}
    source = next((exports / n for n in ("shenyang.nt", "shenyang.ttl") if (exports / n).is_file()), None)
    if source is None:
        raise InputError(f"{exports}: no shenyang.nt or shenyang.ttl to describe; run `kg build --out {exports}`")
    return catalog_turtle(load_rdf(source), files, site=site)


def shapes_graph(files=None) -> Graph:
    """The official DCAT-AP 3.0.1 shapes (mandatory, recommended, ranges; vendored in
    ontology/dcat-ap-3.0.1/) together with kg's own (ontology/dcat-ap-shapes.ttl: only what they add)."""
    from .validate import load_rdf

    g = Graph()
    for path in files or (*(DCAT_AP_DIR / f for f in DCAT_AP_SHAPES), SHAPES):
        g += load_rdf(path, "SHACL shapes file")
    return g


def validate_catalog(catalog: Graph, shapes: Graph | None = None) -> list:
    """SHACL results of the catalog (kg.validate.Violation list, violations and warnings), with RDFS
    inference as DCAT-AP's validator runs them."""
    import pyshacl
    from rdflib.namespace import SH

    from .validate import Violation

    _, results, _ = pyshacl.validate(catalog, shacl_graph=shapes if shapes is not None else shapes_graph(),
                                     inference="rdfs", allow_warnings=True)
    out = []
    for r in results.subjects(SH.resultSeverity, None):
        out.append(Violation(str(results.value(r, SH.focusNode)), str(results.value(r, SH.resultPath) or ""),
                             str(results.value(r, SH.resultMessage) or ""),
                             str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]))
    return sorted(set(out), key=lambda v: (v.severity, v.focus, v.path, v.message))


# --------------------------------------------------------------------------------------------------------
# The counts in docs/lod.md, generated from a build's catalog (never typed by hand)

DOCS = paths.ROOT / "docs" / "lod.md"
COUNTS_BEGIN = "<!-- counts: written by `kg build` from exports/catalog.ttl; do not edit by hand -->"
COUNTS_END = "<!-- /counts -->"


def counts_markdown(catalog: Graph, ontology: Path = paths.ONTOLOGY) -> str:
    """The table of docs/lod.md: the data graph's VoID statistics and class partitions, the ontology's size,
    and every distribution's byte size, as the catalog of a build states them."""
    from .validate import load_rdf

    dataset = next(catalog.subjects(RDF.type, DCAT.Dataset))
    stat = {p: int(catalog.value(dataset, VOID[p])) for p in ("triples", "distinctSubjects", "entities",
                                                               "properties", "classes")}
    onto = len(load_rdf(ontology, "ontology file"))
    lines = ["| what | count |", "|---|---:|",
             f"| triples in the data graph `<…/id/dataset>` (`shenyang.ttl`, `.nt`, `.rdf`, `.jsonld`) | {stat['triples']} |",
             f"| triples of the ontology graph (`ontology/shenyang.ttl`) | {onto} |",
             f"| quads in `shenyang.trig` and `shenyang.nq` (data + ontology) | {stat['triples'] + onto} |",
             f"| triples of `catalog.ttl` | {len(catalog)} |",
             f"| distinct subjects / IRIs (`void:entities`) / properties / classes | {stat['distinctSubjects']} / "
             f"{stat['entities']} / {stat['properties']} / {stat['classes']} |"]
    for part in sorted(catalog.objects(dataset, VOID.classPartition), key=str):
        cls = catalog.value(part, VOID["class"])
        lines.append(f"| instances of `{catalog.namespace_manager.normalizeUri(cls)}` | "
                     f"{int(catalog.value(part, VOID.entities))} |")
    lines += ["", "| file | bytes |", "|---|---:|"]
    for dist in sorted(catalog.objects(dataset, DCAT.distribution), key=str):
        name = str(catalog.value(dist, DCAT.downloadURL)).rsplit("/", 1)[-1]
        lines.append(f"| `{name}` | {int(catalog.value(dist, DCAT.byteSize))} |")
    return "\n".join(lines)


def refresh_docs(catalog_ttl: bytes, doc: Path = DOCS) -> bool:
    """Rewrite the counts block of docs/lod.md from a catalog; True if the file changed."""
    if not doc.is_file():
        return False
    text = doc.read_text(encoding="utf-8")
    if COUNTS_BEGIN not in text or COUNTS_END not in text:
        return False
    head, rest = text.split(COUNTS_BEGIN, 1)
    _, tail = rest.split(COUNTS_END, 1)
    block = counts_markdown(Graph().parse(data=catalog_ttl, format="turtle"))
    new = f"{head}{COUNTS_BEGIN}\n{block}\n{COUNTS_END}{tail}"
    if new == text:
        return False
    from .export import write_atomic

    write_atomic(doc, new.encode("utf-8"))
    return True
