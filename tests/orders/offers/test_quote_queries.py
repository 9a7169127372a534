"""The cart quote costs a constant number of queries, whatever the number of lines, promotions and rules."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Cart
from orders.offer_models import Promotion, ShippingRule
from orders.offers.quote import cart_quote
from tests.accounts.factories import ContactFactory
from tests.catalog.factories import ProductFactory
from tests.orders.offers.factories import (
    PaymentMethodRuleFactory,
    PromotionFactory,
    PromotionTierFactory,
    ShippingBandFactory,
    ShippingRuleFactory,
)
from tests.orders.offers.support import NOW, cart_for
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def _offers(count: int, segment) -> None:
    for _ in range(count):
        product = ProductFactory()
        PromotionFactory(include_segments=[segment], exclude_segments=[SegmentFactory()])
        tiered = PromotionFactory(tiered=True, products=[product], scope=Promotion.Scope.PRODUCTS)
        PromotionTierFactory(promotion=tiered, min_quantity=5, unit_price=Decimal("1.00"))
        PromotionFactory(free=True)
        ShippingBandFactory(rule=ShippingRuleFactory(kind=ShippingRule.Kind.VALUE_BANDS, include_segments=[segment]))
        PaymentMethodRuleFactory(include_segments=[segment])


def _query_count(contact, segment) -> int:
    cart = Cart.objects.select_related("contact__company").get(contact=contact)
    with CaptureQueriesContext(connection) as queries:
        quote = cart_quote(cart=cart, segment_ids=frozenset({segment.pk}), now=NOW, coupon_code="ANY")
    assert quote.lines
    return len(queries.captured_queries)


def test_the_quote_costs_the_same_for_2_or_12_lines_and_1_or_6_of_each_rule():
    segment = SegmentFactory()
    small, large = ContactFactory(), ContactFactory()
    cart_for(small, *((ProductFactory(), 10) for _ in range(2)))
    cart_for(large, *((ProductFactory(), 10) for _ in range(12)))
    _offers(1, segment)
    few = _query_count(small, segment)
    _offers(5, segment)
    assert _query_count(large, segment) == few, few
