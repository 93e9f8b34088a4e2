"""Malformed ingestion inputs: every layout the ingester accepts, spoiled one way at a time.

A :class:`Layout` is a good export (the real Olist files, the real Shopee sample, TikTok Shop
exports built like the connector tests build them, generic contract-named files) held as a
grid of cells, with the row a mutation spoils (the *victim*: one order on one line) and the
columns each kind of mutation aims at. A :class:`Mutation` turns a layout into the files of one
case and says what the contract promises for it (:class:`Outcome`): the rows stored exactly as
from the good export, the victim row refused naming its row, column and reason, or the whole
file refused naming the file (and the column). :func:`cases` crosses every mutation with every
layout it applies to.

Nothing here is a stored fixture: the cases are generated from ``../shared/data`` and from code.

Example:
    >>> [m.name for m in MUTATIONS][:3]
    ['utf8-bom', 'utf16', 'latin1']
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

import openpyxl
from python_calamine import CalamineWorkbook

from tests.warehouse.connectors.test_tiktok import ID, LINES, US, record

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
OLIST = DATA / "olist"
SHOPEE_SAMPLE = DATA / "formats" / "shopee_my_order_export_sample.xlsx"

Cell = str | float | int | dt.datetime | None
Format = Literal["csv", "xlsx"]


# -- good exports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A file's header and rows as cells (text for CSV; numbers and times may stay typed)."""

    header: list[str]
    rows: list[list[Cell]]

    def column(self, name: str) -> int:
        return self.header.index(name)

    def with_cell(self, row: int, column: str, value: Cell) -> Grid:
        rows = [list(r) for r in self.rows]
        rows[row][self.column(column)] = value
        return Grid(list(self.header), rows)


@dataclass(frozen=True)
class Aim:
    """A column a mutation aims at: its header in the file and the contract field it feeds."""

    header: str
    field: str


@dataclass(frozen=True)
class Layout:
    """A good export of one kind, ready to be spoiled.

    ``target`` is the file mutations change (inside ``folder`` when the export is a folder of
    files, e.g. Olist); the victim is the last row of the target, an order with one line, so
    that refusing it leaves every other row as it was. ``zone`` is the time zone the export's
    times are read in.
    """

    name: str
    source: str
    fmt: Format
    target: str
    grid: Grid
    table: str  # the contract table the target's rows feed (where the victim is looked for)
    zone: ZoneInfo
    seller: str | None = None
    folder: str | None = None  # the export is this folder (the target and ``others`` in it)
    others: dict[str, bytes] = field(default_factory=dict)
    key: Aim | None = None  # the row's key
    time: Aim | None = None  # a required time (the order's creation)
    late_time: Aim | None = None  # a time that may lie in the future
    amount: Aim | None = None  # an amount
    status: Aim | None = None
    text: Aim | None = None  # free text stored as written
    amount_effect: Callable[[Decimal], Decimal] = lambda value: value  # amount cell -> field
    needs_items: bool = False  # the victim's line is in another file (Olist orders)

    @property
    def victim(self) -> int:
        """Index of the victim in ``grid.rows``."""
        return len(self.grid.rows) - 1

    @property
    def victim_row(self) -> int:
        """The victim's row number as a spreadsheet shows it (the header is row 1)."""
        return self.victim + 2

    def paths(self, root: Path) -> tuple[Path, Path]:
        """(what to ingest, the target file) for an export written under ``root``."""
        base = root / self.folder if self.folder else root
        return base, base / self.target


def _generic_orders(fmt: Format) -> Layout:
    header = [
        "order_id", "seller_id", "buyer_id", "created_at", "paid_at", "shipped_at",
        "delivered_at", "status", "gmv", "channel", "cancel_reason", "province",
    ]  # fmt: skip
    rows: list[list[Cell]] = []
    for n in range(1, 7):
        created = dt.datetime(2026, 3, n, 9, 30)
        times: list[Cell] = [
            created + dt.timedelta(minutes=5),
            created + dt.timedelta(hours=20),
            created + dt.timedelta(days=3),
        ]
        when: Cell = created
        gmv: Cell = 125_000.0 * n
        if fmt == "csv":
            when = created.strftime("%Y-%m-%d %H:%M:%S")
            times = [t.strftime("%Y-%m-%d %H:%M:%S") for t in times if isinstance(t, dt.datetime)]
            gmv = f"{125_000 * n}"
        ids = [f"ORD-{n}", f"S{n % 3 + 1}", f"buyer-{n}"]
        rows.append([*ids, when, *times, "delivered", gmv, "live", "", "Jawa Barat"])
    return Layout(
        name=f"generic-orders-{fmt}",
        source="generic",
        fmt=fmt,
        target=f"orders.{fmt}",
        grid=Grid(header, rows),
        table="orders",
        zone=ZoneInfo("Asia/Jakarta"),
        key=Aim("order_id", "order_id"),
        time=Aim("created_at", "created_at"),
        late_time=Aim("delivered_at", "delivered_at"),
        amount=Aim("gmv", "gmv"),
        status=Aim("status", "status"),
        text=Aim("province", "province"),
    )


def _csv_grid(data: bytes) -> Grid:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return Grid(rows[0], [list[Cell](r) for r in rows[1:]])


def _csv_text(grid: Grid) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([grid.header, *grid.rows])
    return out.getvalue().encode()


@cache
def _olist_export() -> tuple[Grid, Grid, dict[str, bytes]]:
    """A slice of the real Olist files: ten delivered one-item orders, every join kept.

    (orders, order items, the other files of the folder).
    """
    subset = OLIST / "orders_2017_10k"
    orders = _csv_grid((subset / "orders.csv").read_bytes())
    items = _csv_grid((subset / "order_items.csv").read_bytes())
    count: dict[Cell, int] = {}
    for item in items.rows:
        count[item[0]] = count.get(item[0], 0) + 1
    status, times = orders.column("order_status"), range(3, 8)
    chosen = [
        o
        for o in orders.rows
        if count.get(o[0]) == 1 and o[status] == "delivered" and all(o[t] for t in times)
    ][:10]
    items = _rows_named(items, chosen, 0)
    # the rows of each other file whose key (its first column) a chosen order or item names:
    # (file, the rows naming them, the column that names them)
    joins = [
        (subset / "customers.csv", chosen, 1),
        (subset / "products.csv", items.rows, 2),
        (OLIST / "olist_sellers_dataset.csv", items.rows, 3),
    ]
    others = {
        path.name: _csv_text(_rows_named(_csv_grid(path.read_bytes()), naming, at))
        for path, naming, at in joins
    }
    translation = subset / "product_category_name_translation.csv"
    others[translation.name] = translation.read_bytes()
    return Grid(orders.header, chosen), items, others


def _rows_named(grid: Grid, naming: list[list[Cell]], at: int) -> Grid:
    """The rows of ``grid`` whose first cell is the cell ``at`` of a row of ``naming``."""
    keys = {row[at] for row in naming}
    return Grid(grid.header, [row for row in grid.rows if row[0] in keys])


def _olist(target: Literal["orders", "order_items"]) -> Layout:
    orders, items, others = _olist_export()
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    if target == "orders":
        return Layout(
            name="olist-orders-csv",
            source="olist",
            fmt="csv",
            target="orders.csv",
            grid=orders,
            table="orders",
            zone=sao_paulo,
            folder="olist",
            others={**others, "order_items.csv": _csv_text(items)},
            key=Aim("order_id", "order_id"),
            time=Aim("order_purchase_timestamp", "created_at"),
            late_time=Aim("order_estimated_delivery_date", "estimated_delivery_at"),
            status=Aim("order_status", "status"),
            needs_items=True,
        )
    # the items in the order of the orders, so that the last item is the last order's
    position = {o[0]: n for n, o in enumerate(orders.rows)}
    items = Grid(items.header, sorted(items.rows, key=lambda i: position[i[0]]))
    return Layout(
        name="olist-items-csv",
        source="olist",
        fmt="csv",
        target="order_items.csv",
        grid=items,
        table="order_items",
        zone=sao_paulo,
        folder="olist",
        others={**others, "orders.csv": _csv_text(orders)},
        key=Aim("order_id", "order_id"),
        time=Aim("shipping_limit_date", "ship_by_at"),
        amount=Aim("price", "unit_price"),
    )


def _tiktok(fmt: Format) -> Layout:
    layout = US if fmt == "csv" else ID
    victim = next(line for line in LINES if line.order == "576002")  # one line, in transit
    lines = [*(line for line in LINES if line is not victim), victim]
    typed = fmt == "xlsx"
    rows: list[list[Cell]] = []
    for line in lines:
        cells = record(line, layout, typed)
        rows.append([_cell(cells.get(c, "")) for c in layout.columns])
    return Layout(
        name=f"tiktok-{layout.name}-{fmt}",
        source="tiktok-shop",
        fmt=fmt,
        target=f"tiktok_orders.{fmt}",
        grid=Grid(list(layout.columns), rows),
        table="orders",
        zone=ZoneInfo("Asia/Jakarta"),  # the connector's default: no --source-tz is given
        seller="shop-1",
        key=Aim("Order ID", "order_id"),
        time=Aim("Created Time", "created_at"),
        late_time=Aim("Delivered Time", "delivered_at"),
        amount=Aim("SKU Subtotal Before Discount", "gmv"),
        status=Aim("Order Status", "status"),
        text=Aim("Buyer Username", "buyer_id"),
        amount_effect=lambda value: value - victim.discount,
    )


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | float | int | dt.datetime):
        return value
    return str(value)


@cache
def _shopee_sample() -> Grid:
    """The real Shopee sample's only sheet, cells as calamine reads them."""
    book = CalamineWorkbook.from_path(str(SHOPEE_SAMPLE))
    cells = book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False)
    return Grid([str(c) for c in cells[0]], [[_cell(c) for c in row] for row in cells[1:]])


def _shopee(fmt: Format) -> Layout:
    grid = _shopee_sample()
    if fmt == "csv":  # the same export saved as CSV: every cell as the sheet shows it
        grid = Grid(grid.header, [[_shown(c) for c in row] for row in grid.rows])
    return Layout(
        name=f"shopee-sample-{fmt}",
        source="shopee",
        fmt=fmt,
        target=f"Order.all.20241209_20241215.{fmt}",
        grid=grid,
        table="orders",
        zone=ZoneInfo("Asia/Jakarta"),  # the connector's default: no --source-tz is given
        seller="my-shop",
        key=Aim("Order ID", "order_id"),
        time=Aim("Order Creation Date", "created_at"),
        late_time=Aim("Order Complete Time", "delivered_at"),
        amount=Aim("Product Subtotal", "gmv"),
        status=Aim("Order Status", "status"),
        text=Aim("Province", "province"),
    )


def _shown(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def layouts() -> list[Layout]:
    """Every layout of the corpus, the cheapest (generic CSV, run in the fast suite) first."""
    return [
        _generic_orders("csv"),
        _generic_orders("xlsx"),
        _olist("orders"),
        _olist("order_items"),
        _tiktok("csv"),
        _tiktok("xlsx"),
        _shopee("xlsx"),
        _shopee("csv"),
    ]


# -- writing a case's files ---------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """How a grid is written as CSV."""

    delimiter: str = ","
    newline: str = "\n"
    quote_all: bool = False
    encoding: str = "utf-8"
    bom: bool = False


def render_csv(grid: Grid, dialect: Dialect = Dialect()) -> bytes:
    """The grid as CSV bytes in ``dialect``."""
    out = io.StringIO(newline="")
    writer = csv.writer(
        out,
        delimiter=dialect.delimiter,
        lineterminator=dialect.newline,
        quoting=csv.QUOTE_ALL if dialect.quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerows([grid.header, *[[_shown(c) for c in row] for row in grid.rows]])
    data = out.getvalue().encode(dialect.encoding)
    return (b"\xef\xbb\xbf" if dialect.bom else b"") + data


def render_xlsx(grid: Grid) -> bytes:
    """The grid as a workbook: text, numbers and times as cells of those kinds."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [grid.header, *grid.rows]:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(layout: Layout, grid: Grid) -> bytes:
    return render_csv(grid) if layout.fmt == "csv" else render_xlsx(grid)


def _raw_lines(grid: Grid) -> list[str]:
    """The CSV text of a grid, line by line (header first), to edit records as text."""
    return render_csv(grid).decode().split("\n")[:-1]


# -- what a case must come to ---------------------------------------------------------------------


@dataclass(frozen=True)
class Accept:
    """Every row stored exactly as from the good export (``changed``: but for the victim's
    field, which holds this value)."""

    changed: tuple[str, object] | None = None


@dataclass(frozen=True)
class RefuseRow:
    """The victim row refused: a reject naming the target, the row, ``column`` as the file
    calls it (``None``: the whole record) and a reason with one of ``words``; the other rows
    stored exactly as from the good export."""

    column: str | None
    words: tuple[str, ...]


@dataclass(frozen=True)
class RefuseFile:
    """The batch refused with the project's ``InputError`` naming the file (and ``column``, as
    the contract or the export calls it), a reason with one of ``words``; nothing stored."""

    words: tuple[str, ...]
    column: str | None = None
    file: str | None = None  # the file named, when it is not the target (e.g. a folder)


@dataclass(frozen=True)
class StoreNothing:
    """No row of the target stored, nothing refused of it, no error (a header-only file)."""


Outcome = Accept | RefuseRow | RefuseFile | StoreNothing


@dataclass(frozen=True)
class Case:
    """One hostile input: the files to write (relative to the case's folder) and its fate."""

    layout: Layout
    mutation: str
    files: dict[str, bytes | None]  # None: a folder of that name
    outcome: Outcome
    heavy: bool = False

    @property
    def id(self) -> str:
        return f"{self.layout.name}:{self.mutation}"


@dataclass(frozen=True)
class Mutation:
    """A way to spoil a good export: ``make`` gives the target's new content and the outcome
    (``None`` when the mutation does not apply to the layout)."""

    name: str
    make: Callable[[Layout], tuple[bytes | None, Outcome] | None]
    heavy: bool = False


AimName = Literal["key", "time", "late_time", "amount", "status", "text"]


class CellValue(NamedTuple):
    """A mutation writing ``value`` into the victim's cell of the column the layout's ``aim``
    names (none for a layout without that column); ``outcome`` says what must come of it."""

    name: str
    aim: AimName
    value: Cell | Callable[[Layout], Cell]
    outcome: Callable[[Layout, Aim], Outcome]
    heavy: bool = False


def _on_cell(cell: CellValue) -> Mutation:
    """The mutation of a :class:`CellValue`."""

    def make(layout: Layout) -> tuple[bytes | None, Outcome] | None:
        column: Aim | None = getattr(layout, cell.aim)
        if column is None:
            return None
        written = cell.value(layout) if callable(cell.value) else cell.value
        grid = layout.grid.with_cell(layout.victim, column.header, written)
        return render(layout, grid), cell.outcome(layout, column)

    return Mutation(cell.name, make, cell.heavy)


def _csv_only(
    make: Callable[[Layout], tuple[bytes | None, Outcome] | None],
) -> Callable[[Layout], tuple[bytes | None, Outcome] | None]:
    return lambda layout: make(layout) if layout.fmt == "csv" else None


def _dialect(dialect: Dialect) -> Callable[[Layout], tuple[bytes | None, Outcome] | None]:
    return _csv_only(lambda layout: (render_csv(layout.grid, dialect), Accept()))


def _latin1(layout: Layout) -> tuple[bytes | None, Outcome] | None:
    if layout.fmt != "csv" or layout.text is None:
        return None
    value = "Café Ñusantara à São Paulo"
    grid = layout.grid.with_cell(layout.victim, layout.text.header, value)
    return render_csv(grid, Dialect(encoding="latin-1")), Accept((layout.text.field, value))


def _text_lines(
    edit: Callable[[list[str], Layout], list[str]], outcome: Outcome
) -> Callable[[Layout], tuple[bytes | None, Outcome] | None]:
    """A CSV mutation editing the file's lines as text."""

    def make(layout: Layout) -> tuple[bytes | None, Outcome] | None:
        if layout.fmt != "csv":
            return None
        lines = edit(_raw_lines(layout.grid), layout)
        return ("\n".join(lines) + "\n").encode(), outcome

    return make


def _truncated(lines: list[str], layout: Layout) -> list[str]:
    """The file cut off in the middle of its last record (after its third field)."""
    last = lines[-1]
    cut = [n for n, ch in enumerate(last) if ch == ","][2]
    return [*lines[:-1], last[:cut]]


def _open_quote(lines: list[str], layout: Layout) -> list[str]:
    last = lines[-1]
    return [*lines[:-1], last + ',"no closing quote']


def _extra_field(lines: list[str], layout: Layout) -> list[str]:
    return [*lines[:-1], lines[-1] + ",surplus"]


def _missing_field(lines: list[str], layout: Layout) -> list[str]:
    last = lines[-1]
    return [*lines[:-1], last[: last.rindex(",")]]


def _blank_lines(lines: list[str], layout: Layout) -> list[str]:
    spaced = [lines[0]]
    for line in lines[1:]:
        spaced += ["", line]
    return spaced


def _with_header(
    change: Callable[[Grid, Layout], Grid | None], outcome: Callable[[Layout], Outcome]
) -> Callable[[Layout], tuple[bytes | None, Outcome] | None]:
    """A mutation of the header (and the columns under it)."""

    def make(layout: Layout) -> tuple[bytes | None, Outcome] | None:
        grid = change(layout.grid, layout)
        return None if grid is None else (render(layout, grid), outcome(layout))

    return make


def _extra_column(grid: Grid, layout: Layout) -> Grid:
    return Grid([*grid.header, "Catatan internal"], [[*r, "lihat chat"] for r in grid.rows])


def _drop_column(grid: Grid, layout: Layout) -> Grid | None:
    if layout.time is None:
        return None
    at = grid.column(layout.time.header)
    return Grid(
        [h for n, h in enumerate(grid.header) if n != at],
        [[c for n, c in enumerate(r) if n != at] for r in grid.rows],
    )


def _rename_column(grid: Grid, layout: Layout) -> Grid | None:
    if layout.time is None:
        return None
    header = list(grid.header)
    header[grid.column(layout.time.header)] = "Purchase moment"
    return Grid(header, grid.rows)


def _duplicate_column(grid: Grid, layout: Layout) -> Grid | None:
    """The status column twice; the copy (which the ingester ignores) holds nonsense."""
    if layout.status is None:
        return None
    at = grid.column(layout.status.header)
    return Grid([*grid.header, grid.header[at]], [[*r, "not a status at all"] for r in grid.rows])


def _missing_column(layout: Layout) -> Outcome:
    assert layout.time is not None
    column = layout.time.field if layout.source == "generic" else layout.time.header
    return RefuseFile(("missing",), column=column)


def _duplicate_key(conflict: bool) -> Callable[[Layout], tuple[bytes | None, Outcome] | None]:
    """The victim row twice: an exact copy (kept once) or a copy with another status."""

    def make(layout: Layout) -> tuple[bytes | None, Outcome] | None:
        # exports of SKU lines repeat the order on every line: a copy is one more line
        if layout.source in ("tiktok-shop", "shopee") or layout.key is None:
            return None
        copy = list(layout.grid.rows[layout.victim])
        if conflict:
            aim = layout.status or layout.amount or layout.time
            assert aim is not None
            copy[layout.grid.column(aim.header)] = {
                "status": "cancelled" if layout.source == "generic" else "canceled",
                "gmv": "1",
                "unit_price": "1",
                "ship_by_at": "2017-01-01 00:00:00",
            }.get(aim.field, "1")
        grid = Grid(layout.grid.header, [*layout.grid.rows, copy])
        if not conflict:
            return render(layout, grid), Accept()
        return render(layout, grid), RefuseRow(None, ("appears on rows",))

    return make


def _png(layout: Layout) -> tuple[bytes | None, Outcome]:
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + bytes(13) + b"\x00" * 64
    if layout.fmt == "xlsx":
        return png, RefuseFile(("not a readable XLSX",))
    return png, RefuseFile(("binary",))


def _json(layout: Layout) -> tuple[bytes | None, Outcome]:
    """A JSON export saved under the target's name."""
    records = [dict(zip(layout.grid.header, map(_shown, r), strict=True)) for r in layout.grid.rows]
    data = json.dumps(records).encode()
    if layout.fmt == "xlsx":
        return data, RefuseFile(("not a readable XLSX",))
    return data, RefuseFile(("missing",))


def _truncated_xlsx(layout: Layout) -> tuple[bytes | None, Outcome] | None:
    if layout.fmt != "xlsx":
        return None
    data = render_xlsx(layout.grid)
    return data[: len(data) // 2], RefuseFile(("not a readable XLSX",))


def _inflated_xlsx(layout: Layout) -> tuple[bytes | None, Outcome] | None:
    """A small workbook whose sheet inflates to ~200 MB: the victim's text cell holds 64 MiB."""
    if layout.fmt != "xlsx" or layout.text is None:
        return None
    marker = "INFLATE-ME"
    grid = layout.grid.with_cell(layout.victim, layout.text.header, marker)
    source = zipfile.ZipFile(io.BytesIO(render_xlsx(grid)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if marker.encode() in data:
                data = data.replace(marker.encode(), b"A" * (64 << 20))
            target.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    assert len(out.getvalue()) < 1 << 20, "the bomb must stay small on disk"
    return out.getvalue(), RefuseRow(layout.text.header, ("longer than",))


def _formula(layout: Layout) -> tuple[bytes | None, Outcome] | None:
    """Formula injection in a text cell: text in a CSV (kept as written), a formula saved
    without its result in a workbook (its row refused)."""
    if layout.text is None:
        return None
    value = "=cmd|' /C calc'!A0"
    grid = layout.grid.with_cell(layout.victim, layout.text.header, value)
    if layout.fmt == "csv":
        return render_csv(grid), Accept((layout.text.field, value))
    return render_xlsx(grid), RefuseRow(None, ("formula saved without its result",))


def _nul(layout: Layout) -> tuple[bytes | None, Outcome] | None:
    if layout.fmt != "csv":
        return None
    aim = layout.text or layout.key
    assert aim is not None
    grid = layout.grid.with_cell(layout.victim, aim.header, "a\x00b")
    return render_csv(grid), RefuseFile(("binary",))


def _empty(layout: Layout) -> tuple[bytes | None, Outcome]:
    if layout.fmt == "xlsx":
        return b"", RefuseFile(("not a readable XLSX",))
    return b"", RefuseFile(("empty",))


def _header_only(layout: Layout) -> tuple[bytes | None, Outcome] | None:
    if layout.needs_items or layout.source == "olist":
        return None  # the other files of the folder refer to these rows: see test_olist
    return render(layout, Grid(layout.grid.header, [])), StoreNothing()


def _empty_sheet(layout: Layout) -> tuple[bytes | None, Outcome] | None:
    if layout.fmt != "xlsx":
        return None
    book = openpyxl.Workbook()
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), RefuseFile(("no data",))


def _directory(layout: Layout) -> tuple[bytes | None, Outcome] | None:
    """A folder where the export should be (empty, named like the file)."""
    if layout.folder:
        return None
    return None, RefuseFile(("no file this source",), file="")


def _spaces(layout: Layout) -> tuple[bytes | None, Outcome] | None:
    """Every cell of the victim row holds only spaces (a workbook cell cannot: openpyxl writes
    it without ``xml:space``, so it reads as empty)."""
    if layout.fmt != "csv":
        return None
    rows = [list(r) for r in layout.grid.rows]
    rows[layout.victim] = ["   " for _ in rows[layout.victim]]
    return render(layout, Grid(layout.grid.header, rows)), RefuseRow(None, ("required",))


def _future(layout: Layout) -> Cell:
    return "2099-06-30 12:00:00"


def _future_value(layout: Layout, aim: Aim) -> Outcome:
    moment = dt.datetime(2099, 6, 30, 12, tzinfo=layout.zone).astimezone(dt.UTC)
    return Accept((aim.field, moment))


def _amount_value(value: str) -> Callable[[Layout, Aim], Outcome]:
    def outcome(layout: Layout, aim: Aim) -> Outcome:
        return Accept((aim.field, layout.amount_effect(Decimal(value))))

    return outcome


def _refuse(*words: str) -> Callable[[Layout, Aim], Outcome]:
    return lambda layout, aim: RefuseRow(aim.header, words)


def _verbatim(layout: Layout, aim: Aim) -> Outcome:
    return Accept((aim.field, "'); DROP TABLE orders; --"))


def _formula_amount(layout: Layout, aim: Aim) -> Outcome:
    """``=1+1``: text that is not an amount in a CSV, a formula without its result in a
    workbook (openpyxl writes text starting with ``=`` as a formula)."""
    if layout.fmt == "xlsx":
        return RefuseRow(None, ("formula saved without its result",))
    return RefuseRow(aim.header, NOT_AN_AMOUNT)


NOT_A_TIME = ("not a time", "time")
NOT_AN_AMOUNT = ("not an amount", "amount")

# values in a cell: (name, the column, the value, what must come of it[, heavy])
CELL_VALUES = [
    CellValue("feb-30", "time", "2026-02-30 10:00:00", _refuse(*NOT_A_TIME)),
    CellValue("month-31", "time", "31/31/2026", _refuse(*NOT_A_TIME)),
    CellValue("future-date", "late_time", _future, _future_value),
    CellValue("year-2150", "time", "2150-01-01 00:00:00", _refuse("outside")),
    CellValue("negative-amount", "amount", "-5", _refuse("minimum")),
    CellValue("nan-amount", "amount", "NaN", _refuse(*NOT_AN_AMOUNT)),
    CellValue("inf-amount", "amount", "inf", _refuse(*NOT_AN_AMOUNT)),
    CellValue("thousands-en", "amount", "1,234,567.50", _amount_value("1234567.50")),
    CellValue("thousands-id", "amount", "1.234.567,50", _amount_value("1234567.50")),
    CellValue("formula-amount", "amount", "=1+1", _formula_amount),
    CellValue("unknown-status", "status", "Teleported", _refuse("not one of")),
    CellValue("empty-key", "key", "", _refuse("required")),
    CellValue("long-field", "text", "x" * 100_000, _refuse("longer than")),
    CellValue("huge-field", "text", "z" * 9_000_000, _refuse("longer than"), heavy=True),
    CellValue("sql-in-text", "text", "'); DROP TABLE orders; --", _verbatim),
]

MUTATIONS: list[Mutation] = [
    # encodings, byte order marks, line ends, delimiters, quoting
    Mutation("utf8-bom", _dialect(Dialect(bom=True))),
    Mutation("utf16", _dialect(Dialect(encoding="utf-16"))),
    Mutation("latin1", _latin1),
    Mutation("crlf", _dialect(Dialect(newline="\r\n"))),
    Mutation("cr-only", _dialect(Dialect(newline="\r"))),
    Mutation("semicolon", _dialect(Dialect(delimiter=";"))),
    Mutation("tab", _dialect(Dialect(delimiter="\t"))),
    Mutation("quote-all", _dialect(Dialect(quote_all=True))),
    Mutation("utf16-tab-crlf", _dialect(Dialect("\t", "\r\n", encoding="utf-16"))),
    Mutation("blank-lines", _text_lines(_blank_lines, Accept())),
    # broken records
    Mutation("truncated", _text_lines(_truncated, RefuseRow(None, ("fewer fields",)))),
    Mutation("unterminated-quote", _text_lines(_open_quote, RefuseRow(None, ("quote",)))),
    Mutation("extra-field", _text_lines(_extra_field, RefuseRow(None, ("more fields",)))),
    Mutation("missing-field", _text_lines(_missing_field, RefuseRow(None, ("fewer fields",)))),
    Mutation("nul-byte", _nul),
    Mutation("spaces-only-row", _spaces),
    # the header
    Mutation("extra-column", _with_header(_extra_column, lambda layout: Accept())),
    Mutation("missing-column", _with_header(_drop_column, _missing_column)),
    Mutation("renamed-header", _with_header(_rename_column, _missing_column)),
    Mutation("duplicated-header", _with_header(_duplicate_column, lambda layout: Accept())),
    # not an export at all
    Mutation("empty-file", _empty),
    Mutation("header-only", _header_only),
    Mutation("png-as-export", _png),
    Mutation("json-as-export", _json),
    Mutation("directory-as-export", _directory),
    Mutation("truncated-xlsx", _truncated_xlsx),
    Mutation("empty-workbook", _empty_sheet),
    Mutation("zip-bomb-xlsx", _inflated_xlsx, heavy=True),
    # values
    *(_on_cell(cell) for cell in CELL_VALUES),
    Mutation("formula-injection", _formula),
    Mutation("duplicate-key-exact", _duplicate_key(conflict=False)),
    Mutation("duplicate-key-conflict", _duplicate_key(conflict=True)),
]


def cases(layout: Layout, heavy: bool | None = None) -> list[Case]:
    """Every mutation that applies to ``layout`` as a case (only the heavy ones, 9 MB fields
    and zip bombs, or only the others, when ``heavy`` says so)."""
    found = []
    for mutation in MUTATIONS:
        if heavy is not None and mutation.heavy != heavy:
            continue
        made = mutation.make(layout)
        if made is None:
            continue
        data, outcome = made
        found.append(Case(layout, mutation.name, {layout.target: data}, outcome, mutation.heavy))
    return found


def good_files(layout: Layout) -> dict[str, bytes | None]:
    """The good export's files: the target and the rest of its folder."""
    return {layout.target: render(layout, layout.grid), **layout.others}


def write_case(root: Path, layout: Layout, files: dict[str, bytes | None]) -> tuple[Path, Path]:
    """Write the export (the good one's other files, then ``files``) under ``root``; return
    (what to ingest, the target file)."""
    ingest_path, target = layout.paths(root)
    base = target.parent
    base.mkdir(parents=True, exist_ok=True)
    for name, data in {**layout.others, **files}.items():
        if data is None:
            (base / name).mkdir()
        else:
            (base / name).write_bytes(data)
    return (ingest_path if layout.folder else target), target


__all__ = [
    "CELL_VALUES",
    "MUTATIONS",
    "Accept",
    "Case",
    "Layout",
    "RefuseFile",
    "RefuseRow",
    "StoreNothing",
    "cases",
    "good_files",
    "layouts",
    "write_case",
]
