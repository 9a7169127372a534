from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from orders.models import Cart, CartLine, Order, OrderLine
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import ProductFactory


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = Order

    order_number = factory.Sequence(lambda n: f"SO{n + 1:07d}")
    company = factory.SubFactory(CompanyFactory)
    ordered_at = factory.LazyFunction(timezone.now)
    channel = Order.Channel.WEB
    status = Order.Status.SHIPPED


class OrderLineFactory(DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = Decimal("10.00")


class CartFactory(DjangoModelFactory):
    class Meta:
        model = Cart

    contact = factory.SubFactory(ContactFactory)


class CartLineFactory(DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = Decimal("10.00")
    added_at = factory.LazyFunction(timezone.now)
