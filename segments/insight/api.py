"""Insight API (spec api.md): KPIs, RFM grid, Pareto, lift, overlap and trends; marketers only, read-only.

Query parameters are validated by an input serializer (400 in the project's error
shape); a segment slug that does not exist answers 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from b2bshop.api.permissions import IsMarketer
from b2bshop.api.schema import error_response
from segments.insight.figures import (
    kpis_figure,
    lift_figure,
    lookalike_figure,
    overlap_figure,
    pareto_figure,
    rfm_cell_figure,
    rfm_grid_figure,
    trends_figure,
)
from segments.insight.selectors import TRENDS_DAYS
from segments.models import Segment

MAX_SEGMENTS = 12
MONEY = {"max_digits": 18, "decimal_places": 2}
SEGMENT_PARAMETER = OpenApiParameter(
    "segment", str, description="Segment slug; omit for all customers.", required=False
)
LIFT_SEGMENT_PARAMETER = OpenApiParameter("segment", str, required=False, description="Segment slug; omit for the top 25%.")
SEGMENTS_PARAMETER = OpenApiParameter(
    "segments", str, description=f"Comma-separated segment slugs (1 to {MAX_SEGMENTS}).", required=True
)


UNKNOWN_SEGMENT = {404: error_response("No segment with that slug.")}


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**MONEY, **kwargs)


def _share(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True, **kwargs)


class SegmentQuerySerializer(serializers.Serializer):
    segment = serializers.SlugField(required=False, allow_blank=True, max_length=120)

    def segment_or_none(self) -> Segment | None:
        slug = self.validated_data.get("segment")
        return get_object_or_404(Segment, slug=slug) if slug else None


class SegmentsQuerySerializer(serializers.Serializer):
    segments = serializers.CharField(max_length=MAX_SEGMENTS * 121)

    def validate_segments(self, value: str) -> list[str]:
        slugs = list(dict.fromkeys(slug.strip() for slug in value.split(",") if slug.strip()))
        if not slugs:
            raise serializers.ValidationError("Name at least one segment slug.")
        if len(slugs) > MAX_SEGMENTS:
            raise serializers.ValidationError(f"At most {MAX_SEGMENTS} segments.")
        slug_field = serializers.SlugField()
        for slug in slugs:
            slug_field.run_validation(slug)
        return slugs

    def segment_list(self) -> list[Segment]:
        slugs = self.validated_data["segments"]
        found = {segment.slug: segment for segment in Segment.objects.filter(slug__in=slugs)}
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            raise NotFound(f"No segment {', '.join(missing)}.")
        return [found[slug] for slug in slugs]


def _query(serializer_class, request):
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer


# ------------------------------------------------------------------- KPIs


class KpisOutputSerializer(serializers.Serializer):
    companies = serializers.IntegerField()
    buying_companies = serializers.IntegerField(help_text="Companies with at least one order in the 12 months.")
    contacts = serializers.IntegerField()
    revenue_12m = _money()
    revenue_share = _share(help_text="% of all companies' 12-month revenue.")
    orders_12m = serializers.IntegerField()
    average_order_value = _money(allow_null=True)
    annual_spend_per_company = _money(allow_null=True, help_text="12-month revenue per buying company.")
    order_frequency = _money(allow_null=True, help_text="Orders per buying company in the 12 months.")
    repeat_purchase_share = _share(help_text="% of buying companies with 2 or more orders.")
    web_share = _share(help_text="% of orders placed in the web shop.")
    cost_per_order = _money(allow_null=True, help_text="Mean handling cost of the orders whose channel has a cost.")
    order_cost_12m = _money()
    uncosted_orders = serializers.IntegerField(help_text="Orders of channels without a cost in the admin.")
    predicted_clv_mean = _money(allow_null=True)
    predicted_clv_total = _money()
    predicted_clv_companies = serializers.IntegerField()
    reachable_contacts = serializers.IntegerField(help_text="Contacts with marketing consent and an active account.")
    consented_share = _share()


class KpiReportOutputSerializer(serializers.Serializer):
    computed_for = serializers.DateField(allow_null=True, help_text="Day of the stored customer values.")
    period_first_day = serializers.DateField()
    period_last_day = serializers.DateField()
    segment_slug = serializers.CharField(allow_null=True)
    all = KpisOutputSerializer()
    segment = KpisOutputSerializer(allow_null=True)


class InsightKpisApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(parameters=[SEGMENT_PARAMETER], responses={200: KpiReportOutputSerializer, **UNKNOWN_SEGMENT}, summary="KPIs of a segment and of all customers")
    def get(self, request):
        segment = _query(SegmentQuerySerializer, request).segment_or_none()
        return Response(KpiReportOutputSerializer(kpis_figure(segment=segment)).data)


# --------------------------------------------------------------- RFM grid


class RfmCellOutputSerializer(serializers.Serializer):
    recency = serializers.IntegerField()
    frequency = serializers.IntegerField()
    rfm_segment = serializers.CharField()
    companies = serializers.IntegerField()
    contacts = serializers.IntegerField()
    revenue_12m = _money()


class RfmGridOutputSerializer(serializers.Serializer):
    segment_slug = serializers.CharField(allow_null=True)
    companies_scored = serializers.IntegerField()
    companies_without_orders = serializers.IntegerField()
    cells = RfmCellOutputSerializer(many=True)


class InsightRfmGridApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(parameters=[SEGMENT_PARAMETER], responses={200: RfmGridOutputSerializer, **UNKNOWN_SEGMENT}, summary="RFM recency x frequency grid")
    def get(self, request):
        segment = _query(SegmentQuerySerializer, request).segment_or_none()
        return Response(RfmGridOutputSerializer(rfm_grid_figure(segment=segment)).data)


RFM_SCORES = [1, 2, 3, 4, 5]


class RfmCellQuerySerializer(SegmentQuerySerializer):
    recency = serializers.IntegerField(min_value=1, max_value=5)
    frequency = serializers.IntegerField(min_value=1, max_value=5)


class CellCompanyOutputSerializer(serializers.Serializer):
    company_id = serializers.IntegerField()
    name = serializers.CharField()
    erp_id = serializers.CharField()
    account_type = serializers.CharField()
    revenue_12m = _money()
    orders_12m = serializers.IntegerField()
    days_since_last_order = serializers.IntegerField(allow_null=True)
    contacts = serializers.IntegerField()


class CellCompaniesOutputSerializer(serializers.Serializer):
    recency = serializers.IntegerField()
    frequency = serializers.IntegerField()
    rfm_segment = serializers.CharField()
    total = serializers.IntegerField()
    companies = CellCompanyOutputSerializer(many=True)


class InsightRfmCellApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(
        parameters=[
            SEGMENT_PARAMETER,
            OpenApiParameter("recency", int, required=True, enum=RFM_SCORES),
            OpenApiParameter("frequency", int, required=True, enum=RFM_SCORES),
        ],
        responses={200: CellCompaniesOutputSerializer, **UNKNOWN_SEGMENT}, summary="Companies of one RFM cell (the first 100 by revenue)",
    )
    def get(self, request):
        query = _query(RfmCellQuerySerializer, request)
        segment = query.segment_or_none()
        cell = rfm_cell_figure(
            recency=query.validated_data["recency"], frequency=query.validated_data["frequency"], segment=segment
        )
        return Response(CellCompaniesOutputSerializer(cell).data)


# ----------------------------------------------------------------- Pareto


class ParetoPointOutputSerializer(serializers.Serializer):
    companies = serializers.IntegerField()
    company_share = _share()
    revenue_share = _share()


class ParetoCompanyOutputSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    company_id = serializers.IntegerField()
    name = serializers.CharField()
    erp_id = serializers.CharField()
    revenue_12m = _money()
    cumulative_share = _share()


class ParetoOutputSerializer(serializers.Serializer):
    segment_slug = serializers.CharField(allow_null=True)
    companies = serializers.IntegerField()
    revenue_12m = _money()
    top_quarter_companies = serializers.IntegerField()
    top_quarter_revenue_share = _share()
    focus_group_companies = serializers.IntegerField(help_text="Companies with value.top_25_percent.")
    focus_group_revenue_share = _share()
    points = ParetoPointOutputSerializer(many=True)
    top_companies = ParetoCompanyOutputSerializer(many=True)


class InsightParetoApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(parameters=[SEGMENT_PARAMETER], responses={200: ParetoOutputSerializer, **UNKNOWN_SEGMENT}, summary="Top-25% Pareto curve")
    def get(self, request):
        segment = _query(SegmentQuerySerializer, request).segment_or_none()
        return Response(ParetoOutputSerializer(pareto_figure(segment=segment)).data)


# ------------------------------------------------------------------- lift


class LiftRowOutputSerializer(serializers.Serializer):
    trait = serializers.CharField()
    trait_label = serializers.CharField()
    value = serializers.CharField(allow_blank=True)
    value_label = serializers.CharField()
    segment_companies = serializers.IntegerField()
    companies = serializers.IntegerField()
    segment_share = _share()
    overall_share = _share()
    lift = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    revenue_per_company = _money()
    segment_revenue_per_company = _money(allow_null=True)
    rule_field = serializers.CharField(allow_blank=True)


class LookAlikeTraitOutputSerializer(serializers.Serializer):
    trait = serializers.CharField()
    label = serializers.CharField()
    values = serializers.ListField(child=serializers.CharField())
    value_labels = serializers.ListField(child=serializers.CharField())
    coverage = _share()
    lift = serializers.DecimalField(max_digits=12, decimal_places=2)


class LookAlikeOutputSerializer(serializers.Serializer):
    rule = serializers.JSONField(allow_null=True, help_text="A normal segment rule; null when no trait stands out.")
    traits = LookAlikeTraitOutputSerializer(many=True)
    contacts = serializers.IntegerField()
    companies = serializers.IntegerField()
    prospects = serializers.IntegerField()
    non_buyers = serializers.IntegerField()
    outside_segment = serializers.IntegerField()


class LiftOutputSerializer(serializers.Serializer):
    segment_slug = serializers.CharField(allow_null=True, help_text="null: the top 25% customers.")
    segment_label = serializers.CharField()
    segment_companies = serializers.IntegerField()
    companies = serializers.IntegerField()
    non_buyer_companies = serializers.IntegerField(help_text="Companies without an order in the 12 months.")
    rows = LiftRowOutputSerializer(many=True)


class InsightLiftApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(parameters=[LIFT_SEGMENT_PARAMETER], responses={200: LiftOutputSerializer, **UNKNOWN_SEGMENT}, summary="Ideal customer profile lift")
    def get(self, request):
        segment = _query(SegmentQuerySerializer, request).segment_or_none()
        return Response(LiftOutputSerializer(lift_figure(segment=segment)).data)


class InsightLookAlikeApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(
        parameters=[LIFT_SEGMENT_PARAMETER], responses={200: LookAlikeOutputSerializer, **UNKNOWN_SEGMENT},
        summary="Look-alike rule from the strongest company traits, and whom it finds",
    )
    def get(self, request):
        segment = _query(SegmentQuerySerializer, request).segment_or_none()
        return Response(LookAlikeOutputSerializer(lookalike_figure(segment=segment)).data)


# ---------------------------------------------------------------- overlap


class OverlapSegmentOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    members = serializers.IntegerField()


class OverlapCellOutputSerializer(serializers.Serializer):
    first = serializers.CharField()
    second = serializers.CharField()
    both = serializers.IntegerField()
    either = serializers.IntegerField()
    jaccard = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)


class OverlapOutputSerializer(serializers.Serializer):
    segments = OverlapSegmentOutputSerializer(many=True)
    cells = OverlapCellOutputSerializer(many=True)


class InsightOverlapApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(parameters=[SEGMENTS_PARAMETER], responses={200: OverlapOutputSerializer, **UNKNOWN_SEGMENT}, summary="Overlap of segments (counts, Jaccard)")
    def get(self, request):
        segments = _query(SegmentsQuerySerializer, request).segment_list()
        return Response(OverlapOutputSerializer(overlap_figure(segments=segments)).data)


# ----------------------------------------------------------------- trends


class TrendsQuerySerializer(SegmentsQuerySerializer):
    days = serializers.IntegerField(min_value=1, max_value=366, required=False, default=TRENDS_DAYS)


class TrendDayOutputSerializer(serializers.Serializer):
    day = serializers.DateField()
    member_count = serializers.IntegerField(allow_null=True)
    joined = serializers.IntegerField()
    left = serializers.IntegerField()


class TrendOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    days = TrendDayOutputSerializer(many=True)


class InsightTrendsApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(
        parameters=[SEGMENTS_PARAMETER, OpenApiParameter("days", int, required=False, description=f"Default {TRENDS_DAYS}.")],
        responses={200: TrendOutputSerializer(many=True), **UNKNOWN_SEGMENT}, summary="Member count and joined/left per day",
    )
    def get(self, request):
        query = _query(TrendsQuerySerializer, request)
        trends = trends_figure(segments=query.segment_list(), days=query.validated_data["days"])
        return Response(TrendOutputSerializer(trends, many=True).data)
