"""Strict YAML read with file:line:column problems: no anchors, tags or repeated keys."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml

from softbank_kb.errors import LoadError
from softbank_kb.paths import MAX_FILE_BYTES

# Lists, mappings and their items, counted before parsing by the characters that start
# them: building a node per item costs 3 us, so 5 million empty records would hold the
# terminal for 30 s. Real records take a handful each.
MAX_ITEMS_PER_FILE = 1_500_000
# Records nest a handful of levels; anything deeper is not a record.
MAX_DEPTH = 32

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
SEQ_TAG = "tag:yaml.org,2002:seq"
MAP_TAG = "tag:yaml.org,2002:map"


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


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
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
        return SEQ_TAG if kind is yaml.SequenceNode else MAP_TAG


DataPath = tuple[str | int, ...]


class _YamlProblem(Exception):
    """A problem found while turning YAML nodes into values."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


FILE_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_data_file(path: Path) -> bytes | LoadError:
    """The bytes of a regular file within the size limit, or in one line why not."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # Opening a FIFO would wait for a writer: what is not a file is never read.
            kind = FILE_KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
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
        return LoadError(str(path), problem.message, *line_column(problem.mark))


def _node_tree(path: Path, text: str) -> Any:
    """The YAML node tree of a text, or a LoadError placed where it goes wrong."""
    items = count_items(text)
    if items > MAX_ITEMS_PER_FILE:
        return LoadError(
            str(path),
            f"holds about {items:,} lists, mappings and items; "
            f"the limit is {MAX_ITEMS_PER_FILE:,} in one file",
        )
    problem = _too_deep(text) or _find_anchor(text)
    if problem:
        return LoadError(str(path), problem.message, *line_column(problem.mark))
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        if _is_libyaml_depth_limit(error):
            problem = _first_level_too_deep_or_limit(text)
            return LoadError(str(path), problem.message, *line_column(problem.mark))
        return _syntax_error(path, text, error)
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


# What a parser's context names, and how the construct it started is shown: a problem
# within one of these is placed where it starts. libyaml and the pure-Python parser
# word them differently ("while parsing a quoted scalar", "... a double-quoted scalar").
_CONSTRUCTS = (
    ("flow sequence", "the list that starts here with '['"),
    ("flow mapping", "the mapping that starts here with '{'"),
    ("quoted scalar", "the quoted string that starts here"),
)


def _syntax_error(path: Path, text: str, error: yaml.MarkedYAMLError) -> LoadError:
    """A parser's error, placed where the construct it broke in starts: the `[` of a list
    never closed, not the end of the file where the parser gave up."""
    context, problem = error.context or "", (error.problem or "").strip()
    start, found = error.context_mark, error.problem_mark
    construct = next((shown for name, shown in _CONSTRUCTS if name in context), None)
    if construct is None or start is None or found is None:
        mark = found or start
        reason = problem or context or "invalid YAML"
        return LoadError(str(path), f"invalid YAML: {reason}", *line_column(mark))
    where = _where(text, found)
    if construct.startswith("the quoted"):
        if "end of stream" in problem:
            reason = f"{construct} is not closed before the end of the file (line {found.line + 1})"
        elif "document" in problem:
            reason = f"{construct} is not closed before the '---' {where}"
        else:
            reason = f"{construct}: {problem} {where}"
    else:
        # libyaml: "did not find expected ',' or ']'"; PyYAML: "expected ',' or ']', but got
        # '<stream end>'"; both say which characters would have been right.
        expected = problem.removeprefix("did not find ").split(", but", 1)[0]
        reason = f"{construct} is not closed: {expected} {where}"
    return LoadError(str(path), f"invalid YAML: {reason}", *line_column(start))


def _where(text: str, mark: Any) -> str:
    """Where a parser stopped: `at line 3, column 7`, or `at the end of the file (line 9)`."""
    line, column = line_column(mark)
    index = getattr(mark, "index", None)
    if isinstance(index, int) and not text[index:].strip():
        return f"at the end of the file (line {line})"
    return f"at line {line}, column {column}"


def count_items(text: str | bytes) -> int:
    """An upper bound on the collections and items of a YAML text, counted in C."""
    # Every flow collection starts with a bracket and every flow item but the first
    # follows a comma; every block item starts with a dash and a space.
    marks = ("{", "[", ",", "- ", "-\n", "-\r", "-\t")
    if isinstance(text, bytes):
        return sum(text.count(mark.encode()) for mark in marks)
    return sum(text.count(mark) for mark in marks)


def _too_deep(text: str) -> _YamlProblem | None:
    """A collection nested deeper than MAX_DEPTH, found before any tree is built."""
    # Flow nesting takes a bracket per level and block nesting an indent or a `- ` per
    # level, so counting clears almost every file; the rest are walked event by event,
    # which stops at the first level too deep.
    if text.count("[") + text.count("{") < _DEEP_SUSPECT and not _DEEP_BLOCK.search(text):
        return None
    try:
        return _first_level_too_deep(text, StrictLoader)
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
        for token in yaml.scan(text, Loader=StrictLoader):
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
    if tag == MAP_TAG:
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
    if tag == SEQ_TAG:
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


def data_path(raw: Any, loc: tuple[str | int, ...]) -> tuple[DataPath, str]:
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
    return tuple(path), dotted(tuple(shown))


def dotted(path: DataPath) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")


def mark_of(
    node: Any, path: DataPath, key: bool = False, keys: dict[int, dict[str, Any]] | None = None
) -> Any:
    """The mark of the value at `path` (or of its key), or of its nearest existing parent."""
    keys = {} if keys is None else keys
    mark = node.start_mark
    for step in path:
        if node.tag == MAP_TAG and isinstance(step, str):
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
        elif node.tag == SEQ_TAG and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            mark = node.start_mark
        else:
            break
    return mark


def line_column(mark: Any) -> tuple[int | None, int | None]:
    """1-based line and column of a YAML mark."""
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1
