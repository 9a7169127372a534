"""Customer value per company (value.* fields): RFM, revenue percentile, lifetime revenue, CLV.

Aggregates and ranks are computed in the database (grouped sums, window counts);
Python only turns the ranks into scores with exact integer arithmetic and fits the
CLV model on per-day purchase totals. Cancelled orders never count.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Count, F, Max, Sum, Window
from django.db.models.functions import TruncDate

from accounts.models import Company
from orders.models import Order
from segments.clv import WEEKS_PER_YEAR, bgnbd_expected_purchases, bgnbd_fit, gamma_gamma_expected_spend, gamma_gamma_fit
from segments.models import CompanyValue
from segments.windows import local_today, shop_zone, start_of_day, value_period

logger = logging.getLogger(__name__)

# Below this many repeat customers a CLV fit says more about noise than about customers.
MIN_CUSTOMERS_FOR_CLV = 20
UPSERT_BATCH = 2000

# (recency scores, frequency scores) -> RFM segment, checked top to bottom (rules.md).
RFM_GRID: tuple[tuple[frozenset[int], frozenset[int], str], ...] = tuple(
    (frozenset(r), frozenset(f), name)
    for r, f, name in (
        ({5}, {4, 5}, "champions"),
        ({3, 4}, {4, 5}, "loyal"),
        ({5}, {1}, "new"),
        ({4}, {1}, "promising"),
        ({4, 5}, {2, 3}, "potential_loyalists"),
        ({3}, {3}, "need_attention"),
        ({3}, {1, 2}, "about_to_sleep"),
        ({1, 2}, {5}, "cant_lose"),
        ({1, 2}, {3, 4}, "at_risk"),
        ({1, 2}, {1, 2}, "hibernating"),
    )
)


def rfm_segment_for(recency: int, frequency: int) -> str:
    for recencies, frequencies, name in RFM_GRID:
        if recency in recencies and frequency in frequencies:
            return name
    raise ValueError(f"no RFM segment for R={recency}, F={frequency}")  # the grid covers all 25 cells


def quintile_score(rank: int, population: int) -> int:
    """ceil(5 x CUME_DIST) with CUME_DIST = rank / population, in exact integers."""
    return (5 * rank + population - 1) // population


@dataclass(frozen=True)
class ValueRefreshResult:
    computed_for: datetime.date
    companies: int
    rfm_companies: int
    clv_fitted: bool


def company_values_refresh(*, now: datetime.datetime) -> ValueRefreshResult:
    """Recompute every company's CompanyValue row as of `now`'s local day."""
    today = local_today(now)
    period = value_period(now=now)
    counted = Order.objects.exclude(status=Order.Status.CANCELLED)

    window_rows = (
        counted.filter(ordered_at__gte=period.start, ordered_at__lt=period.end)
        .order_by()
        .values("company_id")
        .annotate(revenue=Sum("total_amount"), orders=Count("id"), last=Max("ordered_at"))
    )
    in_window = {row["company_id"]: row for row in window_rows}
    lifetime = dict(
        counted.order_by().values("company_id").annotate(total=Sum("total_amount")).values_list("company_id", "total")
    )
    # The CLV model sees only purchases before today: fitted once per local day.
    fitted_today = CompanyValue.objects.filter(computed_for=today, predicted_clv_12m__isnull=False).exists()
    if fitted_today:
        clv = dict(CompanyValue.objects.filter(computed_for=today).values_list("company_id", "predicted_clv_12m"))
    else:
        clv = _predicted_clv(counted=counted, today=today)
    zone = shop_zone()
    rows = []
    for company_id in Company.objects.values_list("pk", flat=True).iterator(chunk_size=5000):
        stats = in_window.get(company_id)
        rows.append(
            CompanyValue(
                company_id=company_id,
                computed_for=today,
                revenue_12m=_money(stats["revenue"]) if stats else Decimal("0.00"),
                orders_12m=stats["orders"] if stats else 0,
                days_since_last_order=(today - stats["last"].astimezone(zone).date()).days if stats else None,
                lifetime_revenue=_money(lifetime.get(company_id)),
                predicted_clv_12m=clv.get(company_id),
            )
        )
    with transaction.atomic():
        CompanyValue.objects.exclude(company_id__in=Company.objects.values("pk")).delete()
        CompanyValue.objects.bulk_create(
            rows, batch_size=UPSERT_BATCH, update_conflicts=True, unique_fields=["company"],
            update_fields=["computed_for", "revenue_12m", "orders_12m", "days_since_last_order", "lifetime_revenue",
                           "predicted_clv_12m"],
        )
        rfm_companies = _rank_and_score(rows)
    return ValueRefreshResult(
        computed_for=today, companies=len(rows), rfm_companies=rfm_companies, clv_fitted=bool(clv) and not fitted_today
    )


def company_values_ensure_current(*, now: datetime.datetime) -> bool:
    """Recompute when the stored values are not of today's local day; True when it recomputed."""
    today = local_today(now)
    stale = CompanyValue.objects.exclude(computed_for=today).exists()
    missing = CompanyValue.objects.count() != Company.objects.count()
    if stale or missing:
        company_values_refresh(now=now)
        return True
    return False


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _rank_and_score(rows: list[CompanyValue]) -> int:
    """RFM scores over companies with 12-month orders; revenue rank over all companies (window counts).

    The ranks come from SQL windows over the stored rows; `rows` (the same rows, in memory)
    get them and are written back with one upsert (bulk_update's CASE per row is far slower).
    """
    everyone = CompanyValue.objects.annotate(
        population=Window(Count("pk")),
        revenue_rank_at=Window(Count("pk"), order_by=F("revenue_12m").asc()),
    ).values_list("pk", "population", "revenue_rank_at")
    ordering = {pk: (rank, population) for pk, population, rank in everyone}

    ordered = CompanyValue.objects.filter(orders_12m__gt=0).annotate(
        population=Window(Count("pk")),
        recency_rank=Window(Count("pk"), order_by=F("days_since_last_order").desc()),
        frequency_rank=Window(Count("pk"), order_by=F("orders_12m").asc()),
        monetary_rank=Window(Count("pk"), order_by=F("revenue_12m").asc()),
    ).values_list("pk", "population", "recency_rank", "frequency_rank", "monetary_rank")
    scores = {
        pk: (quintile_score(r, n), quintile_score(f, n), quintile_score(m, n)) for pk, n, r, f, m in ordered
    }

    for row in rows:
        rank, population = ordering[row.company_id]
        recency, frequency, monetary = scores.get(row.company_id, (None, None, None))
        row.revenue_rank, row.company_total = rank, population
        row.top_25_percent = 4 * rank > 3 * population  # 100 * rank / population > 75, exactly
        row.rfm_recency, row.rfm_frequency, row.rfm_monetary = recency, frequency, monetary
        row.rfm_segment = rfm_segment_for(recency, frequency) if recency is not None else None
    CompanyValue.objects.bulk_create(
        rows, batch_size=UPSERT_BATCH, update_conflicts=True, unique_fields=["company"],
        update_fields=["revenue_rank", "company_total", "top_25_percent", "rfm_recency", "rfm_frequency", "rfm_monetary",
                       "rfm_segment"],
    )
    return len(scores)


def _predicted_clv(*, counted, today: datetime.date) -> dict[int, Decimal]:
    """Expected revenue in the next 12 months per company, from purchases (order days) before today."""
    days = (
        counted.filter(ordered_at__lt=start_of_day(today))
        .annotate(day=TruncDate("ordered_at", tzinfo=shop_zone()))
        .order_by()
        .values("company_id", "day")
        .annotate(revenue=Sum("total_amount"))
        .values_list("company_id", "day", "revenue")
    )
    frame = pd.DataFrame.from_records(list(days), columns=["company_id", "day", "revenue"])
    if frame.empty:
        return {}
    frame["revenue"] = frame["revenue"].astype(float)
    frame["day"] = pd.to_datetime(frame["day"])
    grouped = frame.groupby("company_id")
    first, last = grouped["day"].min(), grouped["day"].max()
    purchases = grouped["day"].count()
    summary = pd.DataFrame(
        {
            "frequency": purchases - 1,
            "recency": (last - first).dt.days / 7,
            "age": (pd.Timestamp(today) - first).dt.days / 7,
            "monetary": grouped["revenue"].mean(),
        }
    )
    # Mean spend of repeat purchases (the first purchase excluded), as Gamma-Gamma expects.
    repeat_revenue = grouped["revenue"].sum() - frame.sort_values("day").groupby("company_id")["revenue"].first()
    summary["monetary"] = np.where(summary["frequency"] > 0, repeat_revenue / summary["frequency"].clip(lower=1), 0.0)
    repeaters = summary[summary["frequency"] > 0]
    if len(repeaters) < MIN_CUSTOMERS_FOR_CLV:
        return {}
    try:
        purchase_model = bgnbd_fit(frequency=summary["frequency"], recency=summary["recency"], age=summary["age"])
        spend_model = gamma_gamma_fit(frequency=repeaters["frequency"], monetary=repeaters["monetary"])
    except (ValueError, FloatingPointError) as exc:
        logger.warning("CLV fit failed: %s", exc)
        return {}
    expected = bgnbd_expected_purchases(
        purchase_model, weeks=WEEKS_PER_YEAR, frequency=summary["frequency"], recency=summary["recency"], age=summary["age"]
    )
    spend = gamma_gamma_expected_spend(
        spend_model, frequency=summary["frequency"], monetary=summary["monetary"],
        population_mean=float(frame["revenue"].mean()),
    )
    values = np.nan_to_num(np.asarray(expected) * np.asarray(spend), nan=0.0, posinf=0.0, neginf=0.0)
    return {
        int(company_id): Decimal(str(round(float(value), 2))) for company_id, value in zip(summary.index, values)
    }

