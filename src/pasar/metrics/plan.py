"""From metric definitions to the aggregations ("leaves") that compute them.

Every metric resolves to an expression over leaves: a leaf is one aggregation of one dataset
over one span of days (``late_dispatched_orders`` counted over 7 days). Ratios divide two
leaves, derived metrics combine metric expressions, minimum volumes wrap a value in a CASE.
Leaves with the same dataset and time column are computed together in one scan.

Example:
    >>> from pasar.metrics.catalog import load_catalog
    >>> plan = Plan(load_catalog())
    >>> value = plan.value("late_dispatch_rate_7d")
    >>> sorted(leaf.column for leaf in plan.leaves)
    ['dispatch_due_orders__7d', 'late_dispatched_orders__7d']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlglot import exp

from pasar.metrics.catalog import Catalog
from pasar.metrics.expressions import parse_expression
from pasar.metrics.spec import AS_OF_TIME, Grain, Metric

DECOMPOSABLE = ("count", "sum", "min", "max", "avg")
ZERO_WHEN_EMPTY = ("count", "count_distinct", "sum")


@dataclass(frozen=True)
class Span:
    """The days a leaf aggregates, relative to the as-of date.

    ``days``: the trailing N days; ``to_date``: since the start of the week/month/… holding the
    as-of date; ``period``: the period the query asks about (a bucket, or from–to); neither:
    all history up to the as-of date.
    """

    days: int | None = None
    to_date: Grain | None = None
    period: bool = False

    def start(self, as_of: dt.date, period_start: dt.date | None = None) -> dt.date | None:
        """The first local day covered when the as-of date is ``as_of``."""
        if self.days is not None:
            return as_of - dt.timedelta(days=self.days - 1)
        if self.to_date is not None:
            return grain_start(as_of, self.to_date)
        if self.period:
            return period_start
        return None

    @property
    def label(self) -> str:
        if self.days is not None:
            return f"{self.days}d"
        if self.to_date is not None:
            return f"{self.to_date}td"
        return "period" if self.period else "all"


ALL_HISTORY = Span()
PERIOD = Span(period=True)


def grain_start(day: dt.date, grain: Grain) -> dt.date:
    """The first day of the ``grain`` holding ``day`` (weeks start on Monday)."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


@dataclass(frozen=True)
class Leaf:
    """One aggregation of one dataset over one span."""

    name: str  # the metric it comes from (plus "#rows" for a minimum-volume count)
    dataset: str
    time: str
    agg: str
    expr: exp.Expr | None
    filter: exp.Expr | None
    percentile: float | None
    span: Span

    @property
    def column(self) -> str:
        return f"{self.name.replace('#', '__')}__{self.span.label}"

    @property
    def decomposable(self) -> bool:
        """Whether daily partial results can be combined into any window."""
        reads_as_of = any(
            c.name == AS_OF_TIME
            for part in (self.expr, self.filter)
            if part is not None
            for c in part.find_all(exp.Column)
        )
        return self.agg in DECOMPOSABLE and not reads_as_of

    def columns_read(self) -> set[str]:
        names = {self.time}
        for part in (self.expr, self.filter):
            if part is not None:
                names |= {c.name for c in part.find_all(exp.Column)}
        return names - {AS_OF_TIME}


@dataclass
class Plan:
    """Metric expressions over leaves, for one catalog. Collects the leaves it needs."""

    catalog: Catalog
    leaves: dict[str, Leaf] = field(default_factory=dict)

    def value(self, name: str, inherited: Span | None = None) -> exp.Expr:
        """The expression of metric ``name`` over leaf columns (``Column(leaf.column)``).

        ``inherited`` is the span passed down by a ratio or derived metric (or the query's
        period for windowless metrics).
        """
        metric = self.catalog.metric(name)
        span = self.span_of(metric, inherited)
        if metric.type in ("simple", "cumulative"):
            leaf = self._leaf(metric, span)
            column: exp.Expr = exp.column(leaf.column)
            if metric.agg in ZERO_WHEN_EMPTY:
                column = exp.Coalesce(this=column, expressions=[exp.Literal.number(0)])
            volume = self._volume(metric, span, default=lambda: self._rows(metric, span))
            return _at_least(column, volume, metric)
        if metric.type == "ratio":
            numerator = self.value(str(metric.numerator), span)
            denominator = self.value(str(metric.denominator), span)
            ratio = exp.Div(
                this=exp.cast(numerator, "DOUBLE"),
                expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0)),
            )
            volume = self._volume(metric, span, default=lambda: denominator)
            return _at_least(ratio, volume, metric)
        tree = parse_expression(str(metric.expr), self.catalog.metrics, what="expr")
        # parts as DOUBLE: a formula over money must not take each engine's decimal rules
        values = {ref: exp.cast(self.value(ref, span), "DOUBLE") for ref in _refs(tree)}
        derived = tree.transform(
            lambda n: values[n.name].copy() if isinstance(n, exp.Column) else n
        )
        return _at_least(derived, self._volume(metric, span, default=None), metric)

    def span_of(self, metric: Metric, inherited: Span | None) -> Span:
        if metric.type == "cumulative":
            return Span(to_date=metric.grain_to_date) if metric.grain_to_date else ALL_HISTORY
        if metric.window_days is not None:
            return Span(days=metric.window_days.days)
        return inherited if inherited is not None else PERIOD

    def _leaf(self, metric: Metric, span: Span) -> Leaf:
        columns = set(self.catalog.columns(str(metric.dataset))) | {AS_OF_TIME}
        leaf = Leaf(
            name=metric.name,
            dataset=str(metric.dataset),
            time=metric.time or self.catalog.datasets[str(metric.dataset)].time,
            agg=str(metric.agg),
            expr=parse_expression(metric.expr, columns, what="expr") if metric.expr else None,
            filter=parse_expression(metric.filter, columns, what="filter")
            if metric.filter
            else None,
            percentile=0.5 if metric.agg == "median" else metric.percentile,
            span=span,
        )
        self.leaves.setdefault(leaf.column, leaf)
        return leaf

    def _rows(self, metric: Metric, span: Span) -> exp.Expr:
        """How many rows a simple metric aggregated (its default minimum-volume count)."""
        base = self._leaf(metric, span)
        leaf = Leaf(
            f"{metric.name}#rows", base.dataset, base.time, "count", None, base.filter, None, span
        )
        self.leaves.setdefault(leaf.column, leaf)
        return exp.Coalesce(this=exp.column(leaf.column), expressions=[exp.Literal.number(0)])

    def _volume(self, metric: Metric, span: Span, default: object) -> exp.Expr | None:
        if metric.min_volume is None:
            return None
        volume = metric.min_volume.metric
        if volume is not None:
            return self.value(volume, span)
        return default() if callable(default) else None


def _refs(tree: exp.Expr) -> list[str]:
    return sorted({c.name for c in tree.find_all(exp.Column)})


def _at_least(value: exp.Expr, volume: exp.Expr | None, metric: Metric) -> exp.Expr:
    if volume is None or metric.min_volume is None:
        return value
    threshold = exp.Literal.number(metric.min_volume.at_least)
    return exp.Case(
        ifs=[exp.If(this=exp.GTE(this=volume.copy(), expression=threshold), true=value)]
    )
