"""The per-account futures setting (USDⓈ-M, COIN-M or both): stored, refused when unknown, edited in
the settings dialog, and followed by the registry, which runs one service per side on one key."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from marginwatch.exchange.sim import DEMO_API_SECRET, SimulatedExchange
from marginwatch.services.account_registry import AccountRegistry
from marginwatch.services.coinm_service import CoinMAccountService
from marginwatch.services.secret_store import SecretStore
from marginwatch.services.settings import AccountConfig, Settings, account_problem
from marginwatch.ui.settings_dialog import SettingsDialog
from tests.services.test_account_registry import Heard, run_qasync, secrets, sim_account  # noqa: F401


def test_markets_round_trip_and_an_older_file_reads_as_usdm(ini: Path) -> None:
    s = Settings(QSettings(str(ini), QSettings.Format.IniFormat))
    s.save_account(AccountConfig("main", "mainnet", "hmac", "KEY1", markets="both"))
    s.save_account(AccountConfig("coin", "testnet", "hmac", "KEY2", markets="coinm"))
    again = Settings(QSettings(str(ini), QSettings.Format.IniFormat))
    assert [a.markets for a in again.accounts()] == ["both", "coinm"]
    raw = QSettings(str(ini), QSettings.Format.IniFormat)
    raw.remove("accounts/1/markets")  # as written before the setting existed
    raw.sync()
    assert Settings(QSettings(str(ini), QSettings.Format.IniFormat)).account("main").markets == "usdm"  # type: ignore[union-attr]


def test_an_unknown_market_is_refused_in_words() -> None:
    problem = account_problem(AccountConfig("main", "mainnet", "hmac", "KEY1", markets="spot"))
    assert problem is not None and "spot" in problem
    assert account_problem(AccountConfig("main", "mainnet", "hmac", "KEY1", markets="coinm")) is None


def test_the_editor_saves_and_shows_the_futures_choice(qtbot: QtBot, settings: Settings,
                                                       secrets: SecretStore) -> None:  # noqa: F811
    dialog = SettingsDialog(settings, secrets)
    qtbot.addWidget(dialog)
    dialog.new_account()
    dialog.name_edit.setText("main")
    dialog.api_key_edit.setText("KEYmain123")
    dialog.secret_edit.setText("dlgSecret-Vb7Nq2Lx9Rt4Mk8Wz3Hc")
    combo = dialog.accounts.markets_combo
    combo.setCurrentIndex(combo.findData("both"))
    assert dialog.save_account()
    assert settings.account("main").markets == "both"  # type: ignore[union-attr]
    dialog.new_account()
    assert combo.currentData() == "usdm"
    dialog.edit_account("main")
    assert combo.currentData() == "both"


def test_the_registry_runs_each_side_the_account_asks_for(qapp: QApplication, settings: Settings,
                                                          secrets: SecretStore) -> None:  # noqa: F811
    registry = AccountRegistry(settings, secrets, speed=1)
    heard = Heard(registry)

    async def main() -> None:
        async with SimulatedExchange(scenario="calm") as sim:
            secrets.save("Main", DEMO_API_SECRET)
            settings.save_account(replace(sim_account(sim), markets="both"))
            await registry.sync()
            assert list(registry.accounts) == ["Main", "Main · COIN-M"]
            coinm = registry.accounts["Main · COIN-M"]
            assert isinstance(coinm, CoinMAccountService)
            await asyncio.wait_for(coinm.session.ready.wait(), 5)
            assert coinm.pool_names() == ["Main · COIN-M BTC", "Main · COIN-M ETH"]
            # Each pool's risk is kept for the journal's snapshots, as an account's is.
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def check(*_args: object) -> None:
                if not done.done() and len(registry.risks) == 3:
                    done.set_result(None)

            for svc in registry.accounts.values():
                svc.risk_changed.connect(check)
            check()
            await asyncio.wait_for(done, 5)
            assert set(registry.risks) == {"Main", "Main · COIN-M BTC", "Main · COIN-M ETH"}
            settings.save_account(replace(sim_account(sim), markets="usdm"))
            await registry.sync()
            assert list(registry.accounts) == ["Main"]
            assert {"Main · COIN-M", "Main · COIN-M BTC", "Main · COIN-M ETH"} <= set(heard.removed)
            assert set(registry.risks) <= {"Main"}
            settings.save_account(replace(sim_account(sim), markets="coinm"))
            await registry.sync()
            assert list(registry.accounts) == ["Main · COIN-M"] and registry.demo is None
            await registry.close()

    run_qasync(qapp, main)
