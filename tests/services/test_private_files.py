"""Files that hold the account's history or its API key are readable by their owner only (stat()),
whatever the umask, from the moment they exist: the journal with its -wal/-shm and side files,
and the settings file QSettings writes.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal
from marginwatch.services.settings import AccountConfig, Settings

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes; Windows keeps the profile private by ACL")


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common default, under which a file is created group- and world-readable unless asked not to be."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(directory: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir() if p.is_file()}


def alert(key: str) -> Alert:
    return Alert(AlertKind.THRESHOLD, "main", RiskTier.DANGER, "Danger", "ratio 81 %", key, created_at=1.0)


def test_the_journal_and_its_wal_and_shm_are_created_owner_only(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "journal.sqlite3") as j:
        j.record_alert(alert("a"))
        assert modes(tmp_path) == {"journal.sqlite3": 0o600, "journal.sqlite3-wal": 0o600, "journal.sqlite3-shm": 0o600}


def test_a_side_file_for_a_locked_journal_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("DELETE FROM alerts")
    try:
        with Journal.open(path, busy_timeout_s=0.05) as j:
            assert j.path is not None and j.path != path
            j.record_alert(alert("a"))
            side = {name: mode for name, mode in modes(tmp_path).items() if name.startswith(j.path.name)}
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert side and set(side.values()) == {0o600}, side


def test_a_journal_left_readable_by_an_older_version_is_made_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as conn:  # as the file was created before: 0644 under this umask
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    with Journal.open(path) as j:
        j.record_alert(alert("a"))
        assert set(modes(tmp_path).values()) == {0o600}


def test_the_settings_file_holding_the_api_key_is_owner_only_from_its_first_write(tmp_path: Path) -> None:
    ini = tmp_path / "conf" / "MarginWatch.conf"
    s = Settings(QSettings(str(ini), QSettings.Format.IniFormat))
    s.save_account(AccountConfig("main", "mainnet", "hmac", "APIKEY-owner-only-123"))
    assert "APIKEY-owner-only-123" in ini.read_text()
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    s.sound_enabled = False  # QSettings rewrites the file (a new one renamed over it) on each sync
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    assert stat.S_IMODE(ini.parent.stat().st_mode) == 0o700  # the directory it had to create


def test_a_settings_file_left_readable_by_an_older_version_is_made_owner_only_at_start_up(tmp_path: Path) -> None:
    ini = tmp_path / "MarginWatch.conf"
    old = QSettings(str(ini), QSettings.Format.IniFormat)
    old.setValue("accounts/1/api_key", "APIKEY-older-version")
    old.sync()
    assert stat.S_IMODE(ini.stat().st_mode) == 0o644
    Settings(QSettings(str(ini), QSettings.Format.IniFormat))
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
