import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Cart, CartLine, Order
from tests.catalog.factories import ProductFactory
from tests.orders.factories import OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]

FRIDAY = "2026-11-26_2026-11-27"
TUESDAY = "2026-11-30_2026-12-01"


def _login(client, contact):
    client.force_login(contact)
    return client


class HeaderTests:
    def test_anonymous_sees_the_generic_next_moment_and_no_prices(self, client, shop_data):
        response = client.get(reverse("shop-category", args=["flowers"]))
        html = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="delivery-date">Fri 27 Nov<' in html
        assert "between Fri 27 Nov 00:00 and Sun 29 Nov 00:00" in html
        assert "Log in for prices" in html and "8.40" not in html and "10.00" not in html

    def test_buyer_sees_their_companys_next_moment(self, client, shop_data):
        shop_data["company_a"].departure_weekdays = "mon"
        shop_data["company_a"].save()
        html = _login(client, shop_data["buyer_a"]).get(reverse("shop-home")).content.decode()
        assert 'data-testid="delivery-date">Tue 1 Dec<' in html

    def test_the_buyer_language_formats_the_date(self, client, shop_data):
        shop_data["buyer_a"].language = "nl"
        shop_data["buyer_a"].save()
        html = _login(client, shop_data["buyer_a"]).get(reverse("shop-home")).content.decode()
        assert 'data-testid="delivery-date">Vr 27 nov<' in html

    def test_choosing_a_moment_stores_it_in_the_session_and_on_the_cart(self, client, shop_data):
        client = _login(client, shop_data["buyer_a"])
        response = client.post(reverse("shop-moment-set"), {"moment": TUESDAY, "next": "/c/flowers/"})
        assert response.status_code == 302 and response["Location"] == "/c/flowers/"
        assert client.session["shop_delivery_moment"] == TUESDAY
        cart = Cart.objects.get(contact=shop_data["buyer_a"])
        assert cart.delivery_date == datetime.date(2026, 12, 1)
        assert 'data-testid="delivery-date">Tue 1 Dec<' in client.get("/c/flowers/").content.decode()

    def test_an_impossible_moment_is_refused_and_an_outside_next_ignored(self, client, shop_data):
        response = client.post(
            reverse("shop-moment-set"), {"moment": "2026-11-28_2026-11-29", "next": "https://evil.example/"}
        )
        assert response["Location"] == "/"
        assert "shop_delivery_moment" not in client.session
        assert client.post(reverse("shop-moment-set"), {"moment": "garbage"}).status_code == 302

    def test_anonymous_moment_choice_lives_in_the_session(self, client, shop_data):
        client.post(reverse("shop-moment-set"), {"moment": TUESDAY})
        assert 'data-testid="delivery-date">Tue 1 Dec<' in client.get("/").content.decode()

    def test_moment_form_needs_csrf(self, shop_data):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        assert strict.post(reverse("shop-moment-set"), {"moment": TUESDAY}).status_code == 403


class CategoryPageTests:
    def test_lists_products_of_the_category_tree_deliverable_on_the_moment_with_buyer_prices(self, client, shop_data):
        html = _login(client, shop_data["buyer_a"]).get("/c/flowers/").content.decode()
        assert "Red Naomi rose" in html and "Yellow tulip" in html
        assert "€ 8.40" in html and "€ 3.00" in html
        assert "Sarah Bernhardt peony" not in html
        assert "Also show 1 product not deliverable on Fri 27 Nov" in html

    def test_all_shows_unavailable_products_marked_with_reason_and_first_date(self, client, shop_data):
        html = client.get("/c/flowers/?all=1").content.decode()
        assert "Sarah Bernhardt peony" in html
        assert "Not deliverable on Fridays" in html
        assert "First possible delivery: Tue 1 Dec" in html

    def test_changing_the_moment_changes_the_assortment(self, client, shop_data):
        client.post(reverse("shop-moment-set"), {"moment": TUESDAY})
        assert "Sarah Bernhardt peony" in client.get("/c/flowers/").content.decode()

    def test_unknown_category_is_404(self, client, shop_data):
        assert client.get("/c/nope/").status_code == 404

    @pytest.mark.parametrize("url", ["/c/flowers/", "/c/flowers/?all=1"])
    def test_query_count_does_not_grow_with_products(self, client, shop_data, url):
        client = _login(client, shop_data["buyer_a"])
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        ProductFactory.create_batch(15, category=shop_data["roses"])
        ProductFactory.create_batch(5, category=shop_data["flowers"], is_active=False)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert response.content.decode().count('class="card') >= 17
        assert len(many) == len(few)
        # 12 for the shop, + personalization: hidden categories, the menu, two placements (category_top, product_list)
        assert len(few) <= 16


class SearchAndProductTests:
    def test_search_by_name_or_sku(self, client, shop_data):
        html = client.get("/search/?q=tulip").content.decode()
        assert "Yellow tulip" in html and "Red Naomi rose" not in html
        assert "Red Naomi rose" in client.get("/search/?q=rose-red").content.decode()

    def test_product_page_says_why_and_the_first_moment(self, client, shop_data):
        html = client.get("/p/PEONY-TUE/").content.decode()
        assert "Not deliverable on Fridays" in html
        assert "First possible delivery: <strong>Tue 1 Dec</strong>" in html
        assert f'value="{TUESDAY}"' in html

    def test_product_page_shows_the_price_to_buyers_only(self, client, shop_data):
        assert "8.40" not in client.get("/p/ROSE-RED/").content.decode()
        assert "€ 8.40" in _login(client, shop_data["buyer_a"]).get("/p/ROSE-RED/").content.decode()

    def test_inactive_product_page_says_no_longer_available(self, client, shop_data):
        ProductFactory(sku="OLD-1", is_active=False)
        assert "No longer available" in client.get("/p/OLD-1/").content.decode()


class CartAndCheckoutTests:
    def test_anonymous_is_sent_to_login(self, client, shop_data):
        response = client.get("/cart/")
        assert response.status_code == 302 and response["Location"].startswith("/account/login/?next=/cart/")

    def test_add_to_cart_sets_the_moment_and_checkout_places_the_order(self, client, shop_data):
        client = _login(client, shop_data["buyer_a"])
        client.post("/cart/lines/", {"product": shop_data["rose"].pk, "quantity": "5", "add": "1"})
        cart = Cart.objects.get(contact=shop_data["buyer_a"])
        assert (cart.delivery_date, cart.lines.get().quantity) == (datetime.date(2026, 11, 27), 5)
        assert "€ 42.00" in client.get("/checkout/").content.decode()

        response = client.post("/checkout/")

        order = Order.objects.get()
        assert response["Location"] == f"/orders/{order.pk}/?placed=1"
        assert (order.total_amount, order.delivery_date, order.channel) == (
            Decimal("42.00"),
            datetime.date(2026, 11, 27),
            "web",
        )
        html = client.get(response["Location"]).content.decode()
        assert "Thank you for your order" in html and "Fri 27 Nov" in html

    def test_lines_that_do_not_fit_are_marked_in_the_cart_and_block_checkout(self, client, shop_data):
        client = _login(client, shop_data["buyer_a"])
        client.post(reverse("shop-moment-set"), {"moment": TUESDAY})
        client.post("/cart/lines/", {"product": shop_data["tuesday_only"].pk, "quantity": "2"})
        client.post(reverse("shop-moment-set"), {"moment": FRIDAY})
        html = client.get("/cart/").content.decode()
        assert 'data-testid="line-reason">Not deliverable on Fridays · first possible delivery Tue 1 Dec' in html
        assert CartLine.objects.count() == 1
        response = client.post("/checkout/")
        assert response.status_code == 400 and not Order.objects.exists()
        assert "PEONY-TUE: Not deliverable on Fridays" in response.content.decode()

    def test_cut_off_passed_shows_the_next_moment_and_keeps_the_cart(self, client, shop_data, _frozen_now):
        client = _login(client, shop_data["buyer_a"])
        client.post("/cart/lines/", {"product": shop_data["rose"].pk, "quantity": "5"})
        from unittest import mock

        later = datetime.datetime(2026, 11, 26, 14, 0, 1, tzinfo=_frozen_now.tzinfo)
        with mock.patch("catalog.shop_views.timezone.now", return_value=later):
            response = client.post("/checkout/")
        assert response.status_code == 409
        html = response.content.decode()
        assert "Delivery on Fri 27 Nov can no longer be ordered. The next delivery is Sat 28 Nov." in html
        assert not Order.objects.exists()
        assert Cart.objects.get(contact=shop_data["buyer_a"]).lines.count() == 1

    def test_quick_order_by_sku(self, client, shop_data):
        client = _login(client, shop_data["buyer_a"])
        response = client.post("/quick-order/", {"lines": "rose-red 4\nTULIP-YEL\nNOPE 3"})
        assert response.status_code == 400
        assert "Line 3: unknown SKU &#x27;NOPE&#x27;." in response.content.decode()
        assert {line.product.sku: line.quantity for line in CartLine.objects.all()} == {"ROSE-RED": 4, "TULIP-YEL": 1}

    def test_staff_without_company_cannot_buy(self, client, shop_data, superuser):
        client.force_login(superuser)
        assert client.get("/cart/").status_code == 403


class OrderHistoryTests:
    def test_lists_only_the_companys_orders(self, client, shop_data):
        OrderFactory(company=shop_data["company_a"], order_number="A-1")
        OrderFactory(company=shop_data["company_b"], order_number="B-1")
        html = _login(client, shop_data["buyer_a"]).get("/orders/").content.decode()
        assert "A-1" in html and "B-1" not in html

    def test_another_companys_order_is_404_for_view_and_reorder(self, client, shop_data):
        other = OrderLineFactory(order=OrderFactory(company=shop_data["company_b"])).order
        client = _login(client, shop_data["buyer_a"])
        assert client.get(f"/orders/{other.pk}/").status_code == 404
        assert client.post(f"/orders/{other.pk}/reorder/").status_code == 404
        assert not CartLine.objects.exists()

    def test_reorder_adds_to_the_cart_and_reports_skipped_products(self, client, shop_data):
        order = OrderFactory(company=shop_data["company_a"])
        OrderLineFactory(order=order, product=shop_data["rose"], quantity=6)
        OrderLineFactory(order=order, product=shop_data["tuesday_only"], quantity=2)
        client = _login(client, shop_data["buyer_a"])
        response = client.post(f"/orders/{order.pk}/reorder/", follow=True)
        html = response.content.decode()
        assert "1 product(s) from order" in html
        assert "Sarah Bernhardt peony (PEONY-TUE) was not added: Not deliverable on Fridays." in html
        assert CartLine.objects.get().quantity == 6


class AuthTests:
    def test_login_by_email_and_password(self, client, shop_data):
        response = client.post(
            "/account/login/", {"username": "anna@a.example", "password": "buyer-pass-123", "next": "/cart/"}
        )
        assert response.status_code == 302 and response["Location"] == "/cart/"
        assert "€ 8.40" in client.get("/c/flowers/").content.decode()

    def test_wrong_password_stays_on_the_form(self, client, shop_data):
        response = client.post("/account/login/", {"username": "anna@a.example", "password": "wrong"})
        assert response.status_code == 200 and "message error" in response.content.decode()

    def test_logout_is_a_post(self, client, shop_data):
        _login(client, shop_data["buyer_a"])
        assert client.post("/account/logout/").status_code == 302
        assert client.get("/cart/").status_code == 302

    def test_password_reset_mails_a_link_that_sets_a_new_password(self, client, shop_data, mailoutbox):
        response = client.post("/account/password-reset/", {"email": "anna@a.example"})
        assert response["Location"] == "/account/password-reset/sent/"
        body = mailoutbox[0].body
        link = next(word for word in body.split() if "/account/reset/" in word)
        path = link.split("testserver", 1)[1]
        form = client.get(path, follow=True)
        assert form.status_code == 200
        done = client.post(
            form.redirect_chain[-1][0], {"new_password1": "Fresh-tulips-42", "new_password2": "Fresh-tulips-42"}
        )
        assert done["Location"] == "/account/reset/done/"
        shop_data["buyer_a"].refresh_from_db()
        assert shop_data["buyer_a"].check_password("Fresh-tulips-42") is True
