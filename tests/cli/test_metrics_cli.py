"""``pasar metrics`` end to end on a small warehouse: numbers checked against the rows."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from pasar.cli.main import main

ORDERS = (
    "order_id,seller_id,buyer_id,created_at,ship_by_at,shipped_at,status,gmv,province\n"
    # WIB times; as of 2026-10-10 the 7-day window is 10-04 .. 10-10 local
    "o1,s1,b1,2026-10-05 10:00:00,2026-10-06 10:00:00,2026-10-06 09:00:00,delivered,100000,Bali\n"
    "o2,s1,b2,2026-10-06 10:00:00,2026-10-07 10:00:00,2026-10-08 09:00:00,delivered,50000,Bali\n"
    "o3,s2,b3,2026-10-10 23:30:00,2026-10-11 23:30:00,,awaiting_shipment,25000,Aceh\n"
    "o4,s2,b4,2026-10-03 23:59:59,2026-10-04 10:00:00,2026-10-04 09:00:00,delivered,7000,Aceh\n"
    "o5,s2,b5,2026-10-11 00:00:00,2026-10-12 10:00:00,,awaiting_shipment,9000,Aceh\n"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def warehouse(pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    code, _, err = run(capsys, "ingest", str(path))
    assert code == 0, err
    return pasar_home


def test_validate_reports_the_shipped_catalog(
    pasar_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "metrics", "validate")
    assert code == 0
    assert "Catalog OK" in out and "6 entities" in out


def test_validate_lists_every_problem_with_file_and_line(
    pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "mine"
    bad.mkdir()
    (bad / "bad.yml").write_text(
        "metrics:\n"
        "  - name: broken_rate\n"
        "    entity: seller\n"
        "    type: simple\n"
        "    dataset: orders\n"
        "    agg: count\n"
        "    filter: shiped_at > created_at\n"
        "    window: 7days\n"
        "    description: broken on purpose\n"
        "  - name: other\n"
        "    entity: seller\n"
        "    type: simple\n"
        "    dataset: orderz\n"
        "    agg: count\n"
        "    description: unknown dataset\n"
    )
    code, _, err = run(capsys, "metrics", "validate", "--catalog", str(bad))
    assert code == 2
    assert f"{bad / 'bad.yml'}:8:" in err and "window" in err
    assert f"{bad / 'bad.yml'}:13:" in err and "did you mean orders?" in err
    assert "Traceback" not in err


def test_query_as_of_counts_local_days(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "metrics",
        "query",
        "orders_7d",
        "gmv_7d",
        "--by",
        "province",
        "--as-of",
        "2026-10-10",
        "--format",
        "json",
    )
    assert code == 0, err
    rows = {r["province"]: r for r in json.loads(out)}
    # o4 (10-03 23:59 WIB) is before the window, o5 (10-11 00:00 WIB) after it
    assert rows["Bali"]["orders_7d"] == 2 and rows["Bali"]["gmv_7d"] == 150000
    assert rows["Aceh"]["orders_7d"] == 1 and rows["Aceh"]["gmv_7d"] == 25000


def test_query_per_day_with_filter_to_xlsx_and_chart(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file, chart = tmp_path / "q.xlsx", tmp_path / "q.svg"
    code, _, err = run(
        capsys,
        "metrics",
        "query",
        "orders_7d",
        "--grain",
        "day",
        "--from",
        "2026-10-04",
        "--to",
        "2026-10-06",
        "--where",
        "province = 'Bali'",
        "--format",
        "xlsx",
        "--output",
        str(out_file),
        "--chart",
        str(chart),
    )
    assert code == 0, err
    sheet = load_workbook(out_file).active
    values = [tuple(c.value for c in row) for row in sheet.iter_rows(min_row=2)]
    assert [v[1] for v in values] == [0, 1, 2]  # Bali orders on 10-05 and 10-06
    assert chart.read_text().startswith("<?xml")


def test_query_refuses_unknown_metric_and_unsafe_filter(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "metrics", "query", "order_7d", "--as-of", "2026-10-10")
    assert code == 2 and "did you mean orders_7d?" in err
    code, _, err = run(
        capsys,
        "metrics",
        "query",
        "orders_7d",
        "--where",
        "1=1; DROP TABLE orders",
        "--as-of",
        "2026-10-10",
    )
    assert code == 2 and "one expression" in err


def test_snapshot_is_stored_by_date_and_reused(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "metrics", "snapshot", "seller", "--as-of", "2026-10-10")
    assert code == 0, err
    assert "1 computed" in out
    path = warehouse / "snapshots" / "seller" / "as_of=2026-10-10" / "snapshot.parquet"
    rows = {r["seller_id"]: r for r in pq.read_table(path).to_pylist()}
    assert rows["s1"]["orders_7d"] == 2 and rows["s2"]["orders_7d"] == 1
    assert rows["s1"]["late_dispatch_rate_7d"] is None  # below 10 orders due
    code, out, _ = run(capsys, "metrics", "snapshot", "seller", "--as-of", "2026-10-10")
    assert "0 computed, 1 already current" in out


def test_show_sql_per_dialect(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "metrics", "show-sql", "late_dispatch_rate_7d", "--dialect", "spark")
    assert code == 0
    assert "FILTER" in out and "TIMESTAMP" in out
    code, _, err = run(
        capsys, "metrics", "show-sql", "late_dispatch_rate_7d", "--dialect", "oracle"
    )
    assert code == 2 and "unknown dialect" in err
