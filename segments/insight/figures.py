"""The insight figures as the API and the admin page read them: cached per refresh (cache.py)."""

from __future__ import annotations

from django.utils import timezone

from segments.insight.cache import insight_cached
from segments.insight.rules import LookAlike, lookalike_build
from segments.insight.selectors import (
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
