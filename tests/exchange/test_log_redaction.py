"""The logging set-up masks listenKeys and API keys in every record, even at DEBUG."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from marginwatch.exchange.log_redaction import RedactSecrets, configure_logging
from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
from marginwatch.exchange.sim.server import SimulatedExchange
from tests.exchange.session_harness import running_session, wait_until

LISTEN_KEY = "pqkHYWaUvRoV6ZXwlKsGmbyGGTTKpHCi1KKHMjjO2FQ0RxZkDLhWObaGDU7oyB7k"


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """What the app's logging set-up writes with MARGINWATCH_LOG=DEBUG, in a buffer."""
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    handler = configure_logging("DEBUG", stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def redacted(msg: str, *args: object) -> str:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)
    assert RedactSecrets().filter(record)
    return record.getMessage()


def test_keys_are_masked_in_the_message_and_its_arguments_and_the_rest_is_kept() -> None:
    assert redacted("> GET /private/ws/%s HTTP/1.1", LISTEN_KEY) == "> GET /private/ws/pqkH… HTTP/1.1"
    frame = redacted(f'< TEXT {{"listenKey":"{LISTEN_KEY}"}} [%d bytes]', 90)
    assert frame == '< TEXT {"listenKey":"pqkH…"} [90 bytes]'
    assert redacted("X-MBX-APIKEY: %s", DEMO_API_KEY) == "X-MBX-APIKEY: mwDe…"
    # what is no key stays as it was: times, prices, symbols, short ids
    assert redacted("E=%d p=%s s=%s", 1693427319838, "101234.50", "BTCUSDT") == "E=1693427319838 p=101234.50 s=BTCUSDT"


def test_a_traceback_that_names_a_key_is_masked(debug_log: io.StringIO) -> None:
    try:
        raise ValueError(f"bad url ws://x/private/ws/{LISTEN_KEY}")
    except ValueError:
        logging.getLogger("marginwatch.test").exception("connect failed")
    text = debug_log.getvalue()
    assert "connect failed" in text and "ValueError: bad url ws://x/private/ws/pqkH…" in text
    assert LISTEN_KEY not in text


def test_an_unknown_level_falls_back_to_info_and_says_so() -> None:
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    handler = configure_logging("LOUD", stream=buffer)
    try:
        assert root.level == logging.INFO
        assert "MARGINWATCH_LOG='LOUD' is no logging level" in buffer.getvalue()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.mark.asyncio
async def test_a_debug_log_of_a_session_holds_neither_the_listen_key_nor_the_api_key(
    debug_log: io.StringIO,
) -> None:
    keys: list[str] = []
    async with SimulatedExchange(tick_interval=0.05) as sim, running_session(sim) as (session, _probe):
        assert sim.listen_key is not None
        keys.append(sim.listen_key)
        sim.engine.emit_margin_call("SOLUSDT")
        sim.faults.expire_listen_key()  # a listenKeyExpired frame, a POST and a second handshake
        await wait_until(lambda: sim.listen_key not in (None, keys[0]) and session.counters["listen_key_expired"] == 1)
        keys.append(sim.listen_key or "")
        await wait_until(lambda: any(keys[1] in c.listen_keys for c in sim.hub.of(("private",))))
    text = debug_log.getvalue()
    assert "GET /private/ws/" in text and "listenKeyExpired" in text  # the lines that used to carry them
    for secret in (*keys, DEMO_API_KEY, DEMO_API_SECRET):
        assert secret not in text


def test_setting_up_again_replaces_the_handler_so_no_line_is_written_twice(debug_log: io.StringIO) -> None:
    root = logging.getLogger()
    again = io.StringIO()
    handler = configure_logging("DEBUG", stream=again)
    try:
        logging.getLogger("marginwatch.test").info("once")
        assert again.getvalue().count("once") == 1 and "once" not in debug_log.getvalue()
        assert sum(isinstance(h, type(handler)) for h in root.handlers) == 1
    finally:
        root.removeHandler(handler)
