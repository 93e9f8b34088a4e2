"""Creator matching benchmark: accuracy on worlds with a planted ground truth, evaluated on a
time split, and the time to rank every creator for every product.

* **Accuracy.** A planted world (:mod:`pasar.creators.matching.planted`: hidden creator and
  product tastes, category focus, tier × price-band fit, local audiences) of 20k creators ×
  5k products over 180 days (4k × 1.5k with ``--quick``). The model is fitted on the days
  before the split (its blend tuned on the last 28 of them) and scored on the creators who
  were new to each product in the 28 days after it: recall@20 and NDCG@20 of the model
  against the popularity baseline (the creators with the most interactions before the split),
  both excluding each product's past creators. Target: model recall@20 ≥ 2× the baseline's.
* **Scale.** A planted world of 200k creators × 50k products (20k × 5k with ``--quick``),
  fitted with the default blend (no tuning). Measured: the top-20 creators of every product
  (past partners and creators not yet joined left out) through implicit's batched top-k.
  Baseline: the same ranking with numpy — chunks of 256 products, one matrix product each,
  ``argpartition`` then a sort — timed on a sample of products and scaled to all of them;
  both must pick the same scores on the sample. The world's recall@20 and NDCG@20 on its time
  split are printed too. Target: under 60 s.

Each world is generated, fitted and measured in a fresh subprocess (peak RSS is its own).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.common import Result, log, run_isolated
from pasar.creators.matching.evaluate import evaluate, score_split, time_split
from pasar.creators.matching.model import MatchModel, ModelConfig, fit
from pasar.creators.matching.planted import PlantedConfig, generate
from pasar.creators.matching.recommend import top_creators

NAME = "matching"
K = 20
RATIO_TARGET = 2.0
SECONDS_TARGET = 60.0
ACCURACY = {False: (20_000, 5_000), True: (4_000, 1_500)}  # by --quick
SCALE = {False: (200_000, 50_000), True: (20_000, 5_000)}
SAMPLE = {False: 2_000, True: 500}  # products the numpy baseline ranks
SEED = 20261031


@dataclass(frozen=True)
class Accuracy:
    creators: int
    products: int
    events: int
    evaluated: int
    model_recall: float
    model_ndcg: float
    base_recall: float
    base_ndcg: float
    blend: str
    seconds: float


@dataclass(frozen=True)
class Scale:
    creators: int
    products: int
    events: int
    fit_seconds: float
    topk_seconds: float
    numpy_seconds: float  # scaled to every product
    sample: int
    same: bool
    evaluated: int
    model_recall: float
    model_ndcg: float
    base_recall: float
    base_ndcg: float


def accuracy(creators: int, products: int) -> Accuracy:
    """Generate a planted world and evaluate model and baseline on its time split."""
    world = generate(PlantedConfig(creators=creators, products=products, seed=SEED))
    result = evaluate(world.data, world.split, K)
    blend = ", ".join(f"{name} {value:g}" for name, value in vars(result.blend).items())
    return Accuracy(
        creators,
        products,
        len(world.data.events),
        result.products,
        result.model.recall,
        result.model.ndcg,
        result.baseline.recall,
        result.baseline.ndcg,
        blend,
        result.seconds,
    )


def scale(creators: int, products: int, sample: int) -> Scale:
    """Fit on a large planted world, then time the top-20 of every product (and numpy's)."""
    world = generate(PlantedConfig(creators=creators, products=products, seed=SEED + 1))
    started = time.perf_counter()
    model = fit(world.data, world.split - dt.timedelta(days=1), ModelConfig(tune=False))
    _ = (model.creator_matrix, model.product_matrix, model.collaborated)  # built before timing
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    _, scores = top_creators(model, None, K)
    topk_seconds = time.perf_counter() - started
    rows = np.linspace(0, products - 1, sample).astype(np.int64)
    started = time.perf_counter()
    numpy_scores = _numpy_top(model, rows)
    numpy_seconds = (time.perf_counter() - started) * products / sample
    same = bool(np.allclose(numpy_scores, scores[rows], rtol=1e-4, atol=1e-5))
    test = time_split(world.data, world.split)
    model_scores, base_scores, evaluated = score_split(model, test, K)
    return Scale(
        creators,
        products,
        len(world.data.events),
        fit_seconds,
        topk_seconds,
        numpy_seconds,
        sample,
        same,
        len(evaluated),
        model_scores.recall,
        model_scores.ndcg,
        base_scores.recall,
        base_scores.ndcg,
    )


def _numpy_top(model: MatchModel, rows: np.ndarray, chunk: int = 256) -> np.ndarray:
    """The top-K scores of ``rows`` the plain numpy way (the baseline)."""
    creators = model.creator_matrix
    unknown = ~model.creator_known
    out = np.empty((len(rows), K), dtype=np.float32)
    for lo in range(0, len(rows), chunk):
        part = rows[lo : lo + chunk]
        scores = model.product_matrix[part] @ creators.T
        past = model.collaborated[part].tocoo()
        scores[past.row, past.col] = -np.inf
        scores[:, unknown] = -np.inf
        top = np.argpartition(-scores, K - 1, axis=1)[:, :K]
        chosen = np.take_along_axis(scores, top, axis=1)
        out[lo : lo + len(part)] = -np.sort(-chosen, axis=1)
    return out


def _k(count: int) -> str:
    """1500 → 1.5k, 200000 → 200k."""
    return f"{count / 1000:g}k" if count >= 1000 else str(count)


def _accuracy_rows(a: Accuracy, peak: float, label: str, tuned: bool) -> list[Result]:
    ratio = a.model_recall / a.base_recall if a.base_recall > 0 else None
    ndcg_ratio = a.model_ndcg / a.base_ndcg if a.base_ndcg > 0 else None
    world = f"planted {_k(a.creators)} creators × {_k(a.products)} products"
    how = "blend tuned on the 28 days before the split" if tuned else "default blend"
    note = (
        f"{label}: {a.events:,} events over 180 days; {a.evaluated:,} products with new "
        f"creators in the 28 test days; {how}"
        + (f" ({a.blend})" if a.blend else "")
        + f"; peak RSS {peak:,.0f} MiB."
    )
    return [
        Result(
            name=NAME,
            measured=f"recall@{K}, {world}, time split",
            value=100 * a.model_recall,
            unit="%",
            baseline=100 * a.base_recall,
            ratio=ratio,
            better="higher (model ÷ popularity)",
            target=f"≥ {RATIO_TARGET:g}×" if tuned else "—",
            note=note,
            ok=(ratio is not None and ratio >= RATIO_TARGET) if tuned else None,
        ),
        Result(
            name=NAME,
            measured=f"NDCG@{K}, {world}, time split",
            value=100 * a.model_ndcg,
            unit="%",
            baseline=100 * a.base_ndcg,
            ratio=ndcg_ratio,
            better="higher (model ÷ popularity)",
            target="—",
            note=note,
        ),
    ]


def run(quick: bool) -> list[Result]:
    n_c, n_p = ACCURACY[quick]
    log(f"matching: accuracy on a planted world of {n_c:,} creators × {n_p:,} products")
    measured_accuracy = run_isolated(accuracy, n_c, n_p)
    rows = _accuracy_rows(
        measured_accuracy.value, measured_accuracy.peak_rss_mib, "Accuracy world", tuned=True
    )

    n_c, n_p = SCALE[quick]
    log(f"matching: top-{K} for {n_p:,} products among {n_c:,} creators")
    measured = run_isolated(scale, n_c, n_p, SAMPLE[quick])
    s = measured.value
    big = Accuracy(
        s.creators,
        s.products,
        s.events,
        s.evaluated,
        s.model_recall,
        s.model_ndcg,
        s.base_recall,
        s.base_ndcg,
        "",
        0.0,
    )
    rows += _accuracy_rows(big, measured.peak_rss_mib, "Scale world", tuned=False)
    rows.append(
        Result(
            name=NAME,
            measured=f"top-{K} creators for {_k(n_p)} products among {_k(n_c)} creators",
            value=s.topk_seconds,
            unit="s",
            baseline=s.numpy_seconds,
            ratio=s.numpy_seconds / s.topk_seconds,
            better="lower (baseline ÷ Pasar)",
            target=f"< {SECONDS_TARGET:g} s",
            note=(
                f"Top-{K}: implicit's batched top-k over the blended vectors "
                f"({s.fit_seconds:.0f} s to fit ALS and build them, not counted). Baseline: "
                f"numpy chunks of 256 products + argpartition, timed on {s.sample:,} products "
                f"and scaled; same top-{K} scores on them: {'yes' if s.same else 'NO'}."
            ),
            ok=s.topk_seconds < SECONDS_TARGET and s.same,
        )
    )
    return rows
