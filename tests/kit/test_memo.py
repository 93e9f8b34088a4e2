"""The versioned cache: an entry holds only for the version it was read at, and the least
recently used entries go first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pasar.kit.memo import VersionedCache


def test_an_entry_holds_for_its_version_only() -> None:
    cache: VersionedCache[str, int] = VersionedCache(10)
    cache.put("S1", (1, 2), 42)
    assert cache.get("S1", (1, 2)) == 42
    assert cache.get("S1", (1, 3)) is None
    assert cache.get("S2", (1, 2)) is None


def test_no_version_means_nothing_kept_and_nothing_found() -> None:
    cache: VersionedCache[str, int] = VersionedCache(10)
    cache.put("S1", None, 42)
    assert len(cache) == 0
    cache.put("S1", (1,), 42)
    assert cache.get("S1", None) is None


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: VersionedCache[str, int] = VersionedCache(2)
    cache.put("a", 1, 1)
    cache.put("b", 1, 2)
    assert cache.get("a", 1) == 1  # "b" is now the least recently used
    cache.put("c", 1, 3)
    assert (cache.get("a", 1), cache.get("b", 1), cache.get("c", 1)) == (1, None, 3)


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 3)), max_size=200))
def test_it_agrees_with_a_plain_dict_of_the_last_writes(writes: list[tuple[int, int]]) -> None:
    size = 8
    cache: VersionedCache[int, int] = VersionedCache(size)
    last: dict[int, int] = {}
    for n, (key, version) in enumerate(writes):
        cache.put(key, version, n)
        last.pop(key, None)
        last[key] = version
        while len(last) > size:
            last.pop(next(iter(last)))
    assert len(cache) == len(last)
    for key, version in last.items():
        assert cache.get(key, version) is not None
        assert cache.get(key, version + 1) is None
