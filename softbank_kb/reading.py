"""What a command reads: the knowledge base and lexicon of its data directory, and names."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from softbank_kb.errors import KnowledgeBaseUnavailable, NothingMatched

if TYPE_CHECKING:
    from softbank_kb.cache import Kept
    from softbank_kb.index import Index
    from softbank_kb.lexicon import Lexicon
    from softbank_kb.models import KnowledgeBase


def data_dir(ctx: click.Context) -> Path:
    """The data directory chosen with --data or SBKB_DATA, else the bundled one."""
    from softbank_kb.paths import bundled_data_dir

    chosen = ctx.find_root().params.get("data_dir")
    return Path(chosen) if chosen else bundled_data_dir()


class Loaded(NamedTuple):
    """The knowledge base a command reads, and where the cache keeps what is derived from it."""

    kb: KnowledgeBase
    kept: Kept | None

    def index(self) -> Index:
        """The search index of the knowledge base."""
        from softbank_kb.index import index_of

        return index_of(self.kb, self.kept)


def load_kb(ctx: click.Context) -> Loaded:
    """The knowledge base of the chosen data directory, or exit 3 with every reason."""
    from softbank_kb.cache import knowledge_base
    from softbank_kb.errors import KnowledgeBaseError, problems_after

    directory = data_dir(ctx)
    try:
        return Loaded(*knowledge_base(directory))
    except KnowledgeBaseError as error:
        # Quoted, so that the hint copied into a shell runs no `$(...)` in the name; and
        # given only where validate can say more than the message does (N13).
        hint = f"\nRun `sbkb --data {shlex.quote(str(directory))} validate` to see every problem."
        if not directory.is_dir():
            hint = ""
        lines = [str(e) for e in error.errors[:20]]
        if len(error.errors) > 20:
            lines.append(f"... and {problems_after(error.errors, 20)} more")
        raise KnowledgeBaseUnavailable(
            f"the knowledge base in {directory} could not be loaded:\n" + "\n".join(lines) + hint
        ) from None


def load_lexicon(ctx: click.Context) -> Lexicon:
    """The package's lexicon with the data directory's merged in, or exit 3 saying where
    one is broken."""
    from softbank_kb.cache import lexicon_for
    from softbank_kb.errors import KnowledgeBaseError

    try:
        return lexicon_for(data_dir(ctx))
    except KnowledgeBaseError as error:
        lines = "\n".join(str(e) for e in error.errors[:20])
        raise KnowledgeBaseUnavailable(
            f"the concept lexicon could not be loaded:\n{lines}"
        ) from None


def resolve_name(loaded: Loaded, name: str, types: tuple[str, ...], what: str) -> Any:
    """The record a name means, or exit 1 suggesting the closest names."""
    from softbank_kb.search import resolve

    resolution = resolve(loaded.kb, name, types, loaded.index())
    if resolution.record is not None:
        return resolution.record
    if resolution.candidates:
        # One per line, id first, as git lists the most similar commands; within 80
        # columns, the name under its id where both do not fit on one line (N3).
        width = max(len(c.id) for c in resolution.candidates)
        lines = [f"  {c.id:<{width}}  {c.label}" for c in resolution.candidates]
        if max(map(len, lines)) > 80:
            lines = [f"  {c.id}\n      {c.label}" for c in resolution.candidates]
        names = "".join("\n" + line for line in lines)
        raise NothingMatched(
            f"{name!r} matches more than one {what}:{names}\nBe more precise, or give an id."
        )
    near = ""
    if resolution.nearest:
        near = (
            " Names spelled close to it: "
            + ", ".join(f"{c.label} ({c.id})" for c in resolution.nearest)
            + "."
        )
    raise NothingMatched(
        f"no {what} matches {name!r}.{near} Try `sbkb search {shlex.quote(name)}`."
    )


# What bash would read as more than a word's letters, escaped with a backslash.
_SHELL_SPECIAL = re.compile(r"[^\w@%+=:,./-]")


def complete_names(types: tuple[str, ...], ids_only: bool = False) -> Callable[..., list[Any]]:
    """Shell completion of the names and ids of records of these types, or their ids only."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from softbank_kb.printable import safe

        try:
            kb = load_kb(ctx).kb
        except click.ClickException:
            return []
        prefix = incomplete.lower()
        # bash inserts a candidate as it is: a name of several words is escaped for it.
        bash = os.environ.get("_SBKB_COMPLETE", "").startswith("bash")
        names = []
        seen = set()
        for record in kb.records():
            if record.type not in types:
                continue
            names_of = (
                () if ids_only else (getattr(record, "name", ""), *getattr(record, "aliases", ()))
            )
            # One candidate a record, its name rather than its id where both would do
            # (`Ampere`, not `Ampere` and `ampere`; `Jensen Huang`, not `jensen-huang` too).
            name = next((n for n in (*names_of, record.id) if n.lower().startswith(prefix)), "")
            if not name or name.lower() in seen:
                continue
            seen.add(name.lower())
            # The shell prints candidates when it lists them: no raw controls.
            shown = safe(name)
            if bash:
                # Escaped for the shell, then once more for the `read` of click's script.
                shown = _SHELL_SPECIAL.sub(r"\\\g<0>", shown).replace("\\", "\\\\")
            names.append(CompletionItem(shown, help=safe(record.id)))
        return names

    return complete
