"""Line charts written as SVG: where the points go, gaps, axes and labels."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from pasar.console import linesvg
from pasar.console.linesvg import LEFT, RIGHT, WIDTH

PALETTE = ["#0f6e5c", "#b4480f", "#3057a8"]
DAY = dt.date(2026, 11, 1)


def _paths(svg: str) -> list[list[tuple[str, float, float]]]:
    """Each line's path as (command, x, y) steps."""
    return [
        [(c, float(x), float(y)) for c, x, y in re.findall(r"([ML])([\d.]+),([\d.]+)", d)]
        for d in re.findall(r'<path d="([^"]+)"', svg)
    ]


def _labels(svg: str, anchor: str) -> list[str]:
    return re.findall(rf'text-anchor="{anchor}" fill="#5b6478">([^<]*)</text>', svg)


def test_points_are_placed_in_order_with_gaps_where_values_are_missing() -> None:
    points = [(DAY + dt.timedelta(days=n), y) for n, y in enumerate([2, 4, None, 8, 6])]
    svg = linesvg.draw({"Points": points}, "Points over time", PALETTE)
    (path,) = _paths(svg)
    assert [c for c, _, _ in path] == ["M", "L", "M", "L"]  # a new stroke after the gap
    xs = [x for _, x, _ in path]
    assert xs[0] == LEFT and xs[-1] == WIDTH - RIGHT  # first and last day at the plot's ends
    assert xs == sorted(xs)
    gaps = [b - a for a, b in itertools.pairwise(xs)]
    assert abs(gaps[0] - gaps[2]) < 0.2 and abs(gaps[1] - 2 * gaps[0]) < 0.2  # days evenly apart
    ys = [y for _, _, y in path]  # SVG's y grows downwards: 8 highest, 2 lowest
    assert ys[2] < ys[3] < ys[1] < ys[0]
    assert svg.count("<circle") == 4  # dots on the known values, few points
    assert _labels(svg, "middle")[:2] == ["01 Nov", "02 Nov"]


def test_counts_start_at_zero_on_whole_numbers_and_rates_read_as_percent() -> None:
    counts = linesvg.draw({"a": [(1, 3), (2, 7)]}, "Counts", PALETTE)
    ticks = _labels(counts, "end")
    assert ticks[0] == "0" and all(t.isdigit() for t in ticks)
    rates = linesvg.draw({"a": [(1, 0.012), (2, 0.034)]}, "Rates", PALETTE, percent=True)
    assert all(t.endswith("%") for t in _labels(rates, "end"))
    money = linesvg.draw({"a": [(1, 1_000_000.0), (2, 36_000_000.0)]}, "Cost", PALETTE)
    assert "40M" in _labels(money, "end") or "35M" in _labels(money, "end")


def test_several_series_get_a_legend_and_text_is_escaped() -> None:
    series = {"<b>late</b>": [(DAY, 1.0)], "cancelled & returned": [(DAY, 2.0)]}
    svg = linesvg.draw(series, 'Rates "weekly" <script>', PALETTE)
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;b&gt;late&lt;/b&gt;" in svg and "cancelled &amp; returned" in svg
    assert svg.count("<rect") == 2 and len(_paths(svg)) == 2


def test_labels_on_a_category_axis_keep_their_order() -> None:
    weeks = ["2026-W44", "2026-W45", "2026-W46"]
    svg = linesvg.draw({"GMV": [(w, n + 1.5) for n, w in enumerate(weeks)]}, "GMV", PALETTE)
    assert _labels(svg, "middle") == weeks


def test_no_value_at_all_draws_empty_axes() -> None:
    svg = linesvg.draw({"a": [(DAY, None)]}, "Nothing yet", PALETTE)
    assert _paths(svg) == [] and "Nothing yet" in svg


@given(
    st.lists(st.one_of(st.none(), st.floats(-1e12, 1e12, allow_nan=False)), min_size=1, max_size=60)
)
def test_every_value_lands_inside_the_plot(values: list[float | None]) -> None:
    svg = linesvg.draw({"a": list(enumerate(values))}, "t", PALETTE, height=2.6)
    height = float(re.search(r'height="(\d+)"', svg)[1])  # type: ignore[index]
    for path in _paths(svg):
        for _, x, y in path:
            assert LEFT - 0.1 <= x <= WIDTH - RIGHT + 0.1 and 0 <= y <= height
    ticks = _labels(svg, "end")
    assert len(ticks) == len(set(ticks))  # no two ticks read the same
