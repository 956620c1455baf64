"""Build MarginWatch's double-click bundle for the current OS.

    python packaging/build.py            # dist/MarginWatch/ (+ .tar.gz on Linux, MarginWatch.app on macOS)
    python packaging/build.py --naive    # the same without exclusions, to measure what they save

Installs PyInstaller into the running interpreter's environment when missing (the `package` extra),
runs packaging/marginwatch.spec, smoke-tests the result (`--version`, `marginwatch-cli --help`),
reports the bundle size and, on Linux, shared libraries the bundle cannot resolve.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "marginwatch.spec"
DIST = ROOT / "dist"
APP_NAME = "MarginWatch"
DESKTOP_ID = "io.marginwatch.MarginWatch"


def ensure_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        print("build: installing PyInstaller")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pyinstaller>=6"], check=True)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def version() -> str:
    sys.path.insert(0, str(ROOT / "desktop"))
    from marginwatch import __version__

    return __version__


def run_pyinstaller(naive: bool) -> Path:
    env = dict(os.environ, MARGINWATCH_BUNDLE_NAIVE="1" if naive else "0")
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN"]
    cmd += ["--distpath", str(DIST), "--workpath", str(ROOT / "build"), str(SPEC)]
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    return DIST / APP_NAME


def smoke_test(bundle: Path) -> None:
    """The frozen binaries start, import their entry modules and exit 0."""
    suffix = ".exe" if sys.platform == "win32" else ""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for args in ([f"marginwatch{suffix}", "--version"], [f"marginwatch-cli{suffix}", "--help"]):
        out = subprocess.run([str(bundle / args[0]), *args[1:]], capture_output=True, text=True, env=env, timeout=60)
        first = (out.stdout or out.stderr).strip().splitlines()[:1]
        print(f"build: {' '.join(args)} -> exit {out.returncode}: {first[0] if first else ''}")
        if out.returncode != 0:
            raise SystemExit(f"build: smoke test failed: {args}\n{out.stderr}")


def _patched_by_auditwheel(path: Path) -> bool:
    """auditwheel's patchelf leaves an $ORIGIN-relative RPATH/RUNPATH behind."""
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=False).stdout
    return any("$ORIGIN" in line for line in out.splitlines() if "RPATH" in line or "RUNPATH" in line)


def strip_binaries(bundle: Path) -> int:
    """Linux: strip debug symbols from bundled ELF files that are safe to strip; returns the bytes saved.

    Skipped: libraries auditwheel vendored and patchelf rewrote (in `*.libs/`, or with an $ORIGIN RPATH),
    which `strip` corrupts (numpy's OpenBLAS then fails with "ELF load command ... not page-aligned"),
    and PySide6, whose wheels ship stripped and patched.
    """
    if shutil.which("strip") is None or shutil.which("readelf") is None:
        return 0
    internal = bundle / "_internal"
    saved = 0
    for f in internal.rglob("*.so*"):
        rel = f.relative_to(internal).parts
        if f.is_symlink() or not f.is_file() or rel[0] == "PySide6" or any(p.endswith(".libs") for p in rel):
            continue
        if _patched_by_auditwheel(f):
            continue
        before = f.stat().st_size
        subprocess.run(["strip", "--strip-unneeded", str(f)], check=True)
        saved += before - f.stat().st_size
    return saved


def unresolved_libraries(bundle: Path) -> set[str]:
    """Linux: libraries some bundled ELF file needs that neither the bundle nor this system provides."""
    missing: set[str] = set()
    internal = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}")
    for lib in bundle.rglob("*.so*"):
        out = subprocess.run(["ldd", str(lib)], capture_output=True, text=True, env=env)
        missing |= {line.split()[0] for line in out.stdout.splitlines() if "not found" in line}
    return missing


def linux_archive(bundle: Path, ver: str) -> Path:
    """A tar.gz of the bundle with the desktop entry, metainfo and icon beside the binaries."""
    share = ROOT / "packaging" / "linux"
    for name in (f"{DESKTOP_ID}.desktop", f"{DESKTOP_ID}.metainfo.xml"):
        shutil.copy2(share / name, bundle / name)
    shutil.copy2(
        ROOT / "desktop" / "marginwatch" / "_resources" / "icons" / "marginwatch-256.png", bundle / "marginwatch.png"
    )
    archive = DIST / f"{APP_NAME}-{ver}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname=APP_NAME)
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--naive", action="store_true", help="no Qt exclusions or trimming (size comparison)")
    parser.add_argument("--no-archive", action="store_true", help="skip the Linux tar.gz")
    args = parser.parse_args(argv)

    ensure_pyinstaller()
    ver = version()
    bundle = run_pyinstaller(args.naive)
    if sys.platform.startswith("linux") and not args.naive:
        print(f"build: stripped {strip_binaries(bundle) / 1e6:.1f} MB of debug symbols")
    smoke_test(bundle)
    size = folder_size(bundle)
    print(f"build: {bundle} is {size / 1e6:.1f} MB ({sum(1 for _ in bundle.rglob('*'))} files)")
    if sys.platform == "darwin" and (DIST / f"{APP_NAME}.app").exists():
        print(f"build: {DIST / f'{APP_NAME}.app'} is {folder_size(DIST / f'{APP_NAME}.app') / 1e6:.1f} MB")
    if sys.platform.startswith("linux"):
        missing = unresolved_libraries(bundle)
        if missing:
            print(f"build: warning: bundled libraries need these system libraries: {', '.join(sorted(missing))}")
        if not args.no_archive:
            archive = linux_archive(bundle, ver)
            print(f"build: {archive} is {archive.stat().st_size / 1e6:.1f} MB")
    if sys.platform == "win32":
        iscc = shutil.which("iscc") or shutil.which("ISCC")
        if iscc:
            iss = ROOT / "packaging" / "windows" / "marginwatch.iss"
            subprocess.run([iscc, f"/DAppVersion={ver}", str(iss)], check=True)
        else:
            print("build: Inno Setup (iscc) not found; skipped the installer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
