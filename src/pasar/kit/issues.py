"""Problems found in a user's file, each with where it is: collected, then reported all at once.

Example:
    >>> found = Issues()
    >>> found.add("catalog/orders.yml", 12, "unknown column 'shiped_at' (did you mean shipped_at?)")
    >>> print(found)
    catalog/orders.yml:12: unknown column 'shiped_at' (did you mean shipped_at?)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pasar.kit.errors import ValidationError


@dataclass(frozen=True, order=True)
class Issue:
    """One problem: the file, the line (1-based; 0 when unknown) and what is wrong."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else f"{self.file}: {self.message}"
        )


class Issues:
    """An ordered collection of :class:`Issue` without repeats."""

    def __init__(self) -> None:
        self._items: list[Issue] = []

    def add(self, file: str, line: int, message: str) -> None:
        issue = Issue(file, line, message)
        if issue not in self._items:
            self._items.append(issue)

    def __iter__(self) -> Iterator[Issue]:
        return iter(sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self)


class IssuesError(ValidationError):
    """Raised with every issue found, one per line after a summary line."""

    def __init__(self, what: str, issues: Issues) -> None:
        count = len(issues)
        super().__init__(f"{what}: {count} problem{'s' if count != 1 else ''}\n{issues}")
        self.issues = list(issues)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest choice, or an empty string.

    Example:
        >>> did_you_mean("shiped_at", ["shipped_at", "seller_id"])
        ' (did you mean shipped_at?)'
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
