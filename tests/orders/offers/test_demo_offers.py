"""The demo's offers: a champions reward, a come-back code for customers at risk, Belgian shipping, invoice for
trusted customers only."""

from decimal import Decimal

import pytest

from b2bshop.demo.offers import CHAMPIONS_REWARD, COME_BACK, demo_offers_ensure
from orders.offer_models import PaymentMethodRule, Promotion, ShippingRule
from segments.models import Segment
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import ProductFactory
from tests.orders.offers.support import cart_for, member_of, quote_for
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_segments():
    return SegmentFactory(slug="champions"), SegmentFactory(slug="at-risk")


class DemoOffersTests:
    def test_creates_everything_once(self, demo_segments):
        assert demo_offers_ensure() == 9
        assert demo_offers_ensure() == 0
        assert set(Promotion.objects.values_list("name", flat=True)) == {CHAMPIONS_REWARD, COME_BACK}
        assert set(ShippingRule.objects.values_list("name", flat=True)) == {"Netherlands", "Belgium", "Rest of Europe"}
        assert PaymentMethodRule.objects.count() == 2
        assert Segment.objects.filter(slug__in=["trusted", "prospects"]).count() == 2

    def test_without_the_demo_segments_no_promotion_reaches_everyone(self):
        demo_offers_ensure()
        assert not Promotion.objects.exists()

    def test_a_belgian_champion_with_credit_terms(self, demo_segments):
        champions, _at_risk = demo_segments
        demo_offers_ensure()
        contact = ContactFactory(company=CompanyFactory(country="BE"))
        member_of(contact, champions, Segment.objects.get(slug="trusted"))
        cart_for(contact, (ProductFactory(list_price=Decimal("100.00")), 2))

        quote = quote_for(contact)

        # 200.00 - 5% = 190.00; Belgium below EUR 400: 29.50
        assert [o.name for o in quote.applied] == [CHAMPIONS_REWARD]
        assert (quote.goods_total, quote.shipping.name, quote.shipping_cost, quote.total) == (
            Decimal("190.00"), "Belgium", Decimal("29.50"), Decimal("219.50"),
        )
        assert [option.value for option in quote.payment_methods] == ["invoice", "prepaid"]

    def test_an_at_risk_customer_uses_the_come_back_code_once(self, demo_segments):
        _champions, at_risk = demo_segments
        demo_offers_ensure()
        contact = ContactFactory()
        member_of(contact, at_risk)
        cart_for(contact, (ProductFactory(list_price=Decimal("160.00")), 1))

        quote = quote_for(contact, coupon="comeback25")

        # 160.00 - 25.00 = 135.00; the Netherlands from EUR 0: 17.50; not trusted: prepaid only
        assert (quote.goods_total, quote.shipping_cost, quote.total) == (
            Decimal("135.00"), Decimal("17.50"), Decimal("152.50"),
        )
        assert [option.value for option in quote.payment_methods] == ["prepaid"]
