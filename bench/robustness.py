"""Figure 7: robustness table.

- Fuzz: random mutations (byte flips, inserts, deletes, splices) and truncations of every
  documented payload in tests/fixtures/binance, fed to both decoders. A crash is any exception
  other than FrameError; a hang is one decode taking over 1 s.
- Faults and soak: the exchange test-suite's fault matrix and soak (tests/exchange/test_faults.py,
  test_soak.py, test_sim_faults.py) run under pytest, with `MW_ROBUSTNESS_LOG` set so the tests
  leave their figures (tests/exchange/robustness_log.py): per fault, the time from the fault's end to
  a live session whose state equals the simulator's truth (recover) and from its injection (outage);
  for `refuse_private` (every private socket closed with 1008), the private connects, listenKey POSTs
  and REST snapshots in one minute of the user stream's default backoff, on virtual time; for the
  soak (5,000 user events across disconnects), events emitted and received and margin calls
  emitted and received exactly once. Pass/fail counts and durations are figures too.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import FIXTURES, REPO, figure, note, parse_args
from marginwatch.core.events import FrameError, decode_market_frame, decode_user_event

HANG_S = 1.0


def mutate(rnd: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(5)
        if not b:
            break
        i = rnd.randrange(len(b))
        if op == 0:
            b[i] = rnd.randrange(256)
        elif op == 1:
            b.insert(i, rnd.choice(b'{}[]",:0123456789.-eE \\ntfu'))
        elif op == 2:
            del b[i : i + rnd.randint(1, 8)]
        elif op == 3:
            b = b[:i]  # truncation
        else:
            j = rnd.randrange(len(b))
            b[i:i] = b[j : j + rnd.randint(1, 16)]  # splice a piece of itself
    return bytes(b)


def fuzz(total: int) -> tuple[int, int, int]:
    payloads = [p.read_bytes() for p in sorted(FIXTURES.glob("*.json"))]
    rnd = random.Random(12345)
    crashes = hangs = 0
    for k in range(total):
        frame = mutate(rnd, payloads[k % len(payloads)])
        for decode in (decode_user_event, decode_market_frame):
            t = time.perf_counter()
            try:
                decode(frame)
            except FrameError:
                pass
            except Exception as exc:  # anything else is a crash of the decoder's contract
                crashes += 1
                if crashes <= 5:
                    note(f"crash: {type(exc).__name__}: {exc!s:.200} on {frame[:120]!r}")
            if time.perf_counter() - t > HANG_S:
                hangs += 1
    return total, crashes, hangs


def pytest_figures(name: str, tests: list[str], log: Path) -> None:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, "MW_ROBUSTNESS_LOG": str(log)},
    )
    took = time.perf_counter() - t
    tail = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    passed = int(m.group(1)) if (m := re.search(r"(\d+) passed", tail)) else 0
    failed = int(m.group(1)) if (m := re.search(r"(\d+) failed", tail)) else 0
    note(f"{name}: {tail}")
    figure(f"robustness.{name}.passed", passed, "tests")
    figure(f"robustness.{name}.failed", failed, "tests")
    figure(f"robustness.{name}.seconds", took, "s")


def logged_figures(log: Path) -> None:
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    faults = [r for r in rows if r["kind"] == "fault"]
    injected = sum(r["kind"] == "fault_injected" for r in rows)
    figure("robustness.faults.injected", injected, "faults")
    figure("robustness.faults.recovered", len(faults), "faults", injected or None)
    if faults:
        recover = sorted(r["recover_s"] for r in faults)
        outage = sorted(r["outage_s"] for r in faults)
        figure("robustness.faults.recover_p50", statistics.median(recover), "s")
        figure("robustness.faults.recover_max", recover[-1], "s")
        figure("robustness.faults.outage_p50", statistics.median(outage), "s")
        figure("robustness.faults.outage_max", outage[-1], "s")
        slowest = max(faults, key=lambda r: r["recover_s"])
        note(f"slowest recovery: {slowest['name']} {slowest['recover_s']:.2f} s")
    for rate in (r for r in rows if r["kind"] == "per_minute"):
        for key, unit in (("private_connects", "connects/min"), ("listen_key_posts", "POSTs/min"),
                          ("snapshots", "snapshots/min")):
            figure(f"robustness.{rate['name']}.{key}", rate[key], unit)
    for soak in (r for r in rows if r["kind"] == "soak"):
        for key in ("events_emitted", "user_frames_received", "account_updates_applied", "disconnects",
                    "duplicates_dropped"):
            figure(f"robustness.soak.{key}", soak[key], "events" if key != "disconnects" else "cuts")
        figure("robustness.soak.margin_calls_received", soak["margin_calls_received"], "calls",
               soak["margin_calls_emitted"])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    total = 50_000 if args.quick else 1_000_000
    t = time.perf_counter()
    frames, crashes, hangs = fuzz(total)
    figure("robustness.fuzz.frames", frames, "frames")
    figure("robustness.fuzz.crashes", crashes, "crashes")
    figure("robustness.fuzz.hangs", hangs, "hangs")
    figure("robustness.fuzz.rate", frames / (time.perf_counter() - t), "frames/s")
    with tempfile.TemporaryDirectory(prefix="mw-robustness-") as tmp:
        log = Path(tmp) / "figures.jsonl"
        pytest_figures("faults", ["tests/exchange/test_faults.py", "tests/exchange/test_sim_faults.py"], log)
        pytest_figures("soak", ["tests/exchange/test_soak.py"], log)
        logged_figures(log)


if __name__ == "__main__":
    main()
