"""Charts drawn on the server as SVG (matplotlib), inlined in pages: no chart script runs in
the browser. Text in an SVG is escaped by matplotlib's writer.

Line charts, the ones pages draw most, are written straight as SVG (:mod:`pasar.console.linesvg`,
about a millisecond). A matplotlib chart is a pure function of its inputs and costs 0.1–0.3 s of
one core, while a page is shown again and again with the same figures: the last ``CACHE_SIZE``
of them are kept (an SVG is 10–40 KB) and served again for the same inputs.

Example::

    svg = line_chart({"violations": [(day, 12), (day2, 9)]}, "Violations per day")
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ParamSpec

from markupsafe import Markup

from pasar.console import linesvg

PALETTE = ["#0f6e5c", "#b4480f", "#3057a8", "#8a3ea8", "#5b6478", "#b3261e", "#2b8a3e", "#a87b0f"]
MAX_SERIES = 8
_LOCK = threading.Lock()  # pyplot's state is global: one figure at a time
_XML_HEADER = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)

Point = tuple[Any, float | None]
P = ParamSpec("P")
CACHE_SIZE = 1024
_DRAWN: OrderedDict[Hashable, Markup] = OrderedDict()
_DRAWN_LOCK = threading.Lock()


def _frozen(value: Any) -> Hashable:
    """A hashable copy of a chart's input; :class:`TypeError` for one that cannot be compared
    by value (a formatting function)."""
    if isinstance(value, Mapping):
        return ("mapping", tuple((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if callable(value) or not isinstance(value, Hashable):
        raise TypeError(f"{type(value).__name__} is not comparable by value")
    return value


def remembered(draw: Callable[P, Markup]) -> Callable[P, Markup]:
    """``draw``, answering from the last ``CACHE_SIZE`` charts drawn when its inputs are equal
    (inputs holding a function are drawn every time)."""

    @functools.wraps(draw)
    def cached(*args: P.args, **kwargs: P.kwargs) -> Markup:
        try:
            key = (draw.__name__, _frozen(args), _frozen(sorted(kwargs.items())))
        except TypeError:
            return draw(*args, **kwargs)
        with _DRAWN_LOCK:
            if (hit := _DRAWN.get(key)) is not None:
                _DRAWN.move_to_end(key)
                return hit
        svg = draw(*args, **kwargs)
        with _DRAWN_LOCK:
            _DRAWN[key] = svg
            while len(_DRAWN) > CACHE_SIZE:
                _DRAWN.popitem(last=False)
        return svg

    return cached


def _figure(title: str, height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
         "axes.spines.right": False, "axes.edgecolor": "#c9cfdc", "axes.titlesize": 10,
         "axes.titleweight": "bold", "axes.titlelocation": "left"}
    )  # fmt: skip
    figure, axis = plt.subplots(figsize=(7.5, height), layout="constrained")
    axis.set_title(title)
    axis.grid(axis="y", alpha=0.3)
    return figure, axis


def _svg(figure: Any) -> Markup:
    import matplotlib.pyplot as plt

    sink = io.StringIO()
    figure.savefig(sink, format="svg", transparent=True)
    plt.close(figure)
    text = _XML_HEADER.sub("", sink.getvalue())
    text = text.replace("<svg ", '<svg class="chart" role="img" ', 1)
    return Markup(text)  # matplotlib's writer escaped every text node


def line_chart(
    series: Mapping[str, Sequence[Point]], title: str, percent: bool = False, height: float = 2.6
) -> Markup:
    """One line per series over its x values (dates, numbers or ordered labels); ``None``
    values leave gaps. Written straight as SVG (:mod:`pasar.console.linesvg`): it is the chart
    pages draw most."""
    return linesvg.draw(series, title, PALETTE[:MAX_SERIES], percent=percent, height=height)


@remembered
def band_chart(
    xs: Sequence[Any],
    expected: Sequence[float],
    band: tuple[Sequence[float], Sequence[float]],
    title: str,
    labels: tuple[str, str] = ("Expected", "80%"),
    target: float | None = None,
    y_format: Callable[[float], str] | None = None,
) -> Markup:
    """An expected path with a shaded range around it (``band``: low and high values at each x)
    and, when given, a target as a dashed line."""
    with _LOCK:
        figure, axis = _figure(title, 2.8)
        axis.fill_between(list(xs), list(band[0]), list(band[1]), color=PALETTE[0], alpha=0.18,
                          linewidth=0, label=labels[1])  # fmt: skip
        axis.plot(list(xs), list(expected), color=PALETTE[0], linewidth=1.8, label=labels[0])
        if target:
            axis.axhline(target, color=PALETTE[1], linestyle="--", linewidth=1.2, label="Target")
        _date_ticks(axis, xs)
        axis.set_ylim(bottom=0)
        if y_format is not None:
            axis.yaxis.set_major_formatter(lambda v, _pos: y_format(v))
        axis.legend(fontsize="small", frameon=False, loc="upper left")
        figure.autofmt_xdate()
        return _svg(figure)


def _date_ticks(axis: Any, xs: Sequence[Any]) -> None:
    """Whole days on a date axis (matplotlib would tick hours over a few days)."""
    days = [x for x in xs if isinstance(x, dt.date)]
    if not days:
        return
    import matplotlib.dates as mdates

    span = (max(days) - min(days)).days + 1
    if span < 3:  # one or two days: show a week around them rather than hours or years
        axis.set_xlim(min(days) - dt.timedelta(days=3), max(days) + dt.timedelta(days=3))
        span = 7
    every = max(1, math.ceil(span / 8))
    axis.xaxis.set_major_locator(mdates.DayLocator(interval=every))  # type: ignore[no-untyped-call]
    axis.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))  # type: ignore[no-untyped-call]


def _count_ticks(axis: Any, ys: Sequence[float | None]) -> None:
    """Counts start at zero and tick on whole numbers."""
    values = [y for y in ys if y is not None]
    if values and all(float(y).is_integer() and y >= 0 for y in values):
        from matplotlib.ticker import MaxNLocator

        axis.set_ylim(bottom=0, top=max(max(values) * 1.1, 1))
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))


@remembered
def bar_chart(
    labels: Sequence[str], values: Sequence[float | None], title: str, height: float = 2.6
) -> Markup:
    """Horizontal bars, largest first as given (labels read without rotation)."""
    with _LOCK:
        figure, axis = _figure(title, max(height, 0.28 * len(labels) + 0.8))
        numbers = [0.0 if v is None else float(v) for v in values]
        axis.barh(list(labels)[::-1], numbers[::-1], color=PALETTE[0])
        axis.grid(axis="x", alpha=0.3)
        axis.grid(axis="y", visible=False)
        return _svg(figure)
