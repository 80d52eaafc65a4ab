"""The `sbkb` command line: click options in, one core call, one renderer out."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from softbank_kb import __version__

if TYPE_CHECKING:
    from softbank_kb.models import KnowledgeBase

ALL_TYPES = ("source", "organization", "person", "deal", "quote", "figure", "event", "strategy")

# Exit codes, as the README documents them.
EXIT_OK = 0
EXIT_NO_MATCH = 1
EXIT_USAGE = 2
EXIT_LOAD = 3
EXIT_INTERNAL = 4
EXIT_UNWRITABLE = 5
EXIT_INTERRUPTED = 130


class KnowledgeBaseUnavailable(click.ClickException):
    """The data directory could not be loaded."""

    exit_code = EXIT_LOAD


# Where a command's --json choice is kept for the errors it raises (ctx.meta is shared
# by the whole context tree), and the empty document it prints when nothing matched.
_FORMAT = "sbkb.output_format"
_EMPTY_JSON = "sbkb.empty_json"


class NothingMatched(click.ClickException):
    """The query was understood but found nothing.

    Under --json, stdout still gets one document, so that `| jq` never reads nothing:
    `[]` for a list, `null` for one record asked for by name or id.
    """

    exit_code = EXIT_NO_MATCH

    def __init__(self, message: str) -> None:
        super().__init__(message)
        ctx = click.get_current_context(silent=True)
        meta = ctx.meta if ctx is not None else {}
        wants_json = chosen_format(ctx) == "json"
        self.json_document: str | None = meta.get(_EMPTY_JSON, "[]") if wants_json else None

    def show(self, file: Any = None) -> None:
        if self.json_document is not None:
            click.echo(self.json_document)
        super().show(file)


class NotInSources(NothingMatched):
    """A question the sources do not answer: said as an answer, not as an error."""

    def show(self, file: Any = None) -> None:
        if self.json_document is not None:
            click.echo(self.json_document)
        click.echo(f"Not in the sources: {self.message}", err=True)


class Problems(click.ClickException):
    """`validate` or `verify` found problems; they are already printed."""

    exit_code = EXIT_NO_MATCH

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


def load_lexicon() -> None:
    """Make sure the concept lexicon can be read, or exit 3 saying where it is broken."""
    from softbank_kb.lexicon import lexicon
    from softbank_kb.problems import KnowledgeBaseError

    try:
        lexicon()
    except KnowledgeBaseError as error:
        lines = "\n".join(str(e) for e in error.errors[:20])
        raise KnowledgeBaseUnavailable(
            f"the concept lexicon could not be loaded:\n{lines}"
        ) from None


def _data_dir(ctx: click.Context) -> Path:
    from softbank_kb.paths import bundled_data_dir

    chosen = ctx.find_root().params.get("data_dir")
    return Path(chosen) if chosen else bundled_data_dir()


def load_kb(ctx: click.Context) -> KnowledgeBase:
    """The knowledge base of the chosen data directory, or exit 3 with every reason."""
    from softbank_kb.cache import knowledge_base
    from softbank_kb.problems import KnowledgeBaseError, problems_after

    data_dir = _data_dir(ctx)
    try:
        return knowledge_base(data_dir)
    except KnowledgeBaseError as error:
        # Quoted, so that the hint copied into a shell runs no `$(...)` in the name.
        hint = f"\nRun `sbkb --data {shlex_quote(str(data_dir))} validate` to see every problem."
        lines = [str(e) for e in error.errors[:20]]
        if len(error.errors) > 20:
            lines.append(f"... and {problems_after(error.errors, 20)} more")
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
    2 usage error, 3 the knowledge base could not be loaded, 4 internal error (a bug),
    5 the output could not be written, 130 interrupted.
    """


@cli.command()
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
      sbkb validate --strict           a curator's checks too, as CI runs them

    Prints `OK: N records in M files`, or every problem as file:line:column and
    exits 1. With --strict, a warning is a problem too.
    """
    from softbank_kb.loading import check_data_dir, check_data_dir_strictly
    from softbank_kb.problems import problems_after

    data_dir = _data_dir(ctx)
    if strict:
        kb, errors, warnings, file_count = check_data_dir_strictly(data_dir)
    else:
        (kb, errors, file_count), warnings = check_data_dir(data_dir), []
    from softbank_kb.lexicon import check_lexicon

    # The package's lexicon is the curators' too: a broken one is a problem here.
    errors = [*errors, *check_lexicon()[1]]
    if errors or warnings or kb is None:
        lines = [str(error) for error in errors]
        lines += [f"{warning} (warning)" for warning in warnings]
        count = problems_after(errors, 0)
        counts = [f"{count} problem{'s' if count != '1' else ''}"]
        if warnings:
            counts.append(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}")
        raise Problems("\n".join(lines) + f"\n{' and '.join(counts)} in {data_dir}")
    click.echo(f"OK: {len(kb)} records in {file_count} files" + (", strict" if strict else ""))


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
        report = verify_kb(load_kb(ctx), sources_dir)
    except OSError as error:
        raise click.BadParameter(
            f"{str(sources_dir)!r} cannot be read: {error.strerror}", param_hint="--sources"
        ) from None
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


# Shared by every query command ------------------------------------------------------------


# The forms a query's answer can take. `table` is for people; where stdout is not a
# terminal, a list is printed as `tsv` unless SBKB_FORMAT or a flag says otherwise.
OUTPUT_FORMATS = ("table", "tsv", "csv", "json")


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--json, --tsv, --csv, --table, --no-color and --no-pager, as every query takes them."""
    command = click.option(
        "--no-pager", is_flag=True, help="Never page long output on a terminal."
    )(command)
    command = click.option(
        "--no-color", is_flag=True, help="No colour, even on a terminal (also: NO_COLOR)."
    )(command)
    helps = {
        "table": "Draw tables even when stdout is not a terminal.",
        "csv": "A list as CSV with a header line.",
        "tsv": "A list as tab-separated lines with a header (the default when piped).",
        "json": "Print one JSON document and nothing else ([] or null when nothing matched).",
    }
    for form, help_text in helps.items():
        command = click.option(
            f"--{form}",
            "output_format",
            flag_value=form,
            callback=_remember_format,
            help=help_text,
        )(command)
    return command


def _remember_format(ctx: click.Context, param: click.Parameter, form: str | None) -> str | None:
    # Every flag of the four reports, given or not; only a given one has a value.
    if form:
        ctx.meta[_FORMAT] = form
    return ctx.meta.get(_FORMAT)


def chosen_format(ctx: click.Context | None = None) -> str:
    """The form the user asked for: a flag, else SBKB_FORMAT, else by where stdout goes."""
    given = ctx.meta.get(_FORMAT) if ctx is not None else None
    if given:
        return given
    env = os.environ.get("SBKB_FORMAT", "").strip().lower()
    if env in OUTPUT_FORMATS:
        return env
    return "table" if sys.stdout.isatty() else "tsv"


def list_options(*orders: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--limit and --sort, as every list command takes them; `orders` are its --sort choices.

    Kept in the context, not passed to the command: `_shown` applies them.
    """

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        if orders:
            command = click.option(
                "--sort",
                type=click.Choice(orders),
                expose_value=False,
                callback=_remember(_SORT),
                help="Order by "
                + ", ".join(f"{order} ({_ORDER_WORDS[order]})" for order in orders)
                + ".",
            )(command)
        return click.option(
            "--limit",
            type=click.IntRange(min=1),
            expose_value=False,
            callback=_remember(_LIMIT),
            help="At most this many records; stderr says how many there were.",
        )(command)

    return decorate


_SORT = "sbkb.sort"
_LIMIT = "sbkb.limit"
_ORDER_WORDS = {
    "date": "newest first",
    "amount": "largest first, within a currency",
    "name": "A to Z",
}


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def keep(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta[key] = value
        return value

    return keep


def _shown(ctx: click.Context, records: Sequence[Any], what: str) -> list[Any]:
    """The records in the order asked for, cut to --limit, saying so on stderr."""
    from softbank_kb.query import ordered

    chosen = ordered(records, ctx.meta.get(_SORT))
    limit = ctx.meta.get(_LIMIT)
    if limit is not None and len(chosen) > limit:
        _say_cut(limit, len(chosen), what)
        chosen = chosen[:limit]
    return chosen


def _say_cut(limit: int, found: int, what: str) -> None:
    """On stderr, that a list was cut: '20 of 113 records shown (--limit 20).'"""
    click.echo(f"{limit} of {found} {what} shown (--limit {limit}).", err=True)


class KindChoice(click.Choice):
    """A kind as the data writes it (funding_round) or as a person does (funding-round,
    "funding round", Funding Round)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        spelled = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        return super().convert(spelled if spelled in self.choices else value, param, ctx)


def _one_record_asked(ctx: click.Context) -> None:
    """The command answers with one record: under --json, nothing found is `null`."""
    ctx.meta[_EMPTY_JSON] = "null"


@dataclass(frozen=True)
class Output:
    """How the user asked to see the answer."""

    output_format: str
    no_color: bool
    no_pager: bool

    def show_lists(self, lists: Callable[[], Sequence[Any]], machine: Callable[[], str]) -> None:
        """A list command whose view is its record lists: tables, cards, TSV or CSV."""
        self.show(lists, machine, listing=lists)

    def show(
        self,
        human: Callable[[], Sequence[Any]],
        machine: Callable[[], str],
        listing: Callable[[], Sequence[Any]] | None = None,
    ) -> None:
        """Print the JSON document, a list's lines, or the renderables on the console.

        `listing` gives the record lists a list command prints as TSV or CSV; a command
        without one (a profile, one record, counts) is drawn as for a terminal.
        """
        if self.output_format == "json":
            click.echo(machine())
            return
        from softbank_kb import render

        if listing is not None and self.output_format in ("tsv", "csv"):
            # Not click.echo: it would write UTF-8 whatever the stream's encoding (L2).
            sys.stdout.write(render.delimited(listing(), self.output_format))
            return
        render.emit(render.make_console(no_color=self.no_color), human(), pager=not self.no_pager)


def _output(output_format: str | None, no_color: bool, no_pager: bool) -> Output:
    chosen = chosen_format(click.get_current_context(silent=True))
    return Output(output_format=chosen, no_color=no_color, no_pager=no_pager)


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


def _years(values: tuple[range, ...]) -> set[int] | None:
    return {year for spec in values for year in spec} if values else None


def _complete_names(types: tuple[str, ...]) -> Callable[..., list[Any]]:
    """Shell completion of the names of records of these types."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from softbank_kb.printable import safe

        try:
            kb = load_kb(ctx)
        except click.ClickException:
            return []
        prefix = incomplete.lower()
        names = []
        for record in kb.records():
            if record.type not in types:
                continue
            for name in (record.id, getattr(record, "name", ""), *getattr(record, "aliases", ())):
                if name and name.lower().startswith(prefix):
                    # The shell prints candidates when it lists them: no raw controls.
                    names.append(CompletionItem(safe(name), help=safe(record.id)))
        return names

    return complete


def _resolve(kb: KnowledgeBase, name: str, types: tuple[str, ...], what: str) -> Any:
    """The record a name means, or exit 1 suggesting the closest names."""
    from softbank_kb.names import resolve

    resolution = resolve(kb, name, types)
    if resolution.record is not None:
        return resolution.record
    if resolution.candidates:
        names = ", ".join(f"{c.label} ({c.id})" for c in resolution.candidates)
        raise NothingMatched(f"{name!r} matches more than one {what}: {names}. Be more precise.")
    near = ""
    if resolution.nearest:
        near = (
            " Names spelled close to it: "
            + ", ".join(f"{c.label} ({c.id})" for c in resolution.nearest)
            + "."
        )
    raise NothingMatched(
        f"no {what} matches {name!r}.{near} Try `sbkb search {shlex_quote(name)}`."
    )


def shlex_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _joined(ctx: click.Context, param: click.Parameter, words: tuple[str, ...]) -> str | None:
    """Several words typed without quotes are one name: `sbkb quote jensen huang`."""
    return " ".join(words) if words else None


def _nothing(what: str, hint: str = "") -> NoReturn:
    raise NothingMatched(f"no {what} matched" + (f"; {hint}" if hint else "."))


def _without(ctx: click.Context, *names: str) -> str:
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


# Query commands ---------------------------------------------------------------------------


# Spelled out here, not read from the Deal model, so that `--help` needs no pydantic;
# tests/test_cli.py checks that the two lists agree.
def _currency(code: str) -> str:
    """An ISO 4217 code, in capitals, or a usage error."""
    from softbank_kb.currencies import ISO_4217

    if code.upper() not in ISO_4217:
        raise click.BadParameter(f"{code!r} is not an ISO 4217 code such as USD, EUR or JPY")
    return code.upper()


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


def _minimum_and_currency(
    min_amount: tuple[float, str | None] | None, currency: str | None
) -> tuple[float | None, str | None]:
    """--min-amount and --currency as one amount in one currency, or a usage error."""
    if min_amount is None:
        if currency:
            raise click.UsageError("--currency goes with --min-amount.")
        return None, None
    amount, stated = min_amount
    if stated and currency and stated != currency:
        raise click.UsageError(f"--min-amount is in {stated} but --currency says {currency}.")
    if not (stated or currency):
        raise click.UsageError(
            "--min-amount needs a currency, as amounts are never compared across"
            " currencies: --min-amount 10e9USD, --min-amount '10bn USD', or add --currency USD."
        )
    return amount, stated or currency


def _say_conversions(deals: Sequence[Any], currency: str) -> None:
    """Name on stderr each deal that reached the minimum through a stated conversion."""
    from softbank_kb.query import through_conversion
    from softbank_kb.render import format_value

    for deal in deals:
        converted = through_conversion(deal, currency)
        if converted is not None:
            click.echo(
                f"{deal.id}: counted in {currency} by the article's own conversion,"
                f" {format_value(converted)}.",
                err=True,
            )


DEAL_KINDS = (
    "investment",
    "funding_round",
    "acquisition",
    "stake_purchase",
    "divestment",
    "joint_venture",
    "partnership",
    "budget",
)


@cli.command()
@click.option(
    "--year", "years", type=YearsType(), multiple=True, help="A year or 2024..2025; repeatable."
)
@click.option(
    "--kind",
    "kinds",
    type=KindChoice(DEAL_KINDS),
    multiple=True,
    help="Kind of deal (funding_round, funding-round or 'funding round'); repeatable.",
)
@click.option(
    "--company",
    help="Investor, target, partner or fund, or a company of its group; by name, alias or typo.",
    shell_complete=_complete_names(("organization", "person")),
)
@click.option(
    "--min-amount",
    type=AmountType(),
    help="Smallest amount, with its currency: 10e9USD, '10bn USD', or 1e10 --currency USD.",
)
@click.option(
    "--currency",
    callback=lambda _ctx, _param, value: _currency(value) if value else None,
    help="Currency of --min-amount. A deal counts in its own currency, or through a"
    " conversion the article states; never across currencies.",
)
@list_options("date", "amount", "name")
@output_options
@click.pass_context
def invest(
    ctx: click.Context,
    years: tuple[range, ...],
    kinds: tuple[str, ...],
    company: str | None,
    min_amount: tuple[float, str | None] | None,
    currency: str | None,
    **output: Any,
) -> None:
    """Deals: investments, rounds, acquisitions, joint ventures, stake sales.

    \b
    Examples:
      sbkb invest --year 2024
      sbkb invest --company ampere
      sbkb invest --kind acquisition --year 2024..2025 --json

    Newest first. Amounts keep the article's qualifier and its stated conversions.
    """
    from softbank_kb.query import find_deals

    if min_amount is not None and min_amount != min_amount:
        # FloatRange(min=0) lets NaN through: every comparison with it is false.
        raise click.BadParameter("nan is not a number", param_hint="--min-amount")
    kb = load_kb(ctx)
    company_id = (
        _resolve(kb, company, ("organization", "person"), "organisation") if company else None
    )
    minimum, currency = _minimum_and_currency(min_amount, currency)
    deals = find_deals(
        kb,
        years=_years(years),
        kinds=kinds,
        company=company_id.id if company_id else None,
        min_amount=minimum,
        currency=currency or "",
    )
    if not deals:
        dated = sorted({d.date.year for d in kb.deals if d.date is not None})
        hint = _without(ctx, "years", "kinds", "company", "min_amount")
        _nothing("deal", f"deals are dated {', '.join(map(str, dated))}; {hint}".rstrip("; "))
    deals = _shown(ctx, deals, "deals")
    if currency:
        _say_conversions(deals, currency)
    from softbank_kb import render

    _output(**output).show_lists(
        lambda: [render.deals_table(deals, kb)], lambda: render.records_json(deals)
    )


@cli.command()
@click.argument(
    "speaker",
    nargs=-1,
    callback=_joined,
    shell_complete=_complete_names(("person", "organization")),
)
@click.option("--about", help="Keep quotes that mention this entity or contain these words.")
@click.option(
    "--year", "years", type=YearsType(), multiple=True, help="A year or 2024..2025; repeatable."
)
@click.option("--lang", type=click.Choice(["fr", "en", "both"]), default="both", show_default=True)
@list_options("date", "name")
@output_options
@click.pass_context
def quote(
    ctx: click.Context,
    speaker: str | None,
    about: str | None,
    years: tuple[range, ...],
    lang: str,
    **output: Any,
) -> None:
    """Quotes, the French original and an English translation, with their source.

    \b
    Examples:
      sbkb quote "Jensen Huang"
      sbkb quote Masa --about nvidia
      sbkb quote --about AI-RAN --lang en

    SPEAKER is a person or organisation by name, alias or typo.
    """
    from softbank_kb.query import find_quotes

    kb = load_kb(ctx)
    speaker_record = (
        _resolve(kb, speaker, ("person", "organization"), "speaker") if speaker else None
    )
    about_ids: list[str] = []
    if about:
        from softbank_kb.names import resolve

        about_record = resolve(kb, about, ("person", "organization", "strategy")).record
        about_ids = [about_record.id] if about_record else []
    quotes = find_quotes(
        kb,
        speaker=speaker_record.id if speaker_record else None,
        about_ids=about_ids,
        about_words=about,
        years=_years(years),
    )
    if not quotes:
        _nothing("quote", _without(ctx, "about", "years", "speaker"))
    quotes = _shown(ctx, quotes, "quotes")
    from softbank_kb import render

    _output(**output).show(
        lambda: [render.quote_panel(q, kb, lang) for q in quotes],
        lambda: render.records_json(quotes),
        listing=lambda: [render.quotes_list(quotes, kb)],
    )


def _directory_command(record_type: str, what: str) -> Callable[..., None]:
    """`people` and `company`: a table of all, or one profile by name."""

    def command(ctx: click.Context, name: str | None, **output: Any) -> None:
        from softbank_kb import render
        from softbank_kb.query import profile

        kb = load_kb(ctx)
        out = _output(**output)
        if name:
            _one_record_asked(ctx)
            found = profile(kb, _resolve(kb, name, (record_type,), what))
            out.show(lambda: render.profile_view(found, kb), lambda: render.profile_json(found))
            return
        records = kb.people if record_type == "person" else kb.organizations
        table = render.people_table if record_type == "person" else render.organizations_table
        if not records:
            _nothing(what)
        records = _shown(ctx, records, "people" if record_type == "person" else "organisations")
        out.show_lists(
            lambda: [table(records, kb)],  # type: ignore[arg-type]
            lambda: render.records_json(records),
        )

    return command


@cli.command()
@click.argument("name", nargs=-1, callback=_joined, shell_complete=_complete_names(("person",)))
@list_options("name")
@output_options
@click.pass_context
def people(ctx: click.Context, name: str | None, **output: Any) -> None:
    """People, or one person's profile: roles, aliases, and all that names them.

    \b
    Examples:
      sbkb people
      sbkb people Masa
      sbkb people "anand joshi" --json
    """
    _directory_command("person", "person")(ctx, name, **output)


@cli.command()
@click.argument(
    "name", nargs=-1, callback=_joined, shell_complete=_complete_names(("organization",))
)
@list_options("name")
@output_options
@click.pass_context
def company(ctx: click.Context, name: str | None, **output: Any) -> None:
    """Organisations, or one organisation's profile: deals, figures, quotes, events.

    \b
    Examples:
      sbkb company
      sbkb company graphcore
      sbkb company "vision fund 2" --json
    """
    _directory_command("organization", "organisation")(ctx, name, **output)


@cli.command()
@click.option(
    "--company",
    help="The entity, by name, alias or typo.",
    shell_complete=_complete_names(("organization", "person")),
)
@click.option(
    "--metric",
    help="Part of a metric name, in English or the article's French: revenue, loss,"
    ' "revenu d\'exploitation".',
)
@click.option(
    "--year", "years", type=YearsType(), multiple=True, help="A year or 2024..2025; repeatable."
)
@list_options("date", "amount", "name")
@output_options
@click.pass_context
def financials(
    ctx: click.Context,
    company: str | None,
    metric: str | None,
    years: tuple[range, ...],
    **output: Any,
) -> None:
    """Figures: revenue, losses, targets, shares, with a chart for a series.

    \b
    Examples:
      sbkb financials --company ampere
      sbkb financials --metric "revenu d'exploitation"
      sbkb financials --year 2024 --json

    Targets are charted apart from actuals and forecasts.
    """
    from softbank_kb.query import find_figures, series_of

    kb = load_kb(ctx)
    entity = _resolve(kb, company, ("organization", "person"), "organisation") if company else None
    figures = find_figures(
        kb, entity=entity.id if entity else None, metric=metric, years=_years(years)
    )
    if not figures:
        from softbank_kb.query import metrics_like

        close = metrics_like(kb, metric) if metric else []
        if close:
            _nothing("figure", f"metrics sharing a word with {metric!r}: {', '.join(close)}.")
        _nothing("figure", "try `sbkb financials` without filters.")
    figures = _shown(ctx, figures, "figures")
    from softbank_kb import render

    def human() -> list[Any]:
        charts = [render.series_chart(s, kb) for s in series_of(figures)]
        return [render.figures_table(figures, kb), *charts]

    _output(**output).show(
        human,
        lambda: render.records_json(figures),
        listing=lambda: [render.figures_table(figures, kb)],
    )


@cli.command(name="timeline")
@click.option("--from", "start", type=DateType(), help="First date: 2024, 2024-11 or 2024-11-05.")
@click.option("--to", "end", type=DateType(), help="Last date, inclusive at its precision.")
@click.option(
    "--year", "years", type=YearsType(), multiple=True, help="A year or 2024..2025; repeatable."
)
@list_options("date", "name")
@output_options
@click.pass_context
def timeline_command(
    ctx: click.Context, start: Any, end: Any, years: tuple[range, ...], **output: Any
) -> None:
    """Everything dated, oldest first; a year sorts before its months.

    \b
    Examples:
      sbkb timeline
      sbkb timeline --from 2024-11 --to 2025
    """
    from softbank_kb.query import timeline

    kb = load_kb(ctx)
    records = timeline(kb, start, end, years=_years(years))
    if not records:
        _nothing("dated record", "widen --from/--to or --year.")
    records = _shown(ctx, records, "records")
    from softbank_kb import render

    _output(**output).show_lists(
        lambda: [render.timeline_table(records, kb)], lambda: render.records_json(records)
    )


@cli.command()
@output_options
@click.pass_context
def strategy(ctx: click.Context, **output: Any) -> None:
    """The strategy items, grouped: ASI dimensions, AI layers, stated aims.

    \b
    Example:
      sbkb strategy
    """
    from softbank_kb.query import strategy_groups

    kb = load_kb(ctx)
    groups = strategy_groups(kb)
    if not groups:
        _nothing("strategy item")
    from softbank_kb import render

    items = [item for items in groups.values() for item in items]
    _output(**output).show_lists(
        lambda: render.strategy_tables(groups, kb), lambda: render.records_json(items)
    )


@cli.command()
@click.argument("query", nargs=-1, required=True, callback=_joined)
@click.option(
    "--type",
    "types",
    type=click.Choice(ALL_TYPES),
    multiple=True,
    help="Only records of this type; repeatable.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=1000),
    default=20,
    show_default=True,
    help="At most this many hits.",
)
@output_options
@click.pass_context
def search(
    ctx: click.Context, query: str, types: tuple[str, ...], limit: int, **output: Any
) -> None:
    """Search every record, however it is asked: typos, accents, aliases, French or English.

    \b
    Examples:
      sbkb search grafcore
      sbkb search "robots humanoides"
      sbkb search puces --type deal --json

    Ranking: exact name or alias, then words in a name, then words in any text, then
    fuzzy matches. Words are compared by their English and French stems, and through
    the concept lexicon (`takeover` finds acquisitions, `CFO` the directeur financier).
    Every word must match somewhere in a record; from three words on, a record that
    misses a third of them is still found, last.
    """
    from softbank_kb.search import QueryError
    from softbank_kb.search import search as find

    kb = load_kb(ctx)
    load_lexicon()
    try:
        hits = find(kb, query, types=types or None, limit=limit)
    except QueryError as error:
        raise click.BadParameter(str(error), param_hint="QUERY") from None
    if not hits:
        _nothing("record", "check the spelling, or try fewer words.")
    if hits.found > len(hits):
        _say_cut(limit, hits.found, "records")
    from softbank_kb import render

    _output(**output).show_lists(lambda: [render.hits_table(hits)], lambda: render.hits_json(hits))


@cli.command()
@click.argument("question", nargs=-1, required=True, callback=_joined)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=20),
    default=3,
    show_default=True,
    help="At most this many answers.",
)
@output_options
@click.pass_context
def ask(ctx: click.Context, question: str, limit: int, **output: Any) -> None:
    """Ask a question in English or French; get the records that answer it, with their proof.

    \b
    Examples:
      sbkb ask "How much did SoftBank pay for Ampere?"
      sbkb ask "Combien SoftBank a-t-il payé pour Ampere ?"
      sbkb ask "Qui est le directeur financier de SoftBank ?"
      sbkb ask "What did Son say about Nvidia?"
      sbkb ask "pertes Ampere" --json

    Each answer shows the answer itself (an amount with its qualifier, a date, a person
    and role, a quote), the record's id and the article's own words that prove it. A
    question about something no record names answers "not in the sources" and exits 1
    (with --json, `[]`); one about a known name that asks what no record states shows
    what is known about it, marked as not an answer, and exits 1.
    """
    from softbank_kb.ask import ask as answer
    from softbank_kb.search import QueryError

    kb = load_kb(ctx)
    load_lexicon()
    try:
        reply = answer(kb, question, limit=limit)
    except QueryError as error:
        raise click.BadParameter(str(error), param_hint="QUESTION") from None
    from softbank_kb import render

    shown = _output(**output)
    if reply.answered:
        shown.show(lambda: render.reply_view(reply, kb), lambda: render.answers_json(reply))
        return
    # Under --json the exception below prints the empty document.
    if reply.known and shown.output_format != "json":
        shown.show(lambda: render.known_view(reply, kb), lambda: "[]")
    unknown = reply.question.unknown
    if unknown:
        words = ", ".join(repr(word) for word in unknown)
        raise NotInSources(f"no record mentions {words}.")
    if reply.known:
        raise NotInSources("no record states the answer.")
    raise NotInSources("no record answers this question.")


@cli.command()
@click.argument("record_id", metavar="ID", shell_complete=_complete_names(tuple(ALL_TYPES)))
@output_options
@click.pass_context
def show(ctx: click.Context, record_id: str, **output: Any) -> None:
    """One record in full, every field, with its citations.

    \b
    Example:
      sbkb show ampere-acquisition
    """
    _one_record_asked(ctx)
    kb = load_kb(ctx)
    record = kb.get(record_id)
    if record is None:
        from softbank_kb.names import closest_ids

        close = closest_ids(kb, record_id)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise NothingMatched(f"no record has id {record_id!r}.{hint}")
    from softbank_kb import render

    _output(**output).show(
        lambda: render.record_view(record, kb), lambda: render.to_json(render.record_dict(record))
    )


@cli.command()
@output_options
@click.pass_context
def stats(ctx: click.Context, **output: Any) -> None:
    """Counts of records by type, by year and by source.

    \b
    Example:
      sbkb stats
    """
    from dataclasses import asdict

    from softbank_kb.query import stats as count

    counts = count(load_kb(ctx))
    from softbank_kb import render

    _output(**output).show(
        lambda: render.stats_tables(counts), lambda: render.to_json(asdict(counts))
    )


# Spelled out, as DEAL_KINDS is; tests/test_graph.py checks them against graph.EDGE_KINDS.
GRAPH_KINDS = (*(k for k in DEAL_KINDS if k != "budget"), "owns", "works_for")


@cli.command()
@click.option(
    "--company",
    help="Relations of this organisation or person, and of its subsidiaries.",
    shell_complete=_complete_names(("organization", "person")),
)
@click.option(
    "--kind",
    "kinds",
    type=KindChoice(GRAPH_KINDS),
    multiple=True,
    help="A deal kind, owns or works_for; repeatable.",
)
@click.option(
    "--year", "years", type=YearsType(), multiple=True, help="A year or 2024..2025; repeatable."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot", "json"]),
    default="mermaid",
    show_default=True,
    help="mermaid: renders on GitHub; dot: for Graphviz; json: nodes and edges.",
)
@click.pass_context
def graph(
    ctx: click.Context,
    company: str | None,
    kinds: tuple[str, ...],
    years: tuple[range, ...],
    fmt: str,
) -> None:
    """Who invested in, bought, partnered with, sold, owns or works for whom.

    \b
    Examples:
      sbkb graph --company softbank-group
      sbkb graph --company softbank-group --format dot | dot -Tsvg -o graph.svg
      sbkb graph --kind acquisition --year 2024..2025 --format json

    Every edge is labelled with its relation, date and amount and carries the id of
    the record that states it (a deal, or the organisation or person for owns and
    works for). --year keeps dated deals only.
    """
    from softbank_kb.graph import relations_graph

    kb = load_kb(ctx)
    found = _resolve(kb, company, ("organization", "person"), "organisation") if company else None
    result = relations_graph(
        kb, company=found.id if found else None, kinds=kinds, years=_years(years)
    )
    from softbank_kb import render

    if not result.edges:
        if fmt == "json":  # one document always, as --json promises: an empty graph
            click.echo(render.graph_json(result))
        _nothing("relation", "try fewer filters, or `sbkb invest` to see the dated deals.")

    writers = {"mermaid": render.graph_mermaid, "dot": render.graph_dot, "json": render.graph_json}
    click.echo(writers[fmt](result), nl=False)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "sqlite", "markdown"]),
    required=True,
    help="json: one array; csv: one table with a type column; sqlite: a table per type.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    help="Write to this file (a new name or a regular file) instead of stdout; `-` is stdout.",
)
@click.option(
    "--raw",
    is_flag=True,
    help="CSV and Markdown cells exactly as stored: no formula guard, no escaping.",
)
@click.option(
    "--metadata",
    "metadata_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="sqlite: write Datasette's metadata here (default: metadata.json beside the database).",
)
@click.pass_context
def export(
    ctx: click.Context, fmt: str, output: str | None, raw: bool, metadata_path: Path | None
) -> None:
    """The whole knowledge base for other tools.

    \b
    Examples:
      sbkb export --format json > sbkb.json
      sbkb export --format sqlite -o sbkb.db && datasette sbkb.db -m metadata.json
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

    if output == "":
        raise click.BadParameter("an empty file name", param_hint="--output")
    kb = load_kb(ctx)
    target = None if output in (None, "-") else Path(output)
    if fmt == "sqlite" and target is None:
        raise click.UsageError("--format sqlite needs -o PATH: a database is not text.")
    if metadata_path is not None and fmt != "sqlite":
        raise click.UsageError("--metadata goes with --format sqlite only.")
    if target is not None:
        target = _export_target(ctx, target)
    if fmt == "sqlite":
        assert target is not None
        metadata = metadata_path or target.with_name("metadata.json")
        _export_sqlite(ctx, kb, target, metadata)
        return
    if fmt == "json":
        document = exporting.export_json(kb)
    elif fmt == "csv":
        document = exporting.export_csv(kb, raw=raw)
    else:
        document = exporting.export_markdown(kb, raw=raw)
    if not document.endswith("\n"):
        document += "\n"
    if target is None:
        # Not click.echo: it strips ANSI sequences when stdout is not a terminal, and
        # `export > f` must write what `export -o f` writes.
        sys.stdout.write(document)
        return
    _write_export(target, lambda path: path.write_text(document, encoding="utf-8", newline=""))
    click.echo(_printable(f"Wrote {len(kb)} records to {output}"), err=True)


def _export_sqlite(ctx: click.Context, kb: KnowledgeBase, target: Path, metadata: Path) -> None:
    """The database and its Datasette metadata, with a progress bar when it takes a while."""
    from softbank_kb import export as exporting
    from softbank_kb import render
    from softbank_kb.sqlite_export import write_metadata

    metadata = _export_target(ctx, metadata, param_hint="--metadata")
    if metadata.resolve() == target.resolve():
        raise click.BadParameter(
            "the metadata would overwrite the database", param_hint="--metadata"
        )
    console = render.make_console(stderr=True)
    with render.DelayedProgress(console, "Writing the database") as progress:
        # Counting the work for the bar costs a pass over the rows: only on a terminal.
        counted = progress if console.is_terminal else None
        _write_export(target, lambda path: exporting.export_sqlite(kb, path, counted))
    _write_export(metadata, lambda path: write_metadata(kb, target, path))
    click.echo(
        _printable(f"Wrote {len(kb)} records to {target}, Datasette metadata to {metadata}"),
        err=True,
    )


class OutputUnwritable(click.ClickException):
    """The answer could not be written: a full disk, an unwritable -o, a closed stdout."""

    exit_code = EXIT_UNWRITABLE


def _export_target(ctx: click.Context, target: Path, param_hint: str = "--output") -> Path:
    """The file an export may replace or create, or a usage error saying why not."""
    from softbank_kb.export import OutputRefused, check_target
    from softbank_kb.paths import data_files, maybe_inside

    data_dir = _data_dir(ctx)
    try:
        checked = check_target(target, data_files(data_dir))
    except OutputRefused as error:
        raise click.BadParameter(str(error), param_hint=param_hint) from None
    except OSError as error:
        raise OutputUnwritable(f"cannot write {str(target)!r}: {error.strerror}") from None
    # After the checks that say what is wrong with the path itself: this one, when the
    # file system cannot tell, only knows to refuse.
    if maybe_inside(target, data_dir):
        raise click.BadParameter(
            "sbkb never writes into a data directory (nor where it cannot tell it is outside)",
            param_hint=param_hint,
        )
    return checked


def _write_export(target: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file beside `target`; exit 5 saying why it failed."""
    import sqlite3

    from softbank_kb.export import write_file

    try:
        write_file(target, write)
    except (OSError, sqlite3.Error) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise OutputUnwritable(f"cannot write {str(target)!r}: {reason}") from None


def _printable(message: str) -> str:
    """A message with any control or bidi character from the data made visible."""
    # File names and keys of a hostile data directory end up in error messages.
    from softbank_kb.printable import safe

    return safe(message)


def _silence_stdout(stdout: Any) -> None:
    """Point stdout at /dev/null, so that the flush at exit cannot fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
    except (OSError, ValueError):
        pass


class _ClosedStream:
    """What sys.stdout is when sbkb was started with it closed (`sbkb stats >&-`)."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def _tolerant_streams() -> None:
    """stdout and stderr that write what they can: an unencodable character is escaped."""
    if sys.stdout is None:
        sys.stdout = _ClosedStream()  # type: ignore[assignment]
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (stream.encoding or "").lower() not in ("utf-8", "utf8"):
            # PYTHONIOENCODING=ascii, latin-1, cp1252 or the C locale without UTF-8 mode.
            reconfigure(errors="backslashreplace")


def main() -> NoReturn:
    """Run the CLI; a closed pipe or Ctrl-C ends it quietly."""
    _tolerant_streams()
    stdout = sys.stdout
    try:
        cli.main(prog_name="sbkb", standalone_mode=False)
        # A reader that went away is found here, not in the flush at exit.
        sys.stdout.flush()
    except click.ClickException as error:
        error.message = _printable(error.message)
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        # Click turns Ctrl-C into Abort, after a new line that ends the terminal's ^C.
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`sbkb timeline | head -1`): stop without a traceback,
        # and keep Python from complaining again when it flushes stdout at exit.
        _silence_stdout(stdout)
        sys.exit(EXIT_OK)
    except SystemExit as done:
        # Click and rich end a closed pipe themselves, with exit code 1 ("nothing
        # matched" here): click after wrapping stdout so that its flush is quiet, rich
        # from inside its `except BrokenPipeError`. Neither is a failure.
        if sys.stdout is not stdout or isinstance(done.__context__, BrokenPipeError):
            _silence_stdout(stdout)
            sys.exit(EXIT_OK)
        raise
    except OSError as error:
        if error.errno not in _OUTPUT_ERRORS or os.environ.get("SBKB_DEBUG"):
            _internal_error(error)
        # /dev/full, a full disk, stdout closed: the answer could not be written.
        _silence_stdout(stdout)
        click.echo(f"sbkb: cannot write the output: {error.strerror}", err=True)
        sys.exit(EXIT_UNWRITABLE)
    except Exception as error:
        _internal_error(error)
    sys.exit(EXIT_OK)


# What a write to stdout can meet that is no bug of sbkb's.
_OUTPUT_ERRORS = frozenset({errno.ENOSPC, errno.EBADF, errno.EIO, errno.EDQUOT, errno.EFBIG})


def _internal_error(error: Exception) -> NoReturn:
    """Report a bug in one line and exit 4; SBKB_DEBUG=1 shows the traceback instead."""
    if os.environ.get("SBKB_DEBUG"):
        raise error
    click.echo(
        _printable(f"sbkb: internal error: {type(error).__name__}: {error}")
        + "\nThis is a bug; run again with SBKB_DEBUG=1 for the details.",
        err=True,
    )
    sys.exit(EXIT_INTERNAL)
