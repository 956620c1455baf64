"""What the banner shows: the worst condition still active, not the latest alert.

At start-up the alerts for every position arrive together; showing the last one put a warning for
one position over a danger for another. Conditions are kept by what they are about (a position, the
cross account, a stream, a margin call, the journal) and leave when it is over: a threshold
condition once the subject's tier (`risk_tiers.position_tier`) is back below the alert's, a stream
condition when the stream is restored, a margin call when the engine clears it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.alert_rules import StreamDownAlert, ThresholdAlert
from marginwatch.core.risk_tiers import RiskBands, RiskTier, position_tier
from marginwatch.services.alert import Alert, AlertKind

ACCOUNT_SUBJECT = "account"  # ThresholdAlert's subject for the cross account


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    account: str
    tier: RiskTier
    text: str
    seq: int  # arrival order: among equally bad conditions the newest is shown


class ActiveConditions:
    def __init__(self) -> None:
        self._active: dict[str, Condition] = {}
        self._subjects: dict[str, tuple[str, str]] = {}  # threshold key -> (account, subject)
        self._seq = itertools.count()
        self._shown: Condition | None = None

    def add(self, key: str, account: str, tier: RiskTier, text: str) -> None:
        self._active[key] = Condition(key, account, tier, text, next(self._seq))

    def hold(self, alert: Alert, text: str) -> None:
        """Keep what `alert` says, shown as `text`, until it is over; a restored stream ends its own."""
        raw = alert.raw
        if isinstance(raw, ThresholdAlert):
            self.add_threshold(raw, text)
        elif isinstance(raw, StreamDownAlert):
            key = f"down:{raw.account}:{raw.stream}"
            if raw.restored:
                self.remove(key)
            else:
                self.add(key, raw.account, alert.tier, text)
        elif alert.kind is AlertKind.MARGIN_CALL:
            self.add(alert.dedupe_key, alert.account, alert.tier, text)

    def add_threshold(self, alert: ThresholdAlert, text: str) -> None:
        """One condition per subject: a ratio and a distance alert on one position are one risk."""
        key = threshold_key(alert.account, alert.subject)
        old = self._active.get(key)
        if old is None or alert.level >= old.tier:
            self.add(key, alert.account, alert.level, text)
            self._subjects[key] = (alert.account, alert.subject)

    def remove(self, key: str) -> None:
        self._active.pop(key, None)
        self._subjects.pop(key, None)

    def forget_account(self, account: str) -> None:
        for key in [k for k, c in self._active.items() if c.account == account]:
            self.remove(key)

    def ease(self, account: str, risk: AccountRisk, bands: RiskBands) -> None:
        """Drop `account`'s threshold conditions whose subject is now below the alert's tier (or gone)."""
        for key, (acc, subject) in list(self._subjects.items()):
            if acc != account:
                continue
            if subject_tier(risk, subject, bands) < self._active[key].tier:
                self.remove(key)

    def worst(self) -> Condition | None:
        return max(self._active.values(), key=lambda c: (c.tier, c.seq), default=None)

    def new_worst(self) -> tuple[bool, Condition | None]:
        """(whether the worst condition changed since the last call, the worst now): only a change
        touches the banner, so a dismissed one stays hidden until something else is the worst."""
        worst = self.worst()
        changed = (worst is None) != (self._shown is None) or (
            worst is not None and self._shown is not None
            and (worst.key, worst.tier, worst.text) != (self._shown.key, self._shown.tier, self._shown.text)
        )
        self._shown = worst
        return changed, worst


def threshold_key(account: str, subject: str) -> str:
    return f"th:{account}:{subject}"


def subject_tier(risk: AccountRisk, subject: str, bands: RiskBands) -> RiskTier:
    """The tier of a ThresholdAlert's subject in `risk`; UNKNOWN when it is no longer open."""
    if subject == ACCOUNT_SUBJECT:
        return bands.ratio.tier_for_ratio(risk.margin_ratio)
    tier = RiskTier.UNKNOWN
    for p in risk.positions:
        pos = p.position
        if p.position.is_open and f"{pos.symbol} {pos.direction.value.upper()}" == subject:
            tier = max(tier, position_tier(p, bands).tier)
    return tier
