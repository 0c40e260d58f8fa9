"""Horizontal bar charts as inline SVG, drawn on the server (no script, no library, no inline style:
the CSP allows none, so the look comes from classes in app.css)."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW = 28
LABEL_WIDTH = 300
BAR_WIDTH = 360
WIDTH = LABEL_WIDTH + BAR_WIDTH + 60


def bar_chart(title: str, rows: list[tuple[str, int]], chart_id: str) -> Markup:
    """One bar per (label, count), longest first as given; the title names the chart for screen
    readers, which also get every bar's label and count as text."""
    height = max(1, len(rows)) * ROW + 8
    top = max((count for _, count in rows), default=0) or 1
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for index, (label, count) in enumerate(rows):
        y = 4 + index * ROW
        width = max(2, round(BAR_WIDTH * count / top))
        short = label if len(label) <= 40 else label[:39] + "…"
        text_y, bar_y, bar_height = y + 18, y + 4, ROW - 8
        parts.append(
            f'<g class="chart-row"><title>{escape(label)}: {count}</title>'
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end">'
            f"{escape(short)}</text>"
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{bar_y}" width="{width}" '
            f'height="{bar_height}" rx="2"></rect>'
            f'<text class="chart-count" x="{LABEL_WIDTH + width + 6}" y="{text_y}">{count}</text></g>'
        )
    parts.append("</svg>")
    # Every piece of text above went through `escape`; the rest is our own markup.
    return Markup("".join(parts))  # noqa: S704
