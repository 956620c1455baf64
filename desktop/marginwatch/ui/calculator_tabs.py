"""The calculator's tabs: inputs on the left, results on the right, a note under the results.

Each tab reads the shared inputs (CommonValues) and its own fields, calls core.calculator or
core.auto_add, and formats the answer. Core's typed errors become a note; nothing here raises.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from marginwatch.core import auto_add, calculator
from marginwatch.core.errors import CoreError, InvalidInputError, LeverageTooHighError, NoBracketsError
from marginwatch.core.position import Direction, MarginType
from marginwatch.ui.calculator_fields import CommonValues, NumberField, tr
from marginwatch.ui.formatting import DASH

MAX_STEPS = 200  # a longer step table is not readable; the note says when it stopped


def core_message(exc: CoreError) -> str:
    """A translatable sentence for core's typed errors; core's own text for the rare rest."""
    if isinstance(exc, LeverageTooHighError):
        return tr("%1x is above the bracket maximum of %2x.").replace("%1", str(exc.leverage)).replace(
            "%2", str(exc.maximum)
        )
    if isinstance(exc, NoBracketsError):
        return tr("No leverage brackets for %1.").replace("%1", exc.symbol or "?")
    if isinstance(exc, InvalidInputError) and exc.field == "roe":
        return tr("This ROE cannot be reached at this leverage: the price would be 0 or below.")
    return str(exc)


def no_liquidation_reason(side: Direction) -> str:
    if side is Direction.LONG:
        return tr("No liquidation price: the margin covers a move to zero.")
    return tr("No liquidation price: the margin covers any rise.")


def mmr_field() -> NumberField:
    """An optional rate in percent; empty means "from the symbol's brackets"."""
    return NumberField(tr("from brackets"), rule="non_negative", required=False)


class CalcTab(QWidget):
    """Base: a form of inputs, a box of result labels keyed by name, and a note."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fields: list[NumberField] = []
        self._defaults: dict[NumberField, str] = {}
        self._labels: dict[str, QLabel] = {}
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
        try:
            self._compute(c, own_ok)
        except CoreError as exc:
            self._clear(core_message(exc))
        except ArithmeticError:
            self._clear(tr("Out of range: check the numbers."))

    # ---- for subclasses ---------------------------------------------------------------------------
    def _prepare(self, c: CommonValues) -> None:
        """Adjust fields to the shared inputs before they are validated."""

    def _compute(self, c: CommonValues, own_ok: bool) -> None:
        raise NotImplementedError

    def _clear(self, reason: str = "") -> None:
        for label in self._labels.values():
            label.setText(DASH)
        self.note.setText(reason or tr("Enter valid numbers in the marked fields to see results."))

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
            field.setEnabled(cross)

    def _compute(self, c: CommonValues, own_ok: bool) -> None:
        rate = self.mmr.value
        if rate is None and c.table is None and not self.mmr.error():
            self.mmr.set_error(tr("Required: no brackets for this symbol"))
            own_ok = False
        if not own_ok or None in (c.entry, c.qty, c.leverage, c.face):
            self._clear()
            return
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
        if not own_ok or None in (c.entry, c.leverage, c.face):
            self._clear()
            return
        if c.table is None:
            self._clear(tr("No leverage brackets for %1: pick a listed symbol.").replace("%1", c.symbol or "?"))
            return
        r = calculator.max_open(self.balance.value, c.leverage, c.entry, c.table, c.contract, c.face)  # type: ignore[arg-type]
        self._show({
            "max_qty": c.fmt.qty(r.max_qty, floor=True),
            "max_notional": c.fmt.money(r.max_notional),
            "bracket_cap": c.fmt.money(r.bracket_cap),
        })  # fmt: skip


class FillRow(QWidget):
    """One line of the fills table: a caption, price and size fields, a remove button."""

    CAPTION_WIDTH = 64

    def __init__(self, caption: str, price: QWidget, qty: QWidget, remove: QWidget | None) -> None:
        super().__init__()
        self.caption = QLabel(caption)
        self.caption.setFixedWidth(self.CAPTION_WIDTH)
        self.price = price
        self.qty = qty
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = Qt.AlignmentFlag.AlignTop
        layout.addWidget(self.caption, 0, top)
        layout.addWidget(price, 1, top)
        layout.addWidget(qty, 1, top)
        spacer = remove if remove is not None else QWidget()
        spacer.setFixedWidth(26)
        layout.addWidget(spacer, 0, top)


class OpenPriceTab(CalcTab):
    """The position above plus fills added to it; fully empty fill rows are ignored."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fills: list[tuple[NumberField, NumberField]] = []
        self._rows: list[FillRow] = []
        self._list = QVBoxLayout()
        self._list.setSpacing(2)
        header = FillRow("", QLabel(f"<b>{self.tr('Price')}</b>"), QLabel(f"<b>{self.tr('Size')}</b>"), None)
        self._list.addWidget(header)
        self.position_price = QLabel(DASH)
        self.position_qty = QLabel(DASH)
        self._list.addWidget(FillRow(self.tr("Position"), self.position_price, self.position_qty, None))
        self.add_button = QPushButton(self.tr("Add fill"))
        self.add_button.clicked.connect(lambda: self.add_fill())
        self.inputs.addRow(self._list)
        self.inputs.addRow(self.add_button)
        self._result("average_price", self.tr("Average open price"))
        self._result("total_qty", self.tr("Total size"))
        self.add_fill()

    def add_fill(self, price: str = "", qty: str = "") -> tuple[NumberField, NumberField]:
        """A new fill row (what the Add fill button does); returns its price and size fields."""
        p = NumberField(self.tr("price"))
        q = NumberField(self.tr("size"))
        p.edit.setMinimumWidth(90)
        q.edit.setMinimumWidth(90)
        remove = QToolButton()
        remove.setText("✕")
        remove.setToolTip(self.tr("Remove this fill"))
        row = FillRow("", p, q, remove)
        self._rows.append(row)
        self.fills.append((p, q))
        self._list.addWidget(row)
        remove.clicked.connect(lambda: self.remove_fill(self._rows.index(row)))
        for field, text in ((p, price), (q, qty)):
            field.clear_untouched(text)
            field.changed.connect(self.changed)
        self._renumber()
        self.changed.emit()
        return p, q

    def remove_fill(self, index: int) -> None:
        row = self._rows.pop(index)
        self.fills.pop(index)
        self._list.removeWidget(row)
        row.deleteLater()
        self._renumber()
        self.changed.emit()

    def _renumber(self) -> None:
        for i, row in enumerate(self._rows, start=1):
            row.caption.setText(self.tr("Fill %1").replace("%1", str(i)))

    def reset_fields(self) -> None:
        while self._rows:
            self.remove_fill(len(self._rows) - 1)
        self.add_fill()

    def update_from(self, c: CommonValues) -> None:
        try:
            self._compute(c, True)
        except CoreError as exc:
            self._clear(core_message(exc))
        except ArithmeticError:
            self._clear(tr("Out of range: check the numbers."))

    def _compute(self, c: CommonValues, own_ok: bool) -> None:
        self.position_price.setText(c.fmt.price(c.entry))
        self.position_qty.setText(c.fmt.qty(c.qty))
        fills: list[tuple[Decimal, Decimal]] = []
        if c.entry is not None and c.qty is not None:
            fills.append((c.entry, c.qty))
        ok = own_ok
        for p, q in self.fills:
            blank = not p.text().strip() and not q.text().strip()
            # A blank row is ignored; in half a fill the missing half is an error.
            p.required = q.required = not blank
            p_ok, q_ok = p.validate(), q.validate()
            if blank:
                continue
            if not (p_ok and q_ok and p.value is not None and q.value is not None):
                p.set_error(p.error() or (tr("Required") if p.value is None else None))
                q.set_error(q.error() or (tr("Required") if q.value is None else None))
                ok = False
                continue
            fills.append((p.value, q.value))
        if not ok or not fills:
            self._clear("" if not ok else tr("Enter the position above or at least one fill."))
            return
        r = calculator.average_open_price(fills, c.contract)
        self._show({"average_price": c.fmt.price(r.average_price), "total_qty": c.fmt.qty(r.total_qty)})


class AutoAddTab(CalcTab):
    COLUMNS = ("trigger_price", "added", "margin_after", "liquidation_price", "available_after")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.available = self._field(self.tr("Available margin"), NumberField(rule="non_negative"))
        self.margin = self._field(
            self.tr("Current margin"), NumberField(self.tr("initial margin"), rule="positive", required=False)
        )
        self.mmr = self._field(self.tr("Maint. margin rate (%)"), mmr_field())
        self.convention = QComboBox()
        self.convention.addItem(self.tr("MEXC-style"), auto_add.AutoAddConvention.MEXC)
        self.convention.addItem(self.tr("Binance"), auto_add.AutoAddConvention.BINANCE)
        self.convention.currentIndexChanged.connect(self.changed)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setEnabled(False)
        self.inputs.addRow(self.tr("Convention"), self.convention)
        self.inputs.addRow(self.explanation)
        self._result("add_per_trigger", self.tr("Added per trigger"))
        self._result("initial_margin", self.tr("Margin before"))
        self._result("initial_liquidation_price", self.tr("Liquidation price before"))
        headers = (self.tr("Trigger price"), self.tr("Added"), self.tr("Margin after"),
                   self.tr("Liq. price after"), self.tr("Available after"))  # fmt: skip
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.outer.addWidget(self.table, 1)

    def convention_kind(self) -> auto_add.AutoAddConvention:
        return auto_add.AutoAddConvention(self.convention.currentData())

    def steps(self) -> list[tuple[str, ...]]:
        """The step table as shown, one tuple of cell texts per addition."""
        return [
            tuple(self.table.item(r, c).text() for c in range(self.table.columnCount()))  # type: ignore[union-attr]
            for r in range(self.table.rowCount())
        ]

    def _prepare(self, c: CommonValues) -> None:
        if self.convention_kind() is auto_add.AutoAddConvention.MEXC:
            text = self.tr("MEXC: maintenance margin fixed at the entry price; each trigger adds entry × size × MMR.")
        else:
            text = self.tr("Binance: margin balance = maintenance margin at the liquidation price, in its bracket.")
        self.explanation.setText(text)

    def _clear(self, reason: str = "") -> None:
        super()._clear(reason)
        self.table.setRowCount(0)

    def _compute(self, c: CommonValues, own_ok: bool) -> None:
        rate = self.mmr.value
        if rate is None and c.table is None and not self.mmr.error():
            self.mmr.set_error(tr("Required: no brackets for this symbol"))
            own_ok = False
        if not own_ok or None in (c.entry, c.qty, c.leverage, c.face):
            self._clear()
            return
        args = (c.side, c.entry, c.qty, c.face, c.leverage)
        if self.convention_kind() is auto_add.AutoAddConvention.MEXC:
            if rate is None:
                assert c.table is not None
                fraction = c.table.for_notional(c.size_notional() or Decimal(0)).maint_margin_ratio
            else:
                fraction = rate / 100
            r = auto_add.auto_add_margin_mexc(*args, fraction, self.available.value, c.contract,  # type: ignore[arg-type]
                                              self.margin.value, MAX_STEPS)  # fmt: skip
        else:
            r = auto_add.auto_add_margin_binance(
                *args, self.available.value,  # type: ignore[arg-type]
                mmr=None if rate is None else rate / 100, brackets=c.table if rate is None else None,
                contract=c.contract, margin=self.margin.value, max_steps=MAX_STEPS,
            )  # fmt: skip
        self._show({
            "add_per_trigger": c.fmt.money(r.add_per_trigger),
            "initial_margin": c.fmt.money(r.initial_margin),
            "initial_liquidation_price": c.fmt.price(r.initial_liquidation_price),
        }, self._note(r, c))  # fmt: skip
        self.table.setRowCount(len(r.steps))
        for row, step in enumerate(r.steps):
            texts = (c.fmt.price(step.trigger_price), c.fmt.money(step.added), c.fmt.money(step.margin_after),
                     c.fmt.price(step.liquidation_price), c.fmt.money(step.available_after))  # fmt: skip
            for col, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if step.liquidation_price is None and col == 3:
                    item.setToolTip(no_liquidation_reason(c.side))
                self.table.setItem(row, col, item)

    def _note(self, r: auto_add.AutoAddResult, c: CommonValues) -> str:
        parts: list[str] = []
        if c.margin_type is MarginType.CROSS:
            parts.append(tr("Auto-add applies to isolated margin; this treats the position as isolated."))
        if r.initial_liquidation_price is None:
            parts.append(no_liquidation_reason(c.side) + " " + tr("Nothing is added."))
        elif r.truncated:
            parts.append(tr("Stopped after %1 additions.").replace("%1", str(MAX_STEPS)))
        elif r.steps and r.steps[-1].liquidation_price is None:
            parts.append(no_liquidation_reason(c.side))
        elif r.steps:
            last = c.fmt.price(r.steps[-1].liquidation_price)
            parts.append(tr("Available margin spent: liquidation at %1 after the last addition.").replace("%1", last))
        else:
            parts.append(tr("No available margin to add."))
        return " ".join(parts)
