"""Where the bundled knowledge base lives, in a wheel or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


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


def data_files(data_dir: Path) -> list[Path]:
    """The YAML files of a data directory, in a stable order."""
    return sorted(p for p in data_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
