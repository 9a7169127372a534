"""The demo's segment offers (docs/offers.md): a reward for champions, a come-back code for customers at risk,
shipping costs for the Netherlands, Belgium and the rest of Europe, and invoice payment for trusted customers only.

Runs after the demo segments exist; creates what is missing by name and keeps a marketer's edits.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from orders.offer_models import (
    PaymentMethod,
    PaymentMethodRule,
    Promotion,
    ShippingRule,
)
from orders.offers.services import (
    PromotionInput,
    ShippingRuleInput,
    promotion_save,
    shipping_rule_save,
)
from segments.models import Segment
from segments.services import segment_save

# Segments the offers need besides the demo segments (b2bshop/demo/segments.py).
OFFER_SEGMENTS: tuple[tuple[str, str, str, dict], ...] = (
    (
        "trusted", "Trusted customers (credit approved)",
        "Not blocked, with a credit limit and payment terms in the ERP: may pay by invoice.",
        {"all": [
            {"field": "company.blocked", "op": "is_false"},
            {"field": "company.credit_limit", "op": "gt", "value": 0},
            {"field": "company.payment_terms_days", "op": "gt", "value": 0},
            {"field": "company.account_type", "op": "ne", "value": "prospect"},
        ]},
    ),
    ("prospects", "Prospects", "Companies that have not become customers yet: they pay in advance.",
     {"field": "company.account_type", "op": "eq", "value": "prospect"}),
)

CHAMPIONS_REWARD = "Champions reward: 5% off your order"
COME_BACK = "We miss you: EUR 25 off from EUR 150"


def _segments(*slugs: str) -> list[Segment]:
    return list(Segment.objects.filter(slug__in=slugs).order_by("pk"))


def demo_offers_ensure() -> int:
    """Create the demo promotions, shipping rules and payment rules that do not exist yet; the number created."""
    created = 0
    with transaction.atomic():
        existing = set(Segment.objects.values_list("slug", flat=True))
        for slug, name, description, rule in OFFER_SEGMENTS:
            if slug not in existing:
                segment_save(name=name, slug=slug, description=description, rule=rule)
                created += 1
        promotions = set(Promotion.objects.values_list("name", flat=True))
        for data in _demo_promotions():
            # Without its segment a promotion would reach every buyer: skip it until the segment exists.
            if data.name not in promotions and data.include_segments:
                promotion_save(data=data)
                created += 1
        rules = set(ShippingRule.objects.values_list("name", flat=True))
        for data in _demo_shipping_rules():
            if data.name not in rules:
                shipping_rule_save(data=data)
                created += 1
        if not PaymentMethodRule.objects.exists():
            invoice = PaymentMethodRule.objects.create(method=PaymentMethod.INVOICE, note="credit terms approved")
            invoice.include_segments.set(_segments("trusted"))
            PaymentMethodRule.objects.create(method=PaymentMethod.PREPAID, note="everyone may pay in advance")
            created += 2
    return created


def _demo_promotions() -> list[PromotionInput]:
    return [
        PromotionInput(
            name=CHAMPIONS_REWARD, kind=Promotion.Kind.PERCENTAGE, percentage=Decimal("5.00"),
            description="Loyalty reward for the RFM champions: on every order, combinable with product offers.",
            include_segments=_segments("champions"), priority=10,
        ),
        PromotionInput(
            name=COME_BACK, kind=Promotion.Kind.FIXED_AMOUNT, amount=Decimal("25.00"), threshold=Decimal("150.00"),
            description="Re-engagement: the code goes out by email to the at-risk segment (synced to Mailchimp).",
            include_segments=_segments("at-risk"), coupon_code="COMEBACK25", usage_limit_per_company=1,
            is_exclusive=True, priority=20,
        ),
    ]


def _demo_shipping_rules() -> list[ShippingRuleInput]:
    return [
        ShippingRuleInput(
            name="Netherlands", countries="NL", kind=ShippingRule.Kind.VALUE_BANDS, free_above=Decimal("500.00"),
            bands=[(Decimal(0), Decimal("17.50")), (Decimal(250), Decimal("9.50"))],
        ),
        ShippingRuleInput(
            name="Belgium", countries="BE", kind=ShippingRule.Kind.VALUE_BANDS, free_above=Decimal("750.00"),
            bands=[(Decimal(0), Decimal("29.50")), (Decimal(400), Decimal("19.50"))],
        ),
        ShippingRuleInput(
            name="Rest of Europe", countries="DE,FR,DK,GB,AT,CH,LU", kind=ShippingRule.Kind.PER_ORDER, cost=Decimal("45.00"),
            free_above=Decimal("1500.00"),
        ),
    ]
