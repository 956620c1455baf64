"""Refresh the translation sources and build the compiled translations.

    .venv/bin/python packaging/update_translations.py            # lupdate, then lrelease
    .venv/bin/python packaging/update_translations.py --release  # lrelease only (the .ts is already right)

lupdate scans every module of the package for self.tr(...) and QCoreApplication.translate(...) and
updates desktop/marginwatch/i18n/marginwatch_<lang>.ts (vanished strings dropped, no line numbers so
that code edits elsewhere do not churn the file); lrelease compiles each .ts into the .qm the app
loads. Both tools ship with PySide6-Essentials. The .qm files are committed, so a clean clone runs
without this script; tests/test_i18n.py checks the .ts is complete and the .qm is current.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "desktop" / "marginwatch"
I18N = PACKAGE / "i18n"
LANGUAGES = ("zh_CN",)


def tool(name: str) -> list[str]:
    """The command for pyside6-<name>: the venv's wrapper script, else the binary inside PySide6."""
    for candidate in (Path(sys.executable).parent / f"pyside6-{name}", shutil.which(f"pyside6-{name}")):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    import PySide6

    binary = Path(PySide6.__file__).parent / name
    if binary.exists():
        return [str(binary)]
    raise SystemExit(f"pyside6-{name} not found; install PySide6-Essentials in this environment")


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def ts_path(language: str) -> Path:
    return I18N / f"marginwatch_{language}.ts"


def qm_path(language: str) -> Path:
    return I18N / f"marginwatch_{language}.qm"


def lupdate(ts: Path, extra: list[str] | None = None) -> str:
    files = [str(p.relative_to(ROOT)) for p in sources()]
    cmd = [*tool("lupdate"), "-no-obsolete", "-locations", "none", *(extra or []), *files, "-ts", str(ts)]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout + out.stderr


def lrelease(ts: Path, qm: Path) -> str:
    out = subprocess.run(
        [*tool("lrelease"), "-removeidentical", str(ts), "-qm", str(qm)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return out.stdout + out.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--release", action="store_true", help="only compile the .ts files")
    opts = ap.parse_args()
    I18N.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        ts = ts_path(language)
        if not opts.release:
            print(lupdate(ts).strip())
        print(lrelease(ts, qm_path(language)).strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
