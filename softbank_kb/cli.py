"""The `sbkb` command line: click options in, one core call, one renderer out."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, NoReturn

import click

from softbank_kb import __version__, commands
from softbank_kb.choices import DEAL_KINDS, RECORD_TYPES
from softbank_kb.errors import NothingMatched, NotInSources, nothing
from softbank_kb.options import (
    AmountType,
    Choice,
    DateType,
    KindChoice,
    Output,
    company_option,
    currency_code,
    list_options,
    listed,
    one_record_asked,
    output_options,
    without_hint,
    words_argument,
    year_option,
)
from softbank_kb.reading import complete_names, load_kb, load_lexicon, resolve_name

ALL_TYPES = RECORD_TYPES  # the name tests and --type read
_ENTITIES = ("organization", "person")


# Options of the group, which a user may well type after the command (N10).
_GLOBAL_OPTIONS = {"--data": "--data DIR", "--version": "--version", "-V": "--version"}


class _Group(click.Group):
    """The command group, answering once more should the cache be found damaged."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as error:
            wanted = _GLOBAL_OPTIONS.get(error.option_name)
            if wanted is None or error.ctx is None or error.ctx.parent is None:
                raise
            name = error.ctx.info_name
            raise click.UsageError(
                f"{error.option_name} is an option of sbkb itself: give it before the"
                f" command, as in `sbkb {wanted} {name} ...`.",
                error.ctx,
            ) from None

    def main(self, args: Sequence[str] | None = None, *rest: Any, **options: Any) -> Any:
        from softbank_kb.errors import CacheDamaged

        args = list(sys.argv[1:] if args is None else args)
        try:
            return super().main(args, *rest, **options)
        except CacheDamaged:
            # The one place a damaged database is handled: dropped, then the command run
            # once more, the search and ask databases built anew from the records.
            from softbank_kb.cache import forget_derived

            forget_derived()
            return super().main(args, *rest, **options)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data",
    "data_dir",
    envvar="SBKB_DATA",
    metavar="DIR",
    type=click.Path(file_okay=True, dir_okay=True, path_type=str),
    help="Data directory to use instead of the bundled knowledge base (env: SBKB_DATA)."
    " Give it before the command.",
)
@click.version_option(__version__, "-V", "--version", prog_name="sbkb")
def cli(data_dir: str | None) -> None:
    """A sourced knowledge base of SoftBank's AI strategy, from two French articles.

    \b
    Examples:
      sbkb ask "How much did SoftBank pay for Ampere?"
      sbkb invest --year 2024      deals of 2024: investments, acquisitions
      sbkb quote "Jensen Huang"    what he said, in French and English
      sbkb search grafcore         typo-, accent- and alias-tolerant search

    Exit codes: 0 answered, 1 nothing matched (or validate/verify found problems),
    2 usage error, 3 the knowledge base could not be loaded, 4 internal error (a bug),
    5 the output could not be written, 130 interrupted.

    \b
    More: sbkb help COMMAND, sbkb help environment, sbkb help exit-codes,
    and the man page: sbkb help --man | man -l -
    """


# Query commands ---------------------------------------------------------------------------


@cli.command(short_help="Deals: investments, acquisitions, joint ventures, sales.")
@year_option
@click.option(
    "--kind",
    "kinds",
    type=KindChoice(DEAL_KINDS),
    metavar="KIND",
    multiple=True,
    help=f"Kind of deal: {listed(DEAL_KINDS)} (funding-round or 'funding round' too); repeatable.",
)
@company_option(
    "Investor, target, partner or fund, or a company of its group; by name, alias or typo."
)
@click.option(
    "--min-amount",
    type=AmountType(),
    help="Smallest amount, with its currency: 10e9USD, '10bn USD', or 1e10 --currency USD.",
)
@click.option(
    "--currency",
    metavar="CODE",
    callback=currency_code,
    help="Currency of --min-amount. A deal counts in its own currency, or through a"
    " conversion the article states; never across currencies.",
)
@list_options("date", "amount", "name")
@output_options
@click.pass_context
def invest(
    ctx: click.Context,
    years: set[int] | None,
    kinds: tuple[str, ...],
    company: str | None,
    min_amount: tuple[float, str | None] | None,
    currency: str | None,
    out: Output,
) -> None:
    """Deals: investments, rounds, acquisitions, joint ventures, stake sales.

    \b
    Examples:
      sbkb invest --year 2024
      sbkb invest --company ampere
      sbkb invest --kind acquisition --year 2024..2025 --json

    Newest first. Amounts keep the article's qualifier and its stated conversions.
    """
    from softbank_kb.query import FilterError, dated_deal_years, find_deals, minimum_in_currency

    loaded = load_kb(ctx)
    kb = loaded.kb
    party = resolve_name(loaded, company, _ENTITIES, "organisation") if company else None
    try:
        minimum, currency = minimum_in_currency(min_amount, currency)
    except FilterError as error:
        raise click.UsageError(str(error)) from None
    deals = find_deals(
        kb,
        years=years,
        kinds=kinds,
        company=party.id if party else None,
        min_amount=minimum,
        currency=currency or "",
    )
    if not deals:
        dated = ", ".join(map(str, dated_deal_years(kb)))
        hint = without_hint(ctx, "years", "kinds", "company", "min_amount")
        nothing("deal", f"deals are dated {dated}; {hint}".rstrip("; "))
    deals = out.cut(deals, "deals")
    if currency:
        _say_conversions(deals, currency)
    from softbank_kb import jsondata, listing

    out.show_lists(lambda: [listing.deals_table(deals, kb)], lambda: jsondata.records_json(deals))


def _say_conversions(deals: Sequence[Any], currency: str) -> None:
    """Name on stderr each deal that reached the minimum through a stated conversion."""
    from softbank_kb.listing import format_value
    from softbank_kb.query import through_conversion

    for deal in deals:
        converted = through_conversion(deal, currency)
        if converted is not None:
            click.echo(
                f"{deal.id}: counted in {currency} by the article's own conversion,"
                f" {format_value(converted)}.",
                err=True,
            )


@cli.command(short_help="Quotes in French and English, with their source.")
@words_argument("speaker", ("person", "organization"))
@click.option("--about", help="Keep quotes that mention this entity or contain these words.")
@year_option
@click.option(
    "--lang",
    type=Choice(["fr", "en", "both"]),
    metavar="LANG",
    default="both",
    show_default=True,
    help="The text shown: fr (the article's French), en (our English translation) or both.",
)
@list_options("date", "name")
@output_options
@click.pass_context
def quote(
    ctx: click.Context,
    speaker: str | None,
    about: str | None,
    years: set[int] | None,
    lang: str,
    out: Output,
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

    loaded = load_kb(ctx)
    kb = loaded.kb
    said_by = (
        resolve_name(loaded, speaker, ("person", "organization"), "speaker") if speaker else None
    )
    about_ids = ()
    if about:
        from softbank_kb.search import resolve

        named = resolve(kb, about, ("person", "organization", "strategy"), loaded.index()).record
        about_ids = (named.id,) if named is not None else ()
    speaker_id = said_by.id if said_by else None
    quotes = find_quotes(kb, speaker=speaker_id, about=about, years=years, about_ids=about_ids)
    if not quotes:
        nothing("quote", without_hint(ctx, "about", "years", "speaker"))
    quotes = out.cut(quotes, "quotes")
    from softbank_kb import jsondata, listing

    out.show(
        lambda render: [render.quote_panel(q, kb, lang) for q in quotes],
        lambda: jsondata.records_json(quotes),
        listing=lambda: [listing.quotes_list(quotes, kb)],
    )


@cli.command(short_help="People, or one person's profile.")
@words_argument("name", ("person",))
@list_options("name")
@output_options
@click.pass_context
def people(ctx: click.Context, name: str | None, out: Output) -> None:
    """People, or one person's profile: roles, aliases, and all that names them.

    \b
    Examples:
      sbkb people
      sbkb people Masa
      sbkb people "anand joshi" --json
    """
    _list_or_profile(ctx, out, name, "person")


@cli.command(short_help="Organisations, or one organisation's profile.")
@words_argument("name", ("organization",))
@list_options("name")
@output_options
@click.pass_context
def company(ctx: click.Context, name: str | None, out: Output) -> None:
    """Organisations, or one organisation's profile: deals, figures, quotes, events.

    \b
    Examples:
      sbkb company
      sbkb company graphcore
      sbkb company "vision fund 2" --json
    """
    _list_or_profile(ctx, out, name, "organization")


def _list_or_profile(ctx: click.Context, out: Output, name: str | None, record_type: str) -> None:
    """`people` and `company`: a list of all, or one profile by name."""
    from softbank_kb import jsondata, listing
    from softbank_kb.query import profile

    loaded = load_kb(ctx)
    kb = loaded.kb
    person = record_type == "person"
    what = "person" if person else "organisation"
    if name:
        one_record_asked(ctx)
        found = profile(kb, resolve_name(loaded, name, (record_type,), what))
        out.show(
            lambda render: render.profile_view(found, kb),
            lambda: jsondata.profile_json(found),
            listing=lambda: [listing.profile_rows(found, kb)],
        )
        return
    records: Sequence[Any] = kb.people if person else kb.organizations
    if not records:
        nothing(what)
    table: Callable[..., Any] = listing.people_table if person else listing.organizations_table
    records = out.cut(records, "people" if person else "organisations")
    out.show_lists(lambda: [table(records, kb)], lambda: jsondata.records_json(records))


@cli.command(short_help="Figures: revenue, losses, targets, with a chart per series.")
@company_option("The entity, by name, alias or typo, and the organisations of its group.")
@click.option(
    "--metric",
    help="Part of a metric name, in English or the article's French: revenue, loss,"
    ' "revenu d\'exploitation".',
)
@year_option
@list_options("date", "amount", "name")
@output_options
@click.pass_context
def financials(
    ctx: click.Context,
    company: str | None,
    metric: str | None,
    years: set[int] | None,
    out: Output,
) -> None:
    """Figures: revenue, losses, targets, shares, with a chart for a series.

    \b
    Examples:
      sbkb financials --company ampere
      sbkb financials --metric "revenu d'exploitation"
      sbkb financials --year 2024 --json

    Targets are charted apart from actuals and forecasts.
    """
    from softbank_kb.query import find_figures, metrics_like, series_of

    loaded = load_kb(ctx)
    kb = loaded.kb
    entity = resolve_name(loaded, company, _ENTITIES, "organisation") if company else None
    figures = find_figures(kb, entity=entity.id if entity else None, metric=metric, years=years)
    if not figures:
        close = metrics_like(kb, metric) if metric else []
        if close:
            nothing("figure", f"metrics sharing a word with {metric!r}: {', '.join(close)}.")
        nothing("figure", "try `sbkb financials` without filters.")
    figures = out.cut(figures, "figures")
    from softbank_kb import jsondata, listing

    def human(render: ModuleType) -> list[Any]:
        charts = [render.series_chart(s, kb) for s in series_of(figures)]
        return [listing.figures_table(figures, kb), *charts]

    out.show(
        human,
        lambda: jsondata.records_json(figures),
        listing=lambda: [listing.figures_table(figures, kb)],
    )


@cli.command(name="timeline", short_help="Everything dated, oldest first.")
@click.option("--from", "start", type=DateType(), help="First date: 2024, 2024-11 or 2024-11-05.")
@click.option("--to", "end", type=DateType(), help="Last date, inclusive at its precision.")
@year_option
@list_options("date", "name")
@output_options
@click.pass_context
def timeline_command(
    ctx: click.Context, start: Any, end: Any, years: set[int] | None, out: Output
) -> None:
    """Everything dated, oldest first; a year sorts before its months.

    \b
    Examples:
      sbkb timeline
      sbkb timeline --from 2024-11 --to 2025
    """
    from softbank_kb.query import timeline

    loaded = load_kb(ctx)
    kb = loaded.kb
    records = timeline(kb, start, end, years=years)
    if not records:
        nothing("dated record", "widen --from/--to or --year.")
    records = out.cut(records, "records")
    from softbank_kb import jsondata, listing

    out.show_lists(
        lambda: [listing.timeline_table(records, kb)], lambda: jsondata.records_json(records)
    )


@cli.command(short_help="The strategy items: ASI dimensions, AI layers, stated aims.")
@output_options
@click.pass_context
def strategy(ctx: click.Context, out: Output) -> None:
    """The strategy items, grouped: ASI dimensions, AI layers, stated aims.

    \b
    Example:
      sbkb strategy
    """
    from softbank_kb.query import strategy_groups

    loaded = load_kb(ctx)
    kb = loaded.kb
    groups = strategy_groups(kb)
    if not groups:
        nothing("strategy item")
    from softbank_kb import jsondata, listing

    items = [item for items in groups.values() for item in items]
    out.show_lists(
        lambda: listing.strategy_tables(groups, kb), lambda: jsondata.records_json(items)
    )


@cli.command(short_help="Search every record: typos, accents, aliases, both languages.")
@words_argument("query", required=True)
@click.option(
    "--type",
    "types",
    type=Choice(ALL_TYPES),
    metavar="TYPE",
    multiple=True,
    help=f"Only records of this type: {listed(ALL_TYPES)}; repeatable.",
)
@click.option(
    "--limit",
    metavar="N",
    type=click.IntRange(min=1, max=1000),
    default=20,
    show_default=True,
    help="At most this many hits.",
)
@output_options
@click.pass_context
def search(ctx: click.Context, query: str, types: tuple[str, ...], limit: int, out: Output) -> None:
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

    loaded = load_kb(ctx)
    kb = loaded.kb
    lexicon = load_lexicon(ctx)
    try:
        hits = find(kb, query, types or None, limit, loaded.index(), lexicon)
    except QueryError as error:
        raise click.BadParameter(str(error), param_hint="QUERY") from None
    if not hits:
        nothing("record", "check the spelling, or try fewer words.")
    if hits.found > len(hits):
        out.say_cut(limit, hits.found, "records")
    from softbank_kb import jsondata, listing

    out.show_lists(lambda: [listing.hits_table(hits)], lambda: jsondata.hits_json(hits))


@cli.command(short_help="Ask a question in English or French; get a cited answer.")
@words_argument("question", required=True)
@click.option(
    "--limit",
    metavar="N",
    type=click.IntRange(min=1, max=20),
    default=3,
    show_default=True,
    help="At most this many answers.",
)
@output_options
@click.pass_context
def ask(ctx: click.Context, question: str, limit: int, out: Output) -> None:
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
    from softbank_kb.index import about_of
    from softbank_kb.search import QueryError

    loaded = load_kb(ctx)
    kb = loaded.kb
    lexicon = load_lexicon(ctx)
    try:
        reply = answer(kb, question, limit, loaded.index(), about_of(kb, loaded.kept), lexicon)
    except QueryError as error:
        raise click.BadParameter(str(error), param_hint="QUESTION") from None
    from softbank_kb import jsondata, listing

    if reply.answered:
        out.show(
            lambda render: render.reply_view(reply, kb),
            lambda: jsondata.answers_json(reply),
            listing=lambda: [listing.answer_rows(reply, kb)],
        )
        return
    # Under --json the exception below prints the empty document.
    if reply.known and out.output_format != "json":
        out.show(
            lambda render: render.known_view(reply, kb),
            lambda: "[]",
            listing=lambda: [listing.known_rows(reply)],
        )
    _not_answered(reply)


def _not_answered(reply: Any) -> NoReturn:
    """Exit 1, saying why the sources do not answer: an unknown name, or no such fact."""
    raise NotInSources(f"{reply.reason}.")


@cli.command(short_help="One record in full, every field, with its citations.")
@click.argument("record_id", metavar="ID", shell_complete=complete_names(ALL_TYPES, ids_only=True))
@output_options
@click.pass_context
def show(ctx: click.Context, record_id: str, out: Output) -> None:
    """One record in full, every field, with its citations.

    \b
    Example:
      sbkb show ampere-acquisition
    """
    one_record_asked(ctx)
    loaded = load_kb(ctx)
    kb = loaded.kb
    record = kb.get(record_id)
    if record is None:
        from softbank_kb.search import closest_ids

        close = _like(record_id, closest_ids(kb, record_id))
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise NothingMatched(f"no record has id {record_id!r}.{hint}")
    from softbank_kb import jsondata, listing

    out.show(
        lambda render: render.record_view(record, kb),
        lambda: jsondata.to_json(jsondata.record_dict(record)),
        listing=lambda: [listing.record_fields(record, kb)],
    )


@cli.command(short_help="Counts of records by type, by year and by source.")
@output_options
@click.pass_context
def stats(ctx: click.Context, out: Output) -> None:
    """Counts of records by type, by year and by source.

    \b
    Example:
      sbkb stats
    """
    from dataclasses import asdict

    from softbank_kb.query import stats as count

    # A whole-KB pass: every record is counted, so every record is built from the cache.
    counts = count(load_kb(ctx).kb)
    from softbank_kb import jsondata, listing

    out.show(
        lambda render: render.stats_tables(counts),
        lambda: jsondata.to_json(asdict(counts)),
        listing=lambda: [listing.stats_rows(counts)],
    )


def _like(asked: str, ids: Sequence[str]) -> list[str]:
    """The ids that look like the one asked for: a typo of it, or ids it starts (N13)."""
    from rapidfuzz import fuzz

    from softbank_kb.folding import fold

    folded = fold(asked)
    return [
        record_id
        for record_id in ids
        if fuzz.ratio(folded, fold(record_id)) >= 75 or fold(record_id).startswith(folded)
    ]


for _command in (
    commands.validate,
    commands.verify,
    commands.schema,
    commands.export,
    commands.graph,
    commands.help_command,
    commands.completion,
):
    cli.add_command(_command)


def main() -> NoReturn:
    """Run the CLI; every failure is a message and an exit code, never a traceback."""
    from softbank_kb.errors import run

    run(cli)
