"""A server-rendered SVG bar chart of used against baseline kWh: no JavaScript, readable on a tablet."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from facility.energy.accounting import ReportRow

WIDTH, HEIGHT = 640, 200
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 52, 28, 12


def savings_chart(rows: Sequence[ReportRow], *, label: str, used: str, baseline: str) -> Markup:
    """Per row (a day or a month): the baseline as a light bar, the kWh used as a dark one in front."""
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_TOP - PAD_BOTTOM
    high = max([max(r.kwh, r.baseline_kwh) for r in rows] + [1.0])
    step = inner_w / max(len(rows), 1)
    bar = max(step * 0.7, 1.0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">',
        f'<text x="4" y="{PAD_TOP + 10}" class="tick">{high:,.0f} kWh</text>',
        f'<text x="4" y="{PAD_TOP + inner_h}" class="tick">0</text>',
    ]
    every = max(1, len(rows) // 8)
    for index, row in enumerate(rows):
        x = PAD_LEFT + index * step
        for value, css in ((row.baseline_kwh, "baseline"), (row.kwh, "used")):
            h = inner_h * value / high
            name = escape(used if css == "used" else baseline)
            parts.append(
                f'<rect class="bar {css}" x="{x:.1f}" y="{PAD_TOP + inner_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}"><title>{escape(row.label)}: {name} {value:,.1f} kWh</title></rect>'
            )
        if index % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" class="tick">{escape(row.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
