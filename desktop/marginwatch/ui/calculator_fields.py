"""Input pieces of the calculator dialog: a number field with its inline error, the leverage slider
and spin box, the inputs shared by every tab, and how results are formatted.

Fields only validate and parse; the maths is core's. Validation never raises: a bad value paints
the field's outline red and writes a short message under it, and the tabs then show `--`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import ContractKind, Direction, MarginType
from marginwatch.ui.calculator_format import LIMIT, Formats, margin_asset

ERROR_COLOUR = "#D55E00"  # Okabe–Ito vermillion, as for the danger tier
_LONG_COLOUR = "#009E73"
DEFAULT_MAX_LEVERAGE = 125


# Module-level strings use one context; lupdate finds `translate("Calculator", "...")` calls.
translate = QCoreApplication.translate


def _small(label: QLabel) -> QLabel:
    font = QFont(label.font())
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    label.setFont(font)
    return label


class ErrorLabel(QLabel):
    """The small red line under a field; keeps its height when empty so the form never jumps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _small(self)
        self.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.setMinimumHeight(self.fontMetrics().height())

    def show_error(self, message: str | None) -> None:
        self.setText(message or "")


class NumberField(QWidget):
    """A line edit for one decimal number, with its own inline error.

    `rule` is "positive", "non_negative" or "any". An empty required field is an error only after
    it has been edited (or prefilled), so a fresh dialog is not all red.
    """

    changed = Signal()

    def __init__(
        self, placeholder: str = "", *, rule: str = "positive", required: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.rule = rule
        self.required = required
        self._touched = False
        self._value: Decimal | None = None
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setMinimumWidth(130)
        self.error_label = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.edit)
        layout.addWidget(self.error_label)
        self.edit.textChanged.connect(self._on_text)

    def _on_text(self) -> None:
        self._touched = True
        self.changed.emit()

    # ---- Qt-like access -------------------------------------------------------------------------
    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:  # mirrors QLineEdit
        self.edit.setText(text)

    def clear_untouched(self, text: str = "") -> None:
        """Set `text` without counting as an edit (defaults, Reset)."""
        self.edit.blockSignals(True)
        self.edit.setText(text)
        self.edit.blockSignals(False)
        self._touched = False

    # ---- validation ---------------------------------------------------------------------------
    def validate(self) -> bool:
        """Parse the text, show or clear the inline error; True when usable (empty optional is usable)."""
        self._value = None
        text = self.edit.text().strip()
        if not text:
            missing = self.required
            self.set_error(translate("Calculator", "Required") if missing and self._touched else None)
            return not missing
        try:
            d = Decimal(text)
        except InvalidOperation:
            return self._fail(translate("Calculator", "Not a number"))
        if not d.is_finite():
            return self._fail(translate("Calculator", "Not a number"))
        if abs(d) >= LIMIT:  # a typo, and results that long would not fit
            return self._fail(translate("Calculator", "Too large"))
        if self.rule == "positive" and d <= 0:
            return self._fail(
                translate("Calculator", "Must be above 0")
                if d == 0
                else translate("Calculator", "Must not be negative")
            )
        if self.rule == "non_negative" and d < 0:
            return self._fail(translate("Calculator", "Must not be negative"))
        self._value = d
        self.set_error(None)
        return True

    def _fail(self, message: str) -> bool:
        self.set_error(message)
        return False

    @property
    def value(self) -> Decimal | None:
        """The number parsed by the last validate(); None when empty or invalid."""
        return self._value

    def set_error(self, message: str | None) -> None:
        self.error_label.show_error(message)
        self.edit.setStyleSheet(f"QLineEdit {{ border: 1px solid {ERROR_COLOUR}; }}" if message else "")
        self.edit.setToolTip(message or "")

    def error(self) -> str:
        return self.error_label.text()


class LeverageInput(QWidget):
    """Slider and spin box kept in step; the spin box allows 0 so that it can be reported."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(1, DEFAULT_MAX_LEVERAGE)
        self.slider.setMinimumWidth(160)
        self.spin = QSpinBox()
        self.spin.setRange(0, DEFAULT_MAX_LEVERAGE)
        self.spin.setSuffix("x")
        self.spin.setValue(20)
        self.slider.setValue(20)
        self.hint = _small(QLabel())
        self.hint.setEnabled(False)  # greyed: information, not a figure
        self.error_label = ErrorLabel()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        # The red outline goes on a frame around the spin box: a style sheet on the spin box itself
        # would restyle (and break) its arrows.
        self.spin_frame = QFrame()
        self.spin_frame.setObjectName("leverageFrame")
        frame_layout = QHBoxLayout(self.spin_frame)
        frame_layout.setContentsMargins(1, 1, 1, 1)
        frame_layout.addWidget(self.spin)
        row.addWidget(self.spin_frame)
        row.addWidget(self.hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        self.spin.valueChanged.connect(self._from_spin)
        self.slider.valueChanged.connect(self.spin.setValue)

    def _from_spin(self, value: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(max(1, value))
        self.slider.blockSignals(False)
        self.changed.emit()

    def value(self) -> int:
        return self.spin.value()

    def setValue(self, value: int) -> None:  # mirrors QSpinBox
        self.spin.setValue(value)

    def set_maximum(self, maximum: int) -> None:
        if maximum != self.spin.maximum():
            self.spin.blockSignals(True)
            self.spin.setMaximum(maximum)
            self.spin.blockSignals(False)
            self.slider.blockSignals(True)
            self.slider.setMaximum(maximum)
            self.slider.setValue(max(1, self.spin.value()))
            self.slider.blockSignals(False)

    def validate(self, max_here: int | None) -> bool:
        """Whole leverage >= 1, and within the bracket at the current size when known."""
        lev = self.spin.value()
        self.hint.setText(
            translate("Calculator", "max %1x at this size").replace("%1", str(max_here)) if max_here else ""
        )
        if lev < 1:
            message: str | None = translate("Calculator", "Must be at least 1x")
        elif max_here is not None and lev > max_here:
            message = translate("Calculator", "Above the bracket maximum of %1x at this size").replace(
                "%1", str(max_here)
            )
        else:
            message = None
        self.error_label.show_error(message)
        self.spin_frame.setStyleSheet(
            f"QFrame#leverageFrame {{ border: 1px solid {ERROR_COLOUR}; }}" if message else ""
        )
        return message is None

    def error(self) -> str:
        return self.error_label.text()


@dataclass(frozen=True, slots=True)
class CommonValues:
    """The shared inputs after validation; None where a field is empty or invalid."""

    symbol: str
    side: Direction
    contract: ContractKind
    face: Decimal | None
    margin_type: MarginType
    hedge: bool
    entry: Decimal | None
    qty: Decimal | None
    leverage: int | None
    table: BracketTable | None
    fmt: Formats
    has_errors: bool = False  # some shared field shows an inline error

    def size_notional(self) -> Decimal | None:
        """Position value at entry: quote (linear) or coin (inverse)."""
        if self.entry is None or self.qty is None or self.face is None:
            return None
        size = self.qty * self.face
        return size / self.entry if self.contract is ContractKind.INVERSE else size * self.entry


class CommonInputs(QWidget):
    """Symbol, side, contract, margin and position mode, entry, size and leverage: used by every tab."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.symbol = QComboBox()
        self.symbol.setEditable(True)
        self.symbol.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.symbol.setMinimumWidth(130)
        self.long_button = QPushButton(self.tr("Long"))
        self.short_button = QPushButton(self.tr("Short"))
        self._sides = QButtonGroup(self)
        for button, colour in ((self.long_button, _LONG_COLOUR), (self.short_button, ERROR_COLOUR)):
            button.setCheckable(True)
            button.setStyleSheet(f"QPushButton:checked {{ background-color: {colour}; color: black; }}")
            self._sides.addButton(button)
        self.long_button.setChecked(True)
        self.contract = QComboBox()
        self.contract.addItem(self.tr("Linear (USD-M)"), ContractKind.LINEAR)
        self.contract.addItem(self.tr("Inverse (COIN-M)"), ContractKind.INVERSE)
        self.face = NumberField(self.tr("1"))
        self.face.clear_untouched("1")
        self.face_label = QLabel()
        self.margin_type = QComboBox()
        self.margin_type.addItem(self.tr("Isolated"), MarginType.ISOLATED)
        self.margin_type.addItem(self.tr("Cross"), MarginType.CROSS)
        self.position_mode = QComboBox()
        self.position_mode.addItem(self.tr("One-way"), False)
        self.position_mode.addItem(self.tr("Hedge"), True)
        self.entry = NumberField(self.tr("e.g. 60000"))
        self.qty = NumberField(self.tr("contracts"))
        self.leverage = LeverageInput()

        sides = QHBoxLayout()
        sides.setSpacing(0)
        sides.addWidget(self.long_button)
        sides.addWidget(self.short_button)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        grid.setHorizontalSpacing(10)
        top = Qt.AlignmentFlag.AlignTop
        cells: list[tuple[QLabel, QWidget | QHBoxLayout, int, int]] = [
            (QLabel(self.tr("Symbol")), self.symbol, 0, 0),
            (QLabel(self.tr("Side")), sides, 0, 2),
            (QLabel(self.tr("Margin")), self.margin_type, 0, 4),
            (QLabel(self.tr("Contract")), self.contract, 1, 0),
            (self.face_label, self.face, 1, 2),
            (QLabel(self.tr("Position mode")), self.position_mode, 1, 4),
            (QLabel(self.tr("Entry price")), self.entry, 2, 0),
            (QLabel(self.tr("Size")), self.qty, 2, 2),
        ]
        for label, widget, row, col in cells:
            label.setAlignment(Qt.AlignmentFlag.AlignRight | top)
            label.setContentsMargins(0, 4, 0, 0)
            grid.addWidget(label, row, col, top)
            if isinstance(widget, QHBoxLayout):
                grid.addLayout(widget, row, col + 1, top)
            else:
                grid.addWidget(widget, row, col + 1, top)
        lev_label = QLabel(self.tr("Leverage"))
        lev_label.setAlignment(Qt.AlignmentFlag.AlignRight | top)
        lev_label.setContentsMargins(0, 4, 0, 0)
        grid.addWidget(lev_label, 3, 0, top)
        grid.addWidget(self.leverage, 3, 1, 1, 5)
        for col in (1, 3, 5):
            grid.setColumnStretch(col, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        for combo in (self.contract, self.margin_type, self.position_mode):
            combo.currentIndexChanged.connect(self.changed)
        self.symbol.editTextChanged.connect(self.changed)
        self._sides.buttonToggled.connect(self._on_side)
        for field in (self.face, self.entry, self.qty):
            field.changed.connect(self.changed)
        self.leverage.changed.connect(self.changed)
        self._label_face()

    def _on_side(self, _button: QPushButton, checked: bool) -> None:
        if checked:  # the other button's un-check is the same change
            self.changed.emit()

    def _label_face(self) -> None:
        inverse = self.contract_kind() is ContractKind.INVERSE
        self.face_label.setText(self.tr("Face value (USD)") if inverse else self.tr("Contract size"))
        self.face_label.setToolTip(
            self.tr("USD value of one contract") if inverse else self.tr("Base units per contract (1 on Binance)")
        )

    def symbol_text(self) -> str:
        return self.symbol.currentText().strip().upper()

    def contract_kind(self) -> ContractKind:
        # Qt hands enum item data back as plain str.
        return ContractKind(self.contract.currentData())

    def side(self) -> Direction:
        return Direction.SHORT if self.short_button.isChecked() else Direction.LONG

    def values(self, table: BracketTable | None, tick: Decimal | None, step: Decimal | None) -> CommonValues:
        """Validate every shared field (showing inline errors) and return what they hold."""
        self._label_face()
        face_ok, entry_ok, qty_ok = self.face.validate(), self.entry.validate(), self.qty.validate()
        contract = self.contract_kind()
        face = self.face.value if face_ok else None
        entry = self.entry.value if entry_ok else None
        qty = self.qty.value if qty_ok else None
        max_here: int | None = None
        if table is not None and face is not None and entry is not None and qty is not None:
            size = qty * face
            max_here = table.max_leverage(size / entry if contract is ContractKind.INVERSE else size * entry)
        lev_ok = self.leverage.validate(max_here)
        symbol = self.symbol_text()
        if step is None and (contract is ContractKind.INVERSE or (face is not None and face != 1)):
            step = Decimal(1)  # then the size counts whole contracts
        return CommonValues(
            symbol=symbol,
            side=self.side(),
            contract=contract,
            face=face,
            margin_type=MarginType(self.margin_type.currentData()),
            hedge=bool(self.position_mode.currentData()),
            entry=entry,
            qty=qty,
            leverage=self.leverage.value() if lev_ok else None,
            table=table,
            fmt=Formats(tick, step, margin_asset(symbol, contract), contract, entry),
            has_errors=any(w.error() for w in (self.face, self.entry, self.qty, self.leverage)),
        )
