"""The storefront's catalog pages and the delivery moment every page is shown for.

Every shop page is rendered for one delivery moment (spec/delivery.md): a contact's open
cart moment, else the moment chosen in the session, else the next possible moment of the
contact's company (anonymous visitors: the shop's generic moment). A moment that can no
longer be chosen (its cut-off passed) silently gives way to the next one on reads; the
checkout re-validates and tells the buyer.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views import View

from accounts.models import Company, Contact
from catalog.models import Product
from catalog.selectors import (
    SEARCH_MIN_LENGTH,
    category_get,
    category_products,
    category_tree,
    product_search,
    shop_product_queryset,
    shop_product_rows,
)
from orders.delivery_calendar import (
    DeliveryMoment,
    DeliveryMomentClosedError,
    ShopCalendarRules,
    buyer_language,
    delivery_moments,
    format_delivery_date,
    no_delivery_moment_message,
)
from orders.models import Cart
from orders.selectors import (
    anonymous_delivery_profile,
    company_delivery_profile,
    shop_calendar_rules,
)
from orders.services import cart_moment_set
from personalization.models import ContentBlock
from personalization.preview import request_viewer
from personalization.selectors import (
    ANONYMOUS_VIEWER,
    Assortment,
    MenuNode,
    Viewer,
    content_block_product_list,
    content_blocks_by_placement,
    menu_for,
    visitor_assortment,
)

SESSION_MOMENT_KEY = "shop_delivery_moment"
PAGE_SIZE = 48


def moment_key(moment: DeliveryMoment) -> str:
    """The form and session value of a moment: '<departure>_<delivery>' in ISO dates."""
    return f"{moment.departure_date.isoformat()}_{moment.delivery_date.isoformat()}"


def moment_parse(value: str | None) -> DeliveryMoment | None:
    """A moment from its key; None for anything malformed."""
    try:
        departure, delivery = (value or "").split("_")
        return DeliveryMoment(
            departure_date=datetime.date.fromisoformat(departure), delivery_date=datetime.date.fromisoformat(delivery)
        )
    except ValueError:
        return None


@dataclass(frozen=True)
class MomentChoice:
    moment: DeliveryMoment
    key: str
    label: str
    block: str


@dataclass
class ShopState:
    """What every shop page knows: who buys, for which moment, in which language."""

    now: datetime.datetime
    language: str
    contact: Contact | None
    company: Company | None
    calendar: ShopCalendarRules
    moments: list[DeliveryMoment]
    moment: DeliveryMoment | None
    no_moment_message: str = ""
    cart: Cart | None = None
    choices: list[MomentChoice] = field(default_factory=list)
    viewer: Viewer = ANONYMOUS_VIEWER

    @cached_property
    def assortment(self) -> Assortment:
        """Categories and products hidden from this visitor, as ids (one query per request)."""
        return visitor_assortment(segment_ids=self.viewer.segment_ids, is_authenticated=self.viewer.is_authenticated)

    @property
    def hidden_categories(self) -> frozenset[int]:
        """Categories hidden from this visitor's navigation, listings and URLs."""
        return self.assortment.hidden_category_ids

    @property
    def visible_products(self) -> Q:
        """Segment assortments and hidden categories for this visitor (personalization), from the loaded ids."""
        return self.assortment.products_filter()

    @cached_property
    def menu(self) -> list[MenuNode]:
        """The marketer-defined navigation for this visitor (one query; hidden categories already removed)."""
        return menu_for(
            segment_ids=self.viewer.segment_ids, is_authenticated=self.viewer.is_authenticated,
            hidden_category_ids=self.hidden_categories,
        )

    def content_blocks(self, placement: str, **scope) -> list[ContentBlock]:
        """The visitor's blocks for a placement; a carousel gets its visible products as `carousel_products`."""
        return self.content_blocks_of(placement, **scope)[placement]

    def content_blocks_of(self, *placements: str, **scope) -> dict[str, list[ContentBlock]]:
        """The visitor's blocks for each of a page's placements, in one query."""
        by_placement = content_blocks_by_placement(
            placements=placements, segment_ids=self.viewer.segment_ids, is_authenticated=self.viewer.is_authenticated,
            now=self.now, **scope,
        )
        for blocks in by_placement.values():
            for block in blocks:
                if block.kind == ContentBlock.Kind.PRODUCT_CAROUSEL:
                    block.carousel_products = content_block_product_list(
                        block=block, segment_ids=self.viewer.segment_ids, is_authenticated=self.viewer.is_authenticated
                    )
        return by_placement

    @property
    def is_preview(self) -> bool:
        """A marketer's read-only "view as" preview: show the banner, refuse every write."""
        return self.viewer.is_preview

    @property
    def shows_prices(self) -> bool:
        return self.company is not None

    def choice(self, moment: DeliveryMoment) -> MomentChoice:
        return MomentChoice(
            moment=moment,
            key=moment_key(moment),
            label=format_delivery_date(moment.delivery_date, language=self.language),
            block=moment.block_label(language=self.language),
        )


def request_contact(request: HttpRequest) -> Contact | None:
    user = request.user
    if user.is_authenticated and getattr(user, "company_id", None) is not None:
        return Contact.objects.select_related("company").get(pk=user.pk) if not isinstance(user, Contact) else user
    return None


def preview_contact(viewer: Viewer) -> Contact | None:
    """In a "view as contact Y" preview: that contact (read only; never logged in, never written)."""
    if not viewer.is_preview or viewer.contact_id is None:
        return None
    return Contact.objects.select_related("company").filter(pk=viewer.contact_id).first()


def shop_state(request: HttpRequest, *, now: datetime.datetime | None = None) -> ShopState:
    """Who buys, for which moment, in which language; built once per request.

    In a marketer's preview nobody buys (`contact` is None, so no page offers a write);
    previewing a contact shows that contact's company moments, prices and open cart, read only.
    """
    if hasattr(request, "_shop_state"):
        return request._shop_state
    now = now or timezone.now()
    viewer = request_viewer(request)
    previewed = preview_contact(viewer)
    contact = None if viewer.is_preview else request_contact(request)
    buyer = previewed or contact
    company = buyer.company if buyer else None
    language = buyer_language(buyer.language if buyer else get_language())
    calendar = shop_calendar_rules()
    profile = company_delivery_profile(company) if company else anonymous_delivery_profile()
    moments = delivery_moments(calendar=calendar, profile=profile, now=now)
    # The header's line count comes with the cart (`line_count`), not as a query of its own.
    cart = (
        Cart.objects.filter(contact=buyer, status=Cart.Status.OPEN).annotate(line_count=Count("lines")).first()
        if buyer
        else None
    )
    candidates = []
    # A preview reads the contact's cart but browses by the marketer's own choice of moment.
    if cart is not None and cart.departure_date and cart.delivery_date and not viewer.is_preview:
        candidates.append(DeliveryMoment(departure_date=cart.departure_date, delivery_date=cart.delivery_date))
    candidates.append(moment_parse(request.session.get(SESSION_MOMENT_KEY)))
    moment = next((candidate for candidate in candidates if candidate in moments), moments[0] if moments else None)
    state = ShopState(
        now=now,
        language=language,
        contact=contact,
        company=company,
        calendar=calendar,
        moments=moments,
        moment=moment,
        cart=cart,
        no_moment_message=""
        if moments
        else no_delivery_moment_message(calendar=calendar, profile=profile, language=language),
    )
    state.choices = [state.choice(candidate) for candidate in moments]
    state.viewer = viewer
    request._shop_state = state
    return state


def cart_line_count(request: HttpRequest, cart: Cart | None) -> int:
    """The header badge: the count loaded with the cart, unless this request may have changed the lines since."""
    if cart is None:
        return 0
    if request.method in ("GET", "HEAD") and hasattr(cart, "line_count"):
        return cart.line_count
    return cart.lines.count()


class ShopPageMixin:
    """Adds the shop state (header moment, picker, cart size) to the template context."""

    request: HttpRequest

    def shop_render(self, template: str, context: dict | None = None, *, status: int = 200) -> HttpResponse:
        state = shop_state(self.request)
        cart_count = cart_line_count(self.request, state.cart)
        hidden = state.hidden_categories
        base = {
            "shop": state,
            "selected": state.choice(state.moment) if state.moment else None,
            "cart_count": cart_count,
            "categories": [category for category in category_tree() if category.pk not in hidden],
            "menu": state.menu,
        }
        return render(self.request, template, {**base, **(context or {})}, status=status)


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


class ShopHomeView(ShopPageMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.shop_render("shop/home.html", {"blocks": shop_state(request).content_blocks("home_hero")})


class MomentSelectView(ShopPageMixin, View):
    """POST a moment key: stored in the session and, for a contact, on the open cart (lines re-checked)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        state = shop_state(request)
        moment = moment_parse(request.POST.get("moment"))
        target = safe_next(request, reverse("shop-home"))
        if moment is None or moment not in state.moments:
            messages.error(request, "That delivery moment cannot be chosen. Please pick one from the list.")
            return HttpResponseRedirect(target)
        request.session[SESSION_MOMENT_KEY] = moment_key(moment)
        if state.contact is not None:
            try:
                change = cart_moment_set(
                    contact=state.contact,
                    moment=moment,
                    now=state.now,
                    calendar=state.calendar,
                    language=state.language,
                )
            except DeliveryMomentClosedError as error:
                messages.error(request, error.message)
                return HttpResponseRedirect(target)
            if change.unavailable:
                messages.warning(
                    request,
                    f"{len(change.unavailable)} line(s) in your cart cannot be delivered on "
                    f"{state.choice(moment).label}; they are kept and marked in your cart.",
                )
        messages.success(request, f"Delivery moment set to {state.choice(moment).label}.")
        return HttpResponseRedirect(target)


def _listing_context(request: HttpRequest, state: ShopState, products, *, include_unavailable: bool) -> dict:
    products = products.filter(state.visible_products)
    queryset = shop_product_queryset(
        products=products,
        moment=state.moment,
        calendar=state.calendar,
        now=state.now,
        company=state.company,
        include_unavailable=include_unavailable,
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = shop_product_rows(
        products=list(page.object_list),
        moment=state.moment,
        moments=state.moments,
        calendar=state.calendar,
        now=state.now,
        language=state.language,
    )
    hidden = 0
    if not include_unavailable and state.moment is not None:
        hidden = products.filter(is_active=True).count() - page.paginator.count
    return {"rows": rows, "page": page, "show_all": include_unavailable, "hidden_count": hidden}


class CategoryView(ShopPageMixin, View):
    """Products of a category (and sub-categories) for the selected moment.

    Unavailable products are hidden by default; `?all=1` lists them too, marked with the
    reason and their first possible delivery.
    """

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        category = category_get(slug=slug)
        state = shop_state(request)
        if category is None or category.pk in state.hidden_categories:
            raise Http404("No such category.")
        context = _listing_context(
            request, state, category_products(category=category), include_unavailable=request.GET.get("all") == "1"
        )
        blocks = state.content_blocks_of("category_top", "product_list", category=category)
        return self.shop_render(
            "shop/category.html",
            {"category": category, "blocks": blocks["category_top"], "list_blocks": blocks["product_list"], **context},
        )


class SearchView(ShopPageMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()[:100]
        context: dict = {"query": query, "rows": [], "too_short": False}
        if len(query) >= SEARCH_MIN_LENGTH:
            state = shop_state(request)
            context.update(
                _listing_context(
                    request, state, product_search(query=query), include_unavailable=request.GET.get("all") == "1"
                )
            )
        elif query:
            context["too_short"] = True
        context["list_blocks"] = shop_state(request).content_blocks("product_list")
        return self.shop_render("shop/search.html", context)


class ProductDetailView(ShopPageMixin, View):
    def get(self, request: HttpRequest, sku: str) -> HttpResponse:
        state = shop_state(request)
        products = shop_product_queryset(
            products=Product.objects.filter(state.visible_products, sku=sku),
            moment=state.moment,
            calendar=state.calendar,
            now=state.now,
            company=state.company,
            include_unavailable=True,
            active_only=False,
        )
        product = products.first()
        if product is None:
            raise Http404("No such product.")
        row = shop_product_rows(
            products=[product],
            moment=state.moment,
            moments=state.moments,
            calendar=state.calendar,
            now=state.now,
            language=state.language,
        )[0]
        first = state.choice(row.availability.first_moment) if row.availability.first_moment else None
        blocks = state.content_blocks("product_detail", product=product, category=product.category)
        return self.shop_render(
            "shop/product.html", {"row": row, "product": product, "first_choice": first, "blocks": blocks}
        )
