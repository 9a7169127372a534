"""The cart quote: lines at the buyer's prices, promotions, shipping, payment methods and totals.

One function, `cart_quote`, serves the cart page, the checkout page, `GET /api/shop/cart/quote/`
and `order_place` (which recomputes it at placement and compares `version` with the one the
buyer confirmed). The result is a frozen dataclass a template can render as it is.
Money: Decimal euros, excl. VAT, rounded to cents half up per line (docs/offers.md).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Company
from catalog.models import CategoryAncestry, Product
from catalog.pricing import resolved_prices
from orders.models import Cart
from orders.offers.money import ZERO
from orders.offers.payment import PaymentOption, payment_methods_for
from orders.offers.promotions import (
    PricedLine,
    PromotionOutcome,
    coupon_code_normalise,
    promotion_terms_for,
    promotions_apply,
)
from orders.offers.shipping import (
    NO_SHIPPING_COST,
    ShippingQuote,
    order_weight,
    shipping_resolve,
    shipping_rules_for,
    shipping_weights,
)
from segments.windows import local_today


@dataclass(frozen=True)
class LineSaving:
    promotion_id: int
    name: str
    amount: Decimal


@dataclass(frozen=True)
class QuoteLine:
    """One cart line (or a free product line) priced: `amount` = `base_amount` - `saving`."""

    cart_line_id: int | None  # None for a free product line
    product: Product
    quantity: int
    unit_price: Decimal  # the buyer's resolved price (company > price group > list price)
    base_amount: Decimal
    saving: Decimal
    amount: Decimal
    is_free: bool
    savings: tuple[LineSaving, ...]


@dataclass(frozen=True)
class CartQuote:
    """Everything the cart and checkout show about the money of an order. `version` changes with any amount."""

    lines: tuple[QuoteLine, ...]
    applied: tuple[PromotionOutcome, ...]
    not_applied: tuple[PromotionOutcome, ...]
    shipping: ShippingQuote
    payment_methods: tuple[PaymentOption, ...]
    subtotal: Decimal
    discount: Decimal
    goods_total: Decimal
    shipping_cost: Decimal
    total: Decimal
    coupon_code: str
    delivery_date: datetime.date | None
    segment_ids: frozenset[int]
    version: str
    currency: str = "EUR"

    @property
    def default_payment_method(self) -> str:
        return self.payment_methods[0].value

    def payment_method_allowed(self, method: str) -> bool:
        return any(option.value == method for option in self.payment_methods)


def _category_ancestors(category_ids: set[int]) -> dict[int, frozenset[int]]:
    """Category id -> itself and its ancestors (one query)."""
    found: dict[int, set[int]] = {category_id: {category_id} for category_id in category_ids}
    rows = CategoryAncestry.objects.filter(category_id__in=sorted(category_ids)).values_list("category_id", "ancestor_id")
    for category_id, ancestor_id in rows:
        found[category_id].add(ancestor_id)
    return {category_id: frozenset(ids) for category_id, ids in found.items()}


def quote_version(
    *, lines: tuple[QuoteLine, ...], applied: tuple[PromotionOutcome, ...], shipping: ShippingQuote, total: Decimal
) -> str:
    """A short fingerprint of every amount of the quote: equal versions mean equal money."""
    payload = {
        "lines": [[line.product.pk, line.quantity, str(line.unit_price), str(line.saving), line.is_free] for line in lines],
        "promotions": [[outcome.promotion_id, str(outcome.saving)] for outcome in applied],
        "shipping": [shipping.rule_id, str(shipping.cost)],
        "total": str(total),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def cart_quote(
    *,
    cart: Cart,
    segment_ids: frozenset[int],
    now: datetime.datetime,
    coupon_code: str = "",
    company: Company | None = None,
    prices: dict[int, Decimal] | None = None,
    is_authenticated: bool = True,
) -> CartQuote:
    """Price the cart for a buyer with `segment_ids` at `now` (aware). A constant number of queries.

    Prices are resolved for `now`'s date in the shop's time zone (or taken from `prices`, product id
    -> price, when the caller resolved them already). Lines are priced whether or not they can be
    delivered: availability is checked by `cart_line_checks`.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    company = company or cart.contact.company
    code = coupon_code_normalise(coupon_code)
    cart_lines = list(cart.lines.select_related("product").order_by("pk")) if cart.pk else []
    terms = promotion_terms_for(
        segment_ids=segment_ids, is_authenticated=is_authenticated, company_id=company.pk, coupon_code=code, now=now
    )
    wanted = {line.product_id for line in cart_lines}
    wanted |= {t.promotion.free_product_id for t in terms if t.promotion.free_product_id}
    known = dict(prices or {})
    missing = wanted - set(known)
    if missing:
        known.update(resolved_prices(company=company, product_ids=missing, on=local_today(now)))
    priced = [
        PricedLine(cart_line_id=line.pk, product=line.product, quantity=line.quantity, unit_price=known[line.product_id])
        for line in cart_lines
    ]
    result = promotions_apply(
        lines=priced,
        terms=terms,
        ancestors=_category_ancestors({line.product.category_id for line in cart_lines}) if terms else {},
        free_prices=known,
        coupon_code=code,
        segment_ids=segment_ids,
        now=now,
    )
    names = {outcome.promotion_id: outcome.name for outcome in result.applied}
    lines = tuple(
        QuoteLine(
            cart_line_id=line.cart_line_id,
            product=line.product,
            quantity=line.quantity,
            unit_price=line.unit_price,
            base_amount=line.base_amount,
            saving=line.saving,
            amount=line.net,
            is_free=line.is_free,
            savings=tuple(LineSaving(pid, names.get(pid, ""), amount) for pid, amount in line.savings.items() if amount),
        )
        for line in result.lines
    )
    subtotal = sum((line.base_amount for line in lines), ZERO)
    discount = sum((line.saving for line in lines), ZERO)
    goods_total = subtotal - discount
    weights = shipping_weights(product_ids=[line.product.pk for line in lines]) if lines else {}
    shipping = NO_SHIPPING_COST
    if lines:  # an empty cart ships nothing
        shipping = shipping_resolve(
            rules=shipping_rules_for(segment_ids=segment_ids, is_authenticated=is_authenticated),
            country=company.country,
            goods_amount=goods_total,
            weight_kg=order_weight(quantities=[(line.product.pk, line.quantity) for line in lines], weights=weights),
        )
    total = goods_total + shipping.cost
    return CartQuote(
        lines=lines,
        applied=result.applied,
        not_applied=result.not_applied,
        shipping=shipping,
        payment_methods=payment_methods_for(
            segment_ids=segment_ids, is_authenticated=is_authenticated, company_blocked=company.blocked
        ),
        subtotal=subtotal,
        discount=discount,
        goods_total=goods_total,
        shipping_cost=shipping.cost,
        total=total,
        coupon_code=code,
        delivery_date=cart.delivery_date,
        segment_ids=segment_ids,
        version=quote_version(lines=lines, applied=result.applied, shipping=shipping, total=total),
    )
