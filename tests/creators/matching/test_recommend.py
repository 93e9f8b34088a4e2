"""Recommendations: past partners left out unless asked, only creators who exist on the day,
a cold-start path for products and creators without history, and clear errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pasar.creators.matching.model import MatchModel, ModelConfig, fit
from pasar.creators.matching.planted import Planted
from pasar.creators.matching.recommend import creators_for_product, products_for_creator
from pasar.kit.errors import NotFoundError, ValidationError


@pytest.fixture(scope="module")
def model(planted: Planted) -> MatchModel:
    return fit(planted.data, planted.split - dt.timedelta(days=1), ModelConfig(tune=False))


def _busiest_product(model: MatchModel) -> int:
    return int(np.argmax(model.interactions.getnnz(axis=0)))


def test_past_partners_are_left_out_unless_asked(model: MatchModel) -> None:
    data = model.data
    j = _busiest_product(model)
    past = {data.creators.ids[i] for i in model.collaborated[j].indices}
    assert len(past) >= 5
    fresh = creators_for_product(model, data.products.ids[j], k=50)
    assert len(fresh) == 50 and not past & {m.creator_id for m in fresh}
    assert [m.rank for m in fresh] == list(range(1, 51))
    scores = [m.score for m in fresh]
    assert scores == sorted(scores, reverse=True)
    everyone = creators_for_product(model, data.products.ids[j], k=200, include_past=True)
    flagged = {m.creator_id for m in everyone if m.collaborated}
    assert flagged and flagged <= past
    assert {m.creator_id for m in everyone if not m.collaborated}.isdisjoint(past)


def test_only_creators_and_products_that_exist_on_the_day(model: MatchModel) -> None:
    data = model.data
    later = {data.creators.ids[i] for i in np.flatnonzero(~model.creator_known)}
    assert later  # creators who join after the as-of day
    for j in range(0, 1000, 97):
        assert not later & {m.creator_id for m in creators_for_product(model, data.products.ids[j])}
    unlisted = {data.products.ids[j] for j in np.flatnonzero(~model.product_known)}
    assert unlisted
    for i in range(0, 2000, 211):
        shown = {m.product_id for m in products_for_creator(model, data.creators.ids[i], k=100)}
        assert not unlisted & shown


def test_a_new_product_gets_creators_from_its_profile(model: MatchModel) -> None:
    data = model.data
    cold = np.flatnonzero(model.product_known & ~model.warm_products)
    assert len(cold)
    j = int(cold[0])
    assert np.abs(model.cf_products[j]).sum() > 0  # borrowed from its category and band
    matches = creators_for_product(model, data.products.ids[j], k=10)
    assert len(matches) == 10
    assert all(any(r.startswith("new product") for r in m.reasons) for m in matches)
    category = data.products.category[j]
    in_category = [data.creators.category[data.creator(m.creator_id)] == category for m in matches]
    assert sum(in_category) >= 7  # its category's creators first


def test_a_new_creator_gets_products_of_their_category(model: MatchModel) -> None:
    data = model.data
    cold = np.flatnonzero(model.creator_known & ~model.warm_creators)
    assert len(cold)
    i = int(cold[0])
    matches = products_for_creator(model, data.creators.ids[i], k=10)
    assert len(matches) == 10
    category = data.categories[data.creators.category[i]]
    assert sum(m.category == category for m in matches) >= 7
    assert all(any(r.startswith("new creator") for r in m.reasons) for m in matches)


def test_among_limits_the_creators(model: MatchModel) -> None:
    data = model.data
    j = _busiest_product(model)
    allowed = frozenset(data.creators.ids[5:9])
    shown = creators_for_product(model, data.products.ids[j], k=20, among=allowed)
    assert {m.creator_id for m in shown} <= allowed
    assert creators_for_product(model, data.products.ids[j], among=frozenset()) == []


def test_clear_errors(model: MatchModel) -> None:
    with pytest.raises(NotFoundError, match="no product P-none"):
        creators_for_product(model, "P-none")
    with pytest.raises(NotFoundError, match="no creator C-none"):
        products_for_creator(model, "C-none")
    with pytest.raises(ValidationError, match="k must be between 1 and 500"):
        creators_for_product(model, model.data.products.ids[0], k=0)
