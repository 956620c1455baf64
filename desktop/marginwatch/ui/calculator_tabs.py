"""The calculator's tabs: inputs on the left, results on the right, a note under the results.

Each tab reads the shared inputs (CommonValues) and its own fields, calls core.calculator or
core.auto_add, and formats the answer. Core's typed errors become a note; nothing here raises.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from marginwatch.core import calculator
from marginwatch.core.errors import CoreError, InvalidInputError, LeverageTooHighError, NoBracketsError
from marginwatch.core.position import Direction, MarginType
from marginwatch.ui.calculator_fields import CommonValues, NumberField, translate
from marginwatch.ui.formatting import DASH


def core_message(exc: CoreError) -> str:
    """A translatable sentence for core's typed errors; core's own text for the rare rest."""
    if isinstance(exc, LeverageTooHighError):
        return (
            translate("Calculator", "%1x is above the bracket maximum of %2x.")
            .replace("%1", str(exc.leverage))
            .replace("%2", str(exc.maximum))
        )
    if isinstance(exc, NoBracketsError):
        return translate("Calculator", "No leverage brackets for %1.").replace("%1", exc.symbol or "?")
    if isinstance(exc, InvalidInputError) and exc.field == "roe":
        return translate("Calculator", "This ROE cannot be reached at this leverage: the price would be 0 or below.")
    return str(exc)


def no_liquidation_reason(side: Direction) -> str:
    if side is Direction.LONG:
        return translate("Calculator", "No liquidation price: the margin covers a move to zero.")
    return translate("Calculator", "No liquidation price: the margin covers any rise.")


def mmr_field() -> NumberField:
    """An optional rate in percent; empty means "from the symbol's brackets"."""
    return NumberField(translate("Calculator", "from brackets"), rule="non_negative", required=False)


class CalcTab(QWidget):
    """Base: a form of inputs, a box of result labels keyed by name, and a note."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fields: list[NumberField] = []
        self._defaults: dict[NumberField, str] = {}
        self._labels: dict[str, QLabel] = {}
        self._marked = False
        self.inputs = QFormLayout()
        self.inputs.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._results_form = QFormLayout()
        self._results_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QGroupBox(self.tr("Results"))
        inner = QVBoxLayout(box)
        inner.addLayout(self._results_form)
        inner.addWidget(self.note)
        inner.addStretch(1)
        self.results_box = box
        self.top = QHBoxLayout()
        self.top.addLayout(self.inputs, 1)
        self.top.addWidget(box, 1)
        self.outer = QVBoxLayout(self)
        self.outer.addLayout(self.top)

    def _field(self, label: str, field: NumberField, default: str = "") -> NumberField:
        self.inputs.addRow(label, field)
        self._fields.append(field)
        self._defaults[field] = default
        field.clear_untouched(default)
        field.changed.connect(self.changed)
        return field

    def _result(self, key: str, label: str) -> QLabel:
        value = QLabel(DASH)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = value.font()
        font.setBold(True)
        value.setFont(font)
        self._results_form.addRow(label, value)
        self._labels[key] = value
        return value

    # ---- for the dialog and tests ---------------------------------------------------------------
    def results(self) -> dict[str, str]:
        return {key: label.text() for key, label in self._labels.items()}

    def result_text(self, key: str) -> str:
        return self._labels[key].text()

    def reason(self) -> str:
        return self.note.text()

    def reset_fields(self) -> None:
        for field, default in self._defaults.items():
            field.clear_untouched(default)

    def update_from(self, c: CommonValues) -> None:
        self._prepare(c)
        own_ok = all([field.validate() for field in self._fields])  # a list: every field shows its error
        self._marked = c.has_errors
        try:
            self._compute(c, own_ok)
        except CoreError as exc:
            self._clear(core_message(exc))
        except ArithmeticError:
            self._clear(translate("Calculator", "Out of range: check the numbers."))

    # ---- for subclasses ---------------------------------------------------------------------------
    def _prepare(self, c: CommonValues) -> None:
        """Adjust fields to the shared inputs before they are validated."""

    def _compute(self, c: CommonValues, own_ok: bool) -> None:
        raise NotImplementedError

    def _position_ready(self, c: CommonValues, own_ok: bool, mmr: NumberField) -> bool:
        """For tabs that need a maintenance rate: brackets, or a rate typed in, plus a whole position.

        Clears the results and returns False when something is missing.
        """
        if mmr.value is None and c.table is None and not mmr.error():
            mmr.set_error(translate("Calculator", "Required: no brackets for this symbol"))
            own_ok = False
        if not own_ok or None in (c.entry, c.qty, c.leverage, c.face):
            self._clear()
            return False
        return True

    def _clear(self, reason: str = "") -> None:
        for label in self._labels.values():
            label.setText(DASH)
        if not reason:
            reason = (
                translate("Calculator", "Correct the marked fields to see results.")
                if self._marked or any(field.error() for field in self._fields)
                else translate("Calculator", "Enter the figures above to see results.")
            )
        self.note.setText(reason)

    def _show(self, texts: dict[str, str], note: str = "") -> None:
        for key, label in self._labels.items():
            label.setText(texts.get(key, DASH))
        self.note.setText(note)


class PnlTab(CalcTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exit_price = self._field(self.tr("Exit price"), NumberField(self.tr("price")))
        self._result("initial_margin", self.tr("Initial margin"))
        self._result("pnl", self.tr("PnL"))
        self._result("roe", self.tr("ROE"))

    def _compute(self, c: CommonValues, own_ok: bool) -> None:
        if not own_ok or None in (c.entry, c.qty, c.leverage, c.face):
            self._clear()
            return
        r = calculator.pnl(c.side, c.entry, self.exit_price.value, c.qty, c.leverage, c.contract, c.face)  # type: ignore[arg-type]
        self._show({
            "initial_margin": c.fmt.money(r.initial_margin),
            "pnl": c.fmt.money(r.pnl, signed=True),
            "roe": c.fmt.percent(r.roe_pct, signed=True),
        })  # fmt: skip


class TargetTab(CalcTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roe = self._field(self.tr("Target ROE (%)"), NumberField(self.tr("e.g. 50 or -20"), rule="any"))
        self._result("target_price", self.tr("Target price"))
        self._result("move", self.tr("Price move"))

    def _compute(self, c: CommonValues, own_ok: bool) -> None:
        if not own_ok or c.entry is None or c.leverage is None:
            self._clear()
            return
        r = calculator.target_price(c.side, c.entry, self.roe.value, c.leverage, c.contract)  # type: ignore[arg-type]
        move = (r.target_price - c.entry) / c.entry * 100
        self._show({"target_price": c.fmt.price(r.target_price), "move": c.fmt.percent(move, signed=True)})


class LiquidationTab(CalcTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wallet = self._field(self.tr("Margin"), NumberField(rule="non_negative", required=False))
        self.other_maint = self._field(
            self.tr("Other positions' MM"), NumberField(self.tr("0"), rule="non_negative", required=False)
        )
        self.other_upnl = self._field(
            self.tr("Other positions' uPnL"), NumberField(self.tr("0"), rule="any", required=False)
        )
        self.mmr = self._field(self.tr("Maint. margin rate (%)"), mmr_field())
        self._result("liquidation_price", self.tr("Liquidation price"))
        self._result("distance", self.tr("Distance from entry"))
        self._result("initial_margin", self.tr("Initial margin"))
        self._result("wallet", self.tr("Margin used"))
        self._result("mmr", self.tr("Maint. margin rate"))
        self._result("maint_amount", self.tr("Maint. amount"))

    def _prepare(self, c: CommonValues) -> None:
        cross = c.margin_type is MarginType.CROSS
        self.wallet.required = cross
        label = self.inputs.labelForField(self.wallet)
        if isinstance(label, QLabel):
            label.setText(self.tr("Cross wallet balance") if cross else self.tr("Isolated margin"))
        self.wallet.edit.setPlaceholderText(self.tr("balance") if cross else self.tr("initial margin"))
        for field in (self.other_maint, self.other_upnl):
            self.inputs.setRowVisible(field, cross)

    def _compute(self, c: CommonValues, own_ok: bool) -> None:
        if not self._position_ready(c, own_ok, self.mmr):
            return
        rate = self.mmr.value
        cross = c.margin_type is MarginType.CROSS
        r = calculator.liquidation(
            c.side, c.entry, c.qty, c.leverage,  # type: ignore[arg-type]
            margin_type=c.margin_type, wallet=self.wallet.value,
            brackets=c.table if rate is None else None, mmr=None if rate is None else rate / 100,
            other_maint=(self.other_maint.value or 0) if cross else 0,
            other_upnl=(self.other_upnl.value or 0) if cross else 0,
            hedge=c.hedge, contract=c.contract, face=c.face,  # type: ignore[arg-type]
        )  # fmt: skip
        note = "" if r.liquidation_price is not None else no_liquidation_reason(c.side)
        self._show({
            "liquidation_price": c.fmt.price(r.liquidation_price),
            "distance": c.fmt.percent(r.distance_pct),
            "initial_margin": c.fmt.money(r.initial_margin),
            "wallet": c.fmt.money(r.wallet_balance),
            "mmr": c.fmt.percent(r.maint_margin_ratio * 100),
            "maint_amount": c.fmt.money(r.maint_amount),
        }, note)  # fmt: skip


class MaxOpenTab(CalcTab):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.balance = self._field(self.tr("Available balance"), NumberField(rule="non_negative"))
        hint = QLabel(self.tr("Opened at the entry price above, at the leverage above."))
        hint.setWordWrap(True)
        hint.setEnabled(False)
        self.inputs.addRow(hint)
        self._result("max_qty", self.tr("Max open size"))
        self._result("max_notional", self.tr("Max position value"))
        self._result("bracket_cap", self.tr("Bracket cap at this leverage"))

    def _compute(self, c: CommonValues, own_ok: bool) -> None:
        if c.table is None:
            self._clear(
                translate("Calculator", "No leverage brackets for %1: pick a listed symbol.").replace(
                    "%1", c.symbol or "?"
                )
            )
            return
        if not own_ok or None in (c.entry, c.leverage, c.face):
            self._clear()
            return
        r = calculator.max_open(self.balance.value, c.leverage, c.entry, c.table, c.contract, c.face)  # type: ignore[arg-type]
        self._show({
            "max_qty": c.fmt.qty(r.max_qty, floor=True),
            "max_notional": c.fmt.money(r.max_notional),
            "bracket_cap": c.fmt.money(r.bracket_cap),
        })  # fmt: skip
