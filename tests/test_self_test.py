"""`marginwatch --self-test` runs the whole app offscreen and reports one JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_self_test_passes_and_reports_every_check() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "marginwatch", "--self-test"],
        capture_output=True, text=True, timeout=90, env={**os.environ, "MARGINWATCH_LOG": "WARNING"},
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert len(lines) == 1, proc.stdout + proc.stderr
    report = json.loads(lines[0])
    assert proc.returncode == 0, report
    assert report["ok"] is True
    for check in ("margin_call_notified", "positions_shown", "chart_live", "resources", "imports",
                  "forwarding_plugins"):
        assert report["checks"][check] is True, check
    assert report["margin_call"].startswith("Margin call on Demo")
