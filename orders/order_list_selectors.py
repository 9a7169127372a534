"""Reads of order lists (favourites): a company's lists and a list's items for a delivery moment.

Lists belong to a company and every contact of that company sees them (docs/self-service.md).
Items whose product the contact may not see (segment restrictions, hidden categories) are
left out for that contact, like everywhere else in the shop.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Company
from catalog.models import Product
from catalog.selectors import ShopProduct, shop_product_queryset, shop_product_rows
from orders.delivery_calendar import DeliveryMoment, ShopCalendarRules
from orders.models import OrderList, OrderListItem
from personalization.selectors import visible_products_filter


@dataclass(frozen=True)
class OrderListRow:
    """One item as the list page shows it: the list's default quantity, the price and availability for the moment."""

    item: OrderListItem
    shop_product: ShopProduct

    @property
    def product(self) -> Product:
        return self.shop_product.product

    @property
    def quantity_to_order(self) -> int:
        """What "add to cart" orders: the list's quantity, raised to the product's current minimum."""
        return max(self.item.quantity, self.product.min_order_quantity)


def _visible_products(*, segment_ids: frozenset[int], is_authenticated: bool) -> QuerySet[Product]:
    return Product.objects.filter(visible_products_filter(segment_ids=segment_ids, is_authenticated=is_authenticated))


def company_order_lists(
    *, company_id: int, segment_ids: frozenset[int], is_authenticated: bool
) -> QuerySet[OrderList]:
    """The company's lists, Favourites first, each with `item_count` (items the visitor may see); one query."""
    visible_items = (
        OrderListItem.objects.filter(
            order_list_id=OuterRef("pk"),
            product__in=_visible_products(segment_ids=segment_ids, is_authenticated=is_authenticated),
        )
        .order_by()
        .values("order_list_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return OrderList.objects.filter(company_id=company_id).annotate(
        item_count=Coalesce(Subquery(visible_items, output_field=IntegerField()), Value(0))
    )


def order_list_get(*, company_id: int, pk: int) -> OrderList | None:
    """One list of the company; None for another company's list or an unknown id (the view answers 404)."""
    return OrderList.objects.filter(company_id=company_id, pk=pk).first()


def order_list_default_get(*, company_id: int) -> OrderList | None:
    """The company's Favourites list, if it was created already (the services create it on first use)."""
    return OrderList.objects.filter(company_id=company_id, is_default=True).first()


def order_list_rows(
    *,
    order_list: OrderList,
    company: Company,
    moment: DeliveryMoment | None,
    moments: Sequence[DeliveryMoment],
    calendar: ShopCalendarRules,
    now: datetime.datetime,
    language: str,
    segment_ids: frozenset[int],
    is_authenticated: bool,
    deliverable_only: bool = False,
) -> list[OrderListRow]:
    """The list's items the visitor may see, by product name, priced and checked against `moment`.

    Unavailable products (inactive, outside their window, wrong weekday, lead time) are kept
    and marked with the reason and the first possible moment, unless `deliverable_only`,
    which filters them out in SQL. Two queries, whatever the number of items.
    """
    items = {item.product_id: item for item in OrderListItem.objects.filter(order_list=order_list)}
    products = _visible_products(segment_ids=segment_ids, is_authenticated=is_authenticated).filter(
        pk__in=OrderListItem.objects.filter(order_list=order_list).values("product_id")
    )
    queryset = shop_product_queryset(
        products=products,
        moment=moment,
        calendar=calendar,
        now=now,
        company=company,
        include_unavailable=not deliverable_only,
        active_only=deliverable_only,
    )
    shop_rows = shop_product_rows(
        products=list(queryset), moment=moment, moments=moments, calendar=calendar, now=now, language=language
    )
    return [OrderListRow(item=items[row.product.pk], shop_product=row) for row in shop_rows if row.product.pk in items]
