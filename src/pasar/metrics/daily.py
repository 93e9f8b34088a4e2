"""Daily partial aggregates: what lets the snapshot of day N+1 reuse the work of day N.

Windowed counts, sums, minima, maxima and averages are stored per subject and local day
(``PASAR_HOME/snapshots/_daily/<entity>/<dataset>.<time>/day=<date>.parquet``); a snapshot
reads them combined into windows instead of scanning the dataset again. Only missing days are
computed, so day N+1 after day N scans one day of rows.

Each group's ``state.json`` records the definitions the files were computed with and the
warehouse segments they read. Segments are immutable, so when they are unchanged the files are
current. When a batch only appended segments to the dataset's own table, only the days those new
rows fall on are recomputed; any other change (an update rewrites segments, a joined table
changed, a definition changed) recomputes every day needed — never more than the longest
window of the snapshot's days.

The windows of every group as of the last snapshot are kept in one Arrow file per entity
(``_daily/<entity>/windows.arrow``): a row per subject, a column per window. The next day moves
them by adding the entering day and subtracting the leaving ones at each subject's row, on
64-bit integers, and the snapshot reads that one table instead of joining a file per group.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlglot import exp

from pasar.metrics.catalog import Catalog
from pasar.metrics.compiler import Compiler, rollable, slidable, window_parts
from pasar.metrics.engines import duckdb as engine
from pasar.metrics.plan import Leaf, Plan
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.store import Manifest, Warehouse

STATE = "state.json"
WINDOWS = "windows.arrow"
KEY = "__k0"  # the subject key column of partials and windows
_WINDOWS_KEY = b"pasar.windows"
_FORMAT = 1  # of the windows file: another is ignored (everything combined again)
_LIMIT = 2**63 - 1


@dataclass(frozen=True)
class DailyGroup:
    """The rollable leaves of an entity's snapshot that share a dataset and time column, and
    the other leaves of the same rows with a window of days (medians, percentiles, distinct
    counts…), computed from the rows with them so that the snapshot reads them too."""

    dataset: str
    time: str
    leaves: tuple[Leaf, ...]
    rows: tuple[Leaf, ...] = ()

    @property
    def longest(self) -> int:
        return max(int(leaf.span.days or 1) for leaf in self.leaves)

    @property
    def name(self) -> str:
        """The group's folder of day files, and its name in the windows file."""
        return f"{self.dataset}.{self.time}"


def window_columns(group: DailyGroup) -> list[str]:
    """The window columns of a group's leaves (see :func:`window_parts`)."""
    return [column for leaf in group.leaves for column, _, _ in window_parts(leaf)]


def days_column(group: DailyGroup) -> str:
    """The windows' column counting, per subject, the days of the group's longest window it
    has partials for: a subject is in the group's windows while it is above zero."""
    return f"__days__{group.name}"


def daily_groups(catalog: Catalog, entity: str) -> list[DailyGroup]:
    """The groups of daily partials the snapshot of ``entity`` can be combined from."""
    plan = Plan(catalog)
    for metric in catalog.snapshot_metrics(entity):
        plan.value(metric.name)
    grouped: dict[tuple[str, str], list[Leaf]] = {}
    others: dict[tuple[str, str], list[Leaf]] = {}
    for leaf in plan.leaves.values():
        if rollable(leaf):
            grouped.setdefault((leaf.dataset, leaf.time), []).append(leaf)
        elif leaf.span.days is not None:
            others.setdefault((leaf.dataset, leaf.time), []).append(leaf)
    return [
        DailyGroup(
            ds,
            time,
            tuple(sorted(leaves, key=lambda x: x.column)),
            tuple(sorted(others.get((ds, time), []), key=lambda x: x.column)),
        )
        for (ds, time), leaves in sorted(grouped.items())
    ]


def window_days(days: Iterable[dt.date], longest: int) -> set[dt.date]:
    """Every local day some snapshot of ``days`` needs, with windows up to ``longest`` days."""
    needed: set[dt.date] = set()
    for day in days:
        needed.update(day - dt.timedelta(days=i) for i in range(longest))
    return needed


@dataclass(frozen=True)
class Windows:
    """The windows of every group of an entity as of one day: one row per subject (keys in
    ``keys``; one row and no key for the marketplace), a column per window, and for each
    group the day and day files its columns were made from."""

    keys: pa.Array | None
    columns: dict[str, pa.Array]
    made: dict[str, dict[str, Any]]  # group name -> {"as_of": day, "days": {day: stamp}}

    def table(self) -> pa.Table:
        """The windows as one table (the key column ``__k0`` first)."""
        arrays = list(self.columns.values())
        names = list(self.columns)
        if self.keys is not None:
            arrays, names = [self.keys, *arrays], [KEY, *names]
        return pa.Table.from_arrays(arrays, names=names)


@dataclass(frozen=True)
class _Partials:
    """A day file's partial aggregates as exact 64-bit integers (NULL as 0)."""

    keys: pa.Array | None
    rows: int
    values: dict[str, np.ndarray]
    types: dict[str, pa.DataType]


@dataclass(frozen=True)
class _Slide:
    """What moves a group's windows by one day: the entering day, the day leaving each
    window length, and the windows' current values."""

    entering: _Partials
    leaving: dict[int, _Partials]  # window length -> the day leaving it
    source: dict[str, str]  # window column -> the partial column it adds up
    base: dict[str, np.ndarray]  # window column -> its values (NULL as 0), then zeros
    types: dict[str, pa.DataType]  # window column -> its Arrow type

    def fits(self, group: DailyGroup) -> bool:
        """Whether no moved value can leave 64 bits (bounded by the largest magnitudes)."""
        for leaf in group.leaves:
            leaving = self.leaving[int(leaf.span.days or 1)]
            for column, _, _ in window_parts(leaf):
                partial = self.source[column]
                total = _magnitude(self.base[column])
                total += _magnitude(self.entering.values[partial])
                total += _magnitude(leaving.values[partial])
                if total >= _LIMIT:
                    return False
        return True


@dataclass(frozen=True)
class WindowStep:
    """How one group's windows get to a day: kept as stored, combined from every day of the
    windows (a table keyed ``__k0``), or slid by one day; with its other leaves (``rows``,
    computed from the rows)."""

    group: DailyGroup
    made: dict[str, Any]
    kept: bool = False
    combined: pa.Table | None = None
    slide: _Slide | None = field(default=None, repr=False)
    rows: pa.Table | None = None


@dataclass(frozen=True)
class _Integers:
    """A window column being moved: its values as integers, and its Arrow type."""

    values: np.ndarray
    kind: pa.DataType

    def array(self) -> pa.Array:
        return _from_integers(self.values, self.kind)


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
        self.keyed = catalog.entity(entity).key is not None  # else one row (the marketplace)
        self.computed_days = 0  # day files computed by this store's calls (for reports)
        self._count = threading.Lock()  # groups are prepared in parallel threads
        self._storing: _Storing | None = None  # the windows being written

    def prepare(
        self,
        group: DailyGroup,
        days: set[dt.date],
        con: duckdb.DuckDBPyConnection,
        manifest: Manifest,
    ) -> None:
        """Make the partial file of each of ``days`` current, computing the missing and stale
        ones. ``con`` must read the warehouse at ``manifest``."""
        folder = self.root / group.name
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

    def load(self) -> Windows | None:
        """The stored windows of the entity (``None``: none stored, or unreadable — every
        group's windows are then combined from its days)."""
        try:
            with pa.OSFile((self.root / WINDOWS).as_posix()) as source:
                table = pa.ipc.open_file(source).read_all()
            meta = json.loads((table.schema.metadata or {})[_WINDOWS_KEY])
            made = meta["groups"] if meta.get("format") == _FORMAT else None
        except (OSError, KeyError, ValueError, TypeError, pa.ArrowException):
            return None
        if not isinstance(made, dict) or (KEY in table.column_names) != self.keyed:
            return None
        keys = _single(table[KEY]) if self.keyed else None
        columns = {n: _single(table[n]) for n in table.column_names if n != KEY}
        return Windows(keys, columns, made)

    def step(
        self,
        group: DailyGroup,
        as_of: dt.date,
        previous: Windows | None,
        con: duckdb.DuckDBPyConnection,
    ) -> WindowStep:
        """How the group's windows get to ``as_of`` from ``previous``, from the day files
        :meth:`prepare` made current (run in the group's thread; :meth:`advance` applies it).

        Current columns are kept. When they are the day before's and none of the days they
        were made from changed, the windows move by one day: the entering day is added and
        the leaving days subtracted, so day N+1 reads a handful of small files instead of
        every day of its windows. That is exact for counts and whole or decimal sums (done
        on 64-bit integers, checked not to overflow); anything else is combined from all
        its days.
        """
        folder = self.root / group.name
        days = sorted(window_days([as_of], group.longest))
        stamps = {d.isoformat(): _stamp(_day_file(folder, d)) for d in days}
        made = {"as_of": as_of.isoformat(), "days": stamps}
        rows = None
        if group.rows:  # from the rows every day, in this thread rather than in the snapshot
            select = self.compiler.window_rows(self.entity, group.rows, as_of)
            rows = engine.to_arrow(con, select)
        kept = previous.made.get(group.name) if previous is not None else None
        columns = [*window_columns(group), days_column(group)]
        if previous is None or kept is None or not all(c in previous.columns for c in columns):
            return self._combined(group, as_of, made, rows, con)
        if kept == made:
            return WindowStep(group, made, kept=True, rows=rows)
        yesterday = (as_of - dt.timedelta(days=1)).isoformat()
        unchanged = all(
            _stamp(_day_file(folder, dt.date.fromisoformat(d))) == stamp
            for d, stamp in kept["days"].items()
        )
        if kept["as_of"] == yesterday and unchanged and slidable(group.leaves):
            slide = self._slide(group, as_of, previous, folder)
            if slide is not None:
                return WindowStep(group, made, slide=slide, rows=rows)
        return self._combined(group, as_of, made, rows, con)

    def advance(
        self, as_of: dt.date, previous: Windows | None, steps: Sequence[WindowStep]
    ) -> Windows:
        """The windows as of ``as_of`` from ``previous`` and each group's :meth:`step`.

        They are stored for the next day (``windows.arrow``, replaced atomically) by a thread
        of their own while the snapshot is computed: :meth:`stored` waits for it."""
        carried = previous is not None and any(s.kept or s.slide is not None for s in steps)
        old = previous.keys if carried and previous is not None else None
        incoming: list[tuple[pa.Array | None, int]] = []  # keys to place, in order
        for item in steps:
            if item.combined is not None:
                incoming.append(self._keys(item.combined))
            elif item.slide is not None:
                files = (item.slide.entering, *item.slide.leaving.values())
                incoming += [(p.keys, p.rows) for p in files]
            if item.rows is not None:
                incoming.append(self._keys(item.rows))
        keys, places = _place(old, incoming, self.keyed)
        size = len(keys) if keys is not None else 1
        found = iter(places)
        built: dict[str, pa.Array | _Integers] = {}
        present = np.zeros(size, dtype=bool)  # in some window of some group
        made: dict[str, dict[str, Any]] = {}
        for item in steps:
            made[item.group.name] = item.made
            names = [*window_columns(item.group), days_column(item.group)]
            if item.kept:
                assert previous is not None
                for name in names:
                    built[name] = _padded(previous.columns[name], size, name == names[-1])
            elif item.combined is not None:
                built.update(_aligned(item.combined, names, next(found), size))
                built[names[-1]] = pc.fill_null(built[names[-1]], 0)
            else:
                assert item.slide is not None
                built.update(_moved(item.group, item.slide, found, size))
            days = built[names[-1]]
            present |= (days.values if isinstance(days, _Integers) else days.to_numpy()) > 0
            if item.rows is not None:
                where = next(found)
                built.update(_aligned(item.rows, [x.column for x in item.group.rows], where, size))
                present[where] = True
        if keys is not None and not present.all():  # subjects no longer in any window
            index = np.flatnonzero(present)
            keys = keys.take(pa.array(index))
            built = {
                n: _Integers(c.values[index], c.kind)
                if isinstance(c, _Integers)
                else c.take(pa.array(index))
                for n, c in built.items()
            }
        columns = {n: c.array() if isinstance(c, _Integers) else c for n, c in built.items()}
        windows = Windows(keys, columns, made)
        self.stored()  # the day before's first: the file must end as the last day's
        self._storing = _Storing(self.root / WINDOWS, windows)
        return windows

    def stored(self) -> None:
        """Wait until the windows :meth:`advance` returned are stored (raising what failed)."""
        storing, self._storing = self._storing, None
        if storing is not None:
            storing.wait()

    def _keys(self, table: pa.Table) -> tuple[pa.Array | None, int]:
        return (table[KEY].combine_chunks() if self.keyed else None), table.num_rows

    def _combined(
        self,
        group: DailyGroup,
        as_of: dt.date,
        made: dict[str, Any],
        rows: pa.Table | None,
        con: duckdb.DuckDBPyConnection,
    ) -> WindowStep:
        folder = self.root / group.name
        files = [_day_file(folder, dt.date.fromisoformat(d)).as_posix() for d in made["days"]]
        select = self.compiler.combine_days(
            group.leaves, 1 if self.keyed else 0, files, as_of, days_column(group)
        )
        return WindowStep(group, made, combined=engine.to_arrow(con, select), rows=rows)

    def _slide(
        self, group: DailyGroup, as_of: dt.date, previous: Windows, folder: Path
    ) -> _Slide | None:
        """The day entering the windows and the days leaving them, as 64-bit integers, with
        the windows' current values; ``None`` when a value is no whole number or decimal, or
        a sum could leave 64 bits."""
        source = _sources(group)
        partials = sorted(set(source.values()))
        entering = _read_partials(_day_file(folder, as_of), partials, self.keyed)
        spans = sorted({int(leaf.span.days or 1) for leaf in group.leaves})
        leaving = {
            span: _read_partials(
                _day_file(folder, as_of - dt.timedelta(days=span)), partials, self.keyed
            )
            for span in spans
        }
        if entering is None or any(p is None for p in leaving.values()):
            return None
        base: dict[str, np.ndarray] = {}
        types: dict[str, pa.DataType] = {}
        rows = len(previous.keys) if previous.keys is not None else 1
        spare = max(64, rows // 32)  # room for the day's new subjects
        for column, partial in source.items():
            stored = previous.columns[column]
            values = _integers(stored, spare)
            files = (entering, *leaving.values())
            if values is None or not all(
                p is not None and _same_unit(stored.type, p.types[partial]) for p in files
            ):
                return None
            base[column], types[column] = values, stored.type
        counts = _integers(previous.columns[days_column(group)], spare)
        if counts is None:
            return None
        base[days_column(group)], types[days_column(group)] = counts, pa.int64()
        moving = {span: p for span, p in leaving.items() if p is not None}
        slide = _Slide(entering, moving, source, base, types)
        return slide if slide.fits(group) else None

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
        # computed once, then one file per day; a single day too: writing straight from the
        # query would bind it (reading the warehouse files' metadata) once more for its types
        held = f"__partials_{os.getpid()}_{threading.get_ident()}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {held} AS {select.sql('duckdb')}")
        try:
            for day in _dates(first, last):
                one = exp.select("*").from_(held)
                if first != last:
                    one = one.where(exp.column("day").eq(self.compiler.dialect.date(day)))
                engine.write_parquet(con, one, _day_file(folder, day))
                with self._count:
                    self.computed_days += 1
        finally:
            con.execute(f"DROP TABLE IF EXISTS {held}")


def _stamp(path: Path) -> list[int] | None:
    """What identifies one version of a file (it is only ever replaced, never edited);
    ``None`` when it is missing."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return [stat.st_mtime_ns, stat.st_size]


def _sources(group: DailyGroup) -> dict[str, str]:
    """For each window column of a group, the partial column it adds up — one for all the
    leaves defined alike (the orders of 7, 30 and 90 days count the same daily orders)."""
    first: dict[tuple[str, ...], str] = {}
    source: dict[str, str] = {}
    for leaf in group.leaves:
        expr = leaf.expr.sql() if leaf.expr is not None else ""
        where = leaf.filter.sql() if leaf.filter is not None else ""
        for column, partial, _ in window_parts(leaf):
            alike = (leaf.agg, expr, where, column.removeprefix(leaf.column))
            source[column] = first.setdefault(alike, partial)
    return source


def _single(column: pa.ChunkedArray) -> pa.Array:
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _read_partials(path: Path, partials: Sequence[str], keyed: bool) -> _Partials | None:
    """The ``partials`` of a day file as integers; ``None`` when it is missing or one of
    them is not a whole number or a decimal."""
    try:
        with pq.ParquetFile(path) as file:
            table = file.read(columns=[*([KEY] if keyed else []), *partials], use_threads=False)
    except (OSError, KeyError, pa.ArrowException):
        return None
    values: dict[str, np.ndarray] = {}
    types: dict[str, pa.DataType] = {}
    for name in partials:
        column = table[name].combine_chunks()
        integers = _integers(column)
        if integers is None:
            return None
        values[name], types[name] = integers, column.type
    keys = table[KEY].combine_chunks() if keyed else None
    return _Partials(keys, table.num_rows, values, types)


def _integers(array: pa.Array, spare: int = 0) -> np.ndarray | None:
    """The values of an integer or decimal array as 64-bit integers (a decimal unscaled),
    NULL as 0, in a new array with ``spare`` zeros after them (room for new subjects);
    ``None`` for any other type, or a decimal beyond 64 bits."""
    kind = array.type
    if pa.types.is_integer(kind) and not pa.types.is_uint64(kind):
        filled = pc.fill_null(array, 0) if array.null_count else array
        values = filled.to_numpy(zero_copy_only=False)
    elif pa.types.is_decimal128(kind) and sys.byteorder == "little":
        filled = pc.fill_null(array, pa.scalar(0, kind)) if array.null_count else array
        words = np.frombuffer(filled.buffers()[1], dtype=np.int64)
        words = words[2 * filled.offset : 2 * (filled.offset + len(filled))].reshape(-1, 2)
        values, high = words[:, 0], words[:, 1]
        if not np.array_equal(high, values >> 63):  # the high half only extends the sign
            return None
    else:
        return None
    copied = np.zeros(len(values) + spare, dtype=np.int64)
    copied[: len(values)] = values
    return copied


def _from_integers(values: np.ndarray, kind: pa.DataType) -> pa.Array:
    """The inverse of :func:`_integers` (a cast that would lose a value fails)."""
    if pa.types.is_integer(kind):  # the numpy buffer itself
        whole = pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])
        return whole if kind == pa.int64() else whole.cast(kind)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0], words[:, 1] = values, values >> 63
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(words)])


def _same_unit(stored: pa.DataType, partial: pa.DataType) -> bool:
    """Whether integers of a partial add to those of a window as they are: both whole
    numbers, or decimals of the same scale."""
    if pa.types.is_integer(stored) and pa.types.is_integer(partial):
        return True
    decimals = pa.types.is_decimal(stored) and pa.types.is_decimal(partial)
    return bool(decimals and stored.scale == partial.scale)


def _magnitude(values: np.ndarray) -> int:
    return max(abs(int(values.max())), abs(int(values.min()))) if len(values) else 0


def _place(
    old: pa.Array | None, incoming: Sequence[tuple[pa.Array | None, int]], keyed: bool
) -> tuple[pa.Array | None, list[np.ndarray]]:
    """The keys of the new windows (``old`` ones first, in their order, then new ones
    sorted) and where each of the ``incoming`` (keys, rows) falls in them."""
    if not keyed:
        return None, [np.zeros(rows, dtype=np.int64) for _, rows in incoming]
    arrays = [keys for keys, _ in incoming if keys is not None]
    kind = old.type if old is not None else arrays[0].type if arrays else pa.string()
    arrays = [a if a.type == kind else a.cast(kind) for a in arrays]
    everything = pa.concat_arrays(arrays) if arrays else pa.array([], kind)
    if old is None:
        unique = pc.unique(everything)
        keys = unique.take(pc.sort_indices(unique))
        found = pc.index_in(everything, value_set=keys)
    else:
        keys, found = old, pc.index_in(everything, value_set=old)
    where = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    if old is not None and found.null_count:  # subjects new to the windows, after the others
        missing = where < 0
        strangers = everything.filter(pa.array(missing))
        new = pc.unique(strangers)
        new = new.take(pc.sort_indices(new))
        keys = pa.concat_arrays([old, new])
        later = pc.index_in(strangers, value_set=new).to_numpy(zero_copy_only=False)
        where[missing] = np.asarray(later, dtype=np.int64) + len(old)
    if (where < 0).any():
        raise ValueError("a partial aggregate has no subject key")
    return keys, np.split(where, np.cumsum([rows for _, rows in incoming])[:-1])


def _padded(array: pa.Array, size: int, zero: bool) -> pa.Array:
    """``array`` with rows up to ``size`` for new subjects: 0 (``zero``) or NULL."""
    extra = size - len(array)
    if extra == 0:
        return array
    fill = pa.array(np.zeros(extra, dtype=np.int64)).cast(array.type) if zero else None
    return pa.concat_arrays([array, fill if fill is not None else pa.nulls(extra, array.type)])


def _grown(values: np.ndarray, size: int) -> np.ndarray:
    """``values`` (a private copy, zeros after the stored rows) as ``size`` rows."""
    if len(values) >= size:
        return values[:size]
    return np.concatenate([values, np.zeros(size - len(values), dtype=np.int64)])


def _aligned(
    table: pa.Table, names: Sequence[str], where: np.ndarray, size: int
) -> dict[str, pa.Array]:
    """Columns of ``table`` as rows of the windows (its row ``i`` at ``where[i]``; NULL in
    the rows it has none for)."""
    taken = np.full(size, -1, dtype=np.int64)
    taken[where] = np.arange(len(where))
    index = pa.array(taken, mask=taken < 0)
    return {name: table[name].combine_chunks().take(index) for name in names}


def _moved(
    group: DailyGroup, slide: _Slide, places: Iterator[np.ndarray], size: int
) -> dict[str, _Integers]:
    """The group's windows moved by a day: the entering day added where its subjects are,
    each window's leaving day subtracted (``places``: where the entering day's rows and
    then each leaving day's rows fall)."""
    entering = next(places)
    leaving = {span: next(places) for span in slide.leaving}
    moved: dict[str, _Integers] = {}
    for leaf in group.leaves:
        span = int(leaf.span.days or 1)
        for column, _, _ in window_parts(leaf):
            partial = slide.source[column]
            values = _grown(slide.base[column], size)
            values[entering] += slide.entering.values[partial]  # keys are unique in a day
            values[leaving[span]] -= slide.leaving[span].values[partial]
            moved[column] = _Integers(values, slide.types[column])
    days = _grown(slide.base[days_column(group)], size)
    days[entering] += 1
    days[leaving[group.longest]] -= 1
    moved[days_column(group)] = _Integers(days, pa.int64())
    return moved


class _Storing:
    """The writing of windows by a thread of its own."""

    def __init__(self, path: Path, windows: Windows) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(path, windows), name="pasar-windows"
        )
        self._thread.start()

    def _run(self, path: Path, windows: Windows) -> None:
        try:
            _write_windows(path, windows)
        except BaseException as exc:  # raised again by wait(), in the caller's thread
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def _write_windows(path: Path, windows: Windows) -> None:
    """Store ``windows`` as an Arrow file, replacing ``path`` atomically."""
    meta = json.dumps({"format": _FORMAT, "groups": windows.made}, sort_keys=True)
    table = windows.table().replace_schema_metadata({_WINDOWS_KEY: meta})
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    with (
        pa.OSFile(temporary.as_posix(), "wb") as sink,
        pa.ipc.new_file(sink, table.schema) as writer,
    ):
        writer.write_table(table)
    os.replace(temporary, path)


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
