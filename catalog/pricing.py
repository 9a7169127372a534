"""Customer-specific prices: company price > price group price > list price.

Prices are shown to logged-in contacts only. A price applies on a day when
valid_from <= day <= valid_until (open ends allowed); among several applicable
prices of the same kind the one that started last wins.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, Expression, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Company
from catalog.models import Price, Product

PRICE_FIELD = DecimalField(max_digits=12, decimal_places=2)


def _valid_on(day: datetime.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def _latest_price(prices: QuerySet[Price]) -> Subquery:
    ordered = prices.order_by(F("valid_from").desc(nulls_last=True), "-pk").values("price")[:1]
    return Subquery(ordered, output_field=PRICE_FIELD)


def resolved_price_expression(*, company: Company, on: datetime.date, product_ref: str = "pk") -> Expression:
    """The company's price of the outer product row, as one SQL expression (for listings)."""
    applicable = Price.objects.filter(_valid_on(on), product_id=OuterRef(product_ref))
    company_price = _latest_price(applicable.filter(company_id=company.pk))
    if company.price_group:
        group_price = _latest_price(applicable.filter(company__isnull=True, price_group=company.price_group))
        return Coalesce(company_price, group_price, F("list_price"), output_field=PRICE_FIELD)
    return Coalesce(company_price, F("list_price"), output_field=PRICE_FIELD)


def products_with_prices(*, products: QuerySet[Product], company: Company, on: datetime.date) -> QuerySet[Product]:
    """Annotate `resolved_price` on every product in the same query."""
    return products.annotate(resolved_price=resolved_price_expression(company=company, on=on))


def resolved_prices(*, company: Company, product_ids: Iterable[int], on: datetime.date) -> dict[int, Decimal]:
    """Product id -> the company's price on `on` (one query)."""
    ids = list(product_ids)
    rows = products_with_prices(products=Product.objects.filter(pk__in=ids), company=company, on=on).values_list(
        "pk", "resolved_price"
    )
    return {pk: Decimal(price).quantize(Decimal("0.01")) for pk, price in rows}
