"""Figure 4: cold start, median of N runs of `python -m marginwatch --demo` (offscreen).

Process start = just before the child is spawned (interpreter start-up included). The child is
run with MARGINWATCH_TRACE_STARTUP=1, which makes it print `startup painted <epoch s>` at the
main window's first paint and `startup chart_live <epoch s>` once the chart holds live data.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import figure, median, note, offscreen_env, parse_args


def one_start(timeout: float = 30.0) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="mw-cold-") as tmp:
        env = offscreen_env(Path(tmp), MARGINWATCH_TRACE_STARTUP="1")
        t0 = time.time()
        proc = subprocess.Popen(
            [sys.executable, "-m", "marginwatch", "--demo"], env=env, stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL, text=True,
        )
        marks: dict[str, float] = {}
        tail: list[str] = []  # the child's last stderr lines, to tell why a run failed
        try:
            assert proc.stderr is not None
            deadline = time.monotonic() + timeout
            for line in proc.stderr:
                if line.startswith("startup "):
                    _, what, at = line.split()
                    marks[what] = float(at) - t0
                elif "propagateSizeHints" not in line:
                    tail = [*tail[-19:], line.rstrip()]
                if len(marks) == 2 or time.monotonic() > deadline:
                    break
        finally:
            exited = proc.poll()  # not None: the app ended by itself before reporting both marks
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if len(marks) != 2:
            raise StartFailed(f"marks {marks}, exit code {exited}; stderr tail:\n" + "\n".join(tail))
        return marks["painted"], marks["chart_live"]


class StartFailed(RuntimeError):
    """A start that did not report both marks (the reason is in the message)."""


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    runs = 5 if args.quick else 10
    one_start()  # warm the OS file cache: "cold" here means a new process, not a cold disk
    results: list[tuple[float, float]] = []
    failed = 0
    while len(results) < runs and failed <= runs:
        try:
            results.append(one_start())
        except StartFailed as exc:  # reported, not hidden: a figure and the child's own words
            failed += 1
            note(f"start failed: {exc}")
    figure("cold_start.failed_runs", failed, "runs")
    if not results:
        raise SystemExit("every start failed")
    painted = [r[0] for r in results]
    live = [r[1] for r in results]
    note("painted: " + " ".join(f"{x:.3f}" for x in painted))
    note("chart_live: " + " ".join(f"{x:.3f}" for x in live))
    figure("cold_start.runs", runs, "runs")
    figure("cold_start.painted_median", median(painted), "s")
    figure("cold_start.chart_live_median", median(live), "s")
    figure("cold_start.painted_max", max(painted), "s")
    figure("cold_start.chart_live_max", max(live), "s")


if __name__ == "__main__":
    main()
