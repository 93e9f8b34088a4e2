"""Validate table sources against the contract in DuckDB; collect every refused row with its reason.

Per source: type every column (``typed_value``/``error_reason``), check time order and duplicate
keys within the file. Across sources of a batch: a later file replaces an earlier one's row with the
same key. Against the warehouse: references must resolve, or (for sellers, products, creators) a
flagged stub is created. Rows that fail any check land in the ``rejects`` table, never silently.

Example:
    >>> v = Validator(con, existing_keys)                     # doctest: +SKIP
    >>> v.validate("orders", sources)                         # doctest: +SKIP
    >>> con.execute("SELECT count(*) FROM good_orders").fetchall()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from pasar.kit.errors import InputError
from pasar.kit.sqltext import ident, literal
from pasar.warehouse.contract import CONTRACT, STUBBABLE, Table
from pasar.warehouse.ingest.parsing import (
    ParseOptions,
    error_reason,
    raw_kind,
    text_value,
    typed_value,
)
from pasar.warehouse.ingest.readers import BadRecord
from pasar.warehouse.ingest.sources import TableSource

REJECTS_DDL = """
CREATE TABLE IF NOT EXISTS rejects (
    "table" VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR, field VARCHAR,
    value VARCHAR, "check" VARCHAR, reason VARCHAR, record VARCHAR
)"""
MAX_VALUE = 1000

ExistingKeys = Callable[[str], str]  # table -> FROM-able SQL of the keys already stored


@dataclass
class TableOutcome:
    """Counts of one table's validation (rows refused are in ``rejects``)."""

    rows: int = 0
    superseded: int = 0
    stubs: dict[str, int] = field(default_factory=dict)  # target table -> stubs created


def _check(reason: str) -> str:
    """SQL classifying a column error into the problem kinds the summary groups by."""
    return (
        f"CASE WHEN {reason} = 'required value is empty' THEN 'required' "
        f"WHEN starts_with({reason}, 'not one of') THEN 'allowed values' "
        f"WHEN regexp_matches({reason}, '^(below|above|outside|longer)') THEN 'range' "
        "ELSE 'format' END"
    )


def _t(column: str) -> str:
    return ident(column + "!t")


def _e(column: str) -> str:
    return ident(column + "!e")


class Validator:
    """Validates a batch table by table, in load order, inside one DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, existing_keys: ExistingKeys) -> None:
        self.con = con
        self.existing_keys = existing_keys
        self.validated: set[str] = set()
        self.stub_keys: dict[str, list[str]] = {}
        con.execute(REJECTS_DDL)

    # -- entry points ------------------------------------------------------------------------

    def add_bad_records(self, table: str, file: str, bad: list[BadRecord]) -> None:
        """Records a reader could not split go to the rejects of the table they were meant for."""
        if not bad:
            return
        self.con.executemany(
            "INSERT INTO rejects VALUES (?, ?, ?, NULL, NULL, ?, 'record', ?, NULL)",
            [(table, file, b.row, b.text[:MAX_VALUE], b.reason) for b in bad],
        )

    def validate(self, table: str, sources: list[TableSource]) -> TableOutcome:
        """Leave the valid rows of ``table`` in ``good_<table>`` and the rest in ``rejects``."""
        if not sources:
            raise ValueError(f"no sources for table {table}")
        spec = CONTRACT[table]
        outcome = TableOutcome()
        survivors = []
        for k, source in enumerate(sources):
            name = f"{table}_{k}"
            self._stage(spec, source, name)
            self._column_errors(spec, source, name)
            self._time_order(spec, source, name)
            self._duplicates(spec, source, name)
            survivors.append(
                f"SELECT {k} AS _seq, * FROM {ident('typed_' + name)} t WHERE NOT EXISTS "
                f"(SELECT 1 FROM rejects r WHERE r.file = t._file AND r.row = t._row "
                f"AND r.table = {literal(table)})"
            )
        union = " UNION ALL ".join(survivors)
        key = ", ".join(ident(c) for c in spec.key)
        self.con.execute(f"CREATE TEMP TABLE {ident('ok_' + table)} AS {union}")
        rows = self._count(f"ok_{table}")
        self.con.execute(
            f"CREATE TEMP TABLE {ident('good_' + table)} AS SELECT * FROM {ident('ok_' + table)} "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _seq DESC, _row DESC) = 1"
        )
        outcome.superseded = rows - self._count(f"good_{table}")
        self._references(spec, sources[0], outcome)
        outcome.rows = self._count(f"good_{table}")
        self.validated.add(table)
        return outcome

    def rejected_rows(self) -> int:
        """Distinct (file, row) pairs refused so far."""
        found = self.con.execute(
            'SELECT count(*) FROM (SELECT DISTINCT file, "row" FROM rejects)'
        ).fetchall()
        return int(found[0][0])

    # -- stages ---------------------------------------------------------------------------------

    def _stage(self, spec: Table, source: TableSource, name: str) -> None:
        """Materialise the raw values, then their typed values, text and error per column."""
        for column in spec.columns:
            if column.name not in source.fields and column.required and column.default is None:
                raise InputError(
                    f"required column {column.name!r} of table {spec.name} is missing",
                    column=column.name,
                )
        raw_columns = ", ".join(
            f"{source.fields[c].expr} AS {ident(c)}"
            for c in spec.column_names
            if c in source.fields
        )
        self.con.execute(
            f"CREATE TEMP TABLE {ident('src_' + name)} AS SELECT _file, _row"
            + (f", {raw_columns}" if raw_columns else "")
            + f" FROM {source.relation}"
        )
        kinds = {
            row[0]: raw_kind(str(row[1]))
            for row in self.con.execute(f"DESCRIBE {ident('src_' + name)}").fetchall()
        }
        texts, values, errors = [], [], []
        for column in spec.columns:
            c = column.name
            kind = kinds.get(c, "text")
            raw = ident(c) if c in source.fields else "NULL::VARCHAR"
            texts.append(f"{text_value(raw, kind, column)} AS {_t(c)}")
            values.append(
                f"{typed_value(column, _t(c), kind, self._options(source, c), raw)} AS {ident(c)}"
            )
            errors.append(f"{error_reason(column, ident(c), _t(c), kind)} AS {_e(c)}")
        raw_refs = ", ".join(ident(c) for c in spec.column_names if c in source.fields)
        self.con.execute(
            f"""
            CREATE TEMP TABLE {ident("typed_" + name)} AS
            SELECT _file, _row, {", ".join(ident(c) for c in spec.column_names)},
                   {", ".join(_t(c) for c in spec.column_names)}, {", ".join(errors)}
            FROM (
                SELECT _file, _row, {", ".join(_t(c) for c in spec.column_names)},
                       {", ".join(values)}
                FROM (SELECT _file, _row{", " + raw_refs if raw_refs else ""},
                             {", ".join(texts)}
                      FROM {ident("src_" + name)})
            )
            """
        )
        self.con.execute(f"DROP TABLE {ident('src_' + name)}")

    def _record(self, spec: Table) -> str:
        pairs = ", ".join(f"{literal(c)}, {_t(c)}" for c in spec.column_names)
        return f"CAST(json_object({pairs}) AS VARCHAR)"

    def _column_errors(self, spec: Table, source: TableSource, name: str) -> None:
        parts = [
            f"SELECT {literal(spec.name)}, _file, _row, {literal(source.label(c))}, {literal(c)}, "
            f"left({_t(c)}, {MAX_VALUE}), {_check(_e(c))}, {_e(c)}, {self._record(spec)} "
            f"FROM {ident('typed_' + name)} WHERE {_e(c)} IS NOT NULL"
            for c in spec.column_names
        ]
        self.con.execute("INSERT INTO rejects " + " UNION ALL ".join(parts))

    def _clean(self, spec: Table, name: str) -> str:
        ok = " AND ".join(f"{_e(c)} IS NULL" for c in spec.column_names)
        return f"(SELECT * FROM {ident('typed_' + name)} WHERE {ok})"

    def _time_order(self, spec: Table, source: TableSource, name: str) -> None:
        for earlier, later in spec.time_order:
            first, then = source.label(earlier), source.label(later)
            self.con.execute(
                f"""
                INSERT INTO rejects
                SELECT {literal(spec.name)}, _file, _row, {literal(then)}, {literal(later)},
                       {_t(later)}, 'time order',
                       {literal(then)} || ' (' || {_t(later)} || ') is earlier than '
                           || {literal(first)} || ' (' || {_t(earlier)} || ')',
                       {self._record(spec)}
                FROM {self._clean(spec, name)}
                WHERE {ident(earlier)} > {ident(later)}
                """
            )

    def _duplicates(self, spec: Table, source: TableSource, name: str) -> None:
        key = ", ".join(ident(c) for c in spec.key)
        label = "/".join(source.label(c) for c in spec.key)
        key_text = " || '/' || ".join(_t(c) for c in spec.key)
        content = ", ".join(ident(c) for c in spec.column_names)
        self.con.execute(
            f"""
            INSERT INTO rejects
            WITH counted AS (
                SELECT *, count(*) OVER k AS copies,
                       min(_row) OVER k AS first_row,
                       count(DISTINCT hash({content})) OVER k AS variants,
                       string_agg(CAST(_row AS VARCHAR), ', ' ORDER BY _row) OVER k AS rows
                FROM {self._clean(spec, name)}
                WINDOW k AS (PARTITION BY {key})
            )
            SELECT {literal(spec.name)}, _file, _row, {literal(label)}, {literal(spec.key[0])},
                   {key_text}, 'duplicate',
                   CASE WHEN variants = 1
                        THEN 'exact duplicate of row ' || first_row || ' (that row was kept)'
                        ELSE {literal(label)} || ' ' || {key_text} || ' appears on rows '
                             || rows || ' with different values' END,
                   {self._record(spec)}
            FROM counted
            WHERE copies > 1 AND (variants > 1 OR _row <> first_row)
            """
        )

    def _references(self, spec: Table, source: TableSource, outcome: TableOutcome) -> None:
        good = ident("good_" + spec.name)
        for column in spec.columns:
            if not column.references:
                continue
            target, target_key = column.references.split(".")
            if target == spec.name:
                continue
            known = f"SELECT {ident(target_key)} AS k FROM ({self.existing_keys(target)}) " + (
                f"UNION ALL SELECT {ident(target_key)} FROM {ident('good_' + target)}"
                if target in self.validated
                else ""
            )
            missing = (
                f"SELECT * FROM {good} g WHERE g.{ident(column.name)} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM ({known}) x WHERE x.k = g.{ident(column.name)})"
            )
            if target in STUBBABLE:
                keys = [
                    str(r[0])
                    for r in self.con.execute(
                        f"SELECT DISTINCT {ident(column.name)} FROM ({missing}) ORDER BY 1"
                    ).fetchall()
                ]
                fresh = [k for k in keys if k not in set(self.stub_keys.get(target, []))]
                self.stub_keys.setdefault(target, []).extend(fresh)
                if fresh:
                    outcome.stubs[target] = outcome.stubs.get(target, 0) + len(fresh)
                continue
            label = source.label(column.name)
            singular = target.rstrip("s")
            self.con.execute(
                f"""
                INSERT INTO rejects
                SELECT {literal(spec.name)}, _file, _row, {literal(label)}, {literal(column.name)},
                       {_t(column.name)}, 'reference',
                       {literal(f"no such {singular} (not in the warehouse nor in this batch)")},
                       {self._record(spec)}
                FROM ({missing})
                """
            )
            self.con.execute(
                f"DELETE FROM {good} g WHERE g.{ident(column.name)} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM ({known}) x WHERE x.k = g.{ident(column.name)})"
            )

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _options(source: TableSource, column: str) -> ParseOptions:
        found = source.fields.get(column)
        return found.options if found and found.options else source.options

    def _count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {ident(table)}").fetchall()[0][0])
