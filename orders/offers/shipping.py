"""Shipping costs per segment and country: one resolution for the cart, the checkout and the order.

A rule applies when it is active, its segment conditions hold, the company's country is one
of its countries (or it has none) and its table covers the order (a band starts at or
below the weight or value). Its cost is then the flat cost or the band's cost, and 0 from
`free_above` (goods value after promotions, inclusive). Among applicable rules the cheapest
wins (ties: higher priority, then lower id), unless one is overriding: then the overriding
rule with the highest priority wins (ties: cheaper, then lower id). No applicable rule: no
shipping cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from orders.offer_models import ProductShippingWeight, ShippingRule
from orders.offers.money import ZERO, euro, money
from personalization.selectors import segment_conditions_hold


@dataclass(frozen=True)
class ShippingQuote:
    rule_id: int | None
    name: str
    cost: Decimal
    label: str  # the rule and why this cost, as the buyer sees it
    free_above: Decimal | None = None
    missing_for_free: Decimal | None = None  # goods value still needed for free shipping

    @property
    def is_free(self) -> bool:
        return self.cost == 0


NO_SHIPPING_COST = ShippingQuote(rule_id=None, name="", cost=ZERO, label="No shipping costs")


def shipping_rules_for(*, segment_ids: frozenset[int], is_authenticated: bool) -> list[ShippingRule]:
    """Active rules whose segment conditions hold, with their bands (two queries)."""
    holds = segment_conditions_hold(ShippingRule, segment_ids=segment_ids, is_authenticated=is_authenticated)
    return list(ShippingRule.objects.filter(holds, is_active=True).prefetch_related("bands").order_by("-priority", "id"))


def shipping_weights(*, product_ids: Iterable[int]) -> dict[int, Decimal]:
    """Product id -> kg per unit, for the products that have a shipping weight (one query)."""
    return dict(
        ProductShippingWeight.objects.filter(product_id__in=sorted(set(product_ids))).values_list("product_id", "weight_kg")
    )


def _rule_cost(rule: ShippingRule, *, goods_amount: Decimal, weight_kg: Decimal) -> Decimal | None:
    if rule.kind == ShippingRule.Kind.PER_ORDER:
        cost = rule.cost
    else:
        measure = weight_kg if rule.kind == ShippingRule.Kind.WEIGHT_BANDS else goods_amount
        bands = [band for band in rule.bands.all() if band.from_value <= measure]
        if not bands:
            return None  # the table does not cover this order
        cost = max(bands, key=lambda band: band.from_value).cost
    if rule.free_above is not None and goods_amount >= rule.free_above:
        return ZERO
    return money(cost)


def shipping_resolve(
    *, rules: Iterable[ShippingRule], country: str, goods_amount: Decimal, weight_kg: Decimal
) -> ShippingQuote:
    """The shipping cost of an order from the rules that hold for the buyer (no queries)."""
    country = (country or "").strip().upper()
    applicable: list[tuple[ShippingRule, Decimal]] = []
    for rule in rules:
        codes = rule.country_codes
        if codes and country not in codes:
            continue
        cost = _rule_cost(rule, goods_amount=goods_amount, weight_kg=weight_kg)
        if cost is not None:
            applicable.append((rule, cost))
    if not applicable:
        return NO_SHIPPING_COST
    overriding = [pair for pair in applicable if pair[0].is_overriding]
    if overriding:
        rule, cost = min(overriding, key=lambda pair: (-pair[0].priority, pair[1], pair[0].pk))
        why = "special rate"
    else:
        rule, cost = min(applicable, key=lambda pair: (pair[1], -pair[0].priority, pair[0].pk))
        why = ""
    missing = None
    if rule.free_above is not None and goods_amount < rule.free_above:
        missing = rule.free_above - goods_amount
    if cost == 0 and rule.free_above is not None and goods_amount >= rule.free_above:
        label = f"{rule.name}: free from {euro(rule.free_above)}"
    else:
        label = f"{rule.name}: {euro(cost)}" + (f" ({why})" if why else "")
        if missing is not None:
            label += f"; free from {euro(rule.free_above)}"
    return ShippingQuote(
        rule_id=rule.pk, name=rule.name, cost=cost, label=label, free_above=rule.free_above, missing_for_free=missing
    )


def order_weight(*, quantities: Iterable[tuple[int, int]], weights: Mapping[int, Decimal]) -> Decimal:
    """Total kg of (product id, quantity) pairs; products without a shipping weight count 0 kg."""
    return sum((weights.get(product_id, Decimal(0)) * quantity for product_id, quantity in quantities), Decimal(0))
