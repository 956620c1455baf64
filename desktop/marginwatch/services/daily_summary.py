"""The daily summary a forwarding channel may ask for: once a day, from a set local time on, each
account's state in two lines (positions, worst tier, margin ratio, the nearest liquidation).

It is checked every minute rather than timed to the minute: a timer armed for 08:00 on a laptop that
sleeps through it fires whenever the monotonic clock gets there, hours late. A summary's key carries
its day, and the forwarder keeps (key, channel) pairs in the journal, so a day's summary goes out
once per channel, across restarts too. It waits for every account's first figures: a summary of an
account still starting would say "no positions".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from datetime import time as clock_time
from decimal import Decimal

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.risk_tiers import RiskBands, RiskTier, worst_tier
from marginwatch.services.alert import Alert, AlertKind

log = logging.getLogger(__name__)

SUMMARY_AT = clock_time(8, 0)
CHECK_EVERY_MS = 60_000


def _percent(value: Decimal | None, scale: int = 100) -> str:
    return "--" if value is None or not value.is_finite() else f"{value * scale:.2f} %"


def _tier_word(tier: RiskTier) -> str:
    return {
        RiskTier.UNKNOWN: QCoreApplication.translate("DailySummary", "unknown"),
        RiskTier.CALM: QCoreApplication.translate("DailySummary", "calm"),
        RiskTier.WARNING: QCoreApplication.translate("DailySummary", "warning"),
        RiskTier.DANGER: QCoreApplication.translate("DailySummary", "danger"),
    }[tier]


def summary_alert(account: str, risk: AccountRisk, bands: RiskBands, now: float) -> Alert:
    """The day's summary of one account, in the UI language; its tier as its alerts would say it."""
    tier = worst_tier([risk], bands)
    open_positions = [p for p in risk.positions if p.position.amount != 0]
    nearest = min((p for p in open_positions if p.distance_pct is not None),
                  key=lambda p: p.distance_pct or Decimal(0), default=None)
    title = QCoreApplication.translate(
        "DailySummary", "Daily summary for {account}: {count} open position(s), {tier}"
    ).format(account=account, count=len(open_positions), tier=_tier_word(tier))
    lines = [QCoreApplication.translate("DailySummary", "Margin ratio {ratio}, unrealized PnL {pnl}").format(
        ratio=_percent(risk.margin_ratio), pnl=f"{risk.unrealized_pnl:+.2f}")]
    if nearest is not None:
        lines.append(QCoreApplication.translate(
            "DailySummary", "Nearest liquidation: {symbol} {side}, {distance} away"
        ).format(symbol=nearest.position.symbol, side=nearest.position.position_side.value,
                 distance=_percent(nearest.distance_pct, 1)))
    day = datetime.fromtimestamp(now).date().isoformat()
    return Alert(kind=AlertKind.SUMMARY, account=account, tier=tier, title=title, body="\n".join(lines),
                 dedupe_key=f"sum:{account}:{day}", created_at=now)


class DailySummary(QObject):
    """Hands `forward` the summary of each account in `risks` once a day, from `at` (local time) on,
    once `ready` says every account has its figures."""

    def __init__(
        self,
        risks: Callable[[], Mapping[str, AccountRisk]],
        ready: Callable[[], bool],
        forward: Callable[[Alert], None],
        bands: Callable[[str], RiskBands],  # an account's thresholds
        *,
        at: clock_time = SUMMARY_AT,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._risks = risks
        self._ready = ready
        self._forward = forward
        self._bands = bands
        self._at = at
        self._clock = clock
        self._done: set[str] = set()  # dedupe keys handed over this run
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_EVERY_MS)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        self._timer.start()
        self.check()

    def stop(self) -> None:
        self._timer.stop()

    def check(self) -> list[Alert]:
        """Forward what is due now; the summaries handed over (for tests and the log)."""
        now = self._clock()
        if datetime.fromtimestamp(now).time() < self._at:
            return []
        if not self._ready():
            return []  # an account still starting: its summary would say nothing yet
        out = []
        for name, risk in sorted(self._risks().items()):
            alert = summary_alert(name, risk, self._bands(name), now)
            if alert.dedupe_key in self._done:
                continue
            self._done.add(alert.dedupe_key)
            self._forward(alert)
            out.append(alert)
        if out:
            log.info("daily summary handed to forwarding for %d account(s)", len(out))
        return out
