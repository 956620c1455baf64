"""When ADL and funding alert: the top ADL bucket once per entry, and a funding payment that would
move the cross account or an isolated position to a worse tier, once per settlement."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.adl_funding_rules import AdlFundingMonitor, AdlTopBucket, FundingCrossing
from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.funding import FundingEstimate
from marginwatch.core.position import MarginType, PositionSide
from marginwatch.core.risk_tiers import RiskTier
from tests.ui.risk_factories import account_risk, position_risk

D = Decimal
POLICY = AlertPolicy()  # warning at 50 %, danger at 80 %; distance 10 % / 5 %
NEXT = 1_700_028_800_000


def with_adl(pr: PositionRisk, q: int | None) -> PositionRisk:
    return replace(pr, position=replace(pr.position, adl_quantile=q))


def test_the_top_bucket_fires_once_per_entry_and_again_after_leaving_it() -> None:
    m = AdlFundingMonitor()
    btc = position_risk("BTCUSDT", side=PositionSide.LONG)
    assert m.observe("main", account_risk(with_adl(btc, 3)), POLICY) == []
    assert m.observe("main", account_risk(with_adl(btc, 4)), POLICY) == [AdlTopBucket("main", "BTCUSDT", "LONG")]
    assert m.observe("main", account_risk(with_adl(btc, 4)), POLICY) == []
    assert m.observe("other", account_risk(with_adl(btc, 4)), POLICY) == [AdlTopBucket("other", "BTCUSDT", "LONG")]
    assert m.observe("main", account_risk(with_adl(btc, 2)), POLICY) == []
    assert m.observe("main", account_risk(with_adl(btc, 4)), POLICY) == [AdlTopBucket("main", "BTCUSDT", "LONG")]


def cross_account(payment: str, ratio: str = "0.48") -> AccountRisk:
    pr = replace(position_risk(ratio=ratio), funding=FundingEstimate(D("0.001"), NEXT, D(payment)))
    # maint 2100 over margin balance 4375 is 48 %
    return replace(account_risk(pr, ratio=ratio), cross_maint_margin=D("2100"), cross_margin_balance=D("4375"))


def test_a_cross_payment_that_would_lift_the_account_ratio_into_warning_fires_once_for_that_settlement() -> None:
    m = AdlFundingMonitor()
    assert m.observe("main", cross_account("-50"), POLICY) == []  # 2100 / 4325 = 48.6 %: still calm
    (notice,) = m.observe("main", cross_account("-200"), POLICY)  # 2100 / 4175 = 50.3 %
    assert isinstance(notice, FundingCrossing)
    assert (notice.subject, notice.level_now, notice.level_after) == ("account", RiskTier.CALM, RiskTier.WARNING)
    assert notice.payment == D("-200") and notice.next_time_ms == NEXT
    assert notice.ratio_after == D("2100") / D("4175")
    assert m.observe("main", cross_account("-210"), POLICY) == []  # the same settlement: said already
    assert m.observe("main", cross_account("-200"), POLICY, funding=False) == []
    assert m.observe("main", cross_account("+200"), POLICY) == []  # receiving never worsens


def test_an_isolated_payment_that_brings_liquidation_inside_the_danger_distance_fires() -> None:
    m = AdlFundingMonitor()
    pr = position_risk(margin_type=MarginType.ISOLATED, ratio="0.3", distance="5.5")
    pr = replace(pr, position=replace(pr.position, isolated_wallet=D("1000")),
                 funding=FundingEstimate(D("0.002"), NEXT, D("-61"), D("57400"), D("4.9")))
    (notice,) = m.observe("main", account_risk(pr, ratio=None), POLICY)
    assert isinstance(notice, FundingCrossing)
    assert notice.subject == "BTCUSDT BOTH" and notice.level_after is RiskTier.DANGER
    assert notice.level_now is RiskTier.WARNING and notice.distance_after_pct == D("4.9")
    assert notice.ratio_after == D("100") / (D("1000") - D("61") + D("500"))
