"""One answer to 'is this path inside the data directory?', and 'cannot tell' refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from softbank_kb.paths import maybe_inside

from .conftest import REPO, RunCli


@pytest.mark.parametrize(
    ("relative", "inside"),
    [
        pytest.param("data", True, id="the-directory-itself"),
        pytest.param("data/deals.yaml", True, id="a-file-in-it"),
        pytest.param("data/new/kb.db", True, id="a-new-name-in-it"),
        pytest.param("data/../out.db", False, id="dot-dot-out-of-it"),
        pytest.param("elsewhere/kb.db", False, id="beside-it"),
    ],
)
def test_inside_by_path(tmp_path: Path, relative: str, inside: bool) -> None:
    (tmp_path / "data").mkdir()
    assert maybe_inside(tmp_path / relative, tmp_path / "data") is inside


def test_a_link_into_the_directory_is_inside(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "data")
    assert maybe_inside(tmp_path / "link" / "kb.db", tmp_path / "data")


def test_cannot_tell_counts_as_inside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unknowable(self: Path, strict: bool = False) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "resolve", unknowable)
    assert maybe_inside(tmp_path / "anywhere", tmp_path)


def test_export_refuses_when_it_cannot_tell(run_cli: RunCli, tmp_path: Path, monkeypatch) -> None:
    # Before, the export's own check let an unknowable path through.
    real = Path.resolve

    def unknowable(self: Path, strict: bool = False) -> Path:
        if self.name == "kb.json":
            raise PermissionError(13, "Permission denied")
        return real(self, strict=strict)

    monkeypatch.setattr(Path, "resolve", unknowable)
    out = tmp_path / "kb.json"
    result = run_cli("--data", str(REPO / "data"), "export", "--format", "json", "-o", str(out))
    assert result.exit_code == 2, result.stderr
    assert "never writes into a data directory" in result.stderr
    assert not out.exists()
