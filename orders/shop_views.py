"""The storefront's buying pages: cart, quick order, checkout, order history and reorder.

Only contacts (users with a company) buy. Every order and cart read is scoped to the
contact's company (orders) or the contact (cart): another company's order is a 404.
"""

from __future__ import annotations

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
from orders.delivery_calendar import DeliveryMoment, DeliveryMomentClosedError, format_delivery_date
from orders.models import Order
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


class CartRow:
    """A checked cart line for the template, with the first possible delivery in the buyer's language."""

    def __init__(self, check: CartLineCheck, language: str) -> None:
        self.check = check
        self.line, self.availability = check.line, check.availability
        self.orderable, self.quantity_ok, self.subtotal = check.orderable, check.quantity_ok, check.subtotal
        first = check.availability.first_moment
        self.first_label = (
            format_delivery_date(first.delivery_date, language=language)
            if first is not None and not check.availability.orderable
            else ""
        )


def buyer_order_list(*, contact: Contact) -> QuerySet[Order]:
    """The orders of the contact's company, newest first (all channels)."""
    return Order.objects.filter(company_id=contact.company_id).select_related("contact").order_by("-ordered_at", "-pk")


def buyer_order_get(*, contact: Contact, pk: int) -> Order:
    """One order of the contact's company; Http404 for any other (never 403)."""
    order = Order.objects.filter(company_id=contact.company_id, pk=pk).first()
    if order is None:
        raise Http404("No such order.")
    return order


class ContactRequiredMixin(ShopPageMixin):
    """Anonymous visitors go to the shop login; staff without a company cannot buy."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
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
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.shop_render("shop/cart.html", _cart_context(request))


def _cart_context(request: HttpRequest, *, moment=None) -> dict:
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
        )
    total = sum((check.subtotal for check in checks), Decimal("0.00"))
    rows = [CartRow(check, state.language) for check in checks]
    return {
        "checks": rows,
        "cart_choice": state.choice(moment) if moment else None,
        "cart_moment_expired": moment is not None and moment not in state.moments,
        "blocked": any(not check.orderable for check in checks),
        "total": total,
    }


class CartLineView(ContactRequiredMixin, View):
    """POST product, quantity and optional add=1: sets (or adds to) a cart line; quantity 0 removes it."""

    def post(self, request: HttpRequest) -> HttpResponse:
        target = safe_next(request, reverse("shop-cart"))
        product = Product.objects.filter(pk=_int(request.POST.get("product")) or 0, is_active=True).first()
        quantity = _int(request.POST.get("quantity"))
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
            products = {product.sku.lower(): product for product in Product.objects.filter(condition)}
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
    def get(self, request: HttpRequest) -> HttpResponse:
        context = _cart_context(request)
        if not context["checks"]:
            return HttpResponseRedirect(reverse("shop-cart"))
        return self.shop_render("shop/checkout.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        state = shop_state(request)
        try:
            order = order_place(contact=self.contact, now=state.now, calendar=state.calendar, language=state.language)
        except DeliveryMomentClosedError as error:
            # Nothing was placed and the cart is untouched: show the next moment and which lines stay valid there.
            context = _cart_context(request, moment=error.next_moment) if error.next_moment else _cart_context(request)
            context.update(
                {
                    "closed_error": error.message,
                    "next_choice": state.choice(error.next_moment) if error.next_moment else None,
                }
            )
            return self.shop_render("shop/checkout.html", context, status=409)
        except CartLinesNotOrderableError as error:
            context = _cart_context(request)
            context["place_errors"] = [detail.message for detail in error.errors]
            return self.shop_render("shop/checkout.html", context, status=400)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("shop-cart"))
        messages.success(request, f"Thank you! Order {order.order_number} has been placed.")
        return HttpResponseRedirect(reverse("shop-order", args=[order.pk]) + "?placed=1")


class OrderListView(ContactRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        page = Paginator(buyer_order_list(contact=self.contact), 25).get_page(request.GET.get("page"))
        return self.shop_render("shop/order_list.html", {"page": page})


class OrderDetailView(ContactRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = buyer_order_get(contact=self.contact, pk=pk)
        lines = order.lines.select_related("product").order_by("line_no")
        state = shop_state(request)
        delivery = state.choice(_order_moment(order)) if order.delivery_date and order.departure_date else None
        return self.shop_render(
            "shop/order_detail.html",
            {"order": order, "lines": lines, "placed": request.GET.get("placed") == "1", "order_delivery": delivery},
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
