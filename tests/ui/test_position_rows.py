"""render_row: a positions-table row as shown, checked without a model or a view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marginwatch.core.position import MarginType
from marginwatch.core.risk_tiers import RiskBands, RiskTier
from marginwatch.ui.position_rows import Column, RowView, RowWords, changed_runs, render_row
from marginwatch.ui.tier_style import TIER_COLOURS
from tests.ui.risk_factories import position_risk

KEY = ("main", "BTCUSDT", "BOTH")
TICK = Decimal("0.1")


def row(**figures: Any) -> RowView:
    return render_row(KEY, position_risk(**figures), RowWords.translated(), RiskBands(), TICK)


def test_a_row_shows_each_figure_with_a_numeric_sort_key_and_its_tooltips() -> None:
    view = row(mark="61000", distance="18.03", ratio="0.2", pnl="500")
    assert [cell.text for cell in view.cells] == [
        "main", "BTCUSDT", "Long", "0.5", "60,000.0", "61,000.0", "50,000.0", "18.03 % calm", "Cross", "20.00 % calm",
        "+500.00", "--", "--", "",  # no funding rate or ADL bucket yet; the sparkline is painted, not text
    ]
    assert view.cells[Column.MARK].sort == 61000.0
    assert view.cells[Column.DISTANCE].sort == 18.03
    assert view.cells[Column.SIDE].tooltip == "Position side: BOTH"
    assert view.cells[Column.MARGIN_RATIO].tooltip == (
        "Cross account's margin ratio (maintenance margin / margin balance): calm\n"
        "Tier: calm: neither the margin ratio (warning at or over 50 %) nor the distance to liquidation"
        " (warning at or under 10 %)"
    )
    assert view.cells[Column.LIQ].tooltip is None
    assert view.tier is RiskTier.CALM


def test_an_isolated_position_without_a_liquidation_price_sorts_furthest_away() -> None:
    view = row(liq=None, distance=None, ratio=None, margin_type=MarginType.ISOLATED)
    assert view.cells[Column.DISTANCE].text == "--"
    assert view.cells[Column.DISTANCE].sort == float("inf")
    assert view.cells[Column.MARGIN_RATIO].sort == -1.0
    assert view.cells[Column.MARGIN_RATIO].tooltip == (
        "This isolated position's margin ratio: unknown\n"
        "Tier: unknown (no margin ratio or distance to liquidation)"
    )


def test_the_ratio_and_distance_cells_carry_their_tiers_text_and_colours_and_no_other_cell_does() -> None:
    view = row(ratio="0.9", distance="7")
    ratio, distance = view.cells[Column.MARGIN_RATIO], view.cells[Column.DISTANCE]
    background, foreground = TIER_COLOURS[RiskTier.DANGER]
    assert ratio.background is not None and ratio.background.color() == background
    assert ratio.foreground is not None and ratio.foreground.color() == foreground
    assert distance.text == "7.00 % △ warning"
    assert distance.background is not None and distance.background.color() == TIER_COLOURS[RiskTier.WARNING][0]
    others = [c for i, c in enumerate(view.cells) if i not in (Column.MARGIN_RATIO, Column.DISTANCE)]
    assert all(c.foreground is None and c.background is None for c in others)
    calm = row(ratio="0.2").cells[Column.MARGIN_RATIO]
    assert calm.foreground is None and calm.background is None  # calm keeps the palette's colours


def test_a_liquidation_price_that_differs_from_the_exchanges_is_marked_and_explained() -> None:
    view = row(liq="50000", exchange_liq="49000")
    liq = view.cells[Column.LIQ]
    assert liq.text == "50,000.0 ≠"
    assert liq.tooltip == (
        "Exchange's liquidation price at the last snapshot: 49,000.0; ours from the same prices: 50,000.0"
    )
    assert row(liq="50000", exchange_liq="50000.1").cells[Column.LIQ].text == "50,000.0"  # within a tick


def test_size_and_entry_cells_are_reused_while_their_inputs_are_unchanged() -> None:
    words, bands = RowWords.translated(), RiskBands()
    first = render_row(KEY, position_risk(mark="61000"), words, bands, TICK)
    moved = render_row(KEY, position_risk(mark="61500"), words, bands, TICK, old=first)
    assert moved.cells[Column.SIZE] is first.cells[Column.SIZE]
    assert moved.cells[Column.ENTRY] is first.cells[Column.ENTRY]
    finer = render_row(KEY, position_risk(mark="61500"), words, bands, Decimal("0.01"), old=moved)
    assert finer.cells[Column.ENTRY].text == "60,000.00"


def test_changed_runs_name_cells_whose_text_tooltip_or_colour_changed_not_their_sort_key() -> None:
    base = row(mark="61000", liq="50000", exchange_liq="49000")
    # The exchange's figure moved, still apart from ours: same text, new tooltip.
    tooltip_only = row(mark="61000", liq="50000", exchange_liq="48000")
    assert tooltip_only.cells[Column.LIQ].text == base.cells[Column.LIQ].text
    assert changed_runs(base, tooltip_only) == [(Column.LIQ, Column.LIQ)]
    # A mark move below the shown precision re-sorts, but looks the same.
    assert changed_runs(base, row(mark="61000.01", liq="50000", exchange_liq="49000")) == []
    # Warning to danger: the ratio text and its colours, and the distance's tooltip that names the tier.
    assert changed_runs(row(ratio="0.79"), row(ratio="0.81")) == [
        (Column.DISTANCE, Column.DISTANCE), (Column.MARGIN_RATIO, Column.MARGIN_RATIO)
    ]


def test_a_position_whose_risk_cannot_be_computed_says_so_where_its_figures_would_be() -> None:
    from dataclasses import replace

    reason = "risk unavailable: entry price -5 is not positive"
    pr = replace(position_risk(liq=None, distance=None, ratio=None), risk_unavailable=reason)
    view = render_row(KEY, pr, RowWords.translated(), RiskBands(), TICK)
    assert view.cells[Column.LIQ].text == "unavailable"
    assert view.cells[Column.LIQ].tooltip == reason
    assert view.cells[Column.MARGIN_RATIO].tooltip == reason
    assert row(liq=None).cells[Column.LIQ].text == "--"  # no price is not the same as no figures


def test_a_position_whose_symbol_has_no_bracket_table_says_why_its_figures_are_missing() -> None:
    from dataclasses import replace

    pr = replace(position_risk(liq=None, distance=None, ratio=None), maint_margin=None)
    words = RowWords.translated()
    view = render_row(KEY, pr, words, RiskBands(), TICK)
    assert view.cells[Column.LIQ].text == "--"
    assert view.cells[Column.LIQ].tooltip == words.no_brackets_tip
    assert view.cells[Column.MARGIN_RATIO].tooltip == words.no_brackets_tip
    assert "No leverage brackets" in words.no_brackets_tip
    assert row(liq=None).cells[Column.LIQ].tooltip is None  # a known table and no price: nothing to explain


def test_a_position_near_liquidation_under_a_calm_cross_ratio_is_a_danger_row_and_says_why() -> None:
    # The demo's SOLUSDT: the account's ratio is calm, the position 3.3 % from liquidation.
    view = row(ratio="0.1799", distance="3.30")
    assert view.tier is RiskTier.DANGER
    assert view.cells[Column.MARGIN_RATIO].text == "17.99 % calm"
    distance = view.cells[Column.DISTANCE]
    assert distance.text == "3.30 % ▲ danger"
    assert distance.background is not None and distance.background.color() == TIER_COLOURS[RiskTier.DANGER][0]
    why = "Tier: danger, set by the distance to liquidation (danger at or under 5 %)"
    assert distance.tooltip == why
    assert view.cells[Column.MARGIN_RATIO].tooltip is not None and view.cells[Column.MARGIN_RATIO].tooltip.endswith(why)


def test_the_tooltip_names_the_ratio_when_the_ratio_sets_the_tier() -> None:
    view = render_row(KEY, position_risk(ratio="0.62", distance="40"), RowWords.translated(),
                      RiskBands(distance_warning_pct=Decimal(20), distance_danger_pct=Decimal(8)), TICK)
    assert view.tier is RiskTier.WARNING
    assert view.cells[Column.DISTANCE].tooltip == (
        "Tier: warning, set by the margin ratio (warning at or over 50 %)"
    )
    assert render_row(KEY, position_risk(ratio="0.62", distance="12"), RowWords.translated(),
                      RiskBands(distance_warning_pct=Decimal(20), distance_danger_pct=Decimal(8)),
                      TICK).cells[Column.DISTANCE].tooltip == (
        "Tier: warning, set by the margin ratio (warning at or over 50 %) and the distance to liquidation"
        " (warning at or under 20 %)"
    )


def funded(pr: Any, **fields: Any) -> Any:
    """`pr` with its position and funding estimate replaced (what AccountState and the risk maths fill in)."""
    from dataclasses import replace

    return replace(pr, **fields)


def test_the_funding_cell_shows_the_signed_payment_and_time_and_an_isolated_positions_price_after_it() -> None:
    import time

    from marginwatch.core.funding import FundingEstimate

    at_ms = 1_700_028_800_000
    when = time.strftime("%H:%M", time.localtime(at_ms / 1000))
    pr = funded(position_risk(liq="50000"), funding=FundingEstimate(Decimal("0.0001"), at_ms, Decimal("-3.05")))
    cell = render_row(KEY, pr, RowWords.translated(), RiskBands(), TICK).cells[Column.FUNDING]
    assert cell.text == f"-3.05 @ {when}" and cell.sort == -3.05
    assert cell.tooltip == f"Next funding at {when} (rate 0.0100 %): -3.05 at the current mark and rate"
    iso = funded(pr, funding=FundingEstimate(Decimal("0.0001"), at_ms, Decimal("-3.05"), Decimal("50100.2"),
                                             Decimal("17.87")))
    tip = render_row(KEY, iso, RowWords.translated(), RiskBands(), TICK).cells[Column.FUNDING].tooltip
    assert tip is not None and tip.endswith("its liquidation price moves from 50,000.0 to 50,100.2 (17.87 % away)")


def test_the_adl_cell_reads_without_colour_and_only_the_top_bucket_is_coloured() -> None:
    from dataclasses import replace

    def adl(q: int | None) -> Any:
        pr = position_risk()
        return render_row(KEY, replace(pr, position=replace(pr.position, adl_quantile=q)), RowWords.translated(),
                          RiskBands(), TICK).cells[Column.ADL]

    assert adl(None).text == "--"
    assert adl(2).text == "▮▮▯▯ 2" and adl(2).background is None
    top = adl(4)
    assert top.text == "▮▮▮▮ 4 △" and top.sort == 4.0
    background, _ = TIER_COLOURS[RiskTier.WARNING]
    assert top.background is not None and top.background.color() == background
    assert top.tooltip is not None and "bucket 4 of 0-4" in top.tooltip
