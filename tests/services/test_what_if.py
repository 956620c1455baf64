"""WhatIfService: price shocks off the GUI thread, the latest shock and state win, close drops results."""

from __future__ import annotations

from decimal import Decimal

from pytestqt.qtbot import QtBot

from marginwatch.core.account_state import AccountState
from marginwatch.core.events import MarkPriceUpdate
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.price_shock import Shock, shock_account
from marginwatch.exchange.sim.market import bracket_entries, bracket_tables
from marginwatch.services.what_if import WhatIfService

D = Decimal


def state_with(count: int) -> AccountState:
    btc = bracket_tables(bracket_entries())["BTCUSDT"]
    positions = [
        Position(symbol=f"S{i}USDT", position_side=PositionSide.BOTH, amount=D("0.01"), entry_price=D(100 + i),
                 mark_price=D(100 + i), margin_type=MarginType.CROSS, leverage=20)
        for i in range(count)
    ]
    state = AccountState()
    state.reseed(positions, D("0.5"), {p.symbol: btc for p in positions})
    return state


def test_the_result_is_the_cores_for_the_latest_shock_and_state_asked_while_one_ran(qtbot: QtBot) -> None:
    service = WhatIfService()
    state = state_with(200)
    got: list[tuple[Shock, object]] = []
    service.computed.connect(lambda shock, results: got.append((shock, results)))
    service.request([("main", state)], Shock(D(-1)))
    assert service.busy
    # A drag: three more steps and a mark move while the first runs; one more computation, of the last.
    for pct in ("-2", "-3", "-4"):
        service.request([("main", state)], Shock(D(pct)))
    state.apply_mark_prices([MarkPriceUpdate(event_time=1, symbol="S0USDT", mark_price_text="90")])
    service.request([("main", state)], Shock(D(-4)))
    qtbot.waitUntil(lambda: len(got) == 2 and not service.busy, timeout=10000)
    assert [shock.pct for shock, _ in got] == [D(-1), D(-4)]
    [(account, result)] = got[-1][1]  # type: ignore[misc]
    expected = shock_account(tuple(state.positions().values()), state.cross_wallet_balance, state.brackets,
                             Shock(D(-4)))  # fmt: skip
    assert account == "main" and result == expected
    service.close()


def test_close_drops_the_computation_in_flight_and_the_pending_one(qtbot: QtBot) -> None:
    service = WhatIfService()
    got: list[object] = []
    service.computed.connect(lambda _s, results: got.append(results))
    service.request([("main", state_with(50))], Shock(D(-5)))
    service.request([("main", state_with(50))], Shock(D(-6)))
    service.close()
    assert not service.busy
    with qtbot.assertNotEmitted(service.computed, wait=300):
        pass
    assert got == []


def test_a_shock_that_cannot_be_computed_is_said_and_the_next_one_still_runs(qtbot: QtBot) -> None:
    service = WhatIfService()
    state = state_with(3)
    failures: list[str] = []
    got: list[object] = []
    service.failed.connect(failures.append)
    service.computed.connect(lambda _s, results: got.append(results))
    service.request([("main", state)], Shock(D(-5), betas={"S0USDT": "fast"}))  # type: ignore[dict-item]
    qtbot.waitUntil(lambda: bool(failures) and not service.busy, timeout=5000)
    assert failures[0].startswith("TypeError")
    service.request([("main", state)], Shock(D(-5)))
    qtbot.waitUntil(lambda: len(got) == 1, timeout=5000)
    service.close()
