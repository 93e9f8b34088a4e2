"""A generated marketplace in a warehouse, shared by the metric tests of one worker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pasar.config import Settings
from pasar.metrics.catalog import Catalog, load_catalog
from pasar.metrics.engines import duckdb as engine
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile


@dataclass
class Marketplace:
    """The ``small`` profile generated (``synth``: Parquet files) and ingested (``warehouse``)."""

    synth: Path
    warehouse: Warehouse
    settings: Settings
    con: duckdb.DuckDBPyConnection
    catalog: Catalog


@pytest.fixture(scope="session")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Marketplace]:
    root = tmp_path_factory.mktemp("marketplace")
    synth = root / "synth"
    generate(load_profile("small"), synth)
    settings = Settings(home=root / "home")
    report = ingest(IngestRequest([synth], source="generic"), settings)
    assert report.status == "committed"
    warehouse = Warehouse(settings.warehouse_dir)
    con = engine.connect(warehouse)
    yield Marketplace(synth, warehouse, settings, con, load_catalog())
    con.close()
