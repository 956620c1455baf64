"""The alerts and `position_tier` never disagree: at first sight of a snapshot, the worst level the
threshold rules raise for a position (its own alerts, and for a cross position the account's ratio
alert) is exactly its tier, whenever that tier is warning or danger; and none is raised for calm."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.alert_rules import AlertPolicy, ThresholdMonitor
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.risk_tiers import RiskTier, position_tier

D = Decimal
Z = D(0)
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT")

ratios = st.one_of(st.none(), st.integers(0, 150).map(lambda n: D(n) / 100))
distances = st.one_of(st.none(), st.integers(0, 3000).map(lambda n: D(n) / 100))


@st.composite
def accounts(draw: st.DrawFn) -> AccountRisk:
    cross_ratio = draw(ratios)
    rows = []
    for symbol in draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=4, unique=True)):
        isolated = draw(st.booleans())
        pos = Position(symbol, PositionSide.BOTH, D(1), D(100), D(100),
                       MarginType.ISOLATED if isolated else MarginType.CROSS, D(10) if isolated else Z)
        ratio = draw(ratios) if isolated else cross_ratio
        rows.append(PositionRisk(pos, D(100), Z, D(1), ratio, None, draw(distances)))
    return AccountRisk(Z, Z, Z, Z, Z, Z, Z, Z, cross_ratio, tuple(rows))


@settings(max_examples=500, deadline=None)
@given(accounts(), st.integers(5, 9), st.integers(10, 25))
def test_the_worst_alert_raised_for_a_position_is_its_tier(risk: AccountRisk, danger: int, warning: int) -> None:
    policy = AlertPolicy(distance_danger_pct=D(danger), distance_warning_pct=D(warning))
    alerts = ThresholdMonitor(policy).observe("main", risk, now=0.0)
    raised: dict[str, RiskTier] = {}
    for a in alerts:
        raised[a.subject] = max(raised.get(a.subject, RiskTier.CALM), a.level)
    for p in risk.positions:
        subject = f"{p.position.symbol} LONG"
        level = raised.get(subject, RiskTier.CALM)
        if p.position.margin_type is MarginType.CROSS:
            level = max(level, raised.get("account", RiskTier.CALM))  # its ratio is the account's
        tier = position_tier(p, policy.bands).tier
        assert level == (tier if tier >= RiskTier.WARNING else RiskTier.CALM), (p, alerts)
