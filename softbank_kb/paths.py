"""Where things are: the bundled knowledge base, a data directory's files, and whether a
path lies inside a data directory."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# Larger data files are refused before parsing: curated YAML is kilobytes, a generated
# file of 2,000 records about 2 MB, and a parse of 50 MB would hold the terminal for 15 s.
MAX_FILE_BYTES = 16 * 1024 * 1024
# A data directory is refused, from its listing and before any file is read, beyond so
# many .yaml files or bytes: the long benchmark's million records are 50 files of 770 MB,
# and 100,000 one-record files took 10 s a run to find invalid.
MAX_DATA_FILES = 1_000
MAX_DATA_BYTES = 1024 * 1024 * 1024
# A data directory's own concept lexicon: words merged into the package's (lexicon.py),
# not records. One fixed name, so that the loader knows it without opening it.
DATA_LEXICON = "lexicon.yaml"


def bundled_data_dir() -> Path:
    """The data directory shipped inside the wheel, or the checkout's `data/`."""
    # A wheel carries the data as softbank_kb/data; an editable install runs from the
    # repository, where it is the top-level data/ beside the package. Looked up beside
    # this file first: importlib.resources costs a dozen modules (zipfile, lzma, bz2)
    # at every start, and is needed only when the package is not plain files on disk.
    packaged = _PACKAGE / "data"
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE.parent / "data"
    if checkout.is_dir():
        return checkout
    from importlib.resources import files

    return Path(str(files("softbank_kb") / "data"))


def yaml_names(data_dir: Path) -> list[Path]:
    """Every .yaml or .yml name in a data directory, hidden ones aside, in a stable order."""
    return [data_dir / name for name in sorted(_yaml_entries(data_dir))]


def _yaml_entries(data_dir: Path) -> list[str]:
    """The .yaml and .yml names of a directory's listing, hidden ones aside, unsorted."""
    # Hidden names are an editor's: Emacs keeps `.#deals.yaml`, a link to nowhere, while
    # a buffer is modified, and vim's swap files start with a dot too.
    return [
        name
        for name in os.listdir(data_dir)  # noqa: PTH208 - strings: fast at 100,000
        if name.endswith((".yaml", ".yml")) and not name.startswith(".")
    ]


def data_files(data_dir: Path, names: list[Path] | None = None) -> list[Path]:
    """The YAML files of a data directory that are regular files, in a stable order
    (`names`: its `yaml_names`, when the caller has them)."""
    return [p for p in (yaml_names(data_dir) if names is None else names) if _is_regular(p)]


def too_many_files(data_dir: Path) -> str | None:
    """Why a data directory is refused by its number of .yaml names, from its listing
    alone (names, not paths: 100,000 of them in a few hundredths of a second), or None."""
    count = len(_yaml_entries(data_dir))
    if count <= MAX_DATA_FILES:
        return None
    return f"holds {count:,} .yaml files; the limit is {MAX_DATA_FILES:,} in a data directory"


def too_many_bytes(files: list[Path]) -> str | None:
    """Why a data directory of these files is refused by their size before any is read, or
    None; a file over its own limit is refused by itself, and not counted here."""
    total = 0
    for path in files:
        try:
            size = path.stat().st_size
        except OSError:
            continue  # gone meanwhile: the loader says so when it reads it
        if size <= MAX_FILE_BYTES:
            total += size
    if total <= MAX_DATA_BYTES:
        return None
    return (
        f"its .yaml files hold {total:,} bytes; the limit is {MAX_DATA_BYTES:,} bytes "
        "in a data directory"
    )


def _is_regular(path: Path) -> bool:
    """Whether `path` is, or links to, a regular file: not a FIFO, device or directory."""
    import stat

    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, RuntimeError):
        return False


def maybe_inside(path: Path, directory: Path) -> bool:
    """Whether `path` is `directory` or lies inside it, links followed; True when the
    file system cannot tell (a link loop, an unreadable parent), so that a caller about
    to write there refuses rather than risks it."""
    try:
        return path.resolve().is_relative_to(directory.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop, before 3.13
        return True
