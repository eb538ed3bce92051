"""Inline SVG charts: no script, no external assets, so the page works on a closed network
and under a strict Content-Security-Policy. Every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

PALETTE: tuple[str, ...] = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#be185d")
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


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
    times: Sequence[datetime], series: Sequence[tuple[str, Sequence[float]]], *, title: str, width: int = 940
) -> str:
    """Grouped columns over time buckets: one colour per series, with a legend."""
    if not times:
        return f'<p class="empty">{escape(title)}: no messages in this period</p>'
    height, left, bottom, top_pad = 220, 48, 40, 30
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    top = max((float(v) for _, values in series for v in values), default=0.0) or 1.0
    slot = plot_w / len(times)
    bar_w = max(1.0, slot * 0.8 / max(1, len(series)))
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" {_FONT}><title>{escape(title)}</title>',
             f'<text x="0" y="14" font-weight="600">{escape(title)}</text>',
             f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}" y2="{top_pad + plot_h}" stroke="#999"/>',
             f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end">{_num(top)}</text>',
             f'<text x="{left - 4}" y="{top_pad + plot_h}" text-anchor="end">0</text>']
    for s, (name, _) in enumerate(series):
        x = width - 10 - (len(series) - s) * 110
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="13">{escape(name)}</text>')
    step = max(1, len(times) // 8)
    for i, t in enumerate(times):
        x0 = left + i * slot + slot * 0.1
        for s, (name, values) in enumerate(series):
            v = float(values[i])
            h = v / top * plot_h
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{top_pad + plot_h - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(name)} '
                         f'{t:%Y-%m-%d %H:%M}: {_num(v)}</title></rect>')
        if i % step == 0:
            parts.append(f'<text x="{left + i * slot:.1f}" y="{height - bottom + 16}">{t:%m-%d %H:%M}</text>')
    parts.append("</svg>")
    return "".join(parts)
