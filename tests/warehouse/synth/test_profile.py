"""Loading synthetic marketplace profiles: shipped ones, user files, ``extends`` and errors."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
import yaml

from pasar.kit.errors import InputError
from pasar.warehouse.synth.profile import Expected, Profile, load_profile, shipped_profiles


def write_profile(folder: Path, name: str, data: dict[str, object]) -> Path:
    """Write ``data`` as ``folder/name.yml`` and return its path."""
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_default_and_small_are_shipped() -> None:
    assert {"default", "small"} <= set(shipped_profiles())
    assert shipped_profiles() == sorted(shipped_profiles())


@pytest.mark.parametrize("name", shipped_profiles())
def test_every_shipped_profile_loads(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert profile.days > 0
    assert (profile.end_date - profile.start_date).days == profile.days
    for field in Expected.model_fields:
        low, high = getattr(profile.expected, field)
        assert low <= high, field
    assert any(p.same_island_only for p in profile.logistics.providers)


def test_small_extends_default() -> None:
    default, small = load_profile("default"), load_profile("small")
    assert small.sizes.sellers == 400 < default.sizes.sellers
    assert small.sizes.orders_per_day < default.sizes.orders_per_day
    assert small.categories == default.categories
    assert small.expected == default.expected
    assert small.seed == default.seed


def test_unknown_profile_lists_the_shipped_ones() -> None:
    with pytest.raises(InputError) as caught:
        load_profile("no_such_profile")
    message = str(caught.value)
    assert "no_such_profile" in message
    for name in shipped_profiles():
        assert name in message


def test_missing_profile_file_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yml"
    with pytest.raises(InputError, match="not found") as caught:
        load_profile(missing)
    assert caught.value.file == str(missing)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sizes": {"sellers": -5}}, "sizes.sellers"),
        ({"days": 0}, "days"),
        ({"buyers": {"review_rate": 1.5}}, "buyers.review_rate"),
        ({"sizes": {"shoppers": 10}}, "sizes.shoppers"),
    ],
)
def test_bad_field_is_named(tmp_path: Path, changes: dict[str, object], field: str) -> None:
    path = write_profile(tmp_path, "bad", {"extends": "small", **changes})
    with pytest.raises(InputError) as caught:
        load_profile(path)
    assert field in str(caught.value)
    assert caught.value.field == field
    assert caught.value.file == str(path)


def test_invalid_yaml_and_non_mapping_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("sizes: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_profile(broken)
    listing = tmp_path / "list.yml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InputError, match="mapping"):
        load_profile(listing)


def test_user_file_extends_a_shipped_profile(tmp_path: Path) -> None:
    path = write_profile(
        tmp_path, "mine", {"extends": "small", "name": "mine", "sizes": {"sellers": 55}}
    )
    profile, small = load_profile(path), load_profile("small")
    assert profile.name == "mine"
    assert profile.sizes.sellers == 55
    # the rest of ``sizes`` is merged from the base, not replaced
    assert profile.sizes.creators == small.sizes.creators
    assert profile.sizes.orders_per_day == small.sizes.orders_per_day
    assert profile.categories == small.categories


def test_extends_chain_through_user_files(tmp_path: Path) -> None:
    base = write_profile(tmp_path, "base", {"extends": "small", "sizes": {"sellers": 60}})
    child = write_profile(tmp_path, "child", {"extends": str(base), "days": 30})
    profile = load_profile(child)
    assert (profile.sizes.sellers, profile.days) == (60, 30)
    assert profile.sizes.creators == load_profile("small").sizes.creators


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "first.yml", tmp_path / "second.yml"
    write_profile(tmp_path, "first", {"extends": str(second), "days": 10})
    write_profile(tmp_path, "second", {"extends": str(first), "days": 20})
    with pytest.raises(InputError, match="cycle"):
        load_profile(first)


def test_self_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yml"
    write_profile(tmp_path, "loop", {"extends": str(path)})
    with pytest.raises(InputError, match="cycle"):
        load_profile(path)


def test_with_overrides_changes_sizes_and_top_level_fields() -> None:
    small = load_profile("small")
    changed = small.with_overrides(orders_per_day=10, days=30, seed=99, creators=None)
    assert isinstance(changed, Profile)
    assert changed.sizes.orders_per_day == 10
    assert (changed.days, changed.seed) == (30, 99)
    assert changed.sizes.creators == small.sizes.creators  # None means "keep"
    assert changed.sizes.sellers == small.sizes.sellers
    assert small.sizes.orders_per_day == 230  # the original is untouched
    assert small.days == 365


def test_with_overrides_validates() -> None:
    with pytest.raises(pydantic.ValidationError):
        load_profile("small").with_overrides(sellers=-1)


def test_extends_resolves_a_relative_path_from_the_extending_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "base.yml").write_text("extends: small\nname: base\nsizes:\n  sellers: 111\n")
    (folder / "child.yml").write_text("extends: base.yml\nname: child\n")
    monkeypatch.chdir(tmp_path)  # not the profiles folder
    profile = load_profile(folder / "child.yml")
    assert (profile.name, profile.sizes.sellers) == ("child", 111)
