"""What each alert says, in English and in Chinese: titles, bodies, tiers, kinds and dedupe keys."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from PySide6.QtWidgets import QApplication

from marginwatch.core.alert_rules import Metric, StreamDownAlert, ThresholdAlert
from marginwatch.core.events import MarginCall, decode_user_event
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import AlertKind, margin_call_alert, sample_alert, stream_alert, threshold_alert

D = Decimal
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "binance" / "margin_call.json"


def fixture_margin_call() -> MarginCall:
    event = decode_user_event(FIXTURE.read_bytes())
    assert isinstance(event, MarginCall)
    return event


def two_position_call() -> SimpleNamespace:
    """Sides as plain strings (no enum), no cross wallet, one figure missing."""
    return SimpleNamespace(
        event_time=42,
        positions=[
            SimpleNamespace(symbol="BTCUSDT", position_side="SHORT", amount=D("-0.50"), mark_price=D("61000.10"),
                            maint_margin=D("122.0")),
            SimpleNamespace(symbol="ETHUSDT", position_side="BOTH", amount=D("3"), mark_price=None,
                            maint_margin=D("9.5")),
        ],
    )


def ratio_alert(**over: object) -> ThresholdAlert:
    fields: dict[str, object] = dict(account="Main", subject="account", metric=Metric.MARGIN_RATIO,
                                     level=RiskTier.DANGER, value=D("0.8567"), threshold=D("0.8"))
    fields.update(over)
    return ThresholdAlert(**fields)  # type: ignore[arg-type]


def distance_alert(**over: object) -> ThresholdAlert:
    fields: dict[str, object] = dict(account="Main", subject="BTCUSDT LONG", metric=Metric.DISTANCE,
                                     level=RiskTier.WARNING, value=D("8.456"), threshold=D("10"))
    fields.update(over)
    return ThresholdAlert(**fields)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- margin calls


def test_margin_call_alert_lists_each_position_with_its_figures_and_the_cross_wallet(english: QApplication) -> None:
    event = fixture_margin_call()
    alert = margin_call_alert("Main", event)
    assert alert.kind is AlertKind.MARGIN_CALL and alert.tier is RiskTier.DANGER and alert.account == "Main"
    assert alert.title == "Margin call on Main: ETHUSDT"
    assert alert.body == (
        "ETHUSDT LONG size 1.327 · mark 187.17127 · maint. margin 1.614445\nCross wallet: 3.16812045 USDT"
    )
    assert alert.dedupe_key == "mc:Main:1587727187525:ETHUSDT"
    assert alert.raw is event


def test_margin_call_alert_takes_plain_string_sides_and_shows_a_missing_figure_as_dashes(
    english: QApplication,
) -> None:
    alert = margin_call_alert("Main", two_position_call())
    assert alert.title == "Margin call on Main: BTCUSDT, ETHUSDT"
    assert alert.body.splitlines() == [
        "BTCUSDT SHORT size -0.5 · mark 61000.1 · maint. margin 122",
        "ETHUSDT BOTH size 3 · mark -- · maint. margin 9.5",
    ]
    assert alert.dedupe_key == "mc:Main:42:BTCUSDT, ETHUSDT"


def test_margin_call_naming_no_position_still_says_margin_call(english: QApplication) -> None:
    alert = margin_call_alert("Main", SimpleNamespace(event_time=7, positions=[], cross_wallet=D("12.50")))
    assert alert.title == "Margin call on Main: ?"
    assert alert.body == "Cross wallet: 12.5 USDT"
    assert alert.dedupe_key == "mc:Main:7:?"


def test_margin_calls_differing_in_time_or_account_have_different_dedupe_keys(english: QApplication) -> None:
    event = fixture_margin_call()
    later = SimpleNamespace(event_time=event.event_time + 1, positions=event.positions, cross_wallet=None)
    keys = {margin_call_alert("Main", event).dedupe_key, margin_call_alert("Other", event).dedupe_key,
            margin_call_alert("Main", later).dedupe_key}
    assert len(keys) == 3


# ----------------------------------------------------------------------------- thresholds


def test_ratio_alert_on_the_cross_account_shows_percentages(english: QApplication) -> None:
    a = ratio_alert()
    alert = threshold_alert(a)
    assert alert.kind is AlertKind.THRESHOLD and alert.tier is RiskTier.DANGER and alert.account == "Main"
    assert alert.title == "Danger: cross account on Main"
    assert alert.body == "margin ratio 85.7 % (threshold 80 %)"
    assert alert.dedupe_key == "th:Main:account:margin_ratio:3:0.8567"
    assert alert.raw is a


def test_distance_alert_on_a_position_names_symbol_and_side(english: QApplication) -> None:
    alert = threshold_alert(distance_alert())
    assert alert.tier is RiskTier.WARNING
    assert alert.title == "Warning: BTCUSDT LONG on Main"
    assert alert.body == "8.46 % from liquidation (threshold 10 %)"
    assert alert.dedupe_key == "th:Main:BTCUSDT LONG:distance:2:8.456"


def test_alert_for_a_threshold_already_crossed_at_start_says_so(english: QApplication) -> None:
    assert threshold_alert(ratio_alert(at_start=True)).body == "Already at start: margin ratio 85.7 % (threshold 80 %)"
    assert threshold_alert(distance_alert(at_start=False)).body == "8.46 % from liquidation (threshold 10 %)"


def test_threshold_dedupe_key_changes_with_subject_metric_level_and_value(english: QApplication) -> None:
    keys = [
        threshold_alert(a).dedupe_key
        for a in (
            ratio_alert(),
            ratio_alert(account="Other"),
            ratio_alert(subject="ETHUSDT SHORT"),
            ratio_alert(metric=Metric.DISTANCE),
            ratio_alert(level=RiskTier.WARNING),
            ratio_alert(value=D("0.9")),
        )
    ]
    assert len(set(keys)) == len(keys)


def test_a_ratio_past_liquidation_says_so_and_each_later_crossing_is_news(english: QApplication) -> None:
    past = ratio_alert(value=D("Infinity"))
    first = threshold_alert(past, now=1_000.2)
    assert first.body == "margin balance at or below zero: past liquidation (threshold 80 %)"
    assert "Infinity" not in first.title + first.body
    assert threshold_alert(past, now=1_000.7).dedupe_key == first.dedupe_key  # a replay, the same second
    assert threshold_alert(past, now=1_400.0).dedupe_key != first.dedupe_key  # after the cooldown: news
    assert first.created_at == 1_000.2
    before = time.time()
    assert before <= threshold_alert(ratio_alert()).created_at <= time.time()  # now, by default
    assert threshold_alert(ratio_alert(), now=1_400.0).dedupe_key == threshold_alert(ratio_alert(), now=9.0).dedupe_key


# ----------------------------------------------------------------------------- streams and tests


def test_stream_down_alert_says_for_how_long_and_why(english: QApplication) -> None:
    a = StreamDownAlert("Main", "market", 75.9, "connection refused")
    before = time.time()
    alert = stream_alert(a)
    assert alert.kind is AlertKind.STREAM_DOWN and alert.tier is RiskTier.WARNING and alert.account == "Main"
    assert alert.title == "market stream down on Main"
    assert alert.body == "No live data for 75 s: connection refused. Figures shown may be stale."
    prefix, _, stamp = alert.dedupe_key.rpartition(":")
    assert prefix == "down:Main:market" and before <= float(stamp) <= time.time()
    assert alert.raw is a


def test_stream_down_without_a_reason_says_no_connection(english: QApplication) -> None:
    alert = stream_alert(StreamDownAlert("Main", "user", 60.0, None))
    assert alert.title == "user stream down on Main"
    assert alert.body == "No live data for 60 s: no connection. Figures shown may be stale."


def test_stream_restored_alert_is_calm_and_says_live_again(english: QApplication) -> None:
    a = StreamDownAlert("Main", "rest", 0.0, None, restored=True)
    before = time.time()
    alert = stream_alert(a)
    assert alert.kind is AlertKind.STREAM_RESTORED and alert.tier is RiskTier.CALM and alert.account == "Main"
    assert alert.title == "REST snapshot restored on Main"  # a periodic snapshot, not a stream
    assert stream_alert(StreamDownAlert("Main", "rest", 61.0, None)).title == "REST snapshot failing on Main"
    assert alert.body == "Live data again."
    prefix, _, stamp = alert.dedupe_key.rpartition(":")
    assert prefix == "up:Main:rest" and before <= float(stamp) <= time.time()
    assert alert.raw is a


def test_sample_alert_is_a_warning_test_notification(english: QApplication) -> None:
    before = time.time()
    alert = sample_alert()
    assert alert.kind is AlertKind.TEST and alert.tier is RiskTier.WARNING and alert.account == ""
    assert alert.title == "MarginWatch test notification"
    assert alert.body == "Notifications work. Margin calls and threshold alerts will look like this."
    kind, _, stamp = alert.dedupe_key.partition(":")
    assert kind == "test" and before <= float(stamp) <= time.time()


# ----------------------------------------------------------------------------- in Chinese


def test_margin_call_alert_in_chinese_translates_sides_and_labels(chinese: QApplication) -> None:
    alert = margin_call_alert("主账户", fixture_margin_call())
    assert alert.title == "主账户 追加保证金通知：ETHUSDT"
    assert alert.body.splitlines() == ["ETHUSDT 多头 数量 1.327 · 标记价格 187.17127 · 维持保证金 1.614445",
                                       "全仓钱包余额：3.16812045 USDT"]
    body = margin_call_alert("主账户", two_position_call()).body
    assert body.splitlines() == [
        "BTCUSDT 空头 数量 -0.5 · 标记价格 61000.1 · 维持保证金 122",
        "ETHUSDT 单向持仓 数量 3 · 标记价格 -- · 维持保证金 9.5",
    ]


def test_threshold_alerts_in_chinese(chinese: QApplication) -> None:
    danger = threshold_alert(ratio_alert(account="主账户", at_start=True))
    assert danger.title == "危险：主账户 · 全仓账户"
    assert danger.body == "启动时已触发：保证金率 85.7%（阈值 80%）"
    past = threshold_alert(ratio_alert(account="主账户", value=D("Infinity")))
    assert past.body == "保证金余额为零或以下：已超过强平线（阈值 80 %）"
    warning = threshold_alert(distance_alert(account="主账户", subject="BTCUSDT SHORT"))
    assert warning.title == "警告：主账户 · BTCUSDT 空头"
    assert warning.body == "距强平 8.46%（阈值 10%）"


def test_stream_and_test_alerts_in_chinese(chinese: QApplication) -> None:
    down = stream_alert(StreamDownAlert("主账户", "user", 61.0, None))
    assert down.title == "主账户：账户数据流中断"
    assert down.body == "已 61 秒无实时数据：无连接。显示的数据可能已过时。"
    assert stream_alert(StreamDownAlert("主账户", "market", 90.0, "timeout")).title == "主账户：行情数据流中断"
    restored = stream_alert(StreamDownAlert("主账户", "rest", 0.0, None, restored=True))
    assert restored.title == "主账户：REST 快照已恢复"
    assert stream_alert(StreamDownAlert("主账户", "user", 0.0, None, restored=True)).title == "主账户：账户数据流已恢复"
    assert stream_alert(StreamDownAlert("主账户", "rest", 30.0, None)).title == "主账户：REST 快照失败"
    assert restored.body == "实时数据已恢复。"
    sample = sample_alert()
    assert sample.title == "MarginWatch 测试通知"
    assert sample.body == "通知正常。追加保证金通知和阈值警报将以此形式显示。"
