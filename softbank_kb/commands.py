"""The commands beside the queries: validate, verify, schema, export, graph, help, completion."""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import click

from softbank_kb import __version__
from softbank_kb.choices import DEAL_KINDS
from softbank_kb.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_LOAD,
    EXIT_NO_MATCH,
    EXIT_OK,
    EXIT_UNWRITABLE,
    Problems,
    nothing,
)
from softbank_kb.options import (
    Choice,
    KindChoice,
    company_option,
    json_or_format,
    listed,
    output_file_option,
    output_path_of,
    output_target,
    write_output,
    written_to,
    year_option,
)
from softbank_kb.printable import safe
from softbank_kb.reading import data_dir, load_kb, resolve_name

if TYPE_CHECKING:
    from softbank_kb.models import KnowledgeBase

# Spelled out, so that --help imports no graph; tests/test_graph.py checks them against
# graph.EDGE_KINDS.
GRAPH_KINDS = (*(k for k in DEAL_KINDS if k != "budget"), "owns", "works_for")
GRAPH_FORMATS = ("mermaid", "dot", "json")


_ENTITIES = ("organization", "person")


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
    from softbank_kb.curation import verify as verify_kb
    from softbank_kb.render import verify_report_lines

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


@click.command(short_help="Relations: who invested in, bought, owns or works for whom.")
@company_option("Relations of this organisation or person, and of its subsidiaries.")
@click.option(
    "--kind",
    "kinds",
    type=KindChoice(GRAPH_KINDS),
    metavar="KIND",
    multiple=True,
    help=f"A deal kind ({listed(GRAPH_KINDS[:-2])}), owns or works_for; repeatable.",
)
@year_option
@click.option(
    "--format",
    "fmt",
    type=Choice(GRAPH_FORMATS),
    metavar="FORMAT",
    default="mermaid",
    show_default=True,
    help="mermaid (renders on GitHub), dot (for Graphviz) or json (nodes and edges).",
)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@output_file_option
@click.pass_context
def graph(
    ctx: click.Context,
    company: str | None,
    kinds: tuple[str, ...],
    years: set[int] | None,
    fmt: str,
    as_json: bool,
    output_path: str | None,
) -> None:
    """Who invested in, bought, partnered with, sold, owns or works for whom.

    \b
    Examples:
      sbkb graph --company softbank-group
      sbkb graph --company arm --format dot | dot -Tsvg -o arm.svg
      sbkb graph --kind acquisition --year 2024..2025 --json -o graph.json

    Every edge is labelled with its relation, date and amount and carries the id of
    the record that states it (a deal, or the organisation or person for owns and
    works for). --year keeps dated deals only.
    """
    fmt = json_or_format(ctx, fmt, as_json)
    target = output_path_of(output_path)
    if target is None:
        _draw_graph(ctx, company, kinds, years, fmt)
        return
    checked = output_target(ctx, target)
    written_to(checked, lambda: _draw_graph(ctx, company, kinds, years, fmt))


def _draw_graph(
    ctx: click.Context,
    company: str | None,
    kinds: tuple[str, ...],
    years: set[int] | None,
    fmt: str,
) -> None:
    """The graph of the relations asked for, in `fmt`, on stdout."""
    from softbank_kb.graph import relations_graph

    loaded = load_kb(ctx)
    kb = loaded.kb
    found = resolve_name(loaded, company, _ENTITIES, "organisation") if company else None
    result = relations_graph(kb, company=found.id if found else None, kinds=kinds, years=years)
    from softbank_kb import export as diagrams

    if not result.edges:
        if fmt == "json":  # one document always, as --json promises: an empty graph
            click.echo(diagrams.graph_json(result))
        nothing("relation", "try fewer filters, or `sbkb invest` to see the dated deals.")

    writers = {
        "mermaid": diagrams.graph_mermaid,
        "dot": diagrams.graph_dot,
        "json": diagrams.graph_json,
    }
    click.echo(writers[fmt](result), nl=False)


# Help -------------------------------------------------------------------------------------


def _complete_help(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    names = [*_group(ctx).commands, *TOPICS]
    return [name for name in names if name.startswith(incomplete)]


@click.command(name="help", short_help="Help on a command, or on a topic: environment, exit-codes.")
@click.argument("topic", required=False, metavar="[COMMAND|TOPIC]", shell_complete=_complete_help)
@click.option("--man", is_flag=True, help="Print sbkb's man page (roff) instead.")
@click.pass_context
def help_command(ctx: click.Context, topic: str | None, man: bool) -> None:
    """Help on a command, or on a topic: environment (the variables sbkb reads),
    exit-codes (what an exit code says).

    \b
    Examples:
      sbkb help invest
      sbkb help environment
      sbkb help exit-codes
      sbkb help --man | man -l -
    """
    root = ctx.find_root()
    cli = _group(ctx)
    if man:
        if topic:
            raise click.UsageError("--man prints the whole manual: give no COMMAND or TOPIC.")
        click.echo(man_page(cli, __version__), nl=False)
    elif topic is None:
        click.echo(root.get_help())
        click.echo("\n" + topics_line())
    elif topic in TOPICS:
        click.echo(topic_text(topic))
    elif topic in cli.commands:
        command = cli.commands[topic]
        click.echo(command.get_help(click.Context(command, info_name=topic, parent=root)))
    else:
        import difflib

        close = difflib.get_close_matches(topic, [*cli.commands, *TOPICS], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise click.UsageError(f"No command or help topic {topic!r}.{hint} {topics_line()}", ctx)


@click.command(short_help="The shell completion script for bash, zsh or fish.")
@click.argument("shell", type=Choice(["bash", "zsh", "fish"]), metavar="SHELL")
def completion(shell: str) -> None:
    """Print the script that completes sbkb's commands, options, names and ids.

    \b
    Examples:
      sbkb completion bash >> ~/.bashrc
      sbkb completion zsh >> ~/.zshrc
      sbkb completion fish > ~/.config/fish/completions/sbkb.fish
    """
    from click.shell_completion import get_completion_class

    shell_type = get_completion_class(shell)
    assert shell_type is not None  # the three shells click knows
    cli = _group(click.get_current_context())
    click.echo(shell_type(cli, {}, "sbkb", "_SBKB_COMPLETE").source())


def _group(ctx: click.Context) -> click.Group:
    """The `sbkb` group the command runs in."""
    group = ctx.find_root().command
    assert isinstance(group, click.Group)
    return group


# The manual: help topics and the man page --------------------------------------------------

# Every variable sbkb reads, and what it does. `sbkb help environment`, the man page and
# docs/environment.md say the same (tests/test_help.py).
ENVIRONMENT = (
    ("SBKB_DATA", "Data directory to read instead of the bundled knowledge base; --data wins."),
    (
        "SBKB_FORMAT",
        "table, tsv, csv or json: the form of a query's answer when no flag gives one."
        " Another value is said on stderr and ignored.",
    ),
    ("SBKB_NO_CACHE", "Any value but 0: read the data files every time, without the cache."),
    (
        "SBKB_DEBUG",
        "Any value: an internal error (exit 4) shows its traceback instead of one line.",
    ),
    (
        "XDG_CACHE_HOME",
        "The cache is kept in $XDG_CACHE_HOME/sbkb, else ~/.cache/sbkb. A relative path"
        " is ignored.",
    ),
    ("NO_COLOR", "Any value: no colour, as --no-color."),
    ("FORCE_COLOR", "Any value: colour even when piped (NO_COLOR and --no-color win)."),
    ("COLUMNS", "Width of the terminal drawing; below 20 is taken as 80."),
    (
        "PAGER",
        "Long output on a terminal is paged through $MANPAGER or $PAGER, else less;"
        " LESS defaults to FRX. --no-pager turns paging off.",
    ),
)

EXIT_CODES = (
    (EXIT_OK, "Answered."),
    (
        EXIT_NO_MATCH,
        "Nothing matched (stderr suggests the closest names); the question is not in the"
        " sources; or validate or verify found problems.",
    ),
    (2, "Usage error: an unknown command or option, a bad value."),
    (EXIT_LOAD, "The knowledge base could not be loaded; every problem is given as file:line."),
    (EXIT_INTERNAL, "Internal error, a bug; SBKB_DEBUG=1 shows the traceback."),
    (EXIT_UNWRITABLE, "The output could not be written: stdout closed, a full disk, a bad -o."),
    (EXIT_INTERRUPTED, "Interrupted with Ctrl-C."),
)

TOPICS = {
    "environment": ("The environment variables sbkb reads.", ENVIRONMENT),
    "exit-codes": ("What sbkb's exit code says.", EXIT_CODES),
}


def topic_text(topic: str) -> str:
    """A help topic as a terminal shows it: a title, then a term and its meaning per entry."""
    title, entries = TOPICS[topic]
    width = max(len(str(term)) for term, _ in entries) + 2
    lines = [title, ""]
    for term, meaning in entries:
        wrapped = textwrap.wrap(meaning, 78 - width)
        lines.append(f"  {term!s:<{width}}{wrapped[0]}")
        lines += [" " * (width + 2) + line for line in wrapped[1:]]
    return "\n".join(lines)


def topics_line() -> str:
    """The line the group's help and `sbkb help` end with."""
    return "Topics: " + ", ".join(f"sbkb help {topic}" for topic in TOPICS) + "."


# The man page -----------------------------------------------------------------------------


def man_page(group: click.Group, version: str) -> str:
    """sbkb(1) in roff: every command with its options, the environment and exit codes."""
    # With the commands' context settings (-h as --help), as a run of sbkb has them.
    root = click.Context(group, info_name="sbkb", **group.context_settings)
    lines = [
        f'.TH SBKB 1 "" "sbkb {version}" "User Commands"',
        ".SH NAME",
        r"sbkb \- " + _roff(_first_line(group.help or "")),
        ".SH SYNOPSIS",
        r".B sbkb",
        r"[\fB\-\-data\fR \fIDIR\fR] \fICOMMAND\fR [\fIOPTIONS\fR] [\fIARGUMENTS\fR]",
        ".SH DESCRIPTION",
        *_paragraphs(_after_first_line(group.help or "")),
        ".SH GLOBAL OPTIONS",
        *_options(group, root),
        ".SH COMMANDS",
    ]
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        ctx = click.Context(command, info_name=name, parent=root, **command.context_settings)
        usage = " ".join(command.collect_usage_pieces(ctx))
        lines += [f".SS {_roff(f'sbkb {name} {usage}')}", *_paragraphs(command.help or "")]
        lines += _options(command, ctx, with_help=False)
    lines.append(".SH ENVIRONMENT")
    for term, meaning in ENVIRONMENT:
        lines += [".TP", rf"\fB{term}\fR", _roff(meaning)]
    lines.append(".SH EXIT STATUS")
    for code, meaning in EXIT_CODES:
        lines += [".TP", rf"\fB{code}\fR", _roff(meaning)]
    lines += [
        ".SH FILES",
        ".TP",
        r"\fI$XDG_CACHE_HOME/sbkb\fR",
        _roff("The cache of validated knowledge bases, keyed by the content of the data files."),
        ".SH SEE ALSO",
        _roff("sbkb help COMMAND; the docs/ directory of sbkb's repository."),
    ]
    return "\n".join(lines) + "\n"


def _first_line(text: str) -> str:
    return text.strip().split("\n\n")[0].replace("\n", " ")


def _after_first_line(text: str) -> str:
    return "\n\n".join(text.strip().split("\n\n")[1:])


def _paragraphs(text: str) -> list[str]:
    """Click's help text as roff: a \\b block kept line for line, other paragraphs filled."""
    lines: list[str] = []
    for paragraph in re.split(r"\n[ \t]*\n", inspect.cleandoc(text)):
        if not paragraph.strip():
            continue
        if paragraph.startswith("\b"):
            kept = paragraph[1:].strip("\n").split("\n")
            lines += [".PP", ".nf", *(_roff(line) for line in kept), ".fi"]
        else:
            lines += [".PP", _roff(" ".join(paragraph.split()))]
    return lines


def _options(command: click.Command, ctx: click.Context, with_help: bool = True) -> list[str]:
    """Each option of a command, its names and metavar in bold, then its help."""
    lines = []
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option):
            continue
        # The help option by its names: click before 8.3 makes it anew, named otherwise.
        if not with_help and set(param.opts) <= set(ctx.help_option_names):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        lines += [".TP", r"\fB" + _roff(names) + r"\fR", _roff(help_text or "")]
    return lines


def _roff(text: str) -> str:
    """Text safe in a roff line: backslashes and hyphens escaped, no leading control dot,
    and ASCII only (other characters as roff's \\[uXXXX]), whatever groff's input encoding."""
    text = text.replace("\\", r"\e").replace("-", r"\-")
    text = "".join(c if c.isascii() else f"\\[u{ord(c):04X}]" for c in text)
    return r"\&" + text if text.startswith((".", "'")) else text
