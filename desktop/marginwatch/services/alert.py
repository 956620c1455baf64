"""What an alert says: one value type for every source (margin call, thresholds, streams, tests)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QCoreApplication

from marginwatch.core.alert_rules import Metric, StreamDownAlert, ThresholdAlert
from marginwatch.core.risk_tiers import RiskTier


class AlertKind(StrEnum):
    MARGIN_CALL = "margin_call"
    THRESHOLD = "threshold"
    STREAM_DOWN = "stream_down"
    STREAM_RESTORED = "stream_restored"
    TEST = "test"
    SUMMARY = "summary"  # the daily summary, for the forwarding channels that ask for it


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    account: str
    tier: RiskTier
    title: str
    body: str
    dedupe_key: str
    created_at: float = field(default_factory=time.time)  # wall clock, for the log and journal
    raw: Any = field(default=None, compare=False)  # the source event, for the journal


def _word(value: str) -> str:
    """Stream names and position sides the alerts show; unknown ones as they are (the REST
    snapshot's alerts have titles of their own)."""
    words = {
        "user": QCoreApplication.translate("Alert", "user"),
        "market": QCoreApplication.translate("Alert", "market"),
        "BOTH": QCoreApplication.translate("Alert", "BOTH"),
        "LONG": QCoreApplication.translate("Alert", "LONG"),
        "SHORT": QCoreApplication.translate("Alert", "SHORT"),
    }
    return words.get(value, value)


def subject_text(subject: str) -> str:
    """A threshold subject as alerts show it: "cross account", or a position's symbol and side."""
    if subject == "account":
        return QCoreApplication.translate("Alert", "cross account")
    return " ".join(map(_word, subject.split(" ")))


def _num(value: Decimal | None) -> str:
    if value is None or not value.is_finite():
        return "--"
    return f"{value.normalize():f}"


def _field_name(key: str) -> str:
    """What a MARGIN_CALL's wire key is called in the alert text."""
    names = {
        "s": QCoreApplication.translate("Alert", "symbol"),
        "ps": QCoreApplication.translate("Alert", "side"),
        "pa": QCoreApplication.translate("Alert", "size"),
        "mt": QCoreApplication.translate("Alert", "margin type"),
        "iw": QCoreApplication.translate("Alert", "isolated wallet"),
        "mp": QCoreApplication.translate("Alert", "mark"),
        "up": QCoreApplication.translate("Alert", "unrealized PnL"),
        "mm": QCoreApplication.translate("Alert", "maint. margin"),
        "cw": QCoreApplication.translate("Alert", "cross wallet"),
        "E": QCoreApplication.translate("Alert", "event time"),
        "p": QCoreApplication.translate("Alert", "position list"),
    }
    return names.get(key, key)


def _unreadable_text(event: Any) -> str | None:
    """`Could not read: mark (ETHUSDT), symbol (position 2)`, or None when everything was read."""
    parts = [_field_name(f.key) for f in getattr(event, "unreadable", ())]
    for i, p in enumerate(event.positions, start=1):
        where = p.symbol or QCoreApplication.translate("Alert", "position {n}").format(n=i)
        for f in getattr(p, "unreadable", ()):
            parts.append(QCoreApplication.translate("Alert", "{field} ({position})").format(
                field=_field_name(f.key), position=where
            ))
    if not parts:
        return None
    return QCoreApplication.translate("Alert", "Could not read: {fields}").format(fields=", ".join(parts))


def _unreadable_title(account: str, event: Any, count: int) -> str:
    positions = event.positions
    if positions and all(p.symbol for p in positions):
        what = ", ".join(p.symbol for p in positions)
    elif len(positions) == 1:
        what = QCoreApplication.translate("Alert", "one position")
    else:
        what = QCoreApplication.translate("Alert", "{n} positions").format(n=len(positions))
    fields = (
        QCoreApplication.translate("Alert", "one unreadable field")
        if count == 1
        else QCoreApplication.translate("Alert", "{n} unreadable fields").format(n=count)
    )
    return QCoreApplication.translate("Alert", "Margin call on {account}: {what}, {fields}").format(
        account=account, what=what, fields=fields
    )


def margin_call_alert(account: str, event: Any) -> Alert:
    """One notification listing every position the MARGIN_CALL names, and what of it was unreadable."""
    lines = []
    for p in event.positions:
        raw_side = p.position_side
        if hasattr(raw_side, "value"):
            side = raw_side.value
        else:  # a plain string from an older journal row; None when the frame's side was unreadable
            side = raw_side if isinstance(raw_side, str) and raw_side else "?"
        lines.append(
            QCoreApplication.translate(
                "Alert", "{symbol} {side} size {size} · mark {mark} · maint. margin {mm}"
            ).format(
                symbol=p.symbol or "?", side=_word(side), size=_num(p.amount), mark=_num(p.mark_price),
                mm=_num(p.maint_margin),
            )
        )
    cw = getattr(event, "cross_wallet", None)
    if cw is not None:
        lines.append(QCoreApplication.translate("Alert", "Cross wallet: {cw} USDT").format(cw=_num(cw)))
    unreadable = _unreadable_text(event)
    if unreadable is not None:
        lines.append(unreadable)
    symbols = ", ".join(p.symbol for p in event.positions) or "?"
    count = len(getattr(event, "unreadable", ())) + sum(len(getattr(p, "unreadable", ())) for p in event.positions)
    title = (
        _unreadable_title(account, event, count)
        if count
        else QCoreApplication.translate("Alert", "Margin call on {account}: {symbols}").format(
            account=account, symbols=symbols
        )
    )
    return Alert(
        kind=AlertKind.MARGIN_CALL,
        account=account,
        tier=RiskTier.DANGER,
        title=title,
        body="\n".join(lines),
        dedupe_key=f"mc:{account}:{event.event_time}:{symbols}",
        raw=event,
    )


def threshold_alert(a: ThresholdAlert, now: float | None = None) -> Alert:
    created = time.time() if now is None else now
    if a.metric is Metric.MARGIN_RATIO and not a.value.is_finite():  # a margin balance at or below zero
        what = QCoreApplication.translate(
            "Alert", "margin balance at or below zero: past liquidation (threshold {threshold} %)"
        ).format(threshold=f"{a.threshold * 100:.0f}")
    elif a.metric is Metric.MARGIN_RATIO:
        what = QCoreApplication.translate("Alert", "margin ratio {value} % (threshold {threshold} %)").format(
            value=f"{a.value * 100:.1f}", threshold=f"{a.threshold * 100:.0f}"
        )
    else:
        what = QCoreApplication.translate("Alert", "{value} % from liquidation (threshold {threshold} %)").format(
            value=f"{a.value:.2f}", threshold=f"{a.threshold:.0f}"
        )
    level = (
        QCoreApplication.translate("Alert", "Danger")
        if a.level is RiskTier.DANGER
        else QCoreApplication.translate("Alert", "Warning")
    )
    subject = subject_text(a.subject)
    prefix = QCoreApplication.translate("Alert", "Already at start: ") if a.at_start else ""
    return Alert(
        kind=AlertKind.THRESHOLD,
        account=a.account,
        tier=a.level,
        title=QCoreApplication.translate("Alert", "{level}: {subject} on {account}").format(
            level=level, subject=subject, account=a.account
        ),
        body=prefix + what,
        # The value tells one crossing from the next; every crossing past liquidation has the same
        # one (Infinity), so there the second it was raised does: a later one is news, not a replay.
        dedupe_key=f"th:{a.account}:{a.subject}:{a.metric}:{a.level}:"
                   + (str(a.value) if a.value.is_finite() else f"{a.value}@{int(created)}"),
        created_at=created,
        raw=a,
    )


def stream_alert(a: StreamDownAlert) -> Alert:
    # The REST part is a periodic snapshot, not a stream: its titles say so.
    is_rest = a.stream == "rest"
    if a.restored:
        restored = (
            QCoreApplication.translate("Alert", "REST snapshot restored on {account}")
            if is_rest
            else QCoreApplication.translate("Alert", "{stream} stream restored on {account}")
        )
        return Alert(
            kind=AlertKind.STREAM_RESTORED,
            account=a.account,
            tier=RiskTier.CALM,
            title=restored.format(stream=_word(a.stream), account=a.account),
            body=QCoreApplication.translate("Alert", "Live data again."),
            dedupe_key=f"up:{a.account}:{a.stream}:{time.time()}",
            raw=a,
        )
    reason = a.reason or QCoreApplication.translate("Alert", "no connection")
    down = (
        QCoreApplication.translate("Alert", "REST snapshot failing on {account}")
        if is_rest
        else QCoreApplication.translate("Alert", "{stream} stream down on {account}")
    )
    return Alert(
        kind=AlertKind.STREAM_DOWN,
        account=a.account,
        tier=RiskTier.WARNING,
        title=down.format(stream=_word(a.stream), account=a.account),
        body=QCoreApplication.translate(
            "Alert", "No live data for {seconds} s: {reason}. Figures shown may be stale."
        ).format(seconds=int(a.down_for_s), reason=reason),
        dedupe_key=f"down:{a.account}:{a.stream}:{time.time()}",
        raw=a,
    )


def sample_alert() -> Alert:
    return Alert(
        kind=AlertKind.TEST,
        account="",
        tier=RiskTier.WARNING,
        title=QCoreApplication.translate("Alert", "MarginWatch test notification"),
        body=QCoreApplication.translate(
            "Alert", "Notifications work. Margin calls and threshold alerts will look like this."
        ),
        dedupe_key=f"test:{time.time()}",
    )
