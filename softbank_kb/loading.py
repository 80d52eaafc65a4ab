"""Strict YAML loading of a data directory into a checked KnowledgeBase, with file:line errors."""

from __future__ import annotations

import errno
import itertools
import re
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
from softbank_kb.paths import DATA_LEXICON, MAX_FILE_BYTES, data_files, yaml_names

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "check_data_dir", "load_knowledge_base"]

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

# What pydantic calls a key that a record's dataclass has no field for: an unexpected
# keyword argument to its constructor.
_UNKNOWN_FIELD = "unexpected_keyword_argument"
# A file holds at most this many records: 68,000 valid ones fit in the size limit.
MAX_RECORDS_PER_FILE = 100_000
# Lists, mappings and their items, counted before parsing by the characters that start
# them: building a node per item costs 3 us, so 5 million empty records would hold the
# terminal for 30 s. Real records take a handful each.
MAX_ITEMS_PER_FILE = 1_500_000
# Problems reported per record and per run; the rest are counted.
MAX_ERRORS_PER_RECORD = 100
MAX_ERRORS = 1_000
# Records nest a handful of levels; anything deeper is not a record.
MAX_DEPTH = 32

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


_INT_PATTERN = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT_PATTERN = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$")
# An anchor (&a) or alias (*a) starts a value: after a space, a flow indicator or the
# start of a line, and is followed by a name. `R&D` and `5 * 3` are not anchors.
_BEFORE_ANCHOR = frozenset(" \t\r\n[{,:?-")
_NOT_IN_ANCHOR = frozenset(" \t\r\n,[]{}")
# libyaml builds the node tree by recursion in C: some 50,000 levels overflow the C stack
# (a segfault, not a RecursionError), and its scanner slows quadratically with flow
# depth. A file that might nest this deep is checked without building the tree.
_DEEP_SUSPECT = 1000
_DEEP_BLOCK = re.compile(rf"^[ ?:-]{{{_DEEP_SUSPECT // 2},}}", re.MULTILINE)


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The C parser with YAML 1.2-core scalars: no `yes`/`NO` booleans, octals or dates."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        """The tag of an untagged node; a plain scalar is str unless it is JSON-like."""
        # PyYAML's own resolver walks a table of YAML 1.1 patterns for every scalar, in
        # Python; this one decides with a character test and at most two regexes.
        if kind is yaml.ScalarNode:
            if implicit[0]:
                if value in ("", "~", "null"):
                    return _NULL
                if value in ("true", "false"):
                    return _BOOL
                if value[0] in "-+0123456789":
                    if _INT_PATTERN.match(value):
                        return _INT
                    if _FLOAT_PATTERN.match(value):
                        return _FLOAT
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


Path_ = tuple[str | int, ...]


class _YamlProblem(Exception):
    """A problem found while turning YAML nodes into values."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass
class _ParsedFile:
    """One data file's records, and where each value stands in it."""

    path: Path
    node: Any
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
        """The file's node tree, parsed again if it was released."""
        if self.node is None:
            loader = _StrictLoader(self.path.read_bytes().decode("utf-8-sig"))
            try:
                self.node = loader.get_single_node()
            finally:
                loader.dispose()
        return self.node


def load_knowledge_base(data_dir: Path) -> KnowledgeBase:
    """Every record of `data_dir`, validated and cross-checked, or KnowledgeBaseError."""
    return load_with_files(data_dir)[0]


Reader = Callable[[Path], bytes | LoadError]
"""What gives a data file's bytes, or in one line why it cannot: read_data_file, or a
caller's that hashes what it gives (cache.py), so that what is parsed is what was hashed."""


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


_Origins = dict[str, tuple[_ParsedFile, Path_]]


def _check_data_dir(
    data_dir: Path, read: Reader | None = None
) -> tuple[KnowledgeBase | None, list[LoadError], int, _Origins]:
    if not data_dir.exists():
        return None, [LoadError(str(data_dir), "data directory does not exist")], 0, {}
    if not data_dir.is_dir():
        return None, [LoadError(str(data_dir), "is not a directory")], 0, {}
    try:
        files = data_files(data_dir)
        broken = _not_files(data_dir, files)
    except OSError as error:
        return None, [LoadError(str(data_dir), f"cannot be read: {error.strerror}")], 0, {}
    words = [path for path in files if path.name == DATA_LEXICON]
    files = [path for path in files if path.name != DATA_LEXICON]
    if not files and not broken:
        what = "no .yaml files of records" if words else "no .yaml files"
        return None, [LoadError(str(data_dir), f"holds {what}")], 0, {}

    errors = _Problems(broken)
    read = read_data_file if read is None else read
    lexicon_data = b""
    if words:
        # Words, not records: checked as the package's lexicon is, and merged into it.
        from softbank_kb.lexicon import data_lexicon_problems

        read_words = read(words[0])
        if isinstance(read_words, LoadError):
            errors.append(read_words)
        else:
            lexicon_data = read_words
            for problem in data_lexicon_problems(words[0], lexicon_data):
                errors.append(problem)
    collections: dict[str, list[AnyRecord]] = {name: [] for name in COLLECTIONS}
    origins: dict[str, tuple[_ParsedFile, Path_]] = {}
    for path in files:
        parsed_file = _parse_file(path, read)
        if isinstance(parsed_file, LoadError):
            errors.append(parsed_file)
            continue
        for collection, index, raw in parsed_file.records:
            if errors.full:
                break  # what is left is only counted, and a record costs its validation
            record = _validate_record(parsed_file, collection, index, raw, errors)
            if record is None:
                continue
            where: Path_ = (collection, index)
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
        for problem in itertools.chain(_dangling_references(kb, origins), _deal_rules(kb, origins)):
            errors.append(problem)
            if errors.full:
                break
    listed = errors.listed()
    return (None if listed else kb), listed, len(files) + len(words), origins


def _deal_rules(
    kb: KnowledgeBase, origins: dict[str, tuple[_ParsedFile, Path_]]
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


def _not_files(data_dir: Path, files: list[Path]) -> list[LoadError]:
    """Every .yaml name that is not a regular file, and why: data_files passes over them."""
    errors = []
    regular = set(files)
    for path in yaml_names(data_dir):
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
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        errors.append(LoadError(str(path), f"is {kind}, not a regular file; it is not read"))
    return errors


_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _parse_file(path: Path, read: Reader | None = None) -> _ParsedFile | LoadError:
    """Read and parse one file into records, or say in one line why it cannot be."""
    # Read once, and parsed from these bytes: `read` may have hashed them for a cache key.
    data = (read_data_file if read is None else read)(path)
    if isinstance(data, LoadError):
        return data
    parsed = parse_yaml(path, data)
    if isinstance(parsed, LoadError):
        return parsed
    node, document = parsed
    parsed_file = _ParsedFile(path, node)
    layout = _check_layout(document, parsed_file)
    if layout:
        return layout
    return parsed_file


def read_data_file(path: Path) -> bytes | LoadError:
    """The bytes of a regular file within the size limit, or in one line why not."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # Opening a FIFO would wait for a writer: what is not a file is never read.
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            return LoadError(str(path), f"is {kind}, not a regular file; it is not read")
        if info.st_size > MAX_FILE_BYTES:
            return LoadError(
                str(path), f"file is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes"
            )
        return path.read_bytes()
    except OSError as error:
        return LoadError(str(path), f"cannot be read: {error.strerror}")


def parse_yaml(path: Path, data: bytes | None = None) -> tuple[Any, Any] | LoadError:
    """The node tree and plain values of a strict-YAML file, or in one line why it has none.

    `data` is the file's bytes when the caller has read them already.
    """
    if data is None:
        read = read_data_file(path)
        if isinstance(read, LoadError):
            return read
        data = read
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return LoadError(
            str(path), f"not UTF-8: byte {data[error.start]:#04x} cannot be decoded", line
        )
    if not text.strip():
        return LoadError(str(path), "file is empty")
    node = _node_tree(path, text)
    if isinstance(node, LoadError):
        return node
    try:
        return node, _to_python(node, 0, set())
    except _YamlProblem as problem:
        return LoadError(str(path), problem.message, *_line_column(problem.mark))


def _node_tree(path: Path, text: str) -> Any:
    """The YAML node tree of a text, or a LoadError placed where it goes wrong."""
    items = _items(text)
    if items > MAX_ITEMS_PER_FILE:
        return LoadError(
            str(path),
            f"holds about {items:,} lists, mappings and items; "
            f"the limit is {MAX_ITEMS_PER_FILE:,} in one file",
        )
    problem = _too_deep(text) or _find_anchor(text)
    if problem:
        return LoadError(str(path), problem.message, *_line_column(problem.mark))
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        if _is_libyaml_depth_limit(error):
            problem = _first_level_too_deep_or_limit(text)
            return LoadError(str(path), problem.message, *_line_column(problem.mark))
        mark = error.problem_mark or error.context_mark
        reason = error.problem or error.context or "invalid YAML"
        return LoadError(str(path), f"invalid YAML: {reason}", *_line_column(mark))
    except yaml.reader.ReaderError as error:
        # A character YAML does not allow (NUL, ESC): it has an offset, not a mark.
        line = text.count("\n", 0, error.position) + 1
        column = error.position - text.rfind("\n", 0, error.position)
        return LoadError(
            str(path),
            f"invalid YAML: character U+{error.character:04X}: {error.reason}",
            line,
            column,
        )
    except yaml.YAMLError as error:
        return LoadError(str(path), f"invalid YAML: {error}")
    except RecursionError:
        return LoadError(str(path), f"invalid YAML: nested more than {MAX_DEPTH} levels deep")
    finally:
        loader.dispose()
    if node is None:
        return LoadError(str(path), "file is empty")
    return node


def _items(text: str) -> int:
    """An upper bound on the collections and items of a YAML text, counted in C."""
    # Every flow collection starts with a bracket and every flow item but the first
    # follows a comma; every block item starts with a dash and a space.
    flow = text.count("{") + text.count("[") + text.count(",")
    return flow + text.count("- ") + text.count("-\n") + text.count("-\r") + text.count("-\t")


def _too_deep(text: str) -> _YamlProblem | None:
    """A collection nested deeper than MAX_DEPTH, found before any tree is built."""
    # Flow nesting takes a bracket per level and block nesting an indent or a `- ` per
    # level, so counting clears almost every file; the rest are walked event by event,
    # which stops at the first level too deep.
    if text.count("[") + text.count("{") < _DEEP_SUSPECT and not _DEEP_BLOCK.search(text):
        return None
    try:
        return _first_level_too_deep(text, _StrictLoader)
    except yaml.YAMLError as error:
        if not _is_libyaml_depth_limit(error):
            return None  # the parse reports the syntax error with its position
    # libyaml (bundled with PyYAML 6.0.4 and later) has a nesting limit of its own, met
    # while its scanner looks ahead, before it yields the event our walk stops at. The
    # pure-Python parser has none and looks ahead at most 1,024 characters, so it finds
    # the level too deep, and its line and column, in a fraction of a second.
    return _first_level_too_deep_or_limit(text)


def _first_level_too_deep_or_limit(text: str) -> _YamlProblem:
    """Where the pure-Python parser finds the text too deep, for a file libyaml refused."""
    try:
        problem = _first_level_too_deep(text, yaml.SafeLoader)
    except yaml.YAMLError:
        problem = None
    return problem or _YamlProblem(f"nested more than {MAX_DEPTH} levels deep", None)


def _first_level_too_deep(text: str, loader: type) -> _YamlProblem | None:
    """Walk the parser's events until a collection opens deeper than MAX_DEPTH."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        kind = type(event)
        if kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            depth += 1
            if depth > MAX_DEPTH + 1:
                return _YamlProblem(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            depth -= 1
    return None


def _is_libyaml_depth_limit(error: yaml.YAMLError) -> bool:
    """Whether libyaml refused the text for its own nesting limit, not for its syntax."""
    problem = getattr(error, "problem", None) or ""
    return "maximum nesting depth" in problem


def _find_anchor(text: str) -> _YamlProblem | None:
    """An anchor or alias in the text, found by the scanner; None when there is none."""
    # Only files where an anchor may stand pay for a token scan.
    if not _may_hold_anchor(text):
        return None
    try:
        for token in yaml.scan(text, Loader=_StrictLoader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                kind = "anchor" if isinstance(token, yaml.AnchorToken) else "alias"
                return _YamlProblem(
                    f"YAML {kind} '{token.value}' is not allowed: write each value out in full",
                    token.start_mark,
                )
    except yaml.YAMLError:
        return None  # the parse reports the syntax error with its position
    return None


def _may_hold_anchor(text: str) -> bool:
    """Whether an `&` or `*` stands where a YAML anchor or alias could start."""
    for sign in "&*":
        at = text.find(sign)
        while at >= 0:
            before = text[at - 1] if at else "\n"
            after = text[at + 1 : at + 2]
            if before in _BEFORE_ANCHOR and after and after not in _NOT_IN_ANCHOR:
                return True
            at = text.find(sign, at + 1)
    return False


def _to_python(node: Any, depth: int, seen: set[int]) -> Any:
    """Plain Python values from a node tree, refusing what curated data never needs."""
    if depth > MAX_DEPTH:
        raise _YamlProblem(f"nested more than {MAX_DEPTH} levels deep", node.start_mark)
    if id(node) in seen:
        raise _YamlProblem("YAML aliases are not allowed", node.start_mark)
    seen.add(id(node))
    tag = node.tag
    if tag == _MAP:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag != _STR:
                raise _YamlProblem("a key must be a plain string", key_node.start_mark)
            key = key_node.value
            if key in result:
                raise _duplicate_key(node, key_node)
            # Most values are strings: taking them here saves a call per scalar, which
            # is most of the cost of a large file.
            if value_node.tag == _STR and id(value_node) not in seen and depth < MAX_DEPTH:
                seen.add(id(value_node))
                result[key] = value_node.value
            else:
                result[key] = _to_python(value_node, depth + 1, seen)
        return result
    if tag == _SEQ:
        return [_to_python(item, depth + 1, seen) for item in node.value]
    return _scalar(node)


def _duplicate_key(mapping: Any, repeated: Any) -> _YamlProblem:
    """The error for a key given twice in a mapping, naming the line of the first."""
    first = next(key for key, _ in mapping.value if key.value == repeated.value)
    return _YamlProblem(
        f"duplicate key {repeated.value!r} (first at line {first.start_mark.line + 1})",
        repeated.start_mark,
    )


def _scalar(node: Any) -> Any:
    """The value of a scalar node by its resolved tag; explicit exotic tags are refused."""
    tag, value = node.tag, node.value
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        if value in ("true", "false"):
            return value == "true"
    elif tag == _INT:
        try:
            return int(value, 10)
        except ValueError:
            pass
    elif tag == _FLOAT:
        try:
            return float(value)
        except ValueError:
            pass
    else:
        raise _YamlProblem(f"YAML tag {tag!r} is not allowed", node.start_mark)
    raise _YamlProblem(f"{value!r} is not a valid {tag.rsplit(':', 1)[-1]}", node.start_mark)


def _check_layout(document: Any, parsed: _ParsedFile) -> LoadError | None:
    """A data file maps collection names to lists of records; note each record found."""
    if not isinstance(document, dict):
        return LoadError(
            str(parsed.path),
            "a data file must be a mapping of collections "
            f"({', '.join(COLLECTIONS)}) to lists of records",
            *_line_column(parsed.node.start_mark),
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
            data_path, shown = _data_path(raw, problem["loc"])
            message = _message(problem, model, shown)
            text = f"{shown}: {message}" if shown else message
            if text in seen:
                continue
            seen.add(text)
            # An unknown field is best pointed at by its key, not by its value.
            at_key = problem["type"] == _UNKNOWN_FIELD
            errors.append(_error_at(parsed, (collection, index, *data_path), text, key=at_key))
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


def _data_path(raw: Any, loc: tuple[str | int, ...]) -> tuple[Path_, str]:
    """The path of an error inside the record's data, and the dotted name to show."""
    # pydantic puts union tags ('money', 'function-after[...]') into locations; keep the
    # steps that exist in the data, and a last step that names a missing or unknown key.
    path: list[str | int] = []
    shown: list[str | int] = []
    current = raw
    for position, step in enumerate(loc):
        in_dict = isinstance(current, dict) and step in current
        in_list = isinstance(current, list) and isinstance(step, int) and step < len(current)
        if in_dict or in_list:
            current = current[step]
            path.append(step)
        elif position == len(loc) - 1 and isinstance(current, dict):
            pass
        else:
            continue
        shown.append(step)
    return tuple(path), _dotted(tuple(shown))


def _dangling_references(
    kb: KnowledgeBase, origins: dict[str, tuple[_ParsedFile, Path_]]
) -> Iterator[LoadError]:
    """Every id a record points to that is missing or of the wrong type."""
    by_id = kb.by_id
    for record in kb.records():
        parsed, where = origins[record.id]
        for field_path, target, allowed in record.references():
            found = by_id.get(target)
            if found is None:
                message = f"{_dotted(field_path)}: no record has id {target!r}"
            elif TYPE_NAMES[type(found)] not in allowed:
                message = (
                    f"{_dotted(field_path)}: {target!r} is a {TYPE_NAMES[type(found)]}, "
                    f"expected {' or '.join(allowed)}"
                )
            else:
                continue
            yield _error_at(parsed, where + field_path, message)


def _dotted(path: Path_) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")


def _error_at(parsed: _ParsedFile, path: Path_, message: str, key: bool = False) -> LoadError:
    """An error placed at the deepest node of `path` that exists in the file."""
    mark = _mark_of(parsed.tree(), path, key, parsed.keys)
    return LoadError(str(parsed.path), message, *_line_column(mark))


def _mark_of(
    node: Any, path: Path_, key: bool = False, keys: dict[int, dict[str, Any]] | None = None
) -> Any:
    """The mark of the value at `path` (or of its key), or of its nearest existing parent."""
    keys = {} if keys is None else keys
    mark = node.start_mark
    for step in path:
        if node.tag == _MAP and isinstance(step, str):
            # A dict of each mapping's keys, once: a record with 40,000 unknown keys has
            # 40,000 errors, and a scan of its keys for each was quadratic.
            pairs = keys.get(id(node))
            if pairs is None:
                pairs = keys[id(node)] = {}
                for pair in node.value:
                    pairs.setdefault(pair[0].value, pair)
            match = pairs.get(step)
            if match is None:
                break
            key_node, node = match
            mark = key_node.start_mark if key else node.start_mark
        elif node.tag == _SEQ and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            mark = node.start_mark
        else:
            break
    return mark


def _line_column(mark: Any) -> tuple[int | None, int | None]:
    """1-based line and column of a YAML mark."""
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1
