"""The storefront's order lists (favourites): the company's lists, a list for the selected moment, and its forms.

Only contacts use lists (anonymous visitors go to the login, staff get 403). Every list is
read through the contact's company: another company's list is a 404, never a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View

from b2bshop.exceptions import ApplicationError
from catalog.models import Product
from catalog.shop_views import safe_next, shop_state
from orders.delivery_calendar import DeliveryMomentClosedError
from orders.models import OrderList
from orders.order_list_selectors import (
    company_order_lists,
    order_list_get,
    order_list_rows,
)
from orders.order_list_services import (
    ORDER_LIST_NAME_MAX_LENGTH,
    order_list_cart_add,
    order_list_cart_save,
    order_list_create,
    order_list_default_ensure,
    order_list_delete,
    order_list_item_add,
    order_list_item_set,
    order_list_rename,
)
from orders.shop_views import ContactRequiredMixin

DEFAULT_LIST_KEY = "default"
NEW_LIST_KEY = "new"


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


class OrderListMixin(ContactRequiredMixin):
    """Lists of the contact's company only; the visitor's segments decide which products they see."""

    def segment_scope(self) -> dict:
        viewer = shop_state(self.request).viewer
        return {"segment_ids": viewer.segment_ids, "is_authenticated": viewer.is_authenticated}

    def get_list(self, pk: int) -> OrderList:
        order_list = order_list_get(company_id=self.contact.company_id, pk=pk)
        if order_list is None:
            raise Http404("No such list.")
        return order_list

    def target_list(self, key: str | None, *, new_name: str = "") -> OrderList:
        """The list a form names: 'default' (Favourites, created on first use), 'new' (created), or a pk."""
        if not key or key == DEFAULT_LIST_KEY:
            return order_list_default_ensure(company=self.contact.company, contact=self.contact)
        if key == NEW_LIST_KEY:
            return order_list_create(contact=self.contact, name=new_name)
        pk = _int(key)
        if pk is None:
            raise Http404("No such list.")
        return self.get_list(pk)

    def visible_product(self, value: str | None) -> Product:
        """An active product the contact may see; 404 for anything else (like its product page)."""
        product = Product.objects.filter(
            shop_state(self.request).visible_products, pk=_int(value) or 0, is_active=True
        ).first()
        if product is None:
            raise Http404("No such product.")
        return product

    def back(self, fallback: str) -> HttpResponseRedirect:
        return HttpResponseRedirect(safe_next(self.request, fallback))


class OrderListIndexView(OrderListMixin, View):
    """GET: the company's lists. POST name: a new list."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.shop_render("shop/lists/index.html", self._context())

    def _context(self, **extra) -> dict:
        lists = list(company_order_lists(company_id=self.contact.company_id, **self.segment_scope()))
        return {
            "lists": lists,
            "has_default": any(order_list.is_default for order_list in lists),
            "default_name": OrderList.DEFAULT_NAME,
            "name_max_length": ORDER_LIST_NAME_MAX_LENGTH,
            **extra,
        }

    def post(self, request: HttpRequest) -> HttpResponse:
        name = request.POST.get("name", "")
        try:
            order_list = order_list_create(contact=self.contact, name=name)
        except ApplicationError as error:
            return self.shop_render(
                "shop/lists/index.html", self._context(error=error.message, name=name), status=400
            )
        messages.success(request, f"List “{order_list.name}” created.")
        return HttpResponseRedirect(reverse("shop-list", args=[order_list.pk]))


class OrderListDetailView(OrderListMixin, View):
    """A list for the selected moment: every item marked when it cannot be delivered then (`?deliverable=1` hides those)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        order_list = self.get_list(pk)
        state = shop_state(request)
        deliverable_only = request.GET.get("deliverable") == "1"
        rows = order_list_rows(
            order_list=order_list,
            company=self.contact.company,
            moment=state.moment,
            moments=state.moments,
            calendar=state.calendar,
            now=state.now,
            language=state.language,
            deliverable_only=deliverable_only,
            **self.segment_scope(),
        )
        unavailable = sum(1 for row in rows if not row.shop_product.availability.orderable)
        return self.shop_render(
            "shop/lists/detail.html",
            {
                "order_list": order_list,
                "rows": rows,
                "deliverable_only": deliverable_only,
                "unavailable_count": unavailable,
                "orderable_count": len(rows) - unavailable,
                "name_max_length": ORDER_LIST_NAME_MAX_LENGTH,
            },
        )


class OrderListItemView(OrderListMixin, View):
    """POST product and quantity: sets an item's default quantity; 0 removes it."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order_list = self.get_list(pk)
        target = reverse("shop-list", args=[order_list.pk])
        quantity = _int(request.POST.get("quantity"))
        product = Product.objects.filter(pk=_int(request.POST.get("product")) or 0).first()
        if product is None or quantity is None:
            messages.error(request, "Choose a product and a whole quantity.")
            return self.back(target)
        if quantity > 0:
            product = self.visible_product(request.POST.get("product"))
        try:
            item = order_list_item_set(
                contact=self.contact,
                order_list=order_list,
                product=product,
                quantity=quantity,
                now=shop_state(request).now,
                **self.segment_scope(),
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return self.back(target)
        if item is None:
            messages.success(request, f"{product.name} removed from {order_list.name}.")
        else:
            messages.success(request, f"{product.name}: {item.quantity} {product.unit} on {order_list.name}.")
        return self.back(target)


class OrderListAddView(OrderListMixin, View):
    """Put a product on a list. GET ?product=<sku>: choose the list and quantity. POST product, list, quantity, name."""

    def get(self, request: HttpRequest) -> HttpResponse:
        product = Product.objects.filter(
            shop_state(request).visible_products, sku=request.GET.get("product", ""), is_active=True
        ).first()
        if product is None:
            raise Http404("No such product.")
        lists = list(company_order_lists(company_id=self.contact.company_id, **self.segment_scope()))
        return self.shop_render(
            "shop/lists/add.html",
            {
                "product": product,
                "lists": lists,
                "has_default": any(order_list.is_default for order_list in lists),
                "default_name": OrderList.DEFAULT_NAME,
                "name_max_length": ORDER_LIST_NAME_MAX_LENGTH,
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        product = self.visible_product(request.POST.get("product"))
        fallback = reverse("shop-product", args=[product.sku])
        raw_quantity = request.POST.get("quantity", "").strip()
        quantity = _int(raw_quantity) if raw_quantity else None
        if raw_quantity and quantity is None:
            messages.error(request, "Enter a whole quantity.")
            return self.back(fallback)
        try:
            order_list = self.target_list(request.POST.get("list"), new_name=request.POST.get("name", ""))
            item = order_list_item_add(
                contact=self.contact,
                order_list=order_list,
                product=product,
                quantity=quantity,
                now=shop_state(request).now,
                **self.segment_scope(),
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return self.back(fallback)
        messages.success(
            request, f"{product.name} is on your list {order_list.name} ({item.quantity} {product.unit})."
        )
        return self.back(fallback)


class OrderListFromCartView(OrderListMixin, View):
    """POST list ('default', 'new' with name, or a pk): puts every cart line on that list."""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            order_list = self.target_list(request.POST.get("list"), new_name=request.POST.get("name", ""))
            saved = order_list_cart_save(
                contact=self.contact, order_list=order_list, now=shop_state(request).now, **self.segment_scope()
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("shop-cart"))
        messages.success(request, f"{saved} product(s) from your cart saved on {order_list.name}.")
        return HttpResponseRedirect(reverse("shop-list", args=[order_list.pk]))


class OrderListRenameView(OrderListMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order_list = self.get_list(pk)
        try:
            order_list_rename(contact=self.contact, order_list=order_list, name=request.POST.get("name", ""))
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"List renamed to “{order_list.name}”.")
        return HttpResponseRedirect(reverse("shop-list", args=[order_list.pk]))


class OrderListDeleteView(OrderListMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order_list = self.get_list(pk)
        try:
            order_list_delete(contact=self.contact, order_list=order_list)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("shop-list", args=[order_list.pk]))
        messages.success(request, f"List “{order_list.name}” deleted.")
        return HttpResponseRedirect(reverse("shop-lists"))


class OrderListToCartView(OrderListMixin, View):
    """POST: add the list's products orderable for the selected moment to the cart; say which were not added."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order_list = self.get_list(pk)
        state = shop_state(request)
        back = reverse("shop-list", args=[order_list.pk])
        if state.moment is None:
            messages.error(request, state.no_moment_message or "No delivery moment is available.")
            return HttpResponseRedirect(back)
        try:
            result = order_list_cart_add(
                contact=self.contact,
                order_list=order_list,
                moment=state.moment,
                now=state.now,
                calendar=state.calendar,
                language=state.language,
                **self.segment_scope(),
            )
        except DeliveryMomentClosedError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(back)
        label = state.choice(result.moment).label
        if result.added:
            messages.success(
                request, f"{len(result.added)} product(s) from {order_list.name} added to your cart for {label}."
            )
        for product, reason in result.skipped:
            messages.warning(request, f"{product.name} ({product.sku}) was not added: {reason}.")
        if not result.added and not result.skipped:
            messages.info(request, f"{order_list.name} has no products to add.")
        return HttpResponseRedirect(reverse("shop-cart") if result.added else back)
