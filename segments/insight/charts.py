"""Server-rendered SVG charts of the insight page. Each chart is a standalone SVG document (inline
attributes, no stylesheet), so the page shows it and the download is the same markup.

Every text goes through `escape`; numbers are formatted here. Each chart has a table
view on the page (tables.py) for screen readers and exact values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from segments.fields import RFM_SEGMENT_CHOICES
from segments.insight.selectors import Lift, LiftRow, Overlap, Pareto, RfmGrid, Trend

FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""
INK = "#1f2937"
QUIET = "#6b7280"
ACCENT = "#1d4ed8"
RFM_LABELS = dict(RFM_SEGMENT_CHOICES)
PALETTE = ("#1d4ed8", "#b45309", "#047857", "#b91c1c", "#7c3aed", "#0e7490", "#be185d", "#4d7c0f", "#334155", "#c2410c",
           "#0369a1", "#a16207")


def _svg(*, width: int, height: int, title: str, description: str, body: Sequence[str], chart: str) -> SafeString:
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" class="insight-chart" data-chart="{escape(chart)}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="12" '
        f'aria-labelledby="{escape(chart)}-title {escape(chart)}-desc">'),
        f'<title id="{escape(chart)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart)}-desc">{escape(description)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        *body,
        "</svg>",
    ]
    return mark_safe("\n".join(parts))


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", fill: str = INK, weight: str = "normal",
          extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}" {extra}>{escape(text)}</text>')


def _fitted(text: str, chars: int) -> str:
    """A label cut to the room it has (the full name stays in the table view and the tooltip)."""
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _mix(share: float) -> str:
    """A blue from very light (0) to dark (1)."""
    share = max(0.0, min(1.0, share))
    low, high = (239, 246, 255), (30, 64, 175)
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(low, high))
    return f"#{r:02x}{g:02x}{b:02x}"


def _euro(value: Decimal | None) -> str:
    if value is None:
        return "–"
    amount = float(value)
    if abs(amount) >= 1_000_000:
        return f"€{amount / 1_000_000:.1f}M"
    if abs(amount) >= 10_000:
        return f"€{amount / 1000:.0f}k"
    return f"€{amount:,.0f}"


# ---------------------------------------------------------------- RFM heatmap


def rfm_heatmap_svg(grid: RfmGrid, *, cell_link: Callable[[int, int], str] | None = None,
                    selected: tuple[int, int] | None = None) -> SafeString:
    cell_w, cell_h, left, top = 128, 74, 86, 34
    width, height = left + 5 * cell_w + 16, top + 5 * cell_h + 58
    most = max((cell.companies for cell in grid.cells), default=0) or 1
    body = [_text(left + 5 * cell_w / 2, 20, "Frequency score (orders in 12 months) →", anchor="middle", fill=QUIET)]
    body.append(_text(18, top + 5 * cell_h / 2, "Recency score →", anchor="middle", fill=QUIET,
                      extra=f'transform="rotate(-90 18 {top + 5 * cell_h / 2:.1f})"'))
    position = {}
    for cell in grid.cells:
        column, row = cell.frequency - 1, 5 - cell.recency
        x, y = left + column * cell_w, top + row * cell_h
        position[(cell.recency, cell.frequency)] = (x, y)
        share = cell.companies / most
        fill = _mix(share) if cell.companies else "#f9fafb"
        ink = "#ffffff" if share > 0.55 else INK
        label = (f"Recency {cell.recency}, frequency {cell.frequency} ({RFM_LABELS[cell.rfm_segment]}): "
                 f"{cell.companies} companies, {cell.contacts} contacts, revenue {_euro(cell.revenue_12m)}")
        cell_svg = [
            f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}" rx="3"/>',
            _text(x + cell_w / 2, y + 30, f"{cell.companies:,}", size=18, anchor="middle", fill=ink, weight="bold"),
            _text(x + cell_w / 2, y + 48, f"{cell.contacts:,} contacts", size=11, anchor="middle", fill=ink),
            _text(x + cell_w / 2, y + 63, _euro(cell.revenue_12m), size=11, anchor="middle", fill=ink),
        ]
        if selected == (cell.recency, cell.frequency):
            cell_svg.append(f'<rect x="{x + 4}" y="{y + 4}" width="{cell_w - 8}" height="{cell_h - 8}" fill="none" '
                            f'stroke="#f59e0b" stroke-width="3" rx="2"/>')
        if cell_link:
            body.append(
                f'<a href="{escape(cell_link(cell.recency, cell.frequency))}" class="rfm-cell" '
                f'data-recency="{cell.recency}" data-frequency="{cell.frequency}" aria-label="{escape(label)}">'
                f"<title>{escape(label)}</title>{''.join(cell_svg)}</a>"
            )
        else:
            body.append(f"<g><title>{escape(label)}</title>{''.join(cell_svg)}</g>")
    for score in range(1, 6):
        body.append(_text(left + (score - 0.5) * cell_w, top + 5 * cell_h + 16, f"F{score}", anchor="middle", fill=QUIET))
        body.append(_text(left - 10, top + (5 - score + 0.5) * cell_h + 4, f"R{score}", anchor="end", fill=QUIET))
    # The named RFM segments: a dark edge wherever two neighbouring cells belong to different segments.
    names = {(cell.recency, cell.frequency): cell.rfm_segment for cell in grid.cells}
    edges = []
    for (r, f), (x, y) in position.items():
        if f == 1 or names.get((r, f - 1)) != names[(r, f)]:
            edges.append((x, y, x, y + cell_h))
        if f == 5:
            edges.append((x + cell_w, y, x + cell_w, y + cell_h))
        if r == 5 or names.get((r + 1, f)) != names[(r, f)]:
            edges.append((x, y, x + cell_w, y))
        if r == 1:
            edges.append((x, y + cell_h, x + cell_w, y + cell_h))
    body.extend(f'<line x1="{a}" y1="{b}" x2="{c}" y2="{d}" stroke="{INK}" stroke-width="2.5"/>' for a, b, c, d in edges)
    labelled = set()
    for cell in sorted(grid.cells, key=lambda c: (-c.recency, c.frequency)):
        if cell.rfm_segment in labelled:
            continue
        labelled.add(cell.rfm_segment)
        x, y = position[(cell.recency, cell.frequency)]
        share = cell.companies / most
        body.append(_text(x + 6, y + 13, RFM_LABELS[cell.rfm_segment], size=9,
                          fill="#ffffff" if share > 0.55 else QUIET, extra='font-style="italic"'))
    body.append(_text(left, height - 12, f"{grid.companies_without_orders:,} companies without an order in the 12 months "
                                         "have no RFM score.", fill=QUIET, size=11))
    return _svg(width=width, height=height, chart="rfm", title="RFM grid: recency x frequency",
                description="Companies per recency and frequency score; the darker, the more companies; "
                            "dark edges outline the named RFM segments.", body=body)


# ---------------------------------------------------------------- Pareto curve


def pareto_svg(pareto: Pareto) -> SafeString:
    width, height, left, top, plot_w, plot_h = 560, 340, 58, 24, 470, 260

    def at(company_share: Decimal, revenue_share: Decimal | None) -> tuple[float, float]:
        return left + float(company_share) / 100 * plot_w, top + plot_h - float(revenue_share or 0) / 100 * plot_h

    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f9fafb" stroke="#d1d5db"/>']
    for tick in range(0, 101, 25):
        x, _ = at(Decimal(tick), Decimal(0))
        _, y = at(Decimal(0), Decimal(tick))
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        body.append(_text(left - 6, y + 4, f"{tick}%", anchor="end", fill=QUIET, size=11))
        body.append(_text(x, top + plot_h + 16, f"{tick}%", anchor="middle", fill=QUIET, size=11))
    body.append(_text(left + plot_w / 2, height - 8, "Share of companies, by 12-month revenue (highest first)", anchor="middle",
                      fill=QUIET))
    body.append(_text(14, top + plot_h / 2, "Share of revenue", anchor="middle", fill=QUIET,
                      extra=f'transform="rotate(-90 14 {top + plot_h / 2:.1f})"'))
    x0, y0 = at(Decimal(0), Decimal(0))
    x1, y1 = at(Decimal(100), Decimal(100))
    body.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#9ca3af" stroke-dasharray="4 4"/>')
    if pareto.revenue_12m and pareto.points:
        points = " ".join("{:.1f},{:.1f}".format(*at(p.company_share, p.revenue_share)) for p in pareto.points)
        body.append(f'<polyline points="{points}" fill="none" stroke="{ACCENT}" stroke-width="2.5"/>')
        if pareto.top_quarter_revenue_share is not None:
            mark = next(p for p in pareto.points if p.companies == pareto.top_quarter_companies)
            x, y = at(mark.company_share, mark.revenue_share)
            body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#f59e0b" stroke-width="1.5"/>')
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#f59e0b"/>')
            body.append(_text(x + 8, y + 16, f"Top 25% ({pareto.top_quarter_companies:,} companies): "
                                             f"{pareto.top_quarter_revenue_share}% of revenue", weight="bold"))
    else:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "No revenue in the 12 months", anchor="middle", fill=QUIET))
    return _svg(width=width, height=height, chart="pareto", title="Pareto: cumulative revenue share",
                description=f"{pareto.companies} companies ranked by 12-month revenue; the top 25% bring "
                            f"{pareto.top_quarter_revenue_share}% of the revenue.", body=body)


# ---------------------------------------------------------------- lift bars


def lift_chart_rows(lift: Lift, *, limit: int = 14) -> list[LiftRow]:
    """The strongest lifts with enough support to mean something: at least 2 companies and 5% of the segment."""
    floor = max(2, lift.segment_companies * 5 / 100)
    return [row for row in lift.rows if row.lift is not None and row.segment_companies >= floor][:limit]


def lift_svg(lift: Lift) -> SafeString:
    rows = lift_chart_rows(lift)
    label_w, bar_w, row_h, top = 330, 280, 24, 30
    width, height = label_w + bar_w + 190, top + max(1, len(rows)) * row_h + 36
    most = max([float(row.lift) for row in rows] + [1.0])
    body = [_text(label_w, 18, f"{lift.segment_label} vs all companies: lift = share in segment / share overall", fill=QUIET)]
    for index, row in enumerate(rows):
        y = top + index * row_h
        length = float(row.lift) / most * bar_w
        body.append(_text(label_w - 8, y + 15, f"{row.trait_label}: {row.value_label}", anchor="end", size=11))
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row_h - 7}" fill="{ACCENT}" rx="2">'
                    f"<title>{escape(f'{row.segment_share}% of the segment, {row.overall_share}% of all companies')}</title></rect>")
        body.append(_text(label_w + length + 6, y + 15, f"×{row.lift}  ({row.segment_share}% vs {row.overall_share}%)", size=11))
    one = label_w + 1.0 / most * bar_w
    body.append(f'<line x1="{one:.1f}" y1="{top - 4}" x2="{one:.1f}" y2="{height - 28}" stroke="#f59e0b" stroke-dasharray="3 3"/>')
    body.append(_text(one, height - 14, "lift 1 = as common as among all companies", anchor="middle", fill=QUIET, size=11))
    if not rows:
        body.append(_text(label_w, top + 16, "No trait with enough companies in the segment.", fill=QUIET))
    return _svg(width=width, height=height, chart="lift", title="Ideal customer profile: strongest traits",
                description=f"Traits over-represented in {lift.segment_label} compared with all companies.", body=body)


# ---------------------------------------------------------------- overlap matrix


def overlap_svg(overlap: Overlap) -> SafeString:
    n = len(overlap.segments)
    cell, left, top = 92, 190, 120
    width, height = left + n * cell + 90, top + n * cell + 24  # room for the last rotated label
    body = []
    for index, segment in enumerate(overlap.segments):
        name = _fitted(segment.name, 28)
        body.append(_text(left - 8, top + index * cell + cell / 2 + 4, name, anchor="end", size=11))
        x = left + index * cell + cell / 2
        body.append(_text(x, top - 8, name, size=11, extra=f'transform="rotate(-40 {x:.1f} {top - 8})"'))
    for row, first in enumerate(overlap.segments):
        for column, second in enumerate(overlap.segments):
            data = overlap.cell(first.slug, second.slug)
            share = float(data.jaccard or 0)
            x, y = left + column * cell, top + row * cell
            ink = "#ffffff" if share > 0.55 else INK
            label = f"{first.name} and {second.name}: {data.both} contacts in both, Jaccard {data.jaccard}"
            body.append(
                f"<g><title>{escape(label)}</title>"
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" fill="{_mix(share)}" rx="3"/>'
                + _text(x + cell / 2, y + cell / 2 - 2, f"{data.both:,}", size=16, anchor="middle", fill=ink, weight="bold")
                + _text(x + cell / 2, y + cell / 2 + 16, f"J {data.jaccard if data.jaccard is not None else '–'}", size=11,
                        anchor="middle", fill=ink)
                + "</g>"
            )
    return _svg(width=width, height=height, chart="overlap", title="Segment overlap",
                description="Contacts in both segments and the Jaccard index (both / either); darker = more overlap.",
                body=body)


# ---------------------------------------------------------------- trend lines


def trends_svg(trends: Sequence[Trend]) -> SafeString:
    width, height, left, top, plot_w, plot_h = 640, 320, 64, 20, 420, 250
    days = trends[0].days if trends else ()
    counts = [day.member_count for trend in trends for day in trend.days if day.member_count is not None]
    most = max(counts + [1])
    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f9fafb" stroke="#d1d5db"/>']
    for tick in range(5):
        value = most * tick / 4
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        body.append(_text(left - 6, y + 4, f"{value:,.0f}", anchor="end", fill=QUIET, size=11))
    if days:
        span = max(1, len(days) - 1)
        body.append(_text(left, top + plot_h + 16, days[0].day.isoformat(), fill=QUIET, size=11))
        body.append(_text(left + plot_w, top + plot_h + 16, days[-1].day.isoformat(), anchor="end", fill=QUIET, size=11))
        for index, trend in enumerate(trends):
            colour = PALETTE[index % len(PALETTE)]
            points = [
                f"{left + plot_w * offset / span:.1f},{top + plot_h - plot_h * day.member_count / most:.1f}"
                for offset, day in enumerate(trend.days) if day.member_count is not None
            ]
            if len(points) == 1:
                x, y = points[0].split(",")
                body.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
            elif points:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>')
            body.append(f'<rect x="{left + plot_w + 14}" y="{top + index * 18}" width="12" height="12" fill="{colour}"/>')
            body.append(_text(left + plot_w + 32, top + index * 18 + 10, _fitted(trend.name, 22), size=11))
    if not counts:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "No refresh in this period", anchor="middle", fill=QUIET))
    return _svg(width=width, height=height, chart="trends", title="Members over time",
                description="Member count of each segment at its last refresh of each day.", body=body)
