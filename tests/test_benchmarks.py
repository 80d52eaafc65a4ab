"""The benchmark's synthetic knowledge base is valid and keeps its references."""

from __future__ import annotations

import sys
from pathlib import Path

from .conftest import REPO, RunCli

sys.path.insert(0, str(REPO / "benchmarks"))

from make_kb import make_kb


def test_synthetic_kb_validates(run_cli: RunCli, tmp_path: Path) -> None:
    written = make_kb(600, tmp_path / "kb")
    assert 600 <= written < 800
    result = run_cli("--data", str(tmp_path / "kb"), "validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"OK: {written} records")


def test_synthetic_copies_point_at_their_own_copy(run_cli: RunCli, tmp_path: Path) -> None:
    make_kb(400, tmp_path / "kb")
    result = run_cli("--data", str(tmp_path / "kb"), "show", "ampere-acquisition-c1", "--json")
    assert '"target": "ampere-c1"' in result.stdout
