"""XDG autostart entry written to and removed from a private XDG_CONFIG_HOME."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from marginwatch.services import autostart


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    return tmp_path / "cfg"


needs_xdg = pytest.mark.skipif(not autostart.supported(), reason="XDG autostart is for Linux/BSD")


def _exec_line(path: Path) -> str:
    return next(line for line in path.read_text().splitlines() if line.startswith("Exec="))[5:]


@needs_xdg
def test_enable_writes_entry_disable_removes_it(config_home: Path) -> None:
    assert not autostart.is_enabled()
    assert autostart.set_enabled(True, ["/opt/Margin Watch/bin/marginwatch"]) is None
    path = config_home / "autostart" / "io.marginwatch.MarginWatch.desktop"
    assert autostart.autostart_path() == path and path.exists() and autostart.is_enabled()
    text = path.read_text()
    assert "[Desktop Entry]" in text and "Type=Application" in text
    # Quoted per the Desktop Entry spec; shlex reads that quoting the same way for these characters.
    assert shlex.split(_exec_line(path)) == ["/opt/Margin Watch/bin/marginwatch", "--minimised"]
    assert autostart.set_enabled(False) is None
    assert not path.exists() and not autostart.is_enabled()
    assert autostart.set_enabled(False) is None  # already off: fine


@needs_xdg
def test_a_users_own_entry_is_not_deleted(config_home: Path) -> None:
    path = config_home / "autostart" / "io.marginwatch.MarginWatch.desktop"
    path.parent.mkdir(parents=True)
    path.write_text("[Desktop Entry]\nType=Application\nExec=my-wrapper\n")
    assert not autostart.disable()
    assert path.exists()


@needs_xdg
def test_default_command_is_this_installation(config_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/nonexistent/pytest"])
    monkeypatch.setattr(autostart.shutil, "which", lambda name: None)
    assert autostart.launch_command() == [sys.executable, "-m", "marginwatch"]
    script = config_home.parent / "bin" / "marginwatch"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(script)])
    autostart.enable(minimised=False)
    assert _exec_line(autostart.autostart_path()) == str(script.resolve())


@needs_xdg
def test_unwritable_location_gives_words_not_an_exception(config_home: Path) -> None:
    config_home.mkdir()
    (config_home / "autostart").write_text("a file where the directory should be")
    message = autostart.set_enabled(True, ["marginwatch"])
    assert message is not None and message.startswith("Could not set up start at login")


def test_other_systems_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autostart.sys, "platform", "darwin")
    assert not autostart.supported()
    message = autostart.set_enabled(True)
    assert message is not None and "not available on this system (darwin)" in message
    assert not autostart.is_enabled() and not autostart.disable()
