"""Shop reads of the catalog: the category tree and the assortment for a delivery moment.

Prices are annotated in the same query (catalog.pricing) and only for a company. The
availability of each listed product (reason, first moment) is computed in Python from
the product row and the moments already loaded, so listings stay a constant number of queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from accounts.models import Company
from catalog.models import Category, Product
from catalog.pricing import products_with_prices
from orders.delivery_calendar import (
    Availability,
    DeliveryMoment,
    ShopCalendarRules,
    format_delivery_date,
    local_today,
    orderable_products_filter,
    product_availability,
)

SEARCH_MIN_LENGTH = 2


@dataclass(frozen=True)
class ShopProduct:
    """A product as a listing shows it: price only for companies, availability for the moment."""

    product: Product
    price: Decimal | None
    availability: Availability
    first_label: str = ""  # the first possible delivery date in the buyer's language, when not orderable


def category_tree() -> list[Category]:
    """All categories in tree order (path), one query; `depth` gives the indent."""
    return list(Category.objects.order_by("path", "position"))


def category_get(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()


def category_products(*, category: Category) -> QuerySet[Product]:
    """Products of the category and all its descendants (one prefix match on the path)."""
    return Product.objects.filter(category__path__startswith=category.path)


def product_search(*, query: str) -> QuerySet[Product]:
    """Products whose name or SKU contains every word of the query (case-insensitive)."""
    condition = Q()
    for word in query.split():
        condition &= Q(name__icontains=word) | Q(sku__icontains=word)
    return Product.objects.filter(condition)


def shop_product_queryset(
    *,
    products: QuerySet[Product],
    moment: DeliveryMoment | None,
    calendar: ShopCalendarRules,
    now: datetime.datetime,
    company: Company | None,
    include_unavailable: bool = False,
    active_only: bool = True,
) -> QuerySet[Product]:
    """The products to list for a moment, priced for the company: active ones (unless `active_only` is off),
    and only those orderable for the moment unless `include_unavailable`."""
    queryset = products.select_related("category").order_by("name", "pk")
    if active_only:
        queryset = queryset.filter(is_active=True)
    if moment is not None and not include_unavailable:
        queryset = queryset.filter(orderable_products_filter(moment=moment, calendar=calendar, today=local_today(now)))
    if company is not None:
        queryset = products_with_prices(products=queryset, company=company, on=local_today(now))
    return queryset


def shop_product_rows(
    *,
    products: Sequence[Product],
    moment: DeliveryMoment | None,
    moments: Sequence[DeliveryMoment],
    calendar: ShopCalendarRules,
    now: datetime.datetime,
    language: str,
) -> list[ShopProduct]:
    """Wrap evaluated products with their price (if annotated) and availability for the moment (no queries)."""
    today = local_today(now)
    rows = []
    for product in products:
        price = getattr(product, "resolved_price", None)
        if price is not None:
            price = Decimal(price).quantize(Decimal("0.01"))
        if moment is None:
            availability = Availability(orderable=False, reason=None, first_moment=None)
        else:
            availability = product_availability(
                product_fields=product,
                moment=moment,
                calendar=calendar,
                today=today,
                now=now,
                moments=moments,
                language=language,
            )
        first = availability.first_moment
        first_label = (
            format_delivery_date(
                first.delivery_date, language=language, with_year=first.delivery_date.year != today.year
            )
            if first is not None and not availability.orderable
            else ""
        )
        rows.append(ShopProduct(product=product, price=price, availability=availability, first_label=first_label))
    return rows
