"""The `sbkb` command line: click options in, one core call, one renderer out."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from softbank_kb import __version__

if TYPE_CHECKING:
    from softbank_kb.models import KnowledgeBase

# Exit codes, as the README documents them.
EXIT_OK = 0
EXIT_NO_MATCH = 1
EXIT_USAGE = 2
EXIT_LOAD = 3
EXIT_INTERRUPTED = 130


class KnowledgeBaseUnavailable(click.ClickException):
    """The data directory could not be loaded."""

    exit_code = EXIT_LOAD


class NothingMatched(click.ClickException):
    """The query was understood but found nothing."""

    exit_code = EXIT_NO_MATCH


class Problems(click.ClickException):
    """`validate` or `verify` found problems; they are already printed."""

    exit_code = EXIT_NO_MATCH

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


def _data_dir(ctx: click.Context) -> Path:
    from softbank_kb.paths import bundled_data_dir

    chosen = ctx.find_root().params.get("data_dir")
    return Path(chosen) if chosen else bundled_data_dir()


def load_kb(ctx: click.Context) -> KnowledgeBase:
    """The knowledge base of the chosen data directory, or exit 3 with every reason."""
    from softbank_kb.loading import KnowledgeBaseError, load_knowledge_base

    data_dir = _data_dir(ctx)
    try:
        return load_knowledge_base(data_dir)
    except KnowledgeBaseError as error:
        hint = f"\nRun `sbkb --data {data_dir} validate` to see every problem."
        lines = [str(e) for e in error.errors[:20]]
        if len(error.errors) > 20:
            lines.append(f"... and {len(error.errors) - 20} more")
        raise KnowledgeBaseUnavailable(
            f"the knowledge base in {data_dir} could not be loaded:\n" + "\n".join(lines) + hint
        ) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data",
    "data_dir",
    envvar="SBKB_DATA",
    type=click.Path(file_okay=True, dir_okay=True, path_type=str),
    help="Data directory to use instead of the bundled knowledge base (env: SBKB_DATA).",
)
@click.version_option(__version__, "-V", "--version", prog_name="sbkb")
def cli(data_dir: str | None) -> None:
    """A sourced knowledge base of SoftBank's AI strategy, from two French articles.

    \b
    Examples:
      sbkb invest --year 2024          what SoftBank invested in, or bought, in 2024
      sbkb quote "Jensen Huang"        what he said, French original and English
      sbkb search grafcore             typo-, accent- and alias-tolerant search

    Exit codes: 0 answered, 1 nothing matched (or validate/verify found problems),
    2 usage error, 3 the knowledge base could not be loaded.
    """


@cli.command()
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Check a data directory: structure, types, ids and references.

    \b
    Example:
      sbkb --data ./my-data validate

    Prints `OK: N records in M files`, or every problem as file:line:column and
    exits 1.
    """
    from softbank_kb.loading import check_data_dir

    data_dir = _data_dir(ctx)
    kb, errors, file_count = check_data_dir(data_dir)
    if errors or kb is None:
        raise Problems(
            "\n".join(str(error) for error in errors)
            + f"\n{len(errors)} problem{'s' if len(errors) != 1 else ''} in {data_dir}"
        )
    click.echo(f"OK: {len(kb)} records in {file_count} files")


@cli.command()
@click.option(
    "--sources",
    "sources_dir",
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
      sbkb verify --sources ../shared/seeds

    Each citation excerpt and each quote's text must stand verbatim in its cited
    article (after Unicode NFC, folding of typographic quotes and collapsing of white
    space; '…' elides). Exits 1 on any failure.
    """
    from softbank_kb.render import verify_report_lines
    from softbank_kb.verify import verify as verify_kb

    report = verify_kb(load_kb(ctx), sources_dir)
    lines = verify_report_lines(report, uncited=uncited)
    if not report.ok:
        raise Problems("\n".join(lines))
    click.echo("\n".join(lines))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a data file, for editors that check YAML as you type.

    \b
    Example:
      sbkb schema > sbkb.schema.json
    """
    import json

    from softbank_kb.models import data_file_schema

    click.echo(json.dumps(data_file_schema(), indent=2, ensure_ascii=False))


def main() -> NoReturn:
    """Run the CLI; a closed pipe or Ctrl-C ends it quietly."""
    try:
        cli.main(prog_name="sbkb", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`sbkb timeline | head -1`): stop without a traceback,
        # and keep Python from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_OK)
    sys.exit(EXIT_OK)
