"""Risk over time: every `interval_s` (10 s by default) each open position's margin ratio, distance to
liquidation and mark, and each account's margin ratio, go into the journal's SQLite through its
crash-safe write path (a locked or full file keeps them aside and merges them later, like any row).

Older samples are folded into coarser ones every FOLD_EVERY_S (risk_history_store) and the journal's
prune drops what is older than its keep, so the table's size is bounded by the number of positions
held, not by how long the app runs. The last hour of every series is also kept in memory for the
positions table's sparklines, which repaint every second and must not read the file.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from marginwatch.services import risk_history_store as store
from marginwatch.services.risk_history_store import RiskSample, SeriesKey

if TYPE_CHECKING:
    from marginwatch.core.account_risk import AccountRisk
    from marginwatch.services.journal import Journal

log = logging.getLogger(__name__)

INTERVAL_S = 10.0
FOLD_EVERY_S = 300.0
RECENT_S = 3600.0  # what the sparklines show


class RiskHistory(QObject):
    """Samples `risks()` into `journal` on a timer; reads series back for the history chart."""

    sampled = Signal(float)  # wall-clock time of the sample just taken

    def __init__(
        self,
        journal: Journal,
        risks: Callable[[], Mapping[str, AccountRisk]],
        *,
        interval_s: float = INTERVAL_S,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._journal = journal
        self._risks = risks
        self._clock = clock
        self.interval_s = interval_s
        self._last_fold = -float("inf")
        # One deque per series; a sample every interval_s for RECENT_S, plus one to span the hour.
        self._recent: dict[SeriesKey, deque[RiskSample]] = {}
        self._recent_len = int(RECENT_S / interval_s) + 1
        self._looked_up: set[SeriesKey] = set()  # series whose stored hour was read into `_recent`
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, int(interval_s * 1000)))
        self._timer.timeout.connect(self._on_timer)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_timer(self) -> None:
        try:
            self.sample()
        except Exception:  # a closed or broken journal must not stop the timer's owner
            log.exception("risk history: the sample could not be taken")

    def sample(self) -> int:
        """Take one sample of every account now; returns the rows written (or kept aside)."""
        at = self._clock()
        rows = [row for account, risk in self._risks().items() for row in store.sample_rows(account, risk, at)]
        if rows:
            self._journal.insert_rows(store.TABLE, rows)
            self._remember(rows, at)
        if at - self._last_fold >= FOLD_EVERY_S:
            self._last_fold = at
            self._journal.tidy(lambda conn: store.fold(conn, at))
        self.sampled.emit(at)
        return len(rows)

    def _remember(self, rows: Sequence[Mapping[str, Any]], at: float) -> None:
        seen: set[SeriesKey] = set()
        for row in rows:
            key = (str(row["account"]), str(row["symbol"]), str(row["side"]))
            seen.add(key)
            series = self._recent.get(key)
            if series is None:
                series = self._recent[key] = self._stored_hour(key)  # this sample is in it already
                if series and series[-1].at == at:
                    continue
            series.append(RiskSample(at, row["margin_ratio"], row["distance_pct"], row["mark"]))
        # A closed position's sparkline goes once its last sample is older than the hour shown.
        for key in [k for k in self._recent if k not in seen and self._recent[k][-1].at <= at - RECENT_S]:
            del self._recent[key]

    def recent(self, key: SeriesKey) -> Sequence[RiskSample]:
        """The last hour of one series from memory, oldest first. A series this run has not sampled
        yet is read from the journal once, so a restart does not blank the hour."""
        series = self._recent.get(key)
        if series is None and key not in self._looked_up:
            series = self._stored_hour(key)
            if series:
                self._recent[key] = series
        return series if series is not None else ()

    def _stored_hour(self, key: SeriesKey) -> deque[RiskSample]:
        """The journal's last hour of `key`, read once per series and run."""
        self._looked_up.add(key)
        try:
            stored = self.series(key, self._clock() - RECENT_S)
        except Exception:  # a closed or broken journal: no history, not a failed sample or paint
            log.exception("risk history: the last hour of %s could not be read", key)
            stored = []
        return deque(stored, maxlen=self._recent_len)

    def series(self, key: SeriesKey, since: float, until: float | None = None) -> list[RiskSample]:
        """One series from the journal, rows still waiting for its file included, oldest first."""
        return store.merged(self._journal.read_each(lambda conn: store.read_series(conn, key, since, until)))

    def keys(self, since: float) -> list[SeriesKey]:
        """Every series with a sample since `since`, accounts first, then by symbol and side."""
        found = set(self._journal.read_each(lambda conn: store.read_keys(conn, since)))
        return sorted(found, key=lambda k: (k[0], k[1] != store.ACCOUNT_SYMBOL, k[1], k[2]))

