"""sbkb's manual: the help topics and the man page, written from the click commands."""

from __future__ import annotations

import inspect
import re
import textwrap

import click

from softbank_kb.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_LOAD,
    EXIT_NO_MATCH,
    EXIT_OK,
    EXIT_UNWRITABLE,
)

# Every variable sbkb reads, and what it does. `sbkb help environment`, the man page and
# docs/environment.md say the same (tests/test_help.py).
ENVIRONMENT = (
    ("SBKB_DATA", "Data directory to read instead of the bundled knowledge base; --data wins."),
    (
        "SBKB_FORMAT",
        "table, tsv, csv or json: the form of a query's answer when no flag gives one."
        " Another value is said on stderr and ignored.",
    ),
    ("SBKB_NO_CACHE", "Any value but 0: read the data files every time, without the cache."),
    (
        "SBKB_DEBUG",
        "Any value: an internal error (exit 4) shows its traceback instead of one line.",
    ),
    (
        "XDG_CACHE_HOME",
        "The cache is kept in $XDG_CACHE_HOME/sbkb, else ~/.cache/sbkb. A relative path"
        " is ignored.",
    ),
    ("NO_COLOR", "Any value: no colour, as --no-color."),
    ("FORCE_COLOR", "Any value: colour even when piped (NO_COLOR and --no-color win)."),
    ("COLUMNS", "Width of the terminal drawing; below 20 is taken as 80."),
    (
        "PAGER",
        "Long output on a terminal is paged through $MANPAGER or $PAGER, else less;"
        " LESS defaults to FRX. --no-pager turns paging off.",
    ),
)

EXIT_CODES = (
    (EXIT_OK, "Answered."),
    (
        EXIT_NO_MATCH,
        "Nothing matched (stderr suggests the closest names); the question is not in the"
        " sources; or validate or verify found problems.",
    ),
    (2, "Usage error: an unknown command or option, a bad value."),
    (EXIT_LOAD, "The knowledge base could not be loaded; every problem is given as file:line."),
    (EXIT_INTERNAL, "Internal error, a bug; SBKB_DEBUG=1 shows the traceback."),
    (EXIT_UNWRITABLE, "The output could not be written: stdout closed, a full disk, a bad -o."),
    (EXIT_INTERRUPTED, "Interrupted with Ctrl-C."),
)

TOPICS = {
    "environment": ("The environment variables sbkb reads.", ENVIRONMENT),
    "exit-codes": ("What sbkb's exit code says.", EXIT_CODES),
}


def topic_text(topic: str) -> str:
    """A help topic as a terminal shows it: a title, then a term and its meaning per entry."""
    title, entries = TOPICS[topic]
    width = max(len(str(term)) for term, _ in entries) + 2
    lines = [title, ""]
    for term, meaning in entries:
        wrapped = textwrap.wrap(meaning, 78 - width)
        lines.append(f"  {term!s:<{width}}{wrapped[0]}")
        lines += [" " * (width + 2) + line for line in wrapped[1:]]
    return "\n".join(lines)


def topics_line() -> str:
    """The line the group's help and `sbkb help` end with."""
    return "Topics: " + ", ".join(f"sbkb help {topic}" for topic in TOPICS) + "."


# The man page -----------------------------------------------------------------------------


def man_page(group: click.Group, version: str) -> str:
    """sbkb(1) in roff: every command with its options, the environment and exit codes."""
    # With the commands' context settings (-h as --help), as a run of sbkb has them.
    root = click.Context(group, info_name="sbkb", **group.context_settings)
    lines = [
        f'.TH SBKB 1 "" "sbkb {version}" "User Commands"',
        ".SH NAME",
        r"sbkb \- " + _roff(_first_line(group.help or "")),
        ".SH SYNOPSIS",
        r".B sbkb",
        r"[\fB\-\-data\fR \fIDIR\fR] \fICOMMAND\fR [\fIOPTIONS\fR] [\fIARGUMENTS\fR]",
        ".SH DESCRIPTION",
        *_paragraphs(_after_first_line(group.help or "")),
        ".SH GLOBAL OPTIONS",
        *_options(group, root),
        ".SH COMMANDS",
    ]
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        ctx = click.Context(command, info_name=name, parent=root, **command.context_settings)
        usage = " ".join(command.collect_usage_pieces(ctx))
        lines += [f".SS {_roff(f'sbkb {name} {usage}')}", *_paragraphs(command.help or "")]
        lines += _options(command, ctx, with_help=False)
    lines.append(".SH ENVIRONMENT")
    for term, meaning in ENVIRONMENT:
        lines += [".TP", rf"\fB{term}\fR", _roff(meaning)]
    lines.append(".SH EXIT STATUS")
    for code, meaning in EXIT_CODES:
        lines += [".TP", rf"\fB{code}\fR", _roff(meaning)]
    lines += [
        ".SH FILES",
        ".TP",
        r"\fI$XDG_CACHE_HOME/sbkb\fR",
        _roff("The cache of validated knowledge bases, keyed by the content of the data files."),
        ".SH SEE ALSO",
        _roff("sbkb help COMMAND; the docs/ directory of sbkb's repository."),
    ]
    return "\n".join(lines) + "\n"


def _first_line(text: str) -> str:
    return text.strip().split("\n\n")[0].replace("\n", " ")


def _after_first_line(text: str) -> str:
    return "\n\n".join(text.strip().split("\n\n")[1:])


def _paragraphs(text: str) -> list[str]:
    """Click's help text as roff: a \\b block kept line for line, other paragraphs filled."""
    lines: list[str] = []
    for paragraph in re.split(r"\n[ \t]*\n", inspect.cleandoc(text)):
        if not paragraph.strip():
            continue
        if paragraph.startswith("\b"):
            kept = paragraph[1:].strip("\n").split("\n")
            lines += [".PP", ".nf", *(_roff(line) for line in kept), ".fi"]
        else:
            lines += [".PP", _roff(" ".join(paragraph.split()))]
    return lines


def _options(command: click.Command, ctx: click.Context, with_help: bool = True) -> list[str]:
    """Each option of a command, its names and metavar in bold, then its help."""
    lines = []
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option) or (param.name == "help" and not with_help):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        lines += [".TP", r"\fB" + _roff(names) + r"\fR", _roff(help_text or "")]
    return lines


def _roff(text: str) -> str:
    """Text safe in a roff line: backslashes and hyphens escaped, no leading control dot,
    and ASCII only (other characters as roff's \\[uXXXX]), whatever groff's input encoding."""
    text = text.replace("\\", r"\e").replace("-", r"\-")
    text = "".join(c if c.isascii() else f"\\[u{ord(c):04X}]" for c in text)
    return r"\&" + text if text.startswith((".", "'")) else text
