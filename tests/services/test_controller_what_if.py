"""The what-if panel in the demo app: a -10 % move on every mark is computed off the GUI thread on the
live accounts' states and shown with what dies first, computed again as the live marks move (the
demo's marks move every second) without touching the slider, COIN-M pools included; back at 0 %
the results go."""

from __future__ import annotations

import asyncio
from pathlib import Path

from marginwatch.services.journal import Journal

WAIT_S = 20


def test_a_ten_percent_drop_in_demo_mode_shows_what_dies_first(alert_path_app, in_qasync_loop, tmp_path: Path) -> None:
    app = alert_path_app(Journal.open(tmp_path / "journal.sqlite3"), ("--demo", "--scenario", "calm"))
    window = app.controller.window
    window.show()  # a hidden window's shock does not follow the marks

    async def scenario() -> tuple[str, list[str], int]:
        loop = asyncio.get_running_loop()
        shown: asyncio.Future[None] = loop.create_future()
        computed: asyncio.Future[None] = loop.create_future()
        followed: asyncio.Future[None] = loop.create_future()
        model = window.positions_model
        model.rowsInserted.connect(lambda *_: shown.done() or shown.set_result(None))

        def on_computed(*_: object) -> None:
            target = computed if not computed.done() else followed
            target.done() or target.set_result(None)

        app.controller.what_if.shown.connect(on_computed)
        run = loop.create_task(app.controller.run())
        try:
            if model.rowCount() == 0:
                await asyncio.wait_for(shown, WAIT_S)
            window.what_if.move_field.setValue(-10.0)
            await asyncio.wait_for(computed, WAIT_S)
            results = window.what_if.results_model
            names = [results.text(r, 0) for r in range(results.rowCount())]
            text = window.what_if.summary_text()
            await asyncio.wait_for(followed, WAIT_S)  # the live marks moved: the shock follows them
            window.what_if.move_field.setValue(0.0)
            return text, names, window.what_if.results_model.rowCount()
        finally:
            app.controller.request_quit()
            await asyncio.wait_for(run, WAIT_S)

    text, names, after_reset = in_qasync_loop(scenario)
    assert text.startswith("-10.00 % on every mark:") and "First to go: Demo · SOLUSDT long" in text
    assert names[0] == "Demo · SOLUSDT long" and len(names) >= 3
    # The COIN-M side's margin-coin pools are shocked as accounts of their own.
    assert any(name.startswith("Demo · COIN-M BTC · ") for name in names), names
    assert after_reset == 0
