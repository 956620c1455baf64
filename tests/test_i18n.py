"""简体中文: the translation is complete, current, and nothing user-visible is left in English.

The live check builds the real windows with the zh_CN translator installed and reads every text a
user can see (labels, buttons, actions and menus, titles, tabs, headers, combo items, placeholders,
tool tips, table cells, log rows); a text with an English word that is not on the allow-list fails.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from keyring.backends import fail
from PySide6.QtCore import QCoreApplication, QLocale, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from marginwatch import i18n
from marginwatch.core.position import PositionSide
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState
from tests.ui.risk_factories import account_risk, position_risk

ROOT = Path(__file__).resolve().parents[1]
TS = ROOT / "desktop/marginwatch/i18n/marginwatch_zh_CN.ts"
QM = ROOT / "desktop/marginwatch/i18n/marginwatch_zh_CN.qm"

# Names, units and protocol words that stay as they are in the Chinese UI; language names are
# written in their own language.
ALLOWED_WORDS = {
    "MarginWatch", "Binance", "API", "HMAC", "Ed", "ROE", "PnL", "MEXC", "CSV", "USDT", "USDC", "USD", "BUSD",
    "FDUSD", "COIN", "PEM", "REST", "URL", "WebSocket", "IP", "Ctrl", "csv", "BEGIN", "END", "PRIVATE", "KEY",
    "English", "GNOME", "KWallet", "keyring", "Linux", "http", "ws", "https", "wss", "fapi", "fstream",
    "example", "com", "ntfy",
}
ALLOWED_PHRASES = ("API Key", "Secret Key", "Secret Service")  # as Binance's Chinese UI and freedesktop call them
SYMBOL = re.compile(r"^[A-Z0-9]{2,}(USDT|USDC|USD|BUSD|FDUSD)$")
WORD = re.compile(r"[A-Za-z]{3,}")
TAG = re.compile(r"<[^>]+>")


def english_words(text: str) -> list[str]:
    text = TAG.sub(" ", text)
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, " ")
    out = []
    for token in re.findall(r"[A-Za-z0-9]+", text):
        for word in WORD.findall(token):
            if word not in ALLOWED_WORDS and not SYMBOL.match(token):
                out.append(word)
    return out


def test_allow_list_catches_english() -> None:
    assert english_words("Margin ratio") == ["Margin", "ratio"]
    assert english_words("<b>保证金率</b> BTCUSDT 12.5 % -- MarginWatch") == []
    assert english_words("API Key 与 Secret Key") == []
    assert english_words("计算器(&C)… Ctrl+K") == []


def _update_translations() -> ModuleType:
    spec = importlib.util.spec_from_file_location("update_translations", ROOT / "packaging/update_translations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _messages(ts: Path) -> list[tuple[str, str, ET.Element]]:
    root = ET.parse(ts).getroot()
    return [
        (ctx.findtext("name", ""), msg.findtext("source", ""), msg.find("translation"))  # type: ignore[misc]
        for ctx in root.iter("context")
        for msg in ctx.iter("message")
    ]


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{\w*\}|%\d|%[sd]|%n", text))


# ---- the .ts file --------------------------------------------------------------------------------


def test_ts_is_complete_and_keeps_placeholders() -> None:
    messages = _messages(TS)
    assert len(messages) > 250
    for ctx, source, translation in messages:
        assert translation is not None, (ctx, source)
        state = translation.get("type")
        assert state not in ("unfinished", "vanished", "obsolete"), (ctx, source, state)
        text = translation.text or ""
        assert text.strip(), (ctx, source)
        assert _placeholders(text) == _placeholders(source), (ctx, source, text)
        if re.search(r"&\w", source):  # keyboard accelerator kept, written the Chinese way: 文件(&F)
            assert re.search(r"\(&[A-Z]\)", text), (ctx, source, text)


def test_every_string_lupdate_finds_is_translated(tmp_path: Path) -> None:
    tool = _update_translations()
    ts = tmp_path / TS.name
    shutil.copy(TS, ts)
    tool.lupdate(ts)
    pending = [(c, s) for c, s, tr in _messages(ts) if tr is None or tr.get("type") or not (tr.text or "").strip()]
    assert pending == [], "run packaging/update_translations.py and translate these"
    assert len(_messages(ts)) == len(_messages(TS)), "the committed .ts is stale: run update_translations.py"


def test_committed_qm_is_built_from_the_ts(tmp_path: Path) -> None:
    tool = _update_translations()
    qm = tmp_path / QM.name
    tool.lrelease(TS, qm)
    assert qm.read_bytes() == QM.read_bytes(), "run packaging/update_translations.py --release"


# ---- choosing the language ---------------------------------------------------------------------------


@pytest.fixture
def app(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[QApplication]:
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    default = QLocale()
    yield qapp
    QLocale.setDefault(default)
    # Before monkeypatch's own undo (it was set up first, so it is torn down last): a test that set
    # $MARGINWATCH_LANG=zh_CN would otherwise leave Chinese installed for the tests after it.
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    i18n.install_translator(qapp, "en")


def test_english_installs_nothing(app: QApplication) -> None:
    assert i18n.install_translator(app, "zh_CN") == "zh_CN"
    assert QCoreApplication.translate("MainWindow", "&File") == "文件(&F)"
    assert i18n.install_translator(app, "en") == "en"
    assert QCoreApplication.translate("MainWindow", "&File") == "&File"


def test_system_follows_the_locale(app: QApplication) -> None:
    QLocale.setDefault(QLocale("zh_CN"))
    assert i18n.install_translator(app, "system") == "zh_CN"
    assert QCoreApplication.translate("TrayIcon", "Quit") == "退出"
    QLocale.setDefault(QLocale("zh_TW"))  # traditional script: no translation of ours fits, English
    assert i18n.install_translator(app, "system") == "en"
    QLocale.setDefault(QLocale("en_GB"))
    assert i18n.install_translator(app, "system") == "en"


def test_env_var_wins_over_settings(app: QApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(i18n.ENV_VAR, "en")
    assert i18n.install_translator(app, "zh_CN") == "en"
    monkeypatch.setenv(i18n.ENV_VAR, "zh_CN")
    assert i18n.install_translator(app, "en") == "zh_CN"


def test_system_language_from_lang_in_a_fresh_process() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANGUAGE", i18n.ENV_VAR)}
    code = (
        "from PySide6.QtCore import QCoreApplication; from marginwatch import i18n; "
        "app = QCoreApplication([]); print(i18n.install_translator(app, 'system'))"
    )
    for lang, expected in (("zh_CN.UTF-8", "zh_CN"), ("en_US.UTF-8", "en")):
        out = subprocess.run(
            [sys.executable, "-c", code], env={**env, "LANG": lang}, capture_output=True, text=True, timeout=30
        )
        assert out.stdout.strip() == expected, out.stderr


# ---- nothing left in English -------------------------------------------------------------------------


def _texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every user-visible text in `root` and its children."""
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        where = f"{type(w).__name__}:{w.objectName()}"
        if w.isWindow():
            yield where + " title", w.windowTitle()
        yield where + " tooltip", w.toolTip()
        if isinstance(w, QLabel):
            yield where, w.text()
        if isinstance(w, QAbstractButton):
            yield where, w.text()
        if isinstance(w, QLineEdit):
            yield where + " placeholder", w.placeholderText()
        if isinstance(w, (QPlainTextEdit, QTextEdit)):
            yield where + " placeholder", w.placeholderText()
        if isinstance(w, QGroupBox):
            yield where, w.title()
        if isinstance(w, QAbstractSpinBox):
            yield where + " suffix", getattr(w, "suffix", lambda: "")()
            yield where + " prefix", getattr(w, "prefix", lambda: "")()
            yield where + " special", w.specialValueText()
        if isinstance(w, QComboBox):
            for i in range(w.count()):
                yield where + f" item {i}", w.itemText(i)
        if isinstance(w, QTabWidget):
            for i in range(w.count()):
                yield where + f" tab {i}", w.tabText(i)
                yield where + f" tab tip {i}", w.tabToolTip(i)
        if isinstance(w, QMenu):
            yield where, w.title()
        if isinstance(w, QListWidget):
            for i in range(w.count()):
                item = w.item(i)
                yield where + f" row {i}", item.text()
                yield where + f" row tip {i}", item.toolTip()
        if isinstance(w, QAbstractItemView) and w.model() is not None and not isinstance(w, (QListWidget, QHeaderView)):
            model = w.model()
            for orientation, count in ((Qt.Orientation.Horizontal, model.columnCount()),):
                for i in range(count):
                    yield where + f" header {i}", str(model.headerData(i, orientation) or "")
            for r in range(model.rowCount()):
                for c in range(model.columnCount()):
                    index = model.index(r, c)
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        value = model.data(index, role)
                        if isinstance(value, str):
                            yield where + f" cell {r},{c}", value
        for action in w.actions():
            yield where + " action", action.text()
            yield where + " action tip", action.toolTip()
            if action.menu() is not None:
                yield from _texts(action.menu())


def assert_chinese(root: QWidget) -> None:
    left = [(where, text) for where, text in _texts(root) if english_words(text)]
    assert left == [], "\n".join(f"{where}: {text!r}" for where, text in left)


@pytest.fixture
def zh(app: QApplication) -> QApplication:
    assert i18n.install_translator(app, "zh_CN") == "zh_CN"
    return app


def test_main_window_in_chinese(qtbot: QtBot, zh: QApplication) -> None:
    from marginwatch.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    assert window.windowTitle() == "MarginWatch"
    risk = account_risk(
        position_risk("BTCUSDT", PositionSide.LONG, ratio="0.85"),
        position_risk("ETHUSDT", PositionSide.SHORT, amount="-2", entry="3000", mark="3100", liq="3500"),
        ratio="0.6",
    )
    window.update_account("主账户", risk)
    window.update_account("联合账户", dataclasses.replace(risk, multi_assets=True))
    for state in StreamState:
        window.set_health("主账户", StreamHealth("user", state, reason="超时", next_retry_at=1e12, last_message_at=0))
        window.set_health("主账户", StreamHealth("market", state, last_message_at=0.0))
        assert_chinese(window)
    for kind in ("margin_call", "threshold", "connection", "info"):
        window.add_event(1_700_000_000.0, kind, "BTCUSDT")
    window.show_alert("BTCUSDT", RiskTier.DANGER)
    window.set_demo_mode(True)
    window.show()
    assert_chinese(window)
    from marginwatch.ui.liquidation_chart import LiquidationChart

    window.attach_chart(LiquidationChart())
    assert_chinese(window)
    window.show_about()
    assert window._about is not None
    assert_chinese(window._about)
    window.allow_close()


def test_calculator_in_chinese(qtbot: QtBot, zh: QApplication) -> None:
    from marginwatch.ui.calculator_dialog import CalculatorDialog

    dialog = CalculatorDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert_chinese(dialog)


def test_settings_in_chinese(qtbot: QtBot, zh: QApplication, tmp_path: Path) -> None:
    from marginwatch.services.secret_store import SecretStore
    from marginwatch.services.settings import Settings
    from marginwatch.ui.settings_dialog import SettingsDialog

    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    dialog = SettingsDialog(settings, SecretStore(backend=fail.Keyring()))
    qtbot.addWidget(dialog)
    dialog.show()
    assert_chinese(dialog)
    dialog.new_account()
    dialog.name_edit.setText("主账户")
    dialog.api_key_edit.setText("k" * 64)
    dialog.secret_edit.setText("s" * 64)
    assert not dialog.save_account()  # no keychain here: the dialog explains and offers this run only
    assert dialog.keychain_panel.isVisibleTo(dialog)
    dialog.name_edit.setText("")
    assert not dialog.save_account()  # a problem with the form, in words from services.settings
    assert_chinese(dialog)


def test_history_in_chinese(qtbot: QtBot, zh: QApplication, tmp_path: Path) -> None:
    from marginwatch.services.journal import Journal
    from marginwatch.ui.history_dialog import HistoryDialog

    journal = Journal.open(tmp_path / "journal.sqlite3")
    try:
        raw = '{"e":"MARGIN_CALL"}'
        journal.record_margin_call("主账户", raw, {"p": [{"s": "BTCUSDT"}]}, 1, "mc1", received_at=1e9)
        journal.record_connection("主账户", StreamHealth("user", StreamState.RECONNECTING), at=1e9 + 1)
        journal.record_snapshot("主账户", account_risk(position_risk()))
        dialog = HistoryDialog(journal)
        qtbot.addWidget(dialog)
        dialog.show()
        assert dialog.table.rowCount() >= 3
        assert_chinese(dialog)
    finally:
        journal.close()


def test_risk_history_in_chinese(qtbot: QtBot, zh: QApplication, tmp_path: Path) -> None:
    from marginwatch.services.journal import Journal
    from marginwatch.services.risk_history import RiskHistory
    from marginwatch.ui.risk_history_chart import RiskHistoryDialog

    journal = Journal.open(tmp_path / "journal.sqlite3")
    try:
        history = RiskHistory(journal, lambda: {"主账户": account_risk(position_risk())})
        history.sample()
        dialog = RiskHistoryDialog(history, journal)
        qtbot.addWidget(dialog)
        dialog.chart.reload_series()
        dialog.show()
        assert dialog.chart.series_combo.count() == 2
        assert_chinese(dialog)
        dialog.chart.select("主账户", "NOPE")  # no samples: the status line says so
        assert_chinese(dialog)
    finally:
        journal.close()


def test_adl_and_funding_alerts_in_chinese(zh: QApplication) -> None:
    from decimal import Decimal

    from marginwatch.core.adl_funding_rules import AdlTopBucket, FundingCrossing
    from marginwatch.services.adl_funding_alerts import adl_alert, funding_alert

    alerts = [
        adl_alert(AdlTopBucket("主账户", "BTCUSDT", "LONG")),
        funding_alert(FundingCrossing("主账户", "account", RiskTier.CALM, RiskTier.WARNING, Decimal("-12.5"),
                                      1_700_000_000_000, Decimal("0.52"))),
        funding_alert(FundingCrossing("主账户", "SOLUSDT LONG", RiskTier.WARNING, RiskTier.DANGER, Decimal("3"),
                                      None, None, Decimal("4.2"))),
    ]
    for alert in alerts:
        assert english_words(alert.title + alert.body) == [], alert


def test_tray_menu_in_chinese(zh: QApplication) -> None:
    from marginwatch.ui.tray_icon import TrayIcon

    tray = TrayIcon()
    texts = tray.menu_texts()
    assert texts and all(not english_words(t) for t in texts), texts
    assert_chinese(tray._menu)


def test_alerts_in_chinese(zh: QApplication) -> None:
    from decimal import Decimal

    from marginwatch.core.alert_rules import Metric, StreamDownAlert, ThresholdAlert
    from marginwatch.services.alert import sample_alert, stream_alert, threshold_alert

    alerts = [
        sample_alert(),
        threshold_alert(ThresholdAlert("主账户", "account", Metric.MARGIN_RATIO, RiskTier.DANGER, Decimal("0.9"),
                                       Decimal("0.8"), at_start=True)),
        threshold_alert(ThresholdAlert("主账户", "BTCUSDT LONG", Metric.DISTANCE, RiskTier.WARNING, Decimal("8"),
                                       Decimal("10"))),
        stream_alert(StreamDownAlert("主账户", "market", 75.0, None)),
        stream_alert(StreamDownAlert("主账户", "user", 75.0, None, restored=True)),
    ]
    for alert in alerts:
        assert english_words(alert.title + alert.body) == [], alert


def test_key_check_and_account_problems_in_chinese(zh: QApplication) -> None:
    from marginwatch.services.key_check import _skew_warning, permission_warnings
    from marginwatch.services.settings import AccountConfig, account_problem

    flags = {"enableFutures": True, "enableMargin": True, "enableWithdrawals": True, "enableInternalTransfer": True,
             "ipRestrict": False, "enableReading": False}
    texts = [*permission_warnings(flags), _skew_warning(2500), _skew_warning(-2500)]
    texts.append(account_problem(AccountConfig("", "mainnet", "hmac", "k")) or "")
    texts.append(account_problem(AccountConfig("主账户", "custom", "hmac", "k", rest_url="ftp://x")) or "")
    assert len(texts) == 10
    for text in texts:
        assert text and english_words(text) == [], text
