"""Packaging files: desktop entry and AppStream metainfo validate, the PyInstaller spec names what a
frozen build would lose, its trimming keeps what the app uses, and the installer scripts hang together.
The real bundle build (packaging/build.py) is too slow for the suite and runs in CI on its own."""

from __future__ import annotations

import ast
import configparser
import fnmatch
import importlib.util
import plistlib
import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from marginwatch import resources

REPO = Path(__file__).resolve().parent.parent
PACKAGING = REPO / "packaging"
DESKTOP = PACKAGING / "linux" / "io.marginwatch.MarginWatch.desktop"
METAINFO = PACKAGING / "linux" / "io.marginwatch.MarginWatch.metainfo.xml"
SPEC = PACKAGING / "marginwatch.spec"
ISS = PACKAGING / "windows" / "marginwatch.iss"


def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _spec_literal(name: str) -> object:
    for node in _spec_tree().body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not a literal assignment in {SPEC.name}")


def _spec_keep():  # type: ignore[no-untyped-def]
    """The spec's file filter, compiled on its own with the spec's own constants."""
    wanted = {"QT_FILE_DROPS", "QT_TRANSLATIONS_KEPT", "_keep"}
    nodes = [
        n
        for n in _spec_tree().body
        if (isinstance(n, ast.FunctionDef) and n.name in wanted)
        or (isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id in wanted for t in n.targets))
    ]
    namespace: dict[str, object] = {"NAIVE": False}
    exec(compile(ast.Module(body=nodes, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace["_keep"]


# --- Linux desktop integration ---


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_file_validates() -> None:
    out = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_validates() -> None:
    out = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_desktop_entry_launches_the_app_with_its_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Exec"].split()[0] == "marginwatch"
    assert entry["Icon"] == "marginwatch"
    assert {"Finance", "Office"} <= set(entry["Categories"].strip(";").split(";"))
    assert entry["StartupWMClass"] == "MarginWatch"  # Qt's X11 WM_CLASS is the application name
    assert entry["Keywords"] and entry["Comment"]


def test_metainfo_matches_the_desktop_entry() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == DESKTOP.stem
    assert root.find("launchable[@type='desktop-id']").text == DESKTOP.name  # type: ignore[union-attr]
    assert "marginwatch" in [b.text for b in root.iterfind("provides/binary")]
    from marginwatch import __version__

    assert __version__ in [r.get("version") for r in root.iterfind("releases/release")]


# --- PyInstaller spec ---


def test_spec_names_the_modules_a_frozen_build_loses() -> None:
    hidden = set(_spec_literal("HIDDEN_IMPORTS"))  # type: ignore[arg-type]
    assert {"websockets.asyncio.client", "websockets.legacy.client"} <= hidden
    assert {f"keyring.backends.{b}" for b in ("SecretService", "macOS", "Windows", "kwallet")} <= hidden
    assert {f"desktop_notifier.backends.{b}" for b in ("dbus", "macos", "winrt")} <= hidden
    assert {"PySide6.QtOpenGL", "qasync", "msgspec.json", "aiohttp", "marginwatch.controller"} <= hidden
    assert 'copy_metadata("keyring")' in SPEC.read_text(encoding="utf-8")  # entry points for backends
    assert 'collect_submodules("marginwatch")' in SPEC.read_text(encoding="utf-8")


def test_spec_hidden_imports_exist() -> None:
    # A renamed module would otherwise only show up as a warning in a CI build log.
    for name in _spec_literal("HIDDEN_IMPORTS"):  # type: ignore[union-attr]
        if name.startswith(("marginwatch.", "websockets.", "keyring.", "desktop_notifier.", "PySide6.")):
            assert importlib.util.find_spec(name) is not None, name


def test_spec_excludes_no_qt_module_the_app_imports() -> None:
    used = set()
    for path in (REPO / "desktop" / "marginwatch").rglob("*.py"):
        used |= set(re.findall(r"PySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    assert {"QtCore", "QtGui", "QtWidgets"} <= used
    excluded = {name.split(".", 1)[1] for name in _spec_literal("QT_EXCLUDES")}  # type: ignore[union-attr]
    assert used & excluded == set()
    assert {"QtQml", "QtQuick", "QtWebEngineCore", "QtMultimedia", "QtPdf", "QtCharts", "Qt3DCore"} <= excluded


def test_spec_keeps_the_qt_modules_pyqtgraph_imports_by_name() -> None:
    # pyqtgraph imports these with importlib.import_module(f"{QT_LIB}.X"): invisible to PyInstaller, fatal if missing.
    pyqtgraph_dir = Path(importlib.util.find_spec("pyqtgraph").origin).parent  # type: ignore[arg-type,union-attr]
    by_name = set()
    for path in pyqtgraph_dir.rglob("*.py"):
        if not {"examples", "opengl"} & set(path.relative_to(pyqtgraph_dir).parts):
            by_name |= set(re.findall(r"\{QT_LIB\}\.(Qt\w+)", path.read_text(encoding="utf-8")))
    assert {"QtOpenGL", "QtOpenGLWidgets"} <= by_name
    excluded = {name.split(".", 1)[1] for name in _spec_literal("QT_EXCLUDES")}  # type: ignore[union-attr]
    hidden = set(_spec_literal("HIDDEN_IMPORTS"))  # type: ignore[arg-type]
    assert by_name & excluded == set()
    assert {f"PySide6.{m}" for m in by_name} <= hidden


def test_spec_excludes_no_python_module_the_app_imports() -> None:
    imported: set[str] = set()
    for path in (REPO / "desktop" / "marginwatch").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module)
    excluded = set(_spec_literal("PY_EXCLUDES"))  # type: ignore[arg-type]
    clashes = {m for m in imported for e in excluded if m == e or m.startswith(f"{e}.")}
    assert clashes == set()


@pytest.mark.parametrize(
    ("bundled", "kept"),
    [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),  # --self-test runs offscreen
        ("PySide6/Qt/plugins/imageformats/libqico.so", True),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
        ("PySide6/Qt/lib/libQt6OpenGL.so.6", True),
        ("PySide6/Qt/lib/libQt6OpenGLWidgets.so.6", True),
        ("PySide6/Qt/translations/qtbase_zh_CN.qm", True),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
        ("PySide6\\Qt\\plugins\\imageformats\\qpdf.dll", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/lib/libQt6Pdf.so.6", False),
        ("PySide6/Qt/lib/libQt6Quick.so.6", False),
        ("PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6", False),
        ("PySide6/Qt/plugins/wayland-decoration-client/libadwaita.so", False),
        ("PySide6/Qt/plugins/wayland-decoration-client/libbradient.so", True),
        ("marginwatch/_resources/icons/tray/calm-16.png", True),
    ],
)
def test_spec_trims_unused_qt_files_only(bundled: str, kept: bool) -> None:
    assert _spec_keep()(bundled) is kept


def test_spec_bundles_the_runtime_resources_and_mac_settings() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert 'collect_data_files("marginwatch")' in text
    assert _spec_literal("BUNDLE_ID") == "io.marginwatch.MarginWatch"
    plist = next(n for n in ast.walk(_spec_tree()) if isinstance(n, ast.keyword) and n.arg == "info_plist").value
    info = eval(compile(ast.Expression(plist), str(SPEC), "eval"), {"APP_NAME": "MarginWatch", "__version__": "0"})
    assert info["NSHighResolutionCapable"] is True and info["LSUIElement"] is False
    assert info["LSMinimumSystemVersion"]
    plistlib.dumps(info)  # every value is plist-serialisable
    for icon in ("marginwatch.ico", "marginwatch.icns"):
        assert (REPO / "resources" / "icons" / icon).is_file()


def test_wheel_package_data_covers_every_runtime_resource() -> None:
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["marginwatch"]
    for name in resources.expected():
        assert any(fnmatch.fnmatch(f"_resources/{name}", p) for p in patterns), name


# --- Windows installer ---


def test_inno_setup_script_has_id_mutex_icon_task_and_launch() -> None:
    text = ISS.read_text(encoding="utf-8")
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", text, re.M)
    assert re.search(r"^AppMutex=MarginWatch\.Running", text, re.M)
    assert re.search(r'^Name: "desktopicon"', text, re.M)
    assert re.search(r"^Filename: .*Flags: .*postinstall", text, re.M)
    source_dir = (ISS.parent / re.search(r"^SourceDir=(.+)$", text, re.M).group(1).replace("\\", "/")).resolve()  # type: ignore[union-attr]
    assert source_dir == REPO
    icon = re.search(r"^SetupIconFile=(.+)$", text, re.M).group(1).replace("\\", "/")  # type: ignore[union-attr]
    assert (REPO / icon).is_file()
