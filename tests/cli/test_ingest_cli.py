"""``pasar ingest`` and ``pasar warehouse status`` end to end: tables of reasons, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pasar.cli.main import main

HEADER = "order_id,seller_id,buyer_id,created_at,status,gmv,channel\n"


def run(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def orders_csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(
        HEADER
        + 'o1,s1,b1,2026-10-01 10:00:00,delivered,"Rp 150.000",live\n'
        + "o2,s1,b2,2026-10-01 11:00:00,lost,150000,shop\n"
        + "o3,s1,b3,yesterday,delivered,150000,shop\n"
    )
    return path


def test_ingest_prints_changes_and_reasons(
    pasar_home: Path, orders_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run("ingest", str(orders_csv), capsys=capsys)
    assert code == 0, err
    assert "Warehouse changes" in out and "Refused rows by reason" in out
    assert "allowed values" in out and "created_at" in out
    assert "2 of 3 rows refused" in out
    rejects = sorted((pasar_home / "rejects").iterdir())
    assert [p.suffix for p in rejects] == [".csv", ".parquet"]
    code, out, _ = run("ingest", str(orders_csv), capsys=capsys)
    assert code == 0 and "Nothing to do" in out


def test_max_reject_rate_fails_with_exit_code_2(
    pasar_home: Path, orders_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run("ingest", str(orders_csv), "--max-reject-rate", "0.1", capsys=capsys)
    assert code == 2
    assert "nothing was stored" in err and "Refused rows by reason" in out
    assert not (pasar_home / "warehouse" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary\x00", "looks binary"),
        (b"order_id,seller_id\no1,s1\n", "column buyer_id: required column"),
    ],
)
def test_structural_problems_stop_with_one_line_naming_the_file(
    pasar_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    code, _, err = run("ingest", str(path), capsys=capsys)
    assert code == 2
    assert str(path) in err and message in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_source_and_missing_path_are_usage_errors(
    pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run("ingest", str(tmp_path / "nope.csv"), capsys=capsys)
    assert code == 2 and "no such file" in err
    path = tmp_path / "orders.csv"
    path.write_text(HEADER)
    code, _, err = run("ingest", str(path), "--source", "lazada", capsys=capsys)
    assert code == 2 and "unknown source 'lazada'" in err


def test_warehouse_status_shows_tables_batches_and_rejects(
    pasar_home: Path, orders_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("ingest", str(orders_csv), capsys=capsys)
    code, out, _ = run("warehouse", "status", capsys=capsys)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("│ orders")]
    assert lines and "│    1 │" in lines[0] and "2026-10-01" in lines[0]
    assert "Recent batches" in out and "generic" in out
    assert "2 rows refused in all" in out
