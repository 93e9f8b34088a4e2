"""Merge a batch's valid rows into the warehouse by key: insert, update, or leave unchanged.

Copy-on-write per segment: only segments holding a key the batch changes are rewritten (without
those keys); new and changed rows go to one new segment. Nothing is visible until the writer
commits the manifest. A stub never replaces a stored row; a real row replaces a stub.

Example:
    >>> counts = merge_table(con, writer, "orders", "20261122-0001", stub_keys=[])  # doctest: +SKIP
    >>> counts.inserted, counts.updated, counts.unchanged                          # doctest: +SKIP
    (10000, 0, 0)
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from pasar.kit.sqltext import ident, literal
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.store import (
    MAX_SEGMENTS,
    Segment,
    TableCounts,
    WarehouseWriter,
    duck_type,
    stored_columns,
)


def merge_table(
    con: duckdb.DuckDBPyConnection,
    writer: WarehouseWriter,
    table: str,
    batch_id: str,
    stub_keys: list[str],
    has_rows: bool,
) -> TableCounts:
    """Merge ``good_<table>`` (when ``has_rows``) and stub keys into the stored table."""
    spec = CONTRACT[table]
    incoming = _incoming(con, table, batch_id, stub_keys, has_rows)
    entry = writer.tables.get(table)
    segments = (
        {(writer.warehouse.root / s.file).as_posix(): s.file for s in entry.segments}
        if entry
        else {}
    )
    columns = ", ".join(ident(c) for c in stored_columns(table))
    if not segments:  # a first load: everything is new, written straight from the batch
        found = dict(con.execute(f"SELECT _stub, count(*) FROM {incoming} GROUP BY 1").fetchall())
        fresh = writer.write_segment(
            con, table, f"SELECT {columns} FROM {incoming}", f"{batch_id}-n"
        )
        writer.replace_segments(table, set(), [fresh] if fresh else [])
        return TableCounts(inserted=int(found.get(False, 0)), stubs_created=int(found.get(True, 0)))
    files = "[" + ", ".join(literal(f) for f in segments) + "]"
    stored = (
        f"(SELECT *, filename AS _seg FROM read_parquet({files}, filename = true, "
        "union_by_name = true))"
    )
    keys = ", ".join(ident(k) for k in spec.key)
    on = " AND ".join(f"e.{ident(k)} = i.{ident(k)}" for k in spec.key)
    same = " AND ".join(
        f"e.{ident(c)} IS NOT DISTINCT FROM i.{ident(c)}" for c in spec.column_names
    )
    cmp = ident("cmp_" + table)
    con.execute(
        f"""
        CREATE TEMP TABLE {cmp} AS
        SELECT {", ".join("i." + ident(k) for k in spec.key)}, i._stub, e._seg AS _seg,
               CASE WHEN e._seg IS NULL THEN 'insert'
                    WHEN i._stub THEN 'keep'
                    WHEN e._stub THEN 'fill'
                    WHEN {same} THEN 'same'
                    ELSE 'update' END AS _action
        FROM {incoming} i LEFT JOIN {stored} e ON {on}
        """
    )
    counts = _counts(con, table)
    dropped = ident("drop_" + table)
    con.execute(
        f"CREATE TEMP TABLE {dropped} AS SELECT {keys}, _seg FROM {cmp} "
        "WHERE _action IN ('update', 'fill')"
    )
    if spec.whole_by and has_rows:
        counts.removed = _drop_missing_children(con, table, stored, spec.whole_by, dropped)
    affected = [str(r[0]) for r in con.execute(f"SELECT DISTINCT _seg FROM {dropped}").fetchall()]
    key_match = " AND ".join(f"d.{ident(k)} = s.{ident(k)}" for k in spec.key)
    added: list[Segment] = []
    for n, path in enumerate(affected):
        kept = writer.write_segment(
            con,
            table,
            f"SELECT {columns} FROM read_parquet({literal(path)}) s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {dropped} d WHERE {key_match})",
            f"{batch_id}-r{n}",
        )
        if kept:
            added.append(kept)
    fresh = writer.write_segment(
        con,
        table,
        f"SELECT {', '.join('i.' + ident(c) for c in stored_columns(table))} FROM {incoming} i "
        f"SEMI JOIN (SELECT {keys} FROM {cmp} WHERE _action IN ('insert', 'update', 'fill')) c "
        f"USING ({keys})",
        f"{batch_id}-n",
    )
    if fresh:
        added.append(fresh)
    writer.replace_segments(table, {segments[p] for p in affected}, added)
    if len(writer.tables[table].segments) > MAX_SEGMENTS:
        _compact(con, writer, table, batch_id)
    return counts


def _drop_missing_children(
    con: duckdb.DuckDBPyConnection, table: str, stored: str, parent: str, dropped: str
) -> int:
    """Stored lines of a parent the batch carries, but which the batch no longer lists.

    A line-level export holds whole orders: if order o1 now has two lines where it had three,
    the third is gone. Adds those keys to ``dropped`` and returns how many.
    """
    spec = CONTRACT[table]
    on = " AND ".join(f"g.{ident(k)} = s.{ident(k)}" for k in spec.key)
    good = ident("good_" + table)
    found = con.execute(
        f"""
        INSERT INTO {dropped}
        SELECT {", ".join("s." + ident(k) for k in spec.key)}, s._seg FROM {stored} s
        WHERE s.{ident(parent)} IN (SELECT {ident(parent)} FROM {good})
          AND NOT EXISTS (SELECT 1 FROM {good} g WHERE {on})
        """
    ).fetchall()
    return int(found[0][0]) if found else 0


def _incoming(
    con: duckdb.DuckDBPyConnection, table: str, batch_id: str, stub_keys: list[str], has_rows: bool
) -> str:
    spec = CONTRACT[table]
    key = spec.key[0]
    columns = spec.column_names
    parts = []
    if has_rows:
        parts.append(
            f"SELECT {', '.join(ident(c) for c in columns)}, {literal(batch_id)} AS _batch_id, "
            f"_file AS _source_file, _row AS _source_row, false AS _stub "
            f"FROM {ident('good_' + table)}"
        )
    if stub_keys:
        con.register(f"stubs_{table}", pa.table({key: pa.array(stub_keys, pa.string())}))
        nulls = ", ".join(f"NULL::{duck_type(table, c)} AS {ident(c)}" for c in columns if c != key)
        not_in_batch = (
            f"WHERE {ident(key)} NOT IN (SELECT {ident(key)} FROM {ident('good_' + table)})"
            if has_rows
            else ""
        )
        parts.append(
            f"SELECT {ident(key)}, {nulls}, {literal(batch_id)} AS _batch_id, "
            f"NULL::VARCHAR AS _source_file, NULL::BIGINT AS _source_row, true AS _stub "
            f"FROM {ident('stubs_' + table)} {not_in_batch}"
        )
    return "(" + " UNION ALL BY NAME ".join(parts) + ")"


def _counts(con: duckdb.DuckDBPyConnection, table: str) -> TableCounts:
    found = dict(
        con.execute(
            f"SELECT _action || CASE WHEN _stub THEN '_stub' ELSE '' END, count(*) "
            f"FROM {ident('cmp_' + table)} GROUP BY 1"
        ).fetchall()
    )
    return TableCounts(
        inserted=int(found.get("insert", 0)),
        updated=int(found.get("update", 0)),
        unchanged=int(found.get("same", 0)),
        stubs_created=int(found.get("insert_stub", 0)),
        stubs_filled=int(found.get("fill", 0)),
    )


def _compact(
    con: duckdb.DuckDBPyConnection, writer: WarehouseWriter, table: str, batch_id: str
) -> None:
    """Rewrite a table with many small segments as one."""
    entry = writer.tables[table]
    files = (
        "["
        + ", ".join(literal((writer.warehouse.root / s.file).as_posix()) for s in entry.segments)
        + "]"
    )
    segment = writer.write_segment(
        con,
        table,
        f"SELECT * FROM read_parquet({files}, union_by_name = true)",
        f"{batch_id}-c",
    )
    writer.replace_segments(table, {s.file for s in entry.segments}, [segment] if segment else [])
