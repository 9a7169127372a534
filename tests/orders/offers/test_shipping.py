"""Shipping costs in the cart quote: bands, free-above, countries, segments, cheapest vs overriding."""

from decimal import Decimal

import pytest

from orders.offer_models import ShippingRule
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import ProductFactory
from tests.orders.offers.factories import (
    ProductShippingWeightFactory,
    PromotionFactory,
    ShippingBandFactory,
    ShippingRuleFactory,
)
from tests.orders.offers.support import cart_for, member_of, quote_for
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def _buyer(country: str = "NL"):
    return ContactFactory(company=CompanyFactory(country=country))


def _value_table(name: str = "Value table", **kwargs) -> ShippingRule:
    rule = ShippingRuleFactory(name=name, kind=ShippingRule.Kind.VALUE_BANDS, **kwargs)
    for start, cost in (("0", "17.50"), ("250", "9.50")):
        ShippingBandFactory(rule=rule, from_value=Decimal(start), cost=Decimal(cost))
    return rule


class ShippingBandTests:
    @pytest.mark.parametrize(
        ("price", "cost"),
        [("249.99", "17.50"), ("250.00", "9.50"), ("499.99", "9.50"), ("500.00", "0.00")],
    )
    def test_value_bands_start_inclusive_and_free_above_is_inclusive(self, price, cost):
        contact = _buyer()
        cart_for(contact, (ProductFactory(list_price=Decimal(price)), 1))
        _value_table(free_above=Decimal("500.00"))
        quote = quote_for(contact)
        assert quote.shipping_cost == Decimal(cost)
        assert quote.total == Decimal(price) + Decimal(cost)

    def test_free_above_uses_the_goods_value_after_promotions(self):
        contact = _buyer()
        cart_for(contact, (ProductFactory(list_price=Decimal("520.00")), 1))
        _value_table(free_above=Decimal("500.00"))
        PromotionFactory(percentage=Decimal(10))  # 520.00 - 52.00 = 468.00: below 500
        quote = quote_for(contact)
        assert (quote.goods_total, quote.shipping_cost, quote.total) == (
            Decimal("468.00"), Decimal("9.50"), Decimal("477.50"),
        )
        assert quote.shipping.missing_for_free == Decimal("32.00")
        assert quote.shipping.label == "Value table: EUR 9.50; free from EUR 500.00"

    def test_weight_bands_use_the_product_shipping_weights(self):
        contact = _buyer()
        heavy, light, unknown = ProductFactory(), ProductFactory(), ProductFactory()
        ProductShippingWeightFactory(product=heavy, weight_kg=Decimal("12.500"))
        ProductShippingWeightFactory(product=light, weight_kg=Decimal("0.250"))
        cart_for(contact, (heavy, 2), (light, 10), (unknown, 5))  # 25 + 2.5 + 0 = 27.5 kg
        rule = ShippingRuleFactory(kind=ShippingRule.Kind.WEIGHT_BANDS)
        for start, cost in (("0", "8.00"), ("20", "14.00"), ("27.501", "22.00")):
            ShippingBandFactory(rule=rule, from_value=Decimal(start), cost=Decimal(cost))
        assert quote_for(contact).shipping_cost == Decimal("14.00")

    def test_a_table_that_does_not_cover_the_order_does_not_apply(self):
        contact = _buyer()
        cart_for(contact, (ProductFactory(list_price=Decimal("10.00")), 1))
        rule = ShippingRuleFactory(kind=ShippingRule.Kind.VALUE_BANDS)
        ShippingBandFactory(rule=rule, from_value=Decimal(100), cost=Decimal("5.00"))
        fallback = ShippingRuleFactory(cost=Decimal("30.00"))
        assert quote_for(contact).shipping.rule_id == fallback.pk

    def test_no_rule_means_no_shipping_cost(self):
        contact = _buyer()
        cart_for(contact, (ProductFactory(list_price=Decimal("10.00")), 1))
        quote = quote_for(contact)
        assert (quote.shipping.rule_id, quote.shipping_cost, quote.shipping.label) == (
            None, Decimal("0.00"), "No shipping costs",
        )

    def test_the_delivery_date_comes_with_the_cost(self):
        contact = _buyer()
        cart = cart_for(contact, (ProductFactory(), 1))
        ShippingRuleFactory(cost=Decimal("12.00"))
        quote = quote_for(contact)
        assert (quote.delivery_date, quote.shipping_cost) == (cart.delivery_date, Decimal("12.00"))


class ShippingChoiceTests:
    def test_the_country_decides_belgian_buyers_pay_belgian_rates(self):
        dutch, belgian = _buyer("NL"), _buyer("BE")
        for buyer in (dutch, belgian):
            cart_for(buyer, (ProductFactory(list_price=Decimal("100.00")), 1))
        ShippingRuleFactory(name="Netherlands", countries="NL", cost=Decimal("12.50"))
        ShippingRuleFactory(name="Belgium", countries="BE,LU", cost=Decimal("24.50"))
        assert (quote_for(dutch).shipping.name, quote_for(dutch).shipping_cost) == ("Netherlands", Decimal("12.50"))
        assert (quote_for(belgian).shipping.name, quote_for(belgian).shipping_cost) == ("Belgium", Decimal("24.50"))

    def test_the_cheapest_applicable_rule_wins(self):
        contact = _buyer()
        cart_for(contact, (ProductFactory(list_price=Decimal("100.00")), 1))
        ShippingRuleFactory(cost=Decimal("15.00"), priority=99)
        cheap = ShippingRuleFactory(cost=Decimal("9.95"))
        assert quote_for(contact).shipping.rule_id == cheap.pk

    def test_an_overriding_rule_wins_even_when_dearer(self):
        contact, segment = _buyer(), SegmentFactory()
        member_of(contact, segment)
        cart_for(contact, (ProductFactory(list_price=Decimal("100.00")), 1))
        ShippingRuleFactory(cost=Decimal("9.95"))
        special = ShippingRuleFactory(cost=Decimal("35.00"), is_overriding=True, include_segments=[segment])
        quote = quote_for(contact)
        assert (quote.shipping.rule_id, quote.shipping_cost) == (special.pk, Decimal("35.00"))
        assert quote.shipping.label.endswith("(special rate)")

    def test_among_overriding_rules_the_highest_priority_wins(self):
        contact = _buyer()
        cart_for(contact, (ProductFactory(list_price=Decimal("100.00")), 1))
        ShippingRuleFactory(cost=Decimal("5.00"), is_overriding=True, priority=1)
        chosen = ShippingRuleFactory(cost=Decimal("40.00"), is_overriding=True, priority=5)
        assert quote_for(contact).shipping.rule_id == chosen.pk

    def test_an_overriding_rule_for_another_segment_changes_nothing(self):
        contact = _buyer()
        cart_for(contact, (ProductFactory(list_price=Decimal("100.00")), 1))
        normal = ShippingRuleFactory(cost=Decimal("9.95"))
        ShippingRuleFactory(cost=Decimal("0.00"), is_overriding=True, include_segments=[SegmentFactory()])
        assert quote_for(contact).shipping.rule_id == normal.pk

    def test_an_excluded_segment_does_not_get_the_rule(self):
        contact, excluded = _buyer(), SegmentFactory()
        member_of(contact, excluded)
        cart_for(contact, (ProductFactory(list_price=Decimal("100.00")), 1))
        ShippingRuleFactory(cost=Decimal("0.00"), exclude_segments=[excluded])
        paid = ShippingRuleFactory(cost=Decimal("20.00"))
        assert quote_for(contact).shipping.rule_id == paid.pk

    def test_an_inactive_rule_is_ignored(self):
        contact = _buyer()
        cart_for(contact, (ProductFactory(list_price=Decimal("100.00")), 1))
        ShippingRuleFactory(cost=Decimal("1.00"), is_active=False)
        assert quote_for(contact).shipping.rule_id is None
