"""Forwarding alerts through real Apprise to real receivers on loopback (ntfy, JSON webhook, SMTP)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.forwarding import (
    Channel,
    ChannelState,
    Forwarder,
    ForwardKind,
    QuietHours,
    backoff,
)
from marginwatch.services.forwarding_send import mask_url
from marginwatch.services.journal import Journal
from tests.forward_servers import LoopbackReceiver, smtp_server

NIGHT = datetime(2026, 12, 2, 2, 30).timestamp()  # local 02:30
NOON = datetime(2026, 12, 2, 12, 0).timestamp()


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def alert(kind: AlertKind = AlertKind.MARGIN_CALL, tier: RiskTier = RiskTier.DANGER, *, account: str = "Main",
          key: str = "mc:1", at: float = NOON) -> Alert:
    return Alert(kind=kind, account=account, tier=tier, title=f"{kind.value} on {account}", body="ETHUSDT LONG",
                 dedupe_key=key, created_at=at)


class Delays:
    """An injected sleep: records each backoff delay, returns at once (or runs `before` first)."""

    def __init__(self, before: Any = None) -> None:
        self.waited: list[float] = []
        self.before = before

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)
        if self.before is not None:
            await self.before()


def test_margin_call_goes_to_ntfy_at_priority_max_and_a_warning_at_high(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        fwd = Forwarder([Channel(server.url())], clock=lambda: NOON)
        fwd.forward(alert())
        fwd.forward(alert(AlertKind.THRESHOLD, RiskTier.WARNING, key="th:1"))
        await fwd.drain()
        await server.stop()
        by_title = {m.title: m for m in server.received}
        assert by_title["margin_call on Main"].priority == 5
        assert by_title["threshold on Main"].priority == 4
        assert by_title["margin_call on Main"].topic == "alerts"
        assert by_title["margin_call on Main"].message == "ETHUSDT LONG"

    run(main())


def test_danger_threshold_goes_at_priority_max(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        fwd = Forwarder([Channel(server.url())], clock=lambda: NOON)
        fwd.forward(alert(AlertKind.THRESHOLD, RiskTier.DANGER, key="th:d"))
        await fwd.drain()
        await server.stop()
        assert [m.priority for m in server.received] == [5]

    run(main())


def test_json_webhook_receives_title_and_body(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        fwd = Forwarder([Channel(server.url("json", "hook"))], clock=lambda: NOON)
        fwd.forward(alert())
        await fwd.drain()
        await server.stop()
        [got] = server.received
        assert got.path == "/hook"
        assert (got.body["title"], got.body["message"]) == ("margin_call on Main", "ETHUSDT LONG")

    run(main())


def test_mailto_channel_delivers_through_smtp(qapp: QApplication) -> None:
    async def main(port: int) -> None:
        url = f"mailto://127.0.0.1:{port}?from=watch@example.com&to=trader@example.com"
        fwd = Forwarder([Channel(url)], clock=lambda: NOON)
        fwd.forward(alert())
        await fwd.drain()

    with smtp_server() as (port, messages):
        run(main(port))
    [mail] = messages
    assert mail["Subject"] == "margin_call on Main"
    assert "trader@example.com" in mail["To"]


def test_filters_pick_kinds_and_accounts(qapp: QApplication, tmp_path: Path) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        channel = Channel(server.url(), kinds=frozenset({ForwardKind.MARGIN_CALL}), accounts=frozenset({"Main"}))
        with Journal.open(tmp_path / "j.sqlite3") as journal:
            fwd = Forwarder([channel], journal=journal, clock=lambda: NOON)
            fwd.forward(alert(AlertKind.THRESHOLD, RiskTier.WARNING, key="th:w"))
            fwd.forward(alert(account="Other", key="mc:other"))
            fwd.forward(alert(key="mc:main"))
            await fwd.drain()
            states = {r["dedupe_key"]: r["state"] for r in journal.deliveries()}
        await server.stop()
        assert [m.title for m in server.received] == ["margin_call on Main"]
        assert states == {"th:w": "skipped", "mc:other": "skipped", "mc:main": "sent"}

    run(main())


def test_quiet_hours_drop_a_warning_at_night_but_not_a_margin_call(qapp: QApplication) -> None:
    async def main(now: float) -> list[str]:
        server = await LoopbackReceiver().start()
        channel = Channel(server.url(), quiet_hours=QuietHours.parse("23:00-07:00"))
        fwd = Forwarder([channel], clock=lambda: now)
        fwd.forward(alert(AlertKind.THRESHOLD, RiskTier.WARNING, key="th:w", at=now))
        fwd.forward(alert(AlertKind.STREAM_DOWN, RiskTier.WARNING, key="down:1", at=now))
        fwd.forward(alert(key="mc:1", at=now))
        await fwd.drain()
        await server.stop()
        return sorted(m.title for m in server.received)

    assert run(main(NIGHT)) == ["margin_call on Main"]
    assert run(main(NOON)) == ["margin_call on Main", "stream_down on Main", "threshold on Main"]


def test_server_errors_are_retried_with_backoff_and_sent_once(qapp: QApplication, tmp_path: Path) -> None:
    async def main() -> None:
        server = await LoopbackReceiver(statuses=[500, 500]).start()
        delays = Delays()
        with Journal.open(tmp_path / "j.sqlite3") as journal:
            fwd = Forwarder([Channel(server.url())], journal=journal, clock=lambda: NOON, sleep=delays)
            fwd.forward(alert())
            await fwd.drain()
            [row] = journal.deliveries("mc:1")
        await server.stop()
        assert server.requests_seen == 3
        assert len(server.received) == 1
        assert delays.waited == [2.0, 4.0]
        assert (row["state"], row["attempts"]) == ("sent", 3)

    run(main())


def test_alert_raised_while_the_channel_is_down_is_sent_late_when_it_comes_back(qapp: QApplication) -> None:
    async def main() -> None:
        server = LoopbackReceiver()  # not listening yet: connection refused
        now = [NOON]

        async def come_back() -> None:
            now[0] += 120
            await server.start()

        fwd = Forwarder([Channel(server.url())], clock=lambda: now[0], sleep=Delays(come_back))
        fwd.forward(alert(at=NOON))
        await fwd.drain()
        await server.stop()
        [got] = server.received
        assert got.title == "[late] margin_call on Main"
        assert datetime.fromtimestamp(NOON).strftime("%Y-%m-%d %H:%M:%S") in got.message
        assert got.priority == 5

    run(main())


def test_one_alert_is_sent_once_per_channel_even_across_restarts(qapp: QApplication, tmp_path: Path) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        other = await LoopbackReceiver().start()
        channels = [Channel(server.url()), Channel(other.url())]
        with Journal.open(tmp_path / "j.sqlite3") as journal:
            fwd = Forwarder(channels, journal=journal, clock=lambda: NOON)
            fwd.forward(alert())
            fwd.forward(alert())
            await fwd.drain()
            again = Forwarder(channels, journal=journal, clock=lambda: NOON)  # the next run, same journal
            again.forward(alert())
            await again.drain()
        await server.stop()
        await other.stop()
        assert (len(server.received), len(other.received)) == (1, 1)

    run(main())


def test_a_channel_failing_repeatedly_is_reported_and_its_recovery_too(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver(statuses=[401, 401, 401]).start()
        fwd = Forwarder([Channel(server.url())], clock=lambda: NOON, sleep=Delays())
        states: list[tuple[str, str, str]] = []
        fwd.channel_state_changed.connect(lambda name, state, why: states.append((name, state, why)))
        fwd.forward(alert())
        await fwd.drain()
        await server.stop()
        name = mask_url(server.url())
        assert states == [(name, "failing", "HTTP 401 (unauthorized)"), (name, "ok", "")]
        assert fwd.channel_state(fwd.channels[0]) is ChannelState.OK

    run(main())


def test_retries_stop_once_the_alert_is_no_longer_current(qapp: QApplication, tmp_path: Path) -> None:
    async def main() -> None:
        server = LoopbackReceiver()  # never comes up
        with Journal.open(tmp_path / "j.sqlite3") as journal:
            fwd = Forwarder([Channel(server.url())], journal=journal, clock=lambda: NOON, sleep=Delays(),
                            current_for_s=10)
            fwd.forward(alert())
            await fwd.drain()
            [row] = journal.deliveries()
        assert (row["state"], row["reason"], row["attempts"]) == ("failed", "gave up: connection refused", 4)

    run(main())


def test_channel_url_never_reaches_logs_or_the_journal(
    qapp: QApplication, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token, topic = "tk_S3cretTokenValue", "private-topic-9f3a"

    async def main() -> None:
        server = await LoopbackReceiver(statuses=[500]).start()
        url = f"ntfy://{token}@127.0.0.1:{server.port}/{topic}"
        with Journal.open(tmp_path / "j.sqlite3") as journal:
            fwd = Forwarder.from_specs(
                [url, "env:MW_TEST_FORWARD", "nosuchscheme://" + token], environ={"MW_TEST_FORWARD": url},
                journal=journal, clock=lambda: NOON, sleep=Delays(),
            )
            fwd.forward(alert())
            await fwd.drain()
            rows = journal.deliveries()
        await server.stop()
        assert len(server.received) == 1  # the same URL twice is one destination
        assert {r["state"] for r in rows} == {"sent"}
        assert all(token not in str(r) and topic not in str(r) for r in rows)
        assert fwd.problems and all(token not in p for p in fwd.problems)

    with caplog.at_level(logging.DEBUG):
        run(main())
    # pytest also hooks the non-propagating `apprise` logger, whose raw lines the app never shows.
    assert logging.getLogger("apprise").propagate is False
    shown = [r.getMessage() for r in caplog.records if not r.name.startswith("apprise")]
    assert any("forwarding" in line for line in shown), "nothing logged: the check below would prove nothing"
    assert all(token not in line and topic not in line for line in shown)
    for f in tmp_path.iterdir():
        data = f.read_bytes()
        assert token.encode() not in data and topic.encode() not in data


def test_closing_stops_retries_in_backoff_at_once_and_leaves_them_queued(qapp: QApplication, tmp_path: Path) -> None:
    async def main() -> None:
        never = asyncio.Event()
        started_waiting = asyncio.Event()

        async def backoff_forever() -> None:
            started_waiting.set()
            await never.wait()

        server = LoopbackReceiver()  # down
        with Journal.open(tmp_path / "j.sqlite3") as journal:
            fwd = Forwarder([Channel(server.url())], journal=journal, clock=lambda: NOON,
                            sleep=Delays(backoff_forever))
            fwd.forward(alert())
            await started_waiting.wait()
            await asyncio.wait_for(fwd.aclose(timeout_s=60), 10)  # not the 60 s a send in flight may take
            [row] = journal.deliveries()
        assert (row["state"], row["reason"]) == ("queued", "retrying: connection refused")

    run(main())


def test_mask_url_keeps_scheme_and_server_only() -> None:
    assert mask_url("ntfy://tk_abc@ntfy.example.com:8443/secret-topic?priority=max") == "ntfy://****@ntfy.example.com:8443/…"
    assert mask_url("json://127.0.0.1:9000") == "json://127.0.0.1:9000"
    assert mask_url("tgram://123456:BOTTOKEN/987") == "tgram://****"
    assert mask_url("not a url") == "<unreadable URL>"
    assert "pw" not in repr(Channel("mailto://me:pw@mail.example.com"))


def test_bad_channel_specs_are_reported_and_the_good_ones_kept(qapp: QApplication) -> None:
    fwd = Forwarder.from_specs(["env:MW_NOT_SET", "ntfy://127.0.0.1:1/t"], environ={})
    assert fwd.problems == ["Forwarding to env:MW_NOT_SET is off: environment variable MW_NOT_SET is not set."]
    assert [c.name for c in fwd.channels] == ["ntfy://127.0.0.1:1/…"]


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert backoff(30) == 300.0


def test_quiet_hours_across_midnight() -> None:
    q = QuietHours.parse("23:00-07:00")
    assert q.contains(datetime(2026, 1, 1, 23, 30)) and q.contains(datetime(2026, 1, 1, 6, 59))
    assert not q.contains(datetime(2026, 1, 1, 7, 0)) and not q.contains(datetime(2026, 1, 1, 12, 0))
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        QuietHours.parse("late")



def test_a_retry_under_way_goes_on_when_its_channel_is_edited(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver(statuses=[500]).start()
        fwd: Forwarder

        async def edit() -> None:  # in the backoff after the failed first send: same URL, new name and filters
            fwd.set_channels([Channel(server.url(), frozenset({ForwardKind.HEALTH}), label="Phone")])

        fwd = Forwarder([Channel(server.url())], clock=lambda: NOON, sleep=Delays(edit))
        fwd.forward(alert())
        await fwd.drain()
        await server.stop()
        assert [m.title for m in server.received] == ["[late] margin_call on Main"]
        assert [c.label for c in fwd.channels] == ["Phone"]

    run(main())


def test_a_retry_under_way_stops_when_its_channel_is_removed(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver(statuses=[500]).start()
        fwd: Forwarder

        async def remove() -> None:
            fwd.set_channels([])

        fwd = Forwarder([Channel(server.url())], clock=lambda: NOON, sleep=Delays(remove))
        states: list[tuple[str, str]] = []
        fwd.delivery_changed.connect(lambda _k, _ch, state, why: states.append((state, why)))
        fwd.forward(alert())
        await fwd.drain()
        await server.stop()
        assert server.received == [] and server.requests_seen == 1
        assert states[-1] == ("failed", "channel removed")

    run(main())
