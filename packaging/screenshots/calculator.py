"""Regenerate resources/screenshots/calculator.png: the calculator dialog prefilled from a demo
position, on the Auto-Add Margin tab with the seed's worked example (36 → 16200, 14 → 16172).

Run: .venv/bin/python packaging/screenshots/calculator.py [--tab auto_add] [--out PATH] [--lang zh_CN]
`--tab all` writes one PNG per tab next to --out (calculator-<tab>.png), for checking layouts.
Renders offscreen unless QT_QPA_PLATFORM says otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABS = ("pnl", "target", "liquidation", "max_open", "open_price", "auto_add")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "resources/screenshots/calculator.png")
    ap.add_argument("--tab", default="auto_add", choices=(*TABS, "all"))
    ap.add_argument("--lang", default=None, help="UI language, e.g. zh_CN (when a translation is installed)")
    opts = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QLocale, QTranslator
    from PySide6.QtWidgets import QApplication

    from marginwatch.core.brackets_snapshot import load_snapshot
    from marginwatch.core.position import MarginType, Position, PositionSide
    from marginwatch.ui.calculator_dialog import CalculatorDialog

    app = QApplication([sys.argv[0]])
    if opts.lang:
        translator = QTranslator(app)
        if translator.load(QLocale(opts.lang), "marginwatch", "_", str(ROOT / "desktop/marginwatch/i18n")):
            app.installTranslator(translator)

    # The seed's trader: 5000 contracts of 0.0001 BTC (0.5 BTC) long at 18000, 10x, isolated.
    position = Position(
        symbol="BTCUSDT",
        position_side=PositionSide.BOTH,
        amount=Decimal("5000"),
        contract_size=Decimal("0.0001"),
        entry_price=Decimal("18000"),
        mark_price=Decimal("17650"),
        margin_type=MarginType.ISOLATED,
        isolated_wallet=Decimal("900"),
        leverage=10,
    )
    dialog = CalculatorDialog()
    dialog.set_brackets({"BTCUSDT": load_snapshot()["BTCUSDT"]}, source="exchange")
    dialog.set_symbol_info({"BTCUSDT": Decimal("0.10")}, {})  # sizes count whole contracts here
    dialog.prefill_from_position(position, wallet=Decimal("900"), brackets=None, account="Demo")
    dialog.auto_add_tab.available.setText("50")
    dialog.target_tab.roe.setText("50")
    dialog.open_price_tab.fills[0][0].setText("17000")
    dialog.open_price_tab.fills[0][1].setText("5000")
    dialog.show()

    tabs = TABS if opts.tab == "all" else (opts.tab,)
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    for name in tabs:
        dialog.tabs.setCurrentWidget(dialog.all_tabs()[name])
        app.processEvents()
        out = opts.out if opts.tab != "all" else opts.out.with_name(f"{opts.out.stem}-{name}.png")
        dialog.grab().save(str(out))
        print(f"wrote {out}")
    dialog.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
