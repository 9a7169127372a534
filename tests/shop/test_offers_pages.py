"""Segment offers on the shop pages: promotions, coupon, shipping and totals in the cart; payment methods,
re-confirmation and placement at checkout; the stored record on the order page (docs/offers.md, "Pages")."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.services import marketing_group_ensure
from orders.delivery_calendar import DeliveryMoment
from orders.models import Cart, Order
from orders.offer_models import (
    PaymentMethod,
    Promotion,
    PromotionRedemption,
    ShippingRule,
)
from orders.services import cart_line_set, cart_moment_set
from segments.models import SegmentMembership
from tests.accounts.factories import StaffUserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import OrderFactory
from tests.orders.offers.factories import (
    PaymentMethodRuleFactory,
    PromotionFactory,
    ShippingRuleFactory,
)
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory
from tests.shop.conftest import AMSTERDAM, NOW

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]

FRIDAY = DeliveryMoment(departure_date=datetime.date(2026, 11, 26), delivery_date=datetime.date(2026, 11, 27))


def offers_for(shop_data) -> dict:
    """Buyer A (company A, NL) is a champion; buyer B is a prospect. Netherlands and Belgium shipping,
    invoice for champions, prepayment for everyone, and a 5% champions reward."""
    champions = SegmentFactory(slug="champions", name="Champions")
    prospects = SegmentFactory(slug="prospects", name="Prospects")
    at_risk = SegmentFactory(slug="at-risk", name="At risk")
    SegmentMembershipFactory(segment=champions, contact=shop_data["buyer_a"])
    SegmentMembershipFactory(segment=prospects, contact=shop_data["buyer_b"])
    reward = PromotionFactory(
        name="Champions reward", percentage=Decimal(5), include_segments=[champions], priority=10
    )
    ShippingRuleFactory(name="Netherlands", countries="NL", cost=Decimal("17.50"), free_above=Decimal("500.00"))
    belgium = ShippingRuleFactory(
        name="Belgium", countries="BE", kind=ShippingRule.Kind.VALUE_BANDS, free_above=Decimal("750.00")
    )
    belgium.bands.create(from_value=Decimal(0), cost=Decimal("29.50"))
    belgium.bands.create(from_value=Decimal(400), cost=Decimal("19.50"))
    PaymentMethodRuleFactory(method=PaymentMethod.INVOICE, include_segments=[champions])
    PaymentMethodRuleFactory(method=PaymentMethod.PREPAID)
    cache.clear()  # segment ids are cached per contact
    return {"champions": champions, "prospects": prospects, "at_risk": at_risk, "reward": reward, "belgium": belgium}


def fill_cart(contact, shop_data) -> Cart:
    """10 roses at company A's 8.40 (or 10.00) and 20 tulips at 3.00 for Friday."""
    cart_moment_set(contact=contact, moment=FRIDAY, now=NOW)
    cart_line_set(contact=contact, product=shop_data["rose"], quantity=10, now=NOW)
    cart_line_set(contact=contact, product=shop_data["tulip"], quantity=20, now=NOW)
    return Cart.objects.get(contact=contact, status=Cart.Status.OPEN)


@pytest.fixture
def offers(shop_data):
    return offers_for(shop_data)


@pytest.fixture
def buyer_a(client, shop_data, offers):
    fill_cart(shop_data["buyer_a"], shop_data)
    client.force_login(shop_data["buyer_a"])
    return client


def _html(response) -> str:
    return response.content.decode()


def _version(html: str) -> str:
    return re.search(r'name="confirmed_version" value="([0-9a-f]{16})"', html).group(1)


def _text(html: str) -> str:
    """The page's text with tags removed and spaces collapsed (non-breaking spaces too)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("\xa0", " "))


class CartOffersTests:
    def test_the_cart_shows_the_promotion_per_line_shipping_with_the_date_and_the_totals(self, buyer_a):
        html = _html(buyer_a.get("/cart/"))
        text = _text(html)
        # 10 x 8.40 = 84.00 and 20 x 3.00 = 60.00; 5% = 4.20 + 3.00 off; NL shipping 17.50.
        assert "Champions reward: − € 4.20" in text and "Champions reward: − € 3.00" in text
        assert re.search(r'data-testid="promotion-saving">−&nbsp;€&nbsp;7\.20<', html)
        assert 'data-testid="subtotal">€ 144.00<' in html
        assert 'data-testid="discount">−&nbsp;€&nbsp;7.20<' in html
        assert 'data-testid="shipping-cost">€ 17.50<' in html
        assert 'data-testid="cart-total">€ 154.30<' in html
        assert "Shipping for delivery on Fri 27 Nov : Netherlands: EUR 17.50; free from EUR 500.00" in text
        assert "(add € 363.20 for free shipping)" in text  # 500.00 - 136.80 after the reward
        assert 'aria-live="polite"' in html

    def test_a_prospect_sees_no_reward_and_a_promotion_they_know_says_why_it_does_not_apply(
        self, client, shop_data, offers
    ):
        PromotionFactory(
            name="Big order bonus", kind=Promotion.Kind.FIXED_AMOUNT, percentage=None, amount=Decimal("20.00"),
            threshold=Decimal("250.00"),
        )
        fill_cart(shop_data["buyer_b"], shop_data)
        client.force_login(shop_data["buyer_b"])
        html = _html(client.get("/cart/"))
        assert "Champions reward" not in html  # another segment's promotion is never listed
        # Company B pays the list price: 10 x 10.00 + 20 x 3.00 = 160.00, 90.00 short of the threshold.
        assert "Big order bonus" in html and "Add EUR 90.00 more to reach EUR 250.00." in html
        assert 'data-testid="cart-total">€ 177.50<' in html

    def test_a_belgian_buyer_pays_belgian_shipping(self, client, shop_data, offers):
        company = shop_data["company_b"]
        company.country = "BE"
        company.save()
        fill_cart(shop_data["buyer_b"], shop_data)
        client.force_login(shop_data["buyer_b"])
        html = _html(client.get("/cart/"))
        assert 'data-testid="shipping-cost">€ 29.50<' in html
        assert "Belgium: EUR 29.50; free from EUR 750.00" in html
        assert 'data-testid="cart-total">€ 189.50<' in html  # 160.00 + 29.50


    def test_the_cart_and_checkout_query_counts_do_not_grow_with_lines(self, buyer_a, shop_data):
        def queries(url: str) -> int:
            with CaptureQueriesContext(connection) as captured:
                assert buyer_a.get(url).status_code == 200
            return len(captured.captured_queries)

        for url in ("/cart/", "/checkout/"):
            queries(url)  # the first request fills the session and the segment cache
        before = {url: queries(url) for url in ("/cart/", "/checkout/")}
        for index in range(4):
            product = ProductFactory(category=shop_data["flowers"], list_price=Decimal("2.00"))
            cart_line_set(contact=shop_data["buyer_a"], product=product, quantity=5 + index, now=NOW)
        assert {url: queries(url) for url in ("/cart/", "/checkout/")} == before


class CouponTests:
    def test_apply_and_remove_a_code_kept_in_the_session(self, buyer_a, offers):
        PromotionFactory(
            name="Extra ten", kind=Promotion.Kind.FIXED_AMOUNT, percentage=None, amount=Decimal("10.00"),
            coupon_code="EXTRA10",
        )
        response = buyer_a.post("/cart/coupon/", {"coupon_code": " extra10 "}, follow=True)
        html = _html(response)
        assert "Code EXTRA10 applied: Extra ten." in html
        assert buyer_a.session["shop_coupon_code"] == "EXTRA10"
        # After the 5% reward (136.80 left): 10.00 spread by value, 5.83 on the roses and 4.17 on the tulips.
        assert "Extra ten: − € 5.83" in _text(html) and "Extra ten: − € 4.17" in _text(html)
        assert 'data-testid="discount">−&nbsp;€&nbsp;17.20<' in html
        assert 'data-testid="cart-total">€ 144.30<' in html
        assert 'data-testid="coupon-code">EXTRA10<' in html

        html = _html(buyer_a.post("/cart/coupon/", {"remove": "1"}, follow=True))
        assert "The code was removed." in html and "shop_coupon_code" not in buyer_a.session
        assert 'data-testid="cart-total">€ 154.30<' in html

    def test_unknown_and_other_segment_codes_get_the_same_answer_and_are_not_kept(self, buyer_a, offers):
        PromotionFactory(
            name="We miss you", kind=Promotion.Kind.FIXED_AMOUNT, percentage=None, amount=Decimal("25.00"),
            coupon_code="COMEBACK25", include_segments=[offers["at_risk"]],
        )
        for code in ("COMEBACK25", "NOPE"):
            html = _html(buyer_a.post("/cart/coupon/", {"coupon_code": code}, follow=True))
            assert f"Code {code}: This code is not valid for your account." in html
            assert "We miss you" not in html
            assert "shop_coupon_code" not in buyer_a.session

    def test_expired_and_used_up_codes_are_refused_with_the_reason(self, buyer_a, shop_data, offers):
        PromotionFactory(
            name="Autumn", coupon_code="AUTUMN", ends_at=datetime.datetime(2026, 11, 1, tzinfo=AMSTERDAM)
        )
        once = PromotionFactory(name="Welcome", coupon_code="WELCOME", usage_limit_per_company=1)
        earlier = OrderFactory(company=shop_data["company_a"], contact=shop_data["buyer_a"])
        PromotionRedemption.objects.create(
            promotion=once, company=shop_data["company_a"], order=earlier, use_number=1,
            discount_amount=Decimal("5.00"), redeemed_at=NOW,
        )
        html = _html(buyer_a.post("/cart/coupon/", {"coupon_code": "autumn"}, follow=True))
        assert "Code AUTUMN: Expired on Sun 01 Nov 2026." in html
        html = _html(buyer_a.post("/cart/coupon/", {"coupon_code": "WELCOME"}, follow=True))
        assert "Code WELCOME: Already used: it can be used once per company." in html
        assert "shop_coupon_code" not in buyer_a.session
        assert 'data-testid="cart-total">€ 154.30<' in html

    def test_a_code_below_its_threshold_is_kept_and_the_cart_says_what_is_missing(self, buyer_a, offers):
        PromotionFactory(
            name="Big spender", kind=Promotion.Kind.FIXED_AMOUNT, percentage=None, amount=Decimal("50.00"),
            threshold=Decimal("500.00"), coupon_code="BIG50",
        )
        html = _html(buyer_a.post("/cart/coupon/", {"coupon_code": "BIG50"}, follow=True))
        assert "Code BIG50 is saved but does not apply yet: Add EUR 356.00 more to reach EUR 500.00." in html
        assert buyer_a.session["shop_coupon_code"] == "BIG50"
        assert re.search(r"Big spender</strong>: <span data-testid=\"not-applied-reason\">Add EUR 356\.00", html)

    def test_an_empty_or_over_long_code_is_refused(self, buyer_a, offers):
        assert "Enter a code." in _html(buyer_a.post("/cart/coupon/", {"coupon_code": "  "}, follow=True))
        html = _html(buyer_a.post("/cart/coupon/", {"coupon_code": "X" * 41}, follow=True))
        assert "This code is not valid for your account." in html
        assert "shop_coupon_code" not in buyer_a.session

    def test_the_coupon_is_used_at_checkout_and_then_forgotten(self, buyer_a, offers):
        PromotionFactory(
            name="Extra ten", kind=Promotion.Kind.FIXED_AMOUNT, percentage=None, amount=Decimal("10.00"),
            coupon_code="EXTRA10",
        )
        buyer_a.post("/cart/coupon/", {"coupon_code": "EXTRA10"})
        html = _html(buyer_a.get("/checkout/"))
        assert 'data-testid="cart-total">€ 144.30<' in html
        response = buyer_a.post("/checkout/", {"confirmed_version": _version(html), "payment_method": "invoice"})
        assert response.status_code == 302
        order = Order.objects.get()
        assert (order.pricing.coupon_code, order.pricing.total_amount) == ("EXTRA10", Decimal("144.30"))
        assert "shop_coupon_code" not in buyer_a.session


class CheckoutTests:
    def test_a_reward_buyer_chooses_invoice_and_the_order_stores_it(self, buyer_a):
        html = _html(buyer_a.get("/checkout/"))
        assert re.findall(r'name="payment_method" value="(\w+)"', html) == ["invoice", "prepaid"]
        assert '<legend>Payment method</legend>' in html
        assert re.search(r'value="invoice" checked', html)  # the first allowed method is preselected
        response = buyer_a.post("/checkout/", {"confirmed_version": _version(html), "payment_method": "invoice"})
        order = Order.objects.get()
        assert response["Location"] == f"/orders/{order.pk}/?placed=1"
        # Lines 10 x 8.40 + 20 x 3.00 = 144.00 (the order's total, rules.md's revenue); 5% off = 136.80 + 17.50
        assert (order.total_amount, order.pricing.total_amount, order.pricing.payment_method) == (
            Decimal("144.00"), Decimal("154.30"), "invoice",
        )

    def test_a_prospect_is_offered_prepayment_only_and_a_forged_method_is_refused(self, client, shop_data, offers):
        fill_cart(shop_data["buyer_b"], shop_data)
        client.force_login(shop_data["buyer_b"])
        html = _html(client.get("/checkout/"))
        assert re.findall(r'name="payment_method" value="(\w+)"', html) == ["prepaid"]

        response = client.post("/checkout/", {"confirmed_version": _version(html), "payment_method": "invoice"})

        assert response.status_code == 400 and not Order.objects.exists()
        assert (
            "This payment method is not available for your account. "
            "You can pay by: Prepayment (bank transfer before delivery)." in _html(response)
        )
        assert re.findall(r'name="payment_method" value="(\w+)"', _html(response)) == ["prepaid"]
        assert Cart.objects.get(contact=shop_data["buyer_b"]).status == Cart.Status.OPEN

    def test_a_blocked_company_never_gets_invoice(self, buyer_a, shop_data):
        company = shop_data["company_a"]
        company.blocked = True
        company.save()
        html = _html(buyer_a.get("/checkout/"))
        assert re.findall(r'name="payment_method" value="(\w+)"', html) == ["prepaid"]

    def test_membership_changed_between_cart_and_checkout_shows_new_totals_and_confirming_places_it(
        self, buyer_a, shop_data
    ):
        html = _html(buyer_a.get("/checkout/"))
        seen = _version(html)
        assert 'data-testid="cart-total">€ 154.30<' in html
        # A segment refresh ran: buyer A is no longer a champion (no reward, no invoice).
        SegmentMembership.objects.filter(contact=shop_data["buyer_a"]).delete()

        response = buyer_a.post("/checkout/", {"confirmed_version": seen, "payment_method": "invoice"})

        assert response.status_code == 409 and not Order.objects.exists()
        html = _html(response)
        assert "Your order total changed to EUR 161.50" in html
        assert 'data-testid="cart-total">€ 161.50<' in html  # 144.00 + 17.50, no reward
        assert "Champions reward" not in html
        assert re.findall(r'name="payment_method" value="(\w+)"', html) == ["prepaid"]
        assert "Confirm order at € 161.50" in html
        new = _version(html)
        assert new != seen
        assert Cart.objects.get(contact=shop_data["buyer_a"]).lines.count() == 2

        response = buyer_a.post("/checkout/", {"confirmed_version": new, "payment_method": "prepaid"})

        order = Order.objects.get()
        assert response["Location"] == f"/orders/{order.pk}/?placed=1"
        assert (order.pricing.total_amount, order.pricing.discount_amount, order.pricing.payment_method) == (
            Decimal("161.50"), Decimal("0.00"), "prepaid",
        )

    def test_a_changed_version_keeps_the_chosen_method_when_still_allowed(self, buyer_a, offers):
        html = _html(buyer_a.get("/checkout/"))
        offers["reward"].percentage = Decimal(10)
        offers["reward"].save()
        response = buyer_a.post("/checkout/", {"confirmed_version": _version(html), "payment_method": "prepaid"})
        assert response.status_code == 409
        assert re.search(r'value="prepaid" checked', _html(response))
        assert 'data-testid="cart-total">€ 147.10<' in _html(response)  # 144.00 - 14.40 + 17.50


class OrderPageTests:
    def test_the_order_shows_what_was_stored_after_the_rules_change(self, buyer_a, shop_data, offers):
        html = _html(buyer_a.get("/checkout/"))
        buyer_a.post("/checkout/", {"confirmed_version": _version(html), "payment_method": "invoice"})
        order = Order.objects.get()
        offers["reward"].name = "Renamed reward"
        offers["reward"].percentage = Decimal(50)
        offers["reward"].save()
        ShippingRule.objects.filter(name="Netherlands").update(cost=Decimal("99.00"))

        html = _html(buyer_a.get(f"/orders/{order.pk}/?placed=1"))

        text = _text(html)
        assert "Thank you for your order" in html
        assert "Champions reward − € 7.20" in text and "Renamed reward" not in html
        assert "Champions reward: − € 4.20" in text
        assert "Shipping: Netherlands: EUR 17.50; free from EUR 500.00" in text
        assert 'data-testid="order-subtotal">€ 144.00<' in html
        assert 'data-testid="order-discount">−&nbsp;€&nbsp;7.20<' in html
        assert 'data-testid="order-shipping-cost">€ 17.50<' in html
        assert 'data-testid="order-total">€ 154.30<' in html
        assert 'data-testid="order-payment-method">Invoice (on account)<' in html

    def test_a_buyer_of_another_company_cannot_see_the_order(self, buyer_a, shop_data):
        html = _html(buyer_a.get("/checkout/"))
        buyer_a.post("/checkout/", {"confirmed_version": _version(html), "payment_method": "invoice"})
        order = Order.objects.get()
        other = Client()
        other.force_login(shop_data["buyer_b"])
        assert other.get(f"/orders/{order.pk}/").status_code == 404

    def test_an_erp_order_without_a_pricing_record_still_shows_its_total(self, client, shop_data):
        order = OrderFactory(company=shop_data["company_a"], contact=shop_data["buyer_a"], total_amount=Decimal("12.34"))
        client.force_login(shop_data["buyer_a"])
        html = _html(client.get(f"/orders/{order.pk}/"))
        assert "€ 12.34" in html and 'data-testid="order-offers"' not in html


    def test_the_history_shows_what_web_orders_charged_and_erp_orders_their_total(self, buyer_a, shop_data):
        html = _html(buyer_a.get("/checkout/"))
        buyer_a.post("/checkout/", {"confirmed_version": _version(html), "payment_method": "invoice"})
        web = Order.objects.get()
        erp = OrderFactory(company=shop_data["company_a"], contact=shop_data["buyer_a"], total_amount=Decimal("12.34"))

        html = _html(buyer_a.get("/orders/"))

        rows = dict(re.findall(r'data-order="([^"]+)">.*?<td class="num">€ ([0-9.]+)</td>', html, flags=re.S))
        # The web order: lines 144.00 - 7.20 reward + 17.50 shipping; the ERP order: its lines' total.
        assert rows == {web.order_number: "154.30", erp.order_number: "12.34"}

class SecurityAndPreviewTests:
    def test_the_coupon_and_checkout_forms_need_csrf(self, shop_data, offers):
        fill_cart(shop_data["buyer_a"], shop_data)
        PromotionFactory(name="Extra", coupon_code="EXTRA10")
        client = Client(enforce_csrf_checks=True)
        client.force_login(shop_data["buyer_a"])
        assert client.post("/cart/coupon/", {"coupon_code": "EXTRA10"}).status_code == 403
        assert "shop_coupon_code" not in client.session
        assert client.post("/checkout/", {"payment_method": "invoice"}).status_code == 403
        assert not Order.objects.exists()
        html = _html(client.get("/cart/"))
        assert re.search(r'action="/cart/coupon/"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', html)
        html = _html(client.get("/checkout/"))
        assert re.search(r'action="/checkout/"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', html)

    def test_anonymous_visitors_cannot_apply_a_code(self, client, shop_data, offers):
        response = client.post("/cart/coupon/", {"coupon_code": "EXTRA10"})
        assert response.status_code == 302 and response["Location"].startswith("/account/login/")

    def test_a_contact_preview_shows_the_offers_without_forms(self, client, shop_data, offers):
        fill_cart(shop_data["buyer_a"], shop_data)
        marketer = StaffUserFactory()
        marketer.groups.add(marketing_group_ensure())
        client.force_login(marketer)
        client.post("/preview/", {"kind": "contact", "contact": shop_data["buyer_a"].email})

        cart = _html(client.get("/cart/"))
        checkout = _html(client.get("/checkout/"))

        for html in (cart, checkout):
            assert "Champions reward" in html and 'data-testid="cart-total">€ 154.30<' in html
            assert 'action="/cart/coupon/"' not in html and 'name="payment_method"' not in html
            assert 'action="/checkout/"' not in html
        assert "Invoice (on account)" in checkout  # the allowed methods, listed
        assert client.post("/cart/coupon/", {"coupon_code": "X"}).status_code == 403
