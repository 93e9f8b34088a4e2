"""The generic connector: files whose columns are named as in the contract, or a mapping file.

Without a mapping, a file's columns are matched to contract columns by name (ignoring case,
spaces and underscores) and the table is ``--table`` or the file name (``orders.csv``,
``orders-2026-10.parquet``). With ``--mapping``, the mapping says where each column comes from.

Example:
    >>> GenericConnector().table_for(Path("orders-2026-10.csv"), None)
    'orders'
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb

from pasar.kit.errors import InputError
from pasar.kit.sqltext import ident, literal
from pasar.warehouse.connectors.base import (
    Connector,
    ConnectorOptions,
    Plan,
    find_column,
    require_column,
)
from pasar.warehouse.connectors.mapping import ColumnMapping, Mapping, load_mapping
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.ingest.parsing import ParseOptions
from pasar.warehouse.ingest.readers import RawFile
from pasar.warehouse.ingest.sources import Field, TableSource


class GenericConnector(Connector):
    name = "generic"

    def table_for(self, path: Path, table: str | None) -> str | None:
        """The contract table a file feeds: the one asked for, or the one its name starts with."""
        if table:
            return table
        stem = path.stem.lower().replace("-", "_")
        matches = [t for t in CONTRACT if stem == t or stem.startswith(t + "_")]
        return max(matches, key=len) if matches else None

    def refuse(self, path: Path, options: ConnectorOptions) -> str | None:
        why = super().refuse(path, options)
        if why:
            return why
        mapping_table = load_mapping(options.mapping).table if options.mapping else None
        if self.table_for(path, options.table or mapping_table) is None:
            return "cannot tell which table this file is for; name it after a table or pass --table"
        return None

    def plan(
        self, con: duckdb.DuckDBPyConnection, raws: list[RawFile], options: ConnectorOptions
    ) -> Plan:
        mapping = load_mapping(options.mapping) if options.mapping else None
        plan = Plan()
        for raw in raws:
            table = self.table_for(raw.path, options.table or (mapping.table if mapping else None))
            assert table is not None  # refused in discover otherwise
            if mapping:
                source = self._mapped(raw, table, mapping, options)
            else:
                source = self._by_name(raw, table, options)
            plan.add(source, raw)
        return plan

    def _by_name(self, raw: RawFile, table: str, options: ConnectorOptions) -> TableSource:
        fields: dict[str, Field] = {}
        for column in CONTRACT[table].columns:
            found = find_column(raw, column.name)
            if found is None and column.required and column.default is None:
                require_column(raw, column.name)
            if found is not None:
                fields[column.name] = Field(ident(found), found)
        return TableSource(table, ident(raw.table), fields, self.parse_options(options))

    def _mapped(
        self, raw: RawFile, table: str, mapping: Mapping, options: ConnectorOptions
    ) -> TableSource:
        base = self.parse_options(options)
        if mapping.timezone and not options.timezone:
            base = replace(base, timezone=mapping.timezone)
        if mapping.number_style and not options.number_style:
            base = replace(base, number_style=mapping.number_style)
        if mapping.time_format:
            base = replace(base, time_formats=tuple(mapping.time_format))
        unknown = sorted(set(mapping.columns) - set(CONTRACT[table].column_names))
        if unknown:
            raise InputError(
                f"the mapping names column(s) {', '.join(unknown)} that {table} does not have",
                file=str(options.mapping),
            )
        fields = {
            name: self._field(raw, name, spec, base) for name, spec in mapping.columns.items()
        }
        for column in CONTRACT[table].columns:
            if column.name not in fields and column.required and column.default is None:
                raise InputError(
                    f"the mapping gives no source for required column {column.name!r}",
                    file=str(options.mapping),
                    column=column.name,
                )
        return TableSource(table, ident(raw.table), fields, base)

    @staticmethod
    def _field(raw: RawFile, name: str, spec: ColumnMapping, base: ParseOptions) -> Field:
        options = base
        if spec.time_format:
            options = replace(options, time_formats=tuple(spec.time_format))
        if spec.timezone:
            options = replace(options, timezone=spec.timezone)
        if spec.number_style:
            options = replace(options, number_style=spec.number_style)
        if spec.constant is not None:
            return Field(literal(spec.constant), f"constant {spec.constant!r}", options)
        assert spec.source is not None
        column = require_column(raw, spec.source, why=f"the column the mapping reads {name} from")
        expr = ident(column)
        if spec.values:
            cases = " ".join(
                f"WHEN {literal(k.strip().lower())} THEN {literal(v)}"
                for k, v in spec.values.items()
            )
            text = f"CAST({expr} AS VARCHAR)"
            expr = f"CASE lower(trim({text})) {cases} ELSE {text} END"
        return Field(expr, column, options)
