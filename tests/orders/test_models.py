from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.models import Cart
from tests.accounts.factories import ContactFactory
from tests.orders.factories import CartFactory, CartLineFactory, OrderFactory, OrderLineFactory


@pytest.mark.django_db
class CartConstraintTests:
    def test_a_contact_has_at_most_one_open_cart(self):
        contact = ContactFactory()
        CartFactory(contact=contact)
        with pytest.raises(IntegrityError), transaction.atomic():
            CartFactory(contact=contact)

    def test_closed_carts_do_not_count_against_the_open_cart(self):
        contact = ContactFactory()
        CartFactory(contact=contact, status=Cart.Status.ORDERED)
        CartFactory(contact=contact, status=Cart.Status.ORDERED)
        CartFactory(contact=contact)
        assert contact.carts.count() == 3

    def test_cart_line_quantity_must_be_positive(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            CartLineFactory(quantity=0)

    def test_one_line_per_product_in_a_cart(self):
        line = CartLineFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            CartLineFactory(cart=line.cart, product=line.product)


@pytest.mark.django_db
class OrderConstraintTests:
    def test_order_numbers_are_unique(self):
        OrderFactory(order_number="SO1")
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderFactory(order_number="SO1")

    def test_line_numbers_are_unique_within_an_order(self):
        line = OrderLineFactory(line_no=1)
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderLineFactory(order=line.order, line_no=1)

    def test_negative_unit_price_is_refused(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderLineFactory(unit_price=Decimal("-1.00"))
