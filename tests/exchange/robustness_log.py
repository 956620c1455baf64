"""Figures the fault matrix and the soak leave for `bench/robustness.py`.

When `MW_ROBUSTNESS_LOG` names a file, `record` appends one JSON object per call to it; otherwise it
does nothing, so a plain test run writes no files. Assertions stay in the tests: this only reports.
"""

from __future__ import annotations

import json
import os
from typing import Any

ENV = "MW_ROBUSTNESS_LOG"


def record(kind: str, **figures: Any) -> None:
    path = os.environ.get(ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"kind": kind, **figures}) + "\n")
