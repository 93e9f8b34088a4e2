"""Replaying policy packs over past days: what a pack (or a draft) would have done, day by day,
and how that differs from another pack, subject by subject.

Each day uses the snapshots of that day (built or reused through the metric layer's daily
partials) and the pack version that applies that day; cooldowns carry over from the findings
of earlier days of the same replay, so a replay matches what running the pack every day would
have done. Snapshots count the events known now (a late review counts on the day of its
order), which is what a backtest of a rule change wants.

Example::

    result = backtest(select(library, "tokopedia-id"), start, end, settings, catalog,
                      against=select(library, "drafts/ldr-15.yml"))
    result.days       # one row per day: subjects hit, findings, points, actions, reward cost
    result.subjects   # one row per subject hit by either side, with what changed
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pasar.config import Settings
from pasar.kit.errors import ValidationError
from pasar.metrics.catalog import Catalog
from pasar.metrics.snapshots import build_snapshots
from pasar.policy.evaluate import FINDINGS_SCHEMA
from pasar.policy.findings import findings_on
from pasar.policy.packs import Selection

MAX_DAYS = 731


@dataclass(frozen=True)
class Replay:
    """The findings of one selection over the days, and which pack version applied each day."""

    label: str
    findings: pa.Table
    packs: dict[dt.date, str]


@dataclass(frozen=True)
class Backtest:
    """What a backtest reports."""

    start: dt.date
    end: dt.date
    main: Replay
    other: Replay | None
    days: pa.Table
    subjects: pa.Table


def backtest(
    selection: Selection,
    start: dt.date,
    end: dt.date,
    settings: Settings,
    catalog: Catalog,
    against: Selection | None = None,
) -> Backtest:
    """Replay ``selection`` (and ``against``) from ``start`` to ``end`` inclusive."""
    if end < start:
        raise ValidationError(f"--to {end} is before --from {start}", field="to")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError(f"a backtest covers at most {MAX_DAYS} days", field="to")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    main = replay(selection, start, end, settings, catalog, con)
    other = replay(against, start, end, settings, catalog, con) if against else None
    return Backtest(
        start, end, main, other, _days(con, main, other, start, end), _subjects(con, main, other)
    )


def replay(
    selection: Selection,
    start: dt.date,
    end: dt.date,
    settings: Settings,
    catalog: Catalog,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Replay:
    """Every finding ``selection`` would have made on each day from ``start`` to ``end``."""
    con = con or duckdb.connect()
    days = list(_dates(start, end))
    plan = {day: selection.policies_on(day) for day in days}
    entities = sorted({c.entity for policies in plan.values() for c in policies})
    for entity in entities:
        needed = [d for d in days if any(c.entity == entity for c in plan[d])]
        build_snapshots(entity, needed, settings, catalog)
    longest = max((c.policy.cooldown_days for ps in plan.values() for c in ps), default=0)
    found: list[tuple[dt.date, pa.Table]] = []
    for day in days:
        # only findings within the longest cooldown can hold a policy back
        recent = [t for d, t in found if (day - d).days < longest]
        history = pa.concat_tables(recent) if recent else None
        if plan[day]:
            table = findings_on(plan[day], day, settings, catalog, history, con, build=False)
            found.append((day, table))
    packs = {day: pack.ref for day in days if (pack := selection.on(day)) is not None}
    tables = [t for _, t in found]
    findings = pa.concat_tables(tables) if tables else FINDINGS_SCHEMA.empty_table()
    return Replay(selection.label, findings, packs)


def _dates(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    for offset in range((end - start).days + 1):
        yield start + dt.timedelta(days=offset)


_DAY_TOTALS = """
SELECT as_of AS day,
       count(DISTINCT entity || ':' || subject) AS subjects_hit,
       count(*) AS findings,
       coalesce(sum(points), 0) AS points,
       count(*) FILTER (WHERE kind = 'action') AS actions,
       coalesce(sum(reward), 0) AS reward_cost
FROM {table} GROUP BY as_of
"""


def _days(
    con: duckdb.DuckDBPyConnection,
    main: Replay,
    other: Replay | None,
    start: dt.date,
    end: dt.date,
) -> pa.Table:
    calendar = pa.table(
        {
            "day": pa.array(list(_dates(start, end)), pa.date32()),
            "pack": [main.packs.get(d, "") for d in _dates(start, end)],
            "other_pack": [(other.packs.get(d, "") if other else "") for d in _dates(start, end)],
        }
    )
    con.register("__calendar", calendar)
    con.register("__main", main.findings)
    con.register("__other", other.findings if other else FINDINGS_SCHEMA.empty_table())
    sides = ["m", "o"] if other else ["m"]
    columns = ["c.day", "c.pack"]
    for side in sides:
        prefix = "other_" if side == "o" else ""
        if side == "o":
            columns.append("c.other_pack")
        columns += [
            f"coalesce({side}.{name}, 0) AS {prefix}{name}"
            for name in ("subjects_hit", "findings", "points", "actions", "reward_cost")
        ]
    sql = (
        f"WITH m AS ({_DAY_TOTALS.format(table='__main')}), "
        f"o AS ({_DAY_TOTALS.format(table='__other')}) "
        f"SELECT {', '.join(columns)} FROM __calendar c "
        "LEFT JOIN m USING (day) LEFT JOIN o USING (day) ORDER BY c.day"
    )
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        for name in ("__calendar", "__main", "__other"):
            con.unregister(name)


_SUBJECT_TOTALS = """
SELECT entity, subject,
       count(*) AS findings,
       coalesce(sum(points), 0) AS points,
       count(*) FILTER (WHERE kind = 'action') AS actions,
       coalesce(sum(reward), 0) AS reward_cost,
       string_agg(DISTINCT policy_id, ', ' ORDER BY policy_id) AS policies,
       min(as_of) AS first_day
FROM {table} GROUP BY entity, subject
"""


def _subjects(con: duckdb.DuckDBPyConnection, main: Replay, other: Replay | None) -> pa.Table:
    con.register("__main", main.findings)
    try:
        if other is None:
            sql = _SUBJECT_TOTALS.format(table="__main") + " ORDER BY points DESC, findings DESC"
            return con.sql(sql + ", entity, subject").to_arrow_table()
        con.register("__other", other.findings)
        measures = ("findings", "points", "actions", "reward_cost", "policies")
        picked = [f"m.{n}" for n in measures] + [f"o.{n} AS other_{n}" for n in measures]
        sql = f"""
        WITH m AS ({_SUBJECT_TOTALS.format(table="__main")}),
             o AS ({_SUBJECT_TOTALS.format(table="__other")})
        SELECT entity, subject,
          CASE WHEN m.subject IS NULL THEN 'only in other'
               WHEN o.subject IS NULL THEN 'only in pack'
               WHEN m.points = o.points AND m.reward_cost = o.reward_cost
                    AND m.findings = o.findings AND m.policies = o.policies THEN 'same'
               ELSE 'different' END AS change,
          coalesce(m.points, 0) - coalesce(o.points, 0) AS points_delta,
          coalesce(m.reward_cost, 0) - coalesce(o.reward_cost, 0) AS reward_cost_delta,
          {", ".join(picked)}
        FROM m FULL OUTER JOIN o USING (entity, subject)
        ORDER BY change = 'same', abs(points_delta) DESC, abs(reward_cost_delta) DESC,
                 entity, subject
        """
        return con.sql(sql).to_arrow_table()
    finally:
        con.unregister("__main")
        if other is not None:
            con.unregister("__other")
