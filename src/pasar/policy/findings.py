"""The findings of a set of policies on one day: snapshots built (or reused) for each entity
the policies read, then one evaluation per entity.

Example::

    found = findings_on(selection.policies_on(day), day, settings, catalog)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from pasar.config import Settings
from pasar.metrics.catalog import Catalog
from pasar.metrics.snapshots import build_snapshots, snapshot_path
from pasar.policy.evaluate import FINDINGS_SCHEMA, evaluate
from pasar.policy.packs import CompiledPolicy


def findings_on(
    policies: Sequence[CompiledPolicy],
    day: dt.date,
    settings: Settings,
    catalog: Catalog,
    history: pa.Table | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    build: bool = True,
) -> pa.Table:
    """Every finding of ``policies`` as of ``day`` (``history``: earlier findings, for
    cooldowns). ``build=False`` when the day's snapshots are known to be current."""
    con = con or duckdb.connect()
    tables = []
    for entity in sorted({c.entity for c in policies}):
        if build:
            build_snapshots(entity, [day], settings, catalog)
        key = catalog.entity(entity).key or "marketplace"
        path = snapshot_path(settings.snapshots_dir, entity, day).as_posix()
        chosen = [c for c in policies if c.entity == entity]
        tables.append(evaluate(con, chosen, path, day, key, history, settings.currency))
    return pa.concat_tables(tables) if tables else FINDINGS_SCHEMA.empty_table()
