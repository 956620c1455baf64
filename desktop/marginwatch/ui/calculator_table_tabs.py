"""The calculator's two tabs with tables: Open Price (a list of fills) and Auto-Add Margin (a step table)."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
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
from marginwatch.core.errors import CoreError
from marginwatch.core.position import MarginType
from marginwatch.ui.calculator_fields import CommonValues, NumberField, translate
from marginwatch.ui.calculator_tabs import CalcTab, core_message, mmr_field, no_liquidation_reason
from marginwatch.ui.formatting import DASH

MAX_STEPS = 200  # a longer step table is not readable; the note says when it stopped


class FillRow(QWidget):
    """One line of the fills table: a caption, price and size fields, a remove button."""

    CAPTION_WIDTH = 64

    def __init__(self, caption: str, price: QWidget, qty: QWidget, remove: QWidget | None) -> None:
        super().__init__()
        self.caption = QLabel(caption)
        self.caption.setFixedWidth(self.CAPTION_WIDTH)
        self.caption.setContentsMargins(0, 4, 0, 0)  # level with the text inside the fields
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
        price, size = self.tr("Price"), self.tr("Size")  # outside the f-string, where lupdate finds them
        header = FillRow("", QLabel(f"<b>{price}</b>"), QLabel(f"<b>{size}</b>"), None)
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
        row.hide()  # deleteLater waits for the event loop; the row must vanish now
        row.setParent(None)
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
        self._marked = c.has_errors
        try:
            self._compute(c, True)
        except CoreError as exc:
            self._clear(core_message(exc))
        except ArithmeticError:
            self._clear(translate("Calculator", "Out of range: check the numbers."))

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
                p.set_error(p.error() or (translate("Calculator", "Required") if p.value is None else None))
                q.set_error(q.error() or (translate("Calculator", "Required") if q.value is None else None))
                ok = False
                continue
            fills.append((p.value, q.value))
        if not ok or not fills:
            self._marked = self._marked or not ok
            self._clear("" if not ok else translate("Calculator", "Enter the position above or at least one fill."))
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
        if not self._position_ready(c, own_ok, self.mmr):
            return
        rate = self.mmr.value
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
            parts.append(
                translate("Calculator", "Auto-add applies to isolated margin; this treats the position as isolated.")
            )
        if r.initial_liquidation_price is None:
            parts.append(no_liquidation_reason(c.side) + " " + translate("Calculator", "Nothing is added."))
        elif r.truncated:
            parts.append(translate("Calculator", "Stopped after %1 additions.").replace("%1", str(MAX_STEPS)))
        elif r.steps and r.steps[-1].liquidation_price is None:
            parts.append(no_liquidation_reason(c.side))
        elif r.steps:
            last = c.fmt.price(r.steps[-1].liquidation_price)
            parts.append(
                translate("Calculator", "Available margin spent: liquidation at %1 after the last addition.").replace(
                    "%1", last
                )
            )
        else:
            parts.append(translate("Calculator", "No available margin to add."))
        return " ".join(parts)
