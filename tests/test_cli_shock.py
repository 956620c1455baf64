"""`marginwatch-cli calc shock`: read once from the simulated exchange on loopback (saved 0600), the
same answer again from the saved snapshot, in JSON and in words, and bad input refused with exit 2."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from marginwatch.cli import main
from marginwatch.exchange.sim import SimulatedExchange

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60.0


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


async def _read_from_simulator(save: Path) -> dict[str, object]:
    sim = SimulatedExchange(scenario="calm", speed=1, autostart_engine=False)  # marks stay put
    await sim.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MARGINWATCH_API_")}
        env["PYTHONPATH"] = str(REPO / "desktop") + os.pathsep + str(REPO)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "marginwatch.cli", "calc", "shock", "--rest", sim.base_url, "--move", "-10",
            "--save", str(save), "--json", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT_S)
        assert proc.returncode == 0, err.decode()
        data: dict[str, object] = json.loads(out)
        return data
    finally:
        await sim.stop()


def test_a_shock_on_the_simulators_account_and_again_on_its_saved_snapshot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    save = tmp_path / "account.json"
    live = asyncio.run(_read_from_simulator(save))
    assert save.stat().st_mode & 0o777 == 0o600  # balances and positions are private
    code, out, err = run(capsys, "calc", "shock", "--snapshot", str(save), "--move", "-10", "--json")
    assert code == 0, err
    assert json.loads(out) == live
    positions = {(p["symbol"], p["side"]): p for p in live["positions"]}  # type: ignore[attr-defined]
    sol = positions[("SOLUSDT", "long")]
    assert sol["liquidated"] is True and sol["shocked_mark"] == "162"  # 180 - 10 %
    assert -10 < float(sol["liquidation_move_pct"]) < 0
    btc = positions[("BTCUSDT", "long")]
    assert btc["liquidated"] is False and float(btc["liquidation_price"]) > float(btc["liquidation_price_before"])
    assert live["liquidation_order"][0] == "SOLUSDT LONG"  # type: ignore[index]
    # Only BTCUSDT moved: SOLUSDT keeps its mark and is not liquidated.
    code, out, err = run(capsys, "calc", "shock", "--snapshot", str(save), "--move", "-10", "--symbols", "btcusdt",
                         "--json")  # fmt: skip
    only_btc = {(p["symbol"], p["side"]): p for p in json.loads(out)["positions"]}
    assert only_btc[("SOLUSDT", "long")]["shocked_mark"] == "180" and not only_btc[("SOLUSDT", "long")]["liquidated"]
    # Alts at 1.5x: SOLUSDT moves -15 %.
    code, out, err = run(capsys, "calc", "shock", "--snapshot", str(save), "--move", "-10", "--alts-beta", "1.5")
    assert code == 0, err
    assert "SOLUSDT long  isolated  180 -> 153" in out
    assert "liquidated first to last as the move deepens: SOLUSDT LONG" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--save", "x.json"], "--save needs --rest"),
        (["--beta", "SOLUSDT"], "--beta expects SYM=X"),
        (["--beta", "SOLUSDT=fast"], "--beta expects SYM=X"),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str], message: str
) -> None:
    snapshot = tmp_path / "s.json"
    snapshot.write_text(json.dumps({"account": {}, "positionRisk": [], "symbolConfig": [], "leverageBracket": []}))
    code, _out, err = run(capsys, "calc", "shock", "--snapshot", str(snapshot), "--move", "-5", *extra)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_move_that_is_not_a_number_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "calc", "shock", "--snapshot", "x.json", "--move", "ten")
    assert code == 2 and "not a number: 'ten'" in err


def test_a_snapshot_missing_a_part_says_which(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    snapshot = tmp_path / "s.json"
    snapshot.write_text(json.dumps({"account": {}}))
    code, _out, err = run(capsys, "calc", "shock", "--snapshot", str(snapshot), "--move", "-5")
    assert code == 2 and "lacks positionRisk, symbolConfig, leverageBracket" in err
