"""Run every benchmark, one after another (each in its own process), and print all figures.

`python bench/run.py` is the full run; `python bench/run.py --quick` is the short CI mode
(under 3 minutes on a 2-core machine). Output lines: `name value unit baseline ratio`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "pipeline", "alert_latency", "forward_latency", "gui_cost", "what_if", "cold_start", "memory", "idle_cpu",
    "history_cost", "robustness",
]


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failed = []
    start = time.perf_counter()
    for name in SCRIPTS:
        args = [sys.executable, str(HERE / f"{name}.py"), *(["--quick"] if quick else [])]
        code = subprocess.run(args, stderr=subprocess.DEVNULL if quick else None).returncode
        if code != 0:
            failed.append(name)
            print(f"{name}.failed 1 run - -", flush=True)
    print(f"bench.total_seconds {time.perf_counter() - start:.0f} s - -", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
