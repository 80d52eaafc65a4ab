"""Where the bundled knowledge base lives, in a wheel or in a checkout."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def bundled_data_dir() -> Path:
    """The data directory shipped inside the wheel, or the checkout's `data/`."""
    # A wheel carries the data as softbank_kb/data; an editable install runs from the
    # repository, where it is the top-level data/ beside the package.
    packaged = Path(str(files("softbank_kb") / "data"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "data"


def data_files(data_dir: Path) -> list[Path]:
    """The YAML files of a data directory, in a stable order."""
    return sorted(p for p in data_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
