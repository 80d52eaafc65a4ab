"""Frozen dataclasses turned into JSON data and rebuilt from it exactly, without pydantic."""

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
    """A function from `cls`'s JSON data to an instance, its converters worked out once.

    The function is written out field by field and compiled, once per class: a loop over
    the fields at every record was most of the time a whole collection took to build. Its
    text is made from the class's own field names and types only, never from data read.
    """
    hints = typing.get_type_hints(cls)
    names = _field_names(cls)
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, "count": len(names)}
    values = [f"{name}={_expression(hints[name], f'data[{name!r}]', cls, scope)}" for name in names]
    source = (
        "def make(data):\n"
        "    if type(data) is not dict or len(data) != count:\n"
        f"        raise TypeError('not the data of a {cls.__name__}')\n"
        "    made = new(cls)\n"
        # Frozen: its fields are set as its own __init__ sets them, past __setattr__.
        f"    made.__dict__.update({', '.join(values)})\n"
        "    return made\n"
    )
    exec(compile(source, f"<builder of {cls.__name__}>", "exec"), scope)
    make: Convert = scope["make"]
    return make


def _expression(hint: Any, value: str, cls: type, scope: dict[str, Any]) -> str:
    """Python that turns the JSON data `value` back into a value of `hint`."""
    if hint is float:
        return f"float({value})"  # 6500000000 in JSON is the float 6.5e9 written
    if dataclasses.is_dataclass(hint):
        if hint is cls:
            return f"make({value})"  # Money's equivalents are Money themselves
        scope[f"make_{hint.__name__}"] = _builder(hint)  # type: ignore[arg-type]
        return f"make_{hint.__name__}({value})"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        item = _expression(args[0], "item", cls, scope)
        return f"tuple({value})" if item == "item" else f"tuple([{item} for item in {value}])"
    if origin is typing.Union or origin is types.UnionType:
        options = [arg for arg in args if arg is not type(None)]
        if len(options) == 1:
            inner = _expression(options[0], value, cls, scope)
            return value if inner == value else f"(None if {value} is None else {inner})"
        if all(dataclasses.is_dataclass(option) for option in options):
            name = "one_of_" + "_".join(option.__name__ for option in options)
            scope[name] = _one_of(options)
            return f"{name}({value})"
    return value


def _one_of(options: list[Any]) -> Convert:
    """A builder for one of several dataclasses, told apart by their fields' names."""
    by_fields = {frozenset(_field_names(option)): option for option in options}

    def one_of(value: Any) -> Any:
        return None if value is None else _builder(by_fields[frozenset(value)])(value)

    return one_of
