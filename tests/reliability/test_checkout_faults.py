"""Checkout faults between cart and order: the cut-off passes, a price changes, a product is deactivated.

Each fault is pinned through the page (POST /checkout/ with the quote version the buyer saw)
and through the service (`order_place`): a clear message, the cart exactly as it was, no order.
"""

import datetime
import re
from decimal import Decimal
from unittest import mock

import pytest

from catalog.models import Price, Product
from orders.delivery_calendar import DeliveryMomentClosedError
from orders.models import Cart, Order
from orders.offers.services import QuoteChangedError
from orders.services import CartLinesNotOrderableError, order_place
from tests.shop.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls"), pytest.mark.usefixtures("_no_reevaluation")]

AFTER_CUT_OFF = NOW.replace(hour=14, minute=0, second=1)  # today's departure closed at 14:00


@pytest.fixture
def _no_reevaluation():
    with mock.patch("segments.tasks.contacts_reevaluate_task.delay"):
        yield


def _cut_off_passes(shop_data):
    return mock.patch("catalog.shop_views.timezone.now", return_value=AFTER_CUT_OFF)


def _price_changes(shop_data):
    Price.objects.filter(product=shop_data["rose"], company=shop_data["company_a"]).update(price=Decimal("9.00"))
    return mock.patch("catalog.shop_views.timezone.now", return_value=NOW)


def _product_deactivated(shop_data):
    Product.objects.filter(pk=shop_data["tulip"].pk).update(is_active=False)
    return mock.patch("catalog.shop_views.timezone.now", return_value=NOW)


FAULTS = {
    # fault: (make it happen, page status, the page's message, the service's error, its message)
    "cut-off passed": (
        _cut_off_passes, 409,
        "Delivery on Fri 27 Nov can no longer be ordered. The next delivery is Sat 28 Nov.",
        DeliveryMomentClosedError, "Delivery on Fri 27 Nov can no longer be ordered",
    ),
    "price changed": (
        _price_changes, 409,
        "Your order total changed to EUR 51.00",  # 5 x 9.00 + 2 x 3.00, was 5 x 8.40 + 2 x 3.00 = 48.00
        QuoteChangedError, "Your order total changed to EUR 51.00",
    ),
    "product deactivated": (
        _product_deactivated, 400,
        "TULIP-YEL: No longer available",
        CartLinesNotOrderableError, "Some lines cannot be ordered for this delivery moment.",
    ),
}


@pytest.fixture
def cart_at_checkout(client, shop_data, shop_now):
    """Buyer A has 5 roses (8.40) and 2 tulips (3.00) for Friday 27 Nov and sees the checkout page."""
    client.force_login(shop_data["buyer_a"])
    for product, quantity in ((shop_data["rose"], 5), (shop_data["tulip"], 2)):
        assert client.post("/cart/lines/", {"product": product.pk, "quantity": quantity}).status_code == 302
    html = client.get("/checkout/").content.decode()
    assert 'data-testid="cart-total">€ 48.00<' in html
    version = re.search(r'name="confirmed_version" value="([0-9a-f]{16})"', html).group(1)
    return client, version


def _cart_state(contact) -> tuple:
    cart = Cart.objects.get(contact=contact)
    lines = [(line.product.sku, line.quantity, line.unit_price) for line in cart.lines.order_by("pk")]
    return cart.status, cart.departure_date, cart.delivery_date, lines


CART = (
    "open", datetime.date(2026, 11, 26), datetime.date(2026, 11, 27),
    [("ROSE-RED", 5, Decimal("8.40")), ("TULIP-YEL", 2, Decimal("3.00"))],
)


@pytest.mark.parametrize("fault", FAULTS)
def test_the_checkout_page_refuses_with_a_clear_message_keeps_the_cart_and_places_nothing(
    fault, cart_at_checkout, shop_data
):
    client, version = cart_at_checkout
    happen, status, message, _error, _service_message = FAULTS[fault]
    assert _cart_state(shop_data["buyer_a"]) == CART

    with happen(shop_data):
        response = client.post("/checkout/", {"confirmed_version": version})

    assert response.status_code == status
    html = response.content.decode()
    assert message in html
    assert "Your order was not placed" in html
    assert not Order.objects.exists()
    assert _cart_state(shop_data["buyer_a"]) == CART


@pytest.mark.parametrize("fault", FAULTS)
def test_order_place_refuses_keeps_the_cart_and_places_nothing(fault, cart_at_checkout, shop_data):
    _client, version = cart_at_checkout
    happen, _status, _message, error, service_message = FAULTS[fault]
    now = AFTER_CUT_OFF if fault == "cut-off passed" else NOW

    with happen(shop_data), pytest.raises(error) as raised:
        order_place(contact=shop_data["buyer_a"], now=now, confirmed_version=version)

    assert service_message in raised.value.message
    if fault == "product deactivated":
        assert [detail.message for detail in raised.value.errors] == ["TULIP-YEL: No longer available"]
    assert not Order.objects.exists()
    assert _cart_state(shop_data["buyer_a"]) == CART


def test_after_the_fault_the_buyer_can_still_order_what_is_valid(cart_at_checkout, shop_data):
    """The refused checkout shows the new total; confirming it places the order at the new price."""
    client, version = cart_at_checkout
    with _price_changes(shop_data):
        html = client.post("/checkout/", {"confirmed_version": version}).content.decode()
        new_version = re.search(r'name="confirmed_version" value="([0-9a-f]{16})"', html).group(1)
        response = client.post("/checkout/", {"confirmed_version": new_version})

    order = Order.objects.get()
    assert response.status_code == 302 and order.total_amount == Decimal("51.00")
    assert Cart.objects.get(contact=shop_data["buyer_a"]).status == Cart.Status.ORDERED
