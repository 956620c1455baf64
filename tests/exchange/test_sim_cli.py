"""`marginwatch-cli sim` as its own process: a client gets a MARGIN_CALL in 30 s at speed 10 (crash), and
the secret it accepts comes from the environment, never the command line."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from marginwatch.cli_sim import SECRET_ENV
from marginwatch.core.events import MarginCall, decode_user_event
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.sim.auth import DEMO_API_SECRET


def start_sim(env: dict[str, str] | None = None, *args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    clean = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    proc = subprocess.Popen(
        [sys.executable, "-m", "marginwatch.cli", "sim", "--port", "0", "--scenario", "crash", "--speed", "10",
         *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**clean, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    assert proc.stdout is not None
    info: dict[str, str] = {}
    deadline = time.monotonic() + 20
    while len(info) < 4 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        for key, pattern in (("rest", r"REST base URL:\s+(\S+)"), ("ws", r"WS base URL:\s+(\S+)"),
                             ("key", r"API key:\s+(\S+)"), ("secret", r"API secret:\s+(\S+)")):
            if m := re.search(pattern, line):
                info[key] = m.group(1)
    return proc, info


async def first_margin_call(info: dict[str, str], limit: float) -> tuple[MarginCall, float]:
    import websockets

    endpoints = Endpoints.local(info["rest"], info["ws"])
    async with BinanceRestClient(endpoints, Credentials(info["key"], info["secret"])) as client:
        key = await client.new_listen_key()
        async with websockets.connect(endpoints.private_ws_url(key)) as ws:
            connected = time.monotonic()
            while True:
                raw = await asyncio.wait_for(ws.recv(), limit - (time.monotonic() - connected))
                event = decode_user_event(raw)
                if isinstance(event, MarginCall):
                    return event, time.monotonic() - connected


def test_crash_scenario_at_speed_10_margin_calls_a_client_within_30_s() -> None:
    proc, info = start_sim()
    try:
        if len(info) < 4:
            pytest.fail(f"simulator did not print its URLs and key: {info}")
        event, after = asyncio.run(first_margin_call(info, 30.0))
        assert after < 30
        assert event.positions and event.positions[0].maint_margin > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_the_secret_comes_from_the_environment_and_is_neither_in_argv_nor_printed() -> None:
    import hashlib
    import hmac
    import urllib.error
    import urllib.request

    secret = "s3cret-from-env-0123456789"
    proc, info = start_sim(env={SECRET_ENV: secret})
    try:
        assert len(info) == 4, info
        assert secret not in " ".join(proc.args) and info["secret"] == f"${SECRET_ENV}"

        def status(sign_with: str) -> int:
            query = f"timestamp={int(time.time() * 1000)}"
            sig = hmac.new(sign_with.encode(), query.encode(), hashlib.sha256).hexdigest()
            req = urllib.request.Request(f"{info['rest']}/fapi/v3/balance?{query}&signature={sig}",
                                         headers={"X-MBX-APIKEY": info["key"]})
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    return int(r.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        assert status(secret) == 200
        assert status(DEMO_API_SECRET) == 400  # the demo secret is not accepted instead
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout is not None and secret not in proc.stdout.read()


@pytest.mark.parametrize(("argv", "env", "error"), [
    (["--api-secret", "hunter2hunter2"], {}, f"set {SECRET_ENV}"),
    ([], {SECRET_ENV: " "}, "is set but empty"),
])
def test_a_secret_on_the_command_line_or_an_empty_one_is_refused_with_one_line(
        argv: list[str], env: dict[str, str], error: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from marginwatch.cli import main

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["sim", "--port", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert error in err and len(err.strip().splitlines()) == 1
    assert "hunter2" not in err


def test_sim_help_names_the_environment_variable(capsys: pytest.CaptureFixture[str]) -> None:
    from marginwatch.cli import main

    with pytest.raises(SystemExit):
        main(["sim", "--help"])
    out = capsys.readouterr().out
    assert SECRET_ENV in out and "--api-secret" not in out


@pytest.mark.parametrize(("account", "multi", "margin_asset"),
                         [("multi-assets", True, "USDT"), ("bnfcr", False, "BNFCR")])
def test_the_account_shape_is_chosen_on_the_command_line(account: str, multi: bool, margin_asset: str) -> None:
    proc, info = start_sim(None, "--account", account)

    async def read() -> tuple[bool, set[str]]:
        endpoints = Endpoints.local(info["rest"], info["ws"])
        async with BinanceRestClient(endpoints, Credentials(info["key"], info["secret"])) as client:
            config = await client.account_config()
            rows = await client.position_risk()
            return config.multiAssetsMargin, {r.marginAsset or "" for r in rows}

    try:
        assert asyncio.run(read()) == (multi, {margin_asset})
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
