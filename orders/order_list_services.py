"""Writes on order lists (favourites): create, rename, delete, set items, save the cart, add a list to the cart.

A list belongs to the contact's company; every contact of the company may use and change it
(docs/self-service.md). Another company's list is an `OrderListNotFoundError` (404).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Company, Contact
from b2bshop.exceptions import ApplicationError, ErrorDetail
from catalog.models import Product
from orders.delivery_calendar import (
    DeliveryMoment,
    ShopCalendarRules,
    delivery_moments,
)
from orders.models import Cart, CartLine, OrderList, OrderListItem
from orders.selectors import company_delivery_profile, shop_calendar_rules
from orders.services import (
    cart_moment,
    cart_moment_set,
    cart_open_get_or_create,
    cart_products_add,
)
from personalization.selectors import invisible_product_ids

ORDER_LIST_NAME_MAX_LENGTH = 80
ORDER_LIST_MAX_LISTS = 100  # per company
ORDER_LIST_MAX_ITEMS = 500  # per list


class OrderListNotFoundError(ApplicationError):
    """The list does not exist for the contact's company (another company's list looks the same)."""

    status_code = 404


class OrderListProductNotFoundError(ApplicationError):
    """The product does not exist for this contact (inactive, or hidden from them by a segment restriction)."""

    status_code = 404


class OrderListNameError(ApplicationError):
    pass


class OrderListDefaultError(ApplicationError):
    """The Favourites list cannot be renamed or deleted."""


class OrderListLimitError(ApplicationError):
    pass


class OrderListQuantityError(ApplicationError):
    pass


@dataclass(frozen=True)
class OrderListCartResult:
    """What "add to cart" did: the products added, and the ones skipped with the buyer-facing reason."""

    moment: DeliveryMoment
    added: tuple[tuple[Product, int], ...]  # product and the quantity added
    skipped: tuple[tuple[Product, str], ...]


def _check_company(*, contact: Contact, order_list: OrderList) -> None:
    if contact.company_id is None or order_list.company_id != contact.company_id:
        raise OrderListNotFoundError("Order list not found.")


def _name_clean(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise OrderListNameError("Give the list a name.", errors=[ErrorDetail(path="/name", message="required")])
    if len(cleaned) > ORDER_LIST_NAME_MAX_LENGTH:
        raise OrderListNameError(
            f"A list name has at most {ORDER_LIST_NAME_MAX_LENGTH} characters.",
            errors=[ErrorDetail(path="/name", message=f"at most {ORDER_LIST_NAME_MAX_LENGTH} characters")],
        )
    return cleaned


def _name_taken(*, company_id: int, name: str, exclude_pk: int | None = None) -> bool:
    lists = OrderList.objects.filter(company_id=company_id, name__iexact=name)
    if exclude_pk is not None:
        lists = lists.exclude(pk=exclude_pk)
    return lists.exists()


def _name_taken_error(name: str) -> OrderListNameError:
    return OrderListNameError(
        f"Your company already has a list called “{name}”.",
        errors=[ErrorDetail(path="/name", message="already used")],
    )


def order_list_default_ensure(*, company: Company, contact: Contact | None = None) -> OrderList:
    """The company's Favourites list, created on first use (a unique constraint guards races)."""
    order_list = OrderList.objects.filter(company=company, is_default=True).first()
    if order_list is not None:
        return order_list
    try:
        with transaction.atomic():
            return OrderList.objects.create(
                company=company, name=OrderList.DEFAULT_NAME, is_default=True, created_by=contact
            )
    except IntegrityError:  # created meanwhile, or a custom list already took the name
        existing = OrderList.objects.filter(company=company, is_default=True).first()
        if existing is not None:
            return existing
        # A list named "Favourites" exists but is not the default: it becomes the default.
        OrderList.objects.filter(company=company, name__iexact=OrderList.DEFAULT_NAME).update(is_default=True)
        return OrderList.objects.get(company=company, is_default=True)


@transaction.atomic
def order_list_create(*, contact: Contact, name: str) -> OrderList:
    """A new list of the contact's company; names are unique per company, case-insensitively."""
    name = _name_clean(name)
    company = Company.objects.select_for_update().get(pk=contact.company_id)  # serialises the limit check
    if OrderList.objects.filter(company=company).count() >= ORDER_LIST_MAX_LISTS:
        raise OrderListLimitError(f"Your company can keep at most {ORDER_LIST_MAX_LISTS} lists.")
    if name.casefold() == OrderList.DEFAULT_NAME.casefold():
        return order_list_default_ensure(company=company, contact=contact)
    if _name_taken(company_id=company.pk, name=name):
        raise _name_taken_error(name)
    return OrderList.objects.create(company=company, name=name, created_by=contact)


@transaction.atomic
def order_list_rename(*, contact: Contact, order_list: OrderList, name: str) -> OrderList:
    _check_company(contact=contact, order_list=order_list)
    if order_list.is_default:
        raise OrderListDefaultError(f"The {OrderList.DEFAULT_NAME} list cannot be renamed.")
    name = _name_clean(name)
    if name.casefold() == OrderList.DEFAULT_NAME.casefold() or _name_taken(
        company_id=order_list.company_id, name=name, exclude_pk=order_list.pk
    ):
        raise _name_taken_error(name)
    order_list.name = name
    order_list.save(update_fields=["name", "updated_at"])
    return order_list


@transaction.atomic
def order_list_delete(*, contact: Contact, order_list: OrderList) -> None:
    _check_company(contact=contact, order_list=order_list)
    if order_list.is_default:
        raise OrderListDefaultError(f"The {OrderList.DEFAULT_NAME} list cannot be deleted; remove its items instead.")
    order_list.delete()


def _check_product(
    *, product: Product, segment_ids: frozenset[int], is_authenticated: bool
) -> None:
    hidden = invisible_product_ids(product_ids=[product.pk], segment_ids=segment_ids, is_authenticated=is_authenticated)
    if not product.is_active or hidden:
        raise OrderListProductNotFoundError("Product not found.")


def _check_quantity(*, product: Product, quantity: int) -> None:
    if quantity < 0:
        raise OrderListQuantityError(
            "A quantity cannot be negative.", errors=[ErrorDetail(path="/quantity", message="must be 0 or more")]
        )
    if 0 < quantity < product.min_order_quantity:
        raise OrderListQuantityError(
            f"{product.name} is sold from {product.min_order_quantity} {product.unit}.",
            errors=[ErrorDetail(path="/quantity", message=f"order at least {product.min_order_quantity}")],
        )


def _item_write(
    *, order_list: OrderList, product: Product, quantity: int, now: datetime.datetime
) -> OrderListItem:
    """Create or update the item; the per-list limit is checked only for new items."""
    item = OrderListItem.objects.select_for_update().filter(order_list=order_list, product=product).first()
    if item is not None:
        if item.quantity != quantity:
            item.quantity = quantity
            item.save(update_fields=["quantity"])
        return item
    if OrderListItem.objects.filter(order_list=order_list).count() >= ORDER_LIST_MAX_ITEMS:
        raise OrderListLimitError(f"A list holds at most {ORDER_LIST_MAX_ITEMS} products.")
    return OrderListItem.objects.create(order_list=order_list, product=product, quantity=quantity, added_at=now)


def _touch(order_list: OrderList, now: datetime.datetime) -> None:
    OrderList.objects.filter(pk=order_list.pk).update(updated_at=now)


@transaction.atomic
def order_list_item_set(
    *,
    contact: Contact,
    order_list: OrderList,
    product: Product,
    quantity: int,
    segment_ids: frozenset[int],
    is_authenticated: bool = True,
    now: datetime.datetime | None = None,
) -> OrderListItem | None:
    """Set the default quantity of a product on the list; 0 removes it (None is returned then).

    Adding or changing needs a product the contact may see and at least its minimum quantity;
    removing works for any item of the list.
    """
    now = now or timezone.now()
    _check_company(contact=contact, order_list=order_list)
    _check_quantity(product=product, quantity=quantity)
    if quantity == 0:
        OrderListItem.objects.filter(order_list=order_list, product=product).delete()
        _touch(order_list, now)
        return None
    _check_product(product=product, segment_ids=segment_ids, is_authenticated=is_authenticated)
    item = _item_write(order_list=order_list, product=product, quantity=quantity, now=now)
    _touch(order_list, now)
    return item


@transaction.atomic
def order_list_item_add(
    *,
    contact: Contact,
    order_list: OrderList,
    product: Product,
    segment_ids: frozenset[int],
    quantity: int | None = None,
    is_authenticated: bool = True,
    now: datetime.datetime | None = None,
) -> OrderListItem:
    """Put a product on the list (from a product page, a card or the cart).

    Without `quantity` a new item gets the product's minimum and an existing one keeps its quantity.
    """
    now = now or timezone.now()
    _check_company(contact=contact, order_list=order_list)
    _check_product(product=product, segment_ids=segment_ids, is_authenticated=is_authenticated)
    if quantity is None:
        existing = OrderListItem.objects.filter(order_list=order_list, product=product).first()
        if existing is not None:
            return existing
        quantity = product.min_order_quantity
    if quantity <= 0:
        raise OrderListQuantityError(
            "A quantity must be 1 or more.", errors=[ErrorDetail(path="/quantity", message="must be 1 or more")]
        )
    _check_quantity(product=product, quantity=quantity)
    item = _item_write(order_list=order_list, product=product, quantity=quantity, now=now)
    _touch(order_list, now)
    return item


@transaction.atomic
def order_list_cart_save(
    *,
    contact: Contact,
    order_list: OrderList,
    segment_ids: frozenset[int],
    is_authenticated: bool = True,
    now: datetime.datetime | None = None,
) -> int:
    """Put every line of the contact's open cart on the list with the cart quantity; returns how many.

    Lines of products the contact can no longer see or that are inactive are left out.
    """
    now = now or timezone.now()
    _check_company(contact=contact, order_list=order_list)
    lines = list(
        CartLine.objects.filter(cart__contact=contact, cart__status=Cart.Status.OPEN)
        .select_related("product")
        .order_by("pk")
    )
    hidden = invisible_product_ids(
        product_ids=[line.product_id for line in lines], segment_ids=segment_ids, is_authenticated=is_authenticated
    )
    saved = 0
    for line in lines:
        if line.product_id in hidden or not line.product.is_active:
            continue
        _item_write(order_list=order_list, product=line.product, quantity=line.quantity, now=now)
        saved += 1
    _touch(order_list, now)
    return saved


@transaction.atomic
def order_list_cart_add(
    *,
    contact: Contact,
    order_list: OrderList,
    moment: DeliveryMoment,
    now: datetime.datetime,
    segment_ids: frozenset[int],
    is_authenticated: bool = True,
    calendar: ShopCalendarRules | None = None,
    language: str = "en",
) -> OrderListCartResult:
    """Add the list's products that can be ordered for `moment` to the open cart; report the rest.

    The cart takes `moment` (it must still be choosable: DeliveryMomentClosedError otherwise).
    Each orderable product is added with the list's quantity, raised to its minimum;
    quantities already in the cart add up. Products the contact may not see are not part
    of the list for them and are neither added nor reported.
    """
    _check_company(contact=contact, order_list=order_list)
    calendar = calendar or shop_calendar_rules()
    cart = cart_open_get_or_create(contact=contact)
    if cart_moment(cart) != moment:
        cart_moment_set(contact=contact, moment=moment, now=now, calendar=calendar, language=language)
    items = list(OrderListItem.objects.filter(order_list=order_list).select_related("product").order_by("product__name", "pk"))
    hidden = invisible_product_ids(
        product_ids=[item.product_id for item in items], segment_ids=segment_ids, is_authenticated=is_authenticated
    )
    moments = delivery_moments(calendar=calendar, profile=company_delivery_profile(contact.company), now=now)
    outcome = cart_products_add(
        contact=contact,
        wanted=[(item.product, item.quantity) for item in items if item.product_id not in hidden],
        moment=moment, moments=moments, calendar=calendar, now=now, language=language,
    )
    return OrderListCartResult(moment=moment, added=outcome.added, skipped=outcome.skipped)
