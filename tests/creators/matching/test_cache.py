"""The model is fitted once per warehouse state: reused while the manifest is unchanged,
fitted again when an ingest (a new manifest) changes it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pasar.config import Settings
from pasar.creators.matching import cache
from pasar.kit.errors import NotFoundError
from pasar.warehouse.store import MANIFEST
from tests.marketplace import Marketplace


def test_one_fit_per_warehouse_state(
    marketplace: Marketplace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    shutil.copytree(marketplace.settings.warehouse_dir, home / "warehouse")
    settings = Settings(home=home)
    fits: list[object] = []

    def counted(data: object, as_of: object, config: object = None) -> object:
        fits.append(as_of)  # the fit itself is tested elsewhere: a fresh object stands for it
        return object()

    monkeypatch.setattr(cache, "fit", counted)
    first = cache.current_model(settings)
    assert cache.current_model(settings) is first and len(fits) == 1
    manifest = home / "warehouse" / MANIFEST
    state = cache.warehouse_state(home / "warehouse")
    # a commit writes a new manifest: same tables listed differently here, a new state
    manifest.write_text(json.dumps(json.loads(manifest.read_text()), indent=2))
    assert cache.warehouse_state(home / "warehouse") != state
    second = cache.current_model(settings)
    assert second is not first and len(fits) == 2
    assert cache.current_model(settings) is second and len(fits) == 2


def test_an_empty_warehouse_says_so(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no creators or products yet"):
        cache.current_model(Settings(home=tmp_path / "empty"))
    assert cache.warehouse_state(tmp_path / "empty" / "warehouse") == "empty"
