"""Server-drawn SVG charts for the back office: no script, every text escaped.

One chart is a column of small panels sharing the time axis, one panel per figure
(views, clicks, orders, revenue), each scaled to its own maximum so a ₹ figure and a
count can sit together and both stay readable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup, escape

WIDTH = 760
PANEL = 120  # height of one panel, its title included
LEFT, RIGHT = 92, 16
COLOURS = ("#1f6f8b", "#c05621", "#2f855a", "#6b46c1")


def _panel(
    top: int, label: str, values: Sequence[int], show: Callable[[int], str], colour: str
) -> list[str]:
    plot_top, plot_bottom = top + 28, top + PANEL - 16
    height = plot_bottom - plot_top
    width = WIDTH - LEFT - RIGHT
    peak = max(values, default=0)
    total = sum(values)
    parts = [
        f'<text x="{LEFT}" y="{top + 16}" font-size="14" font-weight="bold" fill="#1a202c">'
        f"{escape(label)} — total {escape(show(total))}</text>",
        f'<line x1="{LEFT}" y1="{plot_bottom}" x2="{WIDTH - RIGHT}" y2="{plot_bottom}" '
        'stroke="#a0aec0" stroke-width="1"/>',
        f'<text x="{LEFT - 8}" y="{plot_top + 10}" font-size="12" text-anchor="end" '
        f'fill="#4a5568">{escape(show(peak))}</text>',
        f'<text x="{LEFT - 8}" y="{plot_bottom}" font-size="12" text-anchor="end" '
        'fill="#4a5568">0</text>',
    ]
    n = len(values)
    if n == 0:
        return parts
    step = width / n
    bar = max(1.0, step * 0.7)
    for i, value in enumerate(values):
        if value <= 0 or peak <= 0:
            continue
        h = height * value / peak
        x = LEFT + i * step + (step - bar) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{plot_bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{colour}"><title>{escape(show(value))}</title></rect>'
        )
    return parts


def daily_chart(
    title: str,
    days: Sequence[date],
    series: Sequence[tuple[str, Sequence[int], Callable[[int], str]]],
) -> Markup:
    """An SVG of one panel per (label, values per day, how to show a value)."""
    height = PANEL * len(series) + 28
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif"><title>{escape(title)}</title>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for i, (label, values, show) in enumerate(series):
        parts += _panel(i * PANEL, label, values, show, COLOURS[i % len(COLOURS)])
    if days:
        axis = height - 8
        parts.append(
            f'<text x="{LEFT}" y="{axis}" font-size="12" fill="#4a5568">'
            f"{escape(days[0].strftime('%d %b %Y'))}</text>"
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT}" y="{axis}" font-size="12" text-anchor="end" '
            f'fill="#4a5568">{escape(days[-1].strftime("%d %b %Y"))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
