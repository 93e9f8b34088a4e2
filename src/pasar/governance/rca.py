"""Root-cause analysis of a rate metric: which dimension values explain its level, and its
change against the previous period (mix versus rate effects).

For a ratio metric R = N / D over its window, each value v of a dimension has a share of the
denominator w = d / D and its own rate r = n / d, so R = Σ w·r.

* **Level**: a value's *excess* is n − d·R, the numerator it adds beyond what the average rate
  would give (late orders above par). A dimension's level share is Σ|excess| / 2N: the share of
  the numerator the dimension "moves around" (0: every value at the average rate).
* **Change** against the previous window (0 → 1): ΔR = Σ (w₁ − w₀)·r₀ + Σ w₁·(r₁ − r₀), the
  *mix* effect (more volume in worse segments) plus the *rate* effect (segments got worse).
  Each value's two effects add up exactly to its part of ΔR, and each dimension's effects to
  ΔR itself; dimensions are ranked by the largest change one of their values explains.

Example::

    result = root_causes("late_dispatch_rate_7d", day, settings, catalog, vs_previous=True)
    result.dimensions[0]     # DimensionScore("logistics_provider", level_share=0.12, …)
    result.segments[0]       # Segment(dimension="logistics_provider", value="J&T Express", …)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from pasar.config import Settings
from pasar.kit.errors import ValidationError
from pasar.metrics.catalog import Catalog
from pasar.metrics.query import QueryRequest, run_query
from pasar.metrics.spec import Window

# Dimensions that describe where an order went, not its outcome (an outcome would "explain"
# a defect rate trivially: cancelled orders explain cancellations).
PREFERRED = ("logistics_provider", "seller_category", "province", "channel", "is_mall")


@dataclass(frozen=True)
class Segment:
    """One value of one dimension, in the current window (1) and the previous one (0)."""

    dimension: str
    value: str
    numerator: float
    denominator: float
    rate: float | None
    share: float
    excess: float
    previous_numerator: float | None = None
    previous_denominator: float | None = None
    previous_rate: float | None = None
    mix: float | None = None
    rate_effect: float | None = None

    @property
    def change(self) -> float | None:
        """The segment's part of the change of the overall rate."""
        if self.mix is None or self.rate_effect is None:
            return None
        return self.mix + self.rate_effect


@dataclass(frozen=True)
class DimensionScore:
    """How much one dimension explains: the share of the numerator its values move away from
    the average rate, and (against the previous window) its mix and rate effects, which add
    up to the change of the rate, and the largest change one value explains."""

    name: str
    level_share: float
    mix: float | None = None
    rate_effect: float | None = None
    largest_change: float | None = None


@dataclass(frozen=True)
class RootCauses:
    """What explains ``metric`` as of ``as_of``."""

    metric: str
    as_of: dt.date
    window: int
    rate: float | None
    previous_rate: float | None
    dimensions: list[DimensionScore]
    segments: list[Segment]

    def table(self) -> pa.Table:
        """Every segment as rows (for CSV/XLSX)."""
        return pa.Table.from_pylist(
            [
                {
                    "dimension": s.dimension,
                    "value": s.value,
                    "numerator": s.numerator,
                    "denominator": s.denominator,
                    "rate": s.rate,
                    "share": s.share,
                    "excess": s.excess,
                    "previous_numerator": s.previous_numerator,
                    "previous_denominator": s.previous_denominator,
                    "previous_rate": s.previous_rate,
                    "mix_effect": s.mix,
                    "rate_effect": s.rate_effect,
                    "change": s.change,
                }
                for s in self.segments
            ]
        )


def root_causes(
    metric: str,
    as_of: dt.date,
    settings: Settings,
    catalog: Catalog,
    dimensions: Sequence[str] = (),
    vs_previous: bool = False,
) -> RootCauses:
    """Rank ``dimensions`` (default: where orders went) by how much they explain ``metric``."""
    spec = catalog.metric(metric)
    if spec.type != "ratio" or not spec.numerator or not spec.denominator or not spec.window:
        raise ValidationError(
            f"{metric} is not a windowed ratio: root causes need a numerator and a denominator",
            field="metric",
        )
    days = Window.parse(spec.window).days
    numerator = catalog.metric(spec.numerator)
    known = _dimensions(catalog, numerator.dataset or "")
    chosen = list(dimensions) or [d for d in PREFERRED if d in known]
    for name in chosen:
        if name not in known:
            raise ValidationError(
                f"{name} is not a dimension of {numerator.dataset} ({', '.join(sorted(known))})",
                field="by",
            )
    current = (as_of - dt.timedelta(days=days - 1), as_of)
    previous = (current[0] - dt.timedelta(days=days), current[0] - dt.timedelta(days=1))
    segments: list[Segment] = []
    scores: list[DimensionScore] = []
    totals = _totals(spec.numerator, spec.denominator, current, settings, catalog)
    before = _totals(spec.numerator, spec.denominator, previous, settings, catalog)
    rate = _ratio(*totals)
    previous_rate = _ratio(*before) if vs_previous else None
    for dimension in chosen:
        now = _by(spec.numerator, spec.denominator, dimension, current, settings, catalog)
        then = (
            _by(spec.numerator, spec.denominator, dimension, previous, settings, catalog)
            if vs_previous
            else {}
        )
        _add_unset(now, totals)
        if vs_previous:
            _add_unset(then, before)
        found = _segments(dimension, now, then, totals, before, vs_previous)
        segments += found
        scores.append(_score(dimension, found, totals[0], vs_previous))
    scores.sort(key=lambda d: -(abs(d.largest_change or 0) if vs_previous else d.level_share))
    order = {score.name: rank for rank, score in enumerate(scores)}

    def importance(s: Segment) -> float:
        return abs(s.change) if vs_previous and s.change is not None else abs(s.excess)

    segments.sort(key=lambda s: (order[s.dimension], -importance(s)))
    return RootCauses(metric, as_of, days, rate, previous_rate, scores, segments)


def _dimensions(catalog: Catalog, dataset: str) -> set[str]:
    return {d.name for d in catalog.datasets[dataset].dimensions} if dataset else set()


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


Counts = dict[str, tuple[float, float]]


def _by(
    numerator: str,
    denominator: str,
    dimension: str,
    period: tuple[dt.date, dt.date],
    settings: Settings,
    catalog: Catalog,
) -> Counts:
    request = QueryRequest([numerator, denominator], [dimension], start=period[0], end=period[1])
    rows = run_query(request, settings, catalog).table.to_pylist()
    return {
        str(row[dimension]): (float(row[numerator] or 0), float(row[denominator] or 0))
        for row in rows
    }


def _totals(
    numerator: str,
    denominator: str,
    period: tuple[dt.date, dt.date],
    settings: Settings,
    catalog: Catalog,
) -> tuple[float, float]:
    request = QueryRequest([numerator, denominator], start=period[0], end=period[1])
    rows = run_query(request, settings, catalog).table.to_pylist()
    if not rows:
        return 0.0, 0.0
    return float(rows[0][numerator] or 0), float(rows[0][denominator] or 0)


UNSET = "(not set)"


def _add_unset(counts: Counts, totals: tuple[float, float]) -> None:
    """Rows without a value of the dimension (queries group them out) as their own value, so
    that the segments add up to the totals."""
    numerator = totals[0] - sum(n for n, _ in counts.values())
    denominator = totals[1] - sum(d for _, d in counts.values())
    if denominator > 0 or numerator > 0:
        counts[UNSET] = (numerator, denominator)


def _segments(
    dimension: str,
    now: Counts,
    then: Counts,
    totals: tuple[float, float],
    before: tuple[float, float],
    vs_previous: bool,
) -> list[Segment]:
    total_n, total_d = totals
    rate = _ratio(total_n, total_d) or 0.0
    found = []
    for value in sorted(set(now) | (set(then) if vs_previous else set())):
        n1, d1 = now.get(value, (0.0, 0.0))
        w1 = d1 / total_d if total_d else 0.0
        r1 = _ratio(n1, d1)
        segment = Segment(dimension, value, n1, d1, r1, w1, n1 - d1 * rate)
        if vs_previous:
            n0, d0 = then.get(value, (0.0, 0.0))
            w0 = d0 / before[1] if before[1] else 0.0
            r0 = _ratio(n0, d0)
            # a segment absent from one window has no rate there: its whole part is mix
            if r0 is None:
                mix, rate_effect = w1 * (r1 or 0.0), 0.0
            elif r1 is None:
                mix, rate_effect = -w0 * r0, 0.0
            else:
                mix, rate_effect = (w1 - w0) * r0, w1 * (r1 - r0)
            segment = Segment(
                dimension, value, n1, d1, r1, w1, segment.excess, n0, d0, r0, mix, rate_effect
            )
        found.append(segment)
    return found


def _score(
    dimension: str, segments: list[Segment], numerator: float, vs_previous: bool
) -> DimensionScore:
    moved = sum(abs(s.excess) for s in segments) / (2 * numerator) if numerator else 0.0
    if not vs_previous:
        return DimensionScore(dimension, moved)
    return DimensionScore(
        dimension,
        moved,
        mix=sum(s.mix or 0.0 for s in segments),
        rate_effect=sum(s.rate_effect or 0.0 for s in segments),
        largest_change=max((s.change or 0.0 for s in segments), key=abs, default=0.0),
    )
