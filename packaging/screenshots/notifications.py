"""Regenerate resources/screenshots/settings-notifications.png: Settings → Notifications with two
example channels (a phone on ntfy with quiet hours, a webhook shown as failing).

Run: .venv/bin/python packaging/screenshots/notifications.py [--out PATH] [--lang zh_CN]
Renders offscreen unless QT_QPA_PLATFORM says otherwise. Settings and URLs go to a temporary
directory (a file keyring there stands in for the system keychain), never the user's own.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "resources/screenshots/settings-notifications.png")
    ap.add_argument("--lang", default=None, help="UI language, e.g. zh_CN")
    opts = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from keyrings.alt.file import PlaintextKeyring
    from PySide6.QtCore import QLocale, QSettings, QTranslator
    from PySide6.QtWidgets import QApplication

    from marginwatch.services.channel_settings import ChannelConfig
    from marginwatch.services.channel_store import ChannelStore
    from marginwatch.services.forward_channel import ForwardKind, QuietHours
    from marginwatch.services.secret_store import SecretStore
    from marginwatch.services.settings import AccountConfig, Settings
    from marginwatch.ui.settings_dialog import SettingsDialog

    app = QApplication([sys.argv[0]])
    if opts.lang:
        translator = QTranslator(app)
        if translator.load(QLocale(opts.lang), "marginwatch", "_", str(ROOT / "desktop/marginwatch/i18n")):
            app.installTranslator(translator)

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        for name in ("Main", "Hedge"):
            settings.save_account(AccountConfig(name, "mainnet", "hmac", f"KEY{name}0000"))
        keyring = PlaintextKeyring()
        keyring.file_path = str(Path(tmp) / "keyring.cfg")
        store = ChannelStore(settings, SecretStore(backend=keyring, allow_insecure=True))
        urgent = frozenset({ForwardKind.MARGIN_CALL, ForwardKind.DANGER, ForwardKind.HEALTH})
        store.save(ChannelConfig("a1b2c3d4e5f6", "Phone", urgent, None, QuietHours(time(23, 0), time(7, 0))),
                   "ntfys://tk_example@ntfy.sh/example-topic")
        store.save(ChannelConfig("f6e5d4c3b2a1", "Desk webhook", frozenset(ForwardKind), frozenset({"Main"})),
                   "json://hooks.example.com/marginwatch")
        dialog = SettingsDialog(settings, SecretStore(backend=keyring, allow_insecure=True), channels=store)
        tab = dialog.notifications
        dialog.tabs.setCurrentWidget(tab)
        tab.set_failing({"f6e5d4c3b2a1": "connection refused"})
        tab.edit_channel("a1b2c3d4e5f6")
        dialog.resize(820, 560)
        dialog.show()
        app.processEvents()
        opts.out.parent.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(opts.out))
        dialog.close()
    print(f"wrote {opts.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
