import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orders.models import Cart, CartLine
from orders.services import CartQuantityError, cart_line_set, cart_open_get_or_create
from segments.models import SegmentMembership
from segments.services import segment_save
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import PriceFactory, ProductFactory

NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.mark.django_db
class CartLineSetTests:
    def test_adding_uses_the_contacts_resolved_price(self):
        contact = ContactFactory(company=CompanyFactory(price_group="florists"))
        product = ProductFactory(list_price=Decimal("10.00"))
        PriceFactory(product=product, price_group="florists", price=Decimal("7.25"))

        change = cart_line_set(contact=contact, product=product, quantity=3, now=NOW)

        assert (change.line.quantity, change.line.unit_price, change.line.added_at) == (3, Decimal("7.25"), NOW)

    def test_add_increases_and_moves_added_at(self):
        contact, product = ContactFactory(), ProductFactory()
        cart_line_set(contact=contact, product=product, quantity=2, now=NOW)
        later = NOW + datetime.timedelta(hours=1)
        change = cart_line_set(contact=contact, product=product, quantity=3, add=True, now=later)
        assert change.quantity == 5
        assert CartLine.objects.get().added_at == later

    def test_zero_removes_the_line(self):
        contact, product = ContactFactory(), ProductFactory()
        cart_line_set(contact=contact, product=product, quantity=2, now=NOW)
        assert cart_line_set(contact=contact, product=product, quantity=0, now=NOW).removed is True
        assert not CartLine.objects.exists()

    def test_below_the_minimum_order_quantity_is_refused_and_nothing_changes(self):
        contact, product = ContactFactory(), ProductFactory(min_order_quantity=10, name="Tulips")
        with pytest.raises(CartQuantityError, match="Tulips is sold from 10"):
            cart_line_set(contact=contact, product=product, quantity=5, now=NOW)
        assert not CartLine.objects.exists()

    def test_negative_quantity_is_refused(self):
        with pytest.raises(CartQuantityError):
            cart_line_set(contact=ContactFactory(), product=ProductFactory(), quantity=-1, now=NOW)

    def test_one_open_cart_per_contact(self):
        contact = ContactFactory()
        assert cart_open_get_or_create(contact=contact).pk == cart_open_get_or_create(contact=contact).pk
        assert Cart.objects.count() == 1

    def test_a_cart_change_re_evaluates_the_contacts_segments(self, django_capture_on_commit_callbacks):
        contact = ContactFactory()
        segment = segment_save(name="Carts", rule={"field": "cart.quantity", "op": "gt", "value": 15}, refresh=False)
        with django_capture_on_commit_callbacks(execute=True):
            cart_line_set(contact=contact, product=ProductFactory(), quantity=20, now=NOW)
        assert SegmentMembership.objects.filter(segment=segment, contact=contact).exists()
