"""The graph to query: the built export, given RDF files or an on-disk store, in rdflib or pyoxigraph."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import InputError

ENGINES = ("oxigraph", "rdflib")


def load_graph(files: Sequence[Path | str] = (), *, ontology: bool = True, engine: str = "rdflib",
               cache: bool = True) -> Any:
    """The graph to query: the built graph (exports/shenyang.ttl) or the given RDF files (format from the
    extension), plus the ontology. engine="rdflib" gives an rdflib Graph; engine="oxigraph" a pyoxigraph Store,
    which loads and answers many times faster (same rows): with `cache`, a read-only on-disk store kept for
    these exact files (kg.query.storecache; opened in milliseconds), else one in memory."""
    from ..validate import load_rdf, refuse_xml_entities

    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    if len(files) == 1 and Path(files[0]).is_dir():  # an on-disk store: `kg build --store oxigraph:DIR`
        from ..store import OxigraphStore

        if engine != "oxigraph":
            raise InputError(f"{files[0]}: a store directory is queried with --engine oxigraph")
        return OxigraphStore.open(Path(files[0])).native  # holds the ontology already (kg.store.add_ontology)
    if files:
        sources = [Path(f) for f in files]
        for path in sources:
            if not path.is_file():
                raise InputError(f"{path}: no such graph file (make one with `kg build --out DIR`)")
    else:
        default = paths.EXPORTS / "shenyang.ttl"
        if not default.is_file():
            shown = default.relative_to(Path.cwd()) if default.is_relative_to(Path.cwd()) else default
            raise InputError(f"{shown}: no built graph; run `kg build` first (or pass --graph FILE)")
        sources = [default]
    if ontology:
        sources.append(paths.ONTOLOGY)
    if engine == "rdflib":
        graph = load_rdf(sources[0], "graph file")
        for path in sources[1:]:
            graph += load_rdf(path, "graph file")
        return graph
    import pyoxigraph as ox

    formats = [ox.RdfFormat.from_extension(path.suffix.lstrip(".").lower()) for path in sources]
    for path in sources:
        refuse_xml_entities(path)
    if cache and None not in formats and all(path.is_file() for path in sources):
        from .storecache import cached_store

        cached = cached_store(sources, formats)
        if cached is not None:
            return cached
    store = ox.Store()
    for path, fmt in zip(sources, formats):
        if fmt is None:  # a format only rdflib reads: parse there, hand over as N-Triples
            store.load(load_rdf(path, "graph file").serialize(format="nt", encoding="utf-8"),
                       format=ox.RdfFormat.N_TRIPLES)
            continue
        try:
            store.load(path=str(path), format=fmt, base_iri=path.resolve().as_uri())
        except (SyntaxError, ValueError) as e:
            raise InputError(f"{path}: cannot parse as {fmt}: {str(e).strip().splitlines()[0][:300]}") from None
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    return store
