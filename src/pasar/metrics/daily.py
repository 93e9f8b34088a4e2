"""Daily partial aggregates: what lets the snapshot of day N+1 reuse the work of day N.

Windowed counts, sums, minima, maxima and averages are stored per subject and local day
(``PASAR_HOME/snapshots/_daily/<entity>/<dataset>.<time>/day=<date>.parquet``); a snapshot
combines the days of each window instead of scanning the dataset again. Only missing days are
computed, so day N+1 after day N scans one day of rows.

Each group's ``state.json`` records the definitions the files were computed with and the
warehouse segments they read. Segments are immutable, so when they are unchanged the files are
current. When a batch only appended segments to the dataset's own table, only the days those new
rows fall on are recomputed; any other change (an update rewrites segments, a joined table
changed, a definition changed) recomputes every day needed — never more than the longest
window of the snapshot's days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from pasar.metrics.catalog import Catalog
from pasar.metrics.compiler import Compiler, rollable, slidable
from pasar.metrics.engines import duckdb as engine
from pasar.metrics.plan import Leaf, Plan
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.store import Manifest, Warehouse

STATE = "state.json"
WINDOW = "window.parquet"
_WINDOW_KEY = b"pasar.window"


@dataclass(frozen=True)
class DailyGroup:
    """The rollable leaves of an entity's snapshot that share a dataset and time column."""

    dataset: str
    time: str
    leaves: tuple[Leaf, ...]

    @property
    def longest(self) -> int:
        return max(int(leaf.span.days or 1) for leaf in self.leaves)


def daily_groups(catalog: Catalog, entity: str) -> list[DailyGroup]:
    """The groups of daily partials the snapshot of ``entity`` can be combined from."""
    plan = Plan(catalog)
    for metric in catalog.snapshot_metrics(entity):
        plan.value(metric.name)
    grouped: dict[tuple[str, str], list[Leaf]] = {}
    for leaf in plan.leaves.values():
        if rollable(leaf):
            grouped.setdefault((leaf.dataset, leaf.time), []).append(leaf)
    return [
        DailyGroup(ds, time, tuple(sorted(leaves, key=lambda x: x.column)))
        for (ds, time), leaves in sorted(grouped.items())
    ]


def window_days(days: Iterable[dt.date], longest: int) -> set[dt.date]:
    """Every local day some snapshot of ``days`` needs, with windows up to ``longest`` days."""
    needed: set[dt.date] = set()
    for day in days:
        needed.update(day - dt.timedelta(days=i) for i in range(longest))
    return needed


class DailyStore:
    """The daily partial files of one entity, kept current against the warehouse."""

    def __init__(
        self, root: Path, entity: str, catalog: Catalog, compiler: Compiler, warehouse: Warehouse
    ) -> None:
        self.root = root / "_daily" / entity
        self.entity = entity
        self.catalog = catalog
        self.compiler = compiler
        self.warehouse = warehouse
        self.computed_days = 0  # day files computed by this store's calls (for reports)
        self._count = threading.Lock()  # groups are prepared in parallel threads

    def prepare(
        self,
        group: DailyGroup,
        days: set[dt.date],
        con: duckdb.DuckDBPyConnection,
        manifest: Manifest,
    ) -> None:
        """Make the partial file of each of ``days`` current, computing the missing and stale
        ones. ``con`` must read the warehouse at ``manifest``."""
        folder = self.root / f"{group.dataset}.{group.time}"
        folder.mkdir(parents=True, exist_ok=True)
        segments = self._segments(group, manifest)
        definition = self._definition(group)
        state = _read_state(folder)
        before = state.get("segments", {})
        if state.get("definition") != definition or not isinstance(before, dict):
            _remove_days(folder, None)
        elif before != segments:
            _remove_days(folder, self._stale_days(group, before, segments, con))
        _write_state(folder, {"definition": definition, "segments": segments})
        missing = sorted(d for d in days if not _day_file(folder, d).exists())
        for first, last in _runs(missing):
            self._compute(group, folder, first, last, con)

    def window(self, group: DailyGroup, as_of: dt.date, con: duckdb.DuckDBPyConnection) -> Path:
        """The group's leaves as of ``as_of`` in one file (``window.parquet``), from the day
        files :meth:`prepare` made current.

        When the file holds the day before and none of the days it was made from changed, the
        window moves by one day: the entering day is added and the leaving days subtracted, so
        day N+1 reads a handful of files instead of every day of its windows. That is exact for
        counts and whole or decimal sums; anything else is combined from all its days.
        """
        folder = self.root / f"{group.dataset}.{group.time}"
        path = folder / WINDOW
        days = sorted(window_days([as_of], group.longest))
        stamps = {d.isoformat(): _stamp(_day_file(folder, d)) for d in days}
        kept = _read_window_meta(path)
        if kept == {"as_of": as_of.isoformat(), "days": stamps}:
            return path
        keys = 0 if self.catalog.datasets[group.dataset].entities[self.entity] is None else 1
        yesterday = (as_of - dt.timedelta(days=1)).isoformat()
        unchanged = kept is not None and all(
            _stamp(_day_file(folder, dt.date.fromisoformat(d))) == stamp
            for d, stamp in kept["days"].items()
        )
        entering = _day_file(folder, as_of)
        if (
            kept is not None
            and kept["as_of"] == yesterday
            and unchanged
            and slidable(group.leaves)
            and _exact(entering)
        ):
            leaving = {
                int(leaf.span.days or 1): _day_file(
                    folder, as_of - dt.timedelta(days=int(leaf.span.days or 1))
                ).as_posix()
                for leaf in group.leaves
            }
            select = self.compiler.slide(
                group.leaves, keys, path.as_posix(), entering.as_posix(), leaving
            )
        else:
            files = [_day_file(folder, d).as_posix() for d in days]
            select = self.compiler.combine_days(group.leaves, keys, files, as_of)
        meta = json.dumps({"as_of": as_of.isoformat(), "days": stamps})
        engine.write_parquet(con, select, path, {_WINDOW_KEY.decode(): meta})
        return path

    def _segments(self, group: DailyGroup, manifest: Manifest) -> dict[str, list[str]]:
        dataset = self.catalog.datasets[group.dataset]
        tables = [dataset.table, *(j.table for j in dataset.joins)]
        return {t: sorted(s.file for s in manifest.entry(t).segments) for t in tables}

    def _definition(self, group: DailyGroup) -> str:
        dataset = self.catalog.datasets[group.dataset]
        payload = {
            "entity": self.entity,
            "zone": self.compiler.dialect.zone,
            "dataset": dataset.model_dump(mode="json", exclude={"origin"}),
            "leaves": sorted(
                (
                    leaf.name,
                    leaf.agg,
                    leaf.expr.sql() if leaf.expr is not None else "",
                    leaf.filter.sql() if leaf.filter is not None else "",
                )
                for leaf in group.leaves
            ),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def _stale_days(
        self,
        group: DailyGroup,
        before: dict[str, list[str]],
        now: dict[str, list[str]],
        con: duckdb.DuckDBPyConnection,
    ) -> set[dt.date] | None:
        """The days new rows fall on when the dataset's table only gained segments and nothing
        else it reads changed; ``None`` (every day) otherwise."""
        table = self.catalog.datasets[group.dataset].table
        others_same = all(before.get(t) == files for t, files in now.items() if t != table)
        old, new = set(before.get(table, [])), set(now.get(table, []))
        own_time = group.time in CONTRACT[table].column_names
        if not (others_same and old <= new and own_time):
            return None
        added = [(self.warehouse.root / f).as_posix() for f in sorted(new - old)]
        if not added:
            return set()
        local = self.compiler.dialect.local_date(exp.column(group.time))
        source = exp.Table(
            this=exp.Anonymous(
                this="read_parquet",
                expressions=[exp.Array(expressions=[exp.Literal.string(f) for f in added])],
            )
        )
        query = exp.select(local.as_("day")).distinct().from_(source)
        rows = con.execute(query.sql("duckdb")).fetchall()
        return {row[0] for row in rows if row[0] is not None}

    def _compute(
        self,
        group: DailyGroup,
        folder: Path,
        first: dt.date,
        last: dt.date,
        con: duckdb.DuckDBPyConnection,
    ) -> None:
        select = self.compiler.daily_partials(self.entity, group.leaves, first, last)
        if first == last:  # the usual next day: straight from DuckDB to the file
            engine.write_parquet(con, select, _day_file(folder, first))
            with self._count:
                self.computed_days += 1
            return
        # a run of days: computed once, then one file per day
        held = f"__partials_{os.getpid()}_{threading.get_ident()}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {held} AS {select.sql('duckdb')}")
        try:
            for day in _dates(first, last):
                one = (
                    exp.select("*")
                    .from_(held)
                    .where(exp.column("day").eq(self.compiler.dialect.date(day)))
                )
                engine.write_parquet(con, one, _day_file(folder, day))
                with self._count:
                    self.computed_days += 1
        finally:
            con.execute(f"DROP TABLE IF EXISTS {held}")


def _stamp(path: Path) -> list[int]:
    """What identifies one version of a file: it is only ever replaced, never edited."""
    stat = path.stat()
    return [stat.st_mtime_ns, stat.st_size]


def _exact(path: Path) -> bool:
    """Whether every partial of a day file is a whole number or a decimal (sums of floats
    would drift as days are added and taken away)."""
    return all(
        pa.types.is_integer(f.type) or pa.types.is_decimal(f.type)
        for f in pq.read_schema(path)
        if f.name.startswith("p_")
    )


def _read_window_meta(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    raw = (pq.read_schema(path).metadata or {}).get(_WINDOW_KEY)
    return json.loads(raw) if raw else None


def _day_file(folder: Path, day: dt.date) -> Path:
    return folder / f"day={day.isoformat()}.parquet"


def _dates(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    for offset in range((last - first).days + 1):
        yield first + dt.timedelta(days=offset)


def _runs(days: list[dt.date]) -> Iterator[tuple[dt.date, dt.date]]:
    """Sorted days as (first, last) runs of consecutive days."""
    if not days:
        return
    first = last = days[0]
    for day in days[1:]:
        if day != last + dt.timedelta(days=1):
            yield first, last
            first = day
        last = day
    yield first, last


def _read_state(folder: Path) -> dict[str, object]:
    path = folder / STATE
    if not path.exists():
        return {}
    try:
        state: dict[str, object] = json.loads(path.read_text())
    except ValueError:
        return {}  # unreadable: as if nothing were stored, so everything is recomputed
    return state


def _write_state(folder: Path, state: dict[str, object]) -> None:
    temporary = folder / f"{STATE}.tmp-{os.getpid()}"
    temporary.write_text(json.dumps(state, sort_keys=True))
    os.replace(temporary, folder / STATE)


def _remove_days(folder: Path, days: set[dt.date] | None) -> None:
    """Delete the files of ``days`` (``None``: all of them) before the state moves on, so a
    crash in between leaves missing days (recomputed), never stale ones."""
    if days is None:
        shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return
    for day in days:
        _day_file(folder, day).unlink(missing_ok=True)
