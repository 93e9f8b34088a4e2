"""A bounded, thread-safe cache whose entries hold only while their source is unchanged.

Each entry is stored with the version of what it was computed from (e.g. a
:meth:`pasar.kit.changes.ChangeFeed.version`); :meth:`VersionedCache.get` returns it only for the
same version, so a change anywhere in the source makes every older entry a miss.

Example:
    >>> cache: VersionedCache[str, int] = VersionedCache(2)
    >>> cache.put("S1", (1, 7), 42)
    >>> cache.get("S1", (1, 7)), cache.get("S1", (1, 8))
    (42, None)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class VersionedCache(Generic[K, V]):
    """Least-recently-used entries, at most ``size``, each valid for one source version."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[K, tuple[Hashable, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, version: Hashable | None) -> V | None:
        """The value stored for ``key`` at ``version``; ``None`` when absent, older or when
        ``version`` is ``None`` (the source cannot tell whether it changed)."""
        if version is None:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: K, version: Hashable | None, value: V) -> None:
        """Keep ``value`` for ``key`` as read at ``version`` (nothing when it is ``None``)."""
        if version is None:
            return
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
