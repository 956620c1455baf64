"""`marginwatch --install-desktop-entry` writes a valid menu entry and icons into XDG paths."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def run_app(*args: str, data_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    return subprocess.run([sys.executable, "-m", "marginwatch", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_install_then_uninstall(tmp_path: Path) -> None:
    done = run_app("--install-desktop-entry", data_home=tmp_path)
    assert done.returncode == 0, done.stderr
    entry = tmp_path / "applications" / "io.marginwatch.MarginWatch.desktop"
    text = entry.read_text(encoding="utf-8")
    assert "Name=MarginWatch" in text and "Icon=marginwatch" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert "marginwatch" in exec_line
    for size in (16, 48, 256):
        assert (tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "marginwatch.png").stat().st_size > 0
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    gone = run_app("--uninstall-desktop-entry", data_home=tmp_path)
    assert gone.returncode == 0 and not entry.exists()


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")  # even root cannot create directories inside a regular file
    done = run_app("--install-desktop-entry", data_home=blocker)
    assert done.returncode == 1 and "could not install the menu entry" in done.stderr
    assert "Traceback" not in done.stderr
