"""ADL and funding alerts through the alert engine: what they say, that the journal files them under
their position, and that the funding ones follow the user's setting (`funding_alerts`)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from marginwatch.core.funding import FundingEstimate
from marginwatch.core.position import PositionSide
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.alert_engine import AlertEngine
from marginwatch.services.journal import Journal, RowKind
from tests.ui.risk_factories import account_risk, position_risk

D = Decimal


def test_a_position_entering_the_top_adl_bucket_raises_one_warning_filed_under_it(tmp_path: Path) -> None:
    engine = AlertEngine()
    got: list[Alert] = []
    engine.alert_raised.connect(got.append)
    pr = position_risk("ETHUSDT", side=PositionSide.SHORT, amount="-2", ratio="0.1")
    engine.on_risk("main", account_risk(replace(pr, position=replace(pr.position, adl_quantile=4)), ratio="0.1"))
    engine.on_risk("main", account_risk(replace(pr, position=replace(pr.position, adl_quantile=4)), ratio="0.1"))
    (alert,) = got
    assert alert.kind is AlertKind.THRESHOLD and alert.tier is RiskTier.WARNING
    assert alert.title == "ADL: ETHUSDT SHORT on main is first in line"
    assert "Auto-deleveraging bucket 4 of 4" in alert.body
    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        journal.record_alert(alert)
        (row,) = journal.query(kind=RowKind.ALERT, symbol="ETHUSDT")
        assert row.data["title"] == alert.title


def test_a_funding_alert_says_when_what_and_the_ratio_after_and_the_setting_turns_it_off() -> None:
    engine = AlertEngine()
    got: list[Alert] = []
    engine.alert_raised.connect(got.append)
    pr = replace(position_risk(ratio="0.48"), funding=FundingEstimate(D("0.001"), None, D("-200")))
    risk = replace(account_risk(pr, ratio="0.48"), cross_maint_margin=D("2100"), cross_margin_balance=D("4375"))
    engine.funding_alerts = False
    engine.on_risk("main", risk)
    assert got == []
    engine.funding_alerts = True
    engine.on_risk("main", risk)
    (alert,) = got
    assert alert.tier is RiskTier.WARNING and alert.title == "Warning after funding: cross account on main"
    assert alert.body == "At the current mark and rate the funding at -- pays 200.00: margin ratio 50.3 % after it."
