"""Shared by single-shop exports with one row per SKU line (TikTok Shop, Shopee).

The order's own fields repeat on every line; ``SkuLines`` cleans, types and groups them into orders
and numbered order lines, and ``value_map`` maps UI labels (English or Indonesian) to contract
values while letting unknown labels through to be refused with their text.

Example:
    >>> label_key("Awaiting_Shipment")
    'awaitingshipment'
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

from pasar.kit.errors import InputError
from pasar.kit.sqltext import ident, literal
from pasar.warehouse.connectors.base import (
    Connector,
    ConnectorOptions,
    Discovery,
    Plan,
)
from pasar.warehouse.contract import Column
from pasar.warehouse.ingest.parsing import (
    ParseOptions,
    RawKind,
    raw_kind,
    text_value,
    typed_value,
)
from pasar.warehouse.ingest.readers import RawFile
from pasar.warehouse.ingest.sources import TableSource

_EDGE_BLANKS = r"^[\s\x{00A0}\x{FEFF}]+|[\s\x{00A0}\x{FEFF}]+$"
_AMOUNT = Column("amount", "money")
_COUNT = Column("quantity", "int")
_TEXT = Column("text", "string", required=False)


def label_key(label: str) -> str:
    """How a label is compared: lower case without spaces, underscores or hyphens.

    Example:
        >>> label_key("Awaiting_Shipment"), label_key("Return / Refund")
        ('awaitingshipment', 'return/refund')
    """
    return re.sub(r"[\s_\-]+", "", label.lower())


def key_sql(text: str) -> str:
    """SQL for ``label_key`` of a text expression."""
    return f"lower(regexp_replace({text}, '[\\s_\\-]+', '', 'g'))"


def labels_sql(labels: Iterable[str]) -> str:
    """A SQL tuple of the keys of ``labels``, for ``key IN (...)``."""
    return "(" + ", ".join(literal(label_key(label)) for label in labels) + ")"


def value_map(text: str, values: Mapping[str, Iterable[str]]) -> str:
    """SQL mapping each known label of ``text`` to its contract value.

    ``values`` maps a contract value to the labels that mean it. A label that is not known passes
    through unchanged, so validation refuses it with the label in the rejects.

    Example:
        >>> "WHEN 'pembeli' THEN 'buyer'" in value_map('"s"', {"buyer": ["Buyer", "Pembeli"]})
        True
    """
    cases = " ".join(
        f"WHEN {literal(label_key(label))} THEN {literal(value)}"
        for value, labels in values.items()
        for label in labels
    )
    return f"CASE {key_sql(text)} {cases} ELSE {text} END"


def seller_of(options: ConnectorOptions, export: str) -> str:
    """The shop an export belongs to: ``--seller``, required since the export does not say."""
    seller = (options.seller_id or "").strip()
    if not seller:
        raise InputError(
            f"--seller is required: a {export} order export does not say which shop it belongs "
            "to; pass the shop's ID, e.g. --seller my-shop"
        )
    return seller


def status_columns(
    statuses: Mapping[str, Iterable[str]],
    return_column: str | None,
    returns: str,
    returned: Iterable[str],
    unchanged: Iterable[str],
) -> list[dict[str, str]]:
    """Columns ``_mapped`` (the order status mapped) and ``_status`` (with the return labels).

    Over a relation with ``status`` and, in column ``returns``, the values of the file's
    ``return_column``: a delivered order whose return label is in ``returned`` is ``returned``;
    a label in ``unchanged`` leaves it delivered; any other label makes the status unknown, so
    the order is refused with both labels in the rejects.
    """
    mapped = {"_mapped": value_map(ident("status"), statuses)}
    if return_column is None:
        return [mapped, {"_status": "_mapped"}]
    label = ident(returns)
    key = key_sql(label)
    return [
        mapped,
        {
            "_status": "CASE WHEN _mapped IS DISTINCT FROM 'delivered' "
            f"OR {label} IS NULL THEN _mapped "
            f"WHEN {key} IN {labels_sql(returned)} THEN 'returned' "
            f"WHEN {key} IN {labels_sql(unchanged)} THEN _mapped "
            f"ELSE {ident('status')} || {literal(' with ' + return_column + ' ')} || {label} END"
        },
    ]


class SkuLines:
    """SQL over one export file with one row per SKU line: cleaned, typed and summed values.

    ``lines`` is a relation with ``_file``, ``_row``, ``_order`` (the order ID as text),
    ``_amount`` (the line's amount, DECIMAL), ``_amount_bad`` (the text of an unreadable amount)
    and the named line columns; ``orders`` groups it by ``_order`` and ``items`` numbers its lines.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, raw: RawFile, options: ParseOptions) -> None:
        self.raw = raw
        self.options = options
        described = con.execute(f"DESCRIBE {ident(raw.table)}").fetchall()
        self.kinds: dict[str, RawKind] = {str(row[0]): raw_kind(str(row[1])) for row in described}

    def kind(self, column: str) -> RawKind:
        """How the file holds ``column``: text, number, timestamp…"""
        return self.kinds.get(column, "text")

    def value(self, column: str | None) -> str:
        """The column as read; text loses surrounding blanks (tabs, no-break spaces), '' is NULL."""
        if column is None:
            return "NULL::VARCHAR"
        if self.kind(column) == "text":
            return f"NULLIF(regexp_replace({ident(column)}, {literal(_EDGE_BLANKS)}, '', 'g'), '')"
        return ident(column)

    def text(self, column: str | None) -> str:
        """The column as text (whole numbers without ``.0``), NULL when empty."""
        if column is None or self.kind(column) == "text":
            return self.value(column)
        return text_value(ident(column), self.kind(column), _TEXT)

    def money(self, column: str) -> tuple[str, str]:
        """SQL for the amount in ``column`` (NULL if empty or unreadable) and unreadable text."""
        kind, text = self.kind(column), self.text(column)
        amount = typed_value(_AMOUNT, text, kind, self.options, self.value(column))
        return amount, f"CASE WHEN {amount} IS NULL THEN {text} END"

    def count(self, column: str) -> str:
        """SQL for the whole number in ``column``, NULL when empty or unreadable."""
        return typed_value(
            _COUNT, self.text(column), self.kind(column), self.options, ident(column)
        )

    def amount_text(self, amount: str) -> str:
        """A DECIMAL as text that the source's number style reads back exactly (``1234,50``).

        Two decimals after a comma are never a thousands group, so ``auto`` and ``id`` read it the
        same way; ``en`` gets ``1234.50``.
        """
        as_text = f"CAST({amount} AS VARCHAR)"
        return as_text if self.options.number_style == "en" else f"replace({as_text}, '.', ',')"

    def lines(self, relation: str, order_id: str, columns: Mapping[str, str]) -> str:
        """The line relation over ``relation`` (``columns``: name → SQL, incl. the amount pair)."""
        named = "".join(f", {sql} AS {ident(name)}" for name, sql in columns.items())
        return f"(SELECT _file, _row, {self.text(order_id)} AS _order{named} FROM {relation})"

    def orders(
        self, lines: str, firsts: Iterable[str], derived: Iterable[Mapping[str, str]] = ()
    ) -> str:
        """One row per order: its first line's number, first values of ``firsts`` and ``_gmv``.

        ``_gmv`` is the sum of the line amounts as text; the first unreadable line amount when
        there is one (so the order is refused with it); NULL when a line has no amount. Each
        mapping of ``derived`` adds columns (name → SQL over the columns before it).
        """
        picked = "".join(f", arg_min({ident(n)}, _row) AS {ident(n)}" for n in firsts)
        gmv = (
            "CASE WHEN count(_amount_bad) > 0 THEN arg_min(_amount_bad, _row) "
            "WHEN count(*) > count(_amount) THEN NULL "
            f"ELSE {self.amount_text('sum(_amount)')} END"
        )
        relation = (
            f"(SELECT any_value(_file) AS _file, min(_row) AS _row, _order{picked}, {gmv} AS _gmv "
            f"FROM {lines} GROUP BY _order)"
        )
        for layer in derived:
            added = ", ".join(f"{sql} AS {ident(name)}" for name, sql in layer.items())
            relation = f"(SELECT *, {added} FROM {relation})"
        return relation

    @staticmethod
    def items(lines: str) -> str:
        """One row per line, numbered 1, 2, … in file order within its order (``_line_no``)."""
        return (
            f"(SELECT *, row_number() OVER (PARTITION BY _order ORDER BY _row) AS _line_no "
            f"FROM {lines})"
        )


class SkuLineConnector(Connector):
    """A single-shop order export with one row per SKU line; ``--seller`` names the shop."""

    export = ""

    def discover(self, paths: Iterable[Path], options: ConnectorOptions) -> Discovery:
        """Refuse to start without ``--seller``, then find the files as usual."""
        seller_of(options, self.export)
        return super().discover(paths, options)

    def plan(
        self, con: duckdb.DuckDBPyConnection, raws: list[RawFile], options: ConnectorOptions
    ) -> Plan:
        """An ``orders`` and an ``order_items`` source per export file."""
        seller = seller_of(options, self.export)
        parse = self.parse_options(options)
        plan = Plan()
        for raw in raws:
            orders, items = self._sources(con, raw, seller, parse)
            plan.add(orders, raw)
            plan.add(items, raw)
        return plan

    @abstractmethod
    def _sources(
        self, con: duckdb.DuckDBPyConnection, raw: RawFile, seller: str, parse: ParseOptions
    ) -> tuple[TableSource, TableSource]:
        """The ``orders`` and ``order_items`` sources of one export file."""
