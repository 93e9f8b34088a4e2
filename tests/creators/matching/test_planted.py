"""On a world with a planted ground truth, the model finds the creators who will be new to
each product after the split at least twice as often as "the most active creators" does."""

from __future__ import annotations

import numpy as np

from pasar.creators.matching.evaluate import evaluate, time_split
from pasar.creators.matching.planted import Planted, PlantedConfig, generate


def test_the_model_beats_popularity_at_least_twice(planted: Planted) -> None:
    result = evaluate(planted.data, planted.split, k=20)
    assert result.products > 200 and result.test_pairs > result.products
    assert result.baseline.recall > 0
    assert result.model.recall >= 2 * result.baseline.recall, result
    assert result.model.ndcg >= 2 * result.baseline.ndcg, result
    assert result.ratio is not None and result.ratio >= 2


def test_the_planted_truth_drives_the_collaborations(planted: Planted) -> None:
    """New pairs after the split have a higher planted affinity than random pairs — the
    generator plants what the model is asked to find."""
    split = time_split(planted.data, planted.split)
    rng = np.random.default_rng(1)
    random_creators = rng.integers(0, 2000, 5000)
    random_products = rng.integers(0, 1000, 5000)
    found = planted.affinity(split.test_creators, split.test_products).mean()
    anyone = planted.affinity(random_creators, random_products).mean()
    assert found > anyone + 0.5


def test_the_same_config_makes_the_same_world() -> None:
    config = PlantedConfig(creators=300, products=150, seed=5)
    first, second = generate(config), generate(config)
    assert np.array_equal(first.data.events.at, second.data.events.at)
    assert np.array_equal(first.data.events.product, second.data.events.product)
    other = generate(PlantedConfig(creators=300, products=150, seed=6))
    assert not np.array_equal(first.data.events.creator[:100], other.data.events.creator[:100])
