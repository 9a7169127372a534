"""Shared helpers of the offers tests: a fixed clock, carts built directly, and the quote of a contact."""

import datetime
from zoneinfo import ZoneInfo

from orders.delivery_calendar import DeliveryMoment
from orders.models import Cart, CartLine
from orders.offers.quote import CartQuote, cart_quote
from orders.offers.services import buyer_segment_ids
from tests.segments.factories import SegmentMembershipFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Thursday 26 Nov 2026, before the 14:00 cut-off: the generic next moment departs today and delivers Friday.
NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=AMSTERDAM)
TODAY_MOMENT = DeliveryMoment(departure_date=datetime.date(2026, 11, 26), delivery_date=datetime.date(2026, 11, 27))


def cart_for(contact, *lines) -> Cart:
    """The contact's open cart with (product, quantity) lines and today's moment."""
    cart, _ = Cart.objects.get_or_create(
        contact=contact, status=Cart.Status.OPEN,
        defaults={"departure_date": TODAY_MOMENT.departure_date, "delivery_date": TODAY_MOMENT.delivery_date},
    )
    for product, quantity in lines:
        CartLine.objects.create(cart=cart, product=product, quantity=quantity, unit_price=product.list_price, added_at=NOW)
    return cart


def member_of(contact, *segments) -> None:
    for segment in segments:
        SegmentMembershipFactory(contact=contact, segment=segment)


def quote_for(contact, *, coupon: str = "", now: datetime.datetime = NOW) -> CartQuote:
    cart = Cart.objects.get(contact=contact, status=Cart.Status.OPEN)
    return cart_quote(cart=cart, segment_ids=buyer_segment_ids(contact_id=contact.pk), now=now, coupon_code=coupon)


def savings(quote: CartQuote) -> list[tuple[str, str, str]]:
    """(sku, base amount, saving) per line, as strings: easy to compare with hand-worked money."""
    return [(line.product.sku, str(line.base_amount), str(line.saving)) for line in quote.lines]
