"""Exit codes, the problems of a data directory, and the errors that end a command."""

from __future__ import annotations

import errno
import os
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

import click

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


# Exit codes, as the group's --help and the README document them. 2 (a usage error) is
# click's own.
EXIT_OK = 0
EXIT_NO_MATCH = 1
EXIT_LOAD = 3
EXIT_INTERNAL = 4
EXIT_UNWRITABLE = 5
EXIT_INTERRUPTED = 130

# Where a command's output form is kept for the errors it raises (ctx.meta is shared by
# the whole context tree), and the empty document it prints when nothing matched.
FORMAT_KEY = "sbkb.output_format"
EMPTY_JSON_KEY = "sbkb.empty_json"


class KnowledgeBaseUnavailable(click.ClickException):
    """The data directory could not be loaded."""

    exit_code = EXIT_LOAD


class NothingMatched(click.ClickException):
    """The query was understood but found nothing.

    Under --json, stdout still gets one document, so that `| jq` never reads nothing:
    `[]` for a list, `null` for one record asked for by name or id.
    """

    exit_code = EXIT_NO_MATCH

    def __init__(self, message: str) -> None:
        super().__init__(message)
        ctx = click.get_current_context(silent=True)
        meta = ctx.meta if ctx is not None else {}
        # The output decorator records the form it settled on before the command runs.
        wants_json = meta.get(FORMAT_KEY) == "json"
        self.json_document: str | None = meta.get(EMPTY_JSON_KEY, "[]") if wants_json else None

    def show(self, file: Any = None) -> None:
        if self.json_document is not None:
            click.echo(self.json_document)
        super().show(file)


class NotInSources(NothingMatched):
    """A question the sources do not answer: said as an answer, not as an error."""

    def show(self, file: Any = None) -> None:
        if self.json_document is not None:
            click.echo(self.json_document)
        click.echo(f"Not in the sources: {self.message}", err=True)


class Problems(click.ClickException):
    """`validate` or `verify` found problems; they are already printed."""

    exit_code = EXIT_NO_MATCH

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


class OutputUnwritable(click.ClickException):
    """The answer could not be written: a full disk, an unwritable -o, a closed stdout."""

    exit_code = EXIT_UNWRITABLE


def nothing(what: str, hint: str = "") -> NoReturn:
    """Exit 1: 'no deal matched; try without --year.'"""
    raise NothingMatched(f"no {what} matched" + (f"; {hint}" if hint else "."))


def run(group: click.Group) -> NoReturn:
    """Run the command line; every failure is one message and its exit code, never a traceback."""
    _tolerant_streams()
    stdout = sys.stdout
    try:
        group.main(prog_name="sbkb", standalone_mode=False)
        # A reader that went away is found here, not in the flush at exit.
        sys.stdout.flush()
    except click.ClickException as error:
        # File names and keys of a hostile data directory end up in error messages.
        error.message = safe(error.message)
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        # Click turns Ctrl-C into Abort, after a new line that ends the terminal's ^C.
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`sbkb timeline | head -1`): stop without a traceback,
        # and keep Python from complaining again when it flushes stdout at exit.
        _silence_stdout(stdout)
        sys.exit(EXIT_OK)
    except SystemExit as done:
        # Click and rich end a closed pipe themselves, with exit code 1 ("nothing
        # matched" here): click after wrapping stdout so that its flush is quiet, rich
        # from inside its `except BrokenPipeError`. Neither is a failure.
        if sys.stdout is not stdout or isinstance(done.__context__, BrokenPipeError):
            _silence_stdout(stdout)
            sys.exit(EXIT_OK)
        raise
    except OSError as error:
        if error.errno not in _OUTPUT_ERRORS or os.environ.get("SBKB_DEBUG"):
            _internal_error(error)
        # /dev/full, a full disk, stdout closed: the answer could not be written.
        _silence_stdout(stdout)
        click.echo(f"sbkb: cannot write the output: {error.strerror}", err=True)
        sys.exit(EXIT_UNWRITABLE)
    except Exception as error:
        _internal_error(error)
    sys.exit(EXIT_OK)


# What a write to stdout can meet that is no bug of sbkb's.
_OUTPUT_ERRORS = frozenset({errno.ENOSPC, errno.EBADF, errno.EIO, errno.EDQUOT, errno.EFBIG})


def _internal_error(error: Exception) -> NoReturn:
    """Report a bug in one line and exit 4; SBKB_DEBUG=1 shows the traceback instead."""
    if os.environ.get("SBKB_DEBUG"):
        raise error
    click.echo(
        safe(f"sbkb: internal error: {type(error).__name__}: {error}")
        + "\nThis is a bug; run again with SBKB_DEBUG=1 for the details.",
        err=True,
    )
    sys.exit(EXIT_INTERNAL)


def _silence_stdout(stdout: Any) -> None:
    """Point stdout at /dev/null, so that the flush at exit cannot fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
    except (OSError, ValueError):
        pass


class _ClosedStream:
    """What sys.stdout is when sbkb was started with it closed (`sbkb stats >&-`)."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def _tolerant_streams() -> None:
    """stdout and stderr that write what they can: an unencodable character is escaped."""
    if sys.stdout is None:
        sys.stdout = _ClosedStream()  # type: ignore[assignment]
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (stream.encoding or "").lower() not in ("utf-8", "utf8"):
            # PYTHONIOENCODING=ascii, latin-1, cp1252 or the C locale without UTF-8 mode.
            reconfigure(errors="backslashreplace")


class CacheDamaged(Exception):
    """A database of the cache was found damaged while a command read it."""
