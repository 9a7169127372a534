"""The insight page in the admin: marketers read the figures as charts and tables, export them, and turn an
RFM cell or the look-alike of a segment into a segment (then edit it in the normal builder).

Registered under the segment admin (`SegmentAdmin.get_urls`); these views only adapt:
the figures come from figures.py, the writes from services.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from b2bshop.api.permissions import is_marketer
from b2bshop.exceptions import ApplicationError
from segments.insight import charts, tables
from segments.insight.figures import (
    default_compared_segments,
    kpis_figure,
    lift_figure,
    lookalike_figure,
    overlap_figure,
    pareto_figure,
    rfm_cell_figure,
    rfm_grid_figure,
    trends_figure,
)
from segments.insight.selectors import TRENDS_DAYS, ValuesPeriod, insight_values_period
from segments.insight.services import (
    lookalike_segment_create,
    segment_from_rfm_cell_create,
)
from segments.models import Segment

MAX_COMPARED = 12


@dataclass(frozen=True)
class Section:
    """One tab of the page: its figures are computed when the tab is shown (each tab stays under a second cold)."""

    key: str
    label: str
    tables: frozenset[str]
    charts: frozenset[str]
    figures: Callable[[InsightPage], dict[str, Any]]  # the template's figure variables


SECTIONS: tuple[Section, ...] = (
    Section(
        "overview", "KPIs, RFM and top 25%", frozenset({"kpis", "rfm_grid", "rfm_cell", "pareto", "top_companies"}),
        frozenset({"rfm", "pareto"}),
        lambda page: {"kpis": page.kpis(), "grid": page.grid(), "cell": page.cell_companies(), "pareto": page.pareto()},
    ),
    Section(
        "profile", "Ideal customer profile", frozenset({"lift", "lookalike"}), frozenset({"lift"}),
        lambda page: {"lift": page.lift(), "lookalike": page.lookalike()},
    ),
    Section(
        "segments", "Overlap and trends", frozenset({"overlap", "trends"}), frozenset({"overlap", "trends"}),
        lambda page: {"overlap": page.overlap()},
    ),
)
SECTION_BY_KEY = {section.key: section for section in SECTIONS}


def _marketer(request: HttpRequest) -> None:
    if not is_marketer(request.user):
        raise PermissionDenied


def _scores(text: str) -> tuple[int, int] | None:
    """'5-4' -> (5, 4): recency and frequency of an RFM cell."""
    parts = text.split("-")
    if len(parts) == 2 and all(part.isdigit() and 1 <= int(part) <= 5 for part in parts):
        return int(parts[0]), int(parts[1])
    return None


class InsightPage:
    """Reads the page's query parameters once; each figure, chart and table is built on first use."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        slug = request.GET.get("segment", "").strip()
        self.segment = get_object_or_404(Segment, slug=slug) if slug else None
        self.cell = _scores(request.GET.get("cell", ""))
        self.section = SECTION_BY_KEY.get(request.GET.get("view", ""), SECTIONS[0])
        compared = [s for s in dict.fromkeys(request.GET.getlist("compare")) if s][:MAX_COMPARED]
        if compared:
            found = {s.slug: s for s in Segment.objects.filter(slug__in=compared)}
            self.compared = [found[s] for s in compared if s in found]
        else:
            self.compared = default_compared_segments()
        self._cache: dict[str, Any] = {}

    def _get(self, name: str, build: Callable[[], Any]) -> Any:
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    # figures
    def period(self) -> ValuesPeriod:
        return self._get("period", insight_values_period)

    def kpis(self):
        return self._get("kpis", lambda: kpis_figure(segment=self.segment))

    def grid(self):
        return self._get("grid", lambda: rfm_grid_figure(segment=self.segment))

    def cell_companies(self):
        if self.cell is None:
            return None
        return self._get("cell", lambda: rfm_cell_figure(recency=self.cell[0], frequency=self.cell[1], segment=self.segment))

    def pareto(self):
        return self._get("pareto", lambda: pareto_figure(segment=self.segment))

    def lift(self):
        return self._get("lift", lambda: lift_figure(segment=self.segment))

    def lookalike(self):
        return self._get("lookalike", lambda: lookalike_figure(segment=self.segment))

    def overlap(self):
        return self._get("overlap", lambda: overlap_figure(segments=self.compared)) if self.compared else None

    def trends(self):
        return self._get("trends", lambda: trends_figure(segments=self.compared, days=TRENDS_DAYS)) if self.compared else None

    # links
    def query(self, *, view: str | None = None, **extra: Any) -> str:
        params: list[tuple[str, Any]] = []
        if self.segment:
            params.append(("segment", self.segment.slug))
        if self.cell:
            params.append(("cell", f"{self.cell[0]}-{self.cell[1]}"))
        params.extend(("compare", s.slug) for s in self.compared)
        view = view or self.section.key
        if view != SECTIONS[0].key:
            params.append(("view", view))
        params.extend((key, value) for key, value in extra.items() if value is not None)
        return "?" + urlencode(params)

    def tabs(self) -> list[tuple[Section, str, bool]]:
        return [(section, self.query(view=section.key), section == self.section) for section in SECTIONS]

    def cell_link(self, recency: int, frequency: int) -> str:
        params = [("segment", self.segment.slug)] if self.segment else []
        params.append(("cell", f"{recency}-{frequency}"))
        params.extend(("compare", s.slug) for s in self.compared)
        return "?" + urlencode(params) + "#rfm-cell"

    # tables and charts by export name
    def tables(self) -> dict[str, Callable[[], tables.Table | None]]:
        segment_name = self.segment.name if self.segment else None
        return {
            "kpis": lambda: tables.kpi_table(self.kpis(), segment_name=segment_name),
            "rfm_grid": lambda: tables.rfm_table(self.grid()),
            "rfm_cell": lambda: tables.cell_table(self.cell_companies()) if self.cell else None,
            "pareto": lambda: tables.pareto_table(self.pareto()),
            "top_companies": lambda: tables.top_companies_table(self.pareto()),
            "lift": lambda: tables.lift_table(self.lift()),
            "lookalike": lambda: tables.lookalike_table(self.lookalike()),
            "overlap": lambda: tables.overlap_table(self.overlap()) if self.compared else None,
            "trends": lambda: tables.trends_table(self.trends()) if self.compared else None,
        }

    def charts(self) -> dict[str, Callable[[], Any]]:
        return {
            "rfm": lambda: charts.rfm_heatmap_svg(self.grid(), cell_link=self.cell_link, selected=self.cell),
            "pareto": lambda: charts.pareto_svg(self.pareto()),
            "lift": lambda: charts.lift_svg(self.lift()),
            "overlap": lambda: charts.overlap_svg(self.overlap()) if self.compared else None,
            "trends": lambda: charts.trends_svg(self.trends()) if self.compared else None,
        }


def _file_name(page: InsightPage, key: str, extension: str) -> str:
    return f"insight-{key}{'-' + page.segment.slug if page.segment else ''}.{extension}"


def insight_view(request: HttpRequest, *, admin_site: admin.AdminSite) -> HttpResponse:
    _marketer(request)
    page = InsightPage(request)
    if export := request.GET.get("export"):
        build_table = page.tables().get(export)
        table = build_table() if build_table else None
        if table is None:
            raise Http404("No such table.")
        response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_file_name(page, export, "csv")}"'
        return response
    if chart := request.GET.get("chart"):
        build_chart = page.charts().get(chart)
        svg = build_chart() if build_chart else None
        if svg is None:
            raise Http404("No such chart.")
        response = HttpResponse('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, content_type="image/svg+xml")
        response["Content-Disposition"] = f'attachment; filename="{_file_name(page, chart, "svg")}"'
        return response

    # Only the shown tab's figures are computed; exports and downloads above serve any tab's.
    section = page.section
    built_tables = {key: build() for key, build in page.tables().items() if key in section.tables}
    built_charts = {key: build() for key, build in page.charts().items() if key in section.charts}
    context = {
        **admin_site.each_context(request),
        "title": f"Customer insight: {section.label}",
        "page": page,
        "section": section.key,
        "tabs": page.tabs(),
        "period": page.period(),
        "segment": page.segment,
        "segments": Segment.objects.order_by("name").only("slug", "name", "member_count"),
        "compared_slugs": {s.slug for s in page.compared},
        **section.figures(page),
        "tables": built_tables,
        "charts": built_charts,
        "exports": {key: page.query(export=key) for key in built_tables},
        "downloads": {key: page.query(chart=key) for key in built_charts},
        "can_create": request.user.has_perm("segments.add_segment"),
    }
    return TemplateResponse(request, "admin/insight/insight.html", context)


def _post_only(request: HttpRequest) -> None:
    _marketer(request)
    if not request.user.has_perm("segments.add_segment"):
        raise PermissionDenied


def _segment_from_post(request: HttpRequest) -> Segment | None:
    slug = request.POST.get("segment", "").strip()
    return get_object_or_404(Segment, slug=slug) if slug else None


def _back(request: HttpRequest, error: str, *, segment: Segment | None, view: str) -> HttpResponseRedirect:
    """Back to the tab the marketer came from, for the same segment, with the error."""
    messages.error(request, error)
    params = {"segment": segment.slug} if segment else {}
    if view != SECTIONS[0].key:
        params["view"] = view
    query = f"?{urlencode(params)}" if params else ""
    return HttpResponseRedirect(reverse("admin:segments_insight") + query)


def cell_segment_create_view(request: HttpRequest) -> HttpResponse:
    _post_only(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    segment = _segment_from_post(request)
    scores = _scores(f"{request.POST.get('recency', '')}-{request.POST.get('frequency', '')}")
    if scores is None:
        return _back(request, "Pick an RFM cell first.", segment=segment, view="overview")
    try:
        created = segment_from_rfm_cell_create(recency=scores[0], frequency=scores[1], segment=segment, user=request.user)
    except ApplicationError as error:
        return _back(request, error.message, segment=segment, view="overview")
    messages.success(request, f"Segment “{created.name}” created from the RFM cell; edit its rule below.")
    return HttpResponseRedirect(reverse("admin:segments_segment_change", args=[created.pk]))


def lookalike_segment_create_view(request: HttpRequest) -> HttpResponse:
    _post_only(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    segment = _segment_from_post(request)
    try:
        created = lookalike_segment_create(segment=segment, user=request.user)
    except ApplicationError as error:
        return _back(request, error.message, segment=segment, view="profile")
    messages.success(request, f"Look-alike segment “{created.name}” created; edit its rule below.")
    return HttpResponseRedirect(reverse("admin:segments_segment_change", args=[created.pk]))


def insight_admin_urls(admin_site: admin.AdminSite) -> list[Any]:
    """The insight page's URLs, mounted by the segment admin (names in the admin namespace)."""
    return [
        path("insight/", admin_site.admin_view(partial(insight_view, admin_site=admin_site)), name="segments_insight"),
        path("insight/cell-segment/", admin_site.admin_view(cell_segment_create_view), name="segments_insight_cell_segment"),
        path("insight/lookalike-segment/", admin_site.admin_view(lookalike_segment_create_view),
             name="segments_insight_lookalike_segment"),
    ]
