"""Generated ingestion inputs whose fate is known row by row, and the check that they met it.

A generated file is a header and a list of ``Record``s. Each record is written as text (well
formed or not) and carries what ingestion must do with it: store it with exactly these typed
values, refuse it naming this contract column and kind of problem, or skip it as blank. Duplicate
keys are settled afterwards (``fates``) the way the contract says: identical copies keep the
first row, conflicting copies are all refused.

Example:
    >>> file = TableFile("orders", ["order_id"], {"order_id": "Order ID"}, [], [])
    >>> render_csv(file, Dialect()).splitlines()[0]
    b'Order ID'
"""

from __future__ import annotations

import datetime as dt
import io
import re
import string
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb
import openpyxl
from hypothesis import strategies as st

from pasar.config import Settings
from pasar.warehouse.contract import CHANNELS, CONTRACT, ORDER_STATUSES
from pasar.warehouse.ingest.batch import BatchReport
from pasar.warehouse.store import Warehouse

Value = str | Decimal | bool | dt.datetime | None
Shape = Literal["ok", "extra_field", "trailing_delimiter", "missing_field", "blank_line",
                "empty_fields", "open_quote"]  # fmt: skip
Refusal = tuple[str | None, str]  # (contract column, or None for the whole record; check)

WIB = dt.timezone(dt.timedelta(hours=7))  # Asia/Jakarta: no DST since 1964
UTC = dt.UTC


# -- what a file is made of ---------------------------------------------------------------------


@dataclass
class Record:
    """One data record: its cells as written and what ingestion must make of it."""

    cells: dict[str, str]  # contract column (or extra column's header name) -> text
    values: dict[str, Value] | None  # every contract column -> stored value (None: not storable)
    refusal: Refusal | None = None  # set for rows made bad on purpose
    shape: Shape = "ok"
    extra: str = "X"  # the surplus field of an ``extra_field`` record


@dataclass
class TableFile:
    """A generated file for one contract table."""

    table: str
    columns: list[str]  # contract columns present, in file order
    header: dict[str, str]  # contract column -> header name as written
    extras: list[str]  # header names of columns the contract does not know
    records: list[Record]

    @property
    def names(self) -> list[str]:
        return [self.header[c] for c in self.columns] + self.extras


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is written."""

    delimiter: str = ","
    newline: str = "\n"
    quote_all: bool = False
    bom: bool = False
    encoding: str = "utf-8"
    suffix: str = ".csv"


@dataclass(frozen=True)
class Fate:
    """What must become of one non-blank record."""

    row: int
    stored: dict[str, Value] | None
    refusal: Refusal | None


# -- rendering values as text --------------------------------------------------------------------


@dataclass(frozen=True)
class TimeStyle:
    """A way of writing a moment: strftime format, the zone it is written in, its resolution."""

    fmt: str
    zone: dt.tzinfo = WIB
    resolution: Literal["us", "s", "min", "day"] = "s"
    suffix: str = ""

    def truncate(self, moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(self.zone)
        if self.resolution != "us":
            local = local.replace(microsecond=0)
        if self.resolution in ("min", "day"):
            local = local.replace(second=0)
        if self.resolution == "day":
            local = local.replace(hour=0, minute=0)
        return local.astimezone(UTC)

    def render(self, moment: dt.datetime) -> str:
        return moment.astimezone(self.zone).strftime(self.fmt) + self.suffix


TIME_STYLES = (
    TimeStyle("%Y-%m-%d %H:%M:%S"),
    TimeStyle("%Y-%m-%dT%H:%M:%S"),
    TimeStyle("%Y-%m-%d %H:%M:%S.%f", resolution="us"),
    TimeStyle("%Y-%m-%d %H:%M", resolution="min"),
    TimeStyle("%Y-%m-%d", resolution="day"),
    TimeStyle("%d/%m/%Y %H:%M:%S"),
    TimeStyle("%d/%m/%Y %H:%M", resolution="min"),
    TimeStyle("%d/%m/%Y", resolution="day"),
    TimeStyle("%d-%m-%Y %H:%M:%S"),
    TimeStyle("%Y/%m/%d %H:%M:%S"),
    TimeStyle("%Y-%m-%dT%H:%M:%S", zone=UTC, suffix="Z"),
    TimeStyle("%Y-%m-%d %H:%M:%S", suffix="+07:00"),
    TimeStyle("%Y-%m-%dT%H:%M:%S", zone=UTC, suffix="+00:00"),
    TimeStyle("%Y-%m-%d %H:%M:%S", zone=UTC, suffix=" UTC"),
)

BAD_TIMES: dict[str, tuple[str, ...]] = {
    "format": (
        "kemarin",
        "N/A",
        "-",
        "1704164400",
        "10:00",
        "2024-01-02 junk",
        "2024-01-02 10:00:00 PM",
        "2024-01-02 10:00:00 WIB",
        "2024-01-02 10:00:00UTC",
        "02/01/2024 10:00 PM",
        "2023-02-30",
        "2023-02-29 10:00:00",
        "2024-04-31",
        "31/04/2024",
        "30/02/2024 10:00",
        "2024-13-01",
        "2024-00-10 10:00:00",
        "2024-01-01 10:60:00",
        "2024-01-02Z",
    ),
    "range": (
        "1899-12-31 10:00:00",
        "1989-12-31",
        "0001-01-01",
        "2101-01-01 00:00:00",
        "2150-06-30",
        "31/12/1850",
        "9999-12-31 23:59:59",
    ),
}
BAD_AMOUNTS: dict[str, tuple[str, ...]] = {
    "format": (
        "dua ribu",
        "N/A",
        "true",
        "1.2.3",
        "12,34,5",
        "1e5",
        "Rp",
        "1 234",
        "(1,234.00)",
        "--5",
        "0x10",
        "99999999999999999999",
        "12.34.56",
        "¹²³",
    ),
    "range": ("-5", "Rp -1.000", "-0.01", "-1,234.50"),
}
BAD_STATUSES = ("shipped", "lost", "delivered!", "canceled", "123", "cancel led")
BAD_CHANNELS = ("tv", "LIVE STREAM", "radio")
BAD_BOOLS = ("maybe", "2", "yes!", "true false", "-1", "on")
GOOD_BOOLS = {
    **{v: True for v in ("true", "TRUE", "t", "Yes", "y", "1", "ya", "YA", "benar")},
    **{v: False for v in ("false", "F", "no", "N", "0", "tidak", "Tidak", "salah")},
}
EXTRA_NAMES = ("notes", "Unnamed: 0", "", "internal ref", "Catatan Penjual")
ID_PREFIXES = ("ORD-", "", "00", "INV/2024/", "pesanan ")
SELLER_PREFIXES = ("S", "toko-")
SELLER_POOL = ("S1", "S2", "S3", "toko-1", "X-404")
LONG_TEXT = "x" * 4097

_ASCII_TEXT = string.ascii_letters + string.digits + " .,;:|\t\"'/-_()#&!?"
UTF8_TEXT = _ASCII_TEXT + "\néñüçÅßøæ日本語中文한국어🙂€–“”"
LATIN1_TEXT = _ASCII_TEXT + "\n" + "".join(chr(c) for c in range(0xC0, 0x100))


def money_text(amount: Decimal, style: str, prefix: str) -> str:
    """``amount`` written the way a style writes it; every style parses back to ``amount``."""
    cents = f"{amount:.2f}"
    whole, frac = cents.split(".")
    grouped = f"{int(whole):,}"
    if style == "plain":
        text = cents
    elif style == "short":
        text = cents.rstrip("0").rstrip(".")
    elif style == "en":
        text = f"{grouped}.{frac}"
    elif style == "id":
        text = grouped.replace(",", ".") + ("" if frac == "00" else f",{frac}")
    elif style == "id_flat":
        text = whole + ("" if frac == "00" else f",{frac}")
    else:
        raise AssertionError(style)
    return prefix + text


MONEY_STYLES = ("plain", "short", "en", "id", "id_flat")
MONEY_PREFIXES = ("", "Rp ", "Rp", "Rp. ", "IDR ", "rp ", "$", "USD ")


def enum_text(value: str, variant: int) -> str:
    """An allowed value as people write it: any case, spaces or hyphens for underscores."""
    return (
        value,
        value.upper(),
        value.replace("_", " ").title(),
        value.replace("_", "-"),
        f"  {value}  ",
    )[variant]


def stored_text(text: str) -> str | None:
    """What a free-text cell becomes: trimmed of blanks (incl. tabs, newlines, no-break space),
    NULL when empty."""
    return text.strip(" \t\n\r\u00a0\ufeff") or None


# -- strategies ----------------------------------------------------------------------------------


def moments() -> st.SearchStrategy[tuple[dt.datetime, TimeStyle]]:
    """A moment between 1995 and 2095 and a style that can write it exactly."""

    def build(pair: tuple[dt.datetime, TimeStyle]) -> tuple[dt.datetime, TimeStyle]:
        naive, style = pair
        return style.truncate(naive.replace(tzinfo=UTC)), style

    return st.tuples(
        st.datetimes(min_value=dt.datetime(1995, 1, 1), max_value=dt.datetime(2095, 12, 31)),
        st.sampled_from(TIME_STYLES),
    ).map(build)


def dialects() -> st.SearchStrategy[Dialect]:
    @st.composite
    def build(draw: st.DrawFn) -> Dialect:
        delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
        encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
        return Dialect(
            delimiter=delimiter,
            newline=draw(st.sampled_from(["\n", "\r\n", "\r"])),
            quote_all=draw(st.booleans()),
            bom=encoding == "utf-8" and draw(st.booleans()),
            encoding=encoding,
            suffix=".tsv" if delimiter == "\t" and draw(st.booleans()) else ".csv",
        )

    return build()


def _header_name(draw: st.DrawFn, column: str) -> str:
    """The contract name as a file might spell it (matching ignores case, spaces, ``_``)."""
    return draw(
        st.sampled_from(
            [column, column.upper(), column.replace("_", " ").title(), column.replace("_", "")]
        )
    )


def _text(draw: st.DrawFn, alphabet: str, max_size: int = 20) -> str:
    return draw(st.text(alphabet=alphabet, max_size=max_size))


@dataclass
class _Builder:
    """Shared state while drawing the records of one file."""

    draw: st.DrawFn
    table: str
    columns: list[str]
    alphabet: str
    records: list[Record] = field(default_factory=list)

    def present(self, *names: str) -> list[str]:
        return [n for n in names if n in self.columns]

    def good_donors(self) -> list[Record]:
        return [
            r
            for r in self.records
            if r.shape == "ok" and r.refusal is None and r.values is not None
        ]


def _order_values(b: _Builder, index: int) -> tuple[dict[str, Value], dict[str, str]]:
    """A valid order: typed values (every contract column) and the cells that write them."""
    draw = b.draw
    order_id = draw(st.sampled_from(ID_PREFIXES)) + str(index)
    values: dict[str, Value] = {c: None for c in CONTRACT["orders"].column_names}
    values.update(
        order_id=order_id,
        seller_id=draw(st.sampled_from(SELLER_POOL)),
        buyer_id="B" + str(draw(st.integers(0, 10**6))),
        status=draw(st.sampled_from(ORDER_STATUSES)),
        gmv=Decimal(draw(st.integers(0, 10**14))) / 100,
        channel="shop",
    )
    times = b.present("created_at", "paid_at", "shipped_at", "delivered_at")
    stamped = sorted((draw(moments()) for _ in times), key=lambda p: p[0])
    styles: dict[str, TimeStyle] = {}
    for column, (moment, style) in zip(times, stamped, strict=True):
        values[column] = moment
        styles[column] = style
    if "channel" in b.columns:
        values["channel"] = draw(st.sampled_from((*CHANNELS, None)))
    for column in b.present("cancel_reason", "province"):
        values[column] = _text(draw, b.alphabet)
    cells = _order_cells(b, values, styles)
    if "channel" in b.columns and values["channel"] is None:
        values["channel"] = "shop"  # the contract default for an empty cell
    for column in b.present("cancel_reason", "province"):
        values[column] = stored_text(str(values[column]))
    return values, cells


def _order_cells(
    b: _Builder, values: dict[str, Value], styles: dict[str, TimeStyle] | None = None
) -> dict[str, str]:
    """Write order values as text, each in a freshly drawn style that reads back the same."""
    draw = b.draw
    cells: dict[str, str] = {}
    for column in b.columns:
        value = values[column]
        if column in ("order_id", "seller_id", "buyer_id"):
            assert isinstance(value, str)
            cells[column] = draw(st.sampled_from([value, f" {value} "]))
        elif column in ("created_at", "paid_at", "shipped_at", "delivered_at"):
            assert isinstance(value, dt.datetime)
            fits = [
                s for s in TIME_STYLES if s.truncate(value) == value
            ]  # styles that write this moment exactly
            style = (styles or {}).get(column) or draw(st.sampled_from(fits))
            cells[column] = style.render(value)
        elif column in ("status", "channel"):
            cells[column] = "" if value is None else enum_text(str(value), draw(st.integers(0, 4)))
        elif column == "gmv":
            assert isinstance(value, Decimal)
            cells[column] = money_text(
                value, draw(st.sampled_from(MONEY_STYLES)), draw(st.sampled_from(MONEY_PREFIXES))
            )
        else:
            cells[column] = "" if value is None else str(value)
    return cells


def _seller_values(b: _Builder, index: int) -> tuple[dict[str, Value], dict[str, str]]:
    draw = b.draw
    values: dict[str, Value] = {c: None for c in CONTRACT["sellers"].column_names}
    values.update(seller_id=draw(st.sampled_from(SELLER_PREFIXES)) + str(index), is_mall=False)
    cells: dict[str, str] = {}
    if "joined_at" in b.columns and draw(st.booleans()):
        moment, style = draw(moments())
        values["joined_at"] = moment
        cells["joined_at"] = style.render(moment)
    if "is_mall" in b.columns:
        text = draw(st.sampled_from([*GOOD_BOOLS, "", " "]))
        values["is_mall"] = GOOD_BOOLS.get(text, False)
        cells["is_mall"] = text
    for column in b.present("shop_name", "owner_ref", "category", "province", "city"):
        text = _text(draw, b.alphabet)
        values[column] = stored_text(text)
        cells[column] = text
    seller_id = str(values["seller_id"])
    cells["seller_id"] = draw(st.sampled_from([seller_id, f" {seller_id} "]))
    return values, cells


def _seller_cells(b: _Builder, values: dict[str, Value]) -> dict[str, str]:
    """Write seller values again (for a duplicate), times and booleans in fresh styles."""
    draw = b.draw
    cells: dict[str, str] = {}
    for column in b.columns:
        value = values[column]
        if isinstance(value, dt.datetime):
            fits = [s for s in TIME_STYLES if s.truncate(value) == value]
            cells[column] = draw(st.sampled_from(fits)).render(value)
        elif isinstance(value, bool):
            cells[column] = draw(st.sampled_from([k for k, v in GOOD_BOOLS.items() if v == value]))
        else:
            cells[column] = "" if value is None else str(value)
    return cells


ORDER_REQUIRED = ("order_id", "seller_id", "buyer_id", "created_at", "status", "gmv")
ORDER_OPTIONAL = ("paid_at", "shipped_at", "delivered_at", "channel", "cancel_reason", "province")
SELLER_OPTIONAL = ("shop_name", "owner_ref", "category", "province", "city", "joined_at", "is_mall")
SHAPES: tuple[Shape, ...] = ("extra_field", "trailing_delimiter", "missing_field")


def _bad_order(b: _Builder, kind: str, values: dict[str, Value], cells: dict[str, str]) -> Refusal:
    """Spoil a valid order in one way; return the column and check that must refuse it."""
    draw = b.draw
    if kind == "time":
        column = draw(st.sampled_from(b.present("created_at", "paid_at")))
        check = draw(st.sampled_from(sorted(BAD_TIMES)))
        cells[column] = draw(st.sampled_from(BAD_TIMES[check]))
        return column, check
    if kind == "amount":
        check = draw(st.sampled_from(sorted(BAD_AMOUNTS)))
        cells["gmv"] = draw(st.sampled_from(BAD_AMOUNTS[check]))
        return "gmv", check
    if kind == "enum":
        column = draw(st.sampled_from(b.present("status", "channel")))
        cells[column] = draw(st.sampled_from(BAD_STATUSES if column == "status" else BAD_CHANNELS))
        return column, "allowed values"
    if kind == "required":
        column = draw(st.sampled_from(ORDER_REQUIRED))
        cells[column] = draw(st.sampled_from(["", "   "]))
        return column, "required"
    if kind == "long":
        column = draw(st.sampled_from(b.present("cancel_reason", "province")))
        cells[column] = LONG_TEXT
        return column, "range"
    if kind == "order":
        # a later time before an earlier one: paid or shipped before created, delivered before
        # shipped or (with no ship time) before created
        later = draw(st.sampled_from(b.present("paid_at", "shipped_at", "delivered_at")))
        shipped = "shipped_at" in b.columns
        earlier = "shipped_at" if later == "delivered_at" and shipped else "created_at"
        anchor = values[earlier]
        assert isinstance(anchor, dt.datetime)
        moment, style = draw(moments())
        moment = style.truncate(anchor - dt.timedelta(days=draw(st.integers(2, 400))))
        values[later] = moment
        cells[later] = style.render(moment)
        return later, "time order"
    raise AssertionError(kind)


def _bad_seller(b: _Builder, kind: str, cells: dict[str, str]) -> Refusal:
    draw = b.draw
    if kind == "required":
        cells["seller_id"] = draw(st.sampled_from(["", "  "]))
        return "seller_id", "required"
    if kind == "time":
        check = draw(st.sampled_from(sorted(BAD_TIMES)))
        cells["joined_at"] = draw(st.sampled_from(BAD_TIMES[check]))
        return "joined_at", check
    if kind == "bool":
        cells["is_mall"] = draw(st.sampled_from(BAD_BOOLS))
        return "is_mall", "format"
    if kind == "long":
        column = draw(st.sampled_from(b.present("shop_name", "city", "category")))
        cells[column] = LONG_TEXT
        return column, "range"
    raise AssertionError(kind)


def _kinds(b: _Builder) -> list[str]:
    """The ways a record of this file can be drawn (good ones weigh most)."""
    kinds = ["good"] * 4 + ["required", "dup_exact", "dup_conflict", "shape", "blank"]
    if b.table == "orders":
        kinds += ["time", "amount", "enum"]
        if b.present("cancel_reason", "province"):
            kinds.append("long")
        if b.present("paid_at", "shipped_at", "delivered_at"):
            kinds.append("order")
    else:
        if "joined_at" in b.columns:
            kinds.append("time")
        if "is_mall" in b.columns:
            kinds.append("bool")
        if b.present("shop_name", "city", "category"):
            kinds.append("long")
    return kinds


def table_files(
    table: str, alphabet: str, max_rows: int = 25, csv: bool = True
) -> st.SearchStrategy[TableFile]:
    """A file for ``orders`` or ``sellers`` mixing good rows with rows spoiled on purpose
    (``csv``: also records with a wrong field count or an unterminated quote)."""

    @st.composite
    def build(draw: st.DrawFn) -> TableFile:
        if table == "orders":
            optional = draw(st.lists(st.sampled_from(ORDER_OPTIONAL), unique=True))
            columns = draw(st.permutations([*ORDER_REQUIRED, *optional]))
        else:
            optional = draw(st.lists(st.sampled_from(SELLER_OPTIONAL), unique=True))
            columns = draw(st.permutations(["seller_id", *optional]))
        header = {c: _header_name(draw, c) for c in columns}
        extras = draw(st.lists(st.sampled_from(EXTRA_NAMES), unique=True, max_size=2))
        if len(columns) + len(extras) < 2:
            extras.append("notes")  # one column has no delimiter to miscount
        b = _Builder(draw, table, list(columns), alphabet)
        make = _order_values if table == "orders" else _seller_values
        for index in range(1, draw(st.integers(1, max_rows)) + 1):
            kind = draw(st.sampled_from([k for k in _kinds(b) if csv or k != "shape"]))
            donors = b.good_donors()
            if kind in ("dup_exact", "dup_conflict") and donors:
                donor = draw(st.sampled_from(donors))
                assert donor.values is not None
                values = dict(donor.values)
                if kind == "dup_conflict":
                    if table == "orders":
                        values["gmv"] = Decimal(str(values["gmv"])) + Decimal("0.01")
                    elif "city" in b.columns:
                        values["city"] = (str(values["city"] or "") + " baru").strip(" ")
                    elif "is_mall" in b.columns:
                        values["is_mall"] = not values["is_mall"]
                    else:
                        continue  # nothing in this file can make the copy differ
                cells = _order_cells(b, values) if table == "orders" else _seller_cells(b, values)
                b.records.append(Record(cells, values))
                continue
            values, cells = make(b, index)
            cells = {c: cells.get(c, "") for c in b.columns}
            record = Record(cells, values)
            if kind == "blank":
                shape: Shape = draw(st.sampled_from(["blank_line", "empty_fields"]))
                record = Record({}, None, shape=shape)
            elif kind == "shape":
                record.shape = draw(st.sampled_from(SHAPES))
                if record.shape != "trailing_delimiter":  # an empty surplus field is harmless
                    record.refusal = (None, "record")
                    record.values = None
            elif kind not in ("good", "dup_exact", "dup_conflict"):
                if table == "orders":
                    record.refusal = _bad_order(b, kind, values, cells)
                else:
                    record.refusal = _bad_seller(b, kind, cells)
                if record.refusal[1] != "time order":
                    record.values = None
            b.records.append(record)
        extra_cells = [(name, _text(draw, b.alphabet, 8)) for name in extras]
        file = TableFile(table, list(columns), header, extras, b.records)
        for record in b.records:
            if record.shape in ("ok", "extra_field", "trailing_delimiter", "missing_field"):
                record.cells.update((n, v) for n, v in extra_cells)
            if record.shape == "missing_field" and _blank(record_fields(file, record)[:-1]):
                record.shape = "extra_field"  # what is left would be a blank line
        if csv and draw(st.booleans()) and b.records and b.records[-1].shape == "ok":
            last = b.records[-1]
            b.records[-1] = replace(last, shape="open_quote", refusal=(None, "record"), values=None)
        return file

    return build()


# -- writing files --------------------------------------------------------------------------------


def _quote(text: str, dialect: Dialect) -> str:
    if dialect.quote_all or any(ch in text for ch in (dialect.delimiter, '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def record_fields(file: TableFile, record: Record) -> list[str]:
    """The cells of a record in header order (contract columns first, then extras)."""
    by_name = {file.header[c]: record.cells.get(c, "") for c in file.columns}
    by_name.update((n, record.cells.get(n, "")) for n in file.extras)
    return [by_name[n] for n in file.names]


def render_csv(file: TableFile, dialect: Dialect) -> bytes:
    """The file as bytes in ``dialect``; one record per line unless a field holds a newline."""
    d = dialect.delimiter
    lines = [d.join(_quote(n, dialect) for n in file.names)]
    for record in file.records:
        if record.shape == "blank_line":
            lines.append("")
            continue
        if record.shape == "empty_fields":
            lines.append(d.join(_quote("", dialect) for _ in file.names))
            continue
        fields = [_quote(f, dialect) for f in record_fields(file, record)]
        if record.shape == "extra_field":
            fields.append(_quote(record.extra, dialect))
        elif record.shape == "trailing_delimiter":
            fields.append("")
        elif record.shape == "missing_field":
            fields = fields[:-1]
        elif record.shape == "open_quote":
            fields[-1] = '"never closed ' + d + " and more"
        lines.append(d.join(fields))
    text = dialect.newline.join(lines) + dialect.newline
    data = text.encode(dialect.encoding)
    return (b"\xef\xbb\xbf" + data) if dialect.bom else data


def _blank(fields: list[str]) -> bool:
    """Whether a record is spreadsheet padding: every field empty (spaces are refused)."""
    return all(not f for f in fields)


def render_xlsx(file: TableFile, typed: set[str] = frozenset()) -> bytes:  # type: ignore[assignment]
    """The file as a workbook of text cells; columns in ``typed`` hold number or date cells in
    the rows whose values are known (the others keep their text, making the column mixed)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(file.names)
    for record in file.records:
        if record.shape == "blank_line":
            sheet.append([])
            continue
        if record.shape == "empty_fields":
            sheet.append([""] * len(file.names))
            continue
        assert record.shape == "ok", "an XLSX row has no field count to get wrong"
        row: list[Any] = record_fields(file, record)
        for i, column in enumerate(file.columns):
            value = record.values.get(column) if record.values else None
            if column not in typed or value is None:
                continue
            if isinstance(value, Decimal):
                row[i] = float(value)
            elif isinstance(value, dt.datetime) and value.microsecond == 0:
                row[i] = value.astimezone(WIB).replace(tzinfo=None)  # a cell has no zone
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_cached_values(
    workbook: bytes, cached: dict[str, float | str], errors: frozenset[str] = frozenset()
) -> bytes:
    """Give formula cells (by reference, e.g. ``F2``) the result a spreadsheet app would save;
    openpyxl writes formulas without one. Cells in ``errors`` get an error result (#DIV/0!)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                text = data.decode()
                for ref, value in cached.items():
                    kind = ' t="str"' if isinstance(value, str) else ""
                    kind = ' t="e"' if ref in errors else kind
                    pattern = rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/></c>'
                    text, found = re.subn(
                        pattern, rf'<c r="{ref}"\1{kind}><f>\2</f><v>{value}</v></c>', text
                    )
                    assert found == 1, f"no formula cell {ref}"
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def fates(file: TableFile) -> list[Fate]:
    """What must become of each non-blank record, duplicate keys settled as the contract says."""
    key = CONTRACT[file.table].key[0]
    refusals: dict[int, Refusal | None] = {}
    rows: dict[int, Record] = {}
    for n, record in enumerate(file.records):
        if record.shape in ("blank_line", "empty_fields"):
            continue
        if record.shape in ("ok", "trailing_delimiter") and _blank(record_fields(file, record)):
            continue
        rows[n + 2] = record  # the header is row 1
        refusals[n + 2] = record.refusal
    groups: dict[Value, list[int]] = defaultdict(list)
    for row, record in rows.items():
        clean = record.refusal is None or record.refusal[1] == "time order"
        if record.shape in ("ok", "trailing_delimiter") and record.values is not None and clean:
            groups[record.values[key]].append(row)
    for members in groups.values():
        if len(members) < 2:
            continue
        first = rows[members[0]].values
        identical = all(rows[m].values == first for m in members)
        for m in members[1:] if identical else members:
            refusals[m] = refusals[m] or (key, "duplicate")
    return [Fate(row, None if refusals[row] else rows[row].values, refusals[row]) for row in rows]


# -- checking what ingestion did ------------------------------------------------------------------


def stored_rows(settings: Settings, table: str, label: str) -> dict[int, dict[str, Any]]:
    """Rows of ``table`` that came from file ``label``, by source row."""
    con = Warehouse(settings.warehouse_dir).connect()
    try:
        cursor = con.execute(f"SELECT * FROM {table} WHERE _source_file = ? AND NOT _stub", [label])
        names = [d[0] for d in cursor.description or []]
        found = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    by_row = {int(r["_source_row"]): r for r in found}
    assert len(by_row) == len(found), f"{label}: a source row is stored twice"
    return by_row


def rejected_rows(report: BatchReport, label: str) -> dict[int, list[tuple[Any, ...]]]:
    """Rejects of file ``label`` by row: (field, check, reason, column) per problem."""
    if not report.rejects_files:
        return {}
    parquet = next(p for p in report.rejects_files if p.suffix == ".parquet")
    found = duckdb.execute(
        'SELECT "row", field, "check", reason, "column" FROM read_parquet(?) WHERE file = ?',
        [str(parquet), label],
    ).fetchall()
    by_row: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row, *rest in found:
        by_row[int(row)].append(tuple(rest))
    return by_row


def check_batch(
    report: BatchReport,
    settings: Settings,
    files: list[tuple[Path, TableFile]],
    workbook: bool = False,
) -> tuple[int, int]:
    """Assert every good row is stored exactly and every bad one refused; (stored, refused).

    Every record is accounted for: stored + refused + blank == records in the file, where blank
    rows are counted in the batch's file record (a CSV's empty lines are skipped unnumbered
    there, a workbook's empty rows are counted).
    """
    total_good = total_bad = 0
    for path, file in files:
        label = str(path)
        expected = fates(file)
        blank = len(file.records) - len(expected)
        trailing = 0  # a sheet ends at its last row with a value; trailing empty rows may not count
        if workbook:
            last = max((f.row for f in expected), default=1)
            trailing = len(file.records) + 1 - last
        else:
            blank -= sum(1 for r in file.records if r.shape == "blank_line")
        [record] = [f for f in report.files if f.path == label]
        assert blank - trailing <= record.blank <= blank, f"{label}: {record.blank} blank rows"
        good = {f.row: f.stored for f in expected if f.refusal is None}
        bad = {f.row: f.refusal for f in expected if f.refusal is not None}
        stored = stored_rows(settings, file.table, label)
        assert sorted(stored) == sorted(good), f"{label}: stored rows differ from the good rows"
        for row, values in good.items():
            assert values is not None
            got = {c: stored[row][c] for c in CONTRACT[file.table].column_names}
            assert got == values, f"{label} row {row}: stored {got}, expected {values}"
        rejects = rejected_rows(report, label)
        assert sorted(rejects) == sorted(bad), f"{label}: refused rows differ from the bad rows"
        for row, refusal in bad.items():
            problems = rejects[row]
            assert all(reason for _, _, reason, _ in problems), f"{label} row {row}: no reason"
            assert refusal in {(f, c) for f, c, _, _ in problems}, (
                f"{label} row {row}: expected {refusal}, got {problems}"
            )
        assert len(good) + len(bad) == len(expected)
        total_good += len(good)
        total_bad += len(bad)
    assert report.rows_read == total_good + total_bad
    assert report.rejected_rows == total_bad
    return total_good, total_bad


def check_stubs(settings: Settings, orders: list[dict[str, Any]], sellers: set[str]) -> None:
    """Sellers the stored orders name but the batch did not bring are flagged stubs."""
    con = Warehouse(settings.warehouse_dir).connect()
    try:
        stubs = {r[0] for r in con.execute("SELECT seller_id FROM sellers WHERE _stub").fetchall()}
    finally:
        con.close()
    assert stubs == {str(o["seller_id"]) for o in orders} - sellers
