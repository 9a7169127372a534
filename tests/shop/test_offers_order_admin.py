"""The order admin shows the stored pricing record and adjustments of a web order, read-only."""

import re

import pytest
from django.urls import reverse

from orders.models import Order
from orders.offer_models import OrderAdjustment, OrderPricing
from tests.shop.test_offers_pages import fill_cart, offers_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]


@pytest.fixture
def placed_order(client, shop_data):
    offers_for(shop_data)
    fill_cart(shop_data["buyer_a"], shop_data)
    client.force_login(shop_data["buyer_a"])
    html = client.get("/checkout/").content.decode()
    version = re.search(r'name="confirmed_version" value="([0-9a-f]{16})"', html).group(1)
    client.post("/checkout/", {"confirmed_version": version, "payment_method": "invoice"})
    client.logout()
    return Order.objects.get()


@pytest.mark.parametrize("role", ["superuser", "marketer"])
def test_the_order_change_page_shows_pricing_and_adjustments(request, admin_client_for, placed_order, role):
    client = admin_client_for(request.getfixturevalue(role))
    html = client.get(reverse("admin:orders_order_change", args=[placed_order.pk])).content.decode()
    assert "Pricing (stored at placement)" in html and "Adjustments (stored at placement)" in html
    assert "154.30" in html and "Invoice (on account)" in html and placed_order.pricing.quote_version in html
    assert "Netherlands: EUR 17.50; free from EUR 500.00" in html
    assert "-4.20" in html and "-3.00" in html and "Champions reward" in html
    # Read-only: no form fields for the inline rows.
    assert 'name="pricing-0-total_amount"' not in html and 'name="adjustments-0-amount"' not in html


def test_the_inlines_cannot_change_the_stored_record(superuser, admin_client_for, placed_order):
    client = admin_client_for(superuser)
    before = list(OrderAdjustment.objects.values_list("amount", flat=True))
    response = client.post(
        reverse("admin:orders_order_change", args=[placed_order.pk]),
        {"pricing-TOTAL_FORMS": "1", "pricing-INITIAL_FORMS": "1", "pricing-0-total_amount": "1.00"},
    )
    assert response.status_code == 403
    assert OrderPricing.objects.get().total_amount == placed_order.pricing.total_amount
    assert list(OrderAdjustment.objects.values_list("amount", flat=True)) == before
