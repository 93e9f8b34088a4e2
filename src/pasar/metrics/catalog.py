"""The checked catalog: every definition cross-checked, every problem reported with file:line.

Example:
    >>> catalog = load_catalog()
    >>> catalog.metric("late_dispatch_rate_7d").unit
    'ratio'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from sqlglot import exp

from pasar.kit.errors import NotFoundError
from pasar.kit.issues import Issues, IssuesError, did_you_mean
from pasar.metrics.expressions import ExpressionError, columns_of, parse_expression
from pasar.metrics.loader import LoadedFiles, catalog_dirs, read_catalog_files
from pasar.metrics.spec import AS_OF_TIME, Dataset, Entity, Metric, Origin
from pasar.warehouse.contract import CONTRACT

_AGGREGATING = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)


@dataclass
class Catalog:
    """Entities, datasets and metrics by name, all checked against each other."""

    entities: dict[str, Entity]
    datasets: dict[str, Dataset]
    metrics: dict[str, Metric]
    sources: list[Path] = field(default_factory=list)

    def metric(self, name: str) -> Metric:
        """The metric called ``name``, or ``NotFoundError`` with the closest name."""
        if name not in self.metrics:
            raise NotFoundError(f"no metric {name!r}{did_you_mean(name, self.metrics)}")
        return self.metrics[name]

    def entity(self, name: str) -> Entity:
        if name not in self.entities:
            raise NotFoundError(f"no entity {name!r}{did_you_mean(name, self.entities)}")
        return self.entities[name]

    def columns(self, dataset: str) -> dict[str, str]:
        """Column name → contract type of a dataset's rows, joined columns included."""
        return self._columns[dataset]

    @cached_property
    def _columns(self) -> dict[str, dict[str, str]]:
        return {name: dataset_columns(ds) for name, ds in self.datasets.items()}

    def snapshot_metrics(self, entity: str) -> list[Metric]:
        """The metrics of ``entity`` that have a value as of a date: windowed or cumulative.

        Windowless simple, ratio and derived metrics are building blocks, used by other metrics
        and in period queries.
        """
        return [
            m
            for m in self.metrics.values()
            if entity in m.entities and (m.type == "cumulative" or self.has_window(m))
        ]

    def has_window(self, metric: Metric, seen: frozenset[str] = frozenset()) -> bool:
        if metric.window or metric.type == "cumulative":
            return True
        if metric.type == "ratio":
            return all(
                self.has_window(self.metrics[n], seen | {metric.name})
                for n in (metric.numerator, metric.denominator)
                if n and n in self.metrics and n not in seen
            )
        if metric.type == "derived":
            refs = self.references(metric)
            return bool(refs) and all(
                self.has_window(self.metrics[n], seen | {metric.name})
                for n in refs
                if n not in seen
            )
        return False

    def references(self, metric: Metric) -> list[str]:
        """The metrics a ratio or derived metric is built from."""
        if metric.type == "ratio":
            return [n for n in (metric.numerator, metric.denominator) if n]
        if metric.type == "derived" and metric.expr:
            tree = parse_expression(metric.expr, self.metrics, what="expr")
            return sorted(columns_of(tree))
        return []


def dataset_columns(dataset: Dataset) -> dict[str, str]:
    """The columns a dataset's expressions may use: its table's, then joined ones (a count is
    an int, an average a float, other aggregations keep their column's type)."""
    table = CONTRACT.get(dataset.table)
    columns: dict[str, str] = {c.name: str(c.type) for c in table.columns} if table else {}
    for join in dataset.joins:
        joined = CONTRACT.get(join.table)
        types: dict[str, str] = {c.name: str(c.type) for c in joined.columns} if joined else {}
        for name, text in join.columns.items():
            columns[name] = _joined_type(text, types)
    return columns


def _joined_type(text: str, types: dict[str, str]) -> str:
    try:
        tree = parse_expression(text, types, aggregates=True)
    except ExpressionError:
        return "string"  # reported when the join is checked
    if isinstance(tree, exp.Count):
        return "int"
    if isinstance(tree, exp.Avg):
        return "float"
    column = tree.find(exp.Column)
    return types.get(column.name, "float") if column is not None else "float"


def load_catalog(extra: str | Sequence[Path] = "") -> Catalog:
    """The shipped catalog plus the user's directories, checked; ``IssuesError`` lists every
    problem with its file and line."""
    dirs = catalog_dirs(extra)
    catalog, issues = check_catalog(read_catalog_files(dirs))
    if issues:
        raise IssuesError("the metric catalog has problems", issues)
    catalog.sources = dirs
    return catalog


def check_catalog(loaded: LoadedFiles) -> tuple[Catalog, Issues]:
    """Cross-check what was read; every problem found is in the returned issues."""
    issues = loaded.issues
    entities = _unique("entity", loaded.entities, issues)
    datasets = _unique("dataset", loaded.datasets, issues)
    metrics = _unique("metric", loaded.metrics, issues)
    for entity in entities.values():
        _check_entity(entity, issues)
    broken = {d.name for d in datasets.values() if not _check_dataset(d, entities, issues)}
    usable = {name: d for name, d in datasets.items() if name not in broken}
    catalog = Catalog(entities, usable, metrics)
    for metric in metrics.values():
        if metric.dataset in broken:
            continue  # its dataset's own problems are reported; more would only be noise
        _check_metric(metric, catalog, issues)
    _check_cycles(catalog, issues)
    return catalog, issues


def _where(spec: Entity | Dataset | Metric, key: str | None = None) -> tuple[str, int]:
    origin = spec.origin or Origin("?", 0)
    return origin.file, origin.line_of(key) if key else origin.line


_Spec = TypeVar("_Spec", Entity, Dataset, Metric)


def _unique(kind: str, specs: Iterable[_Spec], issues: Issues) -> dict[str, _Spec]:
    found: dict[str, _Spec] = {}
    for spec in specs:
        if spec.name in found:
            first = found[spec.name].origin
            issues.add(*_where(spec, "name"), f"{kind} {spec.name} is already defined at {first}")
            continue
        found[spec.name] = spec
    return found


def _check_entity(entity: Entity, issues: Issues) -> None:
    if entity.table is None:
        return
    table = CONTRACT.get(entity.table)
    if table is None:
        hint = did_you_mean(entity.table, CONTRACT)
        issues.add(
            *_where(entity, "table"), f"entity {entity.name}: no table {entity.table!r}{hint}"
        )
    elif entity.key not in table.column_names:
        hint = did_you_mean(entity.key or "", table.column_names)
        issues.add(
            *_where(entity, "key"),
            f"entity {entity.name}: {entity.table} has no column {entity.key!r}{hint}",
        )


def _check_dataset(dataset: Dataset, entities: dict[str, Entity], issues: Issues) -> bool:
    label = f"dataset {dataset.name}"
    table = CONTRACT.get(dataset.table)
    if table is None:
        hint = did_you_mean(dataset.table, CONTRACT)
        issues.add(*_where(dataset, "table"), f"{label}: no table {dataset.table!r}{hint}")
        return False
    ok = True
    for join in dataset.joins:
        ok &= _check_join(dataset, join.table, join.key, join.columns, issues)
    columns = dataset_columns(dataset)
    if columns.get(dataset.time) != "timestamp":
        times = [n for n, t in columns.items() if t == "timestamp"]
        issues.add(
            *_where(dataset, "time"),
            f"{label}: time {dataset.time!r} is not a time column of {dataset.table}"
            f"{did_you_mean(dataset.time, times)}",
        )
        ok = False
    for entity, key in dataset.entities.items():
        if entity not in entities:
            hint = did_you_mean(entity, entities)
            issues.add(*_where(dataset, "entities"), f"{label}: unknown entity {entity!r}{hint}")
            ok = False
        elif key is not None and key not in columns:
            hint = did_you_mean(key, columns)
            issues.add(
                *_where(dataset, "entities"),
                f"{label}: entity {entity} key {key!r} is not a column{hint}",
            )
            ok = False
        elif key is None and entities[entity].key is not None:
            issues.add(*_where(dataset, "entities"), f"{label}: entity {entity} needs a key column")
            ok = False
    for dimension in dataset.dimensions:
        try:
            parse_expression(dimension.sql, columns, what=f"dimension {dimension.name}")
        except ExpressionError as exc:
            issues.add(*_where(dataset, "dimensions"), f"{label}: {exc}")
            ok = False
    return ok


def _check_join(
    dataset: Dataset, table_name: str, on: list[str], columns: dict[str, str], issues: Issues
) -> bool:
    label = f"dataset {dataset.name}: join {table_name}"
    table = CONTRACT.get(table_name)
    if table is None:
        issues.add(
            *_where(dataset, "joins"), f"{label}: no such table{did_you_mean(table_name, CONTRACT)}"
        )
        return False
    own = CONTRACT[dataset.table].column_names
    ok = True
    for key in on:
        if key not in own or key not in table.column_names:
            issues.add(
                *_where(dataset, "joins"), f"{label}: {key!r} is not a column of both tables"
            )
            ok = False
    aggregated = []
    for name, text in columns.items():
        try:
            tree = parse_expression(
                text, table.column_names, aggregates=True, what=f"column {name}"
            )
        except ExpressionError as exc:
            issues.add(*_where(dataset, "joins"), f"{label}: {exc}")
            ok = False
            continue
        aggregated.append(any(isinstance(n, _AGGREGATING) for n in tree.walk()))
        if name in own:
            issues.add(
                *_where(dataset, "joins"), f"{label}: column {name} hides {dataset.table}.{name}"
            )
            ok = False
    if aggregated and not all(aggregated) and any(aggregated):
        issues.add(
            *_where(dataset, "joins"),
            f"{label}: columns must be all aggregations (one row per {', '.join(on)}) or all "
            "plain columns of a lookup",
        )
        ok = False
    elif aggregated and not any(aggregated) and tuple(on) != table.key:
        issues.add(
            *_where(dataset, "joins"),
            f"{label}: a lookup must join on {table_name}'s key ({', '.join(table.key)}) so that "
            "rows are not multiplied; aggregate the columns otherwise",
        )
        ok = False
    return ok


def _check_metric(metric: Metric, catalog: Catalog, issues: Issues) -> None:
    label = f"metric {metric.name}"
    for entity in metric.entities:
        if entity not in catalog.entities:
            hint = did_you_mean(entity, catalog.entities)
            issues.add(*_where(metric, "entity"), f"{label}: unknown entity {entity!r}{hint}")
    if metric.type in ("simple", "cumulative"):
        _check_aggregation(metric, catalog, issues)
    elif metric.type == "ratio":
        for part in ("numerator", "denominator"):
            _check_reference(metric, str(getattr(metric, part)), part, catalog, issues)
        _check_component_windows(metric, catalog, issues)
    else:
        try:
            refs = catalog.references(metric)
        except ExpressionError as exc:
            issues.add(*_where(metric, "expr"), f"{label}: {str(exc).replace('column', 'metric')}")
            refs = []
        for name in refs:
            _check_reference(metric, name, "expr", catalog, issues)
        _check_component_windows(metric, catalog, issues)
    volume = metric.min_volume
    if volume is not None and volume.metric is not None:
        _check_reference(metric, volume.metric, "min_volume", catalog, issues)
    if volume is not None and volume.metric is None and metric.type == "derived":
        issues.add(
            *_where(metric, "min_volume"),
            f"{label}: a derived metric's min_volume must name the metric it counts",
        )


def _check_aggregation(metric: Metric, catalog: Catalog, issues: Issues) -> None:
    label = f"metric {metric.name}"
    dataset = catalog.datasets.get(str(metric.dataset))
    if dataset is None:
        hint = did_you_mean(str(metric.dataset), catalog.datasets)
        issues.add(*_where(metric, "dataset"), f"{label}: unknown dataset {metric.dataset!r}{hint}")
        return
    columns = {**catalog.columns(dataset.name), AS_OF_TIME: "timestamp"}
    for entity in metric.entities:
        if entity in catalog.entities and entity not in dataset.entities:
            issues.add(
                *_where(metric, "entity"),
                f"{label}: dataset {dataset.name} cannot be grouped by {entity} "
                f"(it has {', '.join(dataset.entities)})",
            )
    if metric.time is not None and columns.get(metric.time) != "timestamp":
        times = [n for n, t in columns.items() if t == "timestamp"]
        issues.add(
            *_where(metric, "time"),
            f"{label}: time {metric.time!r} is not a time column of dataset {dataset.name}"
            f"{did_you_mean(metric.time, times)}",
        )
    for part in ("expr", "filter"):
        text = getattr(metric, part)
        if text is None:
            continue
        try:
            parse_expression(text, columns, what=part)
        except ExpressionError as exc:
            issues.add(*_where(metric, part), f"{label}: {exc}")


def _check_reference(
    metric: Metric, name: str, part: str, catalog: Catalog, issues: Issues
) -> None:
    label = f"metric {metric.name}"
    other = catalog.metrics.get(name)
    if other is None:
        hint = did_you_mean(name, catalog.metrics)
        issues.add(
            *_where(metric, part), f"{label}: {part} refers to unknown metric {name!r}{hint}"
        )
        return
    missing = [e for e in metric.entities if e not in other.entities]
    if missing:
        issues.add(
            *_where(metric, part),
            f"{label}: {part} {name} is not defined for {', '.join(missing)}",
        )
    if metric.type == "ratio" and other.type not in ("simple", "cumulative"):
        issues.add(
            *_where(metric, part),
            f"{label}: {part} {name} must be a simple or cumulative metric, not {other.type}",
        )


def _check_component_windows(metric: Metric, catalog: Catalog, issues: Issues) -> None:
    """A metric with a window passes it to windowless parts; parts with their own window must
    agree with it (or, without one, with each other)."""
    try:
        refs = [catalog.metrics[n] for n in catalog.references(metric) if n in catalog.metrics]
    except ExpressionError:
        return
    own = [r.window_days for r in refs if r.window_days is not None]
    if metric.window_days is not None:
        clash = [r.name for r in refs if r.window_days not in (None, metric.window_days)]
        if clash:
            issues.add(
                *_where(metric, "window"),
                f"metric {metric.name}: window {metric.window} differs from the window of "
                f"{', '.join(clash)}",
            )
    elif metric.type == "ratio" and len(set(own)) > 1:
        issues.add(
            *_where(metric, "numerator"),
            f"metric {metric.name}: numerator and denominator have different windows; give the "
            "ratio a window and leave its parts without one",
        )


def _check_cycles(catalog: Catalog, issues: Issues) -> None:
    graph: dict[str, list[str]] = {}
    for metric in catalog.metrics.values():
        try:
            graph[metric.name] = [n for n in catalog.references(metric) if n in catalog.metrics]
        except ExpressionError:
            graph[metric.name] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in graph.get(name, []):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt] if nxt in path else [name, nxt]
                metric = catalog.metrics[nxt]
                issues.add(*_where(metric), f"metric {nxt}: cycle {' → '.join(cycle)}")
            elif state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in graph:
        if state.get(name) is None:
            visit(name, [name])
