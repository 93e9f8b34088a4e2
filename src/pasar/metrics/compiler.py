"""Metrics to SQL, built as a SQLGlot tree and written in the engine's dialect.

One query computes any set of metrics grouped by an entity (a snapshot) or by dimensions (a
query), as of one date or for a series of periods. Leaves that share a dataset and time column
are computed in one scan with ``FILTER`` clauses, one per window; the groups are then joined on
their keys and the metric expressions evaluated over them.

Example:
    >>> import datetime as dt
    >>> from pasar.metrics.catalog import load_catalog
    >>> c = Compiler(load_catalog(), "duckdb", "Asia/Jakarta")
    >>> sql = c.snapshot("seller", dt.date(2026, 10, 31), ["orders_7d"]).sql("duckdb")
    >>> "GROUP BY" in sql and "2026-10-30 17:00:00+00:00" in sql
    True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlglot import exp

from pasar.kit.errors import ValidationError
from pasar.kit.issues import did_you_mean
from pasar.metrics.catalog import Catalog
from pasar.metrics.dialects import Dialect, dialect_for
from pasar.metrics.expressions import ExpressionError, parse_expression, render
from pasar.metrics.plan import ALL_HISTORY, Leaf, Plan, Span, grain_start
from pasar.metrics.spec import AS_OF_TIME, Dataset, Grain, Join
from pasar.warehouse.contract import CONTRACT

FRAME = "__f"  # alias of the periods table of a series query
_DAWN = dt.date(1900, 1, 1)  # before any data: the start of "all history"


@dataclass(frozen=True)
class Period:
    """One row of a result over time: values as of ``as_of``; windowless metrics count the days
    from ``start`` (``None``: all history) to ``as_of``. ``label`` names it in the output."""

    label: dt.date
    start: dt.date | None
    as_of: dt.date


def periods(start: dt.date, end: dt.date, grain: Grain) -> list[Period]:
    """The buckets of ``grain`` from ``start`` to ``end`` (both included), each labelled by its
    first day and computed as of its last day (or ``end`` for the last, unfinished one)."""
    if end < start:
        raise ValidationError(f"--to {end} is before --from {start}")
    found: list[Period] = []
    day = grain_start(start, grain)
    while day <= end:
        nxt = _next(day, grain)
        found.append(Period(day, max(day, start), min(nxt - dt.timedelta(days=1), end)))
        day = nxt
    return found


def _next(day: dt.date, grain: Grain) -> dt.date:
    if grain == "day":
        return day + dt.timedelta(days=1)
    if grain == "week":
        return day + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


@dataclass(frozen=True)
class _Group:
    """Leaves computed in one scan: same dataset, same time column."""

    dataset: Dataset
    time: str
    bounded: bool  # every leaf has a first day (the scan can skip older rows)
    leaves: tuple[Leaf, ...]
    daily: str | None = None  # a relation holding the leaves' windows (else: the rows)

    @property
    def alias(self) -> str:
        suffix = "" if self.bounded else "_all"
        return f"g_{self.dataset.name}_{self.time}{suffix}"


class Compiler:
    """Builds metric SQL for one catalog, engine dialect and marketplace time zone."""

    def __init__(self, catalog: Catalog, dialect: str | Dialect, zone: str) -> None:
        self.catalog = catalog
        self.dialect = dialect if isinstance(dialect, Dialect) else dialect_for(dialect, zone)
        self.zone = ZoneInfo(zone)

    # -- public -------------------------------------------------------------------------------

    def snapshot(
        self,
        entity: str,
        as_of: dt.date,
        metrics: Sequence[str] | None = None,
        daily: Mapping[tuple[str, str], str] | None = None,
    ) -> exp.Select:
        """Every metric of ``entity`` (or those named) as of the end of local day ``as_of``:
        one row per subject, with the key, ``as_of`` and one column per metric.

        ``daily`` maps (dataset, time column) to the name of a relation (a table, or an Arrow
        table registered with the connection) holding the group's leaves with a window of days
        as of ``as_of``, one row per subject keyed ``__k0`` — rollable ones as
        :meth:`combine_days` gives them, the others as :meth:`window_rows` does: they are read
        from it instead of scanning the dataset's rows. Groups mapped to the same relation are
        read from it once, not joined with each other.
        """
        spec = self.catalog.entity(entity)
        names = (
            list(metrics) if metrics else [m.name for m in self.catalog.snapshot_metrics(entity)]
        )
        for name in names:
            if entity not in self.catalog.metric(name).entities:
                raise ValidationError(f"metric {name} is not defined for {entity}")
        keys = [spec.key] if spec.key else []
        period = Period(as_of, None, as_of)
        subjects = None
        if spec.table and spec.key:  # every subject, those without any rows too
            subjects = (
                exp.select(exp.column(spec.key).as_("__k0"))
                .distinct()
                .from_(spec.table)
                .where(exp.column(spec.key).is_(exp.null()).not_())
            )
        select = self._select(
            names, keys, lambda ds: _entity_key(ds, entity), [period], None, subjects, daily
        )
        columns = (
            [exp.column("__k0").as_(spec.key)]
            if spec.key
            else [exp.Literal.string("all").as_("marketplace")]
        )
        columns.append(self.dialect.date(as_of).as_("as_of"))
        columns += [exp.column(n) for n in names]
        result = exp.select(*columns).from_(select.subquery("s"))
        return result.order_by(exp.column(spec.key)) if spec.key else result

    def query(
        self,
        metrics: Sequence[str],
        by: Sequence[str] = (),
        *,
        as_of: dt.date | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        grain: Grain | None = None,
        where: str | None = None,
    ) -> exp.Select:
        """Metrics grouped by dimensions (or entity keys), as of a date, over a range, or per
        period of ``grain`` in a range. Windowed metrics are their value as of the period's last
        day; windowless ones aggregate the period's days."""
        if not metrics:
            raise ValidationError("name at least one metric")
        for name in metrics:
            self.catalog.metric(name)
        if grain is not None:
            if start is None or end is None:
                raise ValidationError("--grain needs --from and --to")
            frames = periods(start, end, grain)
        elif start is not None or end is not None:
            if start is None or end is None:
                raise ValidationError("give both --from and --to (or --as-of)")
            if end < start:
                raise ValidationError(f"--to {end} is before --from {start}")
            frames = [Period(start, start, end)]
        else:
            if as_of is None:
                raise ValidationError("give --as-of, or --from and --to")
            frames = [Period(as_of, None, as_of)]
        names = list(by)
        select = self._select(
            list(metrics), names, lambda ds: self._dimensions(ds, by), frames, where
        )
        columns: list[exp.Expr] = []
        if grain is not None:
            columns.append(exp.column("__period").as_("period"))
        columns += [exp.column(f"__k{i}").as_(n) for i, n in enumerate(names)]
        columns += [exp.column(m) for m in metrics]
        order = (["__period"] if grain is not None else []) + [f"__k{i}" for i in range(len(names))]
        inner = select.subquery("s")
        result = exp.select(*columns).from_(inner)
        return result.order_by(*[exp.column(o, table="s") for o in order]) if order else result

    def daily_partials(
        self, entity: str, leaves: Sequence[Leaf], first: dt.date, last: dt.date
    ) -> exp.Select:
        """Per subject of ``entity`` and local day from ``first`` to ``last``: the partial
        aggregates of ``leaves`` (one dataset and time column, all :func:`rollable`), which
        :meth:`snapshot` combines into any window."""
        groups = self._groups(list(leaves))
        if len(groups) != 1 or not all(rollable(leaf) for leaf in leaves):
            raise ValidationError("daily partials are of rollable leaves of one dataset and time")
        group = groups[0]
        key = _entity_key(group.dataset, entity)
        time = exp.column(group.time)
        window = exp.and_(
            exp.GTE(this=time, expression=self._midnight(first)),
            exp.LT(this=time, expression=self._day_end(last)),
            *[k.copy().is_(exp.null()).not_() for k in key],
        )
        parts = {}
        for leaf in leaves:
            condition = render(leaf.filter, self.dialect) if leaf.filter is not None else None
            for column, aggregate in _partials(leaf, self.dialect):
                parts[column] = _filtered(aggregate, condition).as_(column)
        keys = [f"__k{i}" for i in range(len(key))]
        return (
            exp.select(
                *[k.as_(name) for k, name in zip(key, keys, strict=True)],
                self.dialect.local_date(time).as_("day"),
                *parts.values(),
            )
            .from_(
                self._relation(
                    group, None, key, (self._midnight(first), self._day_end(last))
                ).subquery("r")
            )
            .where(window)
            .group_by(*[exp.column(k) for k in keys], exp.column("day"))
        )

    # -- building blocks ----------------------------------------------------------------------

    def _select(
        self,
        metrics: list[str],
        key_names: list[str],
        keys_of: object,
        frames: list[Period],
        where: str | None,
        subjects: exp.Select | None = None,
        daily: Mapping[tuple[str, str], str] | None = None,
    ) -> exp.Select:
        plan = Plan(self.catalog)
        values = {name: plan.value(name) for name in metrics}
        groups = self._groups(list(plan.leaves.values()), daily)
        series = len(frames) > 1
        join_keys = [f"__k{i}" for i in range(len(key_names))] + (["__period"] if series else [])
        ctes: list[tuple[str, exp.Select]] = []
        windows: dict[str, list[_Group]] = {}  # relation -> the groups read from it
        for group in groups:
            if group.daily is not None:
                windows.setdefault(group.daily, []).append(group)
            else:
                key_exprs = keys_of(group.dataset)  # type: ignore[operator]
                ctes.append((group.alias, self._group_select(group, key_exprs, frames, where)))
        for index, (relation, members) in enumerate(windows.items()):
            ctes.append((f"g_daily_{index}", _read_window(relation, members, len(key_names))))
        select = self._join_groups([alias for alias, _ in ctes], join_keys, subjects, series)
        select = select.select(*[v.as_(n) for n, v in values.items()], append=True)
        if series:  # before the groups that join it
            select = select.with_(FRAME, as_=self._frames_table(frames, plan))
        for alias, cte in ctes:
            select = select.with_(alias, as_=cte)
        return select

    def _join_groups(
        self, aliases: list[str], keys: list[str], subjects: exp.Select | None, series: bool
    ) -> exp.Select:
        """The groups side by side, one row per subject (and per period in a series: every
        period of every subject seen, zero when it had no rows)."""
        if not keys:  # one row per group (the marketplace, no period): a cross join
            select = exp.select().from_(aliases[0])
            for alias in aliases[1:]:
                select = select.join(alias, join_type="cross")
            return select
        subject_keys = [k for k in keys if k != "__period"]
        if subjects is None and subject_keys:  # the subjects seen in any group
            union: exp.Expr = exp.select(*subject_keys).distinct().from_(aliases[0])
            for alias in aliases[1:]:
                union = exp.union(union, exp.select(*subject_keys).from_(alias), distinct=True)
            subjects = exp.select("*").from_(_aliased(union, "u"))
        if series:
            periods = exp.select(exp.column("period").as_("__period")).from_(FRAME)
            if subjects is None:
                subjects = periods
            else:
                subjects = exp.select("*").from_(subjects.subquery("s0"))
                subjects = subjects.join(periods.subquery("p0"), join_type="cross")
        assert subjects is not None
        select = exp.select(*[exp.column(k, table="__subjects") for k in keys]).from_(
            subjects.subquery("__subjects")
        )
        for alias in aliases:
            using: list[int | str | exp.Expr] = [exp.to_identifier(k) for k in keys]
            select = select.join(alias, using=using, join_type="left")
        return select

    def _groups(
        self, leaves: list[Leaf], daily: Mapping[tuple[str, str], str] | None = None
    ) -> list[_Group]:
        """Leaves computed together: same dataset and time column, and the same source (all
        history, a bounded scan, or daily partials)."""
        grouped: dict[tuple[str, str, bool, bool], list[Leaf]] = {}
        for leaf in leaves:
            bounded = leaf.span != ALL_HISTORY and leaf.span.to_date is None
            from_daily = daily is not None and (leaf.dataset, leaf.time) in daily
            grouped.setdefault(
                (leaf.dataset, leaf.time, bounded, from_daily and leaf.span.days is not None), []
            ).append(leaf)
        return [
            _Group(
                self.catalog.datasets[ds],
                time,
                bounded,
                tuple(sorted(items, key=lambda x: x.column)),
                daily[(ds, time)] if daily is not None and rolled else None,
            )
            for (ds, time, bounded, rolled), items in sorted(grouped.items())
        ]

    def combine_days(
        self,
        leaves: Sequence[Leaf],
        keys: int,
        files: Sequence[str],
        as_of: dt.date,
        days: str | None = None,
    ) -> exp.Select:
        """The windows of rollable ``leaves`` as of ``as_of`` (a column per
        :func:`window_parts`), from the daily partial files of every day of their windows
        (subjects keyed ``__k0``…); ``days`` names a column counting the days a subject has
        partials for."""
        day = exp.column("day")
        starts = {leaf: as_of - dt.timedelta(days=int(leaf.span.days or 1) - 1) for leaf in leaves}
        lower = min(starts.values())
        parts = []
        for leaf in leaves:
            condition = None
            if starts[leaf] != lower:
                condition = exp.GTE(this=day.copy(), expression=self.dialect.date(starts[leaf]))
            for column, partial, combine in window_parts(leaf):
                parts.append(_filtered(combine(this=exp.column(partial)), condition).as_(column))
        if days is not None:
            parts.append(exp.Count(this=exp.Star()).as_(days))
        names = [exp.column(f"__k{i}") for i in range(keys)]
        select = (
            exp.select(*names, *parts)
            .from_(_parquet(files))
            .where(
                exp.GTE(this=day.copy(), expression=self.dialect.date(lower)),
                exp.LTE(this=day.copy(), expression=self.dialect.date(as_of)),
            )
        )
        return select.group_by(*[n.copy() for n in names]) if names else select

    def window_rows(self, entity: str, leaves: Sequence[Leaf], as_of: dt.date) -> exp.Select:
        """Per subject of ``entity`` (keyed ``__k0``): ``leaves`` (with windows of days, of one
        dataset and time column) as of ``as_of``, computed from the rows as :meth:`snapshot`
        computes them."""
        groups = self._groups(list(leaves))
        if len(groups) != 1 or any(leaf.span.days is None for leaf in leaves):
            raise ValidationError("window rows are leaves with windows of one dataset and time")
        group = groups[0]
        keys = _entity_key(group.dataset, entity)
        return self._group_select(group, keys, [Period(as_of, None, as_of)], None)

    def rows(
        self, metric: str, entity: str, subject: str, as_of: dt.date, limit: int = 50
    ) -> exp.Select:
        """The rows behind ``metric`` for one subject as of ``as_of`` — for a ratio, the rows
        its numerator counts (the late orders of a late dispatch rate): the key columns of
        the dataset's table and its time, newest first, at most ``limit``.

        Example: ``Compiler(catalog, "duckdb", zone).rows("late_dispatch_rate_7d", "seller",
        "S000062", day)`` selects the order ids that made the seller's rate.
        """
        spec = self.catalog.metric(metric)
        if entity not in spec.entities:
            raise ValidationError(f"metric {metric} is not defined for {entity}")
        counted = str(spec.numerator) if spec.type == "ratio" else metric
        plan = Plan(self.catalog)
        plan.value(metric)
        leaves = [leaf for leaf in plan.leaves.values() if leaf.name == counted]
        if not leaves:
            raise ValidationError(f"{metric} is not counted from rows (derived or cumulative)")
        leaf = leaves[0]
        dataset = self.catalog.datasets[leaf.dataset]
        keys = _entity_key(dataset, entity)
        if not keys:
            raise ValidationError(f"{entity} has no key in dataset {dataset.name}")
        group = _Group(dataset, leaf.time, True, (leaf,))
        start = self._start(leaf.span, [Period(as_of, None, as_of)])
        end = self._day_end(as_of)
        time = exp.column(leaf.time)
        conditions: list[exp.Expr] = [
            exp.LT(this=time, expression=end),
            keys[0].copy().eq(exp.Literal.string(subject)),
        ]
        if start is not None:
            conditions.append(exp.GTE(this=time.copy(), expression=start))
        if leaf.filter is not None:
            conditions.append(
                exp.Paren(this=render(leaf.filter, self.dialect, {AS_OF_TIME: end.copy()}))
            )
        shown = [*CONTRACT[dataset.table].key, leaf.time]
        source = self._relation(group, None, keys, (start, end)).subquery("r")
        return (
            exp.select(*[exp.column(c) for c in dict.fromkeys(shown)])
            .from_(source)
            .where(exp.and_(*conditions))
            .order_by(exp.Ordered(this=time.copy(), desc=True))
            .limit(limit)
        )

    def _group_select(
        self,
        group: _Group,
        keys: tuple[exp.Expr, ...],
        frames: list[Period],
        where: str | None,
    ) -> exp.Select:
        series = len(frames) > 1
        time = exp.column(group.time)
        end = exp.column("end_ts", table=FRAME) if series else self._day_end(frames[0].as_of)
        starts = {leaf.span: self._start(leaf.span, frames) for leaf in group.leaves}
        lower = None if any(s is None for s in starts.values()) else _earliest(starts, series)
        window = None if series else (lower, end)
        source = self._relation(group, where, keys, window).subquery("r")
        conditions: list[exp.Expr] = [exp.LT(this=time, expression=end)]
        if lower is not None:
            conditions.append(exp.GTE(this=time, expression=lower))
        as_of_time = end
        parts = []
        for leaf in group.leaves:
            leaf_start = starts[leaf.span]
            checks: list[exp.Expr] = []
            if leaf_start is not None and (series or leaf_start != lower):
                checks.append(exp.GTE(this=time.copy(), expression=leaf_start.copy()))
            if leaf.filter is not None:
                checks.append(
                    exp.Paren(this=render(leaf.filter, self.dialect, {AS_OF_TIME: as_of_time}))
                )
            aggregate = _aggregate(leaf, self.dialect, as_of_time)
            condition = exp.and_(*checks) if checks else None
            parts.append(_filtered(aggregate, condition).as_(leaf.column))
        key_columns = [k.as_(f"__k{i}") for i, k in enumerate(keys)]
        select = exp.select(*key_columns, *parts)
        if series:
            select = select.select(exp.column("period", table=FRAME).as_("__period"), append=True)
            on = exp.and_(*conditions)
            select = select.from_(source).join(exp.to_table(FRAME), on=on, join_type="inner")
        else:
            select = select.from_(source).where(exp.and_(*conditions))
        group_by = [exp.column(f"__k{i}") for i in range(len(keys))]
        if series:
            group_by.append(exp.column("__period"))
        if keys:
            select = select.where(*[k.copy().is_(exp.null()).not_() for k in keys])
        return select.group_by(*group_by) if group_by else select

    def _start(self, span: Span, frames: list[Period]) -> exp.Expr | None:
        """The first instant ``span`` covers: a literal for one period, the periods table's
        column in a series; ``None`` when it covers all history."""
        if len(frames) > 1:
            if span == ALL_HISTORY:
                return None
            return exp.column(f"s_{span.label}", table=FRAME)
        day = span.start(frames[0].as_of, frames[0].start)
        return None if day is None else self._midnight(day)

    def _day_end(self, day: dt.date) -> exp.Expr:
        return self._midnight(day + dt.timedelta(days=1))

    def _relation(
        self,
        group: _Group,
        where: str | None,
        extra: Sequence[exp.Expr] = (),
        window: tuple[exp.Expr | None, exp.Expr] | None = None,
    ) -> exp.Select:
        """The dataset's rows with the joined columns the group needs.

        With a ``window`` (first and end instants of the group's time column), only rows in
        it are read, and joined tables are aggregated for those rows alone.
        """
        dataset = group.dataset
        needed = {group.time}
        for leaf in group.leaves:
            needed |= leaf.columns_read()
        for expression in extra:
            needed |= {c.name for c in expression.find_all(exp.Column)}
        condition = None
        if where:
            columns = self.catalog.columns(dataset.name)
            dims = {d.name: d for d in dataset.dimensions}
            try:
                tree = parse_expression(where, {*columns, *dims}, what="--where")
            except ExpressionError as exc:
                raise ValidationError(f"{exc} (dataset {dataset.name})", field="where") from exc
            condition = render(
                tree,
                self.dialect,
                {n: parse_expression(d.sql, columns) for n, d in dims.items() if d.expr},
            )
            needed |= {c.name for c in condition.find_all(exp.Column)}
        own_time = group.time in CONTRACT[dataset.table].column_names
        in_window = None
        base: exp.Expr = exp.to_table(dataset.table).as_("t")
        rows: exp.Select | None = None  # the dataset's rows in the window, read once
        rows_name = f"__rows_{group.alias}"  # unique in a query: Spark hoists every CTE
        restricted = any(n in needed for j in dataset.joins for n in j.columns)
        if window is not None and own_time:
            in_window = _between(exp.column(group.time), *window)
            rows = exp.select("*").from_(dataset.table).where(in_window)
            if restricted:  # joined tables read the keys of these rows: a CTE, read once
                base = exp.to_table(rows_name).as_("t")
            else:
                base, rows = rows.subquery("t"), None
        elif window is not None:  # a lookup brings the time: only rows whose parent is in it
            lookup = next(j for j in dataset.joins if group.time in j.columns)
            parents = (
                exp.select(*lookup.key)
                .from_(lookup.table)
                .where(_between(exp.column(lookup.columns[group.time].strip()), *window))
            )
            base = (
                exp.select("*")
                .from_(dataset.table)
                .where(_keys_in(lookup.key, parents))
                .subquery("t")
            )
        select = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("t")))
        select = select.from_(base)
        for index, join in enumerate(dataset.joins):
            wanted = [n for n in join.columns if n in needed]
            if not wanted:
                continue
            restrict: exp.Expr | None = None
            if in_window is not None:  # only the keys of the rows in the window
                restrict = _keys_in(join.key, exp.select(*join.key).from_(rows_name))
            elif window is not None and group.time in wanted:  # the join brings the time
                restrict = _between(exp.column(join.columns[group.time].strip()), *window)
            select = self._join(select, join, wanted, f"j{index}", restrict)
        if rows is not None:
            materialized = True if self.dialect.name == "duckdb" else None  # Spark: no keyword
            select = select.with_(rows_name, as_=rows, materialized=materialized)
        if condition is not None:
            select = exp.select("*").from_(select.subquery("w")).where(condition)
        return select

    def _join(
        self,
        select: exp.Select,
        join: Join,
        wanted: list[str],
        alias: str,
        restrict: exp.Expr | None = None,
    ) -> exp.Select:
        """``select`` with the ``wanted`` columns of ``join``: one row per key, never more
        (reading only the joined rows that satisfy ``restrict``)."""
        table_columns = CONTRACT[join.table].column_names
        trees = {
            n: parse_expression(join.columns[n], table_columns, aggregates=True) for n in wanted
        }
        keys = [exp.column(k) for k in join.key]
        inner = exp.select(*keys, *[render(t, self.dialect).as_(n) for n, t in trees.items()])
        inner = inner.from_(join.table)
        if restrict is not None:
            inner = inner.where(restrict)
        if any(t.find(exp.AggFunc) for t in trees.values()):
            inner = inner.group_by(*[k.copy() for k in keys])
        on = exp.and_(*[exp.column(k, table="t").eq(exp.column(k, table=alias)) for k in join.key])
        select = select.join(inner.subquery(alias), on=on, join_type="left")
        return select.select(*[exp.column(n, table=alias) for n in wanted], append=True)

    def _dimensions(self, dataset: Dataset, by: Sequence[str]) -> tuple[exp.Expr, ...]:
        columns = self.catalog.columns(dataset.name)
        dims = {d.name: d for d in dataset.dimensions}
        found: list[exp.Expr] = []
        for name in by:
            if name in dims:
                found.append(render(parse_expression(dims[name].sql, columns), self.dialect))
            elif name in dataset.entities:
                key = dataset.entities[name]
                if key is None:
                    raise ValidationError(
                        f"{name} is the whole marketplace: leave it out of --by", field="by"
                    )
                found.append(exp.column(key))
            elif name in columns:
                found.append(exp.column(name))
            else:
                hint = did_you_mean(name, [*dims, *dataset.entities, *columns])
                raise ValidationError(
                    f"dataset {dataset.name} has no dimension {name!r}{hint}",
                    field="by",
                )
        return tuple(found)

    def _frames_table(self, frames: list[Period], plan: Plan) -> exp.Select:
        spans = sorted({leaf.span for leaf in plan.leaves.values()}, key=lambda s: s.label)
        rows = []
        for frame in frames:
            values = [
                self.dialect.date(frame.label).as_("period"),
                self._day_end(frame.as_of).as_("end_ts"),
            ]
            firsts = [span.start(frame.as_of, frame.start) for span in spans]
            for span, first in zip(spans, firsts, strict=True):
                values.append(self._midnight(first or _DAWN).as_(f"s_{span.label}"))
            values.append(self._midnight(min(f or _DAWN for f in firsts)).as_("lower"))
            rows.append(exp.select(*values))
        union: exp.Expr = rows[0]
        for row in rows[1:]:
            union = exp.union(union, row, distinct=False)
        return exp.select("*").from_(
            exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("p")))
        )

    def _midnight(self, day: dt.date) -> exp.Expr:
        """The instant local ``day`` begins, as a literal."""
        return self.dialect.timestamp(dt.datetime.combine(day, dt.time(), tzinfo=self.zone))


def _entity_key(dataset: Dataset, entity: str) -> tuple[exp.Expr, ...]:
    if entity not in dataset.entities:
        raise ValidationError(f"dataset {dataset.name} cannot be grouped by {entity}")
    key = dataset.entities[entity]
    return (exp.column(key),) if key else ()


def _key_tuple(key: Sequence[str]) -> exp.Expr:
    """A key of one or more columns, as compared with ``IN (SELECT …)``."""
    if len(key) == 1:
        return exp.column(key[0])
    return exp.Tuple(expressions=[exp.column(k) for k in key])


def _keys_in(key: Sequence[str], parents: exp.Select) -> exp.Expr:
    """``key IN (parents)``; for a one-column key also between the parents' least and greatest
    key, which engines turn into a range that skips the Parquet row groups outside it (the
    ``IN`` alone makes DuckDB read every row group: 5× slower for a day of order lines)."""
    inside = _key_tuple(key).isin(query=parents)
    if len(key) != 1:
        return inside
    column = parents.selects[0]

    def bound(function: type[exp.AggFunc]) -> exp.Expr:
        extreme = parents.copy()
        extreme.set("expressions", [function(this=column.copy())])
        return exp.Subquery(this=extreme)

    ranged = exp.Between(this=exp.column(key[0]), low=bound(exp.Min), high=bound(exp.Max))
    return exp.and_(inside, ranged)


def _between(time: exp.Expr, first: exp.Expr | None, end: exp.Expr) -> exp.Expr:
    """``first <= time < end`` (no lower bound when ``first`` is None)."""
    upper = exp.LT(this=time, expression=end.copy())
    if first is None:
        return upper
    return exp.and_(exp.GTE(this=time.copy(), expression=first.copy()), upper)


def _aliased(query: exp.Expr, alias: str) -> exp.Subquery:
    return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _earliest(starts: dict[Span, exp.Expr | None], series: bool) -> exp.Expr | None:
    """The first instant any leaf of a group needs (each period has its own in a series)."""
    if series:
        return exp.column("lower", table=FRAME)
    literals = [s for s in starts.values() if s is not None]
    return min(literals, key=lambda e: e.sql()) if literals else None  # same ISO format


def _aggregate(leaf: Leaf, dialect: Dialect, as_of_time: exp.Expr) -> exp.Expr:
    value = render(leaf.expr, dialect, {AS_OF_TIME: as_of_time}) if leaf.expr is not None else None
    if leaf.agg == "count":
        return exp.Count(this=value if value is not None else exp.Star())
    assert value is not None
    if leaf.agg == "count_distinct":
        return dialect.count_distinct(value)
    if leaf.agg in ("median", "percentile"):
        return dialect.percentile(value, float(leaf.percentile or 0.5))
    cls = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[leaf.agg]
    if leaf.agg == "avg":
        return exp.Avg(this=dialect.double(value))
    return cls(this=value)


def rollable(leaf: Leaf) -> bool:
    """Whether a leaf can be combined from daily partials: a windowed count, sum, min, max
    or average that does not read the as-of time."""
    return leaf.decomposable and leaf.span.days is not None


def _partial_name(leaf: Leaf) -> str:
    return "p_" + leaf.name.replace("#", "__")


def _partials(leaf: Leaf, dialect: Dialect) -> list[tuple[str, exp.Expr]]:
    """The daily partial aggregates that combine into ``leaf`` over any window (named by the
    leaf's metric, not its window: the 7- and 30-day leaves share them)."""
    name = _partial_name(leaf)
    if leaf.agg == "avg":
        value = render(leaf.expr, dialect) if leaf.expr is not None else None
        assert value is not None
        return [
            (f"{name}__sum", exp.Sum(this=dialect.double(value))),
            (f"{name}__n", exp.Count(this=value.copy())),
        ]
    return [(name, _aggregate(leaf, dialect, exp.null()))]


def window_parts(leaf: Leaf) -> list[tuple[str, str, type[exp.AggFunc]]]:
    """(window column, daily partial column, how days combine) for a rollable leaf; an
    average keeps its sum and count, divided when read."""
    partial = _partial_name(leaf)
    if leaf.agg == "avg":
        return [
            (f"{leaf.column}__sum", f"{partial}__sum", exp.Sum),
            (f"{leaf.column}__n", f"{partial}__n", exp.Sum),
        ]
    combine: type[exp.AggFunc] = {"min": exp.Min, "max": exp.Max}.get(leaf.agg, exp.Sum)
    return [(leaf.column, partial, combine)]


def slidable(leaves: Sequence[Leaf]) -> bool:
    """Whether a window can move by a day by adding and subtracting days: counts and sums only
    (a minimum cannot be taken back)."""
    return all(leaf.agg in ("count", "sum", "avg") for leaf in leaves)


def _read_window(relation: str, groups: Sequence[_Group], keys: int) -> exp.Select:
    """The leaves of ``groups`` as stored in the window relation (an average from its sum
    and count)."""
    names = [exp.column(f"__k{i}") for i in range(keys)]
    values: list[exp.Expr] = []
    for leaf in (leaf for group in groups for leaf in group.leaves):
        if leaf.agg == "avg" and rollable(leaf):
            total, count = (exp.column(c) for c, _, _ in window_parts(leaf))
            ratio = exp.Div(
                this=total, expression=exp.Nullif(this=count, expression=exp.Literal.number(0))
            )
            values.append(ratio.as_(leaf.column))
        else:
            values.append(exp.column(leaf.column))
    return exp.select(*names, *values).from_(exp.to_table(relation))


def _parquet(files: Sequence[str]) -> exp.Table:
    paths = exp.Array(expressions=[exp.Literal.string(f) for f in files])
    return exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[paths]))


def _filtered(aggregate: exp.Expr, condition: exp.Expr | None) -> exp.Expr:
    if condition is None:
        return aggregate
    return exp.Filter(this=aggregate, expression=exp.Where(this=condition))
