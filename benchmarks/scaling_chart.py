"""Draw ``docs/performance-scaling.svg`` from the last scaling benchmark's figures.

Usage: ``python -m benchmarks.scaling_chart [FIGURES_JSON] [OUT_SVG]`` (``make bench-chart``);
run ``python -m benchmarks --only scaling`` first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.bench_scaling import FIGURES

OUT = Path(__file__).resolve().parent.parent / "docs" / "performance-scaling.svg"


def draw(figures: dict[str, list[dict[str, float]]], out: Path) -> None:
    """Two panels over orders (log scales): seconds, and peak memory, Pasar beside the
    hand-written DuckDB query, with the line a linear growth from the smallest size would
    follow."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    sizes = figures["sizes"]
    orders = [s["orders"] / 1e6 for s in sizes]
    figure = Figure(figsize=(9, 3.4), layout="constrained")
    panels = figure.subplots(1, 2)
    for axis, (what, unit) in zip(panels, (("seconds", "s"), ("peak_mib", "MiB")), strict=True):
        pasar = [s[f"pasar_{what}"] for s in sizes]
        hand = [s[f"hand_{what}"] for s in sizes]
        axis.plot(orders, pasar, marker="o", color="#0f6e5c", label="Pasar")
        axis.plot(orders, hand, marker="s", color="#5b6478", label="hand-written DuckDB")
        linear = [pasar[0] * o / orders[0] for o in orders]
        axis.plot(orders, linear, linestyle=":", color="#b4480f", label="linear from the first")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(orders, [f"{o:g}M" for o in orders])
        axis.set_xticks([], minor=True)
        for ticks in (axis.yaxis.set_major_formatter, axis.yaxis.set_minor_formatter):
            ticks(FuncFormatter(lambda v, _pos: f"{v:g}" if f"{v:.0e}"[0] in "125" else ""))
        axis.set_xlabel("orders")
        title = "Time of the full seller snapshot" if what == "seconds" else "Peak memory"
        axis.set_title(f"{title} ({unit})", loc="left", fontsize=10)
        axis.grid(alpha=0.3)
        for x, y in zip(orders, pasar, strict=True):
            axis.annotate(f"{y:,.2f}" if what == "seconds" else f"{y:,.0f}", (x, y),
                          textcoords="offset points", xytext=(4, 6), fontsize=8)  # fmt: skip
    panels[0].legend(fontsize=8, frameon=False)
    figure.savefig(out, format="svg", metadata={"Date": None})


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else FIGURES
    out = Path(argv[1]) if len(argv) > 1 else OUT
    if not source.is_file():
        raise SystemExit(f"{source}: no figures yet; run `python -m benchmarks --only scaling`")
    draw(json.loads(source.read_text()), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
