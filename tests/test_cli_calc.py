"""`marginwatch-cli calc`: the seed example end to end, JSON shape, and bad input handling."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marginwatch.cli import main

SEED = ["calc", "auto-add", "--side", "long", "--entry", "18000", "--leverage", "10", "--contracts", "5000",
        "--face", "0.0001", "--mmr", "0.004", "--available", "50", "--json"]  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors and --help
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_seed_example_via_installed_command() -> None:
    exe = Path(sys.executable).with_name("marginwatch-cli")
    cmd = [str(exe), *SEED] if exe.exists() else [sys.executable, "-m", "marginwatch.cli", *SEED]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    steps = data["steps"]
    assert [(s["added"], s["liquidation_price"]) for s in steps] == [("36", "16200"), ("14", "16172")]
    assert steps[0]["trigger_price"] == "16272" and steps[0]["margin_after"] == "936"
    assert steps[1]["available_after"] == "0"


def test_human_output_lists_steps(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *SEED[:-1])
    assert code == 0
    assert "16200" in out and "16172" in out and "{" not in out


def test_liquidation_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "calc", "liquidation", "--side", "long", "--entry", "50000", "--qty", "1",
                         "--leverage", "10", "--mmr", "0.004", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["liquidation_price"].startswith("45180.7228915662")
    assert data["wallet_balance"] == "5000"


def test_liquidation_with_symbol_and_brackets_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = ["calc", "liquidation", "--side", "short", "--entry", "50000", "--qty", "1", "--leverage", "10",
            "--mode", "cross", "--position-mode", "hedge", "--wallet", "5000", "--json"]  # fmt: skip
    code, out, err = run(capsys, *base, "--symbol", "btcusdt")
    assert code == 0, err
    from_snapshot = json.loads(out)["liquidation_price"]
    f = tmp_path / "brackets.json"
    f.write_text('[{"symbol":"BTCUSDT","brackets":[{"bracket":1,"initialLeverage":125,"notionalCap":50000,'
                 '"notionalFloor":0,"maintMarginRatio":0.004,"cum":0},{"bracket":2,"initialLeverage":100,'
                 '"notionalCap":250000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50}]}]')  # fmt: skip
    code, out, err = run(capsys, *base, "--brackets", str(f))
    assert code == 0, err
    assert json.loads(out)["liquidation_price"] == from_snapshot


def test_other_tabs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calc", "pnl", "--side", "long", "--entry", "100", "--exit", "110", "--qty", "2",
                       "--leverage", "10", "--json")  # fmt: skip
    assert code == 0 and json.loads(out) == {"tab": "pnl", "initial_margin": "20", "pnl": "20", "roe_pct": "100"}
    code, out, _ = run(capsys, "calc", "target", "--side", "short", "--entry", "100", "--roe", "50", "--leverage",
                       "10", "--json")  # fmt: skip
    assert json.loads(out)["target_price"] == "95"
    code, out, _ = run(capsys, "calc", "max-open", "--balance", "1000000000", "--leverage", "20", "--price",
                       "50000", "--symbol", "BTCUSDT", "--json")  # fmt: skip
    assert json.loads(out)["max_qty"] == "300"
    code, out, _ = run(capsys, "calc", "open-price", "--fill", "100:1", "--fill", "200:3", "--json")
    assert json.loads(out)["average_price"] == "175"


def test_help_lists_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calc", "auto-add", "--help")
    assert code == 0
    for opt in ("--side", "--entry", "--contracts", "--face", "--mmr", "--available", "--convention", "--json"):
        assert opt in out


@pytest.mark.parametrize(
    "argv",
    [
        ["calc", "pnl", "--side", "long", "--entry", "abc", "--exit", "1", "--qty", "1", "--leverage", "1"],
        ["calc", "pnl", "--side", "long", "--entry", "-5", "--exit", "1", "--qty", "1", "--leverage", "1"],
        ["calc", "pnl", "--side", "long", "--entry", "5", "--exit", "1", "--qty", "1", "--leverage", "0"],
        ["calc", "pnl", "--side", "long", "--entry", "5"],
        ["calc", "pnl", "--side", "sideways", "--entry", "5", "--exit", "1", "--qty", "1", "--leverage", "1"],
        ["calc", "liquidation", "--side", "long", "--entry", "5", "--qty", "1", "--leverage", "1"],
        ["calc", "liquidation", "--side", "long", "--entry", "50000", "--qty", "10", "--leverage", "100",
         "--symbol", "BTCUSDT"],
        ["calc", "liquidation", "--side", "long", "--entry", "5", "--qty", "1", "--leverage", "1", "--symbol", "NOPE"],
        ["calc", "liquidation", "--side", "long", "--entry", "5", "--qty", "1", "--leverage", "1",
         "--brackets", "/nonexistent/brackets.json"],
        ["calc", "auto-add", "--side", "long", "--entry", "18000", "--leverage", "10", "--contracts", "5000",
         "--mmr", "0.004", "--available", "nan"],
        ["calc", "open-price", "--fill", "100"],
        ["calc", "max-open", "--balance", "1", "--leverage", "5", "--price", "1"],
        ["calc"],
        ["calc", "nosuchtab"],
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "error" in lines[0] and "Traceback" not in err


HUGE_INPUTS = [
    ["calc", "liquidation", "--symbol", "BTCUSDT", "--side", "long", "--entry", "1e999999999", "--qty", "0.5",
     "--leverage", "20", "--mode", "isolated", "--wallet", "1500"],
    ["calc", "pnl", "--side", "long", "--entry", "5", "--exit", "6", "--qty", "1", "--leverage", "1e999999"],
    [*SEED[:-3], "--available", "1e999999"],
    [*SEED[:-3], "--available", "1e-999999"],
    [*SEED[:-3], "--available", "1" + "0" * 5000],
    [*SEED[:-3], "--available", "1." + "0" * 5000 + "1"],
    [*SEED[:-1], "--max-steps", "1000000000"],
]  # fmt: skip


@pytest.mark.parametrize("argv", HUGE_INPUTS, ids=["entry", "leverage", "available", "tiny", "wide", "long", "steps"])
def test_huge_inputs_exit_2_at_once_with_one_short_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    start = time.perf_counter()
    code, out, err = run(capsys, *argv)
    assert time.perf_counter() - start < 2.0  # rejected, not computed
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 200, err
    assert any(word in lines[0] for word in ("too large", "too small", "too long", "between 1 and")), lines[0]


def test_largest_accepted_input_still_computes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "calc", "pnl", "--side", "long", "--entry", "999999999999999", "--exit",
                         "0.000000000000000001", "--qty", "1", "--leverage", "125", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["pnl"].startswith("-999999999999")


def test_bad_brackets_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "b.json"
    f.write_text("{not json")
    code, _, err = run(capsys, "calc", "max-open", "--balance", "1", "--leverage", "5", "--price", "1",
                       "--brackets", str(f))  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_auto_add_takes_mmr_from_symbol_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a for a in SEED if a not in ("--mmr", "0.004")]
    code, out, err = run(capsys, *argv, "--symbol", "BTCUSDT")  # 900 USDT notional: bracket 1, 0.4 %
    assert code == 0, err
    assert [s["liquidation_price"] for s in json.loads(out)["steps"]] == ["16200", "16172"]
    code, out, err = run(capsys, *argv, "--symbol", "BTCUSDT", "--convention", "binance")
    assert code == 0, err
    assert [s["added"] for s in json.loads(out)["steps"]] == ["36", "14"]


def test_auto_add_says_when_an_addition_leaves_no_liquidation_price(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["calc", "auto-add", "--contract", "inverse", "--side", "short", "--entry", "92243", "--contracts",
            "197212", "--face", "10", "--leverage", "2", "--mmr", "0.05", "--available", "12.3374"]  # fmt: skip
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert out.strip().splitlines()[-1] == "no liquidation price after the last addition: nothing more is added"
    code, out, _ = run(capsys, *argv, "--json")
    steps = json.loads(out)["steps"]
    assert len(steps) == 11 and steps[-1]["liquidation_price"] is None
    assert steps[-1]["available_after"].startswith("0.5786")
