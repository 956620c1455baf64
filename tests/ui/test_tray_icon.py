"""The tray icon follows the worst tier and offers the actions a trader needs."""

from __future__ import annotations

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.ui.tray_icon import TrayIcon


def test_menu_and_state(qtbot) -> None:
    tray = TrayIcon()
    assert tray.menu_texts() == [
        "Show MarginWatch", "Acknowledge alerts", "Calculator…", "Send test notification", "Quit"]
    assert tray.disconnected
    before = tray._tray.icon().cacheKey()
    tray.set_state(RiskTier.DANGER, disconnected=False, tooltip="MarginWatch — danger")
    assert tray.tier is RiskTier.DANGER and not tray.disconnected
    assert tray._tray.icon().cacheKey() != before
    assert tray._tray.toolTip() == "MarginWatch — danger"


def test_menu_actions_emit_signals(qtbot) -> None:
    tray = TrayIcon()
    actions = {a.text(): a for a in tray._menu.actions()}
    with qtbot.waitSignal(tray.test_notification_requested, timeout=1000):
        actions["Send test notification"].trigger()
    with qtbot.waitSignal(tray.quit_requested, timeout=1000):
        actions["Quit"].trigger()
    with qtbot.waitSignal(tray.acknowledge_requested, timeout=1000):
        actions["Acknowledge alerts"].trigger()


def test_balloon_fallback_says_no_when_there_is_no_tray(qtbot) -> None:
    tray = TrayIcon()
    # Offscreen there is no system tray: the notifier must know the balloon went nowhere.
    assert tray.show_balloon("t", "b", RiskTier.DANGER) is False
