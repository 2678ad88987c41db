"""What the data dump says about itself, so that a portal reading only shenyang.ttl finds it: the dataset's
types (the same as in the catalog), its version and dates (data/catalog.yaml: no clock, byte-stable), and how
it was made (PROV-O): the `kg build` activity, the software with its version, and the source texts it used,
each of which carries its SHA-256 (sy:sha256 on the document)."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS

from .namespaces import DCAT, ONTOLOGY_IRI, VOID


def dataset_triples(dataset: str, documents: list[str], t, config: dict | None = None) -> Iterator[tuple]:
    """The dataset's description in the dump. `t` is the emitter's kg.build.Terms; `documents` the IRIs of
    the source documents the build read."""
    from . import __version__
    from .catalog import load_config

    cfg = config or load_config()
    k, ds = t.const, t.iri(dataset)
    build, software = t.iri(dataset + "#build"), t.iri(dataset + "#software")
    for cls in (OWL.Ontology, DCAT.Dataset, VOID.Dataset):  # an OWL header (owl:imports) and a dataset
        yield ds, k(RDF.type), k(cls)
    yield ds, k(OWL.imports), k(ONTOLOGY_IRI)
    for lang in ("zh", "en"):
        yield ds, k(RDFS.label), t.text(str(cfg["title"][lang]).strip(), lang)
    yield ds, k(DCTERMS.license), t.iri(str(cfg["license"]))
    yield ds, k(OWL.versionInfo), t.text(str(cfg["version"]))
    yield ds, k(DCAT.version), t.text(str(cfg["version"]))
    yield ds, k(DCTERMS.issued), t.typed(str(cfg["issued"]), t.dt.date)
    yield ds, k(DCTERMS.modified), t.typed(str(cfg["modified"]), t.dt.date)
    yield ds, k(PROV.wasGeneratedBy), build
    yield build, k(RDF.type), k(PROV.Activity)
    yield build, k(RDFS.label), t.text("kg build", "en")
    yield build, k(PROV.wasAssociatedWith), software
    for doc in documents:
        yield build, k(PROV.used), t.iri(doc)
    yield software, k(RDF.type), k(PROV.SoftwareAgent)
    yield software, k(RDFS.label), t.text(f"kg {__version__}", "en")
    yield software, k(OWL.versionInfo), t.text(__version__)
