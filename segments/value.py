"""Customer value per company (value.* fields): RFM, revenue percentile, lifetime revenue, CLV.

Aggregates and ranks are computed in the database (grouped sums, window counts);
Python only turns the ranks into scores with exact integer arithmetic and fits the
CLV model on per-day purchase totals. Cancelled orders never count.
"""

from __future__ import annotations

import datetime
import logging
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncDate

from accounts.models import Company
from orders.models import Order, OrderLine
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
    rows_written: int = 0


# The stored columns a refresh computes, in the order `_stored_values` reads them.
VALUE_COLUMNS: tuple[str, ...] = (
    "computed_for", "revenue_12m", "orders_12m", "days_since_last_order", "rfm_recency", "rfm_frequency", "rfm_monetary",
    "rfm_segment", "revenue_rank", "company_total", "top_25_percent", "products_12m", "main_channel_12m",
    "lifetime_revenue", "predicted_clv_12m",
)


def company_values_refresh(*, now: datetime.datetime) -> ValueRefreshResult:
    """Recompute every company's CompanyValue as of `now`'s local day; write only the rows that changed.

    Two grouped queries read the sales and two the buying habits; ranks and scores are exact integer arithmetic in
    Python over the 12-month figures (a company's rank is the number of companies whose
    figure is at most its own, i.e. a window COUNT over peers). Rows whose values are
    unchanged are not written, so a refresh without new data writes nothing.
    """
    today = local_today(now)
    period = value_period(now=now)
    counted = Order.objects.exclude(status=Order.Status.CANCELLED)

    in_period = counted.filter(ordered_at__gte=period.start, ordered_at__lt=period.end)
    window_rows = (
        in_period
        .order_by()
        .values("company_id")
        .annotate(revenue=Sum("total_amount"), orders=Count("id"), last=Max("ordered_at"))
    )
    in_window = {row["company_id"]: row for row in window_rows}
    products, main_channels = _buying_habits(in_period)
    lifetime = dict(
        counted.order_by().values("company_id").annotate(total=Sum("total_amount")).values_list("company_id", "total")
    )
    stored = _stored_values()
    # The CLV model sees only purchases before today: fitted once per local day.
    fitted_today = any(row[0] == today and row[-1] is not None for row in stored.values())
    if fitted_today:
        clv = {company_id: row[-1] for company_id, row in stored.items() if row[0] == today}
    else:
        clv = _predicted_clv(counted=counted, today=today)
    zone = shop_zone()
    company_ids = list(Company.objects.order_by("pk").values_list("pk", flat=True))
    figures: dict[int, tuple[Decimal, int, int | None]] = {}
    for company_id in company_ids:
        stats = in_window.get(company_id)
        if stats:
            days = (today - stats["last"].astimezone(zone).date()).days
            figures[company_id] = (_money(stats["revenue"]), stats["orders"], days)
        else:
            figures[company_id] = (Decimal("0.00"), 0, None)
    revenue_ranks = _ranks([revenue for revenue, _orders, _days in figures.values()])
    active = {company_id: figure for company_id, figure in figures.items() if figure[1] > 0}
    recency_ranks = _ranks([-days for _revenue, _orders, days in active.values()])  # fewer days = better
    frequency_ranks = _ranks([orders for _revenue, orders, _days in active.values()])
    monetary_ranks = _ranks([revenue for revenue, _orders, _days in active.values()])
    population, active_population = len(figures), len(active)

    changed = []
    for company_id, (revenue, orders, days) in figures.items():
        rank = revenue_ranks(revenue)
        if orders > 0:
            recency = quintile_score(recency_ranks(-days), active_population)
            frequency = quintile_score(frequency_ranks(orders), active_population)
            monetary = quintile_score(monetary_ranks(revenue), active_population)
            segment = rfm_segment_for(recency, frequency)
        else:
            recency = frequency = monetary = segment = None
        values = (
            today, revenue, orders, days, recency, frequency, monetary, segment, rank, population,
            4 * rank > 3 * population,  # 100 * rank / population > 75, exactly
            products.get(company_id, 0), main_channels.get(company_id, ""),
            _money(lifetime.get(company_id)), clv.get(company_id),
        )
        if stored.get(company_id) != values:
            changed.append(CompanyValue(company_id=company_id, **dict(zip(VALUE_COLUMNS, values, strict=True))))
    gone = set(stored) - set(figures)
    if changed or gone:
        with transaction.atomic():
            if gone:
                CompanyValue.objects.filter(company_id__in=sorted(gone)).delete()
            CompanyValue.objects.bulk_create(
                changed, batch_size=UPSERT_BATCH, update_conflicts=True, unique_fields=["company"],
                update_fields=list(VALUE_COLUMNS),
            )
    return ValueRefreshResult(
        computed_for=today, companies=population, rfm_companies=active_population,
        clv_fitted=bool(clv) and not fitted_today, rows_written=len(changed) + len(gone),
    )


def _buying_habits(orders) -> tuple[dict[int, int], dict[int, str]]:
    """Per company: different products ordered, and the channel of most orders (ties: the first by name).

    Stored with the values so the ideal-customer-profile lift reads 20k rows instead of
    counting distinct products over the year's order lines on every request.
    """
    products = dict(
        OrderLine.objects.filter(order__in=orders.values("pk")).order_by().values("order__company_id")
        .annotate(products=Count("product_id", distinct=True)).values_list("order__company_id", "products")
    )
    main_channels: dict[int, str] = {}
    channel_counts = orders.order_by().values("company_id", "channel").annotate(n=Count("pk")).values_list(
        "company_id", "channel", "n"
    )
    for company_id, channel, _n in sorted(channel_counts, key=lambda row: (row[0], -row[2], row[1])):
        main_channels.setdefault(company_id, channel)
    return products, main_channels


def _stored_values() -> dict[int, tuple]:
    return {row[0]: row[1:] for row in CompanyValue.objects.order_by().values_list("company_id", *VALUE_COLUMNS)}


def _ranks(figures: list):
    """figure -> how many of `figures` are <= it (CUME_DIST's numerator; ties share the rank)."""
    ordered = sorted(figures)
    return lambda figure: bisect_right(ordered, figure)


def company_values_ensure_current(*, now: datetime.datetime) -> bool:
    """Recompute when the stored values are not of today's local day; True when it recomputed."""
    today = local_today(now)
    # Rows from before the buying-habit columns existed have no products_12m yet: stale too.
    stale = CompanyValue.objects.exclude(computed_for=today, products_12m__isnull=False).exists()
    missing = CompanyValue.objects.count() != Company.objects.count()
    if stale or missing:
        company_values_refresh(now=now)
        return True
    return False


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


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

