"""Which promotions apply to a cart, and what each one saves per line.

`promotion_terms_for` reads (a constant number of queries); `promotions_apply` is pure and
works on `PricedLine`s: it never queries. Stacking (docs/offers.md):

- candidates are taken by priority (higher first; ties: lower id first);
- an exclusive promotion applies only if nothing applied before it, and then alone;
- combinable promotions apply one after the other, each on the line amounts left by the
  ones before (two times 10% off is 19% off), never below zero;
- thresholds compare the in-scope lines at the buyer's prices *before* any discount, so the
  order in which promotions stack never changes whether one qualifies;
- savings are rounded to cents per line, half up; an order-wide fixed amount is spread
  over the lines in proportion to their amounts, the rounding rest going to the largest line.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.utils import timezone

from catalog.models import Product
from orders.offer_models import Promotion
from orders.offers.money import ZERO, euro, money
from personalization.selectors import segment_conditions_hold

# Why a promotion the buyer knows about does not apply (machine codes; the message says it to the buyer).
NOT_VALID_FOR_YOU = "not_valid_for_you"  # unknown code, another segment's code, or switched off: one answer
NOT_STARTED = "not_started"
EXPIRED = "expired"
USAGE_LIMIT = "usage_limit"
NOT_IN_SCOPE = "not_in_scope"
BELOW_THRESHOLD = "below_threshold"
NOT_COMBINABLE = "not_combinable"
NO_SAVING = "no_saving"
FREE_PRODUCT_UNAVAILABLE = "free_product_unavailable"

NOT_VALID_MESSAGE = "This code is not valid for your account."


def coupon_code_normalise(code: str) -> str:
    return (code or "").strip().upper()


@dataclass(frozen=True)
class PromotionTerms:
    """A promotion as the evaluation needs it, with the buyer-specific facts already read."""

    promotion: Promotion
    segment_ok: bool
    product_ids: frozenset[int]
    category_ids: frozenset[int]
    tiers: tuple[tuple[int, Decimal], ...]  # (min_quantity, unit_price), ascending
    used: int  # orders of the buyer's company that used it
    include_segment_ids: frozenset[int]


@dataclass
class PricedLine:
    """A line being priced: its base amount at the buyer's price, and what is left after the promotions so far."""

    cart_line_id: int | None
    product: Product
    quantity: int
    unit_price: Decimal
    is_free: bool = False
    savings: dict[int, Decimal] = field(default_factory=dict)  # promotion id -> saving on this line

    @property
    def base_amount(self) -> Decimal:
        return money(self.unit_price * self.quantity)

    @property
    def saving(self) -> Decimal:
        return sum(self.savings.values(), ZERO)

    @property
    def net(self) -> Decimal:
        return self.base_amount - self.saving

    def take(self, promotion_id: int, amount: Decimal) -> Decimal:
        """Take `amount` (cents) off this line, never below zero; returns what was taken."""
        taken = max(ZERO, min(money(amount), self.net))
        if taken:
            self.savings[promotion_id] = self.savings.get(promotion_id, ZERO) + taken
        return taken


@dataclass(frozen=True)
class PromotionOutcome:
    """An applied promotion (saving > 0 or a free product), or one that did not apply and why."""

    promotion_id: int | None
    name: str
    code: str  # "" when applied; else one of the reason codes above
    message: str
    saving: Decimal = ZERO
    coupon_code: str = ""
    segment_ids: frozenset[int] = frozenset()  # the included segments the buyer qualified through

    @property
    def applied(self) -> bool:
        return self.code == ""


@dataclass(frozen=True)
class PromotionResult:
    lines: tuple[PricedLine, ...]  # the cart lines, then the free lines
    applied: tuple[PromotionOutcome, ...]
    not_applied: tuple[PromotionOutcome, ...]


def promotion_terms_for(
    *,
    segment_ids: frozenset[int],
    is_authenticated: bool,
    company_id: int | None,
    coupon_code: str,
    now: datetime.datetime,
) -> list[PromotionTerms]:
    """The promotions to consider for a buyer: running code-less ones whose segments hold, plus the one with the
    entered code whatever its state (so the cart can say why it does not apply). Five queries."""
    code = coupon_code_normalise(coupon_code)
    holds = segment_conditions_hold(Promotion, segment_ids=segment_ids, is_authenticated=is_authenticated)
    running = (Q(starts_at__isnull=True) | Q(starts_at__lte=now)) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    wanted = Q(is_active=True, coupon_code="") & running & holds
    if code:
        wanted |= Q(coupon_code=code)
    promotions = list(
        Promotion.objects.filter(wanted)
        .annotate(segment_ok=ExpressionWrapper(holds, output_field=BooleanField()))
        .select_related("free_product")
        .prefetch_related("products", "categories", "tiers", "include_segments")
        .order_by("-priority", "id")
    )
    used: dict[int, int] = {}
    if company_id is not None and promotions:
        used = dict(
            Promotion.objects.filter(pk__in=[p.pk for p in promotions], redemptions__company_id=company_id)
            .annotate(uses=Count("redemptions"))
            .values_list("pk", "uses")
        )
    return [
        PromotionTerms(
            promotion=promotion,
            segment_ok=bool(promotion.segment_ok),
            product_ids=frozenset(product.pk for product in promotion.products.all()),
            category_ids=frozenset(category.pk for category in promotion.categories.all()),
            tiers=tuple(sorted((tier.min_quantity, tier.unit_price) for tier in promotion.tiers.all())),
            used=used.get(promotion.pk, 0),
            include_segment_ids=frozenset(segment.pk for segment in promotion.include_segments.all()),
        )
        for promotion in promotions
    ]


def _in_scope(terms: PromotionTerms, line: PricedLine, ancestors: Mapping[int, frozenset[int]]) -> bool:
    scope = terms.promotion.scope
    if line.is_free:
        return False
    if scope == Promotion.Scope.PRODUCTS:
        return line.product.pk in terms.product_ids
    if scope == Promotion.Scope.CATEGORIES:
        category_id = line.product.category_id
        return bool(ancestors.get(category_id, frozenset({category_id})) & terms.category_ids)
    return True


def _refusal(terms: PromotionTerms, *, now: datetime.datetime, entered_code: str) -> tuple[str, str] | None:
    """Reasons that do not depend on the cart's lines: (code, message) or None."""
    promotion = terms.promotion
    if promotion.coupon_code and promotion.coupon_code != entered_code:
        return NOT_VALID_FOR_YOU, NOT_VALID_MESSAGE  # never loaded like this; kept for safety
    if promotion.coupon_code and (not promotion.is_active or not terms.segment_ok):
        return NOT_VALID_FOR_YOU, NOT_VALID_MESSAGE
    if promotion.starts_at is not None and now < promotion.starts_at:
        return NOT_STARTED, f"Starts on {_shop_time(promotion.starts_at)}."
    if promotion.ends_at is not None and now >= promotion.ends_at:
        return EXPIRED, f"Expired on {_shop_time(promotion.ends_at)}."
    limit = promotion.usage_limit_per_company
    if limit is not None and terms.used >= limit:
        times = "once" if limit == 1 else f"{limit} times"
        return USAGE_LIMIT, f"Already used: it can be used {times} per company."
    return None


def _shop_time(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return local.strftime("%a %d %b %Y %H:%M") if (local.hour, local.minute) != (0, 0) else local.strftime("%a %d %b %Y")


def _apply(
    terms: PromotionTerms, scoped: list[PricedLine], *, free_price: Decimal | None
) -> tuple[Decimal, PricedLine | None, tuple[str, str] | None]:
    """Apply one promotion to its in-scope lines: (saving, free line, refusal)."""
    promotion = terms.promotion
    pid = promotion.pk
    kind = promotion.kind
    if kind == Promotion.Kind.PERCENTAGE:
        rate = (promotion.percentage or ZERO) / Decimal(100)
        return sum((line.take(pid, line.net * rate) for line in scoped), ZERO), None, None
    if kind == Promotion.Kind.FIXED_AMOUNT:
        return _spread(pid, promotion.amount or ZERO, scoped), None, None
    if kind == Promotion.Kind.TIERED_PRICE:
        saving = ZERO
        for line in scoped:
            tier_price = next((price for quantity, price in reversed(terms.tiers) if line.quantity >= quantity), None)
            if tier_price is not None:
                saving += line.take(pid, line.net - money(tier_price * line.quantity))
        if not saving:
            lowest = terms.tiers[0][0] if terms.tiers else None
            if lowest is not None and all(line.quantity < lowest for line in scoped):
                return ZERO, None, (BELOW_THRESHOLD, f"Order at least {lowest} on a line for the tier price.")
        return saving, None, None
    # Free product: for every buy_quantity units in scope, free_quantity units of the free product.
    units = sum(line.quantity for line in scoped)
    buy, free = promotion.buy_quantity or 0, promotion.free_quantity or 0
    product = promotion.free_product
    if product is None or not product.is_active or free_price is None:
        return ZERO, None, (FREE_PRODUCT_UNAVAILABLE, "The free product is not available at the moment.")
    if buy <= 0 or units < buy:
        missing = max(buy - units, 0)
        return ZERO, None, (BELOW_THRESHOLD, f"Add {missing} more to get {free} x {product.name} free.")
    free_line = PricedLine(cart_line_id=None, product=product, quantity=(units // buy) * free, unit_price=free_price,
                           is_free=True)
    saving = free_line.take(pid, free_line.base_amount)
    return saving, free_line, None


def _spread(promotion_id: int, amount: Decimal, lines: list[PricedLine]) -> Decimal:
    """Take `amount` off `lines` in proportion to what is left on each; the rounding rest goes to the largest line."""
    left = sum((line.net for line in lines), ZERO)
    total = min(money(amount), left)
    if total <= 0:
        return ZERO
    shares = [money(total * line.net / left) for line in lines]
    rest = total - sum(shares, ZERO)
    largest = max(range(len(lines)), key=lambda index: (lines[index].net, -index))
    shares[largest] += rest
    return sum((line.take(promotion_id, share) for line, share in zip(lines, shares, strict=True)), ZERO)


def promotions_apply(
    *,
    lines: Iterable[PricedLine],
    terms: Iterable[PromotionTerms],
    ancestors: Mapping[int, frozenset[int]],
    free_prices: Mapping[int, Decimal],
    coupon_code: str,
    segment_ids: frozenset[int],
    now: datetime.datetime,
) -> PromotionResult:
    """Apply the promotions to the lines (see the module docstring for the order). No queries."""
    cart_lines = list(lines)
    free_lines: list[PricedLine] = []
    entered = coupon_code_normalise(coupon_code)
    applied: list[PromotionOutcome] = []
    not_applied: list[PromotionOutcome] = []
    exclusive_name: str | None = None
    candidates = sorted(terms, key=lambda t: (-t.promotion.priority, t.promotion.pk))
    if entered and not any(t.promotion.coupon_code == entered for t in candidates):
        not_applied.append(PromotionOutcome(None, entered, NOT_VALID_FOR_YOU, NOT_VALID_MESSAGE, coupon_code=entered))
    for terms_ in candidates:
        promotion = terms_.promotion
        name = promotion.name
        refusal = _refusal(terms_, now=now, entered_code=entered)
        if refusal is not None and refusal[0] == NOT_VALID_FOR_YOU:
            # Reveal nothing about a promotion the buyer may not have: only the code they typed.
            not_applied.append(PromotionOutcome(None, entered, *refusal, coupon_code=entered))
            continue
        if refusal is None:
            scoped = [line for line in cart_lines if _in_scope(terms_, line, ancestors)]
            refusal = _cart_refusal(terms_, scoped)
        if refusal is None and exclusive_name is not None:
            refusal = NOT_COMBINABLE, f"Not combined with “{exclusive_name}”."
        if refusal is None and promotion.is_exclusive and applied:
            refusal = NOT_COMBINABLE, f"Cannot be combined with “{applied[0].name}”, which comes first."
        if refusal is None:
            saving, free_line, refusal = _apply(terms_, scoped, free_price=free_prices.get(promotion.free_product_id or 0))
            if refusal is None and not saving and free_line is None:
                refusal = NO_SAVING, "Your prices are already at or below this offer."
            if refusal is None:
                if free_line is not None:
                    free_lines.append(free_line)
                applied.append(
                    PromotionOutcome(
                        promotion.pk, name, "", _applied_message(promotion, free_line), saving=saving,
                        coupon_code=promotion.coupon_code,
                        segment_ids=terms_.include_segment_ids & segment_ids,
                    )
                )
                if promotion.is_exclusive:
                    exclusive_name = name
                continue
        not_applied.append(PromotionOutcome(promotion.pk, name, *refusal, coupon_code=promotion.coupon_code))
    return PromotionResult(lines=tuple(cart_lines + free_lines), applied=tuple(applied), not_applied=tuple(not_applied))


def _cart_refusal(terms: PromotionTerms, scoped: list[PricedLine]) -> tuple[str, str] | None:
    promotion = terms.promotion
    if not scoped:
        return NOT_IN_SCOPE, "None of the products in your cart are part of this offer."
    threshold = promotion.threshold
    if threshold is not None:
        value = sum((line.base_amount for line in scoped), ZERO)
        if value < threshold:
            return BELOW_THRESHOLD, f"Add {euro(threshold - value)} more to reach {euro(threshold)}."
    return None


def _applied_message(promotion: Promotion, free_line: PricedLine | None) -> str:
    kind = promotion.kind
    if kind == Promotion.Kind.PERCENTAGE:
        return f"{(promotion.percentage or ZERO).normalize():f}% off"
    if kind == Promotion.Kind.FIXED_AMOUNT:
        above = f" from {euro(promotion.threshold)}" if promotion.threshold else ""
        return f"{euro(promotion.amount or ZERO)} off{above}"
    if kind == Promotion.Kind.TIERED_PRICE:
        return "Tier price for your quantity"
    assert free_line is not None
    return f"{free_line.quantity} x {free_line.product.name} free"
