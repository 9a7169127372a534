"""Reads of the segment offers for marketers: what each promotion brought, overall and per segment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from orders.offer_models import Promotion, PromotionRedemption
from orders.offers.money import money

ALL_BUYERS = "All buyers"
_MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class PromotionInsightRow:
    """Orders that used a promotion, their revenue (goods after discounts, excl. shipping) and the discount given.

    `segment` is ALL_BUYERS for the promotion's total, else one of its included segments: the orders whose
    buyer qualified through that segment (a buyer in two included segments counts in both).
    """

    promotion_id: int
    promotion: str
    segment: str
    orders: int
    revenue: Decimal
    discount: Decimal


def promotion_insight_rows() -> list[PromotionInsightRow]:
    """Every promotion's total, followed by its per-segment rows; two queries."""
    zero = Value(Decimal("0.00"), output_field=_MONEY)
    totals = (
        Promotion.objects.annotate(
            order_count=Count("redemptions"),
            revenue=Coalesce(Sum("redemptions__order__pricing__goods_amount"), zero, output_field=_MONEY),
            discount=Coalesce(Sum("redemptions__discount_amount"), zero, output_field=_MONEY),
        )
        .order_by("-priority", "id")
        .values_list("pk", "name", "order_count", "revenue", "discount")
    )
    through = PromotionRedemption.segments.through
    per_segment: dict[int, list[tuple[str, int, Decimal, Decimal]]] = {}
    rows = (
        through.objects.values("promotionredemption__promotion_id", "segment__name")
        .annotate(
            order_count=Count("promotionredemption_id"),
            revenue=Sum("promotionredemption__order__pricing__goods_amount"),
            discount=Sum("promotionredemption__discount_amount"),
        )
        .order_by("promotionredemption__promotion_id", "segment__name")
    )
    for row in rows:
        per_segment.setdefault(row["promotionredemption__promotion_id"], []).append(
            (row["segment__name"], row["order_count"], row["revenue"], row["discount"])
        )
    result: list[PromotionInsightRow] = []
    for pk, name, order_count, revenue, discount in totals:
        result.append(PromotionInsightRow(pk, name, ALL_BUYERS, order_count, money(revenue), money(discount)))
        result.extend(
            PromotionInsightRow(pk, name, segment, count, money(seg_revenue), money(seg_discount))
            for segment, count, seg_revenue, seg_discount in per_segment.get(pk, [])
        )
    return result
