"""Tables of the console: what a page shows in a table also downloads as CSV or XLSX.

A page builds :class:`Table` objects and renders them with the ``_table.html`` macro; when the
request asks ``?download=<table name>&format=csv|xlsx`` the page answers with that table as a
file instead (same rows, same column order, headers in the user's language, raw values).

Example::

    columns = [Column("seller_id", "Seller", href="/sellers/{seller_id}"),
               Column("points", "Points", "int")]
    sellers = Table("sellers", "Sellers", columns, rows)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi.responses import Response

from pasar.console.formats import KINDS, show
from pasar.kit.errors import ValidationError

DOWNLOADS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_EXCEL_FORMATS = {"money": '"Rp" #,##0', "percent": "0.0%", "int": "#,##0", "number": "#,##0.00"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Column:
    """One column: the row key it shows, its header, how values read, an optional link."""

    key: str
    label: str
    kind: str = "text"
    href: str | None = None  # formatted with the row, e.g. "/sellers/{seller_id}"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: kind {self.kind!r} is not one of {KINDS}")

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "number", "money", "percent")

    def link(self, row: Mapping[str, Any]) -> str | None:
        return self.href.format(**row) if self.href else None


@dataclass
class Table:
    """Rows (dicts) under named columns, with the sentence shown when there are none."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    empty: str = "Nothing to show."
    note: str = ""
    per_page: int = 100
    page: int = 1  # set from ``?<name>_page=`` by the page showing it

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.rows) / self.per_page))

    @property
    def shown(self) -> Sequence[Mapping[str, Any]]:
        """The rows of the current page (a download has them all)."""
        start = (min(self.page, self.pages) - 1) * self.per_page
        return self.rows[start : start + self.per_page]

    def cell(self, row: Mapping[str, Any], column: Column, lang: str) -> str:
        return show(row.get(column.key), column.kind, lang)


def find(values: Mapping[str, Any], name: str) -> Table | None:
    """The table called ``name`` among a page's values (directly or inside a list)."""
    for value in values.values():
        candidates = value if isinstance(value, list | tuple) else [value]
        for candidate in candidates:
            if isinstance(candidate, Table) and candidate.name == name:
                return candidate
    return None


def turn_pages(values: Mapping[str, Any], query: Mapping[str, str]) -> None:
    """Set each table's page from ``?<name>_page=N`` (bad numbers read as the first page)."""
    for value in values.values():
        for candidate in value if isinstance(value, list | tuple) else [value]:
            if isinstance(candidate, Table):
                wanted = query.get(f"{candidate.name}_page", "1")
                candidate.page = int(wanted) if wanted.isdigit() and int(wanted) > 0 else 1


def download(table: Table, form: str, translate: Callable[[str], str] = str) -> Response:
    """``table`` as a CSV or XLSX attachment named after it and today's date."""
    if form not in DOWNLOADS:
        raise ValidationError(f"cannot download as {form!r}: use csv or xlsx", field="format")
    headers = [translate(c.label) for c in table.columns]
    rows = [[_raw(row.get(c.key)) for c in table.columns] for row in table.rows]
    body = _csv(headers, rows) if form == "csv" else _xlsx(table, headers, rows)
    filename = f"{_SAFE_NAME.sub('-', table.name)}-{dt.date.today():%Y%m%d}.{form}"
    return Response(
        body,
        media_type=DOWNLOADS[form],
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _raw(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    sink = io.StringIO()
    writer = csv.writer(sink)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else _defuse(v) for v in row])
    return ("\ufeff" + sink.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def _defuse(value: Any) -> Any:
    """Text starting like a formula is quoted so a spreadsheet shows it instead of running it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _xlsx(table: Table, headers: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    sheet.title = _SAFE_NAME.sub(" ", table.title)[:31] or "table"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_defuse(v) if isinstance(v, str) else v for v in row])
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(60, len(headers[index - 1]) + 4))
        number_format = _EXCEL_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    sink = io.BytesIO()
    book.save(sink)
    return sink.getvalue()
