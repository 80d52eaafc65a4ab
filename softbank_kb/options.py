"""What query commands share: options, value types, the knowledge base and how answers show."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import click

from softbank_kb.errors import EMPTY_JSON_KEY, FORMAT_KEY, NothingMatched, OutputUnwritable
from softbank_kb.printable import safe
from softbank_kb.reading import complete_names, data_dir

Command = TypeVar("Command", bound=Callable[..., Any])

# The forms a query's answer can take. `table` is for people; where stdout is not a
# terminal, a list is printed as `tsv` unless SBKB_FORMAT or a flag says otherwise.
OUTPUT_FORMATS = ("table", "tsv", "csv", "json")
_FORMAT_HELP = {
    "table": "Draw tables even when stdout is not a terminal.",
    "csv": "A list as CSV with a header line.",
    "tsv": "A list as tab-separated lines with a header (the default when piped).",
    "json": "Print one JSON document and nothing else ([] or null when nothing matched).",
}
_SORT = "sbkb.sort"
_LIMIT = "sbkb.limit"
_ORDER_WORDS = {
    "date": "newest first",
    "amount": "largest first, within a currency",
    "name": "A to Z",
}


def without_hint(ctx: click.Context, *names: str) -> str:
    """'try without --about or --year', naming only the filters the user gave."""
    shown = {param.name: param for param in ctx.command.params}
    given = [
        shown[name].opts[0] if isinstance(shown[name], click.Option) else name.upper()
        for name in names
        # A value too: click 8.2.0 says COMMANDLINE for an empty nargs=-1 argument.
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
        and ctx.params.get(name) not in (None, (), "")
    ]
    return f"try without {' or '.join(given)}." if given else ""


def one_record_asked(ctx: click.Context) -> None:
    """The command answers with one record: under --json, nothing found is `null`."""
    ctx.meta[EMPTY_JSON_KEY] = "null"


# How the answer is shown ------------------------------------------------------------------


def chosen_format(ctx: click.Context | None = None, to_file: bool = False) -> str:
    """The form the user asked for: a flag, else SBKB_FORMAT, else by where the answer goes.

    An SBKB_FORMAT that names no form is said on stderr, and passed over.
    """
    given = ctx.meta.get(FORMAT_KEY) if ctx is not None else None
    if given:
        return given
    env = os.environ.get("SBKB_FORMAT", "").strip().lower()
    if env in OUTPUT_FORMATS:
        return env
    if env:
        click.echo(
            safe(f"sbkb: SBKB_FORMAT={env!r} is not one of {', '.join(OUTPUT_FORMATS)}; ignored."),
            err=True,
        )
    return "table" if sys.stdout.isatty() and not to_file else "tsv"


@dataclass(frozen=True)
class Output:
    """How the user asked to see the answer: its form, colour, pager, order and length."""

    output_format: str
    no_color: bool = False
    no_pager: bool = False
    sort: str | None = None
    limit: int | None = None
    # What stderr says once the answer is out: under the table, not above it (N2).
    notes: list[str] = field(default_factory=list)

    def cut(self, records: Sequence[Any], what: str) -> list[Any]:
        """The records in the order asked for, cut to --limit, saying so after the answer."""
        from softbank_kb.query import ordered

        chosen = ordered(records, self.sort)
        if self.limit is not None and len(chosen) > self.limit:
            self.say_cut(self.limit, len(chosen), what)
            chosen = chosen[: self.limit]
        return chosen

    def say_cut(self, limit: int, found: int, what: str) -> None:
        """After the answer, on stderr: '20 of 113 records shown (--limit 20).'"""
        self.notes.append(f"{limit} of {found} {what} shown (--limit {limit}).")

    def show_lists(self, lists: Callable[[], Sequence[Any]], machine: Callable[[], str]) -> None:
        """A list command whose view is its record lists: tables, cards, TSV or CSV."""
        self.show(lambda render: lists(), machine, listing=lists)

    def show(
        self,
        human: Callable[[ModuleType], Sequence[Any]],
        machine: Callable[[], str],
        listing: Callable[[], Sequence[Any]] | None = None,
    ) -> None:
        """Print the JSON document, a list's lines, or the renderables on the console.

        `human` is given the rich renderer, imported only here: JSON, TSV and CSV
        import no rich (about 20 ms). `listing` gives the record lists a list command
        prints as TSV or CSV; a command without one (a profile, one record, counts) is
        drawn as for a terminal.
        """
        self._print(human, machine, listing)
        # After the pager has quit, so that the note stands under the table; and after
        # what stdout holds, where both go to one pipe.
        sys.stdout.flush()
        for note in self.notes:
            click.echo(note, err=True)
        self.notes.clear()

    def _print(
        self,
        human: Callable[[ModuleType], Sequence[Any]],
        machine: Callable[[], str],
        listing: Callable[[], Sequence[Any]] | None,
    ) -> None:
        if self.output_format == "json":
            click.echo(machine())
            return
        if listing is not None and self.output_format in ("tsv", "csv"):
            from softbank_kb.listing import delimited

            # Not click.echo: it would write UTF-8 whatever the stream's encoding (L2).
            sys.stdout.write(delimited(listing(), self.output_format))
            return
        from softbank_kb import render

        render.emit(
            render.make_console(no_color=self.no_color), human(render), pager=not self.no_pager
        )


def output_file_option(command: Command) -> Command:
    """-o/--output PATH, as every command that writes an answer takes it."""
    return click.option(
        "-o",
        "--output",
        "output_path",
        metavar="PATH",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
        help="Write to this file (a new name or a regular file) instead of stdout; `-` is stdout.",
    )(command)


def output_path_of(output_path: str | None) -> Path | None:
    """The file -o names, None for stdout (`-` or no -o), or a usage error."""
    if output_path == "":
        raise click.BadParameter("an empty file name", param_hint="--output")
    return None if output_path in (None, "-") else Path(output_path)


def output_options(command: Command) -> Command:
    """--json, --tsv, --csv, --table, -o, --no-color and --no-pager, handed over as `out`."""

    @functools.wraps(command)
    def with_output(
        *args: Any,
        output_format: str | None,
        output_path: str | None,
        no_color: bool,
        no_pager: bool,
        **kwargs: Any,
    ) -> Any:
        ctx = click.get_current_context()
        target = output_path_of(output_path)
        out = Output(
            chosen_format(ctx, to_file=target is not None),
            no_color,
            no_pager,
            ctx.meta.get(_SORT),
            ctx.meta.get(_LIMIT),
        )
        # Settled here, for the errors the command raises (NothingMatched prints `[]`).
        ctx.meta[FORMAT_KEY] = out.output_format
        if target is None:
            return command(*args, out=out, **kwargs)
        checked = output_target(ctx, target)
        return written_to(checked, lambda: command(*args, out=out, **kwargs))

    # Applied bottom up, so --help lists them --json first and --no-pager last.
    options = [
        click.option("--no-pager", is_flag=True, help="Never page long output on a terminal."),
        click.option(
            "--no-color", is_flag=True, help="No colour, even on a terminal (also: NO_COLOR)."
        ),
        output_file_option,
        *(
            click.option(
                f"--{form}",
                "output_format",
                flag_value=form,
                callback=_remember_format,
                help=help_text,
            )
            for form, help_text in _FORMAT_HELP.items()
        ),
    ]
    decorated: Any = with_output
    for option in options:
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def written_to(target: Path, run: Callable[[], Any]) -> Any:
    """Run a command with its stdout going to `target`, written whole once it is complete.

    What the command would have printed is what the file holds, `[]` or `null` under
    --json when nothing matched included; a command that printed nothing writes no file.
    """
    import contextlib
    import io

    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            result = run()
    except NothingMatched as error:
        if error.json_document is not None:
            printed.write(error.json_document + "\n")
            error.json_document = None
        if printed.getvalue():
            write_output(target, printed.getvalue())
        raise
    write_output(target, printed.getvalue())
    return result


def output_target(ctx: click.Context, target: Path, param_hint: str = "--output") -> Path:
    """The file an answer may replace or create, or a usage error saying why not."""
    from softbank_kb.export import OutputRefused, check_target
    from softbank_kb.paths import data_files, maybe_inside

    directory = data_dir(ctx)
    try:
        checked = check_target(target, data_files(directory))
    except OutputRefused as error:
        raise click.BadParameter(str(error), param_hint=param_hint) from None
    except OSError as error:
        raise OutputUnwritable(f"cannot write {str(target)!r}: {error.strerror}") from None
    # After the checks that say what is wrong with the path itself: this one, when the
    # file system cannot tell, only knows to refuse.
    if maybe_inside(target, directory):
        raise click.BadParameter(
            "sbkb never writes into a data directory (nor where it cannot tell it is outside)",
            param_hint=param_hint,
        )
    return checked


def write_output(target: Path, write: Callable[[Path], None] | str) -> None:
    """Write through a temporary file beside `target`; exit 5 saying why it failed.

    `write` is the text to write (UTF-8), or a function that writes the temporary file.
    """
    import sqlite3

    from softbank_kb.export import write_file

    if isinstance(write, str):
        text = write
        write = lambda path: path.write_text(text, encoding="utf-8", newline="")  # noqa: E731
    try:
        write_file(target, write)
    except (OSError, sqlite3.Error) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise OutputUnwritable(f"cannot write {str(target)!r}: {reason}") from None


def json_or_format(ctx: click.Context, fmt: str, as_json: bool) -> str:
    """--json is --format json; with another --format it is a usage error."""
    if not as_json:
        return fmt
    given = ctx.get_parameter_source("fmt") == click.core.ParameterSource.COMMANDLINE
    if given and fmt != "json":
        raise click.UsageError(f"--json and --format {fmt} ask for two forms: give one.")
    return "json"


def _remember_format(ctx: click.Context, param: click.Parameter, form: str | None) -> str | None:
    # Every flag of the four reports, given or not; only a given one has a value.
    if form:
        ctx.meta[FORMAT_KEY] = form
    return ctx.meta.get(FORMAT_KEY)


def list_options(*orders: str) -> Callable[[Command], Command]:
    """--limit and --sort, as every list command takes them; `orders` are its --sort choices.

    Kept in the context and handed over in `out` by `output_options`, which must be
    applied under this decorator.
    """

    def decorate(command: Command) -> Command:
        if orders:
            command = click.option(
                "--sort",
                type=Choice(orders),
                metavar="ORDER",
                expose_value=False,
                callback=_remember(_SORT),
                help="Order by "
                + ", ".join(f"{order} ({_ORDER_WORDS[order]})" for order in orders)
                + ".",
            )(command)
        return click.option(
            "--limit",
            metavar="N",
            type=click.IntRange(min=1),
            expose_value=False,
            callback=_remember(_LIMIT),
            help="At most this many records; stderr says how many there were.",
        )(command)

    return decorate


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def keep(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta[key] = value
        return value

    return keep


# Options and arguments --------------------------------------------------------------------


class YearsType(click.ParamType):
    """A year (2024) or an inclusive range of years (2024..2025)."""

    name = "YEAR"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> range:
        if isinstance(value, range):
            return value
        from softbank_kb.query import parse_years

        try:
            return parse_years(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


def _year_set(ctx: click.Context, param: click.Parameter, specs: tuple[range, ...]) -> Any:
    return {year for spec in specs for year in spec} if specs else None


def year_option(command: Command) -> Command:
    """--year 2024 or --year 2024..2025, repeatable, handed over as a set of years or None."""
    return click.option(
        "--year",
        "years",
        type=YearsType(),
        multiple=True,
        callback=_year_set,
        help="A year or 2024..2025; repeatable.",
    )(command)


def company_option(help_text: str) -> Callable[[Command], Command]:
    """--company NAME, completed from the names of organisations and people."""
    return click.option(
        "--company",
        metavar="NAME",
        help=help_text,
        shell_complete=complete_names(("organization", "person")),
    )


def _joined(ctx: click.Context, param: click.Parameter, words: tuple[str, ...]) -> str | None:
    """Several words typed without quotes are one name: `sbkb quote jensen huang`."""
    return " ".join(words) if words else None


def words_argument(
    name: str, types: tuple[str, ...] = (), required: bool = False
) -> Callable[[Command], Command]:
    """An argument of one or more words, joined with spaces; completed from names of `types`."""
    return click.argument(
        name,
        nargs=-1,
        required=required,
        callback=_joined,
        shell_complete=complete_names(types) if types else None,
    )


class Choice(click.Choice):
    """A closed list of values; a mistyped one gets "did you mean" (N11)."""

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        import difflib

        close = difflib.get_close_matches(self.spelled(str(value)), self.choices, n=1, cutoff=0.6)
        message = f"{value!r} is not one of {', '.join(map(str, self.choices))}."
        return message + (f"\nDid you mean {close[0]!r}?" if close else "")

    def spelled(self, value: str) -> str:
        """The value as the list writes its choices."""
        return value.strip().lower()


class KindChoice(Choice):
    """A kind as the data writes it (funding_round) or as a person does (funding-round,
    "funding round", Funding Round)."""

    def spelled(self, value: str) -> str:
        return value.strip().lower().replace("-", "_").replace(" ", "_")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        spelled = self.spelled(str(value))
        return super().convert(spelled if spelled in self.choices else value, param, ctx)


def listed(choices: Sequence[str]) -> str:
    """Choices for a help text: 'fr, en or both'."""
    return ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]


class DateType(click.ParamType):
    """A date of any precision: 2024, 2024-11 or 2024-11-05."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from softbank_kb.models import parse_date

        try:
            return parse_date(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD", param, ctx
            )


class AmountType(click.ParamType):
    """An amount with or without its currency: 1e9, 10e9USD, '10bn USD'."""

    name = "AMOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        from softbank_kb.query import parse_money_filter

        try:
            return parse_money_filter(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


def currency_code(ctx: click.Context, param: click.Parameter, code: str | None) -> str | None:
    """An ISO 4217 code, in capitals, or a usage error."""
    from softbank_kb.choices import ISO_4217

    if not code:
        return None
    if code.upper() not in ISO_4217:
        raise click.BadParameter(f"{code!r} is not an ISO 4217 code such as USD, EUR or JPY")
    return code.upper()
