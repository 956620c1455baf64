"""Shared test set-up: Qt runs offscreen unless a test asks for a real display; Hypothesis keeps its
examples outside the checkout; in CI a skipped end-to-end, packaging or third-party-client test fails
the run."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ("pytester",)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


# ----------------------------------------------------------------------------- Hypothesis


def _hypothesis_profile() -> None:
    from hypothesis import settings
    from hypothesis.configuration import set_hypothesis_home_dir
    from hypothesis.database import DirectoryBasedExampleDatabase
    from platformdirs import user_cache_path

    # Its home holds more than the examples (a cache of constants from the code, for one).
    home = user_cache_path("marginwatch-tests") / "hypothesis"
    set_hypothesis_home_dir(home)
    # CI starts from a clean clone each time: replaying saved examples there buys nothing.
    database = None if in_ci() else DirectoryBasedExampleDatabase(home / "examples")
    settings.register_profile("marginwatch", database=database)
    settings.load_profile("marginwatch")


_hypothesis_profile()


# ----------------------------------------------------------------------------- no skips in CI

# These only prove something when they run: a skip in CI (a program or package missing from
# .ci/setup) would let the run go green without them. Paths are relative to the rootdir.
REQUIRED_IN_CI = (
    "tests/e2e/",
    "tests/test_packaging.py",
    "tests/exchange/test_sim_official_sdk.py",
    "tests/exchange/test_sim_official_coinm_sdk.py",
    "tests/exchange/test_sim_python_binance.py",
)


def _required_in_ci(config: pytest.Config, path: Path, item: pytest.Item | None = None) -> bool:
    if item is not None and item.get_closest_marker("required_in_ci") is not None:
        return True
    try:
        rel = path.resolve().relative_to(config.rootpath.resolve()).as_posix()
    except ValueError:
        return False
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in REQUIRED_IN_CI)


def _skip_reason(longrepr: object) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_instead_of_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    report.outcome = "failed"
    report.longrepr = f"skipped in CI (CI=true), which must not happen here: {_skip_reason(report.longrepr)}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "required_in_ci: a skip of this test fails the run when CI=true")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and in_ci() and _required_in_ci(item.config, item.path, item):
        _fail_instead_of_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    # Qt objects a test leaves behind are freed here, on the main thread with no Qt call on the
    # stack: left to the cyclic collector they are freed wherever a later test happens to allocate
    # (a worker thread, inside a Qt callback), where PySide can crash the whole run. What survives
    # is frozen, so each collection looks only at what the last test made (~1 ms, not ~50 ms).
    yield
    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QCoreApplication, QEvent

        if QCoreApplication.instance() is not None:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
        gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    # A module-level importorskip skips the whole file at collection.
    report = yield
    if report.skipped and in_ci() and _required_in_ci(collector.config, collector.path):
        _fail_instead_of_skip(report)
    return report


# Real settings on an ini file and a real file keyring, for tests of the account and settings code.
@pytest.fixture
def ini(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def settings(ini: Path):  # -> Settings; imported here so the suite's start does not load Qt
    from PySide6.QtCore import QSettings

    from marginwatch.services.settings import Settings

    return Settings(QSettings(str(ini), QSettings.Format.IniFormat))


@pytest.fixture
def keyring_file(tmp_path: Path):  # -> PlaintextKeyring (keyrings.alt): a real backend, tests only
    from keyrings.alt.file import PlaintextKeyring

    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    return kr
