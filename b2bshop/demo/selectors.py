"""Reads for the demo commands: how much shop data the database holds."""

from dataclasses import dataclass

from accounts.models import Company, Contact
from catalog.models import Category, Price, Product
from orders.models import Cart, CartLine, Order, OrderLine


@dataclass(frozen=True)
class ShopDataCounts:
    categories: int
    products: int
    prices: int
    companies: int
    contacts: int
    contacts_never_logged_in: int
    orders: int
    order_lines: int
    open_carts: int
    cart_lines: int

    def as_rows(self) -> list[tuple[str, int]]:
        return [(name.replace("_", " "), value) for name, value in self.__dict__.items()]


def shop_data_counts() -> ShopDataCounts:
    """Row counts of the shop data that the demo and benchmark datasets fill."""
    return ShopDataCounts(
        categories=Category.objects.count(),
        products=Product.objects.count(),
        prices=Price.objects.count(),
        companies=Company.objects.count(),
        contacts=Contact.objects.count(),
        contacts_never_logged_in=Contact.objects.filter(last_login__isnull=True).count(),
        orders=Order.objects.count(),
        order_lines=OrderLine.objects.count(),
        open_carts=Cart.objects.filter(status=Cart.Status.OPEN).count(),
        cart_lines=CartLine.objects.filter(cart__status=Cart.Status.OPEN).count(),
    )
