"""`marginwatch-cli sim --scenario crash --speed 10` as its own process: a client gets a MARGIN_CALL in 30 s."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from marginwatch.core.events import MarginCall, decode_user_event
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.rest_client import BinanceRestClient


def start_sim() -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "marginwatch.cli", "sim", "--port", "0", "--scenario", "crash", "--speed", "10"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
