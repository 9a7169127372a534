"""Writes of the segment offers: checks at placement, the order's stored record, and saving rules.

`order_place` (orders/services.py) calls, inside its transaction: `offers_company_lock`,
`cart_quote`, `quote_confirm`, `payment_method_choose` and `order_offers_record`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.countries import COUNTRY_CODES
from accounts.models import Company
from b2bshop.exceptions import ApplicationError, ErrorDetail
from catalog.models import Category, Product
from orders.models import Order
from orders.offer_models import (
    OrderAdjustment,
    OrderPricing,
    Promotion,
    PromotionRedemption,
    PromotionTier,
    ShippingBand,
    ShippingRule,
)
from orders.offers.money import euro
from orders.offers.promotions import coupon_code_normalise
from orders.offers.quote import CartQuote
from segments.models import Segment, SegmentMembership


class QuoteChangedError(ApplicationError):
    """The prices, promotions or shipping changed since the buyer confirmed (e.g. a segment refresh ran).

    Nothing was placed. `quote` is the new quote: show its totals and let the buyer confirm again.
    """

    status_code = 409

    def __init__(self, message: str, *, quote: CartQuote, errors: Iterable[ErrorDetail] = ()) -> None:
        super().__init__(message, errors=errors)
        self.quote = quote


class PaymentMethodNotAllowedError(ApplicationError):
    pass


class PromotionInvalidError(ApplicationError):
    pass


class ShippingRuleInvalidError(ApplicationError):
    pass


def buyer_segment_ids(*, contact_id: int) -> frozenset[int]:
    """The contact's segments read from the membership table (not the cache): what counts at placement."""
    return frozenset(SegmentMembership.objects.filter(contact_id=contact_id).values_list("segment_id", flat=True))


def offers_company_lock(*, company_id: int) -> None:
    """Lock the company row until the transaction ends: one company's checkouts count promotion uses one at a time."""
    list(Company.objects.select_for_update().filter(pk=company_id).values_list("pk", flat=True))


def quote_confirm(*, quote: CartQuote, confirmed_version: str | None) -> None:
    """Refuse when the buyer confirmed another version. None: the caller shows no quote, the current one is accepted."""
    if confirmed_version is None or confirmed_version == quote.version:
        return
    raise QuoteChangedError(
        f"Your order total changed to {euro(quote.total)} (for example because your offers changed). "
        "Please check the new totals and confirm again.",
        quote=quote,
        errors=[ErrorDetail(path="/confirmed_version", message=f"the current version is {quote.version}")],
    )


def payment_method_choose(*, quote: CartQuote, payment_method: str | None) -> str:
    """The buyer's method if it is allowed now (re-checked on the server); none chosen: the first allowed one."""
    if not payment_method:
        return quote.default_payment_method
    if not quote.payment_method_allowed(payment_method):
        allowed = ", ".join(option.label for option in quote.payment_methods)
        raise PaymentMethodNotAllowedError(
            f"This payment method is not available for your account. You can pay by: {allowed}.",
            errors=[ErrorDetail(path="/payment_method", message=f"choose one of {[o.value for o in quote.payment_methods]}")],
        )
    return payment_method


def order_offers_record(
    *, order: Order, quote: CartQuote, payment_method: str, line_numbers: dict[int, int], now: datetime.datetime
) -> OrderPricing:
    """Store the quote on the order: pricing, one adjustment per line saving and for shipping, one redemption per promotion.

    `line_numbers`: quote line index -> order line number. Must run inside the placing transaction,
    after `offers_company_lock`: the use number is the company's count + 1, and the unique
    (promotion, company, use_number) constraint stops a second use that slipped through.
    """
    pricing = OrderPricing.objects.create(
        order=order,
        subtotal_amount=quote.subtotal,
        discount_amount=quote.discount,
        goods_amount=quote.goods_total,
        shipping_amount=quote.shipping_cost,
        total_amount=quote.total,
        shipping_rule_id=quote.shipping.rule_id,
        shipping_label=quote.shipping.label[:200],
        payment_method=payment_method,
        coupon_code=quote.coupon_code if any(o.coupon_code for o in quote.applied) else "",
        quote_version=quote.version,
        segment_ids=sorted(quote.segment_ids),
    )
    adjustments = [
        OrderAdjustment(
            order=order, kind=OrderAdjustment.Kind.PROMOTION, line_no=line_numbers[index], promotion_id=saving.promotion_id,
            label=saving.name[:200], amount=-saving.amount,
        )
        for index, line in enumerate(quote.lines)
        for saving in line.savings
    ]
    if quote.shipping.rule_id is not None:
        adjustments.append(
            OrderAdjustment(
                order=order, kind=OrderAdjustment.Kind.SHIPPING, label=quote.shipping.label[:200],
                amount=quote.shipping_cost,
            )
        )
    OrderAdjustment.objects.bulk_create(adjustments)
    for outcome in quote.applied:
        assert outcome.promotion_id is not None
        used = PromotionRedemption.objects.filter(promotion_id=outcome.promotion_id, company_id=order.company_id).count()
        redemption = PromotionRedemption.objects.create(
            promotion_id=outcome.promotion_id, company_id=order.company_id, order=order, use_number=used + 1,
            discount_amount=outcome.saving, redeemed_at=now,
        )
        if outcome.segment_ids:
            redemption.segments.set(sorted(outcome.segment_ids))
    return pricing


# --- Saving promotions and shipping rules (API; the admin forms run the same checks) -----------------------


def promotion_terms_check(
    *,
    kind: str,
    scope: str,
    percentage: Decimal | None,
    amount: Decimal | None,
    free_product: Product | None,
    buy_quantity: int | None,
    free_quantity: int | None,
    product_count: int,
    category_count: int,
    tier_count: int,
    starts_at: datetime.datetime | None,
    ends_at: datetime.datetime | None,
) -> list[ErrorDetail]:
    """Which fields a promotion of this kind and scope lacks or has wrong (JSON pointers into the API body)."""
    errors: list[ErrorDetail] = []
    if kind == Promotion.Kind.PERCENTAGE and percentage is None:
        errors.append(ErrorDetail("/percentage", "required for a percentage off"))
    if kind == Promotion.Kind.FIXED_AMOUNT and amount is None:
        errors.append(ErrorDetail("/amount", "required for a fixed amount off"))
    if kind == Promotion.Kind.TIERED_PRICE:
        if scope == Promotion.Scope.ORDER:
            errors.append(ErrorDetail("/scope", "a tiered price is for products or categories"))
        if tier_count == 0:
            errors.append(ErrorDetail("/tiers", "add at least one tier"))
    if kind == Promotion.Kind.FREE_PRODUCT:
        for name, value in (("free_product", free_product), ("buy_quantity", buy_quantity), ("free_quantity", free_quantity)):
            if value is None:
                errors.append(ErrorDetail(f"/{name}", "required for a free product"))
    if scope == Promotion.Scope.PRODUCTS and product_count == 0:
        errors.append(ErrorDetail("/products", "choose at least one product for this scope"))
    if scope == Promotion.Scope.CATEGORIES and category_count == 0:
        errors.append(ErrorDetail("/categories", "choose at least one category for this scope"))
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors.append(ErrorDetail("/ends_at", "must be after starts_at"))
    return errors


@dataclass(frozen=True)
class PromotionInput:
    name: str
    kind: str
    scope: str = Promotion.Scope.ORDER
    description: str = ""
    is_active: bool = True
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    percentage: Decimal | None = None
    amount: Decimal | None = None
    threshold: Decimal | None = None
    free_product: Product | None = None
    buy_quantity: int | None = None
    free_quantity: int | None = None
    is_exclusive: bool = False
    priority: int = 0
    coupon_code: str = ""
    usage_limit_per_company: int | None = None
    include_segments: Sequence[Segment] = ()
    exclude_segments: Sequence[Segment] = ()
    products: Sequence[Product] = ()
    categories: Sequence[Category] = ()
    tiers: Sequence[tuple[int, Decimal]] = ()


@transaction.atomic
def promotion_save(*, data: PromotionInput, promotion: Promotion | None = None) -> Promotion:
    """Create or replace a promotion with its segments, scope and tiers (PromotionInvalidError naming the fields)."""
    code = coupon_code_normalise(data.coupon_code)
    errors = promotion_terms_check(
        kind=data.kind, scope=data.scope, percentage=data.percentage, amount=data.amount, free_product=data.free_product,
        buy_quantity=data.buy_quantity, free_quantity=data.free_quantity, product_count=len(data.products),
        category_count=len(data.categories), tier_count=len(data.tiers), starts_at=data.starts_at, ends_at=data.ends_at,
    )
    quantities = [quantity for quantity, _price in data.tiers]
    if len(set(quantities)) != len(quantities):
        errors.append(ErrorDetail("/tiers", "each tier needs its own minimum quantity"))
    others = Promotion.objects.exclude(pk=promotion.pk) if promotion else Promotion.objects.all()
    if code and others.filter(coupon_code=code).exists():
        errors.append(ErrorDetail("/coupon_code", "another promotion has this code"))
    if errors:
        raise PromotionInvalidError("The promotion is invalid.", errors=errors)
    promotion = promotion or Promotion()
    for name in (
        "name", "kind", "scope", "description", "is_active", "starts_at", "ends_at", "percentage", "amount", "threshold",
        "free_product", "buy_quantity", "free_quantity", "is_exclusive", "priority", "usage_limit_per_company",
    ):
        setattr(promotion, name, getattr(data, name))
    promotion.coupon_code = code
    promotion.save()
    promotion.include_segments.set(data.include_segments)
    promotion.exclude_segments.set(data.exclude_segments)
    promotion.products.set(data.products)
    promotion.categories.set(data.categories)
    promotion.tiers.all().delete()
    PromotionTier.objects.bulk_create(
        PromotionTier(promotion=promotion, min_quantity=quantity, unit_price=price) for quantity, price in data.tiers
    )
    return promotion


@transaction.atomic
def promotion_delete(*, promotion: Promotion) -> None:
    """Delete a promotion nobody used; a used one is switched off instead (its orders keep pointing at it)."""
    if promotion.redemptions.exists():
        raise PromotionInvalidError(
            "This promotion was used by orders: switch it off (is_active false) instead of deleting it."
        )
    promotion.delete()


@dataclass(frozen=True)
class ShippingRuleInput:
    name: str
    kind: str = ShippingRule.Kind.PER_ORDER
    is_active: bool = True
    countries: str = ""
    cost: Decimal = Decimal("0.00")
    free_above: Decimal | None = None
    is_overriding: bool = False
    priority: int = 0
    include_segments: Sequence[Segment] = ()
    exclude_segments: Sequence[Segment] = ()
    bands: Sequence[tuple[Decimal, Decimal]] = ()  # (from_value, cost)


def shipping_countries_normalise(countries: str) -> str:
    return ",".join(sorted({code.strip().upper() for code in (countries or "").split(",") if code.strip()}))


def shipping_rule_check(*, kind: str, countries: str, bands: Sequence[tuple[Decimal, Decimal]]) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    unknown = [code for code in shipping_countries_normalise(countries).split(",") if code and code not in COUNTRY_CODES]
    if unknown:
        errors.append(ErrorDetail("/countries", f"unknown country code(s): {', '.join(unknown)}"))
    if kind != ShippingRule.Kind.PER_ORDER and not bands:
        errors.append(ErrorDetail("/bands", "a band table needs at least one band (start it at 0)"))
    starts = [start for start, _cost in bands]
    if len(set(starts)) != len(starts):
        errors.append(ErrorDetail("/bands", "each band needs its own start"))
    return errors


@transaction.atomic
def shipping_rule_save(*, data: ShippingRuleInput, rule: ShippingRule | None = None) -> ShippingRule:
    errors = shipping_rule_check(kind=data.kind, countries=data.countries, bands=data.bands)
    if errors:
        raise ShippingRuleInvalidError("The shipping rule is invalid.", errors=errors)
    rule = rule or ShippingRule()
    for name in ("name", "kind", "is_active", "cost", "free_above", "is_overriding", "priority"):
        setattr(rule, name, getattr(data, name))
    rule.countries = shipping_countries_normalise(data.countries)
    rule.save()
    rule.include_segments.set(data.include_segments)
    rule.exclude_segments.set(data.exclude_segments)
    rule.bands.all().delete()
    ShippingBand.objects.bulk_create(ShippingBand(rule=rule, from_value=start, cost=cost) for start, cost in data.bands)
    return rule
