"""The `kg` command line: each command parses options, calls the library, formats the result."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import paths
from .errors import KgError
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
            click.echo(f"Error: {e}", err=True)
            sys.exit(e.exit_code)

    return wrapper


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="kg")
def cli(debug: bool) -> None:
    """kg: a knowledge graph of Chinese municipal policy commitments (Shenyang first)."""


def sources_option(fn):
    return click.option(
        "--sources", "sources_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Directory of source texts (<doc-id>.txt). Default: $KG_SOURCES or ../shared/seeds if present.",
    )(fn)


def records_option(fn):
    return click.option(
        "--records", "records_dir", type=click.Path(file_okay=False, path_type=Path), default=paths.RECORDS,
        show_default=True, help="Directory of curated record files (*.yaml).",
    )(fn)


@cli.command()
@records_option
@sources_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=paths.EXPORTS,
              show_default=True, help="Directory the exports are written to.")
@click.option("--base-iri", default=DEFAULT_BASE, show_default=True, help="Base IRI of minted instances.")
@click.option("--no-sources", is_flag=True, help="Build from the records alone (no span check, no quotes).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@handle_errors
def build(records_dir: Path, sources_dir: Path | None, out_dir: Path, base_iri: str, no_sources: bool,
          quiet: bool) -> None:
    """Build the graph from the records, validate it and write every export.

    \b
    Example:
      kg build --sources ../shared/seeds --out exports
    """
    from .pipeline import build as run_build
    from .pipeline import write_all

    if no_sources:
        sources_dir = None
    elif sources_dir is None:
        sources_dir = paths.default_sources()
    result = run_build(records_dir, sources_dir=sources_dir, base=base_iri)
    written = write_all(result, out_dir)
    if quiet:
        return
    click.echo(f"{len(result.graph)} triples from {len(result.corpus.records)} record file(s); "
               f"source texts checked for {result.quoted} of them")
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
    from .validate import format_violations, load_rdf, validate_graph

    graph = load_rdf(file) if file else run_build(records_dir, validate=False).graph
    violations = validate_graph(graph)
    if violations:
        click.echo(format_violations(violations))
        sys.exit(1)
    click.echo(f"conforms: {len(graph)} triples, 0 violations")


def main() -> None:  # pragma: no cover - console entry for `python -m kg`
    cli()
