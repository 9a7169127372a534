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
    local_today,
    product_availability,
)
from orders.models import Cart, CartLine, Order, OrderLine
from orders.offers.quote import cart_quote
from orders.offers.services import (
    buyer_segment_ids,
    offers_company_lock,
    order_offers_record,
    payment_method_choose,
    quote_confirm,
)
from orders.selectors import company_delivery_profile, shop_calendar_rules
from personalization.selectors import invisible_product_ids
from segments.selectors import contact_segment_ids
from segments.services import contacts_reevaluate_enqueue


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


RESTRICTED_LINE_REASON = "No longer in your assortment"


@dataclass(frozen=True)
class CartLineCheck:
    """A cart line checked against the cart's moment: kept in the cart either way, marked when not orderable.

    `restricted`: the contact may no longer see the product (a segment assortment or a hidden
    category); its availability then carries RESTRICTED_LINE_REASON and no first moment.
    """

    line: CartLine
    availability: Availability
    quantity_ok: bool
    restricted: bool = False

    @property
    def orderable(self) -> bool:
        return self.availability.orderable and self.quantity_ok and not self.restricted

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
    segment_ids: frozenset[int] | None = None,
) -> tuple[CartLineCheck, ...]:
    """Every line of the cart checked against `moment` and the contact's segment assortment.

    One query for the lines and their products, one for the products the contact may not see
    (`segment_ids`: the cart contact's current segments when None, read through their cache).
    """
    moments = delivery_moments(calendar=calendar, profile=profile, now=now)
    today = local_today(now)
    lines = list(cart.lines.select_related("product").order_by("pk"))
    if segment_ids is None and lines:
        segment_ids = contact_segment_ids(contact_id=cart.contact_id)
    restricted = invisible_product_ids(
        product_ids=[line.product_id for line in lines], segment_ids=segment_ids or frozenset(), is_authenticated=True
    )
    checks = []
    for line in lines:
        if line.product_id in restricted:
            availability = Availability(orderable=False, reason=RESTRICTED_LINE_REASON, first_moment=None)
            checks.append(CartLineCheck(line=line, availability=availability, quantity_ok=True, restricted=True))
            continue
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
    coupon_code: str = "",
    payment_method: str | None = None,
    confirmed_version: str | None = None,
) -> Order:
    """Turn the contact's open cart into an order (channel web, status open), re-validating everything.

    Checked on the server at `now`, in this order: the cart has lines; it has a moment; the
    moment can still be chosen (DeliveryMomentClosedError carrying the next moment); every
    line is orderable for the moment and meets its minimum quantity
    (CartLinesNotOrderableError naming the lines). Prices are resolved again for today.
    Then the segment offers (docs/offers.md) are quoted again with the contact's current
    memberships: when `confirmed_version` is given and differs from the new quote's version,
    QuoteChangedError (409) carries the new quote; `confirmed_version=None` accepts the
    current quote (callers that show no quote). The payment method must be allowed now
    (PaymentMethodNotAllowedError; None: the first allowed one). The order stores the
    applied promotions, shipping and payment method with their amounts, and the promotion
    uses, counted under a lock on the company so a usage limit is never exceeded.
    On any error nothing is written and the cart stays as it was.
    """
    calendar = calendar or shop_calendar_rules()
    profile = _contact_profile(contact)
    with transaction.atomic():
        cart = Cart.objects.select_for_update().filter(contact=contact, status=Cart.Status.OPEN).first()
        if cart is None or not cart.lines.exists():
            raise CartEmptyError("Your cart is empty.")
        offers_company_lock(company_id=contact.company_id)
        segment_ids = buyer_segment_ids(contact_id=contact.pk)
        moment = cart_moment(cart)
        if moment is None:
            raise CartMomentMissingError(
                "Choose a delivery moment first.", errors=[ErrorDetail(path="/delivery_date", message="required")]
            )
        delivery_moment_check(moment=moment, calendar=calendar, profile=profile, now=now, language=language)
        checks = cart_line_checks(
            cart=cart, moment=moment, calendar=calendar, profile=profile, now=now, language=language,
            segment_ids=segment_ids,
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
        quote = cart_quote(
            cart=cart, segment_ids=segment_ids, now=now, coupon_code=coupon_code, company=contact.company, prices=prices
        )
        quote_confirm(quote=quote, confirmed_version=confirmed_version)
        method = payment_method_choose(quote=quote, payment_method=payment_method)
        order = Order.objects.create(
            order_number=_order_number_temporary(),
            company_id=contact.company_id,
            contact=contact,
            ordered_at=now,
            channel=Order.Channel.WEB,
            status=Order.Status.OPEN,
            departure_date=moment.departure_date,
            delivery_date=moment.delivery_date,
            # Σ lines at the buyer's prices: rules.md's revenue; savings and shipping are in order.pricing
            total_amount=quote.subtotal,
        )
        order.order_number = f"WEB{order.pk:08d}"
        order.save(update_fields=["order_number"])
        # The cart lines in cart order, then the free product lines of promotions.
        line_numbers = {index: number for number, index in enumerate(range(len(quote.lines)), start=1)}
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                line_no=line_numbers[index],
                product_id=line.product.pk,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for index, line in enumerate(quote.lines)
        )
        order_offers_record(order=order, quote=quote, payment_method=method, line_numbers=line_numbers, now=now)
        cart.status = Cart.Status.ORDERED
        cart.save(update_fields=["status", "updated_at"])
        company_contact_ids = list(Contact.objects.filter(company_id=contact.company_id).values_list("pk", flat=True))
        contacts_reevaluate_enqueue(contact_ids=[contact.pk, *company_contact_ids])
    return order


@dataclass(frozen=True)
class CartProductsAdded:
    added: tuple[tuple[Product, int], ...]  # product and the quantity added
    skipped: tuple[tuple[Product, str], ...]  # product and the buyer-facing reason


def cart_products_add(
    *,
    contact: Contact,
    wanted: list[tuple[Product, int]],
    moment: DeliveryMoment,
    moments: list[DeliveryMoment],
    calendar: ShopCalendarRules,
    now: datetime.datetime,
    language: str = "en",
) -> CartProductsAdded:
    """Add products to the open cart where they can be ordered for `moment`; report the others with their reason.

    Reorder and "add list to cart" share this. Quantities add up to what the cart holds and
    are raised to each product's minimum. The caller has already left out what the contact
    may not see.
    """
    today = local_today(now)
    added: list[tuple[Product, int]] = []
    skipped: list[tuple[Product, str]] = []
    for product, quantity in wanted:
        availability = product_availability(
            product_fields=product, moment=moment, calendar=calendar, today=today, now=now, moments=moments,
            language=language,
        )
        if not availability.orderable:
            skipped.append((product, availability.reason or "Not available."))
            continue
        quantity = max(quantity, product.min_order_quantity)
        cart_line_set(contact=contact, product=product, quantity=quantity, now=now, add=True)
        added.append((product, quantity))
    return CartProductsAdded(added=tuple(added), skipped=tuple(skipped))

def order_reorder(
    *,
    contact: Contact,
    order: Order,
    now: datetime.datetime,
    calendar: ShopCalendarRules | None = None,
    language: str = "en",
) -> ReorderResult:
    """Add an order's products to the open cart (quantities add up; at least the minimum quantity).

    Only the contact's company's orders (OrderNotFoundError, a 404, otherwise). Products the
    contact may no longer see (segment restrictions) and products that cannot be ordered for
    the cart's moment (the company's next moment when the cart has none) are skipped and
    reported with the reason; the rest are added.
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
    quantities: dict[int, int] = {}
    products: dict[int, Product] = {}
    for line in order.lines.select_related("product").order_by("line_no"):
        if line.quantity > 0:
            quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
            products[line.product_id] = line.product
    hidden = invisible_product_ids(
        product_ids=quantities, segment_ids=contact_segment_ids(contact_id=contact.pk), is_authenticated=True
    )
    visible = [(products[product_id], quantity) for product_id, quantity in quantities.items() if product_id not in hidden]
    restricted = [(products[product_id], RESTRICTED_LINE_REASON + ".") for product_id in quantities if product_id in hidden]
    if moment is None:
        return ReorderResult(
            added=(), skipped=(*restricted, *((product, "No delivery moment is available.") for product, _ in visible))
        )
    outcome = cart_products_add(
        contact=contact, wanted=visible, moment=moment, moments=moments, calendar=calendar, now=now, language=language
    )
    return ReorderResult(
        added=tuple(product for product, _quantity in outcome.added), skipped=(*restricted, *outcome.skipped)
    )
