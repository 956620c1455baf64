"""The Alerts tab of the settings dialog: alert thresholds for all accounts, or one account's own.

Edits are kept per scope (all accounts, or one account) while the user moves between scopes and
are written to the settings only by `apply()` (the dialog's Save). Strings keep the
"SettingsDialog" translation context they had before this tab had a module of its own, so the
existing translations still match.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QVBoxLayout, QWidget

from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.risk_tiers import TierThresholds
from marginwatch.services.settings import Settings

translate = QCoreApplication.translate


def _pct(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


class AlertSettingsTab(QWidget):
    invalid = Signal(str)  # why the shown thresholds cannot be kept (plain words, for the status line)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        # Unsaved edits per scope: None = all accounts; an account's None = it follows the default.
        self._policies: dict[str | None, AlertPolicy | None] = {}
        self._scope: str | None = None
        self._build()

    def reload(self) -> None:
        """Show what the settings hold now, discarding unsaved edits."""
        self._policies.clear()
        self.reload_scopes(keep_edits=False)

    def rename_account(self, old: str, new: str) -> None:
        """Carry unsaved edits and the shown scope over to an account's new name."""
        if old in self._policies:
            self._policies[new] = self._policies.pop(old)
        if self._scope == old:
            self._scope = new

    def forget_account(self, name: str) -> None:
        self._policies.pop(name, None)
        self.reload_scopes()

    def apply(self) -> bool:
        """Write every scope's edits to the settings; False (and `invalid`) when the shown ones are impossible."""
        if not self.keep_edits():
            return False
        s = self._settings
        for scope, policy in self._policies.items():
            if scope is None:
                if policy is not None:
                    s.set_alert_policy(policy)
            elif s.account(scope) is None:
                continue  # removed meanwhile
            elif policy is None:
                if s.has_account_policy(scope):
                    s.clear_account_policy(scope)
            else:
                s.set_alert_policy(policy, account=scope)
        return True

    def _build(self) -> None:
        self.scope_combo = QComboBox()
        self.scope_combo.currentIndexChanged.connect(self._on_scope_changed)
        self.own_policy_check = QCheckBox(translate("SettingsDialog", "This account has its own thresholds"))
        self.own_policy_check.toggled.connect(self._on_own_toggled)

        def spin(suffix: str, maximum: float, decimals: int = 1) -> QDoubleSpinBox:
            box = QDoubleSpinBox()
            box.setDecimals(decimals)
            box.setRange(0.0, maximum)
            box.setSuffix(suffix)
            return box

        self.ratio_warning_spin = spin(" %", 100.0)
        self.ratio_danger_spin = spin(" %", 100.0)
        self.distance_warning_spin = spin(" %", 100.0)
        self.distance_danger_spin = spin(" %", 100.0)
        self.ratio_hysteresis_spin = spin(translate("SettingsDialog", " pts"), 50.0)
        self.distance_hysteresis_spin = spin(" %", 50.0)
        self.cooldown_spin = spin(translate("SettingsDialog", " s"), 86400.0, 0)
        self.stream_down_spin = spin(translate("SettingsDialog", " s"), 3600.0, 0)
        self._policy_fields = QWidget()
        form = QFormLayout(self._policy_fields)
        form.addRow(translate("SettingsDialog", "Margin ratio: warning at"), self.ratio_warning_spin)
        form.addRow(translate("SettingsDialog", "Margin ratio: danger at"), self.ratio_danger_spin)
        form.addRow(translate("SettingsDialog", "Distance to liquidation: warning within"), self.distance_warning_spin)
        form.addRow(translate("SettingsDialog", "Distance to liquidation: danger within"), self.distance_danger_spin)
        form.addRow(translate("SettingsDialog", "Margin ratio hysteresis"), self.ratio_hysteresis_spin)
        form.addRow(translate("SettingsDialog", "Distance hysteresis"), self.distance_hysteresis_spin)
        form.addRow(translate("SettingsDialog", "Repeat an alert at most every"), self.cooldown_spin)
        form.addRow(translate("SettingsDialog", "Warn when a stream is down for"), self.stream_down_spin)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow(translate("SettingsDialog", "Thresholds for"), self.scope_combo)
        layout.addLayout(top)
        layout.addWidget(self.own_policy_check)
        layout.addWidget(self._policy_fields)
        layout.addStretch(1)

    def reload_scopes(self, keep_edits: bool = True) -> None:
        if keep_edits and self.scope_combo.count():
            self.keep_edits()  # the form is about to be refilled
        self.scope_combo.blockSignals(True)
        self.scope_combo.clear()
        self.scope_combo.addItem(translate("SettingsDialog", "All accounts (default)"), None)
        for a in self._settings.accounts():
            self.scope_combo.addItem(a.name, a.name)
        index = self.scope_combo.findData(self._scope) if self._scope is not None else 0
        self.scope_combo.setCurrentIndex(max(0, index))
        self._scope = self.scope_combo.currentData()
        self.scope_combo.blockSignals(False)
        self._show_scope()

    def _show_policy(self, p: AlertPolicy) -> None:
        self.ratio_warning_spin.setValue(float(p.ratio.warning * 100))
        self.ratio_danger_spin.setValue(float(p.ratio.danger * 100))
        self.distance_warning_spin.setValue(float(p.distance_warning_pct))
        self.distance_danger_spin.setValue(float(p.distance_danger_pct))
        self.ratio_hysteresis_spin.setValue(float(p.ratio_hysteresis * 100))
        self.distance_hysteresis_spin.setValue(float(p.distance_hysteresis_pct))
        self.cooldown_spin.setValue(p.cooldown_s)
        self.stream_down_spin.setValue(p.stream_down_after_s)

    def form_policy(self) -> AlertPolicy:
        """The thresholds the Alerts tab shows; raises ValueError (plain words) when they are impossible."""
        return AlertPolicy(
            ratio=TierThresholds(
                warning=_pct(self.ratio_warning_spin.value()) / 100, danger=_pct(self.ratio_danger_spin.value()) / 100
            ),
            distance_warning_pct=_pct(self.distance_warning_spin.value()),
            distance_danger_pct=_pct(self.distance_danger_spin.value()),
            ratio_hysteresis=_pct(self.ratio_hysteresis_spin.value()) / 100,
            distance_hysteresis_pct=_pct(self.distance_hysteresis_spin.value()),
            cooldown_s=float(self.cooldown_spin.value()),
            stream_down_after_s=float(self.stream_down_spin.value()),
        )

    def _global_policy(self) -> AlertPolicy:
        p = self._policies.get(None)
        return p if p is not None else self._settings.alert_policy()

    def _show_scope(self) -> None:
        scope = self._scope
        if scope is None:
            own: AlertPolicy | None = self._global_policy()
        else:
            own = self._policies[scope] if scope in self._policies else self._settings.account_policy(scope)
        self.own_policy_check.blockSignals(True)
        self.own_policy_check.setVisible(scope is not None)
        self.own_policy_check.setChecked(scope is None or own is not None)
        self.own_policy_check.blockSignals(False)
        self._policy_fields.setEnabled(scope is None or own is not None)
        self._show_policy(own if own is not None else self._global_policy())

    def keep_edits(self) -> bool:
        """Remember the shown scope's values before showing another; False when they are impossible."""
        if self._scope is not None and not self.own_policy_check.isChecked():
            self._policies[self._scope] = None
            return True
        try:
            self._policies[self._scope] = self.form_policy()
        except ValueError as exc:
            self.invalid.emit(translate("SettingsDialog", "Thresholds not valid: %s") % exc)
            return False
        return True

    def _on_scope_changed(self, _index: int) -> None:
        if not self.keep_edits():
            self.scope_combo.blockSignals(True)
            self.scope_combo.setCurrentIndex(max(0, self.scope_combo.findData(self._scope)))
            self.scope_combo.blockSignals(False)
            return
        self._scope = self.scope_combo.currentData()
        self._show_scope()

    def _on_own_toggled(self, on: bool) -> None:
        self._policy_fields.setEnabled(on)
        if not on:
            self._show_policy(self._global_policy())

    def select_threshold_scope(self, account: str | None) -> None:
        """Show the global thresholds (None) or one account's."""
        index = self.scope_combo.findData(account) if account is not None else 0
        if index >= 0:
            self.scope_combo.setCurrentIndex(index)
