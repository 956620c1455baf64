"""Figure 8: what risk history costs. CPU: `RiskHistory.sample()` for 20 positions on a real journal
file (WAL, as the app opens it), timed over many samples, plus its fold every 5 minutes, as a share of
one core at the default 10 s interval. Disk: a position sampled every 10 s for `DAYS` simulated days
through the journal's write path with folding as the app does it; the bytes the table and its indexes
hold (SQLite's dbstat) once the two-day window is full grow by a fixed amount a day, stated per
series and for 20 positions, and the 30-day total the journal's prune bounds it to.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import figure, note, parse_args
from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.position import Position, PositionSide
from marginwatch.services import risk_history_store as store
from marginwatch.services.journal import Journal
from marginwatch.services.risk_history import FOLD_EVERY_S, INTERVAL_S, RiskHistory

POSITIONS = 20
KEEP_DAYS = 30
D = Decimal


def _risk(n: int, wobble: int) -> AccountRisk:
    rows = tuple(
        PositionRisk(
            position=Position(f"SYM{i}USDT", PositionSide.BOTH, D("1.5"), D("100"), D(100 + (wobble + i) % 7)),
            notional=D("150"), unrealized_pnl=D("1"), maint_margin=D("2"),
            margin_ratio=D("0.1") + D(wobble % 10) / 100, liquidation_price=D("60"), distance_pct=D("35.2"),
        )
        for i in range(n)
    )
    z = D(0)
    return AccountRisk(z + 1000, z + 1000, z, z, z + 1000, z + 1000, z + 40, z + 40, D("0.04"), rows)


def cpu_share(samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, Journal.open(Path(tmp) / "journal.sqlite3") as journal:
        state = {"i": 0}
        clock = {"now": 1_000_000.0}

        def risks() -> dict[str, AccountRisk]:
            state["i"] += 1
            return {"main": _risk(POSITIONS, state["i"])}

        history = RiskHistory(journal, risks, clock=lambda: clock["now"])
        history.sample()  # the first fold and the table's first pages
        spent = []
        for _ in range(samples):
            clock["now"] += INTERVAL_S
            history._last_fold = clock["now"]  # folds timed apart below
            start = time.process_time()
            history.sample()
            spent.append(time.process_time() - start)
        start = time.process_time()
        folds = 20
        for _ in range(folds):
            clock["now"] += FOLD_EVERY_S
            journal.tidy(lambda conn: store.fold(conn, clock["now"]))
        fold_s = (time.process_time() - start) / folds
    per_sample = sum(spent) / len(spent)
    share = (per_sample + fold_s * INTERVAL_S / FOLD_EVERY_S) / INTERVAL_S * 100
    figure("history.sample_cpu_ms", per_sample * 1000, "ms")
    figure("history.fold_cpu_ms", fold_s * 1000, "ms")
    figure("history.cpu_share", share, "%core")
    note(f"{POSITIONS} positions + the account, every {INTERVAL_S:.0f} s; fold every {FOLD_EVERY_S:.0f} s")


def disk(days: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, Journal.open(Path(tmp) / "journal.sqlite3") as journal:
        risk = _risk(1, 0)
        at, day = 0.0, 86400.0
        bytes_at: list[int] = []
        while at < days * day:
            hour = [row for k in range(int(3600 / INTERVAL_S))
                    for row in store.sample_rows("main", risk, at + k * INTERVAL_S)]
            journal.insert_rows(store.TABLE, hour)
            at += 3600
            journal.tidy(lambda conn, now=at: store.fold(conn, now))
            if at % day == 0:
                bytes_at.append(int(journal.read_each(lambda conn: [store.stored_bytes(conn)])[0]))
        per_day = [b - a for a, b in itertools.pairwise(bytes_at)][2:]  # after the 2-day window
    series = 2  # the position and the account
    growth = sum(per_day) / len(per_day) / series
    plateau = bytes_at[2] / series
    total_30 = (plateau + growth * (KEEP_DAYS - 2)) * (POSITIONS + 1)
    figure("history.disk_per_series_day", growth / 1024, "KiB")
    figure("history.disk_per_day_20_positions", growth * (POSITIONS + 1) / 1024, "KiB")
    figure("history.disk_30_days_20_positions", total_30 / 1024 / 1024, "MiB")
    note(f"{days} simulated days; the first two days' window holds {plateau / 1024:.0f} KiB a series")


def main() -> int:
    args = parse_args(__doc__ or "")
    cpu_share(200 if args.quick else 2000)
    disk(5 if args.quick else 10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
