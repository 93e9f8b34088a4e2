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
        typed = ", ".join(f"t.{ident(c)}" for c in spec.column_names)
        for k, source in enumerate(sources):
            name = f"{table}_{k}"
            self._stage(spec, source, name)
            self._column_errors(spec, source, name)
            self._time_order(spec, source, name)
            self._duplicates(spec, source, name)
            survivors.append(
                f"SELECT {k} AS _seq, t._file, t._row, {typed} "
                f"FROM {ident('typed_' + name)} t ANTI JOIN "
                f'(SELECT file, "row" FROM rejects WHERE "table" = {literal(table)}) r '
                f"ON r.file = t._file AND r.row = t._row"
            )
        union = " UNION ALL ".join(survivors)
        good = ident("good_" + table)
        if len(sources) == 1:
            # a view, not a copy: rows refused later (references) drop out of it by themselves
            self.con.execute(f"CREATE TEMP VIEW {good} AS {union}")
            self._references(spec, sources[0], outcome)
        else:
            self.con.execute(f"CREATE TEMP TABLE {good} AS {union}")
            for k in range(len(sources)):
                self._drop_stage(f"{table}_{k}")
            outcome.superseded = self._keep_latest(spec)
            self._references(spec, sources[0], outcome)
            self.con.execute(
                f"DELETE FROM {good} g WHERE EXISTS (SELECT 1 FROM rejects r WHERE "
                f"r.table = {literal(table)} AND r.file = g._file AND r.row = g._row)"
            )
        outcome.rows = self._count(f"good_{table}")
        self.validated.add(table)
        return outcome

    def _keep_latest(self, spec: Table) -> int:
        """Of rows sharing a key across the batch's files, keep the later file's; count the rest."""
        good = ident("good_" + spec.name)
        key = ", ".join(ident(c) for c in spec.key)
        on = " AND ".join(f"d.{ident(c)} = g.{ident(c)}" for c in spec.key)
        partition = ", ".join("g." + ident(c) for c in spec.key)
        before = self._count(f"good_{spec.name}")
        self.con.execute(
            f"""
            DELETE FROM {good} WHERE rowid IN (
                SELECT g.rowid FROM {good} g
                SEMI JOIN (SELECT {key} FROM {good} GROUP BY ALL HAVING count(*) > 1) d ON {on}
                QUALIFY row_number() OVER (PARTITION BY {partition}
                                           ORDER BY g._seq DESC, g._row DESC) > 1
            )
            """
        )
        return before - self._count(f"good_{spec.name}")

    def rejected_rows(self) -> int:
        """Distinct (file, row) pairs refused so far."""
        found = self.con.execute(
            'SELECT count(*) FROM (SELECT DISTINCT file, "row" FROM rejects)'
        ).fetchall()
        return int(found[0][0])

    # -- stages ---------------------------------------------------------------------------------

    def _stage(self, spec: Table, source: TableSource, name: str) -> None:
        """Type every column and say why a value is refused, in one pass over the source.

        ``typed_<name>`` holds the typed values, one error column per contract column and
        ``_ok`` (no column error). The text of a value as read is not stored: the view
        ``text_<name>`` recomputes it for the few rows that reach the rejects.
        """
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
            f"CREATE TEMP VIEW {ident('src_' + name)} AS SELECT _file, _row"
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
            options = self._options(source, c)
            value = typed_value(column, _t(c), kind, options, raw)
            if column.default is not None and kind != "text":
                fallback = typed_value(column, literal(column.default), "text", options)
                value = f"coalesce({value}, {fallback})"
            values.append(f"{value} AS {ident(c)}")
            errors.append(f"{error_reason(column, ident(c), _t(c), kind)} AS {_e(c)}")
        raw_refs = ", ".join(ident(c) for c in spec.column_names if c in source.fields)
        self.con.execute(
            f"CREATE TEMP VIEW {ident('text_' + name)} AS SELECT _file, _row, "
            f"{', '.join(texts)} FROM {ident('src_' + name)}"
        )
        no_error = " AND ".join(f"{_e(c)} IS NULL" for c in spec.column_names)
        self.con.execute(
            f"""
            CREATE TEMP TABLE {ident("typed_" + name)} AS
            SELECT _file, _row, {", ".join(ident(c) for c in spec.column_names)},
                   {", ".join(_e(c) for c in spec.column_names)}, {no_error} AS _ok
            FROM (
                SELECT _file, _row, {", ".join(ident(c) for c in spec.column_names)},
                       {", ".join(errors)}
                FROM (
                    SELECT _file, _row, {", ".join(_t(c) for c in spec.column_names)},
                           {", ".join(values)}
                    FROM (SELECT _file, _row{", " + raw_refs if raw_refs else ""},
                                 {", ".join(texts)}
                          FROM {ident("src_" + name)})
                )
            )
            """
        )

    def _drop_stage(self, name: str) -> None:
        self.con.execute(f"DROP VIEW {ident('text_' + name)}")
        self.con.execute(f"DROP VIEW {ident('src_' + name)}")
        self.con.execute(f"DROP TABLE {ident('typed_' + name)}")

    def _with_text(self, name: str, where: str) -> str:
        """Typed rows matching ``where`` joined to their values as read (columns ``c!t``)."""
        typed = ident("typed_" + name)
        return (
            f"(SELECT t.*, x.* EXCLUDE (_file, _row) FROM {typed} t JOIN "
            f"(SELECT * FROM {ident('text_' + name)} WHERE _row IN "
            f"(SELECT _row FROM {typed} WHERE {where})) x USING (_file, _row) WHERE {where})"
        )

    def _record(self, spec: Table, typed: bool = False) -> str:
        """SQL for the row's values as JSON (as read, or typed after validation)."""
        pairs = ", ".join(
            f"{literal(c)}, {ident(c) if typed else _t(c)}" for c in spec.column_names
        )
        return f"CAST(json_object({pairs}) AS VARCHAR)"

    def _column_errors(self, spec: Table, source: TableSource, name: str) -> None:
        bad = self._with_text(name, "NOT _ok")
        parts = [
            f"SELECT {literal(spec.name)}, _file, _row, {literal(source.label(c))}, {literal(c)}, "
            f"left(CAST({_t(c)} AS VARCHAR), {MAX_VALUE}), {_check(_e(c))}, {_e(c)}, "
            f"{self._record(spec)} FROM bad WHERE {_e(c)} IS NOT NULL"
            for c in spec.column_names
        ]
        self.con.execute(f"INSERT INTO rejects WITH bad AS {bad} " + " UNION ALL ".join(parts))

    def _time_order(self, spec: Table, source: TableSource, name: str) -> None:
        for earlier, later in spec.time_order:
            first, then = source.label(earlier), source.label(later)
            rows = self._with_text(name, f"_ok AND {ident(earlier)} > {ident(later)}")
            self.con.execute(
                f"""
                INSERT INTO rejects
                SELECT {literal(spec.name)}, _file, _row, {literal(then)}, {literal(later)},
                       CAST({_t(later)} AS VARCHAR), 'time order',
                       {literal(then)} || ' (' || CAST({_t(later)} AS VARCHAR)
                           || ') is earlier than ' || {literal(first)} || ' ('
                           || CAST({_t(earlier)} AS VARCHAR) || ')',
                       {self._record(spec)}
                FROM {rows}
                """
            )

    def _duplicates(self, spec: Table, source: TableSource, name: str) -> None:
        key = ", ".join(ident(c) for c in spec.key)
        typed = ident("typed_" + name)
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE repeated AS SELECT {key} FROM {typed} WHERE _ok "
            "GROUP BY ALL HAVING count(*) > 1"
        )
        if not self._count("repeated"):
            return
        label = "/".join(source.label(c) for c in spec.key)
        key_text = " || '/' || ".join(f"CAST({_t(c)} AS VARCHAR)" for c in spec.key)
        content = ", ".join(ident(c) for c in spec.column_names)
        rows = self._with_text(name, f"_ok AND ({key}) IN (SELECT ({key}) FROM repeated)")
        self.con.execute(
            f"""
            INSERT INTO rejects
            WITH counted AS (
                SELECT *, count(*) OVER k AS copies,
                       min(_row) OVER k AS first_row,
                       count(DISTINCT hash({content})) OVER k AS variants,
                       string_agg(CAST(_row AS VARCHAR), ', ' ORDER BY _row) OVER k AS rows
                FROM {rows}
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
                       CAST({ident(column.name)} AS VARCHAR), 'reference',
                       {literal(f"no such {singular} (not in the warehouse nor in this batch)")},
                       {self._record(spec, typed=True)}
                FROM ({missing})
                """
            )

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _options(source: TableSource, column: str) -> ParseOptions:
        found = source.fields.get(column)
        return found.options if found and found.options else source.options

    def _count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {ident(table)}").fetchall()[0][0])
