"""Fault tests report how many cases they tried: one line per tally in the terminal summary
(``faults: API server SIGKILLed (sqlite): 4 kill points tried, 0 failures``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.reliability.tally import FaultTally

TALLIES = pytest.StashKey[list[FaultTally]]()


@pytest.fixture
def faults(request: pytest.FixtureRequest) -> Callable[[str, str], FaultTally]:
    """A new tally of ``what`` counted in ``unit``, reported at the end of the session."""

    def tally(what: str, unit: str) -> FaultTally:
        made = FaultTally(what, unit)
        request.config.stash.setdefault(TALLIES, []).append(made)
        return made

    return tally


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tallies = terminalreporter.config.stash.get(TALLIES, [])
    if tallies:
        terminalreporter.section("faults")
        for made in tallies:
            terminalreporter.write_line(made.line())
