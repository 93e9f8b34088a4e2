"""Why a policy fires (or not) for one subject on one day: each condition of its ``when`` with
its result, the values it read, and the explanation the subject would read.

Example::

    result = explain_subject(compiled, "S000062", dt.date(2026, 10, 31), settings, catalog)
    result.fires          # True
    result.conditions     # [("late_dispatch_rate_7d >= 0.1", True)]
    result.values         # {"late_dispatch_rate_7d": 0.3203125}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

from pasar.config import Settings
from pasar.kit.errors import NotFoundError
from pasar.metrics.catalog import Catalog
from pasar.metrics.snapshots import read_snapshot
from pasar.policy.evaluate import evaluate_conditions
from pasar.policy.packs import LANGUAGES, CompiledPolicy
from pasar.policy.predicate import conditions
from pasar.policy.template import render_sql


@dataclass(frozen=True)
class Explanation:
    """One policy decision for one subject, with everything that led to it."""

    policy: CompiledPolicy
    subject: str
    as_of: dt.date
    fires: bool
    conditions: list[tuple[str, bool | None]]
    values: dict[str, Any]
    explanations: dict[str, str]


def explain_subject(
    compiled: CompiledPolicy,
    subject: str,
    as_of: dt.date,
    settings: Settings,
    catalog: Catalog,
) -> Explanation:
    """The decision of ``compiled`` for ``subject`` in the stored snapshot of ``as_of``
    (cooldowns are not applied: this is what the metrics say)."""
    key = catalog.entity(compiled.entity).key or "marketplace"
    snapshot = read_snapshot(settings, compiled.entity, as_of)
    con = duckdb.connect()
    con.register("__snapshot", snapshot)
    rows = con.sql(
        f'SELECT * FROM __snapshot WHERE CAST("{key}" AS VARCHAR) = $subject',
        params={"subject": subject},
    ).to_arrow_table()
    if rows.num_rows == 0:
        raise NotFoundError(
            f"{compiled.entity} {subject!r} is not in the {compiled.entity} snapshot as of {as_of}"
        )
    parts = conditions(compiled.when)
    trees: dict[str, exp.Expr] = {f"c{i}": tree for i, tree in enumerate(parts)}
    trees["__when"] = compiled.when
    for language in LANGUAGES:
        trees[f"__{language}"] = render_sql(compiled.explain[language], language, settings.currency)
    result = evaluate_conditions(con, rows.slice(0, 1), trees).to_pylist()[0]
    row = rows.slice(0, 1).to_pylist()[0]
    return Explanation(
        policy=compiled,
        subject=subject,
        as_of=as_of,
        fires=result["__when"] is True,
        conditions=[(tree.sql("duckdb"), result[f"c{i}"]) for i, tree in enumerate(parts)],
        values={name: row[name] for name in compiled.used},
        explanations={language: result[f"__{language}"] for language in LANGUAGES},
    )
