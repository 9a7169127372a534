import datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from orders.delivery_calendar import DeliveryMoment, DeliveryMomentClosedError
from orders.models import Cart, CartLine, Order
from orders.services import (
    CartEmptyError,
    CartLinesNotOrderableError,
    OrderNotFoundError,
    cart_line_set,
    cart_moment_set,
    order_place,
    order_reorder,
)
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import PriceFactory, ProductFactory
from tests.orders.factories import OrderFactory, OrderLineFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Thursday 26 Nov 2026, before the 14:00 cut-off: the generic next moment departs today, delivers Friday.
NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=AMSTERDAM)
TODAY_MOMENT = DeliveryMoment(departure_date=datetime.date(2026, 11, 26), delivery_date=datetime.date(2026, 11, 27))
MONDAY_MOMENT = DeliveryMoment(departure_date=datetime.date(2026, 11, 30), delivery_date=datetime.date(2026, 12, 1))


@pytest.fixture
def reevaluate():
    with mock.patch("segments.tasks.contacts_reevaluate_task.delay") as delay:
        yield delay


def _cart_with(contact, *products, quantity=2, moment=TODAY_MOMENT):
    for product in products:
        cart_line_set(contact=contact, product=product, quantity=quantity, now=NOW)
    cart_moment_set(contact=contact, moment=moment, now=NOW)
    return Cart.objects.get(contact=contact, status=Cart.Status.OPEN)


@pytest.mark.django_db
class CartMomentSetTests:
    def test_stores_the_moment_on_the_cart(self):
        contact = ContactFactory()
        change = cart_moment_set(contact=contact, moment=MONDAY_MOMENT, now=NOW)
        cart = Cart.objects.get(pk=change.cart.pk)
        assert (cart.departure_date, cart.delivery_date) == (MONDAY_MOMENT.departure_date, MONDAY_MOMENT.delivery_date)

    def test_lines_that_no_longer_fit_are_kept_and_marked(self):
        contact = ContactFactory()
        fits, ends = ProductFactory(), ProductFactory(available_until=datetime.date(2026, 11, 28))
        _cart_with(contact, fits, ends)

        change = cart_moment_set(contact=contact, moment=MONDAY_MOMENT, now=NOW)

        assert CartLine.objects.count() == 2
        assert [check.line.product for check in change.unavailable] == [ends]
        assert change.unavailable[0].availability.reason == "No longer available after Sat 28 Nov"

    def test_a_moment_the_company_cannot_choose_is_refused(self):
        contact = ContactFactory(company=CompanyFactory(departure_weekdays="mon"))
        with pytest.raises(DeliveryMomentClosedError) as raised:
            cart_moment_set(contact=contact, moment=TODAY_MOMENT, now=NOW)
        assert raised.value.next_moment == MONDAY_MOMENT


@pytest.mark.django_db
class OrderPlaceTests:
    def test_places_an_open_web_order_with_dates_lines_and_total(self, reevaluate, django_capture_on_commit_callbacks):
        company = CompanyFactory()
        contact, colleague = ContactFactory(company=company), ContactFactory(company=company)
        rose, tulip = ProductFactory(list_price=Decimal("10.00")), ProductFactory(list_price=Decimal("2.50"))
        cart_line_set(contact=contact, product=rose, quantity=3, now=NOW)
        cart_line_set(contact=contact, product=tulip, quantity=4, now=NOW)
        cart_moment_set(contact=contact, moment=TODAY_MOMENT, now=NOW)

        with django_capture_on_commit_callbacks(execute=True):
            order = order_place(contact=contact, now=NOW)

        order.refresh_from_db()
        assert (order.channel, order.status, order.company, order.contact) == ("web", "open", company, contact)
        assert (order.departure_date, order.delivery_date) == (TODAY_MOMENT.departure_date, TODAY_MOMENT.delivery_date)
        assert order.total_amount == Decimal("40.00")
        assert [(line.line_no, line.product, line.quantity) for line in order.lines.all()] == [
            (1, rose, 3),
            (2, tulip, 4),
        ]
        assert order.order_number.startswith("WEB")
        assert Cart.objects.get(contact=contact, status=Cart.Status.ORDERED)
        reevaluate.assert_called_with(contact_ids=sorted([contact.pk, colleague.pk]))

    def test_cut_off_passing_between_cart_and_order_places_nothing_and_keeps_the_cart(self):
        contact = ContactFactory()
        cart = _cart_with(contact, ProductFactory(), ProductFactory())
        after_cut_off = datetime.datetime(2026, 11, 26, 14, 0, tzinfo=AMSTERDAM)

        with pytest.raises(DeliveryMomentClosedError, match="can no longer be ordered") as raised:
            order_place(contact=contact, now=after_cut_off)

        assert raised.value.next_moment == DeliveryMoment(
            departure_date=datetime.date(2026, 11, 27), delivery_date=datetime.date(2026, 11, 28)
        )
        assert not Order.objects.exists()
        cart.refresh_from_db()
        assert (cart.status, cart.departure_date, cart.lines.count()) == ("open", TODAY_MOMENT.departure_date, 2)

    def test_prices_are_resolved_again_at_placement(self):
        contact = ContactFactory()
        product = ProductFactory(list_price=Decimal("10.00"))
        _cart_with(contact, product, quantity=2)
        PriceFactory(product=product, company=contact.company, price=Decimal("7.00"))

        order = order_place(contact=contact, now=NOW)

        assert order.lines.get().unit_price == Decimal("7.00")
        assert order.total_amount == Decimal("14.00")

    def test_a_deactivated_product_blocks_the_order_and_is_named(self):
        contact = ContactFactory()
        product = ProductFactory(sku="ROSE-1")
        _cart_with(contact, product, ProductFactory())
        product.is_active = False
        product.save()

        with pytest.raises(CartLinesNotOrderableError) as raised:
            order_place(contact=contact, now=NOW)

        assert [error.message for error in raised.value.errors] == ["ROSE-1: No longer available"]
        assert not Order.objects.exists()
        assert CartLine.objects.count() == 2

    def test_a_raised_minimum_quantity_blocks_the_order(self):
        contact = ContactFactory()
        product = ProductFactory(sku="TULIP-1")
        _cart_with(contact, product, quantity=2)
        product.min_order_quantity = 10
        product.save()
        with pytest.raises(CartLinesNotOrderableError) as raised:
            order_place(contact=contact, now=NOW)
        assert raised.value.errors[0].path == "/lines/0/quantity"

    def test_an_empty_cart_is_refused(self):
        contact = ContactFactory()
        cart_moment_set(contact=contact, moment=TODAY_MOMENT, now=NOW)
        with pytest.raises(CartEmptyError, match="Your cart is empty"):
            order_place(contact=contact, now=NOW)


@pytest.mark.django_db
class OrderReorderTests:
    def test_adds_the_order_lines_to_the_cart(self):
        contact = ContactFactory()
        order = OrderFactory(company=contact.company)
        rose = OrderLineFactory(order=order, quantity=5).product
        tulip = OrderLineFactory(order=order, quantity=1, product=ProductFactory(min_order_quantity=3)).product

        result = order_reorder(contact=contact, order=order, now=NOW)

        assert set(result.added) == {rose, tulip}
        lines = {line.product: line.quantity for line in CartLine.objects.all()}
        assert lines == {rose: 5, tulip: 3}
        cart = Cart.objects.get(contact=contact)
        assert cart.delivery_date == TODAY_MOMENT.delivery_date  # the next moment, set on the empty cart

    def test_unavailable_products_are_skipped_with_the_reason(self):
        contact = ContactFactory()
        order = OrderFactory(company=contact.company)
        OrderLineFactory(order=order, product=ProductFactory(is_active=False, name="Old rose"))
        kept = OrderLineFactory(order=order).product

        result = order_reorder(contact=contact, order=order, now=NOW)

        assert result.added == (kept,)
        assert [(product.name, reason) for product, reason in result.skipped] == [("Old rose", "No longer available")]
        assert CartLine.objects.get().product == kept

    def test_another_companys_order_is_not_found(self):
        contact = ContactFactory()
        order = OrderLineFactory().order
        with pytest.raises(OrderNotFoundError) as raised:
            order_reorder(contact=contact, order=order, now=NOW)
        assert raised.value.status_code == 404
        assert not CartLine.objects.exists()
