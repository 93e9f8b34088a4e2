"""Metric results out of Pasar: shown values, CSV, XLSX, JSON and charts.

Example:
    >>> show_value(0.05413, "percent")
    '5.4%'
    >>> show_value(1838725500, "money")
    'Rp 1,838,725,500'
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from pasar.kit.errors import ValidationError
from pasar.kit.money import format_money

FORMATS = ("table", "csv", "xlsx", "json")
MAX_SERIES = 12  # lines in one chart; more are unreadable


def show_value(value: Any, display: str, currency: str = "IDR") -> str:
    """A value as people read it: percentages, money, whole numbers, 2 decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if display == "percent":
        return f"{float(value):.1%}"
    if display == "money":
        return format_money(Decimal(str(value)).quantize(Decimal(1)), currency)
    if display == "integer":
        return f"{int(value):,}"
    if isinstance(value, float | Decimal):
        return f"{float(value):,.2f}"
    return str(value)


def write(table: pa.Table, path: Path, formats: Mapping[str, str]) -> None:
    """Write ``table`` to ``path`` as CSV, XLSX or JSON, chosen by its suffix."""
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        path.write_text(to_csv(table) + "\n", encoding="utf-8")
    elif suffix == ".json":
        path.write_text(to_json(table), encoding="utf-8")
    elif suffix == ".xlsx":
        write_xlsx(table, path, formats)
    else:
        raise ValidationError(f"cannot write {path.name}: use .csv, .xlsx or .json", field="output")


def to_csv(table: pa.Table) -> str:
    """Rows as CSV text with a header (no final line break)."""
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue().decode("utf-8").rstrip("\n")


def to_json(table: pa.Table) -> str:
    """Rows as a JSON array of objects; dates ISO, decimals as numbers."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        return value

    rows = [{k: plain(v) for k, v in row.items()} for row in table.to_pylist()]
    return json.dumps(rows, ensure_ascii=False, indent=1)


def write_xlsx(table: pa.Table, path: Path, formats: Mapping[str, str]) -> None:
    """An XLSX sheet with a bold header, frozen, and number formats per metric."""
    write_workbook({"metrics": table}, path, formats)


def write_workbook(sheets: Mapping[str, pa.Table], path: Path, formats: Mapping[str, str]) -> None:
    """An XLSX workbook, one sheet per table (bold frozen header, number formats by column)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    excel = {"percent": "0.0%", "money": "#,##0", "integer": "#,##0", "number": "#,##0.00"}
    book = Workbook()
    book.remove(book.active)
    for title, table in sheets.items():
        sheet = book.create_sheet(title[:31])
        sheet.append(table.column_names)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.to_pylist():
            sheet.append([_cell(v) for v in row.values()])
        for index, name in enumerate(table.column_names, start=1):
            number_format = excel.get(formats.get(name, ""))
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(12, len(name) + 2)
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = number_format
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def chart(table: pa.Table, metrics: list[str], path: Path, title: str) -> None:
    """A line chart over periods (one line per group) or a bar chart per group, as SVG/PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if path.suffix.lower() not in (".svg", ".png"):
        raise ValidationError(f"cannot draw {path.name}: use .svg or .png", field="chart")
    keys = [c for c in table.column_names if c not in metrics and c != "period"]
    rows = table.to_pylist()
    figure, axis = plt.subplots(figsize=(9, 4.5), layout="constrained")
    if "period" in table.column_names:
        series: dict[str, list[tuple[Any, float | None]]] = {}
        for row in rows:
            group = " / ".join(str(row[k]) for k in keys)
            for metric in metrics:
                label = f"{metric} {group}".strip() if len(metrics) > 1 or not group else group
                series.setdefault(label, []).append((row["period"], _number(row[metric])))
        for label, points in list(series.items())[:MAX_SERIES]:
            values = [math.nan if v is None else v for _, v in points]
            axis.plot([p for p, _ in points], values, marker="o", label=label)
        if len(series) > 1:
            axis.legend(fontsize="small")
    else:
        metric = metrics[0]
        labels = [" / ".join(str(row[k]) for k in keys) or metric for row in rows]
        axis.bar(labels, [_number(row[metric]) or 0 for row in rows])
        axis.tick_params(axis="x", labelrotation=60, labelsize="small")
        axis.set_ylabel(metric)
    axis.set_title(title, fontsize="medium")
    axis.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
