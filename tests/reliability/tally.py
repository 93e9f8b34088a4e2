"""Counting fault cases: how many were tried and which failed, for the CI log.

A test asks the ``faults`` fixture for a :class:`FaultTally`, runs each case through
:meth:`FaultTally.case` (a failing case is recorded and the next one still runs) and ends with
:meth:`FaultTally.assert_clean`. The conftest prints every tally at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class FaultTally:
    """The cases of one kind of fault tried by one test."""

    what: str  # e.g. "API server SIGKILLed (sqlite)"
    unit: str  # e.g. "kill points"
    tried: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @contextmanager
    def case(self, name: str) -> Iterator[None]:
        """Count one case; an ``AssertionError`` inside is recorded, not raised."""
        self.tried += 1
        try:
            yield
        except AssertionError as exc:
            self.failures.append(f"{name}: {exc}")

    @contextmanager
    def check(self, name: str) -> Iterator[None]:
        """A check that is not a case of its own (e.g. the end state after every case)."""
        try:
            yield
        except AssertionError as exc:
            self.failures.append(f"{name}: {exc}")

    def note(self, text: str) -> None:
        """A measured figure shown with the tally (e.g. how many kills hit a request)."""
        self.notes.append(text)

    def line(self) -> str:
        details = f" ({'; '.join(self.notes)})" if self.notes else ""
        return (
            f"faults: {self.what}: {self.tried} {self.unit} tried, "
            f"{len(self.failures)} failures{details}"
        )

    def assert_clean(self) -> None:
        """Fail the test when any case failed, with every failure's message."""
        assert not self.failures, "\n".join([self.line(), *self.failures])
