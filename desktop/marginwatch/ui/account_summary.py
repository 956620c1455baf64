"""Account figures and stream health, one line per account, always visible above the table."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.position import ContractKind
from marginwatch.core.risk_tiers import BandsByAccount, RiskBands, RiskTier, TierThresholds
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.ui.formatting import DASH, format_decimal, format_fraction_as_percent
from marginwatch.ui.tier_style import tier_stylesheet, tier_suffix

_STREAM_ORDER = {"user": 0, "market": 1}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_UNBOUNDED = 16777215  # QWIDGETSIZE_MAX: the label's size is not fixed yet


@dataclass(slots=True)
class _Line:
    name: QLabel
    wallet: QLabel
    margin: QLabel
    maint: QLabel
    ratio: QLabel
    health: QLabel
    tier: RiskTier = RiskTier.UNKNOWN


class AccountSummary(QWidget):
    """Widget only: the container calls `set_account_risk` and `set_health`."""

    def __init__(self, parent: QWidget | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._clock = clock  # must match StreamHealth's clock (loop.time() == time.monotonic())
        self._bands = BandsByAccount()
        self._lines: dict[str, _Line] = {}
        self._risks: dict[str, AccountRisk] = {}
        self._health: dict[str, dict[str, StreamHealth]] = {}
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(6, 4, 6, 4)
        self._grid.setHorizontalSpacing(18)
        headers = (
            self.tr("Account"),
            self.tr("Wallet balance"),
            self.tr("Margin balance"),
            self.tr("Maint. margin"),
            self.tr("Margin ratio (cross)"),
            self.tr("Connection"),
        )
        for col, text in enumerate(headers):
            label = QLabel(f"<b>{text}</b>")
            if 1 <= col <= 4:
                label.setAlignment(_RIGHT)
            self._grid.addWidget(label, 0, col)
        self._grid.setColumnStretch(5, 1)
        self._placeholder = QLabel(self.tr("No account yet"))
        self._grid.addWidget(self._placeholder, 1, 0, 1, 6)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        # Countdowns ("reconnecting in 3s") and "stale (12s silent)" move with the clock: the
        # ticker runs only while one of them is shown (an idle app should not wake every second).
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.refresh_health)
        self._select_on_hover = _SelectOnHover(self)

    # ---- feeding ------------------------------------------------------------------------------

    def set_account_risk(self, account: str, risk: AccountRisk) -> None:
        self._risks[account] = risk
        line = self._line(account)
        self._show_mode(line, account, risk)
        _set_figure(line.wallet, _money(risk, risk.wallet_balance))
        _set_figure(line.margin, _money(risk, risk.margin_balance))
        _set_figure(line.maint, _money(risk, risk.maint_margin))
        self._show_ratio(line, risk, account)

    def set_health(self, account: str, health: StreamHealth) -> None:
        self._health.setdefault(account, {})[health.name] = health
        self._line(account)
        self.refresh_health()

    def set_thresholds(self, thresholds: TierThresholds | BandsByAccount) -> None:
        """Ratio thresholds for every account, or per account (their `ratio`)."""
        if isinstance(thresholds, TierThresholds):
            thresholds = BandsByAccount(RiskBands(thresholds))
        self._bands = thresholds
        for account, risk in self._risks.items():
            self._show_ratio(self._lines[account], risk, account)

    def remove_account(self, account: str) -> None:
        line = self._lines.pop(account, None)
        self._risks.pop(account, None)
        self._health.pop(account, None)
        if line is None:
            return
        for label in (line.name, line.wallet, line.margin, line.maint, line.ratio, line.health):
            self._grid.removeWidget(label)
            label.deleteLater()
        self._placeholder.setVisible(not self._lines)

    def refresh_health(self) -> None:
        now = self._clock()
        ticking = False
        for account, streams in self._health.items():
            line = self._lines.get(account)
            if line is None:
                continue
            parts = [
                f"{self._stream_word(name)}: {self._describe(health, now)}"
                for name, health in sorted(streams.items(), key=lambda kv: (_STREAM_ORDER.get(kv[0], 9), kv[0]))
            ]
            line.health.setText(" · ".join(parts))
            bad = any(h.state in (StreamState.FAILED, StreamState.STALE) for h in streams.values())
            _set_style(line.health, tier_stylesheet(RiskTier.WARNING) if bad else "")
            ticking = ticking or any(_moves_with_clock(h) for h in streams.values())
        if ticking and not self._ticker.isActive():
            self._ticker.start()
        elif not ticking and self._ticker.isActive():
            self._ticker.stop()

    # ---- reading (tests, tray tooltip) ------------------------------------------------------------

    def accounts(self) -> list[str]:
        return list(self._lines)

    def texts(self, account: str) -> dict[str, str]:
        line = self._lines[account]
        return {
            "name": line.name.text(),
            "wallet": line.wallet.text(),
            "margin": line.margin.text(),
            "maint": line.maint.text(),
            "ratio": line.ratio.text(),
            "health": line.health.text(),
        }

    def tier(self, account: str) -> RiskTier:
        return self._lines[account].tier

    def ratio_style(self, account: str) -> str:
        return self._lines[account].ratio.styleSheet()

    # ---- internals --------------------------------------------------------------------------------

    def _line(self, account: str) -> _Line:
        line = self._lines.get(account)
        if line is not None:
            return line
        labels = [QLabel(account)] + [QLabel(DASH) for _ in range(4)] + [QLabel(self.tr("not connected"))]
        row = self._grid.rowCount()
        for col, label in enumerate(labels):
            if 1 <= col <= 4:
                label.setAlignment(_RIGHT)
            label.installEventFilter(self._select_on_hover)
            self._grid.addWidget(label, row, col)
        labels[4].setContentsMargins(4, 0, 4, 0)
        labels[4].setToolTip(self.tr("Cross maintenance margin / cross margin balance"))
        line = _Line(labels[0], labels[1], labels[2], labels[3], labels[4], labels[5])
        self._lines[account] = line
        self._placeholder.setVisible(False)
        return line

    def _stream_word(self, name: str) -> str:
        # The REST part is a periodic snapshot, not a stream: it says so.
        words = {"user": self.tr("user"), "market": self.tr("market"), "rest": self.tr("REST snapshot")}
        return words.get(name, name)

    def _describe(self, health: StreamHealth, now: float) -> str:
        """StreamHealth.describe() in the UI language (core stays Qt-free, so it speaks English)."""
        if health.state is StreamState.RECONNECTING and health.next_retry_at is not None:
            return self.tr("reconnecting in {0}s").format(max(0, round(health.next_retry_at - now)))
        if health.state is StreamState.FAILED:
            return self.tr("failed: {0}").format(health.reason or self.tr("unknown error"))
        if health.state is StreamState.STALE and health.last_message_at is not None:
            return self.tr("stale ({0}s silent)").format(round(now - health.last_message_at))
        words = {
            StreamState.CONNECTING: self.tr("connecting"),
            StreamState.LIVE: self.tr("live"),
            StreamState.STALE: self.tr("stale"),
            StreamState.RECONNECTING: self.tr("reconnecting"),
            StreamState.FAILED: self.tr("failed"),
            StreamState.STOPPED: self.tr("stopped"),
        }
        return words.get(health.state, health.state.value)

    def _show_mode(self, line: _Line, account: str, risk: AccountRisk) -> None:
        # In multi-assets mode the figures are USD over several assets, not one asset's balance.
        if risk.multi_assets:
            text = self.tr("{0} · multi-assets").format(account)
            tip = self.tr("Multi-assets mode: wallet and margin balance are the USD value of all "
                          "collateral assets after their haircuts")
        else:
            text, tip = account, ""
        if line.name.text() != text:
            line.name.setText(text)
            line.name.setToolTip(tip)

    def _show_ratio(self, line: _Line, risk: AccountRisk, account: str) -> None:
        tier = self._bands.of(account).ratio.tier_for_ratio(risk.margin_ratio)
        text = format_fraction_as_percent(risk.margin_ratio)
        _set_style(line.ratio, tier_stylesheet(tier))
        _set_figure(line.ratio, text if text == DASH else text + tier_suffix(tier))
        line.tier = tier


class _SelectOnHover(QObject):
    """Makes a label's text selectable by mouse only while the pointer is over it (or some of it
    is selected): the user can select and copy as before.

    A selectable label keeps its text in a text document, laid out in its first paint, and that
    layout asks for a second paint: every new figure cost two paint passes of the window, and the
    figures change every second (~0.5 ms/s of an idle app's CPU). A plain label paints once.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, QLabel):
            kind = event.type()
            if kind == QEvent.Type.Enter:
                watched.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            elif kind == QEvent.Type.Leave and not watched.hasSelectedText():
                watched.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        return False


def _set_figure(label: QLabel, text: str) -> None:
    """setText for a figure that changes every second, without re-laying out the window each time.

    A label whose size is not fixed asks its layout (and the main window's) to recompute on every
    setText (~1.4 ms/s of an idle app's CPU at 1 Hz). Figure labels get a fixed size that only
    grows, with room for a couple more digits, so most updates just repaint the label.
    """
    old = label.text()
    if old == text:
        return
    label.setText(text)
    if len(text) <= len(old) and label.maximumWidth() < _UNBOUNDED:
        return  # no longer than a text that fitted: the headroom covers wider digits
    need = label.sizeHint()
    if need.width() > label.maximumWidth() or need.height() != label.maximumHeight():
        label.setFixedSize(need.width() + label.fontMetrics().horizontalAdvance("00"), need.height())


def _set_style(label: QLabel, sheet: str) -> None:
    # Setting a style sheet re-polishes and repaints the label even when it is the same one.
    if label.styleSheet() != sheet:
        label.setStyleSheet(sheet)


def _moves_with_clock(health: StreamHealth) -> bool:
    """True when the shown text counts seconds (a retry countdown, a stale stream's silence)."""
    if health.state is StreamState.RECONNECTING:
        return health.next_retry_at is not None
    return health.state is StreamState.STALE and health.last_message_at is not None


def _money(risk: AccountRisk, value: Decimal) -> str:
    """Quote-asset figures to the cent; a COIN-M pool's in its coin, with the USD value at its
    position's mark beside it (the pool's positions all settle in that coin)."""
    inverse = next((pr.position for pr in risk.positions if pr.position.contract is ContractKind.INVERSE), None)
    if inverse is None:
        return format_decimal(value, 2)
    coin = " ".join(t for t in (format_decimal(value, 8), inverse.extra.get("margin_asset", "")) if t)
    return f"{coin} ≈ {format_decimal(value * inverse.mark_price, 2)} USD"
