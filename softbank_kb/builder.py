"""Frozen dataclasses turned into JSON data and rebuilt from it exactly, without pydantic.

The cache keeps validated records (and the lexicon) as JSON: rebuilding them re-runs no
validation, since they were checked before they were written, and runs no code of the
file's choosing, since JSON holds data only. Each class's fields are read from its type
hints once, so a record is made by setting its fields, not by a generic walk per value.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
Convert = Callable[[Any], Any]


def plain(value: Any) -> Any:
    """A dataclass or value as JSON data: fields by name, tuples as lists, floats kept."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return {name: plain(getattr(value, name)) for name in _field_names(type(value))}


def build(cls: type[T], data: dict[str, Any]) -> T:
    """The `cls` whose JSON data `plain` made; KeyError or TypeError for data of another shape."""
    made: T = _builder(cls)(data)
    return made


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _builder(cls: type) -> Convert:
    """A function from `cls`'s JSON data to an instance, its converters worked out once."""
    hints = typing.get_type_hints(cls)
    converters = [(f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls)]
    new = object.__new__

    def make(data: dict[str, Any]) -> Any:
        if not isinstance(data, dict) or len(data) != len(converters):
            raise TypeError(f"not the data of a {cls.__name__}")
        made = new(cls)
        # Frozen: its fields are set as its own __init__ sets them, bypassing __setattr__.
        made.__dict__.update(
            {
                name: data[name] if convert is None else convert(data[name])
                for name, convert in converters
            }
        )
        return made

    return make


def _converter(hint: Any) -> Convert | None:
    """What turns JSON data back into a value of `hint`, or None where it is already one."""
    if hint is float:
        return float  # 6500000000 in JSON is the float 6.5e9 it was written from
    if dataclasses.is_dataclass(hint):
        # Looked up when first used, not now: Money's equivalents are Money themselves.
        return lambda value: _builder(hint)(value)  # type: ignore[arg-type]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        item = _converter(args[0])
        if item is None:
            return tuple
        return lambda values: tuple(item(value) for value in values)
    if origin is typing.Union or origin is types.UnionType:
        return _union([arg for arg in args if arg is not type(None)])
    return None


def _union(options: list[Any]) -> Convert | None:
    """A converter for an optional value, or for one of several dataclasses told by fields."""
    if len(options) == 1:
        inner = _converter(options[0])
        if inner is None:
            return None
        return lambda value: None if value is None else inner(value)
    if not all(dataclasses.is_dataclass(option) for option in options):
        return None
    by_fields = {frozenset(_field_names(option)): option for option in options}

    def one_of(value: Any) -> Any:
        return None if value is None else _builder(by_fields[frozenset(value)])(value)

    return one_of
