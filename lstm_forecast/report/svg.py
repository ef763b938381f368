"""Line charts as inline SVG for the report page (numpy only: no matplotlib, nothing fetched
when the page is viewed). Colours and dashes come from the page's style sheet, by class."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

WIDTH, HEIGHT = 900, 280
# Room around the plotting area for the axis labels and the legend (left, right, top, bottom).
_MARGIN = (64, 16, 34, 28)
_TICKS = 5


@dataclass(frozen=True)
class Line:
    """A polyline; NaN values break it."""

    xs: np.ndarray
    ys: np.ndarray
    kind: str  # the style sheet's class: actual, model, naive, seasonal-naive, validation...
    label: str | None = None  # in the legend (the first line of a kind with one)
    dots: bool = False  # a dot at each point


@dataclass(frozen=True)
class Band:
    """A filled area between two lines (a forecast interval)."""

    xs: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    kind: str = "band"
    label: str | None = None


@dataclass(frozen=True)
class Span:
    """A shaded stretch of the x axis (the test part, an anomaly event)."""

    start: float
    end: float
    kind: str
    label: str | None = None
    title: str | None = None  # shown when the pointer rests on it


@dataclass(frozen=True)
class Chart:
    title: str
    lines: Sequence[Line]
    bands: Sequence[Band] = ()
    spans: Sequence[Span] = ()
    x_label: Callable[[float], str] = field(default=lambda x: f"{x:g}")


def render(chart: Chart) -> str:
    """``chart`` as one ``<svg>`` element, scaled to the width of its container."""
    xs = np.concatenate([*(ln.xs for ln in chart.lines), *(b.xs for b in chart.bands)])
    ys = np.concatenate(
        [*(ln.ys for ln in chart.lines), *(b.lower for b in chart.bands)]
        + [b.upper for b in chart.bands]
    )
    xs, ys = xs[np.isfinite(xs)], ys[np.isfinite(ys)]
    if not len(xs) or not len(ys):
        return f'<p class="empty">{html.escape(chart.title)}: nothing to draw.</p>'
    x_range = _padded(float(xs.min()), float(xs.max()), 0.0)
    y_range = _padded(float(ys.min()), float(ys.max()), 0.05)
    scale = _Scale(x_range, y_range)
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart">',
        f"<title>{html.escape(chart.title)}</title>",
        *(_span(s, scale) for s in chart.spans),
        *(_band(b, scale) for b in chart.bands),
        *_axes(scale, chart.x_label),
        *(_line(ln, scale) for ln in chart.lines),
        _legend(chart),
        "</svg>",
    ]
    return "".join(parts)


@dataclass(frozen=True)
class _Scale:
    x: tuple[float, float]
    y: tuple[float, float]

    def px(self, x: np.ndarray | float) -> np.ndarray:
        left, right = _MARGIN[0], WIDTH - _MARGIN[1]
        return left + (np.asarray(x, dtype=float) - self.x[0]) / _span_of(self.x) * (right - left)

    def py(self, y: np.ndarray | float) -> np.ndarray:
        top, bottom = _MARGIN[2], HEIGHT - _MARGIN[3]
        return bottom - (np.asarray(y, dtype=float) - self.y[0]) / _span_of(self.y) * (bottom - top)


def _span_of(bounds: tuple[float, float]) -> float:
    return (bounds[1] - bounds[0]) or 1.0


def _padded(low: float, high: float, share: float) -> tuple[float, float]:
    if high == low:
        return low - 1.0, high + 1.0
    pad = (high - low) * share
    return low - pad, high + pad


def _points(xs: np.ndarray, ys: np.ndarray) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


def _line(line: Line, scale: _Scale) -> str:
    """A path of the line's finite runs (a NaN starts a new run)."""
    finite = np.isfinite(line.ys) & np.isfinite(line.xs)
    px, py = scale.px(line.xs), scale.py(line.ys)
    runs, current = [], []
    for k in range(len(finite)):
        if finite[k]:
            current.append(f"{px[k]:.1f},{py[k]:.1f}")
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    path = " ".join("M" + " L".join(run) for run in runs)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2"/>'
        for x, y, ok in zip(px, py, finite, strict=True)
        if ok and line.dots
    )
    return f'<g class="{line.kind}"><path d="{path}"/>{dots}</g>'


def _band(band: Band, scale: _Scale) -> str:
    ok = np.isfinite(band.lower) & np.isfinite(band.upper) & np.isfinite(band.xs)
    xs, low, high = band.xs[ok], band.lower[ok], band.upper[ok]
    if not len(xs):
        return ""
    outline = (
        _points(scale.px(xs), scale.py(high))
        + " "
        + _points(scale.px(xs[::-1]), scale.py(low[::-1]))
    )
    return f'<polygon class="{band.kind}" points="{outline}"/>'


def _span(span: Span, scale: _Scale) -> str:
    left, right = float(scale.px(span.start)), float(scale.px(span.end))
    width = max(right - left, 2.0)
    top, bottom = _MARGIN[2], HEIGHT - _MARGIN[3]
    title = f"<title>{html.escape(span.title)}</title>" if span.title else ""
    return (
        f'<rect class="{span.kind}" x="{left:.1f}" y="{top}" width="{width:.1f}" '
        f'height="{bottom - top}">{title}</rect>'
    )


def _axes(scale: _Scale, x_label: Callable[[float], str]) -> list[str]:
    left, right = _MARGIN[0], WIDTH - _MARGIN[1]
    top, bottom = _MARGIN[2], HEIGHT - _MARGIN[3]
    parts = [
        f'<rect class="frame" x="{left}" y="{top}" width="{right - left}" height="{bottom - top}"/>'
    ]
    for value in nice_ticks(*scale.y):
        y = float(scale.py(value))
        parts.append(f'<line class="grid" x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{html.escape(_number(value))}</text>"
        )
    shown = ""
    for k in range(_TICKS):
        x = scale.x[0] + k / (_TICKS - 1) * _span_of(scale.x)
        text = x_label(x)
        if text == shown:  # a short axis (4 epochs) would name a tick twice
            continue
        shown = text
        anchor = "start" if k == 0 else "end" if k == _TICKS - 1 else "middle"
        parts.append(
            f'<text class="tick" x="{float(scale.px(x)):.1f}" y="{bottom + 18}" '
            f'text-anchor="{anchor}">{html.escape(text)}</text>'
        )
    return parts


def _legend(chart: Chart) -> str:
    """One swatch and label per labelled kind, in a row above the plotting area."""
    entries: list[tuple[str, str]] = []
    items: list[Span | Band | Line] = [*chart.spans, *chart.bands, *chart.lines]
    for item in items:
        if item.label and all(item.label != label for _, label in entries):
            entries.append((item.kind, item.label))
    x, parts = _MARGIN[0], ['<g class="legend">']
    for kind, label in entries:
        parts.append(
            f'<g class="{kind}"><rect class="swatch" x="{x}" y="10" width="18" height="10"/></g>'
            f'<text x="{x + 24}" y="19">{html.escape(label)}</text>'
        )
        x += 34 + 7 * len(label)
    return "".join(parts) + "</g>"


def nice_ticks(low: float, high: float, count: int = _TICKS) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten apart) inside ``[low, high]``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step) + 1)]


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.6g}"
