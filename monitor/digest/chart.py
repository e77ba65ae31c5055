"""A self-contained SVG bar chart of incidents per day (no scripts, no external assets), inline in the
HTML digest and written beside it as a file."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT = 600, 180
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 24, 28
BAR_COLOR, AXIS_COLOR, TEXT_COLOR = "#c0392b", "#999999", "#333333"


def incidents_chart_svg(days: Sequence[tuple[date, int]], title: str = "Incidents per day") -> str:
    """`days` oldest first; one bar per day, the y axis from 0 to the peak (at least 1)."""
    peak = max([count for _, count in days] + [1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title, quote=True)}" font-family="Arial,Helvetica,sans-serif" font-size="10">',
        f'<text x="{LEFT}" y="14" fill="{TEXT_COLOR}" font-size="12" font-weight="bold">{escape(title)}</text>',
        _axis(peak, plot_h),
    ]
    for i, (day, count) in enumerate(days):
        x = LEFT + i * slot
        h = plot_h * count / peak
        label = f"{day.isoformat()}: {count}"
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{BAR_COLOR}"><title>{escape(label)}</title></rect>'
        )
        if i % 5 == 0 or i == len(days) - 1:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 10}" fill="{TEXT_COLOR}" '
                         f'text-anchor="middle">{day.strftime("%m-%d")}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _axis(peak: int, plot_h: float) -> str:
    base = TOP + plot_h
    return (
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{AXIS_COLOR}"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="{AXIS_COLOR}"/>'
        f'<text x="{LEFT - 4}" y="{TOP + 4}" fill="{TEXT_COLOR}" text-anchor="end">{peak}</text>'
        f'<text x="{LEFT - 4}" y="{base}" fill="{TEXT_COLOR}" text-anchor="end">0</text>'
    )
