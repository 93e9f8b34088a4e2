"""The warehouse store: empty views, atomic manifest commits, garbage collection, bad manifests."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pasar.kit.errors import InputError
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.store import GRACE_SECONDS, BatchRecord, Warehouse, stored_columns


def batch(batch_id: str) -> BatchRecord:
    now = datetime.now(UTC)
    return BatchRecord(
        batch_id=batch_id,
        source="test",
        started_at=now,
        finished_at=now,
        files=[],
        tables={},
        rejected_rows=0,
    )


def test_an_empty_warehouse_has_typed_empty_views(tmp_path: Path) -> None:
    con = Warehouse(tmp_path / "wh").connect()
    for table in CONTRACT:
        described = con.execute(f"DESCRIBE {table}").fetchall()
        assert tuple(row[0] for row in described) == stored_columns(table)
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
    types = {row[0]: row[1] for row in con.execute("DESCRIBE orders").fetchall()}
    assert types["gmv"] == "DECIMAL(18,2)"
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["_stub"] == "BOOLEAN"


def test_a_commit_publishes_segments_with_the_batch_log(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    con = duckdb.connect()
    with warehouse.writer() as writer:
        columns = ", ".join(
            f"NULL AS {c}" if c != "seller_id" else "'s1' AS seller_id"
            for c in stored_columns("sellers")
        )
        segment = writer.write_segment(con, "sellers", f"SELECT {columns}", "b1-n")
        assert segment is not None
        writer.replace_segments("sellers", set(), [segment])
        assert Warehouse(tmp_path / "wh").manifest().version == 0  # not visible before commit
        writer.commit(batch("b1"))
    manifest = warehouse.manifest()
    assert manifest.version == 1 and [b.batch_id for b in manifest.batches] == ["b1"]
    view = warehouse.connect()
    assert view.execute("SELECT seller_id FROM sellers").fetchall() == [("s1",)]


def test_unlisted_files_are_collected_after_the_grace_period(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    folder = tmp_path / "wh" / "orders"
    folder.mkdir(parents=True)
    old, fresh = folder / "killed-batch.parquet", folder / "running-reader.parquet"
    old.write_bytes(b"x")
    fresh.write_bytes(b"x")
    past = time.time() - GRACE_SECONDS - 5
    os.utime(old, (past, past))
    with warehouse.writer():
        pass
    assert not old.exists() and fresh.exists()


def test_a_damaged_manifest_is_named(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    root.mkdir()
    (root / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="manifest is unreadable") as caught:
        Warehouse(root).manifest()
    assert "manifest.json" in str(caught.value)
