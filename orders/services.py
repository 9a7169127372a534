"""Writes on carts and orders. Every change that can move a contact between segments
re-evaluates that contact after commit, so the next page view reflects it."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Contact
from b2bshop.exceptions import ApplicationError, ErrorDetail
from catalog.models import Product
from catalog.pricing import resolved_prices
from orders.delivery_calendar import (
    Availability,
    CompanyDeliveryProfile,
    DeliveryMoment,
    ShopCalendarRules,
    delivery_moment_check,
    delivery_moments,
    product_availability,
)
from orders.delivery_calendar import local_today as delivery_local_today
from orders.models import Cart, CartLine, Order, OrderLine
from orders.selectors import company_delivery_profile, shop_calendar_rules
from segments.services import contacts_reevaluate_enqueue
from segments.windows import local_today


class CartQuantityError(ApplicationError):
    pass


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
        raise CartQuantityError(
            "A quantity cannot be negative.", errors=[ErrorDetail(path="/quantity", message="must be 0 or more")]
        )
    if new_quantity == 0:
        if line:
            line.delete()
        contacts_reevaluate_enqueue(contact_ids=[contact.pk])
        return CartLineChange(line=None, quantity=0, removed=True)
    if new_quantity < product.min_order_quantity:
        raise CartQuantityError(
            f"{product.name} is sold from {product.min_order_quantity} {product.unit}.",
            errors=[ErrorDetail(path="/quantity", message=f"order at least {product.min_order_quantity}")],
        )
    price = resolved_prices(company=contact.company, product_ids=[product.pk], on=local_today(now))[product.pk]
    if line is None:
        line = CartLine.objects.create(
            cart=cart, product=product, quantity=new_quantity, unit_price=price, added_at=now
        )
    else:
        if new_quantity > line.quantity:
            line.added_at = now  # items were added: "last item added" moves
        line.quantity, line.unit_price = new_quantity, price
        line.save(update_fields=["quantity", "unit_price", "added_at", "updated_at"])
    Cart.objects.filter(pk=cart.pk).update(updated_at=now)
    contacts_reevaluate_enqueue(contact_ids=[contact.pk])
    return CartLineChange(line=line, quantity=new_quantity, removed=False)


@transaction.atomic
def cart_clear(*, contact: Contact) -> None:
    CartLine.objects.filter(cart__contact=contact, cart__status=Cart.Status.OPEN).delete()
    contacts_reevaluate_enqueue(contact_ids=[contact.pk])


# --- Delivery moment, checkout and reorder (spec/delivery.md "Cart and checkout") ---------------------------


class CartEmptyError(ApplicationError):
    pass


class CartMomentMissingError(ApplicationError):
    pass


class CartLinesNotOrderableError(ApplicationError):
    """One or more lines do not fit the moment or their minimum quantity; `errors` names each line."""


class OrderNotFoundError(ApplicationError):
    """The order does not exist for the contact's company (another company's order looks the same)."""

    status_code = 404


@dataclass(frozen=True)
class CartLineCheck:
    """A cart line checked against the cart's moment: kept in the cart either way, marked when not orderable."""

    line: CartLine
    availability: Availability
    quantity_ok: bool

    @property
    def orderable(self) -> bool:
        return self.availability.orderable and self.quantity_ok

    @property
    def subtotal(self) -> Decimal:
        return self.line.unit_price * self.line.quantity


@dataclass(frozen=True)
class CartMomentChange:
    cart: Cart
    moment: DeliveryMoment
    checks: tuple[CartLineCheck, ...]

    @property
    def unavailable(self) -> tuple[CartLineCheck, ...]:
        return tuple(check for check in self.checks if not check.orderable)


@dataclass(frozen=True)
class ReorderResult:
    added: tuple[Product, ...]
    skipped: tuple[tuple[Product, str], ...]  # product and the buyer-facing reason


def _contact_profile(contact: Contact) -> CompanyDeliveryProfile:
    return company_delivery_profile(contact.company)


def cart_line_checks(
    *,
    cart: Cart,
    moment: DeliveryMoment,
    calendar: ShopCalendarRules,
    profile: CompanyDeliveryProfile,
    now: datetime.datetime,
    language: str = "en",
) -> tuple[CartLineCheck, ...]:
    """Every line of the cart checked against `moment` (one query for the lines and their products)."""
    moments = delivery_moments(calendar=calendar, profile=profile, now=now)
    today = delivery_local_today(now)
    checks = []
    for line in cart.lines.select_related("product").order_by("pk"):
        availability = product_availability(
            product_fields=line.product,
            moment=moment,
            calendar=calendar,
            today=today,
            now=now,
            moments=moments,
            language=language,
        )
        checks.append(
            CartLineCheck(
                line=line, availability=availability, quantity_ok=line.quantity >= line.product.min_order_quantity
            )
        )
    return tuple(checks)


@transaction.atomic
def cart_moment_set(
    *,
    contact: Contact,
    moment: DeliveryMoment,
    now: datetime.datetime,
    calendar: ShopCalendarRules | None = None,
    language: str = "en",
) -> CartMomentChange:
    """Store the chosen moment on the open cart and re-check its lines.

    The moment must be one the company can still choose (DeliveryMomentClosedError with the
    next one otherwise). Lines that no longer fit are kept and reported, never removed.
    """
    calendar = calendar or shop_calendar_rules()
    profile = _contact_profile(contact)
    delivery_moment_check(moment=moment, calendar=calendar, profile=profile, now=now, language=language)
    cart = cart_open_get_or_create(contact=contact)
    cart.departure_date, cart.delivery_date = moment.departure_date, moment.delivery_date
    cart.save(update_fields=["departure_date", "delivery_date", "updated_at"])
    checks = cart_line_checks(cart=cart, moment=moment, calendar=calendar, profile=profile, now=now, language=language)
    return CartMomentChange(cart=cart, moment=moment, checks=checks)


def cart_moment(cart: Cart) -> DeliveryMoment | None:
    if cart.departure_date is None or cart.delivery_date is None:
        return None
    return DeliveryMoment(departure_date=cart.departure_date, delivery_date=cart.delivery_date)


def _order_number_temporary() -> str:
    return f"WEB-TMP-{uuid.uuid4().hex}"


def order_place(
    *,
    contact: Contact,
    now: datetime.datetime,
    calendar: ShopCalendarRules | None = None,
    language: str = "en",
) -> Order:
    """Turn the contact's open cart into an order (channel web, status open), re-validating everything.

    Checked on the server at `now`, in this order: the cart has lines; it has a moment; the
    moment can still be chosen (DeliveryMomentClosedError carrying the next moment); every
    line is orderable for the moment and meets its minimum quantity
    (CartLinesNotOrderableError naming the lines). Prices are resolved again for today.
    On any error nothing is written and the cart stays as it was.
    """
    calendar = calendar or shop_calendar_rules()
    profile = _contact_profile(contact)
    with transaction.atomic():
        cart = Cart.objects.select_for_update().filter(contact=contact, status=Cart.Status.OPEN).first()
        if cart is None or not cart.lines.exists():
            raise CartEmptyError("Your cart is empty.")
        moment = cart_moment(cart)
        if moment is None:
            raise CartMomentMissingError(
                "Choose a delivery moment first.", errors=[ErrorDetail(path="/delivery_date", message="required")]
            )
        delivery_moment_check(moment=moment, calendar=calendar, profile=profile, now=now, language=language)
        checks = cart_line_checks(
            cart=cart, moment=moment, calendar=calendar, profile=profile, now=now, language=language
        )
        errors = []
        for index, check in enumerate(checks):
            product = check.line.product
            if not check.availability.orderable:
                errors.append(
                    ErrorDetail(path=f"/lines/{index}", message=f"{product.sku}: {check.availability.reason}")
                )
            elif not check.quantity_ok:
                errors.append(
                    ErrorDetail(
                        path=f"/lines/{index}/quantity",
                        message=f"{product.sku}: order at least {product.min_order_quantity}",
                    )
                )
        if errors:
            raise CartLinesNotOrderableError("Some lines cannot be ordered for this delivery moment.", errors=errors)
        prices = resolved_prices(
            company=contact.company, product_ids=[c.line.product_id for c in checks], on=local_today(now)
        )
        order = Order.objects.create(
            order_number=_order_number_temporary(),
            company_id=contact.company_id,
            contact=contact,
            ordered_at=now,
            channel=Order.Channel.WEB,
            status=Order.Status.OPEN,
            departure_date=moment.departure_date,
            delivery_date=moment.delivery_date,
            total_amount=sum((prices[c.line.product_id] * c.line.quantity for c in checks), Decimal("0.00")),
        )
        order.order_number = f"WEB{order.pk:08d}"
        order.save(update_fields=["order_number"])
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                line_no=number,
                product_id=c.line.product_id,
                quantity=c.line.quantity,
                unit_price=prices[c.line.product_id],
            )
            for number, c in enumerate(checks, start=1)
        )
        cart.status = Cart.Status.ORDERED
        cart.save(update_fields=["status", "updated_at"])
        company_contact_ids = list(Contact.objects.filter(company_id=contact.company_id).values_list("pk", flat=True))
        contacts_reevaluate_enqueue(contact_ids=[contact.pk, *company_contact_ids])
    return order


def order_reorder(
    *,
    contact: Contact,
    order: Order,
    now: datetime.datetime,
    calendar: ShopCalendarRules | None = None,
    language: str = "en",
) -> ReorderResult:
    """Add an order's products to the open cart (quantities add up; at least the minimum quantity).

    Only the contact's company's orders (OrderNotFoundError, a 404, otherwise). Products that
    cannot be ordered for the cart's moment (the company's next moment when the cart has
    none) are skipped and reported with the reason; the rest are added.
    """
    if order.company_id != contact.company_id:
        raise OrderNotFoundError("Order not found.")
    calendar = calendar or shop_calendar_rules()
    profile = _contact_profile(contact)
    cart = cart_open_get_or_create(contact=contact)
    moment = cart_moment(cart)
    moments = delivery_moments(calendar=calendar, profile=profile, now=now)
    if moment is None and moments:
        moment = cart_moment_set(contact=contact, moment=moments[0], now=now, calendar=calendar).moment
    today = delivery_local_today(now)
    quantities: dict[int, int] = {}
    products: dict[int, Product] = {}
    for line in order.lines.select_related("product").order_by("line_no"):
        if line.quantity > 0:
            quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
            products[line.product_id] = line.product
    added: list[Product] = []
    skipped: list[tuple[Product, str]] = []
    for product_id, quantity in quantities.items():
        product = products[product_id]
        if moment is None:
            skipped.append((product, "No delivery moment is available."))
            continue
        availability = product_availability(
            product_fields=product,
            moment=moment,
            calendar=calendar,
            today=today,
            now=now,
            moments=moments,
            language=language,
        )
        if not availability.orderable:
            skipped.append((product, availability.reason or ""))
            continue
        cart_line_set(
            contact=contact, product=product, quantity=max(quantity, product.min_order_quantity), now=now, add=True
        )
        added.append(product)
    return ReorderResult(added=tuple(added), skipped=tuple(skipped))
