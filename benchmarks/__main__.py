"""Run the registered benchmarks, print one table and write ``results/latest.json``.

Usage: ``python -m benchmarks [--quick] [--only NAME]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table
from rich.text import Text

from benchmarks.common import Result, log

# Modules under ``benchmarks/``; each defines ``NAME: str`` and
# ``run(quick: bool) -> list[Result]``.
BENCHMARKS: list[str] = [
    "bench_synth",
    "bench_ingest",
    "bench_snapshot",
    "bench_scaling",
    "bench_governance",
    "bench_policy",
    "bench_api",
    "bench_load",
    "bench_planning",
    "bench_matching",
    "bench_incentives",
]
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"

Runner = Callable[[bool], list[Result]]


def _load(module_name: str) -> tuple[str, Runner]:
    module = importlib.import_module(f"benchmarks.{module_name}")
    return str(module.NAME), cast(Runner, module.run)


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "×":
        return f"{value:.2f}×"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:,.2f} {unit}"


def _ratio(result: Result) -> Text:
    if result.ratio is None:
        return Text("—")
    style = {True: "bold green", False: "bold red", None: ""}[result.ok]
    return Text(f"{result.ratio:.2f}×", style=style)


def _target(result: Result) -> Text:
    mark = {True: " ✓", False: " ✗", None: ""}[result.ok]
    style = {True: "green", False: "red", None: ""}[result.ok]
    return Text(result.target + mark, style=style)


def render(results: Sequence[Result], quick: bool) -> Table:
    """The single results table; notes go in its caption."""
    title = "Pasar benchmarks" + (" (--quick: smoke sizes)" if quick else "")
    notes = list(dict.fromkeys(r.note for r in results if r.note))
    table = Table(title=title, caption="\n".join(notes) or None, caption_justify="left")
    table.add_column("benchmark", style="bold")
    table.add_column("what was measured")
    table.add_column("Pasar's figure", justify="right")
    table.add_column("baseline figure", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("better")
    table.add_column("target")
    for r in results:
        table.add_row(
            r.name,
            r.measured,
            _figure(r.value, r.unit),
            _figure(r.baseline, r.unit),
            _ratio(r),
            r.better,
            _target(r),
        )
    return table


def write_json(results: Sequence[Result], quick: bool, path: Path = RESULTS) -> Path:
    """Write the rows and the context of the run (machine, Python, mode) as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "results": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument(
        "--only", metavar="NAME", help="run one benchmark (e.g. synth or bench_synth)"
    )
    args = parser.parse_args(argv)

    selected = BENCHMARKS
    if args.only:
        wanted = args.only.removeprefix("bench_")
        selected = [m for m in BENCHMARKS if m.removeprefix("bench_") == wanted]
        if not selected:
            choices = ", ".join(m.removeprefix("bench_") for m in BENCHMARKS)
            parser.error(f"unknown benchmark {args.only!r}; choose from: {choices}")

    results: list[Result] = []
    for module_name in selected:
        name, run = _load(module_name)
        log(f"running {name}{' (quick)' if args.quick else ''}")
        results.extend(run(args.quick))

    path = write_json(results, args.quick)
    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
        console = Console(width=150)
    console.print(render(results, args.quick))
    console.print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
