"""The served data: a graph file (or an on-disk pyoxigraph store) loaded once, and label lookups on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..errors import InputError
from ..namespaces import DEFAULT_BASE, ONTOLOGY_IRI

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
    read-only: one copy on disk, shared through the page cache, for graphs too big to copy per worker)."""

    base: str
    source: Path
    triples: int
    store: object = field(repr=False, default=None)
    nquads: bytes | None = field(repr=False, default=None)
    store_path: Path | None = None

    @classmethod
    def load(cls, graph_file: Path | None = None, ontology: Path | None = paths.ONTOLOGY) -> Dataset:
        """A graph file (exports/shenyang.ttl by default) in the default graph plus, when given, the ontology
        in the named graph <ONTOLOGY_IRI>; queries see their union, as `kg query` does. A directory is opened
        as an on-disk pyoxigraph store (read-only; served as it is)."""
        import pyoxigraph as ox

        source = Path(graph_file) if graph_file else paths.EXPORTS / "shenyang.ttl"
        if source.is_dir():
            try:
                store = ox.Store.read_only(str(source))
            except OSError as e:
                raise InputError(f"{source}: not a pyoxigraph store directory: {str(e).strip()[:300]}") from None
            return cls(_base_of(store), source, len(store), store, store_path=source)
        if not source.is_file():
            raise InputError(f"{source}: no such graph file; run `kg build` first or pass --graph FILE")
        from ..validate import refuse_xml_entities

        refuse_xml_entities(source)
        store = ox.Store()
        try:
            store.bulk_load(path=str(source), format=_rdf_format(source))
        except (SyntaxError, ValueError, OSError) as e:
            raise InputError(f"{source}: cannot parse: {str(e).strip()[:300]}") from None
        triples = len(store)
        if ontology and Path(ontology).is_file():
            store.bulk_load(path=str(ontology), format=ox.RdfFormat.TURTLE,
                            to_graph=ox.NamedNode(str(ONTOLOGY_IRI)))
        return cls(_base_of(store), source, triples, store, nquads=ox.serialize(store, format=ox.RdfFormat.N_QUADS))


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
