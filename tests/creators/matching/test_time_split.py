"""The time split does not leak: a model fitted for split T on all the data is the same model
as one fitted on the data with everything from T on deleted, and the test pairs are new pairs
whose first event is at or after T."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from pasar.creators.matching.evaluate import evaluate, time_split
from pasar.creators.matching.interactions import MatchingData, Stream, day_start
from pasar.creators.matching.model import ModelConfig, fit
from pasar.creators.matching.planted import Planted, PlantedConfig, generate


@pytest.fixture(scope="module")
def little() -> Planted:
    return generate(PlantedConfig(creators=800, products=400, seed=3))


def _before(data: MatchingData, cutoff: int) -> MatchingData:
    """``data`` without anything that happened at or after ``cutoff``."""

    def stream(s: Stream) -> Stream:
        keep = s.at < cutoff
        return Stream(s.subject[keep], s.at[keep], s.value[keep])

    return replace(
        data,
        events=data.events.select(data.events.at < cutoff),
        sales=stream(data.sales),
        exposure=stream(data.exposure),
        buyers=stream(data.buyers),
    )


def test_nothing_after_the_split_reaches_the_model(little: Planted) -> None:
    data, split = little.data, little.split
    cutoff = day_start(split, data.zone)
    assert (data.events.at >= cutoff).sum() > 1000  # there is a future to leak
    as_of = split - dt.timedelta(days=1)
    assert data.cutoff(as_of) == cutoff
    full = fit(data, as_of)
    truncated = fit(_before(data, cutoff), as_of)
    assert full.config.blend != ModelConfig().blend  # the blend was tuned …
    assert full.config.blend == truncated.config.blend  # … on a window before T too
    assert (full.interactions != truncated.interactions).nnz == 0
    assert np.array_equal(full.creator_matrix, truncated.creator_matrix)
    assert np.array_equal(full.product_matrix, truncated.product_matrix)
    assert np.array_equal(full.creator_popularity, truncated.creator_popularity)
    # the training pairs are exactly the pairs with an event before T
    early = data.events.select(data.events.at < cutoff)
    pairs = set(zip(early.creator.tolist(), early.product.tolist(), strict=True))
    rows, cols = full.interactions.nonzero()
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == pairs


def test_test_pairs_are_new_after_the_split(planted: Planted) -> None:
    data, split = planted.data, planted.split
    test = time_split(data, split, horizon_days=28)
    cutoff, end = test.cutoff, test.end
    assert end - cutoff == 28 * 86_400_000_000
    events = data.events
    first: dict[tuple[int, int], int] = {}
    for c, p, at in zip(
        events.creator.tolist(), events.product.tolist(), events.at.tolist(), strict=True
    ):
        first[(c, p)] = min(at, first.get((c, p), at))
    expected = {
        pair
        for pair, at in first.items()
        if cutoff <= at < end
        and data.creators.joined_at[pair[0]] < cutoff
        and data.products.listed_at[pair[1]] < cutoff
    }
    got = set(zip(test.test_creators.tolist(), test.test_products.tolist(), strict=True))
    assert got == expected and len(got) > 500


def test_an_evaluation_only_reads_the_past_and_the_window(little: Planted) -> None:
    """Events after the test window change nothing."""
    data, split = little.data, little.split - dt.timedelta(days=28)
    end = day_start(split + dt.timedelta(days=28), data.zone)
    config = ModelConfig(tune=False)
    everything = evaluate(data, split, 20, 28, config)
    until_end = evaluate(_before(data, end), split, 20, 28, config)
    assert everything.model == until_end.model and everything.baseline == until_end.baseline
    assert everything.test_pairs == until_end.test_pairs
