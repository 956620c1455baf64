"""When to raise the user's own alerts: threshold crossings with hysteresis, cooldown and escalation.

Pure and clock-free: callers pass `now` (monotonic seconds), so the rules are tested without waiting.
A subject is the cross account (its margin ratio) or one position (its isolated margin ratio and
its distance to liquidation). An alert fires when a subject's level worsens past a threshold it
was armed for; it re-arms only once the value has eased back past the threshold by the hysteresis,
and the same (subject, metric, level) never fires twice within the cooldown. Worsening to a higher
level fires at once. The first sight of a subject already past a threshold fires, marked `at_start`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.position import MarginType
from marginwatch.core.risk_tiers import RiskBands, RiskTier, TierThresholds, distance_tier
from marginwatch.core.stream_health import StreamHealth, StreamState


class Metric(StrEnum):
    MARGIN_RATIO = "margin_ratio"
    DISTANCE = "distance"


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """User thresholds. Ratios are fractions (0.8 == 80 %); distances are percent of mark."""

    ratio: TierThresholds = field(default_factory=TierThresholds)
    distance_warning_pct: Decimal = Decimal(10)
    distance_danger_pct: Decimal = Decimal(5)
    ratio_hysteresis: Decimal = Decimal("0.05")
    distance_hysteresis_pct: Decimal = Decimal(1)
    cooldown_s: float = 300.0
    stream_down_after_s: float = 60.0

    def __post_init__(self) -> None:
        if not (Decimal(0) < self.distance_danger_pct < self.distance_warning_pct):
            raise ValueError("distance thresholds must satisfy 0 < danger < warning")
        if self.ratio_hysteresis < 0 or self.distance_hysteresis_pct < 0 or self.cooldown_s < 0:
            raise ValueError("hysteresis and cooldown must not be negative")

    def distance_level(self, pct: Decimal) -> RiskTier:
        return distance_tier(pct, self.distance_warning_pct, self.distance_danger_pct)

    @property
    def bands(self) -> RiskBands:
        """The thresholds a position's tier is read with (`risk_tiers.position_tier`)."""
        return RiskBands(self.ratio, self.distance_warning_pct, self.distance_danger_pct)


@dataclass(frozen=True, slots=True)
class ThresholdAlert:
    account: str
    subject: str  # "account" or "BTCUSDT LONG"
    metric: Metric
    level: RiskTier
    value: Decimal
    threshold: Decimal
    at_start: bool = False


@dataclass(frozen=True, slots=True)
class ThresholdCleared:
    """A subject that had fired at danger is out of it: eased to `level`, or closed."""

    account: str
    subject: str
    metric: Metric
    level: RiskTier
    closed: bool = False


@dataclass(slots=True)
class _Track:
    # The highest level currently "latched" (fired and not yet eased back past its hysteresis).
    latched: RiskTier = RiskTier.CALM
    last_fired: dict[RiskTier, float] = field(default_factory=dict)


class ThresholdMonitor:
    """Feeds on successive AccountRisk snapshots; returns the alerts each one raises."""

    def __init__(self, policy: AlertPolicy | None = None) -> None:
        self.policy = policy or AlertPolicy()
        self._tracks: dict[tuple[str, str, Metric], _Track] = {}
        self._cleared: list[ThresholdCleared] = []

    def pop_cleared(self) -> list[ThresholdCleared]:
        """The subjects that left danger since the last call, oldest first."""
        out, self._cleared = self._cleared, []
        return out

    def set_policy(self, policy: AlertPolicy) -> None:
        self.policy = policy

    def forget(self, account: str) -> None:
        for key in [k for k in self._tracks if k[0] == account]:
            del self._tracks[key]

    def observe(self, account: str, risk: AccountRisk, now: float) -> list[ThresholdAlert]:
        alerts: list[ThresholdAlert] = []
        seen: set[tuple[str, str, Metric]] = set()
        for subject, metric, value in self._values(risk):
            key = (account, subject, metric)
            seen.add(key)
            alert = self._step(key, metric, value, now)
            if alert is not None:
                alerts.append(alert)
        # A position that closed starts afresh if it reopens.
        for key in [k for k in self._tracks if k[0] == account and k not in seen]:
            if self._tracks.pop(key).latched >= RiskTier.DANGER:
                self._cleared.append(ThresholdCleared(*key, level=RiskTier.CALM, closed=True))
        return alerts

    def _values(self, risk: AccountRisk) -> Iterator[tuple[str, Metric, Decimal]]:
        if risk.margin_ratio is not None and any(
            p.position.margin_type is MarginType.CROSS for p in risk.positions
        ):
            yield "account", Metric.MARGIN_RATIO, risk.margin_ratio
        for p in risk.positions:
            subject = f"{p.position.symbol} {p.position.direction.value.upper()}"
            if p.position.margin_type is MarginType.ISOLATED and p.margin_ratio is not None:
                yield subject, Metric.MARGIN_RATIO, p.margin_ratio
            if p.distance_pct is not None:
                yield subject, Metric.DISTANCE, p.distance_pct

    def _level(self, metric: Metric, value: Decimal) -> RiskTier:
        if metric is Metric.MARGIN_RATIO:
            return self.policy.ratio.tier_for_ratio(value)
        return self.policy.distance_level(value)

    def _threshold(self, metric: Metric, level: RiskTier) -> Decimal:
        p = self.policy
        if metric is Metric.MARGIN_RATIO:
            return p.ratio.danger if level is RiskTier.DANGER else p.ratio.warning
        return p.distance_danger_pct if level is RiskTier.DANGER else p.distance_warning_pct

    def _eased_below(self, metric: Metric, value: Decimal, level: RiskTier) -> bool:
        """True once `value` is back past `level`'s threshold by the hysteresis margin."""
        threshold = self._threshold(metric, level)
        if metric is Metric.MARGIN_RATIO:
            return value < threshold - self.policy.ratio_hysteresis
        return value > threshold + self.policy.distance_hysteresis_pct

    def _step(
        self, key: tuple[str, str, Metric], metric: Metric, value: Decimal, now: float
    ) -> ThresholdAlert | None:
        first = key not in self._tracks
        track = self._tracks.setdefault(key, _Track())
        # Ease the latch down level by level, each only past its own hysteresis.
        was_danger = track.latched >= RiskTier.DANGER
        while track.latched > RiskTier.CALM and self._eased_below(metric, value, track.latched):
            track.latched = RiskTier(track.latched - 1)
        if was_danger and track.latched < RiskTier.DANGER:
            self._cleared.append(ThresholdCleared(*key, level=max(RiskTier.CALM, self._level(metric, value))))
        level = self._level(metric, value)
        if level <= track.latched or level < RiskTier.WARNING:
            return None
        track.latched = level
        last = track.last_fired.get(level)
        if last is not None and now - last < self.policy.cooldown_s:
            return None
        track.last_fired[level] = now
        account, subject, _ = key
        return ThresholdAlert(
            account=account,
            subject=subject,
            metric=metric,
            level=level,
            value=value,
            threshold=self._threshold(metric, level),
            at_start=first,
        )


@dataclass(frozen=True, slots=True)
class StreamDownAlert:
    account: str
    stream: str
    down_for_s: float
    reason: str | None
    restored: bool = False


class StreamDownMonitor:
    """'Stream down' once a stream has not been live for `down_after_s`; 'restored' when it returns."""

    def __init__(self, down_after_s: float = 60.0) -> None:
        self.down_after_s = down_after_s
        self._down_since: dict[tuple[str, str], float] = {}
        self._alerted: set[tuple[str, str]] = set()
        self._last: dict[tuple[str, str], StreamHealth] = {}

    def observe(self, account: str, health: StreamHealth, now: float) -> list[StreamDownAlert]:
        key = (account, health.name)
        self._last[key] = health
        if health.state is StreamState.LIVE or health.state is StreamState.STOPPED:
            self._down_since.pop(key, None)
            if key in self._alerted:
                self._alerted.discard(key)
                return [StreamDownAlert(account, health.name, 0.0, None, restored=True)]
            return []
        self._down_since.setdefault(key, now)
        return self.poll(now)

    def forget(self, account: str) -> None:
        """Drop a removed account's streams: neither 'down' nor 'restored' follows for them."""
        self._down_since = {k: v for k, v in self._down_since.items() if k[0] != account}
        self._alerted = {k for k in self._alerted if k[0] != account}
        self._last = {k: v for k, v in self._last.items() if k[0] != account}

    def poll(self, now: float) -> list[StreamDownAlert]:
        out: list[StreamDownAlert] = []
        for key, since in self._down_since.items():
            if key in self._alerted or now - since < self.down_after_s:
                continue
            self._alerted.add(key)
            last = self._last.get(key)
            out.append(StreamDownAlert(key[0], key[1], now - since, last.reason if last else None))
        return out
