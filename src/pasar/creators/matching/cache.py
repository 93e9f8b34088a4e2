"""The model of the current warehouse, fitted once per warehouse state and kept in memory, so
that the console and the API answer from it instead of refitting on every request.

The state is the SHA-256 of the warehouse manifest: every committed ingest replaces the
manifest (new segment files, a new version), so a new state means new data and a refit; the
same bytes mean the same data. One lock serialises fitting: requests arriving while a model
is being fitted wait for it instead of fitting their own.

Example::

    model = current_model(settings)          # fits on first use, then reuses
    creators_for_product(model, "P0000123")
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from pasar.config import Settings
from pasar.creators.matching.interactions import load_warehouse
from pasar.creators.matching.model import MatchModel, ModelConfig, fit
from pasar.kit.errors import NotFoundError
from pasar.warehouse.store import MANIFEST, Warehouse

KEEP = 2  # models of this many warehouses (tests and demos may hold several homes)

_lock = threading.Lock()
_models: OrderedDict[Path, tuple[str, MatchModel]] = OrderedDict()


def warehouse_state(root: Path) -> str:
    """The content id of the warehouse under ``root`` ("empty" before the first ingest)."""
    path = root / MANIFEST
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "empty"


def current_model(settings: Settings, config: ModelConfig | None = None) -> MatchModel:
    """The model of the warehouse of ``settings`` as of its last day, fitted when the
    warehouse changed since the last fit (NotFoundError when it holds no creators or
    products yet)."""
    root = settings.warehouse_dir.resolve()
    with _lock:
        state = warehouse_state(root)
        held = _models.get(root)
        if held is not None and held[0] == state and config is None:
            _models.move_to_end(root)
            return held[1]
        data = load_warehouse(Warehouse(root), settings.timezone)
        if not data.creators.ids or not data.products.ids:
            raise NotFoundError(
                "the warehouse has no creators or products yet: ingest data first "
                "(pasar ingest … or pasar demo)"
            )
        model = fit(data, data.latest_day(), config)
        if config is None:
            _models[root] = (state, model)
            _models.move_to_end(root)
            while len(_models) > KEEP:
                _models.popitem(last=False)
        return model


def forget() -> None:
    """Drop every kept model (tests; a server picks up new data by itself)."""
    with _lock:
        _models.clear()
