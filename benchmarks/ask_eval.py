"""Grade `ask` on the frozen question set (tests/ask_questions.yaml), by language and kind.

    python benchmarks/ask_eval.py                  # the development part
    python benchmarks/ask_eval.py --failures       # and every question it fails, with why
    python benchmarks/ask_eval.py --part held-out  # once, at the very end: never tune on it

A question whose number is a multiple of 3 is held out (the file's header says so); the
rest are the development part. Each question is asked in-process on the bundled knowledge
base, and graded:

- answerable: answered, and its `evidence` (a verbatim span of an article), folded, is in
  a folded citation excerpt (or the French text, for a quote) of one of the first three
  answers (`top3`), or of the first one (`first`); `shown` is stricter: in the one excerpt
  the command shows with the first answer, or its quote's text;
- unanswerable: refused, that is no answer at all (`refused`); when what is absent is a
  name, also whether the refusal names an unknown name rather than listing what is known
  about the other entities (`named`, reported, not required).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "tests" / "ask_questions.yaml"
PARTS = ("dev", "held-out")


def part_of(question_id: str) -> str:
    """The part a question belongs to, by the rule of the file's header."""
    return "held-out" if int(question_id.lstrip("q")) % 3 == 0 else "dev"


def load_questions(part: str) -> list[dict[str, Any]]:
    """The questions of one part, in file order; the other part is never returned."""
    import yaml

    if part not in PARTS:
        raise ValueError(f"part is one of {', '.join(PARTS)}")
    every = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    return [question for question in every if part_of(question["id"]) == part]


# A name: every word starts with a capital or a digit (`Mistral AI`, `xAI`, `SB OpenAI
# Japan`); `Graphcore's CEO` or `amount invested in Perplexity AI` are facts, not names.
_NAME = re.compile(r"^(?:[A-Z0-9][\w.&-]*|[a-z][A-Z][\w-]*)(?: (?:[A-Z0-9][\w.&-]*))*$")


def absent_is_name(question: dict[str, Any]) -> bool:
    """Whether what an unanswerable question asks about is a name the articles never use."""
    return bool(_NAME.match(question.get("absent", "")))


@dataclass(frozen=True)
class Grade:
    """How ask did on one question."""

    question: dict[str, Any]
    answered: bool
    ids: tuple[str, ...]
    top3: bool = False
    first: bool = False
    shown: bool = False  # in the excerpt shown with the first answer, or its quote
    refused: bool = False
    named: bool = False
    note: str = ""

    @property
    def passed(self) -> bool:
        """Within the top three for an answerable question; refused for an unanswerable one."""
        return self.top3 if self.question["answerable"] else self.refused


def _texts(record: Any) -> list[str]:
    from softbank_kb.folding import fold

    texts = [fold(citation.excerpt) for citation in getattr(record, "citations", ())]
    if record.type == "quote":
        texts.append(fold(record.text))
    return texts


def grade(question: dict[str, Any], ask_one: Any) -> Grade:
    """One question asked through `ask_one(text) -> Reply`, and graded."""
    from softbank_kb.folding import fold

    reply = ask_one(question["question"])
    ids = tuple(answer.record.id for answer in reply.answers)
    if not question["answerable"]:
        unknown = tuple(getattr(reply.question, "unknown", ()))
        return Grade(
            question,
            reply.answered,
            ids,
            refused=not reply.answered,
            named=not reply.answered and bool(unknown),
            note=f"unknown={list(unknown)}" if unknown else "",
        )
    evidence = fold(question["evidence"])
    holding = [
        any(evidence in text for text in _texts(answer.record)) for answer in reply.answers[:3]
    ]
    first = reply.answers[0] if reply.answers else None
    shown = first is not None and any(
        evidence in fold(text)
        for text in (
            first.citation.excerpt if first.citation else "",
            first.record.text if first.record.type == "quote" else "",
        )
    )
    return Grade(
        question,
        reply.answered,
        ids,
        top3=any(holding),
        first=bool(holding) and holding[0],
        shown=shown,
        note="" if reply.answered else f"unknown={list(reply.question.unknown)}",
    )


def asker() -> Any:
    """`ask` on the bundled knowledge base, its index and about built once."""
    from softbank_kb.ask import ask
    from softbank_kb.index import about_of, index_of
    from softbank_kb.lexicon import package_lexicon
    from softbank_kb.loading import load_knowledge_base
    from softbank_kb.paths import bundled_data_dir

    kb = load_knowledge_base(bundled_data_dir())
    index, about, lexicon = index_of(kb), about_of(kb), package_lexicon()
    return lambda text: ask(kb, text, index=index, about=about, lexicon=lexicon)


def run(part: str) -> list[Grade]:
    """Every question of a part, graded."""
    ask_one = asker()
    return [grade(question, ask_one) for question in load_questions(part)]


@dataclass
class Tally:
    """Counts for one group of questions."""

    answerable: int = 0
    top3: int = 0
    first: int = 0
    shown: int = 0
    unanswerable: int = 0
    refused: int = 0
    names: int = 0
    named: int = 0

    def add(self, found: Grade) -> None:
        if found.question["answerable"]:
            self.answerable += 1
            self.top3 += found.top3
            self.first += found.first
            self.shown += found.shown
        else:
            self.unanswerable += 1
            self.refused += found.refused
            if absent_is_name(found.question):
                self.names += 1
                self.named += found.named


def tallies(grades: list[Grade]) -> dict[str, Tally]:
    """The tally of all questions, of each language, and of each kind."""
    found: dict[str, Tally] = defaultdict(Tally)
    for one in grades:
        for key in ("all", f"lang={one.question['lang']}", f"kind={one.question['kind']}"):
            found[key].add(one)
    return dict(found)


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / total:.0f}%)" if total else "-"


def report(grades: list[Grade], failures: bool = False) -> str:
    """The figures as a table, and each failure when asked."""
    lines = [
        f"{'group':22} {'top 3':>13} {'first':>13} {'shown':>13} {'refused':>13} "
        f"{'absent name':>12}",
    ]
    order = {"all": 0, "lang": 1, "kind": 2}
    for key, tally in sorted(tallies(grades).items(), key=lambda i: (order[i[0][:4]], i[0])):
        lines.append(
            f"{key:22} {_share(tally.top3, tally.answerable):>13} "
            f"{_share(tally.first, tally.answerable):>13} "
            f"{_share(tally.shown, tally.answerable):>13} "
            f"{_share(tally.refused, tally.unanswerable):>13} "
            f"{_share(tally.named, tally.names):>12}"
        )
    if failures:
        lines.append("")
        for one in grades:
            question = one.question
            if one.passed and (one.first or not question["answerable"]):
                continue
            status = "FAIL" if not one.passed else "not first"
            lines.append(
                f"{status:9} {question['id']} {question['lang']} {question['kind']:11} "
                f"{question['question']}\n          -> {list(one.ids)} {one.note}"
            )
            if question["answerable"]:
                lines.append(f"          evidence: {question['evidence']}")
            else:
                lines.append(f"          absent: {question['absent']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--part", choices=PARTS, default="dev")
    parser.add_argument("--failures", action="store_true", help="list every failure")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    print(report(run(args.part), args.failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
