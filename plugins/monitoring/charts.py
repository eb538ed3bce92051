"""Inline SVG charts: no script, no external assets, so the page works on a closed network
and under a strict Content-Security-Policy. Every label is escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

PALETTE: tuple[str, ...] = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#be185d")
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
#: widest a group of columns (one bucket) may be drawn: one bucket over a wide chart is a
#: column, not a page-wide block that reads as "everything, all the time"
MAX_GROUP_WIDTH = 48.0
#: pixels between time labels: a label ("01-31 23:45") is about 80 wide at 12 px, and the
#: first (drawn from its edge rightwards) must clear the centred one after it
LABEL_SPACING = 135
#: a generous width per character of a time label (digits and "-" at 12 px), and the least gap
_CHAR_WIDTH = 7.5
_LABEL_GAP = 8


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is at least ``value`` (1 for nothing to show),
    so that axis labels are round numbers."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def hbar(rows: Sequence[tuple[str, float]], *, title: str, width: int = 460, unit: str = "") -> str:
    """Horizontal bars, one per ``(label, value)``, longest first as given."""
    if not rows:
        return f'<p class="empty">{escape(title)}: none in this period</p>'
    bar_h, gap, value_w = 18, 6, 70
    # room for the longest label (about 8 px per capital at 12 px), within limits
    label_w = max(60, min(240, 8 * max(len(str(label)) for label, _ in rows) + 12))
    height = len(rows) * (bar_h + gap) + 28
    top = max(float(v) for _, v in rows) or 1.0
    scale = (width - label_w - value_w) / top
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" {_FONT}><title>{escape(title)}</title>',
             f'<text x="0" y="14" font-weight="600">{escape(title)}</text>']
    for i, (label, value) in enumerate(rows):
        y = 24 + i * (bar_h + gap)
        w = max(1.0, float(value) * scale)
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(str(label))}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                     f'<title>{escape(str(label))}: {_num(float(value))}{escape(unit)}</title></rect>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{_num(float(value))}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(
    times: Sequence[datetime],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    width: int = 940,
    step: timedelta | None = None,
    time_format: str = "%m-%d %H:%M",
) -> str:
    """Grouped columns over consecutive time buckets: one colour per series, with a legend.

    ``times`` are the starts of every bucket of the period, empty ones included (the x axis
    is time, so a gap must stay a gap); ``step`` is the bucket size, which lets the axis name
    the end of the last bucket too. Each group is at most ``MAX_GROUP_WIDTH`` wide and
    centred in its bucket; at most one time label per ``LABEL_SPACING`` pixels."""
    if not times:
        return f'<p class="empty">{escape(title)}: no messages in this period</p>'
    height, left, right, bottom, top_pad = 220, 48, 10, 40, 30
    plot_w, plot_h = width - left - right, height - bottom - top_pad
    base = top_pad + plot_h
    top = nice_ceiling(max((float(v) for _, values in series for v in values), default=0.0))
    slot = plot_w / len(times)
    group_w = min(slot * 0.8, MAX_GROUP_WIDTH)
    bar_w = group_w / max(1, len(series))
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" {_FONT}><title>{escape(title)}</title>',
             f'<text x="0" y="14" font-weight="600">{escape(title)}</text>']
    for fraction in (0.0, 0.5, 1.0):  # gridlines at 0, half and the (round) top
        y = base - fraction * plot_h
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="{"#999" if fraction == 0 else "#e5e5e5"}"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_num(top * fraction)}</text>')
    for s, (name, _) in enumerate(series):
        x = width - right - (len(series) - s) * 110
        parts.append(f'<rect class="legend" x="{x}" y="4" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="13">{escape(name)}</text>')
    for i, t in enumerate(times):
        x0 = left + i * slot + (slot - group_w) / 2
        for s, (name, values) in enumerate(series):
            v = float(values[i])
            h = v / top * plot_h
            parts.append(f'<rect class="bar" x="{x0 + s * bar_w:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(name)} '
                         f'{t:%Y-%m-%d %H:%M}: {_num(v)}</title></rect>')
    parts.extend(_time_labels(times, step, left, slot, plot_w, height - bottom + 16, time_format))
    parts.append("</svg>")
    return "".join(parts)


def _time_labels(
    times: Sequence[datetime], step: timedelta | None, left: float, slot: float, plot_w: float, y: float, fmt: str
) -> list[str]:
    """Labels on bucket boundaries, evenly thinned, none overlapping another; the period's
    end closes the axis when ``step`` is known (so one bucket still reads "from ... to ...")
    and wins over the label before it when both do not fit."""
    edges = [*times, times[-1] + step] if step else list(times)
    every = max(1, math.ceil(len(times) / max(1, plot_w // LABEL_SPACING)))
    picks = list(range(0, len(edges), every))
    if step and picks[-1] != len(edges) - 1:
        picks.append(len(edges) - 1)
    placed: list[tuple[int, float, str, float, float]] = []  # (edge, x, anchor, from, to)
    for k in picks:
        x = left + k * slot
        text = edges[k].strftime(fmt)
        width = _CHAR_WIDTH * len(text)
        anchor = "start" if k == 0 else "end" if x > left + plot_w - width / 2 else "middle"
        lo = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
        while placed and placed[-1][4] + _LABEL_GAP > lo:
            if k != len(edges) - 1 or placed[-1][0] == 0:
                break
            placed.pop()  # the end of the period matters more than the label just before it
        if placed and placed[-1][4] + _LABEL_GAP > lo:
            continue
        placed.append((k, x, anchor, lo, lo + width))
    return [f'<line class="tick" x1="{x:.1f}" y1="{y - 16}" x2="{x:.1f}" y2="{y - 11}" stroke="#999"/>'
            f'<text class="time" x="{x:.1f}" y="{y}" text-anchor="{anchor}">{edges[k].strftime(fmt)}</text>'
            for k, x, anchor, _, _ in placed]
