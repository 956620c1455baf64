"""User settings in QSettings: alert thresholds, sound, start-up behaviour, accounts (no secrets)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QObject, QSettings, Signal

from marginwatch.core.alert_rules import AlertPolicy
from marginwatch.core.risk_tiers import TierThresholds


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """An account as stored in settings; its secret lives only in the OS keychain."""

    name: str
    environment: str  # "mainnet" | "testnet" | "custom"
    key_type: str  # "hmac" | "ed25519"
    api_key: str
    enabled: bool = True
    rest_url: str = ""
    ws_url: str = ""


def _decimal(value: object, default: Decimal) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else default
    except (InvalidOperation, ValueError):
        return default


class Settings(QObject):
    changed = Signal()

    def __init__(self, store: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._s = store or QSettings("MarginWatch", "MarginWatch")

    def alert_policy(self) -> AlertPolicy:
        s = self._s
        d = AlertPolicy()
        try:
            return AlertPolicy(
                ratio=TierThresholds(
                    warning=_decimal(s.value("alerts/ratio_warning"), d.ratio.warning),
                    danger=_decimal(s.value("alerts/ratio_danger"), d.ratio.danger),
                ),
                distance_warning_pct=_decimal(s.value("alerts/distance_warning_pct"), d.distance_warning_pct),
                distance_danger_pct=_decimal(s.value("alerts/distance_danger_pct"), d.distance_danger_pct),
                ratio_hysteresis=_decimal(s.value("alerts/ratio_hysteresis"), d.ratio_hysteresis),
                distance_hysteresis_pct=_decimal(s.value("alerts/distance_hysteresis_pct"), d.distance_hysteresis_pct),
                cooldown_s=float(_decimal(s.value("alerts/cooldown_s"), Decimal(str(d.cooldown_s)))),
                stream_down_after_s=float(
                    _decimal(s.value("alerts/stream_down_after_s"), Decimal(str(d.stream_down_after_s)))
                ),
            )
        except ValueError:
            # A hand-edited file with impossible thresholds must not stop the app.
            return d

    def set_alert_policy(self, p: AlertPolicy) -> None:
        s = self._s
        s.setValue("alerts/ratio_warning", str(p.ratio.warning))
        s.setValue("alerts/ratio_danger", str(p.ratio.danger))
        s.setValue("alerts/distance_warning_pct", str(p.distance_warning_pct))
        s.setValue("alerts/distance_danger_pct", str(p.distance_danger_pct))
        s.setValue("alerts/ratio_hysteresis", str(p.ratio_hysteresis))
        s.setValue("alerts/distance_hysteresis_pct", str(p.distance_hysteresis_pct))
        s.setValue("alerts/cooldown_s", str(p.cooldown_s))
        s.setValue("alerts/stream_down_after_s", str(p.stream_down_after_s))
        s.sync()
        self.changed.emit()

    def sound_enabled(self) -> bool:
        return str(self._s.value("general/sound", "true")).lower() == "true"

    def set_sound_enabled(self, on: bool) -> None:
        self._s.setValue("general/sound", "true" if on else "false")
        self.changed.emit()

    def start_minimised(self) -> bool:
        return str(self._s.value("general/start_minimised", "false")).lower() == "true"

    def accounts(self) -> list[AccountConfig]:
        s = self._s
        out = []
        size = s.beginReadArray("accounts")
        for i in range(size):
            s.setArrayIndex(i)
            name = str(s.value("name", ""))
            if name:
                out.append(
                    AccountConfig(
                        name=name,
                        environment=str(s.value("environment", "mainnet")),
                        key_type=str(s.value("key_type", "hmac")),
                        api_key=str(s.value("api_key", "")),
                        enabled=str(s.value("enabled", "true")).lower() == "true",
                        rest_url=str(s.value("rest_url", "")),
                        ws_url=str(s.value("ws_url", "")),
                    )
                )
        s.endArray()
        return out
