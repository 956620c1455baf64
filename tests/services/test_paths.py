"""The app's own directories are private to the user who runs it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from marginwatch.services import paths


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("make", [paths.data_dir, paths.config_dir, paths.log_dir])
def test_new_app_dirs_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make) -> None:
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var))
    assert _mode(make()) == 0o700


def test_an_existing_readable_app_dir_is_made_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    old = tmp_path / paths.APP_NAME
    old.mkdir(mode=0o755)
    old.chmod(0o755)
    assert paths.data_dir() == old
    assert _mode(old) == 0o700
