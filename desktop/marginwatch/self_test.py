"""`marginwatch --self-test`: the full app, offscreen, in demo mode, checked end to end.

Meant for frozen bundles, which are known to lose lazily imported modules (websockets' client,
keyring backends, notifier backends): it imports and exercises them for real, waits for a margin
call to reach the notifier, and prints one JSON line. Exit status 0 when every check passed.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
import tempfile
import time
from typing import Any

LAZY_MODULES = (
    "websockets.asyncio.client",
    "aiohttp.web",
    "msgspec.json",
    "keyring.backends.SecretService",
    "keyring.backends.fail",
    "desktop_notifier.backends.dbus" if sys.platform.startswith("linux") else "desktop_notifier",
    "pyqtgraph",
    "marginwatch.cli_calc",
    "marginwatch.cli_sim",
    "marginwatch.cli_notify",
    "apprise",
    "marginwatch.exchange.sim",
    "marginwatch.ui.liquidation_chart",
)


def _imports() -> dict[str, bool]:
    out = {}
    for name in LAZY_MODULES:
        try:
            importlib.import_module(name)
            out[name] = True
        except Exception:
            out[name] = False
    return out


# Apprise finds its plugins by listing its plugins folder: a bundle without the files has no services.
FORWARDING_SAMPLES = {
    "ntfy": "ntfy://127.0.0.1:9/topic",
    "json": "json://127.0.0.1:9/hook",
    "mailto": "mailto://127.0.0.1:9?from=a@example.com&to=b@example.com",
}


def _forwarding_plugins() -> dict[str, bool]:
    """Scheme -> whether Apprise builds a sender for it (nothing is sent)."""
    try:
        import apprise
    except Exception:
        return dict.fromkeys(FORWARDING_SAMPLES, False)
    return {
        scheme: apprise.Apprise.instantiate(url) is not None for scheme, url in FORWARDING_SAMPLES.items()
    }


def run_self_test(timeout_s: float = 60.0, language: str = "system") -> int:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    scratch = tempfile.mkdtemp(prefix="marginwatch-self-test-")
    os.environ["XDG_CONFIG_HOME"] = os.path.join(scratch, "config")
    os.environ["XDG_DATA_HOME"] = os.path.join(scratch, "data")

    import qasync
    from PySide6.QtWidgets import QApplication

    from marginwatch import resources
    from marginwatch.app_args import parse_args
    from marginwatch.controller import AppController
    from marginwatch.services.alert import AlertKind
    from marginwatch.services.secret_store import SecretStore
    from marginwatch.ui.main_window import MainWindow

    started = time.monotonic()
    report: dict[str, Any] = {"checks": {}}
    checks = report["checks"]
    app = QApplication([sys.argv[0]])
    from PySide6.QtCore import QTranslator

    from marginwatch import i18n

    report["language"] = i18n.install_translator(app, language)
    # Frozen bundles must carry the compiled translations, whatever language this run uses.
    checks["translations"] = all(QTranslator().load(str(i18n.qm_path(lang))) for lang in i18n.TRANSLATED)
    store = SecretStore()
    checks["keychain_backend"] = store.backend_name()
    checks["keychain_usable"] = store.available()
    res = resources.check()
    checks["resources"] = all(res.values())
    if not checks["resources"]:
        report["missing_resources"] = [k for k, ok in res.items() if not ok]
    plugins = _forwarding_plugins()
    checks["forwarding_plugins"] = all(plugins.values())
    if not checks["forwarding_plugins"]:
        report["missing_forwarding_plugins"] = [k for k, ok in plugins.items() if not ok]
    imports = _imports()
    checks["imports"] = all(imports.values())
    if not checks["imports"]:
        report["failed_imports"] = [k for k, ok in imports.items() if not ok]

    window = MainWindow()
    window.show()
    controller = AppController(app, window, parse_args(["--demo", "--speed", "20"]))

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        got: asyncio.Future[tuple[Any, str]] = loop.create_future()

        def on_alert(alert: Any, channel: str) -> None:
            if alert.kind is AlertKind.MARGIN_CALL and not got.done():
                got.set_result((alert, channel))

        controller.alert_delivered.connect(on_alert)
        run = loop.create_task(controller.run())
        try:
            alert, channel = await asyncio.wait_for(got, timeout_s)
            checks["margin_call_notified"] = True
            report["notification_channel"] = channel
            report["margin_call"] = alert.title
            checks["positions_shown"] = window.positions_model.rowCount() > 0
            checks["chart_live"] = window.chart is not None and bool(window.chart.bars())
        except TimeoutError:
            checks["margin_call_notified"] = False
        finally:
            controller.request_quit()
            await asyncio.wait_for(run, 15)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(scenario())
    # A usable keychain is reported, not required: a headless CI box has none.
    required = [k for k, v in checks.items() if isinstance(v, bool) and k != "keychain_usable"]
    report["ok"] = all(checks[k] for k in required)
    report["seconds"] = round(time.monotonic() - started, 2)
    print(json.dumps(report, sort_keys=True), flush=True)
    return 0 if report["ok"] else 1
