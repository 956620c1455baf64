"""One followed account as a QObject: the exchange session's callbacks turned into Qt signals.

Margin calls go out at once (latency matters). Risk snapshots are coalesced: the session may
change state hundreds of times a second under all-market mark updates, the widgets and the
threshold rules need the latest picture a few times a second.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.session import AccountSession, SessionOptions

log = logging.getLogger(__name__)


class AccountService(QObject):
    risk_changed = Signal(str, object)  # account name, AccountRisk
    margin_call = Signal(str, object)  # account name, MarginCall event
    health_changed = Signal(str, object)  # account name, StreamHealth
    log_entry = Signal(str, str, str)  # account name, kind, text

    def __init__(
        self,
        name: str,
        endpoints: Endpoints,
        credentials: Credentials,
        *,
        refresh_ms: int = 200,
        session_options: SessionOptions | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self._session = AccountSession(
            endpoints,
            credentials,
            name=name,
            on_change=self._on_change,
            on_margin_call=self._on_margin_call,
            on_health=self._on_health,
            options=session_options,
        )
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(refresh_ms)
        self._refresh.timeout.connect(self._publish)
        self._last_version = -1
        self._health: dict[str, StreamHealth] = {}

    @property
    def session(self) -> AccountSession:
        return self._session

    @property
    def health(self) -> dict[str, StreamHealth]:
        return dict(self._health)

    def tick_sizes(self) -> dict[str, Any]:
        state = self._session.state
        out = {}
        for symbol in state.held_symbols():
            f = state.symbol_filters(symbol)
            if f is not None and f.tick_size is not None:
                out[symbol] = f.tick_size
        return out

    async def start(self) -> None:
        await self._session.start()

    async def stop(self) -> None:
        self._refresh.stop()
        await self._session.stop()

    def _on_change(self, *_args: object) -> None:
        if not self._refresh.isActive():
            self._refresh.start()

    def _publish(self) -> None:
        state = self._session.state
        version = getattr(state, "version", None)
        if version is not None and version == self._last_version:
            return
        self._last_version = version if version is not None else -1
        try:
            risk = state.risk()
        except Exception:  # a bug in one snapshot must not stop the monitor
            log.exception("risk assessment failed for %s", self.name)
            return
        self.risk_changed.emit(self.name, risk)

    def _on_margin_call(self, event: object) -> None:
        self.margin_call.emit(self.name, event)

    def _on_health(self, health: StreamHealth) -> None:
        previous = self._health.get(health.name)
        self._health[health.name] = health
        self.health_changed.emit(self.name, health)
        if previous is None or previous.state is not health.state:
            if health.state in (StreamState.LIVE, StreamState.FAILED, StreamState.RECONNECTING, StreamState.STALE):
                text = f"{health.name} stream: {health.state.value}"
                if health.reason:
                    text += f" ({health.reason})"
                self.log_entry.emit(self.name, "connection", text)
