"""The commands that check, prove and export a data directory: validate, verify, schema, export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from softbank_kb.errors import Problems
from softbank_kb.options import (
    Choice,
    json_or_format,
    output_file_option,
    output_path_of,
    output_target,
    write_output,
    written_to,
)
from softbank_kb.printable import safe
from softbank_kb.reading import data_dir, load_kb

if TYPE_CHECKING:
    from softbank_kb.models import KnowledgeBase


@click.command(short_help="Check a data directory: structure, types, ids and references.")
@click.option(
    "--strict",
    is_flag=True,
    help="Also warn where a record is undated though its citation states a date, where an"
    " event repeats a deal's or quote's excerpt, and where two quotes share a text.",
)
@click.pass_context
def validate(ctx: click.Context, strict: bool) -> None:
    """Check a data directory: structure, types, ids and references.

    \b
    Examples:
      sbkb --data ./my-data validate
      sbkb validate --strict    a curator's checks too, as CI runs them

    Prints `OK: N records in M files`, or every problem as file:line:column and
    exits 1. With --strict, a warning is a problem too.
    """
    from softbank_kb.errors import problems_after
    from softbank_kb.lexicon import check_lexicon
    from softbank_kb.loading import check_data_dir, check_data_dir_strictly

    directory = data_dir(ctx)
    if strict:
        kb, errors, warnings, file_count = check_data_dir_strictly(directory)
    else:
        (kb, errors, file_count), warnings = check_data_dir(directory), []
    # The package's lexicon is the curators' too: a broken one is a problem here.
    errors = [*errors, *check_lexicon()[1]]
    if errors or warnings or kb is None:
        lines = [str(error) for error in errors]
        lines += [f"{warning} (warning)" for warning in warnings]
        count = problems_after(errors, 0)
        counts = [f"{count} problem{'s' if count != '1' else ''}"]
        if warnings:
            counts.append(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}")
        raise Problems("\n".join(lines) + f"\n{' and '.join(counts)} in {directory}")
    click.echo(f"OK: {len(kb)} records in {file_count} files" + (", strict" if strict else ""))


@click.command(short_help="Prove every excerpt and quotation against the article texts.")
@click.option(
    "--sources",
    "sources_dir",
    metavar="DIR",
    required=True,
    type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path),
    help="Directory holding the article texts; files are matched to sources by sha256.",
)
@click.option(
    "--uncited", is_flag=True, help="Also list the article sentences that no excerpt covers."
)
@click.pass_context
def verify(ctx: click.Context, sources_dir: Path, uncited: bool) -> None:
    """Prove every excerpt and quotation against the article texts.

    \b
    Example:
      sbkb verify --sources ~/articles

    Each citation excerpt and each quote's text must stand verbatim in its cited
    article (after Unicode NFC, folding of typographic quotes and collapsing of white
    space; '…' elides). Exits 1 on any failure.
    """
    from softbank_kb.render import verify_report_lines
    from softbank_kb.verify import verify as verify_kb

    if not sources_dir.is_dir():
        raise click.BadParameter(f"{str(sources_dir)!r} is not a directory", param_hint="--sources")
    try:
        report = verify_kb(load_kb(ctx).kb, sources_dir)
    except OSError as error:
        raise click.BadParameter(
            f"{str(sources_dir)!r} cannot be read: {error.strerror}", param_hint="--sources"
        ) from None
    lines = verify_report_lines(report, uncited=uncited)
    if not report.ok:
        raise Problems("\n".join(lines))
    click.echo("\n".join(lines))


@click.command(short_help="The JSON Schema of a data file, for editors.")
@click.option(
    "--lexicon",
    "of_lexicon",
    is_flag=True,
    help="The schema of a concept lexicon (a data directory's lexicon.yaml) instead.",
)
@output_file_option
@click.pass_context
def schema(ctx: click.Context, of_lexicon: bool, output_path: str | None) -> None:
    """Print the JSON Schema of a data file, for editors that check YAML as you type.

    \b
    Examples:
      sbkb schema > sbkb.schema.json
      sbkb schema --lexicon -o lexicon.schema.json
    """
    import json

    from softbank_kb.lexicon import lexicon_schema
    from softbank_kb.models import data_file_schema

    found = lexicon_schema() if of_lexicon else data_file_schema()
    document = json.dumps(found, indent=2, ensure_ascii=False)
    target = output_path_of(output_path)
    if target is None:
        click.echo(document)
        return
    written_to(output_target(ctx, target), lambda: click.echo(document))


EXPORT_FORMATS = ("json", "csv", "sqlite", "markdown")


@click.command(short_help="The whole knowledge base as JSON, CSV, SQLite or Markdown.")
@click.option(
    "--format",
    "fmt",
    type=Choice(EXPORT_FORMATS),
    metavar="FORMAT",
    default="json",
    show_default=True,
    help="json (one array), csv (one table with a type column), sqlite (a table per"
    " type, for Datasette; needs -o) or markdown (a table per type).",
)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@output_file_option
@click.option(
    "--raw",
    is_flag=True,
    help="CSV and Markdown cells exactly as stored: no formula guard, no escaping.",
)
@click.option(
    "--metadata",
    "metadata_path",
    metavar="PATH",
    type=click.Path(dir_okay=False, path_type=Path),
    help="sqlite: write Datasette's metadata here (default: metadata.json beside the database).",
)
@click.pass_context
def export(
    ctx: click.Context,
    fmt: str,
    as_json: bool,
    output_path: str | None,
    raw: bool,
    metadata_path: Path | None,
) -> None:
    """The whole knowledge base for other tools.

    \b
    Examples:
      sbkb export > sbkb.json
      sbkb export --format sqlite -o sbkb.db
      datasette sbkb.db -m metadata.json           (pip install datasette)
      sbkb export --format csv -o sbkb.csv

    JSON is one array of every record with its id and type. CSV is one table: id,
    type, label, date, then every field, nested values as JSON. SQLite is a table per
    record type with typed columns, foreign keys, link tables, citations, equivalents
    and full-text search, plus Datasette's metadata.json. Markdown is a table per type.
    A CSV cell that starts with = + - @, a tab or a carriage return gets a leading `'`,
    so that a spreadsheet does not run it; Markdown escapes HTML and Markdown syntax;
    control characters are shown escaped. --raw turns all three off. An existing -o
    file is replaced only once the new one is complete.
    """
    from softbank_kb import export as exporting

    fmt = json_or_format(ctx, fmt, as_json)
    output = output_path
    target = output_path_of(output)
    # A whole-KB pass: every record is written, so every record is built from the cache.
    loaded = load_kb(ctx)
    kb = loaded.kb
    if fmt == "sqlite" and target is None:
        raise click.UsageError("--format sqlite needs -o PATH: a database is not text.")
    if metadata_path is not None and fmt != "sqlite":
        raise click.UsageError("--metadata goes with --format sqlite only.")
    if target is not None:
        target = output_target(ctx, target)
    if fmt == "sqlite":
        assert target is not None
        _export_sqlite(ctx, kb, target, metadata_path or target.with_name("metadata.json"))
        return
    writers = {
        "json": lambda: exporting.export_json(kb),
        "csv": lambda: exporting.export_csv(kb, raw=raw),
        "markdown": lambda: exporting.export_markdown(kb, raw=raw),
    }
    document = writers[fmt]()
    if not document.endswith("\n"):
        document += "\n"
    if target is None:
        # Not click.echo: it strips ANSI sequences when stdout is not a terminal, and
        # `export > f` must write what `export -o f` writes.
        sys.stdout.write(document)
        return
    write_output(target, document)
    # A file name with control characters is shown escaped.
    click.echo(safe(f"Wrote {len(kb)} records to {output}"), err=True)


def _export_sqlite(ctx: click.Context, kb: KnowledgeBase, target: Path, metadata: Path) -> None:
    """The database and its Datasette metadata, with a progress bar when it takes a while."""
    from softbank_kb import export as exporting
    from softbank_kb import render
    from softbank_kb.sqlite_export import write_metadata

    metadata = output_target(ctx, metadata, param_hint="--metadata")
    if metadata.resolve() == target.resolve():
        raise click.BadParameter(
            "the metadata would overwrite the database", param_hint="--metadata"
        )
    console = render.make_console(stderr=True)
    with render.DelayedProgress(console, "Writing the database") as progress:
        # Counting the work for the bar costs a pass over the rows: only on a terminal.
        counted = progress if console.is_terminal else None
        write_output(target, lambda path: exporting.export_sqlite(kb, path, counted))
    write_output(metadata, lambda path: write_metadata(kb, target, path))
    click.echo(
        safe(f"Wrote {len(kb)} records to {target}, Datasette metadata to {metadata}"), err=True
    )
