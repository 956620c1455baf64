"""PositionsModel: roles, tier colours with text, incremental change signals, proxy sorting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush
from pytestqt.qtbot import QtBot

from marginwatch import pacing
from marginwatch.core.position import MarginType, PositionSide
from marginwatch.core.risk_tiers import RiskBands, RiskTier, TierThresholds
from marginwatch.ui.formatting import format_decimal, format_price, format_quantity, places_for_step
from marginwatch.ui.positions_model import Column, KeyRole, PositionsModel, SortRole, TierRole
from marginwatch.ui.tier_style import TIER_COLOURS
from tests.ui.risk_factories import account_risk, position_risk

DISPLAY = Qt.ItemDataRole.DisplayRole


class Recorder:
    """Counts the model's structural and change signals."""

    def __init__(self, model: PositionsModel) -> None:
        self.changed: list[tuple[int, int, int]] = []  # (row, first col, last col), a signal over rows split
        self.signals = 0
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.resets = 0
        model.dataChanged.connect(self._changed)
        model.rowsInserted.connect(lambda _p, a, b: self.inserted.append((a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.removed.append((a, b)))
        model.modelReset.connect(self._reset)
        model.layoutChanged.connect(self._reset)

    def _reset(self, *_: object) -> None:
        self.resets += 1

    def _changed(self, a: QModelIndex, b: QModelIndex, *_: object) -> None:
        self.signals += 1
        self.changed.extend((row, a.column(), b.column()) for row in range(a.row(), b.row() + 1))

    def cells(self) -> set[tuple[int, int]]:
        return {(row, col) for row, first, last in self.changed for col in range(first, last + 1)}


def cell(model: PositionsModel, row: int, col: Column, role: int = DISPLAY) -> Any:
    return model.data(model.index(row, col), role)


@pytest.fixture
def model(qtbot: object) -> PositionsModel:
    return PositionsModel()


def test_formatting_helpers() -> None:
    assert places_for_step(Decimal("0.10"), 2) == 1
    assert places_for_step(Decimal("1"), 2) == 0
    assert places_for_step(None, 3) == 3
    assert format_price(Decimal("65432.149"), Decimal("0.1")) == "65,432.1"
    assert format_price(Decimal("0"), Decimal("0.1")) == "--"
    assert format_price(None) == "--"
    assert format_quantity(Decimal("0.5000")) == "0.5"
    assert format_quantity(Decimal("1.23456"), Decimal("0.001")) == "1.235"
    assert format_decimal(Decimal("-0.001"), 2) == "0.00"
    assert format_decimal(Decimal("12.5"), 2, signed=True) == "+12.50"


def test_display_roles_and_alignment(model: PositionsModel) -> None:
    model.update_account("main", account_risk(position_risk()), tick_sizes={"BTCUSDT": Decimal("0.10")})
    assert model.rowCount() == 1
    assert cell(model, 0, Column.SYMBOL) == "BTCUSDT"
    assert cell(model, 0, Column.SIDE) == "Long"
    assert cell(model, 0, Column.SIZE) == "0.5"
    assert cell(model, 0, Column.ENTRY) == "60,000.0"
    assert cell(model, 0, Column.MARK) == "61,000.0"
    assert cell(model, 0, Column.LIQ) == "50,000.0"
    assert cell(model, 0, Column.DISTANCE) == "18.03 % calm"
    assert cell(model, 0, Column.MARGIN_TYPE) == "Cross"
    assert cell(model, 0, Column.MARGIN_RATIO) == "20.00 % calm"
    assert cell(model, 0, Column.UPNL) == "+500.00"
    assert cell(model, 0, Column.MARK, SortRole) == pytest.approx(61000.0)
    assert cell(model, 0, Column.MARK, Qt.ItemDataRole.EditRole) == pytest.approx(61000.0)
    assert cell(model, 0, Column.SYMBOL, SortRole) == "BTCUSDT"
    assert cell(model, 0, Column.SYMBOL, KeyRole) == ("main", "BTCUSDT", "BOTH")
    align = cell(model, 0, Column.MARK, Qt.ItemDataRole.TextAlignmentRole)
    assert align & Qt.AlignmentFlag.AlignRight
    assert cell(model, 0, Column.SYMBOL, Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignLeft


def test_short_and_missing_figures(model: PositionsModel) -> None:
    pr = position_risk(amount="-2", liq=None, distance=None, ratio=None, pnl="-3.456")
    model.update_account("main", account_risk(pr))
    assert cell(model, 0, Column.SIDE) == "Short"
    assert cell(model, 0, Column.SIZE) == "2"
    assert cell(model, 0, Column.LIQ) == "--"
    assert cell(model, 0, Column.DISTANCE) == "--"
    assert cell(model, 0, Column.MARGIN_RATIO) == "--"
    assert cell(model, 0, Column.UPNL) == "-3.46"
    assert cell(model, 0, Column.MARGIN_RATIO, TierRole) == RiskTier.UNKNOWN
    assert cell(model, 0, Column.DISTANCE, SortRole) == float("inf")


@pytest.mark.parametrize(
    ("ratio", "tier", "text"),
    [
        ("0.2", RiskTier.CALM, "20.00 % calm"),
        ("0.6", RiskTier.WARNING, "60.00 % △ warning"),
        ("0.832", RiskTier.DANGER, "83.20 % ▲ danger"),
    ],
)
def test_ratio_cell_tier_colour_and_words(model: PositionsModel, ratio: str, tier: RiskTier, text: str) -> None:
    model.update_account("main", account_risk(position_risk(ratio=ratio)))
    assert cell(model, 0, Column.MARGIN_RATIO, TierRole) == tier
    # The tier is readable without colour.
    assert cell(model, 0, Column.MARGIN_RATIO) == text
    background, foreground = TIER_COLOURS[tier]
    bg = cell(model, 0, Column.MARGIN_RATIO, Qt.ItemDataRole.BackgroundRole)
    fg = cell(model, 0, Column.MARGIN_RATIO, Qt.ItemDataRole.ForegroundRole)
    if background is None:
        assert bg is None and fg is None
    else:
        assert isinstance(bg, QBrush) and bg.color() == background
        assert isinstance(fg, QBrush) and fg.color() == foreground
    # Cells other than the ratio and distance keep the palette (this one at 18 % is calm anyway).
    assert cell(model, 0, Column.MARK, Qt.ItemDataRole.BackgroundRole) is None


def test_thresholds_recolour(model: PositionsModel) -> None:
    model.update_account("main", account_risk(position_risk(ratio="0.6")))
    rec = Recorder(model)
    model.set_bands(RiskBands(TierThresholds(warning=Decimal("0.3"), danger=Decimal("0.55"))))
    assert cell(model, 0, Column.MARGIN_RATIO, TierRole) == RiskTier.DANGER
    # The ratio's text and colour, and the distance's tooltip (it names what sets the tier).
    assert rec.changed == [(0, Column.DISTANCE, Column.DISTANCE), (0, Column.MARGIN_RATIO, Column.MARGIN_RATIO)]


def test_exchange_liquidation_marker(model: PositionsModel) -> None:
    tick = {"BTCUSDT": Decimal("0.1"), "ETHUSDT": Decimal("0.01")}
    model.update_account(
        "main",
        account_risk(
            position_risk(liq="50000", exchange_liq="50000.1"),  # within a tick: no marker
            position_risk(symbol="ETHUSDT", liq="2000", exchange_liq="1990.5"),
        ),
        tick_sizes=tick,
    )
    assert cell(model, 0, Column.LIQ) == "50,000.0"
    assert cell(model, 0, Column.LIQ, Qt.ItemDataRole.ToolTipRole) is None
    assert cell(model, 1, Column.LIQ) == "2,000.00 ≠"
    tip = cell(model, 1, Column.LIQ, Qt.ItemDataRole.ToolTipRole)
    assert isinstance(tip, str) and "1,990.50" in tip and "2,000.00" in tip


def test_exchange_liquidation_marker_compares_figures_from_the_same_snapshot(model: PositionsModel) -> None:
    tick = {"BTCUSDT": Decimal("0.1"), "ETHUSDT": Decimal("0.01")}
    model.update_account(
        "main",
        account_risk(
            # Marks moved since the snapshot: the live figure drifted, the snapshot's pair agrees.
            position_risk(liq="48000", exchange_liq="50000.1", snapshot_liq="50000"),
            # The live figure happens to equal the exchange's, but at the snapshot they differed.
            position_risk(symbol="ETHUSDT", liq="1990.5", exchange_liq="1990.5", snapshot_liq="2000"),
        ),
        tick_sizes=tick,
    )
    assert cell(model, 0, Column.LIQ) == "48,000.0"
    assert cell(model, 0, Column.LIQ, Qt.ItemDataRole.ToolTipRole) is None
    assert cell(model, 1, Column.LIQ) == "1,990.50 ≠"
    tip = cell(model, 1, Column.LIQ, Qt.ItemDataRole.ToolTipRole)
    assert isinstance(tip, str) and "1,990.50" in tip and "2,000.00" in tip


def test_a_tooltip_only_change_is_announced_to_views(model: PositionsModel) -> None:
    tick = {"BTCUSDT": Decimal("0.1")}
    model.update_account("main", account_risk(position_risk(liq="50000", exchange_liq="49000")), tick_sizes=tick)
    assert cell(model, 0, Column.LIQ) == "50,000.0 ≠"
    announced: list[tuple[int, int, int, int, list[int]]] = []
    model.dataChanged.connect(
        lambda a, b, roles: announced.append((a.row(), a.column(), b.row(), b.column(), list(roles)))
    )
    # The exchange's figure moved but still differs from ours: the text stays, the tooltip is new.
    model.update_account("main", account_risk(position_risk(liq="50000", exchange_liq="48000")), tick_sizes=tick)
    assert cell(model, 0, Column.LIQ) == "50,000.0 ≠"
    assert "48,000.0" in cell(model, 0, Column.LIQ, Qt.ItemDataRole.ToolTipRole)
    ((row, first, last_row, last, roles),) = announced
    assert (row, first, last_row, last) == (0, Column.LIQ, 0, Column.LIQ)
    assert roles == [] or Qt.ItemDataRole.ToolTipRole in roles  # no roles: every role may have changed


def test_one_mark_change_touches_only_changed_cells(model: PositionsModel) -> None:
    eth = position_risk(symbol="ETHUSDT", mark="2000", liq="1500", distance="25", ratio="0.2")
    model.update_account("main", account_risk(position_risk(), eth))
    rec = Recorder(model)
    # Same figures again: nothing to say.
    model.update_account("main", account_risk(position_risk(), eth))
    assert rec.changed == []
    moved = position_risk(symbol="ETHUSDT", mark="2010", liq="1500", distance="25.37", ratio="0.2", pnl="510")
    model.update_account("main", account_risk(position_risk(), moved))
    assert rec.resets == 0 and rec.inserted == [] and rec.removed == []
    assert rec.changed == [
        (1, Column.MARK, Column.MARK),
        (1, Column.DISTANCE, Column.DISTANCE),
        (1, Column.UPNL, Column.UPNL),
    ]
    assert cell(model, 1, Column.MARK) == "2,010.00"


def test_open_and_close_emit_row_signals_never_reset(model: PositionsModel) -> None:
    btc = position_risk()
    eth = position_risk(symbol="ETHUSDT")
    sol = position_risk(symbol="SOLUSDT")
    model.update_account("main", account_risk(btc))
    rec = Recorder(model)
    model.update_account("main", account_risk(btc, eth, sol))
    assert rec.inserted == [(1, 2)]
    model.update_account("main", account_risk(btc, sol))
    assert rec.removed == [(1, 1)]
    assert [model.key_at(r)[1] for r in range(model.rowCount())] == ["BTCUSDT", "SOLUSDT"]
    assert model.row_of("main", "SOLUSDT", "BOTH") == 1
    # A zero-size position counts as closed.
    model.update_account("main", account_risk(btc, position_risk(symbol="SOLUSDT", amount="0")))
    assert rec.removed[-1] == (1, 1)
    assert rec.resets == 0


def test_accounts_and_hedge_legs_are_separate_rows(model: PositionsModel) -> None:
    counts: list[int] = []
    model.account_count_changed.connect(counts.append)
    long_leg = position_risk(side=PositionSide.LONG)
    short_leg = position_risk(side=PositionSide.SHORT, amount="-0.2", margin_type=MarginType.ISOLATED)
    model.update_account("a", account_risk(long_leg, short_leg))
    model.update_account("b", account_risk(position_risk()))
    assert model.rowCount() == 3 and counts == [1, 2]
    assert cell(model, 1, Column.MARGIN_TYPE) == "Isolated"
    rec = Recorder(model)
    model.remove_account("a")
    assert rec.removed == [(0, 1)]
    assert model.rowCount() == 1 and model.key_at(0) == ("b", "BTCUSDT", "BOTH")
    assert counts == [1, 2, 1]


def test_proxy_sorts_numerically(model: PositionsModel) -> None:
    model.update_account(
        "main",
        account_risk(
            position_risk(symbol="AAA", mark="9"),
            position_risk(symbol="BBB", mark="100"),
            position_risk(symbol="CCC", mark="10.5"),
        ),
    )
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SortRole)
    proxy.sort(Column.MARK, Qt.SortOrder.AscendingOrder)
    order = [proxy.data(proxy.index(r, Column.SYMBOL)) for r in range(proxy.rowCount())]
    assert order == ["AAA", "CCC", "BBB"]  # text sorting would give 10.5 < 100 < 9
    assert model.index(0, 0).parent() == QModelIndex()


def test_a_wide_update_finishes_over_loop_turns_with_every_row_refreshed(
    model: PositionsModel, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pacing, "RENDER_SLICE_S", 0.0)  # one row per loop turn
    count = 40
    symbols = [f"S{i:03d}USDT" for i in range(count)]
    model.update_account("main", account_risk(*(position_risk(symbol=s, mark="100") for s in symbols)))
    rec = Recorder(model)
    model.update_account("main", account_risk(*(position_risk(symbol=s, mark="101") for s in symbols)))
    # The figures are new at once, the texts follow on the next loop turns, a row per turn.
    assert all(model.position_risk("main", s, "BOTH").position.mark_price == Decimal("101") for s in symbols)
    assert rec.changed == [] and cell(model, 0, Column.MARK) == "100.00"
    qtbot.waitUntil(lambda: all(cell(model, r, Column.MARK) == "101.00" for r in range(count)), timeout=2000)
    assert len({row for row, _, _ in rec.changed}) == count and rec.resets == 0


def test_a_wide_update_is_announced_by_column_for_the_changed_cells_only(model: PositionsModel, qtbot: QtBot) -> None:
    count = 12  # more than are re-rendered inline: the update is announced on a later loop turn
    symbols = [f"S{i:02d}USDT" for i in range(count)]
    model.update_account("main", account_risk(*(position_risk(symbol=s, mark="100") for s in symbols)))
    rec = Recorder(model)
    moved = {0, 1, 2, 7}  # these also move their distance to liquidation; every mark and PnL moves
    model.update_account(
        "main",
        account_risk(
            *(
                position_risk(symbol=s, mark="101", pnl="501", distance="19" if i in moved else "18.03")
                for i, s in enumerate(symbols)
            )
        ),
    )
    qtbot.waitUntil(lambda: rec.signals > 0, timeout=2000)
    expected = {(r, Column.MARK) for r in range(count)} | {(r, Column.UPNL) for r in range(count)}
    expected |= {(r, Column.DISTANCE) for r in moved}
    assert rec.cells() == expected  # no unchanged cell in between (the Liq. price, the ratio) is repainted
    # One signal per column and run of adjacent rows: marks, distances 0-2 and 7, PnLs.
    assert rec.signals == 4


def test_size_and_entry_follow_their_inputs_when_only_they_change(model: PositionsModel) -> None:
    model.update_account("main", account_risk(position_risk(amount="0.5", entry="60000")))
    assert (cell(model, 0, Column.SIZE), cell(model, 0, Column.ENTRY)) == ("0.5", "60,000.00")
    model.update_account("main", account_risk(position_risk(amount="0.75", entry="60000")))
    assert cell(model, 0, Column.SIZE) == "0.75"
    model.update_account("main", account_risk(position_risk(amount="0.75", entry="60500")))
    assert cell(model, 0, Column.ENTRY) == "60,500.00"
    model.update_account(
        "main", account_risk(position_risk(amount="0.75", entry="60500")), tick_sizes={"BTCUSDT": Decimal("0.1")}
    )
    assert cell(model, 0, Column.ENTRY) == "60,500.0"
    assert model.data(model.index(0, Column.SIDE), Qt.ItemDataRole.ToolTipRole) == "Position side: BOTH"


def test_an_accounts_own_thresholds_tier_its_rows_as_its_alerts_do(model: PositionsModel) -> None:
    from marginwatch.core.risk_tiers import BandsByAccount

    model.update_account("main", account_risk(position_risk(distance="12", ratio="0.1")))
    model.update_account("strict", account_risk(position_risk(distance="12", ratio="0.1")))
    strict = RiskBands(distance_warning_pct=Decimal(20), distance_danger_pct=Decimal(8))
    model.set_bands(BandsByAccount(RiskBands(), (("strict", strict),)))
    tiers = {model.key_at(r)[0]: cell(model, r, Column.DISTANCE, TierRole) for r in range(model.rowCount())}
    assert tiers == {"main": RiskTier.CALM, "strict": RiskTier.WARNING}
    row = model.row_of("strict", "BTCUSDT", "BOTH")
    assert row is not None and cell(model, row, Column.DISTANCE) == "12.00 % △ warning"
