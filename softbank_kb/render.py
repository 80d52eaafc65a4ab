"""How results look: rich tables and panels for people, JSON and CSV for programs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from softbank_kb.verify import VerifyReport


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
    return lines
