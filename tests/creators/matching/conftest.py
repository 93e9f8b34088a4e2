"""Worlds shared by the matching tests: a small planted world (hidden tastes known) and the
model of the generated ``small`` marketplace (the session's ``marketplace`` fixture)."""

from __future__ import annotations

import pytest

from pasar.creators.matching.cache import current_model
from pasar.creators.matching.model import MatchModel
from pasar.creators.matching.planted import Planted, PlantedConfig, generate
from tests.marketplace import Marketplace

SMALL_WORLD = PlantedConfig(creators=2000, products=1000, seed=7)


@pytest.fixture(scope="session")
def planted() -> Planted:
    """2,000 creators × 1,000 products over 180 days, the last 28 for the test."""
    return generate(SMALL_WORLD)


@pytest.fixture(scope="session")
def synth_model(marketplace: Marketplace) -> MatchModel:
    """The model of the generated marketplace as of its last day (fitted once)."""
    return current_model(marketplace.settings)
