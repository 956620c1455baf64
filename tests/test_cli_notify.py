"""`marginwatch-cli notify test URL` against real receivers on loopback: exit codes and one-line errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from marginwatch.cli import main
from tests.forward_servers import LoopbackReceiver, free_port


def test_notify_test_exits_0_when_the_service_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> tuple[int, LoopbackReceiver]:
        server = await LoopbackReceiver().start()
        code = await asyncio.to_thread(main, ["notify", "test", server.url(), "--title", "Hello", "--body", "B"])
        await server.stop()
        return code, server

    code, server = asyncio.run(scenario())
    assert code == 0
    assert [(m.title, m.message) for m in server.received] == [("Hello", "B")]
    assert "sent to ntfy://127.0.0.1:" in capsys.readouterr().out


def test_notify_test_exits_2_on_401_naming_it_with_the_url_masked(capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> int:
        server = await LoopbackReceiver(statuses=[401]).start()
        url = f"ntfy://tk_hidden_token@127.0.0.1:{server.port}/secret-topic"
        code = await asyncio.to_thread(main, ["notify", "test", url])
        await server.stop()
        return code

    assert asyncio.run(scenario()) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HTTP 401 (unauthorized)" in err
    assert "tk_hidden_token" not in err and "secret-topic" not in err
    assert "ntfy://****@127.0.0.1:" in err


def test_notify_test_exits_2_when_refused(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MW_TEST_URL", f"json://127.0.0.1:{free_port()}/hook")  # nothing listens there
    assert main(["notify", "test", "env:MW_TEST_URL"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("marginwatch-cli notify: error: json://127.0.0.1:") and err.rstrip().endswith(
        "connection refused"
    )


def test_notify_test_with_an_unset_variable_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notify", "test", "env:MW_SURELY_UNSET"]) == 2
    assert "environment variable MW_SURELY_UNSET is not set" in capsys.readouterr().err


def test_notify_test_runs_without_qt() -> None:
    # The frozen CLI is built without PySide6: `notify test` must not need it.
    code = (
        "import sys; from marginwatch.cli import main; rc = main(['notify', 'test', 'env:MW_SURELY_UNSET']);"
        " sys.exit(3 if any(m.startswith('PySide6') for m in sys.modules) else rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=os.environ)
    assert proc.returncode == 2, proc.stderr
