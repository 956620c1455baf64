"""The banner shows the worst active condition: a later, milder alert does not hide a danger, and a
condition leaves once its subject is back below the alert's tier."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from marginwatch.core.alert_rules import Metric, ThresholdAlert
from marginwatch.core.position import PositionSide
from marginwatch.core.risk_tiers import RiskBands, RiskTier
from marginwatch.services.active_conditions import ActiveConditions
from marginwatch.services.journal import Journal
from tests.ui.risk_factories import account_risk, position_risk

D = Decimal
WAIT_S = 10


def sol(distance: str) -> object:
    return position_risk(symbol="SOLUSDT", side=PositionSide.LONG, distance=distance, ratio="0.18")


def bnb(distance: str) -> object:
    return position_risk(symbol="BNBUSDT", side=PositionSide.LONG, distance=distance, ratio="0.18")


def alert(subject: str, level: RiskTier, metric: Metric = Metric.DISTANCE) -> ThresholdAlert:
    return ThresholdAlert("main", subject, metric, level, D(3), D(5))


def test_the_worst_condition_wins_over_a_later_milder_one_and_leaves_when_it_eases() -> None:
    conditions = ActiveConditions()
    conditions.add_threshold(alert("SOLUSDT LONG", RiskTier.DANGER), "SOL danger")
    conditions.add_threshold(alert("BNBUSDT LONG", RiskTier.WARNING), "BNB warning")
    worst = conditions.worst()
    assert worst is not None and (worst.text, worst.tier) == ("SOL danger", RiskTier.DANGER)
    # Still in danger by distance, though the alert came from the ratio: it stays.
    conditions.ease("main", account_risk(sol("3"), bnb("8")), RiskBands())
    assert conditions.worst() is not None and conditions.worst().text == "SOL danger"  # type: ignore[union-attr]
    conditions.ease("main", account_risk(sol("30"), bnb("8")), RiskBands())
    worst = conditions.worst()
    assert worst is not None and worst.text == "BNB warning"
    conditions.ease("main", account_risk(sol("30")), RiskBands())  # BNB closed
    assert conditions.worst() is None


def test_a_milder_alert_on_the_same_subject_does_not_replace_its_worse_one() -> None:
    conditions = ActiveConditions()
    conditions.add_threshold(alert("SOLUSDT LONG", RiskTier.DANGER), "SOL danger")
    conditions.add_threshold(alert("SOLUSDT LONG", RiskTier.WARNING, Metric.MARGIN_RATIO), "SOL ratio warning")
    assert conditions.worst().text == "SOL danger"  # type: ignore[union-attr]
    conditions.add("down:main:user", "main", RiskTier.WARNING, "user stream down")
    assert conditions.worst().text == "SOL danger"  # type: ignore[union-attr]
    conditions.forget_account("main")
    assert conditions.worst() is None


def test_the_window_banner_keeps_the_danger_raised_at_start_over_a_warning_raised_after_it(
    alert_path_app, in_qasync_loop, tmp_path: Path
) -> None:
    app = alert_path_app(Journal.open(tmp_path / "journal.sqlite3"))
    banner = app.controller.window.alert_banner

    async def scenario() -> list[tuple[RiskTier, str]]:
        delivered = app.deliveries(2)
        # At start both fire in one snapshot, SOLUSDT's danger first and BNBUSDT's warning last.
        app.controller._on_risk("main", account_risk(sol("3.3"), bnb("8")))
        await asyncio.wait_for(delivered, WAIT_S)
        seen = [(banner.tier, banner.text())]
        app.controller._on_risk("main", account_risk(sol("30"), bnb("8")))  # SOLUSDT eased to calm
        seen.append((banner.tier, banner.text()))
        return seen

    (first_tier, first_text), (then_tier, then_text) = in_qasync_loop(scenario)
    assert first_tier is RiskTier.DANGER and "SOLUSDT" in first_text
    assert then_tier is RiskTier.WARNING and "BNBUSDT" in then_text


def test_a_stream_down_is_held_until_restored_and_a_margin_call_until_cleared(qapp: object) -> None:
    from marginwatch.core.alert_rules import StreamDownAlert
    from marginwatch.services.alert import margin_call_alert, stream_alert
    from tests.services.alert_factories import margin_call

    conditions = ActiveConditions()
    conditions.hold(stream_alert(StreamDownAlert("main", "user", 61.0, None)), "user stream down")
    call = margin_call_alert("main", margin_call())
    conditions.hold(call, "margin call")
    assert conditions.worst().text == "margin call"  # type: ignore[union-attr]
    conditions.remove(call.dedupe_key)  # the engine cleared it
    assert conditions.worst().text == "user stream down"  # type: ignore[union-attr]
    conditions.hold(stream_alert(StreamDownAlert("main", "user", 0.0, None, restored=True)), "restored")
    assert conditions.worst() is None
