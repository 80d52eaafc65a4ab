"""Proof that every excerpt and quotation stands verbatim in the article it cites."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from softbank_kb.folding import ELLIPSIS, normalize, normalize_keeping_lines
from softbank_kb.models import KnowledgeBase, Quote, Source

# A sentence ends at . ! ? or … followed by space; a line break always ends one.
_SENTENCE_END = re.compile(r"(?<=[.!?…]) +|\n")
# Below this share of its characters covered by excerpts, a sentence counts as uncited.
CITED_SHARE = 0.5


@dataclass(frozen=True)
class Failure:
    """One thing that did not check out."""

    record_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.record_id}: {self.message}"


@dataclass
class Article:
    """A source's text, normalised once, and which of its characters excerpts cover."""

    source: Source
    path: Path
    lines: str
    text: str = field(init=False, default="")
    covered: bytearray = field(init=False, default_factory=bytearray)

    def __post_init__(self) -> None:
        self.text = self.lines.replace("\n", " ")
        self.covered = bytearray(len(self.text))

    def locate(self, excerpt: str) -> list[tuple[int, int]] | None:
        """Spans of each part of the excerpt, in order, or None if one part is missing."""
        spans: list[tuple[int, int]] = []
        start = 0
        for part in normalize(excerpt).split(ELLIPSIS):
            part = part.strip()
            if not part:
                continue
            found = self.text.find(part, start)
            if found < 0:
                return None
            spans.append((found, found + len(part)))
            start = found + len(part)
        return spans or None

    def cover(self, spans: list[tuple[int, int]]) -> None:
        for begin, end in spans:
            self.covered[begin:end] = b"\x01" * (end - begin)

    def uncited_sentences(self) -> list[str]:
        """Sentences whose characters excerpts mostly leave uncovered."""
        uncited = []
        for begin, end in _sentence_spans(self.lines):
            share = sum(self.covered[begin:end]) / max(1, end - begin)
            if share < CITED_SHARE:
                uncited.append(self.text[begin:end])
        return uncited


@dataclass
class VerifyReport:
    """What was checked and what failed."""

    articles: list[Article] = field(default_factory=list)
    excerpts_checked: int = 0
    quotes_checked: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


# An article is tens of kilobytes; a larger file is not one, and is not read.
_MAX_ARTICLE_BYTES = 16 * 1024 * 1024


def _article_bytes(path: Path) -> bytes | None:
    """The bytes of a regular file of a plausible size, or None (a FIFO, /proc, a device)."""
    import stat

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_ARTICLE_BYTES:
            return None
        with path.open("rb") as stream:
            return stream.read(_MAX_ARTICLE_BYTES + 1)
    except OSError:
        return None


def read_articles(kb: KnowledgeBase, sources_dir: Path) -> tuple[list[Article], list[Failure]]:
    """The article text of each source, matched by sha256, and the sources with no file."""
    by_hash = {source.sha256: source for source in kb.sources}
    articles: dict[str, Article] = {}
    for path in sorted(sources_dir.iterdir()):
        data = _article_bytes(path)
        if data is None:
            continue
        source = by_hash.get(hashlib.sha256(data).hexdigest())
        if source is not None and source.id not in articles:
            text = normalize_keeping_lines(data.decode("utf-8-sig", errors="replace"))
            articles[source.id] = Article(source, path, text)
    missing = [
        Failure(source.id, f"no file in {sources_dir} has sha256 {source.sha256}")
        for source in kb.sources
        if source.id not in articles
    ]
    return list(articles.values()), missing


def verify(kb: KnowledgeBase, sources_dir: Path) -> VerifyReport:
    """Check every citation excerpt and every quote's text against the cited articles."""
    articles, missing = read_articles(kb, sources_dir)
    report = VerifyReport(articles=articles, failures=list(missing))
    by_source = {article.source.id: article for article in articles}
    for record in kb.records():
        for index, citation in enumerate(getattr(record, "citations", ())):
            article = by_source.get(citation.source)
            if article is None:
                continue  # its source is already reported as missing
            report.excerpts_checked += 1
            spans = article.locate(citation.excerpt)
            if spans is None:
                report.failures.append(
                    Failure(
                        record.id,
                        f"citations[{index}].excerpt is not in {citation.source}: "
                        f"{_shorten(citation.excerpt)}",
                    )
                )
            else:
                article.cover(spans)
        if isinstance(record, Quote):
            _verify_quote_text(record, by_source, report)
    return report


def _verify_quote_text(quote: Quote, by_source: dict[str, Article], report: VerifyReport) -> None:
    """A quote's own text must stand in one of the articles it cites."""
    cited = [by_source[c.source] for c in quote.citations if c.source in by_source]
    if not cited:
        return
    report.quotes_checked += 1
    for article in cited:
        spans = article.locate(quote.text)
        if spans is not None:
            article.cover(spans)
            return
    sources = ", ".join(article.source.id for article in cited)
    report.failures.append(Failure(quote.id, f"text is not in {sources}: {_shorten(quote.text)}"))


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Start and end of each sentence of a normalised text."""
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(begin, end) for begin, end in spans if end > begin]


def _shorten(text: str, width: int = 90) -> str:
    flat = normalize(text)
    return repr(flat if len(flat) <= width else flat[: width - 1] + "…")
