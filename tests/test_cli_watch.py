"""`marginwatch-cli watch` as a subprocess against the simulated exchange on loopback and a loopback
ntfy receiver: JSON lines out, forwarding, exit 0 on SIGTERM, exit 2 with one line for bad input,
and no GUI library loaded (it runs with no display)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from marginwatch.exchange.sim import DEMO_API_KEY, SimulatedExchange
from tests.forward_servers import LoopbackReceiver, PingCounter

REPO = Path(__file__).resolve().parent.parent
SECRET = "watchTestSecret-Hq7Vb2Kx9Lm4Np8Rt3Zc6Wd1Fg5Js0Ya"
LINE_TIMEOUT_S = 45.0  # generous: a loaded machine starts Python slowly
# Runs the CLI and, as the process exits, says which Qt modules it had loaded.
RUN_CLI = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('QT_MODULES=' + ','.join(sorted(m for m in sys.modules "
    "if m.startswith('PySide6.Qt'))) + '\\n'))\n"
    "from marginwatch.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "MARGINWATCH_API_KEY",
                        "MARGINWATCH_API_SECRET")}
    env.update(
        PYTHONPATH=str(REPO / "desktop") + os.pathsep + str(REPO),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        MARGINWATCH_LOG="INFO",
    )
    env.update(extra)
    return env


def _account_args(sim: SimulatedExchange) -> list[str]:
    return ["--rest", sim.base_url, "--market-ws", sim.ws_url + "/market", "--private-ws", sim.ws_url + "/private"]


@asynccontextmanager
async def _exchange(scenario: str = "crash") -> AsyncIterator[SimulatedExchange]:
    # Paused until the watch is live: a slow start would otherwise miss the first margin call.
    sim = SimulatedExchange(scenario=scenario, speed=10, api_secret=SECRET, autostart_engine=False)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def _spawn(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN_CLI, "watch", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def _read_until(proc: asyncio.subprocess.Process, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first JSON line on stdout that `wanted` accepts; every line must be JSON."""
    assert proc.stdout is not None

    async def read() -> dict[str, Any]:
        assert proc.stdout is not None
        while True:
            raw = await proc.stdout.readline()
            assert raw, "the watch closed stdout before the line came"
            line = json.loads(raw)
            assert set(line) >= {"time", "account", "kind", "severity", "symbols", "text"}, line
            if wanted(line):
                return line

    return await asyncio.wait_for(read(), LINE_TIMEOUT_S)


async def _terminate(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    assert proc.stderr is not None
    err, code = await asyncio.wait_for(asyncio.gather(proc.stderr.read(), proc.wait()), LINE_TIMEOUT_S)
    return code, err.decode()


def _user_stream_live(line: dict[str, Any]) -> bool:
    return line["kind"] == "stream_state" and line.get("stream") == "user" and line.get("state") == "live"


def _qt_modules(stderr: str) -> set[str]:
    line = next(x for x in stderr.splitlines() if x.startswith("QT_MODULES="))
    return set(filter(None, line.removeprefix("QT_MODULES=").split(",")))


def test_watch_prints_and_forwards_the_crash_margin_call_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    async def scenario() -> tuple[dict[str, Any], list[Any], int, str]:
        receiver = await LoopbackReceiver().start()
        beats = await PingCounter().start()
        try:
            async with _exchange() as sim:
                env = _env(tmp_path, MARGINWATCH_API_KEY=DEMO_API_KEY, MARGINWATCH_API_SECRET=SECRET,
                           MW_BEAT=beats.url())
                proc = await _spawn([*_account_args(sim), "--name", "box", "--forward", receiver.url(),
                                     "--heartbeat-url", "env:MW_BEAT"], env)  # fmt: skip
                await _read_until(proc, _user_stream_live)
                await beats.wait_for(1, LINE_TIMEOUT_S)  # every stream live: the dead-man's switch is fed
                sim.engine.paused = False
                line = await _read_until(proc, lambda x: x["kind"] == "margin_call")
                received = await receiver.wait_for(1, LINE_TIMEOUT_S)
                while not any("Margin call" in m.title for m in received):
                    received = await receiver.wait_for(len(received) + 1, LINE_TIMEOUT_S)
                code, err = await _terminate(proc)
                return line, received, code, err
        finally:
            await receiver.stop()
            await beats.stop()

    line, received, code, err = asyncio.run(scenario())
    assert line["account"] == "box" and line["severity"] == "danger"
    assert line["symbols"] == ["SOLUSDT"] and line["text"].startswith("Margin call on box: SOLUSDT")
    assert datetime.fromisoformat(line["time"]).utcoffset() is not None and line["time"].endswith("Z")
    forwarded = [m for m in received if "Margin call" in m.title]
    assert forwarded[0].title == "Margin call on box: SOLUSDT"
    assert code == 0, err
    assert SECRET not in err
    # Stopped cleanly: the journal holds the margin call and its forwarded alert.
    with sqlite3.connect(tmp_path / "data" / "MarginWatch" / "journal.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM margin_calls WHERE account = 'box'").fetchone()[0] >= 1
        assert db.execute("SELECT count(*) FROM alerts WHERE kind = 'margin_call'").fetchone()[0] >= 1


def test_watch_runs_without_a_display_and_never_loads_qtgui_or_qtwidgets(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, str]:
        async with _exchange("calm") as sim:
            env = _env(tmp_path, MARGINWATCH_API_KEY=DEMO_API_KEY, MARGINWATCH_API_SECRET=SECRET)
            proc = await _spawn(_account_args(sim), env)
            await _read_until(proc, _user_stream_live)
            return await _terminate(proc)

    code, err = asyncio.run(scenario())
    assert code == 0, err
    loaded = _qt_modules(err)
    assert "PySide6.QtCore" in loaded
    assert not loaded & {"PySide6.QtGui", "PySide6.QtWidgets"}, loaded


def test_watch_with_a_wrong_secret_exits_2_with_one_line(tmp_path: Path) -> None:
    wrong = "wrongSecret-Zq8Lm3Xv7Tb1Nc5Rk9Pw2Hd6Ty4Ue0Io3Pa"

    async def scenario() -> tuple[int, str, bytes]:
        async with _exchange("calm") as sim:
            env = _env(tmp_path, MARGINWATCH_API_KEY=DEMO_API_KEY, MARGINWATCH_API_SECRET=wrong,
                       MARGINWATCH_LOG="CRITICAL")
            proc = await _spawn(_account_args(sim), env)
            out, err = await asyncio.wait_for(proc.communicate(), LINE_TIMEOUT_S)
            assert proc.returncode is not None
            return proc.returncode, err.decode(), out

    code, err, out = asyncio.run(scenario())
    lines = [x for x in err.splitlines() if not x.startswith("QT_MODULES=")]
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("marginwatch-cli watch: error: cli: Wrong API secret")
    assert wrong not in err and wrong.encode() not in out


def _run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "marginwatch.cli", "watch", *args], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "env_extra", "says"),
    [
        (["--rest", "http://127.0.0.1:1"], {}, "MARGINWATCH_API_KEY is not set"),
        (["--rest", "http://127.0.0.1:1"], {"MARGINWATCH_API_KEY": "k" * 64}, "MARGINWATCH_API_SECRET is not set"),
        (["--rest", "ftp://127.0.0.1:1"], {"MARGINWATCH_API_KEY": "k", "MARGINWATCH_API_SECRET": "s"},
         "--rest 'ftp://127.0.0.1:1' is not a http:// or https:// URL"),
        (["--api-secret", "s3cr3t"], {}, "--api-key/--api-secret are not accepted"),
        (["--forward", "env:MW_SURELY_UNSET"], {}, "environment variable MW_SURELY_UNSET is not set"),
        (["--heartbeat-url", "env:MW_SURELY_UNSET"], {}, "environment variable MW_SURELY_UNSET is not set"),
        (["--heartbeat-url", "no url"], {}, "is not a URL"),
        (["--no-such-option"], {}, "unrecognized arguments: --no-such-option"),
    ],
)
def test_watch_with_bad_input_exits_2_with_one_line(
    tmp_path: Path, args: list[str], env_extra: dict[str, str], says: str
) -> None:
    done = _run_cli(args, _env(tmp_path, **env_extra))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert done.stdout == "" and "s3cr3t" not in done.stderr


def test_watch_with_no_enabled_account_in_the_settings_exits_2_instead_of_watching_nothing(tmp_path: Path) -> None:
    done = _run_cli([], _env(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no enabled account in the settings" in done.stderr


def test_frozen_cli_without_qt_points_to_the_apps_watch(tmp_path: Path) -> None:
    # The frozen marginwatch-cli is built without PySide6 (packaging/marginwatch.spec).
    code = "import sys; sys.modules['PySide6'] = None\nfrom marginwatch.cli import main\nsys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, "watch"], env=_env(tmp_path), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "run `marginwatch --watch`" in done.stderr


def test_the_app_entry_point_starts_the_watch(tmp_path: Path) -> None:
    # What the frozen app executable runs: `marginwatch --watch ...` is the watch, not the window.
    done = subprocess.run([sys.executable, str(REPO / "packaging" / "entry_app.py"), "--watch", "--rest", "x"],
                          env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "MARGINWATCH_API_KEY is not set" in done.stderr


def test_systemd_unit_runs_the_watch_restarting_on_failure_but_not_on_a_rejected_key() -> None:
    import configparser

    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    text = (REPO / "packaging" / "linux" / "marginwatch-watch.service").read_text(encoding="utf-8")
    unit.read_string(text)
    service = unit["Service"]
    assert service["ExecStart"].split()[1:2] == ["watch"]
    assert service["Restart"] == "on-failure" and service["RestartPreventExitStatus"] == "2"
    assert service["EnvironmentFile"].endswith("watch.env") and "chmod 600" in text
    assert "--api-secret" not in text and "--api-key" not in text
    assert unit["Install"]["WantedBy"] == "default.target"
