"""The what-if panel's price shocks, computed off the GUI thread.

A slider drag asks for a new shock many times a second and each one re-assesses every account
twice over (200 positions: tens of ms), so the GUI thread only takes a snapshot of the accounts'
states and hands it to one worker thread. As with `RiskWorker`, at most one computation is in
flight and requests made meanwhile become one more computation, of the latest shock and state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from marginwatch import pacing
from marginwatch.core.account_state import AccountState
from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import Position
from marginwatch.core.price_shock import Shock, ShockResult, shock_account
from marginwatch.services.coinm_names import pool_name

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccountInputs:
    """An account's state as immutable values in fresh containers: the worker never touches the state."""

    account: str
    positions: tuple[Position, ...]
    cross_wallet_balance: Decimal
    brackets: dict[str, BracketTable]
    fallback: dict[str, BracketTable]

    @classmethod
    def of(cls, account: str, state: AccountState) -> AccountInputs:
        return cls(account, tuple(state.positions().values()), state.cross_wallet_balance,
                   dict(state.brackets), dict(state.fallback_brackets))


ShockResults = tuple[tuple[str, ShockResult], ...]  # (account, result), in the order asked


def shock_all(inputs: Sequence[AccountInputs], shock: Shock) -> ShockResults:
    return tuple(
        (a.account, shock_account(a.positions, a.cross_wallet_balance, a.brackets, shock, fallback=a.fallback))
        for a in inputs
    )


class WhatIfService(QObject):
    computed = Signal(object, object)  # Shock, ShockResults
    failed = Signal(str)
    _finished = Signal(int, object, object)  # generation, Shock, Future (emitted on the worker)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor: ThreadPoolExecutor | None = None
        self._generation = 0
        self._busy = False
        self._pending: tuple[tuple[AccountInputs, ...], Shock] | None = None
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._busy

    def request(self, states: Sequence[tuple[str, AccountState]], shock: Shock) -> None:
        """Shock these accounts' current states; the result comes through `computed`."""
        inputs = tuple(AccountInputs.of(name, state) for name, state in states)
        if self._busy:
            self._pending = (inputs, shock)
            return
        self._submit(inputs, shock)

    def close(self) -> None:
        """Stop: wait for the computation in flight, drop its result and any pending one."""
        self._generation += 1
        self._pending = None
        self._busy = False
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _submit(self, inputs: tuple[AccountInputs, ...], shock: Shock) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="what-if")
        self._busy = True
        generation = self._generation
        future = self._executor.submit(shock_all, inputs, shock)
        future.add_done_callback(lambda f: self._finished.emit(generation, shock, f))

    def _on_finished(self, generation: int, shock: Shock, future: Future[ShockResults]) -> None:
        if generation != self._generation:
            return
        self._busy = False
        pending, self._pending = self._pending, None
        if pending is not None:
            self._submit(*pending)  # the latest first: this result is already older than it
        try:
            results = future.result()
        except Exception as exc:  # a bug in one shock must not stop the panel, nor go unseen
            log.exception("price shock failed")
            self.failed.emit(f"{type(exc).__name__}: {exc}"[:200])
            return
        self.computed.emit(shock, results)


def account_states(accounts: Mapping[str, Any]) -> list[tuple[str, AccountState]]:
    """Every followed account's state by the name it is shown under: a COIN-M side is one cross
    pool per margin coin ("Main · COIN-M BTC"), each an account of its own."""
    out: list[tuple[str, AccountState]] = []
    for name, svc in accounts.items():
        state = svc.session.state
        pools = getattr(state, "pools", None)
        if pools is not None:
            out += [(pool_name(name, coin), pool) for coin, pool in pools.items()]
        else:
            out.append((name, state))
    return out


class HeldShock(QObject):
    """The shock the what-if panel holds: computed at once when it changes, again as the live marks
    move (at most every `pacing.WHAT_IF_FOLLOW_MS`, only when asked to follow), and forgotten at 0 %."""

    shown = Signal(object, object)  # Shock, ShockResults: still the held shock's
    cleared = Signal()

    def __init__(self, states: Callable[[], list[tuple[str, AccountState]]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._states = states
        self.service = WhatIfService(self)
        self.service.computed.connect(self._on_computed)
        self._shock: Shock | None = None
        self._follow = QTimer(self)
        self._follow.setSingleShot(True)
        self._follow.setInterval(pacing.WHAT_IF_FOLLOW_MS)
        self._follow.timeout.connect(self._request)

    @property
    def shock(self) -> Shock | None:
        return self._shock

    def set_shock(self, shock: Shock | None) -> None:
        self._shock = shock
        if shock is None:
            self._follow.stop()
            self.cleared.emit()
        else:
            self._request()

    def marks_moved(self) -> None:
        """The live figures changed (and someone sees the results): compute again, gently."""
        if self._shock is not None and not self._follow.isActive():
            self._follow.start()

    def close(self) -> None:
        self._follow.stop()
        self.service.close()

    def _request(self) -> None:
        if self._shock is not None:
            self.service.request(self._states(), self._shock)

    def _on_computed(self, shock: Shock, results: ShockResults) -> None:
        if self._shock is not None:  # not back at 0 % meanwhile
            self.shown.emit(shock, results)
