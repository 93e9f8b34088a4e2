"""The forecast on synthetic series with known multipliers: the calendar fit recovers them, the
forecast of a period lands where the known process puts it, the chance of reaching a target
falls as the target rises, and periods and bad requests are handled with clear errors."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pasar.creators.calendar import days, effects_on
from pasar.creators.seasonality import fit_calendar
from pasar.creators.targets import (
    DailySeries,
    Funnel,
    TargetForecast,
    forecast_period,
    funnel_needs,
    parse_period,
    reference_model,
    round_down,
)
from pasar.kit.errors import ValidationError

START = dt.date(2025, 11, 1)
END = dt.date(2026, 11, 1)
TRUE = {
    "weekday:Sun": 1.15,
    "weekday:Tue": 0.9,
    "payday": 1.3,
    "double:11.11": 3.0,
    "double:12.12": 2.5,
    "ramadan": 1.4,
    "lebaran": 0.5,
}
GROWTH = 0.2  # per year, log-linear
NOV = (dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def expected(day: dt.date, origin: dt.date = END) -> float:
    """The known multiplier of ``day`` (trend 0 at ``origin``)."""
    log = GROWTH * (day - origin).days / 365.25
    return math.exp(log) * math.prod(TRUE.get(e, 1.0) for e in effects_on(day))


def synthetic(rate: float, seed: int, start: dt.date = START, end: dt.date = END) -> DailySeries:
    """Poisson orders per day at ``rate`` × the known multipliers, log-normal values around
    100,000 (mean 100,000)."""
    rng = np.random.default_rng(seed)
    every = days(start, end)
    counts = rng.poisson([rate * expected(d) for d in every])
    day = np.repeat(np.arange(len(every)), counts)
    value = 100_000 * rng.lognormal(-0.18, 0.6, len(day))
    return DailySeries(
        start=start,
        gmv=np.bincount(day, weights=value, minlength=len(every)),
        orders=counts.astype(np.int64),
        value_day=day,
        value=value,
        first_active=start,
    )


def test_the_calendar_fit_recovers_known_multipliers() -> None:
    exact = np.array([400 * expected(d) for d in days(START, END)])
    fit = fit_calendar(START, exact, unit=1.0)
    geometric = math.prod(TRUE.get(f"weekday:{w}", 1.0) for w in
                          ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")) ** (1 / 7)  # fmt: skip
    for effect, multiplier in TRUE.items():
        wanted = multiplier / geometric if effect.startswith("weekday:") else multiplier
        assert fit.multiplier(effect) == pytest.approx(wanted, rel=1e-4), effect
    assert fit.trend == pytest.approx(GROWTH, abs=1e-4)
    assert fit.multiplier("double:9.9") == pytest.approx(1.0, abs=1e-4)
    noisy = synthetic(400, seed=1)
    fit = fit_calendar(START, noisy.gmv, unit=100_000)
    for effect in ("payday", "double:11.11", "double:12.12", "ramadan", "lebaran"):
        assert fit.multiplier(effect) == pytest.approx(TRUE[effect], rel=0.08), effect
    assert fit.trend == pytest.approx(GROWTH, abs=0.05)


def test_a_prior_pulls_a_thin_category_towards_the_marketplace() -> None:
    market = fit_calendar(START, synthetic(400, seed=2).gmv, unit=100_000)
    thin = synthetic(0.5, seed=3)
    alone = fit_calendar(START, thin.gmv, unit=100_000)
    pulled = fit_calendar(START, thin.gmv, unit=100_000, prior=market)
    for effect in ("double:11.11", "double:12.12", "lebaran"):
        assert (
            abs(math.log(pulled.multiplier(effect) / TRUE[effect]))
            <= abs(math.log(alone.multiplier(effect) / TRUE[effect])) + 0.05
        ), effect
        assert pulled.multiplier(effect) == pytest.approx(TRUE[effect], rel=0.35), effect


@pytest.fixture(scope="module")
def reference() -> object:
    return reference_model("the synthetic market", synthetic(400, seed=4), dt.date(2026, 10, 1))


def _forecast(rate: float, seed: int, reference: object, **kw: object) -> TargetForecast:
    series = synthetic(rate, seed)
    cutoff = dt.date(2026, 10, 1)
    start, end = parse_period("2026-11", cutoff)
    return forecast_period(series, reference, cutoff, start, end, subject=["S"], **kw)  # type: ignore[arg-type]


def test_the_forecast_lands_where_the_known_process_puts_it(reference: object) -> None:
    forecast = _forecast(20.0, seed=5, reference=reference)
    truth = sum(20.0 * 100_000 * expected(d) for d in days(*NOV))
    assert forecast.point == pytest.approx(truth, rel=0.12)
    assert forecast.low < truth < forecast.high
    assert forecast.low < forecast.median < forecast.high
    parts = {c.name: c for c in forecast.components}
    orders = parts["Expected creator orders"].value
    value = parts["Average creator order value"].value
    assert orders * value == pytest.approx(forecast.point)
    assert parts["Forecast (expected GMV)"].value == forecast.point
    sale = next(c for c in forecast.effects if c.name == "11.11 sale")
    assert "×3.0" in sale.detail or "×2.9" in sale.detail or "×3.1" in sale.detail
    daily = dict(forecast.daily)
    assert sum(daily.values()) == pytest.approx(forecast.point)
    assert daily[dt.date(2026, 11, 11)] / daily[dt.date(2026, 11, 12)] == pytest.approx(
        3.0 * TRUE.get("weekday:Wed", 1) / TRUE.get("weekday:Thu", 1), rel=0.1
    )
    sale_day = daily[dt.date(2026, 11, 11)]  # without 11.11 only that day would change
    multiplier = reference.fit.multiplier("double:11.11")  # type: ignore[attr-defined]
    assert sale.value == pytest.approx(sale_day * (1 - 1 / multiplier), rel=1e-9)


def test_the_range_covers_the_known_process_about_80_percent(reference: object) -> None:
    inside, runs = 0, 60
    truth = sum(3.0 * 100_000 * expected(d) for d in days(*NOV))
    for seed in range(runs):
        forecast = _forecast(3.0, seed=100 + seed, reference=reference, draws=1000)
        outcome = synthetic(3.0, seed=1000 + seed, start=NOV[0], end=NOV[1])
        actual = float(outcome.gmv[:30].sum())
        inside += forecast.low <= actual <= forecast.high
        assert forecast.low < truth * 1.5
    print(f"synthetic seller: {inside}/{runs} outcomes inside the 80% range")
    assert 0.65 <= inside / runs <= 0.95


@pytest.fixture(scope="module")
def eight_a_day(reference: object) -> TargetForecast:
    return _forecast(8.0, seed=6, reference=reference)


@settings(max_examples=40, deadline=None, database=None)
@given(targets=st.lists(st.floats(min_value=-1e6, max_value=5e8), min_size=2, max_size=30))
def test_the_chance_of_reaching_falls_as_the_target_rises(
    eight_a_day: TargetForecast, targets: list[float]
) -> None:
    chances = [eight_a_day.probability_of_reaching(t) for t in sorted(targets)]
    assert all(a >= b for a, b in itertools.pairwise(chances))
    assert all(0.0 <= c <= 1.0 for c in chances)


def test_the_range_the_chances_and_the_verdicts_agree(eight_a_day: TargetForecast) -> None:
    forecast = eight_a_day
    assert forecast.probability_of_reaching(0) == 1.0
    assert forecast.probability_of_reaching(-5) == 1.0
    assert forecast.probability_of_reaching(forecast.draws[-1] + 1) == 0.0
    assert forecast.probability_of_reaching(forecast.low) == pytest.approx(0.9, abs=0.01)
    assert forecast.probability_of_reaching(forecast.high) == pytest.approx(0.1, abs=0.01)
    assert forecast.assess(forecast.proposed).verdict == "realistic"
    assert forecast.assess(forecast.stretch).verdict == "stretch"
    assert forecast.assess(forecast.high * 3).verdict == "unrealistic"
    assert forecast.proposed <= forecast.median < forecast.proposed * 1.01
    with pytest.raises(ValidationError) as refused:
        forecast.probability_of_reaching(float("nan"))
    assert refused.value.field == "target"


def test_a_quiet_seller_gets_a_small_forecast_and_a_note(reference: object) -> None:
    series = synthetic(2.0, seed=7)
    cutoff = dt.date(2026, 10, 1)
    lo = (cutoff - dt.timedelta(days=84) - START).days
    quiet = DailySeries(START, series.gmv.copy(), series.orders.copy(), series.value_day,
                        series.value, START)  # fmt: skip
    quiet.gmv[lo:] = 0
    quiet.orders[lo:] = 0
    keep = quiet.value_day < lo
    quiet = DailySeries(START, quiet.gmv, quiet.orders, quiet.value_day[keep], quiet.value[keep],
                        START)  # fmt: skip
    forecast = forecast_period(quiet, reference, cutoff, *NOV, subject=["Q"])  # type: ignore[arg-type]
    assert 0 < forecast.point < 0.1 * 2.0 * 100_000 * 30
    assert any("no creator orders" in note for note in forecast.notes)


def test_bad_requests_name_the_field(reference: object) -> None:
    series = synthetic(5.0, seed=8)
    cutoff = dt.date(2026, 10, 1)

    def refused(start: dt.date, end: dt.date, data: DailySeries = series) -> str | None:
        with pytest.raises(ValidationError) as caught:
            forecast_period(data, reference, cutoff, start, end, subject=["S"])  # type: ignore[arg-type]
        return caught.value.field

    assert refused(dt.date(2026, 9, 1), dt.date(2026, 10, 1)) == "period"
    assert refused(dt.date(2027, 12, 1), dt.date(2028, 1, 1)) == "period"
    young = DailySeries(START, series.gmv, series.orders, series.value_day, series.value,
                        dt.date(2026, 9, 20))  # fmt: skip
    assert refused(dt.date(2026, 10, 1), dt.date(2026, 11, 1), young) == "seller"


@pytest.mark.parametrize(
    ("text", "cutoff", "period"),
    [
        ("2026-12", dt.date(2026, 11, 1), (dt.date(2026, 12, 1), dt.date(2027, 1, 1))),
        ("2026-02", dt.date(2026, 1, 1), (dt.date(2026, 2, 1), dt.date(2026, 3, 1))),
        (" 2026-12-01..2026-12-15 ", dt.date(2026, 11, 1),
         (dt.date(2026, 12, 1), dt.date(2026, 12, 16))),
        (None, dt.date(2026, 11, 1), (dt.date(2026, 11, 1), dt.date(2026, 12, 1))),
        (None, dt.date(2026, 11, 15), (dt.date(2026, 12, 1), dt.date(2027, 1, 1))),
        ("", dt.date(2026, 12, 31), (dt.date(2027, 1, 1), dt.date(2027, 2, 1))),
    ],
)  # fmt: skip
def test_periods(text: str | None, cutoff: dt.date, period: tuple[dt.date, dt.date]) -> None:
    assert parse_period(text, cutoff) == period


@pytest.mark.parametrize(
    "text", ["2026-13", "december", "2026-12-31..2026-12-01", "2026-02-30..2026-03-01"]
)
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_period(text, dt.date(2026, 11, 1))
    assert refused.value.field == "period" and repr(text) in str(refused.value)


def test_the_funnel_a_target_needs_follows_the_sellers_own_rates(
    eight_a_day: TargetForecast,
) -> None:
    forecast = eight_a_day
    funnel = Funnel(dt.date(2026, 7, 9), dt.date(2026, 10, 1), content=40, gmv=8e6, creators=12,
                    contacts=200, agreements=10)  # fmt: skip
    steps = {s.stage: s for s in funnel_needs(TargetForecast(**{**forecast.__dict__,
             "funnel": funnel}), 4e6)}  # fmt: skip
    assert steps["Content posted"].needed == pytest.approx(20)  # 200,000 per content
    assert steps["Agreements"].needed == pytest.approx(5)  # 4 contents per agreement
    assert steps["Contacts"].needed == pytest.approx(100)  # 1 agreement per 20 contacts
    assert steps["Contacts"].at_recent_pace == pytest.approx(200 * 30 / 84)
    assert steps["Creator GMV"].needed == 4e6
    no_pipeline = Funnel(dt.date(2026, 7, 9), dt.date(2026, 10, 1), 40, 8e6, creators=16)
    steps = {s.stage: s for s in funnel_needs(TargetForecast(**{**forecast.__dict__,
             "funnel": no_pipeline}), 4e6)}  # fmt: skip
    assert steps["Creators active"].needed == pytest.approx(8)
    assert steps["Contacts"].needed is None


def test_series_arithmetic_and_rounding() -> None:
    a, b = synthetic(1.0, seed=9), synthetic(2.0, seed=10)
    both = a.plus(b)
    assert both.total(START, END) == pytest.approx(
        (a.total(START, END)[0] + b.total(START, END)[0], a.total(START, END)[1]
         + b.total(START, END)[1]))  # fmt: skip
    cut = both.until(dt.date(2026, 1, 1))
    assert len(cut.gmv) == 61 and cut.value_day.max() < 61
    assert float(cut.value.sum()) == pytest.approx(float(cut.gmv.sum()))
    assert round_down(152_345_678) == 152_000_000 and round_down(999) == 999
    assert round_down(0) == 0.0
