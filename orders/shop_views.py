"""The storefront's buying pages: cart, quick order, checkout, order history and reorder.

Only contacts (users with a company) buy. Every order and cart read is scoped to the
contact's company (orders) or the contact (cart): another company's order is a 404.
The cart and checkout show the segment offers' quote (promotions, shipping, payment
methods, totals: docs/offers.md); the coupon code the buyer entered lives in the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View

from accounts.models import Contact
from b2bshop.exceptions import ApplicationError
from catalog.models import Product
from catalog.shop_views import ShopPageMixin, safe_next, shop_state
from orders.delivery_calendar import (
    DeliveryMoment,
    DeliveryMomentClosedError,
    format_delivery_date,
)
from orders.models import Cart, Order
from orders.offer_models import OrderAdjustment, OrderPricing
from orders.offers.promotions import (
    EXPIRED,
    NOT_STARTED,
    NOT_VALID_FOR_YOU,
    NOT_VALID_MESSAGE,
    USAGE_LIMIT,
    PromotionOutcome,
    coupon_code_normalise,
)
from orders.offers.quote import CartQuote, QuoteLine, cart_quote
from orders.offers.services import PaymentMethodNotAllowedError, QuoteChangedError
from orders.selectors import company_delivery_profile
from orders.services import (
    CartLineCheck,
    CartLinesNotOrderableError,
    cart_line_checks,
    cart_line_set,
    cart_moment,
    cart_moment_set,
    order_place,
    order_reorder,
)

QUICK_ORDER_MAX_LINES = 50
SESSION_COUPON_KEY = "shop_coupon_code"
COUPON_CODE_MAX_LENGTH = 40  # Promotion.coupon_code
# A code refused for one of these reasons cannot apply by changing the cart, so it is not kept.
COUPON_REFUSED_REASONS = frozenset({NOT_VALID_FOR_YOU, NOT_STARTED, EXPIRED, USAGE_LIMIT})


class CartRow:
    """A checked cart line for the template, with the first possible delivery in the buyer's language."""

    def __init__(self, check: CartLineCheck, language: str) -> None:
        self.check = check
        self.line, self.availability = check.line, check.availability
        self.orderable, self.quantity_ok, self.subtotal = check.orderable, check.quantity_ok, check.subtotal
        self.restricted = check.restricted
        first = check.availability.first_moment
        self.first_label = (
            format_delivery_date(first.delivery_date, language=language)
            if first is not None and not check.availability.orderable
            else ""
        )
        self.priced: QuoteLine | None = None  # the line's money in the quote (buyer's price, savings)


def session_coupon_code(request: HttpRequest) -> str:
    """The code the buyer entered in the cart; never in a preview (it is the marketer's session)."""
    if shop_state(request).is_preview:
        return ""
    code = request.session.get(SESSION_COUPON_KEY, "")
    return code if isinstance(code, str) else ""


def shop_quote(request: HttpRequest, *, coupon_code: str | None = None) -> CartQuote | None:
    """The quote of the visitor's open cart (a previewed contact's too); None without a company.

    An unsaved empty cart is quoted when there is none, so a code can be checked before the first line.
    """
    state = shop_state(request)
    buyer = state.contact
    if state.company is None:
        return None
    cart = state.cart
    if cart is None:
        if buyer is None:
            return None
        cart = Cart(contact=buyer)
    return cart_quote(
        cart=cart,
        segment_ids=state.viewer.segment_ids,
        now=state.now,
        coupon_code=session_coupon_code(request) if coupon_code is None else coupon_code,
        company=state.company,
    )


def coupon_outcome(quote: CartQuote, code: str) -> PromotionOutcome | None:
    """What became of the entered code: its applied or refused promotion."""
    return next((outcome for outcome in (*quote.applied, *quote.not_applied) if outcome.coupon_code == code), None)


def buyer_order_list(*, contact: Contact) -> QuerySet[Order]:
    """The orders of the contact's company, newest first (all channels)."""
    return (
        Order.objects.filter(company_id=contact.company_id)
        .select_related("contact", "pricing")
        .order_by("-ordered_at", "-pk")
    )


def buyer_order_get(*, contact: Contact, pk: int) -> Order:
    """One order of the contact's company; Http404 for any other (never 403)."""
    order = Order.objects.filter(company_id=contact.company_id, pk=pk).first()
    if order is None:
        raise Http404("No such order.")
    return order


class ContactRequiredMixin(ShopPageMixin):
    """Anonymous visitors go to the shop login; staff without a company cannot buy.

    A marketer's "view as" preview is read-only: pages with `preview_readable` render for
    GET (without forms), every other request is refused (403) before the view runs.
    """

    preview_readable = False

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if shop_state(request).is_preview:
            if self.preview_readable and request.method in ("GET", "HEAD"):
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            raise PermissionDenied("This is a read-only preview of the shop.")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("shop-login"))
        if shop_state(request).contact is None:
            raise PermissionDenied("Only buyer accounts can order.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    @property
    def contact(self) -> Contact:
        contact = shop_state(self.request).contact
        assert contact is not None
        return contact


def _ensure_cart_moment(request: HttpRequest) -> None:
    """Before the first line: give the cart the moment the buyer is looking at."""
    state = shop_state(request)
    if state.moment is not None and (state.cart is None or cart_moment(state.cart) is None):
        cart_moment_set(contact=state.contact, moment=state.moment, now=state.now, calendar=state.calendar)


class CartView(ContactRequiredMixin, View):
    preview_readable = True

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.shop_render("shop/cart.html", _cart_context(request, placement="cart"))


def _cart_context(request: HttpRequest, *, placement: str, moment=None, quote: CartQuote | None = None) -> dict:
    """The cart's lines checked against its moment and the visitor's assortment, priced by the quote
    (`quote`: one the caller already has, e.g. the new one of a QuoteChangedError), and the placement's blocks."""
    state = shop_state(request)
    cart = state.cart
    moment = moment or (cart_moment(cart) if cart else None) or state.moment
    checks = ()
    if cart is not None and moment is not None:
        checks = cart_line_checks(
            cart=cart,
            moment=moment,
            calendar=state.calendar,
            profile=company_delivery_profile(state.company),
            now=state.now,
            language=state.language,
            segment_ids=state.viewer.segment_ids,
        )
    rows = [CartRow(check, state.language) for check in checks]
    if quote is None and rows:
        quote = shop_quote(request)
    free_lines: list[QuoteLine] = []
    if quote is not None:
        priced = {line.cart_line_id: line for line in quote.lines if line.cart_line_id is not None}
        for row in rows:
            row.priced = priced.get(row.line.pk)
        free_lines = [line for line in quote.lines if line.cart_line_id is None]
    total = quote.total if quote is not None else sum((check.subtotal for check in checks), Decimal("0.00"))
    return {
        "checks": rows,
        "quote": quote if rows else None,
        "free_lines": free_lines,
        "coupon_code": session_coupon_code(request),
        "coupon_max_length": COUPON_CODE_MAX_LENGTH,
        "cart_choice": state.choice(moment) if moment else None,
        "cart_moment_expired": moment is not None and moment not in state.moments,
        "blocked": any(not check.orderable for check in checks),
        "restricted_count": sum(1 for check in checks if check.restricted),
        "blocked_by_date": any(not check.orderable and not check.restricted for check in checks),
        "total": total,
        "can_order": not state.is_preview,
        "blocks": state.content_blocks(placement),
    }


class CartLineView(ContactRequiredMixin, View):
    """POST product, quantity and optional add=1: sets (or adds to) a cart line; quantity 0 removes it."""

    def post(self, request: HttpRequest) -> HttpResponse:
        target = safe_next(request, reverse("shop-cart"))
        quantity = _int(request.POST.get("quantity"))
        products = Product.objects.filter(pk=_int(request.POST.get("product")) or 0)
        if quantity != 0:
            # Only removing works for a product the contact may no longer see (a marked cart line) or an
            # inactive one; adding it is refused as if it did not exist.
            products = products.filter(shop_state(request).visible_products, is_active=True)
        product = products.first()
        if product is None or quantity is None:
            messages.error(request, "Choose a product and a whole quantity.")
            return HttpResponseRedirect(target)
        try:
            _ensure_cart_moment(request)
            change = cart_line_set(
                contact=self.contact,
                product=product,
                quantity=quantity,
                add=request.POST.get("add") == "1",
                now=shop_state(request).now,
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(target)
        if change.removed:
            messages.success(request, f"{product.name} removed from your cart.")
        else:
            messages.success(request, f"{product.name}: {change.quantity} {product.unit} in your cart.")
        return HttpResponseRedirect(target)


class CartCouponView(ContactRequiredMixin, View):
    """POST `coupon_code` to apply a code (kept in the session), or `remove=1` to drop it.

    The code is checked against the cart at once: a code that is not valid for the account,
    has expired, has not started or is used up is refused and not kept (the same words for an
    unknown code and another segment's code). A code that may still apply when the cart changes
    (below the threshold, no product in scope, …) is kept, and the cart says why it does not apply yet.
    """

    def post(self, request: HttpRequest) -> HttpResponse:
        target = reverse("shop-cart")
        if request.POST.get("remove") == "1":
            if request.session.pop(SESSION_COUPON_KEY, None):
                messages.success(request, "The code was removed.")
            return HttpResponseRedirect(target)
        code = coupon_code_normalise(request.POST.get("coupon_code", ""))
        if not code:
            messages.error(request, "Enter a code.")
            return HttpResponseRedirect(target)
        if len(code) > COUPON_CODE_MAX_LENGTH:
            messages.error(request, NOT_VALID_MESSAGE)
            return HttpResponseRedirect(target)
        quote = shop_quote(request, coupon_code=code)
        outcome = coupon_outcome(quote, code) if quote is not None else None
        if outcome is None or outcome.code in COUPON_REFUSED_REASONS:
            messages.error(request, f"Code {code}: {outcome.message if outcome else NOT_VALID_MESSAGE}")
            return HttpResponseRedirect(target)
        request.session[SESSION_COUPON_KEY] = code
        if outcome.applied:
            messages.success(request, f"Code {code} applied: {outcome.name}.")
        else:
            messages.warning(request, f"Code {code} is saved but does not apply yet: {outcome.message}")
        return HttpResponseRedirect(target)


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


class QuickOrderView(ContactRequiredMixin, View):
    """Order by SKU: one 'SKU quantity' per line (quantity defaults to the product's minimum)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.shop_render("shop/quick_order.html", {"text": ""})

    def post(self, request: HttpRequest) -> HttpResponse:
        text = request.POST.get("lines", "")
        rows = [line.split() for line in text.splitlines() if line.strip()]
        errors: list[str] = []
        if len(rows) > QUICK_ORDER_MAX_LINES:
            errors.append(f"At most {QUICK_ORDER_MAX_LINES} lines at once.")
            rows = []
        products: dict[str, Product] = {}
        if rows:
            condition = Q()
            for row in rows:
                condition |= Q(sku__iexact=row[0])
            visible = Product.objects.filter(shop_state(request).visible_products).filter(condition)
            products = {product.sku.lower(): product for product in visible}
        added = 0
        if rows:
            _ensure_cart_moment(request)
        for number, row in enumerate(rows, start=1):
            product = products.get(row[0].lower())
            quantity = _int(row[1]) if len(row) > 1 else None
            if product is None or not product.is_active:
                errors.append(f"Line {number}: unknown SKU '{row[0]}'.")
                continue
            if len(row) > 1 and (quantity is None or quantity <= 0):
                errors.append(f"Line {number}: '{row[1]}' is not a quantity.")
                continue
            try:
                cart_line_set(
                    contact=self.contact,
                    product=product,
                    quantity=quantity or product.min_order_quantity,
                    add=True,
                    now=shop_state(request).now,
                )
                added += 1
            except ApplicationError as error:
                errors.append(f"Line {number}: {error.message}")
        if added:
            messages.success(request, f"{added} product(s) added to your cart.")
        if errors:
            return self.shop_render("shop/quick_order.html", {"text": text, "errors": errors}, status=400)
        return HttpResponseRedirect(reverse("shop-cart"))


class CheckoutView(ContactRequiredMixin, View):
    preview_readable = True

    def get(self, request: HttpRequest) -> HttpResponse:
        context = _cart_context(request, placement="checkout")
        if not context["checks"] and not shop_state(request).is_preview:
            return HttpResponseRedirect(reverse("shop-cart"))
        return self.shop_render("shop/checkout.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        state = shop_state(request)
        # The quote version the buyer confirmed; a post without one (no quote shown) accepts the current quote.
        confirmed_version = request.POST.get("confirmed_version", "").strip()[:32] or None
        payment_method = request.POST.get("payment_method", "").strip()[:32] or None
        try:
            order = order_place(
                contact=self.contact,
                now=state.now,
                calendar=state.calendar,
                language=state.language,
                coupon_code=session_coupon_code(request),
                payment_method=payment_method,
                confirmed_version=confirmed_version,
            )
        except DeliveryMomentClosedError as error:
            # Nothing was placed and the cart is untouched: show the next moment and which lines stay valid there.
            context = _cart_context(request, placement="checkout", moment=error.next_moment)
            context.update(
                {
                    "closed_error": error.message,
                    "next_choice": state.choice(error.next_moment) if error.next_moment else None,
                }
            )
            return self.shop_render("shop/checkout.html", context, status=409)
        except CartLinesNotOrderableError as error:
            context = _cart_context(request, placement="checkout")
            context["place_errors"] = [detail.message for detail in error.errors]
            return self.shop_render("shop/checkout.html", context, status=400)
        except QuoteChangedError as error:
            # The totals changed since the page was shown (e.g. the buyer's segments were refreshed): show the
            # new quote, computed at placement, and let the buyer confirm its version.
            context = _cart_context(request, placement="checkout", quote=error.quote)
            context["quote_changed"] = error.message
            if payment_method and error.quote.payment_method_allowed(payment_method):
                context["chosen_payment_method"] = payment_method
            return self.shop_render("shop/checkout.html", context, status=409)
        except PaymentMethodNotAllowedError as error:
            context = _cart_context(request, placement="checkout")
            context["payment_error"] = error.message
            return self.shop_render("shop/checkout.html", context, status=400)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("shop-cart"))
        request.session.pop(SESSION_COUPON_KEY, None)  # used (or not applicable) for this order
        messages.success(request, f"Thank you! Order {order.order_number} has been placed.")
        return HttpResponseRedirect(reverse("shop-order", args=[order.pk]) + "?placed=1")


class OrderListView(ContactRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        page = Paginator(buyer_order_list(contact=self.contact), 25).get_page(request.GET.get("page"))
        return self.shop_render("shop/order_list.html", {"page": page})


@dataclass(frozen=True)
class OrderSaving:
    """A promotion saving stored on an order (positive here: the adjustment's amount is negative)."""

    name: str
    amount: Decimal


@dataclass(frozen=True)
class OrderDetailLine:
    """An order line with the promotion savings stored for it at placement."""

    line_no: int
    product_name: str
    sku: str
    quantity: int
    unit_price: Decimal
    base_amount: Decimal
    savings: tuple[OrderSaving, ...]

    @property
    def amount(self) -> Decimal:
        return self.base_amount - sum((saving.amount for saving in self.savings), Decimal("0.00"))

    @property
    def is_free(self) -> bool:
        return bool(self.savings) and self.base_amount > 0 and self.amount == 0


def order_offer_summary(order: Order) -> dict:
    """The order's lines and offers as stored at placement (OrderPricing, OrderAdjustment): never recomputed,
    so the page shows what the buyer was charged even after the promotions or shipping rules changed."""
    pricing = OrderPricing.objects.filter(order=order).first()  # None for ERP orders
    per_line: dict[int, list[OrderSaving]] = {}
    promotions: dict[tuple[int | None, str], Decimal] = {}
    for adjustment in order.adjustments.filter(kind=OrderAdjustment.Kind.PROMOTION).order_by("line_no", "id"):
        if adjustment.line_no is not None:
            per_line.setdefault(adjustment.line_no, []).append(OrderSaving(adjustment.label, -adjustment.amount))
        key = (adjustment.promotion_id, adjustment.label)
        promotions[key] = promotions.get(key, Decimal("0.00")) - adjustment.amount
    lines = [
        OrderDetailLine(
            line_no=line.line_no, product_name=line.product.name, sku=line.product.sku, quantity=line.quantity,
            unit_price=line.unit_price, base_amount=(line.unit_price * line.quantity).quantize(Decimal("0.01")),
            savings=tuple(per_line.get(line.line_no, ())),
        )
        for line in order.lines.select_related("product").order_by("line_no")
    ]
    return {
        "pricing": pricing,
        "detail_lines": lines,
        "promotion_totals": [OrderSaving(name, amount) for (_id, name), amount in promotions.items()],
    }


class OrderDetailView(ContactRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = buyer_order_get(contact=self.contact, pk=pk)
        state = shop_state(request)
        delivery = state.choice(_order_moment(order)) if order.delivery_date and order.departure_date else None
        return self.shop_render(
            "shop/order_detail.html",
            {
                "order": order,
                "placed": request.GET.get("placed") == "1",
                "order_delivery": delivery,
                **order_offer_summary(order),
            },
        )


def _order_moment(order: Order) -> DeliveryMoment:
    return DeliveryMoment(departure_date=order.departure_date, delivery_date=order.delivery_date)


class ReorderView(ContactRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = buyer_order_get(contact=self.contact, pk=pk)
        state = shop_state(request)
        _ensure_cart_moment(request)
        result = order_reorder(
            contact=self.contact, order=order, now=state.now, calendar=state.calendar, language=state.language
        )
        if result.added:
            messages.success(
                request, f"{len(result.added)} product(s) from order {order.order_number} added to your cart."
            )
        for product, reason in result.skipped:
            messages.warning(request, f"{product.name} ({product.sku}) was not added: {reason}.")
        return HttpResponseRedirect(reverse("shop-cart"))
