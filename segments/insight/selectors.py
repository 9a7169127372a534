"""Reads of the marketer insight. Every figure is a few grouped or windowed SQL queries (the lift and
the overlap are single statements in statements.py); Python only divides the sums, fills empty
cells and combines at most 2^12 overlap masks. docs/insight.md explains each figure.

Money is Decimal (cents); shares are percentages (0-100) rounded to 0.01; ratios of
nothing (no orders, no companies) are None, as averages over no rows are NULL in rules.md.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.expressions import RowRange
from django.db.models.functions import Coalesce, RowNumber, TruncDate

from accounts.models import Company, CompanyAttributeDefinition
from orders.models import ChannelCost, Order
from segments.insight.scope import Scope, values_day, values_period
from segments.insight.statements import lift_rows, overlap_mask_counts
from segments.insight.traits import NO_VALUE, STATIC_TRAITS, Trait
from segments.models import (
    CompanyValue,
    MembershipEvent,
    RefreshRun,
    Segment,
)
from segments.value import rfm_segment_for
from segments.windows import Period, local_today, shop_zone, start_of_day

CENT = Decimal("0.01")
SCORES = (5, 4, 3, 2, 1)
PARETO_POINTS = 100
TOP_COMPANIES = 25
CELL_COMPANIES = 100
TRENDS_DAYS = 90
# Companies without an order in the 12 months (or without computed values yet).
NON_BUYER = Q(customer_value__orders_12m=0) | Q(customer_value__isnull=True)


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def _ratio(part, whole, *, factor: int = 1) -> Decimal | None:
    """part / whole x factor, rounded to cents; None when whole is 0 (nothing to divide)."""
    if not whole:
        return None
    return (Decimal(part or 0) * factor / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _percent(part, whole) -> Decimal | None:
    return _ratio(part, whole, factor=100)


# ------------------------------------------------------------------------ KPIs


@dataclass(frozen=True)
class Kpis:
    companies: int
    buying_companies: int  # with at least one order in the 12 months
    contacts: int
    revenue_12m: Decimal
    revenue_share: Decimal | None  # % of every company's 12-month revenue
    orders_12m: int
    average_order_value: Decimal | None
    annual_spend_per_company: Decimal | None  # per buying company
    order_frequency: Decimal | None  # orders per buying company
    repeat_purchase_share: Decimal | None  # % of buying companies with >= 2 orders
    web_share: Decimal | None  # % of orders placed in the web shop
    cost_per_order: Decimal | None  # over orders of channels with a cost
    order_cost_12m: Decimal
    uncosted_orders: int  # orders of channels without a cost in the admin
    predicted_clv_mean: Decimal | None
    predicted_clv_total: Decimal
    predicted_clv_companies: int
    reachable_contacts: int  # marketing consent and an active account: what Mailchimp may receive
    consented_share: Decimal | None


@dataclass(frozen=True)
class KpiReport:
    computed_for: datetime.date | None
    period_first_day: datetime.date
    period_last_day: datetime.date
    all: Kpis
    segment: Kpis | None = None
    segment_slug: str | None = None


def _kpis(*, scope: Scope, period, total_revenue: Decimal | None, costs: dict[str, Decimal]) -> Kpis:
    sums = Company.objects.filter(scope.companies()).aggregate(
        companies=Count("pk"),
        buying=Count("pk", filter=Q(customer_value__orders_12m__gt=0)),
        repeaters=Count("pk", filter=Q(customer_value__orders_12m__gte=2)),
        revenue=Sum("customer_value__revenue_12m"),
        orders=Sum("customer_value__orders_12m"),
        clv_total=Sum("customer_value__predicted_clv_12m"),
        clv_companies=Count("customer_value__predicted_clv_12m"),
    )
    people = scope.contacts().aggregate(
        contacts=Count("pk"), reachable=Count("pk", filter=Q(marketing_consent=True, is_active=True))
    )
    by_channel = dict(
        Order.objects.exclude(status=Order.Status.CANCELLED)
        .filter(scope.companies("company_"), ordered_at__gte=period.start, ordered_at__lt=period.end)
        .order_by().values("channel").annotate(orders=Count("pk")).values_list("channel", "orders")
    )
    orders = sum(by_channel.values())
    costed = {channel: n for channel, n in by_channel.items() if channel in costs}
    order_cost = sum((costs[channel] * n for channel, n in costed.items()), Decimal(0))
    revenue = _money(sums["revenue"])
    buying = sums["buying"]
    return Kpis(
        companies=sums["companies"],
        buying_companies=buying,
        contacts=people["contacts"],
        revenue_12m=revenue,
        revenue_share=_percent(revenue, total_revenue if total_revenue is not None else revenue),
        orders_12m=sums["orders"] or 0,
        average_order_value=_ratio(revenue, sums["orders"]),
        annual_spend_per_company=_ratio(revenue, buying),
        order_frequency=_ratio(sums["orders"], buying),
        repeat_purchase_share=_percent(sums["repeaters"], buying),
        web_share=_percent(by_channel.get(Order.Channel.WEB, 0), orders),
        cost_per_order=_ratio(order_cost, sum(costed.values())),
        order_cost_12m=_money(order_cost),
        uncosted_orders=orders - sum(costed.values()),
        predicted_clv_mean=_ratio(sums["clv_total"], sums["clv_companies"]),
        predicted_clv_total=_money(sums["clv_total"]),
        predicted_clv_companies=sums["clv_companies"],
        reachable_contacts=people["reachable"],
        consented_share=_percent(people["reachable"], people["contacts"]),
    )


def channel_costs() -> dict[str, Decimal]:
    return dict(ChannelCost.objects.values_list("channel", "cost_per_order"))


@dataclass(frozen=True)
class ValuesPeriod:
    """The 12 months the figures cover: those of the stored customer values."""

    computed_for: datetime.date | None  # None before the first refresh
    first_day: datetime.date
    last_day: datetime.date
    period: Period


def insight_values_period() -> ValuesPeriod:
    day = values_day()
    period = values_period(day)
    zone = shop_zone()
    return ValuesPeriod(
        computed_for=day, first_day=period.start.astimezone(zone).date(),
        last_day=period.end.astimezone(zone).date() - datetime.timedelta(days=1), period=period,
    )


def insight_kpis(*, segment: Segment | None = None) -> KpiReport:
    """The KPIs of every company, and of the segment's companies and members when one is given."""
    covered = insight_values_period()
    costs = channel_costs()
    everyone = _kpis(scope=Scope(), period=covered.period, total_revenue=None, costs=costs)
    chosen = (
        _kpis(scope=Scope(segment), period=covered.period, total_revenue=everyone.revenue_12m, costs=costs)
        if segment is not None else None
    )
    return KpiReport(
        computed_for=covered.computed_for, period_first_day=covered.first_day, period_last_day=covered.last_day,
        all=everyone, segment=chosen, segment_slug=segment.slug if segment else None,
    )


# -------------------------------------------------------------------- RFM grid


@dataclass(frozen=True)
class RfmCell:
    recency: int
    frequency: int
    rfm_segment: str
    companies: int
    contacts: int
    revenue_12m: Decimal


@dataclass(frozen=True)
class RfmGrid:
    segment_slug: str | None
    cells: tuple[RfmCell, ...]  # recency 5..1 (rows), frequency 1..5 (columns)
    companies_scored: int
    companies_without_orders: int  # no order in the 12 months: no RFM score

    def cell(self, recency: int, frequency: int) -> RfmCell:
        return next(c for c in self.cells if c.recency == recency and c.frequency == frequency)


def insight_rfm_grid(*, segment: Segment | None = None) -> RfmGrid:
    scope = Scope(segment)
    values = CompanyValue.objects.filter(scope.companies("company_"))
    grouped = {
        (row["rfm_recency"], row["rfm_frequency"]): row
        for row in values.order_by().values("rfm_recency", "rfm_frequency")
        .annotate(companies=Count("pk"), revenue=Sum("revenue_12m"))
    }
    unscored = grouped.pop((None, None), {"companies": 0})["companies"]  # no order in the 12 months: no scores
    contacts = {
        (r, f): n
        for r, f, n in scope.contacts().filter(company__customer_value__rfm_recency__isnull=False).order_by()
        .values("company__customer_value__rfm_recency", "company__customer_value__rfm_frequency")
        .annotate(n=Count("pk")).values_list("company__customer_value__rfm_recency", "company__customer_value__rfm_frequency", "n")
    }
    cells = tuple(
        RfmCell(
            recency=r, frequency=f, rfm_segment=rfm_segment_for(r, f),
            companies=grouped[(r, f)]["companies"] if (r, f) in grouped else 0,
            contacts=contacts.get((r, f), 0),
            revenue_12m=_money(grouped[(r, f)]["revenue"]) if (r, f) in grouped else Decimal("0.00"),
        )
        for r in SCORES for f in reversed(SCORES)
    )
    return RfmGrid(
        segment_slug=scope.slug, cells=cells, companies_scored=sum(c.companies for c in cells),
        companies_without_orders=unscored,
    )


@dataclass(frozen=True)
class CellCompany:
    company_id: int
    name: str
    erp_id: str
    account_type: str
    revenue_12m: Decimal
    orders_12m: int
    days_since_last_order: int | None
    contacts: int


@dataclass(frozen=True)
class CellCompanies:
    recency: int
    frequency: int
    rfm_segment: str
    total: int
    companies: tuple[CellCompany, ...]  # the first CELL_COMPANIES by revenue


def insight_rfm_cell_companies(*, recency: int, frequency: int, segment: Segment | None = None,
                               limit: int = CELL_COMPANIES) -> CellCompanies:
    rows = CompanyValue.objects.filter(Scope(segment).companies("company_"), rfm_recency=recency, rfm_frequency=frequency)
    listed = (
        rows.annotate(contact_count=Count("company__contacts"))
        .order_by("-revenue_12m", "company__name", "pk")
        .values_list("company_id", "company__name", "company__erp_id", "company__account_type", "revenue_12m",
                     "orders_12m", "days_since_last_order", "contact_count")[:limit]
    )
    return CellCompanies(
        recency=recency, frequency=frequency, rfm_segment=rfm_segment_for(recency, frequency), total=rows.count(),
        companies=tuple(
            CellCompany(pk, name, erp_id, kind, _money(revenue), orders, days, contacts)
            for pk, name, erp_id, kind, revenue, orders, days, contacts in listed
        ),
    )


# ---------------------------------------------------------------------- Pareto


@dataclass(frozen=True)
class ParetoPoint:
    companies: int  # the first this many companies by revenue
    company_share: Decimal  # % of the scope's companies
    revenue_share: Decimal | None  # % of the scope's revenue they bring; None without revenue


@dataclass(frozen=True)
class ParetoCompany:
    rank: int
    company_id: int
    name: str
    erp_id: str
    revenue_12m: Decimal
    cumulative_share: Decimal | None


@dataclass(frozen=True)
class Pareto:
    segment_slug: str | None
    companies: int
    revenue_12m: Decimal
    points: tuple[ParetoPoint, ...]  # (0, 0) and up to PARETO_POINTS points along the curve
    top_quarter_companies: int  # ceil(25% of the companies)
    top_quarter_revenue_share: Decimal | None
    focus_group_companies: int  # value.top_25_percent (revenue percentile > 75 over all companies)
    focus_group_revenue_share: Decimal | None
    top_companies: tuple[ParetoCompany, ...] = field(default=())


def insight_pareto(*, segment: Segment | None = None) -> Pareto:
    """Companies ranked by 12-month revenue (ties by id) and the cumulative revenue share along them.

    Tied revenues give the same cumulative sums whatever their order, so the curve is exact.
    """
    values = CompanyValue.objects.filter(Scope(segment).companies("company_"))
    totals = values.aggregate(
        companies=Count("pk"), revenue=Sum("revenue_12m"),
        focus=Count("pk", filter=Q(top_25_percent=True)), focus_revenue=Sum("revenue_12m", filter=Q(top_25_percent=True)),
    )
    n, total = totals["companies"], _money(totals["revenue"])
    quarter = math.ceil(n / 4)
    curve = _curve_positions(n) | ({quarter} if quarter else set())
    positions = curve | set(range(1, min(n, TOP_COMPANIES) + 1))
    order = [F("revenue_12m").desc(), F("company_id").asc()]
    ranked = (
        values.annotate(
            position=Window(RowNumber(), order_by=order),
            cumulative=Window(Sum("revenue_12m"), order_by=order, frame=RowRange(start=None, end=0)),
        )
        .filter(position__in=sorted(positions))
        .order_by("position")
        .values_list("position", "cumulative", "company_id", "company__name", "company__erp_id", "revenue_12m")
    )
    cumulative = {}
    top = []
    for position, running, company_id, name, erp_id, revenue in ranked:
        cumulative[position] = _money(running)
        if position <= TOP_COMPANIES:
            top.append(ParetoCompany(position, company_id, name, erp_id, _money(revenue), _percent(running, total)))
    points = [ParetoPoint(0, Decimal("0.00"), Decimal("0.00"))] + [
        ParetoPoint(k, _percent(k, n) or Decimal("0.00"), _percent(cumulative[k], total)) for k in sorted(curve)
    ]
    return Pareto(
        segment_slug=segment.slug if segment else None, companies=n, revenue_12m=total, points=tuple(points),
        top_quarter_companies=quarter,
        top_quarter_revenue_share=_percent(cumulative.get(quarter), total) if quarter else None,
        focus_group_companies=totals["focus"],
        focus_group_revenue_share=_percent(totals["focus_revenue"], total),
        top_companies=tuple(top),
    )


def _curve_positions(n: int) -> set[int]:
    return {math.ceil(n * step / PARETO_POINTS) for step in range(1, PARETO_POINTS + 1)} - {0}


# ------------------------------------------------------------------------ lift


@dataclass(frozen=True)
class LiftRow:
    trait: str
    trait_label: str
    value: str
    value_label: str
    segment_companies: int  # companies of the segment with this value
    companies: int  # all companies with this value
    segment_share: Decimal | None  # % of the segment's companies
    overall_share: Decimal  # % of all companies
    lift: Decimal | None  # segment_share / overall_share; 0 when no company of the segment has it
    revenue_per_company: Decimal  # 12-month revenue per company with this value (all companies)
    segment_revenue_per_company: Decimal | None
    rule_field: str = ""  # set for traits a look-alike rule may use
    non_buyer_companies: int = 0  # companies with this value and no order in the 12 months


@dataclass(frozen=True)
class Lift:
    segment_slug: str | None  # None: the top 25% (value.top_25_percent)
    segment_label: str
    segment_companies: int
    companies: int
    rows: tuple[LiftRow, ...]  # strongest lift first
    non_buyer_companies: int = 0  # companies without an order in the 12 months


def _lift_row(*, trait: Trait, value, label: str, inside: int, count: int, revenue, inside_revenue, segment_size: int,
              companies: int, non_buyers: int) -> LiftRow:
    segment_share = _percent(inside, segment_size)
    overall_share = _percent(count, companies) or Decimal("0.00")
    lift = None
    if segment_size and count:
        lift = (Decimal(inside) * companies / (Decimal(count) * segment_size)).quantize(CENT, rounding=ROUND_HALF_UP)
    return LiftRow(
        trait=trait.key, trait_label=trait.label, value=str(value), value_label=label, segment_companies=inside,
        companies=count, segment_share=segment_share, overall_share=overall_share, lift=lift,
        revenue_per_company=_ratio(revenue, count) or Decimal("0.00"), segment_revenue_per_company=_ratio(inside_revenue, inside),
        rule_field=trait.rule_field, non_buyer_companies=non_buyers,
    )


def insight_lift(*, segment: Segment | None = None) -> Lift:
    """Every trait value's share in the segment (default: the top 25%) against its share of all companies."""
    inside = Q(pk__in=Scope(segment).company_ids()) if segment else Q(customer_value__top_25_percent=True)
    kinds = (CompanyAttributeDefinition.ValueType.TEXT, CompanyAttributeDefinition.ValueType.BOOLEAN)
    counted = lift_rows(inside=inside, attribute_kinds=tuple(kind.value for kind in kinds))
    segment_size, companies = counted.segment_size, counted.companies
    rows: list[LiftRow] = []
    for trait in STATIC_TRAITS:
        for row in counted.traits[trait.key]:
            value = row["trait_value"] if row["trait_value"] is not None else NO_VALUE
            rows.append(_lift_row(
                trait=trait, value=value, label=trait.value_label(value), inside=row["inside"], count=row["count"],
                revenue=row["revenue"], inside_revenue=row["inside_revenue"], segment_size=segment_size, companies=companies,
                non_buyers=row["non_buyers"],
            ))
    rows.extend(_attribute_lift(counted.attributes, segment_size=segment_size, companies=companies))
    rows.sort(key=lambda row: (-(row.lift or 0), -row.segment_companies, row.trait, row.value))
    label = segment.name if segment else "Top 25% customers"
    return Lift(segment_slug=segment.slug if segment else None, segment_label=label, segment_companies=segment_size,
                companies=companies, rows=tuple(rows), non_buyer_companies=counted.non_buyers)


def _attribute_lift(counted: list[dict], *, segment_size: int, companies: int) -> list[LiftRow]:
    """Declared text and yes/no custom attributes (their counts come with the static traits' statement)."""
    definitions = {
        definition.pk: definition
        for definition in CompanyAttributeDefinition.objects.filter(pk__in={row["definition_id"] for row in counted})
    }
    rows = []
    for row in counted:
        definition = definitions[row["definition_id"]]
        name = definition.name
        trait = Trait(f"attr.{name}", definition.label or name.replace("_", " ").capitalize(), f"company.attr.{name}")
        if definition.value_type == CompanyAttributeDefinition.ValueType.BOOLEAN:
            value, label = ("true", "Yes") if row["boolean_value"] else ("false", "No")
        else:
            value, label = row["text_value"], row["shown"]
        rows.append(_lift_row(
            trait=trait, value=value, label=label, inside=row["inside"], count=row["count"], revenue=row["revenue"],
            inside_revenue=row["inside_revenue"], segment_size=segment_size, companies=companies, non_buyers=row["non_buyers"],
        ))
    return rows


# --------------------------------------------------------------------- overlap


@dataclass(frozen=True)
class OverlapSegment:
    slug: str
    name: str
    members: int


@dataclass(frozen=True)
class OverlapCell:
    first: str
    second: str
    both: int  # contacts in both segments
    either: int  # contacts in at least one
    jaccard: Decimal | None  # both / either; None when both segments are empty


@dataclass(frozen=True)
class Overlap:
    segments: tuple[OverlapSegment, ...]
    cells: tuple[OverlapCell, ...]  # every ordered pair, the diagonal included

    def cell(self, first: str, second: str) -> OverlapCell:
        return next(c for c in self.cells if c.first == first and c.second == second)


def insight_overlap(*, segments: list[Segment]) -> Overlap:
    """Members shared by each pair of segments.

    One grouped pass over the stored membership: each contact gets a bit mask of the
    chosen segments it is in, and the contacts are counted per mask (at most 2^12
    masks); a pair's intersection is the sum over the masks that hold both bits.
    """
    ids = [segment.pk for segment in segments]
    per_mask = overlap_mask_counts(segment_ids=ids)
    bit = {pk: 1 << index for index, pk in enumerate(ids)}
    sizes = {pk: sum(n for mask, n in per_mask.items() if mask & bit[pk]) for pk in ids}
    cells = []
    for first in segments:
        for second in segments:
            both_bits = bit[first.pk] | bit[second.pk]
            both = sum(n for mask, n in per_mask.items() if mask & both_bits == both_bits)
            either = sizes[first.pk] + sizes[second.pk] - both
            jaccard = (Decimal(both) / either).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if either else None
            cells.append(OverlapCell(first.slug, second.slug, both, either, jaccard))
    return Overlap(
        segments=tuple(OverlapSegment(s.slug, s.name, sizes[s.pk]) for s in segments), cells=tuple(cells)
    )


# ---------------------------------------------------------------------- trends


@dataclass(frozen=True)
class TrendDay:
    day: datetime.date
    member_count: int | None  # at the last refresh of the day (carried forward); None before the first refresh
    joined: int
    left: int


@dataclass(frozen=True)
class Trend:
    slug: str
    name: str
    days: tuple[TrendDay, ...]


def insight_trends(*, segments: list[Segment], days: int = TRENDS_DAYS, now: datetime.datetime) -> tuple[Trend, ...]:
    """Member count per day (from the refresh runs) and joined/left per day (from the events), for `days` days."""
    zone = shop_zone()
    today = local_today(now)
    first_day = today - datetime.timedelta(days=days - 1)
    ids = [segment.pk for segment in segments]
    counts: dict[int, dict[datetime.date, int]] = defaultdict(dict)
    before: dict[int, int] = {}
    # A run counts for the instant its membership was computed for (`evaluated_at`), which
    # is also its events' instant; a replayed or late run still lands on its own day.
    runs = (
        RefreshRun.objects.filter(segment_id__in=ids, status=RefreshRun.Status.SUCCEEDED, finished_at__isnull=False)
        .annotate(counted_at=Coalesce("evaluated_at", "finished_at"))
        .order_by("counted_at", "pk").values_list("segment_id", "counted_at", "member_count")
    )
    for segment_id, counted_at, member_count in runs:  # one row per refresh, not per contact
        day = counted_at.astimezone(zone).date()
        if day < first_day:
            before[segment_id] = member_count
        else:
            counts[segment_id][day] = member_count
    events: dict[tuple[int, datetime.date], dict[str, int]] = defaultdict(dict)
    for segment_id, day, kind, n in (
        MembershipEvent.objects.filter(segment_id__in=ids, at__gte=start_of_day(first_day))
        .annotate(day=TruncDate("at", tzinfo=zone)).order_by().values("segment_id", "day", "kind")
        .annotate(n=Count("pk")).values_list("segment_id", "day", "kind", "n")
    ):
        events[(segment_id, day)][kind] = n
    trends = []
    for segment in segments:
        current = before.get(segment.pk)
        series = []
        for offset in range(days):
            day = first_day + datetime.timedelta(days=offset)
            current = counts[segment.pk].get(day, current)
            happened = events.get((segment.pk, day), {})
            series.append(TrendDay(day, current, happened.get(MembershipEvent.Kind.JOINED, 0),
                                   happened.get(MembershipEvent.Kind.LEFT, 0)))
        trends.append(Trend(segment.slug, segment.name, tuple(series)))
    return tuple(trends)
