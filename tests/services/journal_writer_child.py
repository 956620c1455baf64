"""Child process for the journal crash test: writes forever, reporting each commit on stdout.

Usage: python journal_writer_child.py DB_PATH. Prints "mc N" after margin call N is committed
and "alert N ID" after alert N is committed and marked delivered. The parent SIGKILLs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal


def main() -> None:
    journal = Journal.open(Path(sys.argv[1]))
    if journal.problem:
        print(f"problem {journal.problem}", flush=True)
    i = 0
    while True:
        parsed = {"e": "MARGIN_CALL", "E": 1_700_000_000_000 + i, "p": [{"s": "BTCUSDT", "pa": str(i)}]}
        raw = json.dumps(parsed, separators=(",", ":"))
        journal.record_margin_call("child", raw, parsed, parsed["E"], f"mc:child:{i}")
        print(f"mc {i}", flush=True)
        if i % 3 == 0:
            alert = Alert(AlertKind.MARGIN_CALL, "child", RiskTier.DANGER, f"Margin call {i}", "body", f"a:{i}")
            alert_id = journal.record_alert(alert)
            assert alert_id is not None
            journal.mark_delivered(alert_id, "tray")
            print(f"alert {i} {alert_id}", flush=True)
        i += 1


if __name__ == "__main__":
    main()
