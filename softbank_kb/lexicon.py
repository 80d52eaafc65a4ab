"""The concept lexicon: the words questions and searches are asked with, and what they point to.

A data directory's own `lexicon.yaml` extends the package's (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from softbank_kb.constraints import Chars, Checked, MinItems
from softbank_kb.errors import KnowledgeBaseError, LoadError
from softbank_kb.paths import DATA_LEXICON

if TYPE_CHECKING:
    from softbank_kb.models import KnowledgeBase

LEXICON_FILE = Path(__file__).resolve().parent / "lexicon.yaml"

_CONFIG: dict[str, Any] = {"extra": "forbid"}
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# search.py reads a query for phrases of at most this many words (its _LONGEST_TERM): a
# longer term would never be found, so it is refused rather than silently unused.
MAX_TERM_WORDS = 4
# A data directory's lexicon holds words, not records: the package's has 24 concepts and
# 227 terms in 7 KB. Every search and ask reads the merged lexicon, cached or not, so one
# of 200,000 concepts cost 37 s the first time and 4.5 s every time after. Beyond these it
# is refused: by its size before it is read, by its lists and items (counted in the text)
# before it is parsed, and by its concepts and terms before they are validated.
MAX_LEXICON_BYTES = 512 * 1024
MAX_LEXICON_ITEMS = 20_000
MAX_LEXICON_CONCEPTS = 2_000
MAX_LEXICON_TERMS = 10_000


def _searchable(value: str) -> str:
    """`value` if it folds into one to MAX_TERM_WORDS words, else ValueError saying why."""
    from softbank_kb.folding import fold

    words = fold(value).split()
    if not words:
        raise ValueError(f"{value!r} has no word to search for")
    if len(words) > MAX_TERM_WORDS:
        raise ValueError(
            f"{value!r} is {len(words)} words; a term is at most {MAX_TERM_WORDS}, "
            "the longest phrase a question is read for"
        )
    return value


Text = Annotated[str, Chars(min_length=1, max_length=80)]
Term = Annotated[str, Chars(min_length=1, max_length=80), Checked(_searchable)]
# What a question word asks for.
Answer = Literal["amount", "date", "person", "quote", "place", "organization"]


def _deal_kind(value: str) -> str:
    """`value` if deals have such a kind, else ValueError listing those they have."""
    return _one_of(value, "Deal")


def _event_kind(value: str) -> str:
    """`value` if events have such a kind, else ValueError listing those they have."""
    return _one_of(value, "Event")


def _one_of(value: str, model_name: str) -> str:
    allowed = _kinds(model_name)
    if value not in allowed:
        raise ValueError(
            f"{value!r} is not a {model_name.lower()} kind; expected one of " + ", ".join(allowed)
        )
    return value


@cache
def _kinds(model_name: str) -> tuple[str, ...]:
    """The kinds records of a model have: its type hints resolved once, not per value."""
    import typing

    from softbank_kb import models

    return typing.get_args(typing.get_type_hints(getattr(models, model_name))["kind"])


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
    roles: tuple[Text, ...] = ()
    answer: Answer | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term, English then French."""
        return self.en + self.fr


@dataclass(frozen=True, kw_only=True)
class Stopwords:
    """Words of no meaning of their own in a question, by language."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG

    en: tuple[Text, ...] = ()
    fr: tuple[Text, ...] = ()


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
        from softbank_kb.folding import fold

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
        from softbank_kb.folding import stems

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


# What each field of a concept means, for an editor that shows it as you type.
_FIELD_HELP = {
    "id": "A lowercase slug; the id of a package concept extends that concept.",
    "kind": "What the concept is: a metric, deal kind, role, event, thing or question word.",
    "en": "Its English terms, each one word or a phrase; case and accents do not matter.",
    "fr": "Its French terms, each one word or a phrase; case and accents do not matter.",
    "metrics": "The figure metrics (figures.yaml `metric`) it names.",
    "deal_kinds": "The deal kinds (a deal's `kind`) it names.",
    "event_kinds": "The event kinds (an event's `kind`) it names.",
    "roles": "Role titles it names, in English, as people.yaml writes them.",
    "answer": "For a question word: the kind of answer it asks for.",
}


def lexicon_schema() -> dict[str, Any]:
    """The JSON Schema of a lexicon file, the package's or a data directory's `lexicon.yaml`."""
    import typing

    from pydantic import TypeAdapter

    from softbank_kb import models

    schema = TypeAdapter(Lexicon).json_schema()
    concept = schema["$defs"]["Concept"]["properties"]
    for name, help_text in _FIELD_HELP.items():
        concept[name]["description"] = help_text
    # Checked in Python, so pydantic cannot tell an editor: the kinds records have.
    for name, model in (("deal_kinds", models.Deal), ("event_kinds", models.Event)):
        kinds = typing.get_args(typing.get_type_hints(model)["kind"])
        concept[name]["items"]["enum"] = list(kinds)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sbkb concept lexicon"
    return schema


def check_lexicon(path: Path | None = None) -> tuple[Lexicon | None, list[LoadError]]:
    """The lexicon in `path` (the package's), or None and every problem with its file and line."""
    found, _, problems = _checked(LEXICON_FILE if path is None else path)
    return found, problems


def _checked(
    path: Path, data: bytes | None = None, limited: bool = False
) -> tuple[Lexicon | None, Any, list[LoadError]]:
    """The lexicon in `path` and its node tree, or None, None and every problem; `limited`,
    a data directory's, within the limits of one."""
    from softbank_kb import strictyaml

    if limited:
        if data is None:
            read = data_lexicon_too_large(path) or strictyaml.read_data_file(path)
            if isinstance(read, LoadError):
                return None, None, [read]
            data = read
        beyond = _beyond_limits_unparsed(path, data)
        if beyond is not None:
            return None, None, [beyond]
    parsed = strictyaml.parse_yaml(path, data)
    if isinstance(parsed, LoadError):
        return None, None, [parsed]
    node, document = parsed
    if not isinstance(document, dict):
        where = strictyaml.line_column(node.start_mark)
        message = "the lexicon must be a mapping with `concepts`"
        return None, None, [LoadError(str(path), message, *where)]
    beyond = _beyond_limits_parsed(path, node, document) if limited else None
    if beyond is not None:
        return None, None, [beyond]
    from pydantic import ValidationError

    try:
        lexicon = _validator().validate_python(document)
    except ValidationError as error:
        problems = []
        found = error.errors(include_url=False)
        locations = [problem["loc"] for problem in found]
        for problem in found:
            loc = problem["loc"]
            # A list refused because an item of it was: the item's problem says it all.
            if any(len(other) > len(loc) and other[: len(loc)] == loc for other in locations):
                continue
            data_path, shown = strictyaml.data_path(document, loc)
            message = problem["msg"].removeprefix("Value error, ")
            unknown = problem["type"] == "unexpected_keyword_argument"
            if unknown:
                message = f"unknown field {shown.rsplit('.', 1)[-1]!r}"
            mark = strictyaml.mark_of(node, data_path, key=unknown)
            text = f"{shown}: {message}" if shown else message
            problems.append(LoadError(str(path), text, *strictyaml.line_column(mark)))
        return None, None, problems
    duplicates = _repeated_ids(lexicon)
    if duplicates:
        problems = [
            _error_at(
                path,
                node,
                ("concepts", at, "id"),
                f"{lexicon.concepts[at].id!r} is the id of another concept",
            )
            for at in duplicates
        ]
        return None, None, problems
    return lexicon, node, []


def data_lexicon_too_large(path: Path) -> LoadError | None:
    """Why a data directory's lexicon is refused by its size alone, unread; None if it is not."""
    try:
        size = path.stat().st_size
    except OSError:
        return None  # reading it says why
    if size <= MAX_LEXICON_BYTES:
        return None
    return LoadError(
        str(path), f"file is {size:,} bytes; the limit is {MAX_LEXICON_BYTES:,} bytes for a lexicon"
    )


def _beyond_limits_unparsed(path: Path, data: bytes) -> LoadError | None:
    """Why a data lexicon is refused before it is parsed, by its bytes and an upper bound of
    its lists, mappings and items counted in the text; None if it is within them."""
    from softbank_kb.strictyaml import count_items

    if len(data) > MAX_LEXICON_BYTES:
        return LoadError(
            str(path),
            f"file is {len(data):,} bytes; the limit is {MAX_LEXICON_BYTES:,} bytes for a lexicon",
        )
    items = count_items(data)
    if items > MAX_LEXICON_ITEMS:
        return LoadError(
            str(path),
            f"holds about {items:,} lists, mappings and items; the limit is "
            f"{MAX_LEXICON_ITEMS:,} in a lexicon (of at most {MAX_LEXICON_CONCEPTS:,} concepts "
            f"and {MAX_LEXICON_TERMS:,} terms)",
        )
    return None


def _beyond_limits_parsed(path: Path, node: Any, document: dict[str, Any]) -> LoadError | None:
    """The first concept or term beyond a data lexicon's limits, found before any is
    validated; None if it is within them."""
    concepts = document.get("concepts")
    if not isinstance(concepts, list):
        return None  # validation says what is wrong
    if len(concepts) > MAX_LEXICON_CONCEPTS:
        return _error_at(
            path,
            node,
            ("concepts", MAX_LEXICON_CONCEPTS),
            f"the lexicon holds {len(concepts):,} concepts; "
            f"the limit is {MAX_LEXICON_CONCEPTS:,} in a lexicon",
        )
    # Every list of words, where it stands: each concept's en and fr, then the stop words.
    lists: list[tuple[tuple[str | int, ...], list[Any]]] = []
    for at, concept in enumerate(concepts):
        if isinstance(concept, dict):
            lists += [(("concepts", at, name), concept.get(name)) for name in ("en", "fr")]
    stopwords = document.get("stopwords")
    if isinstance(stopwords, dict):
        lists += [(("stopwords", name), stopwords.get(name)) for name in ("en", "fr")]
    lists = [(where, words) for where, words in lists if isinstance(words, list)]
    total = sum(len(words) for _, words in lists)
    if total <= MAX_LEXICON_TERMS:
        return None
    # Placed at the first term beyond the limit.
    before, at = 0, 0
    while before + len(lists[at][1]) <= MAX_LEXICON_TERMS:
        before += len(lists[at][1])
        at += 1
    return _error_at(
        path,
        node,
        (*lists[at][0], MAX_LEXICON_TERMS - before),
        f"the lexicon holds {total:,} terms and stop words; "
        f"the limit is {MAX_LEXICON_TERMS:,} in a lexicon",
    )


@cache
def _validator() -> Any:
    """pydantic's validator of a lexicon, built once: building it costs more than a check."""
    from pydantic import TypeAdapter

    return TypeAdapter(Lexicon)


def _error_at(path: Path, node: Any, where: tuple[str | int, ...], message: str) -> LoadError:
    """A problem of the value at `where` (`concepts[2].kind`), placed at its line and column."""
    from softbank_kb import strictyaml

    shown = strictyaml.dotted(where)
    mark = strictyaml.mark_of(node, where)
    return LoadError(str(path), f"{shown}: {message}", *strictyaml.line_column(mark))


def check_data_lexicon(
    path: Path, base: Lexicon, data: bytes | None = None
) -> tuple[Lexicon | None, list[LoadError]]:
    """`base` with the data directory's lexicon in `path` merged in, or None and every problem.

    A concept of a new id is added after the package's. One with the id of a concept of
    `base` extends it: its terms, metrics, kinds and roles are added to that concept's,
    so a curator can give `buy` a word of their own without repeating what it points to;
    its kind must be the same, and so must its answer if it gives one, since a concept
    that changed what it is would change every search that uses the package's words.
    """
    extra, node, problems = _checked(path, data, limited=True)
    if extra is None:
        return None, problems
    concepts = dict(base.by_id)
    for at, concept in enumerate(extra.concepts):
        known = concepts.get(concept.id)
        if known is None:
            concepts[concept.id] = concept
            continue
        conflict = _conflict(known, concept)
        if conflict is not None:
            name, message = conflict
            problems.append(_error_at(path, node, ("concepts", at, name), message))
            continue
        concepts[concept.id] = _extended(known, concept)
    if problems:
        return None, problems
    stopwords = Stopwords(
        en=_union(base.stopwords.en, extra.stopwords.en),
        fr=_union(base.stopwords.fr, extra.stopwords.fr),
    )
    return Lexicon(concepts=tuple(concepts.values()), stopwords=stopwords), []


def data_lexicon_problems(path: Path, data: bytes | None = None) -> list[LoadError]:
    """What is wrong with a data directory's lexicon: in itself, and merged into the package's.

    Read afresh, never from the cache, as `validate` reads everything (`data`: its bytes,
    when the caller has read them). When the package's lexicon is itself broken, only
    `path` is checked: the package's problems are its own.
    """
    base, _ = check_lexicon()
    if base is None:
        return _checked(path, data, limited=True)[2]
    return check_data_lexicon(path, base, data)[1]


def terms_naming_records(
    path: Path, kb: KnowledgeBase, data: bytes | None = None
) -> list[LoadError]:
    """Each term of a data directory's lexicon that is the name of one of its records.

    A name is found without the lexicon, and a term that is one is read as a word (`ask`
    takes a one-word term for a concept before a name), so it would hide the record.
    Terms the package's lexicon has already are its own concern.
    """
    from softbank_kb.folding import fold

    found, node, _ = _checked(path, data, limited=True)
    if found is None:
        return []  # its own problems are reported elsewhere
    names = {
        fold(name): record
        for record in kb.records()
        for name in (getattr(record, "name", ""), *getattr(record, "aliases", ()))
        if name
    }
    base, _ = check_lexicon()  # afresh, as `validate` reads everything
    package = {fold(term) for concept in base.concepts for term in concept.terms} if base else set()
    problems = []
    for at, concept in enumerate(found.concepts):
        for language in ("en", "fr"):
            for index, term in enumerate(getattr(concept, language)):
                record = names.get(fold(term))
                if record is None or fold(term) in package:
                    continue
                message = (
                    f"{term!r} is the name of {record.type} {record.id!r}; the lexicon holds "
                    "words, not names: a name is found without it"
                )
                problems.append(_error_at(path, node, ("concepts", at, language, index), message))
    return problems


def _conflict(known: Concept, extension: Concept) -> tuple[str, str] | None:
    """The field and the reason a concept may not extend the package concept of its id."""
    if extension.kind != known.kind:
        return "kind", (
            f"{known.id!r} is a {known.kind} concept in the package's lexicon; "
            "a concept that extends it keeps its kind (or give it an id of its own)"
        )
    if extension.answer is not None and extension.answer != known.answer:
        asked = f"asks for {known.answer}" if known.answer else "asks for no answer"
        return "answer", (
            f"{known.id!r} {asked} in the package's lexicon; "
            "a concept that extends it keeps its answer (or give it an id of its own)"
        )
    return None


def _extended(known: Concept, extension: Concept) -> Concept:
    """The package concept with the extension's terms, metrics, kinds and roles after its own."""
    return replace(
        known,
        en=_union(known.en, extension.en),
        fr=_union(known.fr, extension.fr),
        metrics=_union(known.metrics, extension.metrics),
        deal_kinds=_union(known.deal_kinds, extension.deal_kinds),
        event_kinds=_union(known.event_kinds, extension.event_kinds),
        roles=_union(known.roles, extension.roles),
    )


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """`first` as it is, then the words of `second` it lacks, each once."""
    return (*first, *(word for word in dict.fromkeys(second) if word not in first))


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
def package_lexicon() -> Lexicon:
    """The package's lexicon, read from its file; KnowledgeBaseError where it is broken."""
    found, problems = check_lexicon(LEXICON_FILE)
    if found is None:
        raise KnowledgeBaseError(problems)
    return found


def lexicon_for(data_dir: Path, data: bytes | None) -> Lexicon:
    """The package's lexicon with the data directory's own (`data`, its bytes) merged in.

    KnowledgeBaseError where either is broken; without `data`, the package's itself.
    """
    base = package_lexicon()
    if data is None:
        return base
    found, problems = check_data_lexicon(data_dir / DATA_LEXICON, base, data)
    if found is None:
        raise KnowledgeBaseError(problems)
    return found
