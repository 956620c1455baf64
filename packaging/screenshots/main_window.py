"""Regenerate resources/screenshots/main-window.png: the real app in demo mode, after a margin call.

Run: .venv/bin/python packaging/screenshots/main_window.py [--lang zh_CN] [--out PATH]
Renders offscreen unless QT_QPA_PLATFORM says otherwise; settings go to a throwaway directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "resources/screenshots/main-window.png")
    ap.add_argument("--lang", default=None, help="UI language, e.g. zh_CN")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds of live data after the margin call")
    opts = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = tempfile.mkdtemp(prefix="mw-shot-")
    os.environ["XDG_CONFIG_HOME"] = scratch + "/config"
    os.environ["XDG_DATA_HOME"] = scratch + "/data"
    if opts.lang:
        os.environ["MARGINWATCH_LANG"] = opts.lang

    import qasync
    from PySide6.QtWidgets import QApplication

    from marginwatch.app import parse_args
    from marginwatch.controller import AppController
    from marginwatch.services.alert import AlertKind
    from marginwatch.ui.main_window import MainWindow

    app = QApplication([sys.argv[0]])
    app.setApplicationName("MarginWatch")
    from marginwatch import i18n

    i18n.install_translator(app, opts.lang or "en")  # MARGINWATCH_LANG, set above, wins
    window = MainWindow()
    window.show()
    controller = AppController(app, window, parse_args(["--demo", "--speed", "8"]))

    async def capture() -> None:
        got = asyncio.get_running_loop().create_future()

        def on_alert(alert: object, _channel: str) -> None:
            if getattr(alert, "kind", None) is AlertKind.MARGIN_CALL and not got.done():
                got.set_result(None)

        controller.alert_delivered.connect(on_alert)
        await asyncio.wait_for(got, 90)
        await asyncio.sleep(opts.settle)  # let marks tick so the bars and table look alive
        opts.out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(opts.out))
        print(f"wrote {opts.out}")
        controller.request_quit()

    async def run() -> int:
        task = asyncio.get_running_loop().create_task(capture())
        code = await controller.run()
        await task
        return code

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
