"""How results look: rich tables and panels for people, JSON for programs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from softbank_kb.jsondata import record_dict
from softbank_kb.listing import (
    Cell,
    RecordList,
    answer_about,
    answer_text,
    dated_list,
    format_value,
    label_of,
    quoted,
)
from softbank_kb.models import (
    AnyRecord,
    KnowledgeBase,
    Money,
    PartialDate,
    Person,
    Quantity,
    Quote,
)
from softbank_kb.printable import safe

if TYPE_CHECKING:
    from softbank_kb.ask import Reply
    from softbank_kb.curation import VerifyReport
    from softbank_kb.query import Profile, Series, Stats

# Text that is safe to print -------------------------------------------------------------


def text(value: object, style: str = "") -> Text:
    """Data as a rich Text: never read as markup, never a raw control character."""
    return Text(safe(str(value)), style=style)


# Consoles and output --------------------------------------------------------------------


def make_console(no_color: bool = False, stderr: bool = False) -> Console:
    """A console that colours only a terminal, and never under NO_COLOR or --no-color."""
    # NO_COLOR and --no-color mean no escape sequences at all, bold and dim included.
    plain = no_color or bool(os.environ.get("NO_COLOR"))
    return Console(
        stderr=stderr,
        width=_narrowest_width(),
        color_system=None if plain else "auto",
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )


# Tables of a handful of columns need this much; a COLUMNS of 0 to 3 printed nothing,
# or failed inside rich's layout.
_MIN_WIDTH = 20


def _narrowest_width() -> int | None:
    """80 when COLUMNS asks for fewer columns than a table can use; else rich decides."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) < _MIN_WIDTH:
        return 80
    return None


def emit(console: Console, shown: Sequence[RenderableType | RecordList], pager: bool) -> None:
    """Print to the console, record lists drawn; long output on a terminal is paged."""
    renderables = [_drawn(part, console.width) for part in shown]
    if pager and console.is_terminal:
        # As git does: less quits by itself when everything fits on one screen.
        os.environ.setdefault("LESS", "FRX")
        with console.pager(styles=console.color_system is not None):
            for renderable in renderables:
                console.print(renderable)
        return
    for renderable in renderables:
        console.print(renderable)


def _drawn(shown: RenderableType | RecordList, width: int) -> RenderableType:
    """A record list drawn for `width` columns; anything else as it is."""
    return Group(*draw_list(shown, width)) if isinstance(shown, RecordList) else shown


class DelayedProgress:
    """A progress bar, called as (done, total), shown on a terminal once `delay` has passed."""

    def __init__(
        self,
        console: Console,
        description: str,
        delay: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import time

        self._console = console
        self._description = description
        self._delay = delay
        self._clock = clock or time.monotonic
        self._started = self._clock()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self._console.is_terminal:
            return
        if self._bar is None:
            if self._clock() - self._started < self._delay:
                return
            from rich.progress import Progress

            self._bar = Progress(console=self._console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self._description, total=total)
        self._bar.update(self._task, completed=done, total=total)

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _table(*columns: str, title: str | None = None, expand: bool = True) -> Table:
    """A table of counts or values that no id or name depends on (`stats`)."""
    table = Table(
        # A title is data too (an organisation's name): never markup, never a control.
        title=text(title) if title is not None else None,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        header_style="bold",
        expand=expand,
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


# Below this many columns, lists of deals and figures leave out their prose column.
WIDE_SCREEN = 110
# Between two columns: a space of padding on each side and the box's divider.
_COLUMN_GAP = 3
# A space before the first column and after the last: without it (pad_edge=False) rich
# 15 and the rich before it lay the same widths out differently.
_EDGE_PADDING = 2
# A prose column narrower than this reads as a ribbon of words: leave it out instead.
_PROSE_MIN = 30
_BESIDE_PROSE = 24
_CARD_INDENT = "  "
# A card has no header: the facts a reader could not place by their look say what they are.
_CARD_LABELS = {"Via": "via", "Aliases": "also", "Country": "country", "Score": "score"}
_FACT_SEPARATOR = " · "


def draw_list(listing: RecordList, width: int) -> Iterator[RenderableType]:
    """A list for `width` columns: a table where no id or name breaks inside a word, else cards."""
    rows = [(record_id, _texts(cells)) for record_id, cells in listing.rows]
    # A column empty in every row is left out; so is a dropped prose column (`show` has it).
    columns = [c for c in listing.columns if any(cells[c].plain for _, cells in rows)]
    prose = listing.prose
    if listing.drop_prose and width < WIDE_SCREEN and prose in columns:
        columns.remove(prose)
    widths = _widths(listing, rows, columns, width)
    if widths is None and listing.drop_prose and prose in columns:
        columns.remove(prose)
        widths = _widths(listing, rows, columns, width)
    if widths is None:
        yield from _cards(listing, rows, columns, width)
    else:
        yield _list_table(listing, rows, columns, widths)


_Rows = list[tuple[str, dict[str, Text]]]


def _texts(cells: dict[str, Cell]) -> dict[str, Text]:
    """Cells as rich Text, their styles and styled spans applied."""
    texts = {}
    for column, value in cells.items():
        shown = Text(value.plain, style=value.style)
        for start, end, style in value.spans:
            shown.stylize(style, start, end)
        texts[column] = shown
    return texts


def _cell(listing: RecordList, record_id: str, cells: dict[str, Text], column: str) -> Text:
    cell = cells[column].copy()
    if column == listing.anchor:
        cell.append("\n")
        cell.append(text(record_id, "dim"))
    return cell


def _widths(listing: RecordList, rows: _Rows, columns: list[str], width: int) -> list[int] | None:
    """Each column's width, none narrower than it may be; None where they cannot fit."""
    narrowest, widest = [], []
    for column in columns:
        cells = [text(column), *(_cell(listing, i, cells, column) for i, cells in rows)]
        narrowest.append(max(_longest_word(cell) for cell in cells))
        widest.append(max(_longest_line(cell) for cell in cells))
    prose = listing.prose
    if listing.drop_prose and prose in columns:
        at = columns.index(prose)
        narrowest[at] = max(narrowest[at], min(widest[at], _PROSE_MIN))
    room = width - _COLUMN_GAP * (len(columns) - 1) - _EDGE_PADDING
    if sum(narrowest) > room:
        return None
    return _share_out(
        narrowest,
        widest,
        room - sum(narrowest),
        columns.index(prose) if prose in columns else None,
    )


def _list_table(listing: RecordList, rows: _Rows, columns: list[str], widths: list[int]) -> Table:
    table = Table(
        # A title is data too (a strategy group, its owners): never markup.
        title=text(listing.title) if listing.title else None,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        header_style="bold",
        show_edge=False,
    )
    for column, column_width in zip(columns, widths, strict=True):
        table.add_column(column, width=column_width, overflow="fold")
    for record_id, cells in rows:
        table.add_row(*(_cell(listing, record_id, cells, column) for column in columns))
    return table


def _cards(
    listing: RecordList, rows: _Rows, columns: list[str], width: int
) -> Iterator[RenderableType]:
    if listing.title:
        yield text(listing.title, "bold")
    room = width - len(_CARD_INDENT)
    for record_id, cells in rows:
        yield text(record_id, "bold")
        facts = [
            Text(_CARD_LABELS[column] + " ") + part if column in _CARD_LABELS else part
            for column in columns
            if column != listing.prose
            for part in cells[column].split("\n")
            if part.plain
        ]
        for line in _packed(facts, room):
            if cell_len(line.plain) > room:
                # One fact wider than the card: wrapped under its own indent, not the margin.
                yield Padding(line, (0, 0, 0, len(_CARD_INDENT)), expand=False)
            else:
                yield Text(_CARD_INDENT) + line
        if listing.prose in columns and cells[listing.prose].plain:
            yield Padding(cells[listing.prose], (0, 0, 0, len(_CARD_INDENT)), expand=False)


def _share_out(narrowest: list[int], widest: list[int], spare: int, prose: int | None) -> list[int]:
    """Widths from the least: spare cells to the column that wraps most, the rest to the prose."""
    widths = list(narrowest)
    others = [i for i in range(len(widths)) if i != prose]
    if prose is not None:
        # Beside prose, a column wider than this takes width the prose reads better in.
        widest = [
            w if i == prose else min(w, max(narrowest[i], _BESIDE_PROSE))
            for i, w in enumerate(widest)
        ]

    def lines(i: int) -> float:
        return widest[i] / widths[i] if widths[i] else 0.0

    while spare:
        wanting = [i for i in others if widths[i] < widest[i]]
        if not wanting:
            break
        tallest = max(wanting, key=lambda i: (lines(i), widest[i] - widths[i]))
        widths[tallest] += 1
        spare -= 1
    if prose is not None:
        widths[prose] += min(spare, widest[prose] - widths[prose])
    return widths


def _packed(facts: Sequence[Text], room: int) -> Iterator[Text]:
    """Facts joined by ' · ' into lines of at most `room` cells, no fact split in two."""
    line = Text()
    for fact in facts:
        if line.plain and cell_len(line.plain + _FACT_SEPARATOR + fact.plain) > room:
            yield line
            line = Text()
        if line.plain:
            line.append(_FACT_SEPARATOR)
        line.append_text(fact)
    if line.plain:
        yield line


def _longest_word(cell: Text) -> int:
    return max((cell_len(word) for word in cell.plain.split()), default=0)


def _longest_line(cell: Text) -> int:
    return max((cell_len(line) for line in cell.plain.split("\n")), default=0)


def _with_id(prose: str, record_id: str, style: str = "") -> Text:
    """Prose with the record's id on a line of its own, for `sbkb show`."""
    cell = text(prose, style)
    cell.append("\n")
    cell.append(text(record_id, "dim"))
    return cell


# Records --------------------------------------------------------------------------------


def quote_panel(quote: Quote, kb: KnowledgeBase, lang: str = "both") -> Panel:
    """One quote: speaker and role, when and where, French and English, its source."""
    speaker = kb.get(quote.speaker)
    title = text(speaker.label if speaker else quote.speaker, "bold")
    if isinstance(speaker, Person) and speaker.roles:
        role = speaker.roles[0]
        title.append(text(f", {role.title}, {label_of(kb, role.organization)}"))
    when = " · ".join(
        part
        for part in (str(quote.date or ""), quote.venue or "", quote.kind.replace("_", " "))
        if part
    )
    body = Text()
    if when:
        body.append(text(when, "dim"))
        body.append("\n")
    if lang in ("fr", "both"):
        body.append(text(quoted(quote), "italic"))
        body.append("\n")
    if lang in ("en", "both"):
        body.append(text(quote.text_en))
        body.append("\n")
    if quote.context:
        body.append(text(f"Context: {quote.context}", "dim"))
        body.append("\n")
    body.append(text(f"Source: {_sources(quote, kb)} · {quote.id}", "dim"))
    return Panel(body, title=title, title_align="left", box=box.ROUNDED, expand=True)


def _sources(record: AnyRecord, kb: KnowledgeBase) -> str:
    ids = dict.fromkeys(c.source for c in getattr(record, "citations", ()))
    return ", ".join(label_of(kb, source_id) for source_id in ids)


def series_chart(series: Series, kb: KnowledgeBase, width: int = 40) -> Panel:
    """A bar per period, scaled to the largest value of the series."""
    largest = max(figure.value.amount for figure in series.figures) or 1
    body = Text()
    for index, figure in enumerate(series.figures):
        bar = "█" * max(1, round(width * figure.value.amount / largest))
        if index:
            body.append("\n")
        body.append(text(f"{figure.period:>8} "))
        body.append(bar, style="cyan")
        status = "" if figure.status == "actual" else f" ({figure.status})"
        body.append(text(f" {format_value(figure.value)}{status}"))
    title = f"{label_of(kb, series.entity)}: {series.metric.replace('_', ' ')} ({series.unit})"
    return Panel(body, title=text(title, "bold"), title_align="left", box=box.ROUNDED, expand=False)


def stats_tables(counts: Stats) -> list[Table]:
    """Counts by type, by year and by source."""
    tables = []
    for title, rows in (
        (f"Records by type ({counts.total} in all)", counts.by_type),
        ("Dated records by year", counts.by_year),
        ("Records citing each source", counts.by_source),
    ):
        table = _table("", "Count", title=title, expand=False)
        table.min_width = 40
        for key, count in rows.items():
            table.add_row(text(key), text(count))
        tables.append(table)
    return tables


def record_view(record: AnyRecord, kb: KnowledgeBase) -> list[RenderableType]:
    """One record in full: every field, then its citations with source title and excerpt."""
    data = record_dict(record)
    citations = data.pop("citations", [])
    table = Table(box=box.SIMPLE, show_header=False, title_justify="left")
    table.add_column("Field", style="bold")
    table.add_column("Value", overflow="fold")
    for key, value in data.items():
        if value in (None, [], ""):
            continue
        table.add_row(text(key), text(_field_text(key, value, record, kb)))
    shown: list[RenderableType] = [
        text(f"{record.type} {record.id}", "bold"),
        table,
    ]
    for citation in citations:
        source = kb.get(citation["source"])
        shown.append(
            Panel(
                text(citation["excerpt"], "italic"),
                title=text(source.label if source else citation["source"]),
                title_align="left",
                box=box.ROUNDED,
            )
        )
    return shown


def _field_text(key: str, value: Any, record: AnyRecord, kb: KnowledgeBase) -> str:
    attribute = getattr(record, key, None)
    if isinstance(attribute, (Money, Quantity)):
        return format_value(attribute)
    if isinstance(attribute, PartialDate):
        return str(attribute)
    if isinstance(value, str) and kb.get(value) is not None and key != "id":
        return f"{label_of(kb, value)} ({value})"
    if isinstance(value, list):
        return "\n".join(_item_text(item, kb) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _item_text(item: Any, kb: KnowledgeBase) -> str:
    if isinstance(item, str) and kb.get(item) is not None:
        return f"{label_of(kb, item)} ({item})"
    if isinstance(item, dict) and "organization" in item:
        return f"{item['title']}, {label_of(kb, item['organization'])}"
    return item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)


def profile_view(found: Profile, kb: KnowledgeBase) -> list[RenderableType]:
    """A person's or organisation's record, then everything linked to it."""
    shown = record_view(found.record, kb)
    for _, title, records in found.sections():
        if records:
            shown.append(dated_list(records, kb, title=f"{title} ({len(records)})"))
    return shown


# Answers --------------------------------------------------------------------------------


def reply_view(reply: Reply, kb: KnowledgeBase) -> list[RenderableType]:
    """Each answer: the answer, the record it comes from, and the excerpt that proves it."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for rank, answer in enumerate(reply.answers, 1):
        body = text(answer_text(answer, kb), "bold")
        body.append("\n")
        body.append(text(answer_about(answer)))
        body.append("\n")
        body.append(text(f"{answer.record.type} {answer.record.id}", "dim"))
        if answer.citation is not None:
            body.append("\n")
            body.append(text(f"« {answer.citation.excerpt} » {answer.citation.source}", "italic"))
        if rank < len(reply.answers):
            body.append("\n")
        grid.add_row(text(f"{rank}."), body)
    return [grid]


def known_view(reply: Reply, kb: KnowledgeBase) -> list[RenderableType]:
    """What is known about the entities a question names, marked as not an answer."""
    names = ", ".join(entity.label for entity in reply.question.entities)
    heading = text(
        f"Not an answer: no record states that. What the sources say about {names}:", "bold"
    )
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(ratio=1)
    for record in reply.known:
        grid.add_row(text(record.type), _with_id(record.label, record.id))
    return [heading, grid]


# Reports --------------------------------------------------------------------------------


def verify_report_lines(report: VerifyReport, uncited: bool = False) -> list[str]:
    """The lines `sbkb verify` prints: failures first, then what was checked."""
    lines = [f"FAIL {failure}" for failure in report.failures]
    if uncited:
        for article in report.articles:
            sentences = article.uncited_sentences()
            lines.append(f"Uncited in {article.source.id} ({article.path.name}): {len(sentences)}")
            lines.extend(f"  - {sentence}" for sentence in sentences)
    verdict = "OK" if report.ok else f"{len(report.failures)} failed"
    articles = ", ".join(article.path.name for article in report.articles) or "none"
    lines.append(
        f"{verdict}: {report.excerpts_checked} excerpts and {report.quotes_checked} quotes "
        f"checked against {len(report.articles)} articles ({articles})"
    )
    return [safe(line) for line in lines]
