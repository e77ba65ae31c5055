"""The digest's bar chart of new incidents per day as a PNG (matplotlib, no display needed): mail
clients show a PNG embedded in the message where they drop inline SVG."""
from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

BAR_COLOR, TEXT_COLOR = "#c0392b", "#333333"
WIDTH_IN, HEIGHT_IN, DPI = 6.4, 2.0, 100  # 640 × 200 pixels: the digest's column width


def incidents_chart_png(days: Sequence[tuple[date, int]], title: str = "New incidents per day") -> bytes:
    """`days` oldest first; one bar per day, whole numbers on the y axis, a date every few days."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    counts = [count for _, count in days]
    ax.bar(range(len(days)), counts, color=BAR_COLOR, width=0.7)
    step = max(1, len(days) // 6)
    ticks = [i for i in range(len(days)) if i % step == 0 or i == len(days) - 1]
    ax.set_xticks(ticks, [days[i][0].strftime("%m-%d") for i in ticks], fontsize=8, color=TEXT_COLOR)
    ax.set_ylim(0, max([*counts, 1]) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.tick_params(axis="y", labelsize=8, colors=TEXT_COLOR)
    ax.set_ylabel("incidents", fontsize=8, color=TEXT_COLOR)
    ax.set_title(title, fontsize=10, color=TEXT_COLOR, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout(pad=0.4)
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
