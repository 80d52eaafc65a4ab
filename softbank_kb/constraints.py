"""Rules that record fields carry in their annotations, made pydantic schemas when validating."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic_core import CoreSchema


class Chars:
    """A string of bounded length, matching a pattern where one is given."""

    __slots__ = ("max_length", "min_length", "pattern")

    def __init__(
        self, *, min_length: int | None = None, max_length: int | None = None, pattern: str = ""
    ) -> None:
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = pattern

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.str_schema(
            min_length=self.min_length, max_length=self.max_length, pattern=self.pattern or None
        )


class Described:
    """A description of a type, shown in the JSON Schema wherever a field gives none of its own."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = handler(schema)
        json_schema["description"] = self.text
        return json_schema


class StrictAmount:
    """A finite number of at least zero, given as a number: "6.5 billion" or `true` is refused."""

    __slots__ = ()

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        # Imported here, as pydantic_core is: jsondata imports the models, which import
        # this module, and only a schema being built needs it.

        return core_schema.float_schema(
            ge=0,
            strict=True,
            allow_inf_nan=False,
            serialization=core_schema.plain_serializer_function_ser_schema(compact_number),
        )


class AtLeast:
    """A whole number no smaller than `minimum`."""

    __slots__ = ("minimum",)

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.int_schema(ge=self.minimum)


class MinItems:
    """A tuple of at least `count` items."""

    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        schema = handler(source)
        schema["min_length"] = self.count  # type: ignore[typeddict-unknown-key]
        return schema


class Before:
    """A value that `convert` turns into what the annotated type validates.

    pydantic applies a type's own hook only the first time a model uses the type; a
    second field of that type (a deal's `until` after its `date`) needs it said again.
    """

    __slots__ = ("convert",)

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        self.convert = convert

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.convert, handler(source))


class Checked:
    """A value that `check` returns as it is, or refuses with a ValueError saying why.

    `enum`, when given, lists every allowed value for the JSON Schema.
    """

    __slots__ = ("check", "enum")

    def __init__(self, check: Callable[[Any], Any], enum: Collection[str] = ()) -> None:
        self.check = check
        self.enum = enum

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = handler(schema)
        if self.enum:
            json_schema["enum"] = sorted(self.enum)
        return json_schema


class TaggedBy:
    """A union whose member is the one `members` names by the tag `tag_of(value)`.

    Only the chosen member's errors are reported, rather than one set per member.
    """

    __slots__ = ("members", "tag_of")

    def __init__(self, tag_of: Callable[[Any], str], members: dict[str, type]) -> None:
        self.tag_of = tag_of
        self.members = members

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        choices = {tag: handler.generate_schema(member) for tag, member in self.members.items()}
        return core_schema.tagged_union_schema(choices, self.tag_of)


def compact_number(value: float) -> int | float:
    """Writes whole amounts without a decimal point: 6500000000, not 6500000000.0."""
    return int(value) if value.is_integer() else value
