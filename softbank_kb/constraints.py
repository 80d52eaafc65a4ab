"""Rules that record fields carry in their annotations, turned into pydantic schemas on demand.

Each class here is an `Annotated` marker: defining the records needs none of pydantic,
so a command answered from the cache never imports it. When the loader validates (and
when `sbkb schema` is asked for), pydantic finds these markers' hooks and each builds
its rule with pydantic_core, imported only then.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic_core import CoreSchema


@dataclass(frozen=True)
class Chars:
    """A string of bounded length, matching a pattern where one is given."""

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.str_schema(
            min_length=self.min_length, max_length=self.max_length, pattern=self.pattern
        )


@dataclass(frozen=True)
class Described:
    """A description of a type, shown in the JSON Schema wherever a field does not give its own."""

    text: str

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = handler(schema)
        json_schema["description"] = self.text
        return json_schema


def compact_number(value: float) -> int | float:
    """Writes whole amounts without a decimal point: 6500000000, not 6500000000.0."""
    return int(value) if value.is_integer() else value


@dataclass(frozen=True)
class StrictAmount:
    """A finite number of at least zero, given as a number: "6.5 billion" or `true` is refused."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.float_schema(
            ge=0,
            strict=True,
            allow_inf_nan=False,
            serialization=core_schema.plain_serializer_function_ser_schema(compact_number),
        )


@dataclass(frozen=True)
class AtLeast:
    """A whole number no smaller than `minimum`."""

    minimum: int

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.int_schema(ge=self.minimum)


@dataclass(frozen=True)
class MinItems:
    """A tuple of at least `count` items."""

    count: int

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        schema = handler(source)
        schema["min_length"] = self.count  # type: ignore[typeddict-unknown-key]
        return schema


@dataclass(frozen=True)
class Checked:
    """A value that `check` returns as it is or refuses with a ValueError saying why.

    `enum`, when given, lists every allowed value for the JSON Schema.
    """

    check: Callable[[Any], Any]
    enum: Collection[str] | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = handler(schema)
        if self.enum is not None:
            json_schema["enum"] = sorted(self.enum)
        return json_schema


@dataclass(frozen=True)
class TaggedBy:
    """A union whose member is chosen by `tag_of(value)`, a key of `members`.

    Only the chosen member's errors are reported, rather than one set per member.
    """

    tag_of: Callable[[Any], str]
    members: tuple[tuple[str, type], ...]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        choices = {tag: handler.generate_schema(member) for tag, member in self.members}
        return core_schema.tagged_union_schema(choices, self.tag_of)
