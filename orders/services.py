"""Writes on carts and orders. Every change that can move a contact between segments
re-evaluates that contact after commit, so the next page view reflects it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Contact
from b2bshop.exceptions import ApplicationError, ErrorDetail
from catalog.models import Product
from catalog.pricing import resolved_prices
from orders.models import Cart, CartLine
from segments.windows import local_today


class CartQuantityError(ApplicationError):
    pass


def contacts_reevaluate_on_commit(contact_ids: list[int]) -> None:
    from segments.tasks import contacts_reevaluate_task

    transaction.on_commit(partial(contacts_reevaluate_task.delay, contact_ids=sorted(set(contact_ids))))


def cart_open_get_or_create(*, contact: Contact) -> Cart:
    """The contact's open cart (at most one: a unique constraint guards races)."""
    cart = Cart.objects.filter(contact=contact, status=Cart.Status.OPEN).first()
    if cart is not None:
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.create(contact=contact)
    except IntegrityError:  # created meanwhile by a parallel request
        return Cart.objects.get(contact=contact, status=Cart.Status.OPEN)


@dataclass(frozen=True)
class CartLineChange:
    line: CartLine | None
    quantity: int
    removed: bool


@transaction.atomic
def cart_line_set(
    *, contact: Contact, product: Product, quantity: int, now: datetime.datetime | None = None, add: bool = False
) -> CartLineChange:
    """Set (or with `add`, increase) the quantity of a product in the open cart; 0 removes the line.

    The line's unit price is the contact's resolved price at that moment.
    """
    now = now or timezone.now()
    cart = cart_open_get_or_create(contact=contact)
    line = CartLine.objects.select_for_update().filter(cart=cart, product=product).first()
    new_quantity = quantity + (line.quantity if (line and add) else 0)
    if new_quantity < 0:
        raise CartQuantityError("A quantity cannot be negative.", errors=[ErrorDetail(path="/quantity", message="must be 0 or more")])
    if new_quantity == 0:
        if line:
            line.delete()
        contacts_reevaluate_on_commit([contact.pk])
        return CartLineChange(line=None, quantity=0, removed=True)
    if new_quantity < product.min_order_quantity:
        raise CartQuantityError(
            f"{product.name} is sold from {product.min_order_quantity} {product.unit}.",
            errors=[ErrorDetail(path="/quantity", message=f"order at least {product.min_order_quantity}")],
        )
    price = resolved_prices(company=contact.company, product_ids=[product.pk], on=local_today(now))[product.pk]
    if line is None:
        line = CartLine.objects.create(cart=cart, product=product, quantity=new_quantity, unit_price=price, added_at=now)
    else:
        if new_quantity > line.quantity:
            line.added_at = now  # items were added: "last item added" moves
        line.quantity, line.unit_price = new_quantity, price
        line.save(update_fields=["quantity", "unit_price", "added_at", "updated_at"])
    Cart.objects.filter(pk=cart.pk).update(updated_at=now)
    contacts_reevaluate_on_commit([contact.pk])
    return CartLineChange(line=line, quantity=new_quantity, removed=False)


@transaction.atomic
def cart_clear(*, contact: Contact) -> None:
    CartLine.objects.filter(cart__contact=contact, cart__status=Cart.Status.OPEN).delete()
    contacts_reevaluate_on_commit([contact.pk])
