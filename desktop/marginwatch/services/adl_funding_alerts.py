"""The alerts ADL and funding raise (core.adl_funding_rules decides when), in the user's language."""

from __future__ import annotations

import time
from decimal import Decimal

from PySide6.QtCore import QCoreApplication

from marginwatch.core.adl_funding_rules import ACCOUNT, AdlTopBucket, FundingCrossing, Notice
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind


def _subject(subject: str) -> str:
    if subject == ACCOUNT:
        return QCoreApplication.translate("Alert", "cross account")
    words = {
        "BOTH": QCoreApplication.translate("Alert", "BOTH"),
        "LONG": QCoreApplication.translate("Alert", "LONG"),
        "SHORT": QCoreApplication.translate("Alert", "SHORT"),
    }
    return " ".join(words.get(w, w) for w in subject.split(" "))


def _money(value: Decimal) -> str:
    return f"{abs(value):.2f}"


def adl_alert(n: AdlTopBucket, now: float | None = None) -> Alert:
    at = time.time() if now is None else now
    title = QCoreApplication.translate("Alert", "ADL: {subject} on {account} is first in line")
    body = QCoreApplication.translate(
        "Alert", "Auto-deleveraging bucket 4 of 4: if a trader is liquidated beyond what the insurance "
        "fund covers, this position is among the first the exchange closes against them.")
    return Alert(
        kind=AlertKind.THRESHOLD,
        account=n.account,
        tier=RiskTier.WARNING,
        title=title.format(subject=_subject(n.subject), account=n.account),
        body=body,
        dedupe_key=f"adl:{n.account}:{n.subject}:{int(at * 1000)}",
        created_at=at,
        raw=n,
    )


def funding_alert(n: FundingCrossing, now: float | None = None) -> Alert:
    at = time.time() if now is None else now
    danger = n.level_after is RiskTier.DANGER
    level = QCoreApplication.translate("Alert", "Danger") if danger else QCoreApplication.translate("Alert", "Warning")
    when = time.strftime("%H:%M", time.localtime(n.next_time_ms / 1000)) if n.next_time_ms else "--"
    pays = n.payment < 0
    paid = (QCoreApplication.translate("Alert", "pays {amount}") if pays
            else QCoreApplication.translate("Alert", "receives {amount}"))
    ratio = "--" if n.ratio_after is None else f"{n.ratio_after * 100:.1f}"
    body = QCoreApplication.translate(
        "Alert", "At the current mark and rate the funding at {when} {paid}: margin ratio {ratio} % after it.")
    body = body.format(when=when, paid=paid.format(amount=_money(n.payment)), ratio=ratio)
    if n.distance_after_pct is not None:
        away = QCoreApplication.translate("Alert", "Liquidation {distance} % away after it.")
        body += " " + away.format(distance=f"{n.distance_after_pct:.2f}")
    title = QCoreApplication.translate("Alert", "{level} after funding: {subject} on {account}")
    return Alert(
        kind=AlertKind.THRESHOLD,
        account=n.account,
        tier=n.level_after,
        title=title.format(level=level, subject=_subject(n.subject), account=n.account),
        body=body,
        dedupe_key=f"fund:{n.account}:{n.subject}:{n.next_time_ms}",
        created_at=at,
        raw=n,
    )


def notice_alert(n: Notice) -> Alert:
    return adl_alert(n) if isinstance(n, AdlTopBucket) else funding_alert(n)
