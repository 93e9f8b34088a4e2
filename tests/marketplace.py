"""A generated marketplace (the ``small`` profile) in a warehouse: what tests of metrics,
creators and pages read, built once per test worker by the ``marketplace`` fixture."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

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


def build_marketplace(root: Path) -> Marketplace:
    """Generate the ``small`` profile under ``root`` and ingest it into a warehouse there."""
    synth = root / "synth"
    generate(load_profile("small"), synth)
    settings = Settings(home=root / "home")
    report = ingest(IngestRequest([synth], source="generic"), settings)
    assert report.status == "committed"
    warehouse = Warehouse(settings.warehouse_dir)
    return Marketplace(synth, warehouse, settings, engine.connect(warehouse), load_catalog())
