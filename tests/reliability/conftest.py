"""Fault tests report how many cases they tried: one line per tally in the terminal summary
(``faults: API server SIGKILLed (sqlite): 4 kill points tried, 0 failures``); so do the
bad-input tests (``bad input: api: 1161 cases tried, 0 failures``, from ``counting``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.reliability import counting
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
    lines = counting.summary_lines()
    if lines:
        terminalreporter.section("bad input")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its bad-input counts to the controller, which prints them."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["bad_input_counts"] = counting.snapshot()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """The controller adds up the counts of each worker as it finishes."""
    counting.merge(getattr(node, "workeroutput", {}).get("bad_input_counts", {}))
