"""Shared bits of the benchmarks: the one-line-per-figure output, `--quick`, fixtures and helpers.

Every figure is printed as `name value unit baseline ratio` (baseline and ratio "-" when there is
none), so runs can be diffed over time. `ratio` is value / baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "binance"
BENCH = Path(__file__).resolve().parent


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="short run (CI mode); figures are noisier")
    return p.parse_args(argv)


def _fmt(x: float | int | str | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if isinstance(x, int) or (float(x).is_integer() and abs(x) >= 1000):
        return str(int(x))
    return f"{x:.4g}" if abs(x) < 1000 else f"{x:.0f}"


def figure(name: str, value: float | int | str, unit: str, baseline: float | None = None) -> None:
    """Print one figure line; ratio = value / baseline when a baseline was measured in this run."""
    ratio = None
    if baseline is not None and not isinstance(value, str) and baseline:
        ratio = f"{value / baseline:.2f}"
    print(f"{name} {_fmt(value)} {unit} {_fmt(baseline)} {ratio or '-'}", flush=True)


def note(text: str) -> None:
    """Context for humans, on stderr so the figure stream on stdout stays machine-readable."""
    print(f"# {text}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, round(pct / 100 * (len(s) - 1))))
    return s[k]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def offscreen_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Environment for a child app: offscreen Qt, private settings/data dirs, no desktop bus."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_STATE_HOME=str(tmp / "state"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        XDG_RUNTIME_DIR=str(tmp / "run"),
        USER=f"bench{os.getpid()}{time.monotonic_ns()}",  # own single-instance name
        MARGINWATCH_LOG="WARNING",
    )
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    for d in ("config", "data", "state", "cache", "run"):
        (tmp / d).mkdir(parents=True, exist_ok=True, mode=0o700)
    env.update(extra)
    return env
