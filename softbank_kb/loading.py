"""Strict YAML loading of a data directory into a checked KnowledgeBase, with file:line errors."""

from __future__ import annotations

import errno
import itertools
import stat
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import TypeAdapter, ValidationError

from softbank_kb.errors import KnowledgeBaseError, LoadError
from softbank_kb.models import (
    COLLECTIONS,
    TYPE_NAMES,
    AnyRecord,
    KnowledgeBase,
    without_garbage_collection,
)
from softbank_kb.paths import (
    DATA_LEXICON,
    MAX_FILE_BYTES,
    data_files,
    too_many_bytes,
    too_many_files,
    yaml_names,
)
from softbank_kb.strictyaml import (
    FILE_KINDS,
    MAX_DEPTH,
    DataPath,
    StrictLoader,
    data_path,
    dotted,
    line_column,
    mark_of,
    parse_yaml,
    read_data_file,
)

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "check_data_dir", "load_knowledge_base"]

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

# What pydantic calls a key that a record's dataclass has no field for: an unexpected
# keyword argument to its constructor.
_UNKNOWN_FIELD = "unexpected_keyword_argument"
# A file holds at most this many records: 68,000 valid ones fit in the size limit.
MAX_RECORDS_PER_FILE = 100_000
# Problems reported per record and per run; the rest are counted.
MAX_ERRORS_PER_RECORD = 100
MAX_ERRORS = 1_000


Reader = Callable[[Path], bytes | LoadError]
"""What gives a data file's bytes, or in one line why it cannot: read_data_file, or a
caller's that hashes what it gives (cache.py), so that what is parsed is what was hashed."""


@dataclass
class _ParsedFile:
    """One data file's records, and where each value stands in it."""

    path: Path
    node: Any
    # What gave the file's bytes, asked again should the node tree be released.
    read: Reader
    records: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    # Each mapping node's keys, built the first time an error is placed in it.
    keys: dict[int, dict[str, tuple[Any, Any]]] = field(default_factory=dict)

    def release(self) -> None:
        """Drop the node tree and raw records once the file's records are validated.

        A large knowledge base would otherwise hold every file's nodes at once; the
        rare error found later (a duplicate id, a dangling reference) parses the file
        again for its line numbers.
        """
        self.node = None
        self.records = []
        self.keys = {}

    def tree(self) -> Any:
        """The file's node tree, parsed again if it was released; None if it no longer
        parses (changed meanwhile: the reader of a cache key sees it, and keeps nothing)."""
        if self.node is None:
            data = self.read(self.path)
            if isinstance(data, LoadError):
                return None
            try:
                loader = StrictLoader(data.decode("utf-8-sig"))
            except UnicodeDecodeError:
                return None
            try:
                self.node = loader.get_single_node()
            except yaml.YAMLError:
                return None
            finally:
                loader.dispose()
        return self.node


def load_knowledge_base(data_dir: Path) -> KnowledgeBase:
    """Every record of `data_dir`, validated and cross-checked, or KnowledgeBaseError."""
    return load_with_files(data_dir)[0]


def load_with_files(
    data_dir: Path, read: Reader | None = None
) -> tuple[KnowledgeBase, dict[str, Path]]:
    """As `load_knowledge_base`, with the file each record stands in, by id; each file's
    bytes are taken once from `read`."""
    with without_garbage_collection():
        kb, errors, _, origins = _check_data_dir(data_dir, read)
    if errors or kb is None:
        raise KnowledgeBaseError(errors)
    return kb, {record_id: parsed.path for record_id, (parsed, _) in origins.items()}


FileRecords = dict[str, list[AnyRecord]]
"""One data file's records by collection, in the file's order."""


def load_changed_files(
    paths: list[Path],
    types_elsewhere: Callable[[Collection[str]], dict[str, str]],
    read: Reader | None = None,
) -> dict[Path, FileRecords] | None:
    """The records of a few changed files, checked against the rest of the knowledge base.

    `types_elsewhere` gives the type of each of some ids among the records of the other
    files. The checks are the ones a whole load makes (each record valid, ids unique,
    references to records of the right type, the deal rules); at the first problem this
    gives None, and the caller loads the whole directory, which names every problem at
    its file and line exactly as it always does. Each file's bytes are taken once from
    `read`.
    """
    with without_garbage_collection():
        found: dict[Path, FileRecords] = {}
        origins: _Origins = {}
        errors: list[LoadError] = []
        for path in paths:
            parsed_file = _parse_file(path, read)
            if isinstance(parsed_file, LoadError):
                return None
            collections: FileRecords = {name: [] for name in COLLECTIONS}
            for collection, index, raw in parsed_file.records:
                record = _validate_record(parsed_file, collection, index, raw, errors)
                if record is None or record.id in origins:
                    return None
                origins[record.id] = (parsed_file, (collection, index))
                collections[collection].append(record)
            parsed_file.release()
            found[path] = collections
        part = KnowledgeBase(
            **{name: tuple(r for c in found.values() for r in c[name]) for name in COLLECTIONS}
        )
        if types_elsewhere(list(origins)):
            return None  # an id another file has too
        targets = {t for record in part.records() for _, t, _ in record.references()}
        types = types_elsewhere([t for t in targets if t not in origins])
        types.update((record.id, TYPE_NAMES[type(record)]) for record in part.records())
        for record in part.records():
            if any(types.get(t) not in allowed for _, t, allowed in record.references()):
                return None
        if next(_deal_rules(part, origins), None) is not None:
            return None
    return found


def check_data_dir(data_dir: Path) -> tuple[KnowledgeBase | None, list[LoadError], int]:
    """The knowledge base of `data_dir` (None on errors), every error, and the file count."""
    with without_garbage_collection():
        kb, errors, count, _ = _check_data_dir(data_dir)
    return kb, errors, count


def check_data_dir_strictly(
    data_dir: Path,
) -> tuple[KnowledgeBase | None, list[LoadError], list[LoadError], int]:
    """As `check_data_dir`, with a curator's warnings (curation.py) placed at file and line."""
    from softbank_kb.curation import curator_warnings

    with without_garbage_collection():
        kb, errors, count, origins = _check_data_dir(data_dir)
    if kb is None:
        return None, errors, [], count
    warnings = []
    for warning in curator_warnings(kb):
        parsed, where = origins[warning.record_id]
        warnings.append(_error_at(parsed, (*where, *warning.path), warning.message))
    return kb, errors, warnings, count


_Origins = dict[str, tuple[_ParsedFile, DataPath]]


def _check_data_dir(
    data_dir: Path, read: Reader | None = None
) -> tuple[KnowledgeBase | None, list[LoadError], int, _Origins]:
    if not data_dir.exists():
        return None, [LoadError(str(data_dir), "data directory does not exist")], 0, {}
    if not data_dir.is_dir():
        return None, [LoadError(str(data_dir), "is not a directory")], 0, {}
    try:
        # Refused from the listing alone, before a file is read: a directory of 100,000
        # files, or of more bytes than a knowledge base has, costs its listing only.
        crowded = too_many_files(data_dir)
        names = [] if crowded else yaml_names(data_dir)
        files = data_files(data_dir, names)
        heavy = None if crowded else too_many_bytes(files)
        broken = _not_files(files, names)
    except OSError as error:
        return None, [LoadError(str(data_dir), f"cannot be read: {error.strerror}")], 0, {}
    refused_unread = crowded or heavy
    if refused_unread is not None:
        return None, [LoadError(str(data_dir), refused_unread)], 0, {}
    words = [path for path in files if path.name == DATA_LEXICON]
    files = [path for path in files if path.name != DATA_LEXICON]
    if not files and not broken:
        what = "no .yaml files of records" if words else "no .yaml files"
        return None, [LoadError(str(data_dir), f"holds {what}")], 0, {}

    errors = _Problems(broken)
    # The files whose records are unknown, and the ids of records refused: a reference to
    # an id that may be one of theirs is no dangling reference.
    unread = [Path(error.path).name for error in broken]
    refused: set[str] = set()
    read = read_data_file if read is None else read
    lexicon_data = b""
    if words:
        # Words, not records: checked as the package's lexicon is, and merged into it.
        from softbank_kb.lexicon import data_lexicon_problems, data_lexicon_too_large

        read_words = data_lexicon_too_large(words[0]) or read(words[0])
        if isinstance(read_words, LoadError):
            errors.append(read_words)
        else:
            lexicon_data = read_words
            for problem in data_lexicon_problems(words[0], lexicon_data):
                errors.append(problem)
    collections: dict[str, list[AnyRecord]] = {name: [] for name in COLLECTIONS}
    origins: dict[str, tuple[_ParsedFile, DataPath]] = {}
    for path in files:
        parsed_file = _parse_file(path, read)
        if isinstance(parsed_file, LoadError):
            errors.append(parsed_file)
            unread.append(path.name)
            continue
        for collection, index, raw in parsed_file.records:
            if errors.full:
                break  # what is left is only counted, and a record costs its validation
            record = _validate_record(parsed_file, collection, index, raw, errors)
            if record is None:
                if isinstance(raw.get("id"), str):
                    refused.add(raw["id"])
                continue
            where: DataPath = (collection, index)
            if record.id in origins:
                first_file, first_where = origins[record.id]
                first = _error_at(first_file, (*first_where, "id"), "")
                errors.append(
                    _error_at(
                        parsed_file,
                        (*where, "id"),
                        f"duplicate id {record.id!r} (first defined at {first.path}:{first.line})",
                    )
                )
                continue
            origins[record.id] = (parsed_file, where)
            collections[collection].append(record)
        parsed_file.release()

    kb = KnowledgeBase(**{name: tuple(records) for name, records in collections.items()})
    if words and not errors:
        from softbank_kb.lexicon import terms_naming_records

        for problem in terms_naming_records(words[0], kb, lexicon_data):
            errors.append(problem)
    if not errors.full:
        unchecked: list[str] = []
        references = _dangling_references(kb, origins, refused, unchecked if unread else None)
        for problem in itertools.chain(references, _deal_rules(kb, origins)):
            errors.append(problem)
            if errors.full:
                break
        if unchecked:
            errors.append(_not_checked(data_dir, unread, len(unchecked)))
    listed = errors.listed()
    return (None if listed else kb), listed, len(files) + len(words), origins


def _deal_rules(
    kb: KnowledgeBase, origins: dict[str, tuple[_ParsedFile, DataPath]]
) -> Iterator[LoadError]:
    """A deal has a target unless it is a budget, and `until` ends only a cumulative total."""
    for deal in kb.deals:
        parsed, where = origins[deal.id]
        if deal.kind == "budget" and deal.target is not None:
            yield _error_at(parsed, (*where, "target"), "target: a budget has no counterparty")
        elif deal.kind != "budget" and deal.target is None:
            article = "an" if deal.kind[0] in "aeiou" else "a"
            kind = deal.kind.replace("_", " ")
            yield _error_at(parsed, (*where, "kind"), f"target: {article} {kind} needs a target")
        if deal.until is not None and not deal.cumulative:
            yield _error_at(parsed, (*where, "until"), "until: only a cumulative deal has an end")


class _Problems(list[LoadError]):
    """The problems found so far: the first MAX_ERRORS listed, then the rest counted."""

    def __init__(self, initial: list[LoadError]) -> None:
        super().__init__(initial)

    @property
    def full(self) -> bool:
        return len(self) >= MAX_ERRORS

    def append(self, error: LoadError) -> None:
        if not self.full:
            super().append(error)

    def listed(self) -> list[LoadError]:
        """The errors as a plain list, ending with how many more there were."""
        errors = list(self)
        if self.full:
            errors.append(
                LoadError(
                    errors[-1].path,
                    f"... and more problems: only the first {MAX_ERRORS:,} are reported",
                    cut_short=True,
                )
            )
        return errors


def _not_files(files: list[Path], names: list[Path]) -> list[LoadError]:
    """Every .yaml name that is not a regular file, and why: data_files passes over them."""
    errors = []
    regular = set(files)
    for path in names:
        if path in regular:
            continue
        try:
            mode = path.stat().st_mode
        except OSError as error:
            if error.errno == errno.ELOOP:
                reason = "symbolic link loop"
            elif path.is_symlink():
                reason = f"symbolic link to {str(path.readlink())!r}, which does not exist"
            else:
                reason = error.strerror or "cannot be read"
            errors.append(LoadError(str(path), f"cannot be read: {reason}"))
            continue
        kind = FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")
        errors.append(LoadError(str(path), f"is {kind}, not a regular file; it is not read"))
    return errors


def _parse_file(path: Path, read: Reader | None = None) -> _ParsedFile | LoadError:
    """Read and parse one file into records, or say in one line why it cannot be."""
    # Read once, and parsed from these bytes: `read` may have hashed them for a cache key.
    read = read_data_file if read is None else read
    data = read(path)
    if isinstance(data, LoadError):
        return data
    parsed = parse_yaml(path, data)
    if isinstance(parsed, LoadError):
        return parsed
    node, document = parsed
    parsed_file = _ParsedFile(path, node, read)
    layout = _check_layout(document, parsed_file)
    if layout:
        return layout
    return parsed_file


def _check_layout(document: Any, parsed: _ParsedFile) -> LoadError | None:
    """A data file maps collection names to lists of records; note each record found."""
    if not isinstance(document, dict):
        return LoadError(
            str(parsed.path),
            "a data file must be a mapping of collections "
            f"({', '.join(COLLECTIONS)}) to lists of records",
            *line_column(parsed.node.start_mark),
        )
    for collection, records in document.items():
        if collection not in COLLECTIONS:
            # A lexicon's keys in a file of another name: say where a lexicon goes.
            hint = f"; a concept lexicon goes in {DATA_LEXICON}" if collection == "concepts" else ""
            return _error_at(
                parsed,
                (collection,),
                f"unknown collection {collection!r}; expected one of {', '.join(COLLECTIONS)}"
                + hint,
                key=True,
            )
        if not isinstance(records, list):
            return _error_at(parsed, (collection,), f"{collection} must be a list of records")
        if len(records) > MAX_RECORDS_PER_FILE:
            return _error_at(
                parsed,
                (collection,),
                f"{collection} holds {len(records):,} records; "
                f"the limit is {MAX_RECORDS_PER_FILE:,} in one file",
            )
        for index, raw in enumerate(records):
            if not isinstance(raw, dict):
                return _error_at(parsed, (collection, index), "a record must be a mapping")
            parsed.records.append((collection, index, raw))
    return None


def _validate_record(
    parsed: _ParsedFile, collection: str, index: int, raw: dict[str, Any], errors: list[LoadError]
) -> AnyRecord | None:
    """The validated record, or None with its problems added to `errors`."""
    model = COLLECTIONS[collection]
    try:
        return _adapter(model).validate_python(raw)
    except ValidationError as error:
        seen: set[str] = set()
        problems = error.errors(include_url=False)
        for problem in problems[:MAX_ERRORS_PER_RECORD]:
            at, shown = data_path(raw, problem["loc"])
            message = _message(problem, model, shown)
            text = f"{shown}: {message}" if shown else message
            if text in seen:
                continue
            seen.add(text)
            # An unknown field is best pointed at by its key, not by its value.
            at_key = problem["type"] == _UNKNOWN_FIELD
            errors.append(_error_at(parsed, (collection, index, *at), text, key=at_key))
            if len(errors) >= MAX_ERRORS:
                break
        if len(problems) > MAX_ERRORS_PER_RECORD:
            more = len(problems) - MAX_ERRORS_PER_RECORD
            errors.append(
                _error_at(
                    parsed, (collection, index), f"... and {more:,} more problems in this record"
                )
            )
        return None


@cache
def _adapter(model: type[AnyRecord]) -> TypeAdapter[AnyRecord]:
    """pydantic's validator of one record type, built the first time a record needs it."""
    return TypeAdapter(model)


def _message(problem: ErrorDetails, model: type[AnyRecord], shown: str) -> str:
    """pydantic's message for a problem, in our own words where we have them."""
    kind = problem["type"]
    if kind == _UNKNOWN_FIELD:
        return f"unknown field; {model.__name__} has no field {shown.rsplit('.', 1)[-1]!r}"
    if kind == "dataclass_type" and "ctx" in problem:
        # A scalar or a list where a record or a value's mapping is expected.
        return f"Input should be a valid dictionary or instance of {problem['ctx']['class_name']}"
    return problem["msg"].removeprefix("Value error, ")


def _dangling_references(
    kb: KnowledgeBase,
    origins: dict[str, tuple[_ParsedFile, DataPath]],
    refused: Collection[str] = (),
    unchecked: list[str] | None = None,
) -> Iterator[LoadError]:
    """Every id a record points to that is missing or of the wrong type.

    An id of a record `refused` (its own problems are reported) is not missing. With
    `unchecked` (some file could not be read, and any id may be one of its records'),
    a missing id is not reported but counted there.
    """
    by_id = kb.by_id
    for record in kb.records():
        parsed, where = origins[record.id]
        for field_path, target, allowed in record.references():
            found = by_id.get(target)
            if found is None and target in refused:
                continue
            if found is None and unchecked is not None:
                unchecked.append(target)
                continue
            if found is None:
                message = f"{dotted(field_path)}: no record has id {target!r}"
            elif TYPE_NAMES[type(found)] not in allowed:
                message = (
                    f"{dotted(field_path)}: {target!r} is a {TYPE_NAMES[type(found)]}, "
                    f"expected {' or '.join(allowed)}"
                )
            else:
                continue
            yield _error_at(parsed, where + field_path, message)


def _not_checked(data_dir: Path, unread: list[str], count: int) -> LoadError:
    """One line for the references not checked because some files could not be read."""
    names = ", ".join(unread[:-1]) + " and " + unread[-1] if len(unread) > 1 else unread[0]
    noun = "reference" if count == 1 else "references"
    return LoadError(
        str(data_dir),
        f"not checked: {count:,} {noun} to ids that may be in {names}, which could not be read",
    )


def _error_at(parsed: _ParsedFile, path: DataPath, message: str, key: bool = False) -> LoadError:
    """An error placed at the deepest node of `path` that exists in the file."""
    tree = parsed.tree()
    mark = None if tree is None else mark_of(tree, path, key, parsed.keys)
    return LoadError(str(parsed.path), message, *line_column(mark))
