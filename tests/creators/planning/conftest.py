"""One small generated marketplace for the planning tests, generated and ingested once per
session: a year of orders (Nov 2025 – Oct 2026) with the default sale calendar."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pasar.config import Settings
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile


@dataclass(frozen=True)
class Market:
    synth: Path  # the generated Parquet files
    home: Path  # PASAR_HOME with them ingested into the warehouse


@pytest.fixture(scope="session")
def market(tmp_path_factory: pytest.TempPathFactory) -> Market:
    root = tmp_path_factory.mktemp("planning")
    generate(load_profile("small"), root / "synth")
    settings = Settings(home=root / "home")
    report = ingest(IngestRequest([root / "synth"], source="generic"), settings)
    assert report.status == "committed"
    return Market(root / "synth", settings.home)
