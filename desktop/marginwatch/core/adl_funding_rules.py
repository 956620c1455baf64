"""When ADL and funding deserve an alert. Pure: `AdlFundingMonitor.observe` takes an account's risk
and says what is new.

ADL: a position entering the exchange's top bucket (4) fires once; it fires again only after it has
left the bucket. Funding: when the next settlement, at the current mark and rate, would move a
subject to a worse tier than it is in now (the cross account by its margin ratio once every cross
payment is made; an isolated position by the worse of its ratio and distance once it has paid), it
fires once for that settlement.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.adl import TOP_BUCKET
from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.position import ZERO
from marginwatch.core.risk import margin_ratio
from marginwatch.core.risk_tiers import RiskTier

ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class AdlTopBucket:
    account: str
    symbol: str
    side: str

    @property
    def subject(self) -> str:
        return f"{self.symbol} {self.side}"


@dataclass(frozen=True, slots=True)
class FundingCrossing:
    account: str
    subject: str  # "account" or "BTCUSDT LONG"
    level_now: RiskTier
    level_after: RiskTier
    payment: Decimal  # the subject's total payment (negative: paid)
    next_time_ms: int | None
    ratio_after: Decimal | None
    distance_after_pct: Decimal | None = None


Notice = AdlTopBucket | FundingCrossing


def _position_tier(policy: AlertPolicy, ratio: Decimal | None, distance: Decimal | None) -> RiskTier:
    tier = policy.ratio.tier_for_ratio(ratio)
    if distance is not None:
        tier = max(tier, policy.distance_level(distance))
    return tier


class AdlFundingMonitor:
    def __init__(self) -> None:
        self._top: set[tuple[str, str, str]] = set()  # (account, symbol, side) in the top bucket
        self._fired: set[tuple[str, str, int | None]] = set()  # (account, subject, settlement) said

    def forget_account(self, account: str) -> None:
        self._top = {k for k in self._top if k[0] != account}
        self._fired = {k for k in self._fired if k[0] != account}

    def observe(self, account: str, risk: AccountRisk, policy: AlertPolicy, *, funding: bool = True) -> list[Notice]:
        out: list[Notice] = []
        top_now: set[tuple[str, str, str]] = set()
        for pr in risk.positions:
            p = pr.position
            if p.is_open and p.adl_quantile is not None and p.adl_quantile >= TOP_BUCKET:
                key = (account, p.symbol, p.position_side.value)
                top_now.add(key)
                if key not in self._top:
                    out.append(AdlTopBucket(*key))
        self._top = {k for k in self._top if k[0] != account} | top_now
        if funding:
            out += self._funding(account, risk, policy)
        return out

    def _funding(self, account: str, risk: AccountRisk, policy: AlertPolicy) -> list[Notice]:
        out: list[Notice] = []
        cross = [pr for pr in risk.positions if pr.funding is not None and not pr.position.is_isolated]
        if cross and risk.margin_ratio is not None:
            paid = sum((pr.funding.payment for pr in cross if pr.funding is not None), ZERO)
            balance = risk.cross_margin_balance + paid
            after = margin_ratio(risk.cross_maint_margin, balance) if balance > 0 else None
            level_after = RiskTier.DANGER if after is None else policy.ratio.tier_for_ratio(after)
            when = min((pr.funding.next_time_ms or 0 for pr in cross if pr.funding is not None), default=0) or None
            out += self._crossing(account, ACCOUNT, policy.ratio.tier_for_ratio(risk.margin_ratio), level_after,
                                  paid, when, after, None)
        for pr in risk.positions:
            est = pr.funding
            if est is None or not pr.position.is_isolated or pr.maint_margin is None:
                continue
            out += self._isolated(account, pr, policy)
        return out

    def _isolated(self, account: str, pr: PositionRisk, policy: AlertPolicy) -> list[Notice]:
        est = pr.funding
        assert est is not None and pr.maint_margin is not None
        p = pr.position
        balance = p.isolated_wallet + est.payment + pr.unrealized_pnl
        ratio_after = margin_ratio(pr.maint_margin, balance) if balance > 0 else None
        after = RiskTier.DANGER if ratio_after is None else _position_tier(policy, ratio_after, est.distance_after_pct)
        now = _position_tier(policy, pr.margin_ratio, pr.distance_pct)
        subject = f"{p.symbol} {p.position_side.value}"
        return self._crossing(account, subject, now, after, est.payment, est.next_time_ms, ratio_after,
                              est.distance_after_pct)

    def _crossing(
        self, account: str, subject: str, now: RiskTier, after: RiskTier, payment: Decimal, when: int | None,
        ratio_after: Decimal | None, distance_after: Decimal | None,
    ) -> list[Notice]:
        key = (account, subject, when)
        if after <= now or after < RiskTier.WARNING or key in self._fired:
            return []
        self._fired.add(key)
        return [FundingCrossing(account, subject, now, after, payment, when, ratio_after, distance_after)]
