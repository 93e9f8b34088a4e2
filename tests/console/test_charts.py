"""Server-side charts: drawn once per distinct input, escaped, bounded in memory."""

from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import Markup

from pasar.console import charts

DAY = dt.date(2026, 11, 1)


def _series(shift: float = 0.0) -> dict[str, list[tuple[dt.date, float | None]]]:
    return {"points": [(DAY + dt.timedelta(days=n), n + shift) for n in range(5)] + [
        (DAY + dt.timedelta(days=6), None)]}  # fmt: skip


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The charts actually drawn (cache misses), with an empty cache of 3 entries."""
    drawn: list[str] = []
    monkeypatch.setattr(charts, "_DRAWN", type(charts._DRAWN)())
    monkeypatch.setattr(charts, "CACHE_SIZE", 3)
    real = charts._svg

    def counting(figure: object) -> Markup:
        drawn.append(figure.axes[0].get_title(loc="left"))  # type: ignore[attr-defined]
        return real(figure)

    monkeypatch.setattr(charts, "_svg", counting)
    return drawn


def test_the_same_chart_is_drawn_once(draws: list[str]) -> None:
    labels, values = ["Jawa Barat", "Bali"], [3.0, 1.0]
    first = charts.bar_chart(labels, values, "Shops <b>")
    again = charts.bar_chart(labels, values, "Shops <b>")
    assert again == first and draws == ["Shops <b>"]
    assert "<svg" in first and "Shops &lt;b&gt;" in first and "Shops <b>" not in first
    other = charts.bar_chart(labels, [3.0, 2.0], "Shops <b>")
    assert other != first and len(draws) == 2
    charts.bar_chart(labels, values, "Shops <b>", height=3.0)  # an option is part of the input
    assert len(draws) == 3


def test_line_charts_are_written_without_matplotlib(draws: list[str]) -> None:
    svg = charts.line_chart(_series(), "Points <b>")
    assert draws == [] and svg.startswith('<svg class="chart"')
    assert "Points &lt;b&gt;" in svg and "Points <b>" not in svg


def test_only_the_last_charts_are_kept(draws: list[str]) -> None:
    for title in ("a", "b", "c", "d"):
        charts.bar_chart(["x", "y"], [1.0, 2.0], title)
    assert len(charts._DRAWN) == 3
    charts.bar_chart(["x", "y"], [1.0, 2.0], "d")  # kept
    charts.bar_chart(["x", "y"], [1.0, 2.0], "a")  # the oldest, dropped: drawn again
    assert draws == ["a", "b", "c", "d", "a"]


def test_a_chart_with_a_formatting_function_is_drawn_every_time(draws: list[str]) -> None:
    xs, ys = [1, 2, 3], [1.0, 2.0, 3.0]
    for _ in range(2):
        charts.band_chart(xs, ys, (ys, ys), "Band", y_format=lambda v: f"Rp {v:,.0f}")
    assert draws == ["Band", "Band"]
