"""In CI a skipped end-to-end, packaging or official-SDK test fails the run, with the skip's reason;
elsewhere it stays a skip that says why. Runs the real conftest on a tiny project with pytester."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = (Path(__file__).parent / "conftest.py").read_text("utf-8")
SKIPPING = """
import pytest

def test_needs_a_program():
    pytest.skip("dunst not installed")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        **{
            "tests/e2e/test_desktop.py": SKIPPING,
            "tests/test_packaging.py": "import pytest\n\n"
            "@pytest.mark.skipif(True, reason='appstream not installed')\ndef test_metainfo():\n    pass\n",
            "tests/exchange/test_sim_official_sdk.py": "import pytest\n\n"
            "pytest.importorskip('no_such_sdk_module', reason='official SDK not installed')\n\n"
            "def test_sdk():\n    pass\n",
            "tests/test_elsewhere.py": SKIPPING,
            "tests/test_marked.py": "import pytest\n\n"
            "@pytest.mark.required_in_ci\ndef test_marked():\n    pytest.skip('needs a tray host')\n",
        }
    )
    return pytester


def test_in_ci_a_skipped_required_test_fails_the_run_with_its_reason(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    # A collection error would stop the run before the rest; here all five should report.
    result = project.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", "-rA", "--continue-on-collection-errors")
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # e2e (in the test) and the marked one fail; packaging (skipif at setup) and the SDK module
    # (importorskip at collection) are errors; only the test outside the guarded paths skips.
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) == 4
    assert outcomes.get("skipped") == 1
    out = result.stdout.str()
    for reason in ("dunst not installed", "appstream not installed", "official SDK not installed", "needs a tray host"):
        assert f"skipped in CI (CI=true), which must not happen here: {reason}" in out


def test_outside_ci_a_required_test_still_skips_and_says_why(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = project.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", "-rs")
    assert result.ret == pytest.ExitCode.OK
    assert result.parseoutcomes().get("skipped") == 5
    out = result.stdout.str()
    assert "dunst not installed" in out and "official SDK not installed" in out
    assert "skipped in CI" not in out


def test_hypothesis_keeps_its_files_outside_the_checkout() -> None:
    from hypothesis import settings
    from hypothesis.configuration import storage_directory

    repo = Path(__file__).resolve().parent.parent
    home = storage_directory("examples", intent_to_write=False).path.resolve()
    assert repo not in home.parents
    database = settings().database
    assert database is None or repo not in Path(database.path).resolve().parents  # type: ignore[attr-defined]
