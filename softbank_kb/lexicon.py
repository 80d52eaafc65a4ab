"""The concept lexicon: the words questions and searches are asked with, and what they point to.

It lives in the package (`lexicon.yaml`), not in a data directory: it holds words of two
languages, not facts of one knowledge base, so every data directory is searched with the
same words and a data file keeps its one schema. It is validated like the records (strict
YAML, pydantic, `file:line:column` messages), by `sbkb validate` too, and kept in the cache
so that a warm start parses no YAML.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from softbank_kb.constraints import Chars, Checked, MinItems
from softbank_kb.problems import KnowledgeBaseError, LoadError

LEXICON_FILE = Path(__file__).resolve().parent / "lexicon.yaml"

_CONFIG: dict[str, Any] = {"extra": "forbid"}
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Term = Annotated[str, Chars(min_length=1, max_length=80)]
# What a question word asks for.
Answer = Literal["amount", "date", "person", "quote", "place", "organization"]


def _deal_kind(value: str) -> str:
    """`value` if deals have such a kind, else ValueError listing those they have."""
    return _one_of(value, "Deal")


def _event_kind(value: str) -> str:
    """`value` if events have such a kind, else ValueError listing those they have."""
    return _one_of(value, "Event")


def _one_of(value: str, model_name: str) -> str:
    import typing

    from softbank_kb import models

    allowed = typing.get_args(typing.get_type_hints(getattr(models, model_name))["kind"])
    if value not in allowed:
        raise ValueError(
            f"{value!r} is not a {model_name.lower()} kind; expected one of " + ", ".join(allowed)
        )
    return value


@dataclass(frozen=True, kw_only=True)
class Concept:
    """One idea, the words for it in both languages, and the record fields it points to."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG

    id: Annotated[str, Chars(pattern=_SLUG, max_length=80)]
    kind: Literal["metric", "deal_kind", "role", "event", "thing", "question"]
    en: Annotated[tuple[Term, ...], MinItems(1)]
    fr: Annotated[tuple[Term, ...], MinItems(1)]
    metrics: tuple[Annotated[str, Chars(pattern=r"^[a-z0-9_]+$")], ...] = ()
    deal_kinds: tuple[Annotated[str, Checked(_deal_kind)], ...] = ()
    event_kinds: tuple[Annotated[str, Checked(_event_kind)], ...] = ()
    roles: tuple[Term, ...] = ()
    answer: Answer | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term, English then French."""
        return self.en + self.fr


@dataclass(frozen=True, kw_only=True)
class Stopwords:
    """Words of no meaning of their own in a question, by language."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG

    en: tuple[Term, ...] = ()
    fr: tuple[Term, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Lexicon:
    """Every concept, and the stop words of each language."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG

    concepts: Annotated[tuple[Concept, ...], MinItems(1)]
    stopwords: Stopwords = field(default_factory=Stopwords)

    @cached_property
    def by_id(self) -> dict[str, Concept]:
        """Every concept by its id."""
        return {concept.id: concept for concept in self.concepts}

    @cached_property
    def phrases(self) -> dict[tuple[str, ...], tuple[Concept, ...]]:
        """Each term folded into its words, and the concepts it is a term of."""
        from softbank_kb.search import fold

        found: dict[tuple[str, ...], list[Concept]] = {}
        for concept in self.concepts:
            for term in concept.terms:
                words = tuple(fold(term).split())
                if words and concept not in found.setdefault(words, []):
                    found[words].append(concept)
        return {words: tuple(concepts) for words, concepts in found.items()}

    @cached_property
    def stems(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """For a one-word term's stem in either language, the terms it stems from."""
        from softbank_kb.stemming import stems

        found: dict[str, list[tuple[str, ...]]] = {}
        for words in self.phrases:
            if len(words) == 1 and len(words[0]) > 3:
                for stem in stems(words[0]):
                    found.setdefault(stem, []).append(words)
        return {stem: tuple(terms) for stem, terms in found.items()}

    def __getstate__(self) -> dict[str, Any]:
        # What is derived is rebuilt on use: the cache keeps the curated words only.
        return {"concepts": self.concepts, "stopwords": self.stopwords}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def check_lexicon(path: Path | None = None) -> tuple[Lexicon | None, list[LoadError]]:
    """The lexicon in `path` (the package's), or None and every problem with its file and line."""
    from softbank_kb import loading

    path = LEXICON_FILE if path is None else path
    parsed = _parse(path)
    if isinstance(parsed, LoadError):
        return None, [parsed]
    node, document = parsed
    if not isinstance(document, dict):
        where = loading._line_column(node.start_mark)
        return None, [LoadError(str(path), "the lexicon must be a mapping with `concepts`", *where)]
    from pydantic import TypeAdapter, ValidationError

    try:
        lexicon = TypeAdapter(Lexicon).validate_python(document)
    except ValidationError as error:
        problems = []
        found = error.errors(include_url=False)
        locations = [problem["loc"] for problem in found]
        for problem in found:
            loc = problem["loc"]
            # A list refused because an item of it was: the item's problem says it all.
            if any(len(other) > len(loc) and other[: len(loc)] == loc for other in locations):
                continue
            data_path, shown = loading._data_path(document, loc)
            message = problem["msg"].removeprefix("Value error, ")
            unknown = problem["type"] == "unexpected_keyword_argument"
            if unknown:
                message = f"unknown field {shown.rsplit('.', 1)[-1]!r}"
            mark = loading._mark_of(node, data_path, key=unknown)
            text = f"{shown}: {message}" if shown else message
            problems.append(LoadError(str(path), text, *loading._line_column(mark)))
        return None, problems
    duplicates = _repeated_ids(lexicon)
    if duplicates:
        problems = [
            LoadError(
                str(path),
                f"concepts[{at}].id: {lexicon.concepts[at].id!r} is the id of another concept",
                *loading._line_column(loading._mark_of(node, ("concepts", at, "id"))),
            )
            for at in duplicates
        ]
        return None, problems
    return lexicon, []


def _parse(path: Path) -> tuple[Any, Any] | LoadError:
    """The node tree and plain values of a strict-YAML file, or why it cannot be read."""
    import yaml

    from softbank_kb import loading

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        return LoadError(str(path), f"cannot be read: {error.strerror}")
    except UnicodeDecodeError:
        return LoadError(str(path), "not UTF-8")
    problem = loading._too_deep(text) or loading._find_anchor(text)
    if problem:
        return LoadError(str(path), problem.message, *loading._line_column(problem.mark))
    loader = loading._StrictLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = error.problem or error.context or "invalid YAML"
        return LoadError(str(path), f"invalid YAML: {reason}", *loading._line_column(mark))
    except yaml.YAMLError as error:
        return LoadError(str(path), f"invalid YAML: {error}")
    finally:
        loader.dispose()
    if node is None:
        return LoadError(str(path), "file is empty")
    try:
        return node, loading._to_python(node, 0, set())
    except loading._YamlProblem as problem:
        return LoadError(str(path), problem.message, *loading._line_column(problem.mark))


def _repeated_ids(lexicon: Lexicon) -> list[int]:
    """The positions of concepts whose id an earlier concept has."""
    seen: set[str] = set()
    repeated = []
    for at, concept in enumerate(lexicon.concepts):
        if concept.id in seen:
            repeated.append(at)
        seen.add(concept.id)
    return repeated


@cache
def lexicon() -> Lexicon:
    """The package's lexicon, from the cache when the file is unchanged."""
    from softbank_kb import __version__
    from softbank_kb.cache import read_cached, write_cached

    data = LEXICON_FILE.read_bytes()
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0".encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(data)
    name = f"lexicon-{digest.hexdigest()}.json"
    cached = read_cached(name, Lexicon)
    if cached is not None:
        return cached
    found, problems = check_lexicon(LEXICON_FILE)
    if found is None:
        raise KnowledgeBaseError(problems)
    write_cached(name, found)
    return found
