"""The insight figures as the API and the admin page read them: cached per refresh (cache.py)."""

from __future__ import annotations

from django.utils import timezone

from segments.insight.cache import insight_cached
from segments.insight.rules import LookAlike, lookalike_build
from segments.insight.selectors import (
    TRENDS_DAYS,
    CellCompanies,
    KpiReport,
    Lift,
    Overlap,
    Pareto,
    RfmGrid,
    Trend,
    insight_kpis,
    insight_lift,
    insight_overlap,
    insight_pareto,
    insight_rfm_cell_companies,
    insight_rfm_grid,
    insight_trends,
)
from segments.models import Segment
from segments.windows import local_today

# The segments the overlap and trends compare when the marketer has not chosen: the largest active ones.
COMPARED_BY_DEFAULT = 6


def largest_active_segments(*, limit: int) -> list[Segment]:
    return list(Segment.objects.filter(is_active=True).order_by("-member_count", "name")[:limit])


def default_compared_segments() -> list[Segment]:
    return largest_active_segments(limit=COMPARED_BY_DEFAULT)


def _key(segment: Segment | None) -> tuple:
    return (segment.pk, segment.slug) if segment else (None,)


def kpis_figure(*, segment: Segment | None = None) -> KpiReport:
    return insight_cached("kpis", _key(segment), lambda: insight_kpis(segment=segment))


def rfm_grid_figure(*, segment: Segment | None = None) -> RfmGrid:
    return insight_cached("rfm-grid", _key(segment), lambda: insight_rfm_grid(segment=segment))


def rfm_cell_figure(*, recency: int, frequency: int, segment: Segment | None = None) -> CellCompanies:
    return insight_cached(
        "rfm-cell", (*_key(segment), recency, frequency),
        lambda: insight_rfm_cell_companies(recency=recency, frequency=frequency, segment=segment),
    )


def pareto_figure(*, segment: Segment | None = None) -> Pareto:
    return insight_cached("pareto", _key(segment), lambda: insight_pareto(segment=segment))


def lift_figure(*, segment: Segment | None = None) -> Lift:
    return insight_cached("lift", _key(segment), lambda: insight_lift(segment=segment))


def lookalike_figure(*, segment: Segment | None = None) -> LookAlike:
    return insight_cached("lookalike", _key(segment), lambda: lookalike_build(lift=lift_figure(segment=segment), segment=segment))


def overlap_figure(*, segments: list[Segment]) -> Overlap:
    return insight_cached("overlap", tuple(_key(s) for s in segments), lambda: insight_overlap(segments=segments))


def trends_figure(*, segments: list[Segment], days: int) -> tuple[Trend, ...]:
    today = local_today(timezone.now())  # the series end today: part of the key
    return insight_cached(
        "trends", (tuple(_key(s) for s in segments), days, today),
        lambda: insight_trends(segments=segments, days=days, now=timezone.now()),
    )


def insight_figures_warm(*, segments_limit: int) -> int:
    """Compute the figures marketers open first, so their first view after a refresh run comes from the cache.

    All customers and the `segments_limit` largest active segments (KPIs, RFM grid,
    Pareto, lift, look-alike), and the default overlap and trends. Returns the number of
    figures computed or found; figures already cached for this run cost three queries.
    """
    largest = largest_active_segments(limit=segments_limit)
    figures = (kpis_figure, rfm_grid_figure, pareto_figure, lift_figure, lookalike_figure)
    for segment in [None, *largest]:
        for figure in figures:
            figure(segment=segment)
    compared = default_compared_segments()
    if compared:
        overlap_figure(segments=compared)
        trends_figure(segments=compared, days=TRENDS_DAYS)
    return len(figures) * (1 + len(largest)) + (2 if compared else 0)
