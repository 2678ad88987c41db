"""The served data: a graph file (or an on-disk pyoxigraph store) loaded once, and label lookups on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..errors import InputError
from ..namespaces import DEFAULT_BASE, ONTOLOGY_IRI

DCAT = "http://www.w3.org/ns/dcat#"
IANA = "https://www.iana.org/assignments/media-types/"
LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel")


def _rdf_format(path: Path):
    import pyoxigraph as ox

    ext = path.suffix.lstrip(".").lower()
    try:
        return ox.RdfFormat.from_extension(ext) or ox.RdfFormat.TURTLE
    except ValueError:
        raise InputError(f"{path}: unknown RDF file extension .{ext}; use .ttl, .nt, .jsonld, .rdf, .trig "
                         f"or .nq") from None


@dataclass
class Dataset:
    """The served data and a store of it for the /id/ pages. Workers get either the N-Quads image of a graph
    file (each loads its own in-memory copy) or the path of an on-disk pyoxigraph store (each opens it
    read-only: one copy on disk, shared through the page cache, for graphs too big to copy per worker).

    The data is the named graph <BASE/dataset> (as in the TriG and N-Quads exports and after `kg push`), the
    ontology <ONTOLOGY_IRI>, the catalog <BASE/catalog>; a query without a dataset clause sees their union."""

    base: str
    source: Path
    triples: int
    store: object = field(repr=False, default=None)
    nquads: bytes | None = field(repr=False, default=None)
    store_path: Path | None = None

    @property
    def graph_iri(self) -> str:
        """The name of the data graph, `BASE/dataset` (the dataset's IRI)."""
        return self.base + "dataset"

    @property
    def data_in_default_graph(self) -> bool:
        """An on-disk store built by `kg build --store` keeps the data in its default graph."""
        return self.store_path is not None

    @classmethod
    def load(cls, graph_file: Path | None = None, ontology: Path | None = paths.ONTOLOGY,
             catalog: Path | None = None) -> Dataset:
        """A graph file (exports/shenyang.ttl by default) as the named graph <BASE/dataset> (a TriG or
        N-Quads file keeps its own graphs) plus, when given, the ontology as <ONTOLOGY_IRI> and the catalog
        as <BASE/catalog>; queries see their union, as `kg query` does. A directory is opened as an on-disk
        pyoxigraph store (read-only; served as it is)."""
        import pyoxigraph as ox

        source = Path(graph_file) if graph_file else paths.EXPORTS / "shenyang.ttl"
        if source.is_dir():
            try:
                store = ox.Store.read_only(str(source))
            except OSError as e:
                raise InputError(f"{source}: not a pyoxigraph store directory: {str(e).strip()[:300]}") from None
            return cls(_base_of(store), source, len(store), store, store_path=source)
        store = _parse(ox.Store(), source, "graph file; run `kg build` first or pass --graph FILE")
        base = _base_of(store)
        graph = ox.NamedNode(base + "dataset")
        if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
            store.update(f"ADD DEFAULT TO <{graph.value}> ; CLEAR DEFAULT")
        triples = sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
        if ontology and Path(ontology).is_file():
            store.bulk_load(path=str(ontology), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(ONTOLOGY_IRI)))
        if catalog and Path(catalog).is_file():
            _parse(store, Path(catalog), "catalog", to_graph=ox.NamedNode(base + "catalog"))
        return cls(base, source, triples, store, nquads=ox.serialize(store, format=ox.RdfFormat.N_QUADS))


def _parse(store, source: Path, what: str, **kwargs):
    """Bulk-load an RDF file into the store; one clear line when it is missing or broken."""
    if not source.is_file():
        raise InputError(f"{source}: no such {what}")
    from ..validate import refuse_xml_entities

    refuse_xml_entities(source)
    try:
        store.bulk_load(path=str(source), format=_rdf_format(source), **kwargs)
    except (SyntaxError, ValueError, OSError) as e:
        raise InputError(f"{source}: cannot parse: {str(e).strip()[:300]}") from None
    return store


def _base_of(store) -> str:
    """The base IRI of the instances: the dataset IRI (the node that owl:imports the ontology) less 'dataset'."""
    import pyoxigraph as ox

    imports = ox.NamedNode("http://www.w3.org/2002/07/owl#imports")
    for q in store.quads_for_pattern(None, imports, ox.NamedNode(str(ONTOLOGY_IRI))):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.endswith("/dataset"):
            return q.subject.value[: -len("dataset")]
    return DEFAULT_BASE


def label(store, iri: str, lang_order=("zh", "en", "")) -> str | None:
    """The label of an IRI (rdfs:label or skos:prefLabel), Chinese first."""
    import pyoxigraph as ox

    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return None
    found = {}
    for p in LABELS:
        for q in store.quads_for_pattern(node, ox.NamedNode(p), None):
            if isinstance(q.object, ox.Literal):
                found.setdefault(q.object.language or "", q.object.value)
    for lang in lang_order:
        if lang in found:
            return found[lang]
    return next(iter(sorted(found.values())), None)


def published_files(dataset: Dataset, directory: Path) -> dict[str, tuple]:
    """{file name: (path, media type)}: the files the catalog offers for download (dcat:downloadURL
    `…/exports/NAME`) that are in the exports directory, and the catalog itself. Nothing else is served."""
    import pyoxigraph as ox

    files = {}
    catalog = directory / "catalog.ttl"
    if catalog.is_file():
        files[catalog.name] = (catalog, "text/turtle")
    rows = dataset.store.query(
        f"SELECT ?url ?media WHERE {{ GRAPH <{dataset.base}catalog> {{ ?d <{DCAT}downloadURL> ?url "
        f"OPTIONAL {{ ?d <{DCAT}mediaType> ?media }} }} }}")
    for row in rows:
        url, media = row["url"], row["media"]
        if not isinstance(url, ox.NamedNode) or "/exports/" not in url.value:
            continue
        name = url.value.rsplit("/exports/", 1)[1]
        path = directory / name
        if name and "/" not in name and not name.startswith(".") and path.is_file():
            kind = media.value.removeprefix(IANA) if media is not None else "application/octet-stream"
            files[name] = (path, kind)
    return dict(sorted(files.items()))
