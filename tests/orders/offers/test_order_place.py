"""order_place with segment offers: re-quoted at placement, stored on the order, usage limits never exceeded."""

import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError, connection, connections, transaction

from orders.models import Cart, Order
from orders.offer_models import (
    OrderAdjustment,
    PaymentMethod,
    PromotionRedemption,
    ShippingRule,
)
from orders.offers.promotions import USAGE_LIMIT
from orders.offers.services import PaymentMethodNotAllowedError, QuoteChangedError
from orders.services import order_place
from segments.models import SegmentMembership
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import ProductFactory
from tests.orders.offers.factories import (
    PaymentMethodRuleFactory,
    PromotionFactory,
    ShippingRuleFactory,
)
from tests.orders.offers.support import NOW, cart_for, member_of, quote_for
from tests.segments.factories import SegmentFactory


@pytest.fixture
def no_reevaluation():
    """Placing enqueues a segment re-evaluation after commit; these tests pin memberships themselves."""
    with mock.patch("segments.tasks.contacts_reevaluate_task.delay") as delay:
        yield delay


def _rebuilt_total(order: Order) -> Decimal:
    """The order's total from what it stored: its lines plus its adjustments."""
    lines = sum((line.quantity * line.unit_price for line in order.lines.all()), Decimal("0.00"))
    return lines + sum((adjustment.amount for adjustment in order.adjustments.all()), Decimal("0.00"))


@pytest.mark.django_db
class OrderPlaceOffersTests:
    @pytest.fixture
    def trusted_buyer(self):
        trusted = SegmentFactory(slug="trusted")
        contact = ContactFactory()
        member_of(contact, trusted)
        PaymentMethodRuleFactory(method=PaymentMethod.INVOICE, include_segments=[trusted])
        PaymentMethodRuleFactory(method=PaymentMethod.PREPAID)
        return contact, trusted

    def test_the_order_stores_promotions_shipping_payment_and_the_use(self, trusted_buyer, no_reevaluation):
        contact, trusted = trusted_buyer
        cart_for(contact, (ProductFactory(list_price=Decimal("20.00")), 5))
        promotion = PromotionFactory(name="Trusted 10%", percentage=Decimal(10), include_segments=[trusted])
        rule = ShippingRuleFactory(name="Netherlands", cost=Decimal("12.50"))
        quote = quote_for(contact)

        order = order_place(contact=contact, now=NOW, payment_method="invoice", confirmed_version=quote.version)

        # 5 x 20.00 = 100.00, 10% = 10.00 off, 12.50 shipping; the order's total is its lines (revenue, rules.md)
        assert order.total_amount == Decimal("100.00")
        pricing = order.pricing
        assert (pricing.subtotal_amount, pricing.discount_amount, pricing.goods_amount) == (
            Decimal("100.00"), Decimal("10.00"), Decimal("90.00"),
        )
        assert (pricing.shipping_amount, pricing.total_amount, pricing.shipping_rule) == (
            Decimal("12.50"), Decimal("102.50"), rule,
        )
        assert (pricing.payment_method, pricing.quote_version, pricing.segment_ids) == (
            "invoice", quote.version, [trusted.pk],
        )
        assert [(a.kind, a.line_no, a.promotion_id, a.amount) for a in order.adjustments.all()] == [
            (OrderAdjustment.Kind.PROMOTION, 1, promotion.pk, Decimal("-10.00")),
            (OrderAdjustment.Kind.SHIPPING, None, None, Decimal("12.50")),
        ]
        redemption = PromotionRedemption.objects.get()
        assert (redemption.promotion, redemption.order, redemption.use_number, redemption.discount_amount) == (
            promotion, order, 1, Decimal("10.00"),
        )
        assert list(redemption.segments.all()) == [trusted]
        assert _rebuilt_total(order) == pricing.total_amount

    def test_a_free_product_becomes_its_own_order_line(self, no_reevaluation):
        contact = ContactFactory()
        tulip = ProductFactory(list_price=Decimal("0.50"))
        vase = ProductFactory(list_price=Decimal("4.50"))
        cart_for(contact, (tulip, 25))
        PromotionFactory(free=True, free_product=vase, buy_quantity=10, free_quantity=1)

        order = order_place(contact=contact, now=NOW)

        assert [(line.line_no, line.product, line.quantity, line.unit_price) for line in order.lines.all()] == [
            (1, tulip, 25, Decimal("0.50")), (2, vase, 2, Decimal("4.50")),
        ]
        assert [(a.line_no, a.amount) for a in order.adjustments.all()] == [(2, Decimal("-9.00"))]
        # Lines 25 x 0.50 + 2 x 4.50 = 21.50; the free vases are a -9.00 adjustment
        assert order.total_amount == Decimal("21.50")
        assert order.pricing.total_amount == Decimal("12.50") == _rebuilt_total(order)

    def test_without_a_confirmation_the_current_quote_is_accepted(self, no_reevaluation):
        contact = ContactFactory()
        cart_for(contact, (ProductFactory(list_price=Decimal("10.00")), 3))
        order = order_place(contact=contact, now=NOW)
        assert order.total_amount == Decimal("30.00")
        assert (order.pricing.payment_method, order.pricing.shipping_amount) == ("prepaid", Decimal("0.00"))

    def test_a_membership_change_between_cart_and_checkout_asks_to_confirm_the_new_totals(
        self, trusted_buyer, no_reevaluation
    ):
        contact, trusted = trusted_buyer
        cart = cart_for(contact, (ProductFactory(list_price=Decimal("20.00")), 5))
        PromotionFactory(percentage=Decimal(10), include_segments=[trusted])
        seen = quote_for(contact)
        assert seen.total == Decimal("90.00")
        SegmentMembership.objects.filter(contact=contact).delete()  # a refresh ran: no longer trusted

        with pytest.raises(QuoteChangedError, match=r"Your order total changed to EUR 100\.00") as raised:
            order_place(contact=contact, now=NOW, confirmed_version=seen.version)

        assert raised.value.status_code == 409
        new = raised.value.quote
        assert (new.total, new.discount, new.applied) == (Decimal("100.00"), Decimal("0.00"), ())
        assert [option.value for option in new.payment_methods] == ["prepaid"]
        assert not Order.objects.exists()
        cart.refresh_from_db()
        assert (cart.status, cart.lines.count()) == (Cart.Status.OPEN, 1)

        order = order_place(contact=contact, now=NOW, confirmed_version=new.version)
        assert order.total_amount == Decimal("100.00")

    def test_the_same_totals_after_a_membership_change_need_no_new_confirmation(self, trusted_buyer, no_reevaluation):
        contact, _trusted = trusted_buyer
        cart_for(contact, (ProductFactory(list_price=Decimal("20.00")), 5))
        seen = quote_for(contact)
        SegmentMembership.objects.filter(contact=contact).delete()
        order = order_place(contact=contact, now=NOW, confirmed_version=seen.version)
        assert order.total_amount == Decimal("100.00")

    def test_a_payment_method_the_buyer_may_not_use_is_refused(self, trusted_buyer, no_reevaluation):
        contact, _trusted = trusted_buyer
        contact.company.blocked = True
        contact.company.save()
        cart_for(contact, (ProductFactory(), 1))

        with pytest.raises(PaymentMethodNotAllowedError, match="Prepayment") as raised:
            order_place(contact=contact, now=NOW, payment_method="invoice")

        assert raised.value.errors[0].path == "/payment_method"
        assert not Order.objects.exists()

    def test_the_first_allowed_method_is_the_default(self, trusted_buyer, no_reevaluation):
        contact, _trusted = trusted_buyer
        cart_for(contact, (ProductFactory(), 1))
        assert order_place(contact=contact, now=NOW).pricing.payment_method == "invoice"

    def test_the_order_is_reproducible_after_its_rules_change(self, trusted_buyer, no_reevaluation):
        contact, trusted = trusted_buyer
        cart_for(contact, (ProductFactory(list_price=Decimal("20.00")), 5))
        promotion = PromotionFactory(name="Trusted 10%", percentage=Decimal(10), include_segments=[trusted])
        rule = ShippingRuleFactory(name="Netherlands", cost=Decimal("12.50"))
        order = order_place(contact=contact, now=NOW, payment_method="invoice")

        promotion.percentage = Decimal(50)
        promotion.save()
        rule.cost = Decimal("99.00")
        rule.save()
        ShippingRule.objects.filter(pk=rule.pk).delete()

        order = Order.objects.get(pk=order.pk)
        assert (order.total_amount, order.pricing.total_amount, order.pricing.shipping_rule) == (
            Decimal("100.00"), Decimal("102.50"), None,
        )
        assert order.pricing.shipping_label == "Netherlands: EUR 12.50"
        assert [(a.label, a.amount) for a in order.adjustments.all()] == [
            ("Trusted 10%", Decimal("-10.00")), ("Netherlands: EUR 12.50", Decimal("12.50")),
        ]
        assert _rebuilt_total(order) == Decimal("102.50")


@pytest.mark.django_db
class UsageLimitTests:
    """SQLite-safe: two checkouts of one company quoted before either placed; the second one sees the limit."""

    @pytest.fixture
    def colleagues(self):
        company = CompanyFactory()
        buyers = [ContactFactory(company=company) for _ in range(2)]
        for buyer in buyers:
            cart_for(buyer, (ProductFactory(list_price=Decimal("200.00")), 1))
        promotion = PromotionFactory(fixed=True, amount=Decimal("25.00"), usage_limit_per_company=1)
        return buyers, promotion

    def test_a_stale_quote_cannot_use_the_last_use(self, colleagues, no_reevaluation):
        (first, second), promotion = colleagues
        first_quote, second_quote = quote_for(first), quote_for(second)
        assert first_quote.discount == second_quote.discount == Decimal("25.00")

        order_place(contact=first, now=NOW, confirmed_version=first_quote.version)
        with pytest.raises(QuoteChangedError) as raised:
            order_place(contact=second, now=NOW, confirmed_version=second_quote.version)

        assert [(o.promotion_id, o.code) for o in raised.value.quote.not_applied] == [(promotion.pk, USAGE_LIMIT)]
        assert PromotionRedemption.objects.count() == 1

    def test_without_confirmation_the_second_order_is_placed_without_the_promotion(self, colleagues, no_reevaluation):
        (first, second), _promotion = colleagues
        order_place(contact=first, now=NOW)
        order = order_place(contact=second, now=NOW)
        assert order.total_amount == Decimal("200.00")
        assert PromotionRedemption.objects.count() == 1

    def test_the_database_refuses_a_second_redemption_with_the_same_use_number(self, colleagues, no_reevaluation):
        (first, second), promotion = colleagues
        order = order_place(contact=first, now=NOW)
        other = order_place(contact=second, now=NOW)
        with pytest.raises(IntegrityError), transaction.atomic():
            PromotionRedemption.objects.create(
                promotion=promotion, company=order.company, order=other, use_number=1,
                discount_amount=Decimal("25.00"), redeemed_at=NOW,
            )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs real concurrent transactions (PostgreSQL, as in CI); SQLite: see UsageLimitTests",
)
@pytest.mark.django_db(transaction=True)
class ConcurrentUsageLimitTests:
    """PostgreSQL: several colleagues check out at the same moment for the last use; exactly one gets it."""

    def test_the_usage_limit_is_never_exceeded_by_concurrent_checkouts(self, no_reevaluation):
        company = CompanyFactory()
        buyers = [ContactFactory(company=company) for _ in range(4)]
        for buyer in buyers:
            cart_for(buyer, (ProductFactory(list_price=Decimal("200.00")), 1))
        PromotionFactory(fixed=True, amount=Decimal("25.00"), usage_limit_per_company=2)
        versions = {buyer.pk: quote_for(buyer).version for buyer in buyers}
        start = threading.Barrier(len(buyers))
        outcomes: dict[int, str] = {}

        def checkout(buyer) -> None:
            try:
                start.wait()
                order_place(contact=buyer, now=NOW, confirmed_version=versions[buyer.pk])
                outcomes[buyer.pk] = "placed"
            except QuoteChangedError:
                outcomes[buyer.pk] = "changed"
            finally:
                connections.close_all()

        threads = [threading.Thread(target=checkout, args=(buyer,)) for buyer in buyers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(outcomes.values()) == ["changed", "changed", "placed", "placed"]
        assert PromotionRedemption.objects.filter(company=company).count() == 2
        assert sorted(PromotionRedemption.objects.values_list("use_number", flat=True)) == [1, 2]
        assert Order.objects.filter(company=company).count() == 2
