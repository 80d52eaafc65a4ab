"""What can be wrong with a data directory: one problem, and the error that carries them all."""

from __future__ import annotations

from dataclasses import dataclass

from softbank_kb.printable import safe


@dataclass(frozen=True)
class LoadError:
    """One problem in a data directory, with where it is."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None
    # The last entry of a list cut short says so, and is no problem of its own.
    cut_short: bool = False

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        # File names and keys come from the data directory: never raw control codes.
        return safe(f"{where}: {self.message}")


def problems_after(errors: list[LoadError], shown: int) -> str:
    """How many problems there are beyond the first `shown`: `12`, or `more than 980`."""
    if errors and errors[-1].cut_short:
        return f"more than {len(errors) - 1 - shown:,}"
    return f"{len(errors) - shown:,}"


class KnowledgeBaseError(Exception):
    """The data directory could not be loaded; `errors` says every reason."""

    def __init__(self, errors: list[LoadError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors
