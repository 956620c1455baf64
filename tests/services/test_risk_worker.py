"""RiskWorker: risk off the GUI thread, one computation at a time, the latest state wins."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot

from marginwatch.core.account_risk import assess_account
from marginwatch.core.account_state import AccountState
from marginwatch.core.events import MarkPriceUpdate
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.exchange.sim.market import bracket_entries, bracket_tables
from marginwatch.services.account_service import RiskWorker


def state_with(count: int) -> AccountState:
    btc = bracket_tables(bracket_entries())["BTCUSDT"]
    positions = [
        Position(symbol=f"S{i}USDT", position_side=PositionSide.BOTH, amount=Decimal("0.01"),
                 entry_price=Decimal(100 + i), mark_price=Decimal(100 + i), margin_type=MarginType.CROSS, leverage=20)
        for i in range(count)
    ]
    state = AccountState()
    state.reseed(positions, Decimal("500"), {p.symbol: btc for p in positions})
    return state


def test_results_match_the_state_and_requests_in_flight_coalesce(qtbot: QtBot) -> None:
    worker = RiskWorker("t")
    state = state_with(50)
    got: list[tuple[int, object]] = []
    worker.computed.connect(lambda version, risk: got.append((version, risk)))
    worker.request(state)
    assert worker.busy
    # Three more changes while the first computation runs: one more computation, of the last.
    for price in ("90", "91", "92"):
        state.apply_mark_prices([MarkPriceUpdate(event_time=1, symbol="S0USDT", mark_price_text=price)])
        worker.request(state)
    qtbot.waitUntil(lambda: len(got) == 2 and not worker.busy, timeout=5000)
    assert [v for v, _ in got] == [state.version - 3, state.version]
    expected = assess_account(state.positions().values(), state.cross_wallet_balance, state.brackets)
    assert got[-1][1] == expected
    worker.close()


@pytest.mark.parametrize("count", [0, 50])  # 0: done before its callback is even added
def test_close_drops_a_computation_in_flight(qtbot: QtBot, count: int) -> None:
    worker = RiskWorker("t")
    got: list[object] = []
    worker.computed.connect(lambda _v, risk: got.append(risk))
    worker.request(state_with(count))
    worker.close()
    assert not worker.busy
    with qtbot.assertNotEmitted(worker.computed, wait=200):
        pass
    assert got == []


def test_a_computation_that_fails_is_emitted_with_its_reason_not_only_logged(qtbot: QtBot) -> None:
    from typing import Any

    worker = RiskWorker("t")
    state = state_with(1)
    broken: Any = {"S0USDT": "not a bracket table"}  # a bug elsewhere, not bad exchange data
    state.set_brackets(broken, merge=False)
    failures: list[tuple[int, str]] = []
    worker.failed.connect(lambda version, reason: failures.append((version, reason)))
    worker.request(state)
    qtbot.waitUntil(lambda: bool(failures) and not worker.busy, timeout=5000)
    assert failures == [(state.version, "AttributeError: 'str' object has no attribute 'for_notional'")]
    worker.close()
