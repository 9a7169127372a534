"""Every URL pattern Django knows x every role x the HTTP methods, against a table of expected answers.

docs/reliability.md, "Permission matrix". The routes are read from the root URLconf, so a new
route without an entry in the table fails `test_every_route_has_an_entry`. Path parameters name
company B's objects where a route is about a company's things (orders, order lists, company users,
the admin's companies, contacts, orders and carts): the buyer and the company admin of company A get
404 for them, never 200 or 403. tests/shop/test_cross_company_permissions.py checks the same routes in
depth (nothing of B changes, A's own object works); this module checks the breadth.

The admin's model pages are not listed one by one: their expectations derive from
`admin.site._registry` and the Marketing group's permissions (accounts.services.MARKETING_PERMISSIONS
and segments.permissions.SEGMENT_MARKETING_PERMISSIONS), so a marketer who could open a page the
group was never given (the user admin, ERP connections) fails the test.

An expectation is a status code, or ADMIN_LOGIN / SHOP_LOGIN: a 302 to that login page. Each
request runs in a savepoint that is rolled back, so a DELETE does not change what the next
request sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.services import MARKETING_PERMISSIONS
from orders.models import Cart
from segments.permissions import SEGMENT_MARKETING_PERMISSIONS
from tests.fuzz.conftest import Shop

SESSION_ROLES = ("anonymous", "buyer", "company_admin", "staff", "marketer", "superuser")
# An ERP connection's API token (`Authorization: Bearer ...`), with no session.
ROLES = (*SESSION_ROLES, "integration")
ADMIN_LOGIN = "admin-login"
SHOP_LOGIN = "shop-login"
API_WRITE_METHODS = ("PUT", "PATCH", "DELETE")
DEBUG_ONLY_ROUTES = {"^media/(?P<path>.*)$"}  # b2bshop/urls.py serves uploads itself only with DEBUG


def row(anonymous, buyer, company_admin, staff, marketer, superuser) -> dict[str, int | str]:
    """One method's expectations, in the order of SESSION_ROLES (the token's: see TOKEN_ANSWERS)."""
    return dict(zip(SESSION_ROLES, (anonymous, buyer, company_admin, staff, marketer, superuser), strict=True))


def same(expected) -> dict[str, int | str]:
    return row(*[expected] * len(SESSION_ROLES))


def staff_only(staff, marketer, superuser) -> dict[str, int | str]:
    """Admin pages: anonymous visitors, buyers and company admins are sent to the admin login."""
    return row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff, marketer, superuser)


def buyers_only(buyer, company_admin) -> dict[str, int | str]:
    """Shop pages for contacts: anonymous visitors go to the shop login, staff users (no company) get 403."""
    return row(SHOP_LOGIN, buyer, company_admin, 403, 403, 403)


def marketer_api(status: int) -> dict[str, int | str]:
    """IsMarketer: the others get 403 (session authentication: no 401)."""
    return row(403, 403, 403, 403, status, status)


# --------------------------------------------------------------------- the table (admin model pages: below)

TABLE: dict[str, dict[str, dict[str, int | str]]] = {
    "healthz/": {"GET": same(200), "POST": same(200)},
    "^media/(?P<path>.*)$": {"GET": same(404), "POST": same(404)},  # served only with DEBUG; no such file
    # --- API: schema and docs are public
    "api/schema/": {"GET": same(200), "POST": same(405)},
    "api/docs/": {"GET": same(200), "POST": same(405)},
    # --- API: ERP (token for imports; staff and tokens read runs)
    "api/erp/import/<str:entity>/": {"GET": row(401, 403, 403, 403, 403, 403), "POST": row(401, 403, 403, 403, 403, 403)},
    "api/erp/imports/": {"GET": row(401, 403, 403, 200, 200, 200), "POST": row(401, 403, 403, 405, 405, 405)},
    # --- API: segments (marketers)
    "api/segment-fields/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/segments/": {"GET": marketer_api(200), "POST": marketer_api(400)},
    "api/segments/preview/": {"GET": marketer_api(405), "POST": marketer_api(400)},
    "api/segments/<slug:slug>/": {
        "GET": marketer_api(200), "POST": marketer_api(405), "PUT": marketer_api(400), "PATCH": marketer_api(200),
        "DELETE": marketer_api(204),
    },
    "api/segments/<slug:slug>/members/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/segments/<slug:slug>/explain/<int:contact_id>/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/segments/<slug:slug>/refresh/": {"GET": marketer_api(405), "POST": marketer_api(202)},
    "api/segments/<slug:slug>/history/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/contacts/<int:contact_id>/segments/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/insight/kpis/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/insight/rfm-grid/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/insight/rfm-grid/cell/": {"GET": marketer_api(400), "POST": marketer_api(405)},  # recency, frequency required
    "api/insight/pareto/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/insight/lift/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/insight/lift/look-alike/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/insight/overlap/": {"GET": marketer_api(400), "POST": marketer_api(405)},  # segments required
    "api/insight/trends/": {"GET": marketer_api(400), "POST": marketer_api(405)},  # segments required
    # --- API: offers (the cart quote is the buyer's own; promotions and shipping rules are marketers')
    "api/shop/cart/quote/": {"GET": row(403, 200, 200, 403, 403, 403), "POST": row(403, 405, 405, 403, 403, 403)},
    "api/promotions/": {"GET": marketer_api(200), "POST": marketer_api(400)},
    "api/promotions/<int:pk>/": {
        "GET": marketer_api(200), "POST": marketer_api(405), "PUT": marketer_api(400), "PATCH": marketer_api(200),
        "DELETE": marketer_api(204),
    },
    "api/shipping-rules/": {"GET": marketer_api(200), "POST": marketer_api(400)},
    "api/shipping-rules/<int:pk>/": {
        "GET": marketer_api(200), "POST": marketer_api(405), "PUT": marketer_api(400), "PATCH": marketer_api(200),
        "DELETE": marketer_api(204),
    },
    # --- API: the shop's (anonymous visitors get the generic moments and no prices)
    "api/shop/delivery-moments/": {"GET": same(200), "POST": same(405)},
    "api/shop/products/": {"GET": same(200), "POST": same(405)},
    "api/shop/content/": {"GET": same(400), "POST": same(405)},  # placement required
    # --- API: Mailchimp (marketers); the webhook checks its secret
    "api/mailchimp/sync/": {"GET": marketer_api(405), "POST": marketer_api(202)},
    "api/mailchimp/runs/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "api/mailchimp/runs/<int:run_id>/": {"GET": marketer_api(200), "POST": marketer_api(405)},
    "integrations/mailchimp/webhook/<str:secret>/": {"GET": same(404), "POST": same(404)},  # a wrong secret
    # --- marketer's "view as" preview of the shop: a marketer tool, gated like the admin. Anonymous
    # visitors go to the admin login, where marketers sign in; a signed-in buyer or staff user outside
    # Marketing gets 403, not a login page: signing in again as themselves would not open it.
    "preview/": {"GET": row(ADMIN_LOGIN, 403, 403, 403, 200, 200), "POST": row(ADMIN_LOGIN, 403, 403, 403, 400, 400)},
    "preview/stop/": {"GET": same(405), "POST": same(302)},  # ending a preview that is not running: harmless
    # --- shop: account
    "account/login/": {"GET": row(200, 302, 302, 302, 302, 302), "POST": row(200, 302, 302, 302, 302, 302)},
    "account/logout/": {"GET": same(405), "POST": same(302)},
    "account/password-reset/": {"GET": same(200), "POST": same(200)},
    "account/password-reset/sent/": {"GET": same(200), "POST": same(405)},
    "account/reset/<uidb64>/<token>/": {"GET": same(200), "POST": same(200)},  # an invalid link: the page says so
    "account/reset/done/": {"GET": same(200), "POST": same(405)},
    # --- shop: company users (company admins); B's user is 404 for A's buyer and admin alike
    "account/company/users/": {"GET": buyers_only(403, 200), "POST": buyers_only(403, 400)},
    "account/company/users/<int:pk>/role/": {"GET": buyers_only(404, 404), "POST": buyers_only(404, 404)},
    "account/company/users/<int:pk>/deactivate/": {"GET": buyers_only(404, 404), "POST": buyers_only(404, 404)},
    "account/company/users/<int:pk>/reactivate/": {"GET": buyers_only(404, 404), "POST": buyers_only(404, 404)},
    "account/company/users/<int:pk>/invite/": {"GET": buyers_only(404, 404), "POST": buyers_only(404, 404)},
    # --- shop: cart, checkout, orders (buyers); B's order is 404
    "cart/": {"GET": buyers_only(200, 200), "POST": buyers_only(405, 405)},
    "cart/lines/": {"GET": buyers_only(405, 405), "POST": buyers_only(302, 302)},
    "cart/coupon/": {"GET": buyers_only(405, 405), "POST": buyers_only(302, 302)},
    "quick-order/": {"GET": buyers_only(200, 200), "POST": buyers_only(302, 302)},
    # The company admin's cart is empty: the checkout sends them back to it.
    "checkout/": {"GET": buyers_only(200, 302), "POST": buyers_only(302, 302)},
    "orders/": {"GET": buyers_only(200, 200), "POST": buyers_only(405, 405)},
    "orders/<int:pk>/": {"GET": buyers_only(404, 404), "POST": buyers_only(405, 405)},
    "orders/<int:pk>/reorder/": {"GET": buyers_only(405, 405), "POST": buyers_only(404, 404)},
    # --- shop: order lists (a company's); B's list is 404
    "lists/": {"GET": buyers_only(200, 200), "POST": buyers_only(400, 400)},
    "lists/add/": {"GET": buyers_only(404, 404), "POST": buyers_only(404, 404)},  # no product
    "lists/from-cart/": {"GET": buyers_only(405, 405), "POST": buyers_only(302, 302)},
    "lists/<int:pk>/": {"GET": buyers_only(404, 404), "POST": buyers_only(405, 405)},
    "lists/<int:pk>/items/": {"GET": buyers_only(405, 405), "POST": buyers_only(404, 404)},
    "lists/<int:pk>/rename/": {"GET": buyers_only(405, 405), "POST": buyers_only(404, 404)},
    "lists/<int:pk>/delete/": {"GET": buyers_only(405, 405), "POST": buyers_only(404, 404)},
    "lists/<int:pk>/to-cart/": {"GET": buyers_only(405, 405), "POST": buyers_only(404, 404)},
    # --- shop: catalog (public; prices only for buyers)
    "": {"GET": same(200), "POST": same(405)},
    "delivery-moment/": {"GET": same(405), "POST": same(302)},  # back to the page, with a message
    "c/<slug:slug>/": {"GET": same(200), "POST": same(405)},
    "search/": {"GET": same(200), "POST": same(405)},
    "p/<str:sku>/": {"GET": same(200), "POST": same(405)},
    # --- admin: the site's own pages (the model pages follow from the registry)
    "admin/": {"GET": staff_only(200, 200, 200), "POST": staff_only(200, 200, 200)},
    "admin/login/": {"GET": row(200, 200, 200, 302, 302, 302), "POST": same(200)},
    "admin/logout/": {"GET": row(302, 302, 302, 405, 405, 405), "POST": row(302, 302, 302, 200, 200, 200)},
    "admin/password_change/": {"GET": staff_only(200, 200, 200), "POST": staff_only(200, 200, 200)},
    "admin/password_change/done/": {"GET": staff_only(200, 200, 200), "POST": staff_only(405, 405, 405)},
    "admin/autocomplete/": {"GET": staff_only(403, 403, 403), "POST": staff_only(405, 405, 405)},
    "admin/jsi18n/": {"GET": staff_only(200, 200, 200), "POST": staff_only(405, 405, 405)},
    "admin/r/<path:content_type_id>/<path:object_id>/": {"GET": staff_only(404, 404, 404), "POST": staff_only(404, 404, 404)},
    "admin/(?P<url>.*)$": {"GET": staff_only(404, 404, 404), "POST": staff_only(404, 404, 404)},
    # --- admin: extra pages of model admins
    "admin/accounts/user/<id>/password/": {"GET": staff_only(403, 403, 200), "POST": staff_only(403, 403, 200)},
    "admin/orders/promotion/insight/": {"GET": staff_only(403, 200, 200), "POST": staff_only(403, 200, 200)},
    "admin/segments/segment/insight/": {"GET": staff_only(403, 200, 200), "POST": staff_only(403, 200, 200)},
    "admin/segments/segment/insight/cell-segment/": {"GET": staff_only(403, 405, 405), "POST": staff_only(403, 302, 302)},
    "admin/segments/segment/insight/lookalike-segment/": {"GET": staff_only(403, 405, 405), "POST": staff_only(403, 302, 302)},
    "admin/segments/segment/lookup/": {"GET": staff_only(403, 400, 400), "POST": staff_only(403, 400, 400)},
    "admin/segments/segment/explain/": {"GET": staff_only(403, 405, 405), "POST": staff_only(403, 400, 400)},
}

# The ERP token authenticates the ERP API only: everywhere else its holder is an anonymous visitor
# (the other API views authenticate by session), so it opens no shop page, admin page or marketer API.
TOKEN_ANSWERS: dict[str, dict[str, int | str]] = {
    "api/erp/import/<str:entity>/": {"GET": 405, "POST": 400},  # an empty body
    "api/erp/imports/": {"GET": 200, "POST": 405},
}

# Model admin pages whose answers differ from what the registry and the permissions give (below):
# change forms that are valid when posted empty, so the admin redirects instead of showing the form.
ADMIN_MODEL_EXCEPTIONS: dict[tuple[str, str, str], dict[str, dict[str, int | str]]] = {
    # Only the description and the image are editable (the ERP owns the rest), both optional. This
    # product has neither: nothing changed, so nothing is saved or logged ("Nothing changed"; see
    # tests/b2bshop/test_unchanged_admin_saves.py).
    ("catalog", "product", "<path:object_id>/change/"): {"POST": {"superuser": 302}},
    # An empty POST is a real edit, as a browser sends it: the "enabled" checkbox unchecked. The sync is
    # turned off and the audit trail records "disabled" (an empty tag prefix keeps the current one).
    ("integrations", "mailchimpsegmentsync", "<path:object_id>/change/"): {"POST": {"marketer": 302, "superuser": 302}},
}


# ------------------------------------------------------------------ admin model pages from the registry

MARKETING_GRANTS: dict[tuple[str, str], set[str]] = {key: set(actions) for key, actions in MARKETING_PERMISSIONS.items()}
for _model, _actions in SEGMENT_MARKETING_PERMISSIONS.items():
    MARKETING_GRANTS.setdefault(("segments", _model), set()).update(_actions)

# (route suffix, the permissions that open it for GET, for POST: any of)
ADMIN_MODEL_PAGES = (
    ("", {"view", "change"}, {"view", "change"}),
    ("add/", {"add"}, {"add"}),
    ("<path:object_id>/history/", {"view", "change"}, {"view", "change"}),
    ("<path:object_id>/delete/", {"delete"}, {"delete"}),
    ("<path:object_id>/change/", {"view", "change"}, {"change"}),
    ("<path:object_id>/", None, None),  # a redirect to the change page, for any staff user
)


def _admin_page(opening: set[str] | None, *, grants: set[str], capable: set[str], suffix: str, exists: bool):
    """Staff without the permission get 403; with it 200, or the admin's 302 to its index for a missing object."""
    if opening is None:
        return staff_only(302, 302, 302)
    found = 302 if ("object_id" in suffix and not exists) else 200
    if suffix.endswith("history/") and not exists:
        return staff_only(302, 302, 302)  # the history page looks for the object first
    superuser = found if opening & capable else 403
    marketer = found if opening & capable & grants else 403
    return staff_only(403, marketer, superuser)


@dataclass(frozen=True)
class AdminCapabilities:
    """What a model admin allows a superuser: a read-only admin has no add page even for them."""

    add: bool
    change: bool
    delete: bool
    view: bool


def _capabilities(model_admin, superuser) -> AdminCapabilities:
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = superuser
    return AdminCapabilities(
        add=bool(model_admin.has_add_permission(request)),
        change=bool(model_admin.has_change_permission(request)),
        delete=bool(model_admin.has_delete_permission(request)),
        view=bool(model_admin.has_view_permission(request)),
    )


def admin_model_table(superuser) -> dict[str, dict[str, dict[str, int | str]]]:
    # An app's index page (the URL names the segments app): its pattern lists the apps in registration order.
    app_labels = dict.fromkeys(model._meta.app_label for model in admin.site._registry)
    table: dict[str, dict[str, dict[str, int | str]]] = {
        f"admin/^(?P<app_label>{'|'.join(app_labels)})/$": {
            "GET": staff_only(404, 200, 200), "POST": staff_only(404, 200, 200),
        },
    }
    for model, model_admin in admin.site._registry.items():
        key = (model._meta.app_label, model._meta.model_name)
        facts = {
            "grants": MARKETING_GRANTS.get(key, set()),
            "capable": {name for name, allowed in vars(_capabilities(model_admin, superuser)).items() if allowed},
            "exists": model._default_manager.exists(),
        }
        for suffix, opening_get, opening_post in ADMIN_MODEL_PAGES:
            route = f"admin/{key[0]}/{key[1]}/{suffix}"
            table[route] = {
                "GET": _admin_page(opening_get, suffix=suffix, **facts),
                "POST": _admin_page(opening_post, suffix=suffix, **facts),
            }
            for method, expected in ADMIN_MODEL_EXCEPTIONS.get(key + (suffix,), {}).items():
                table[route][method] = {**table[route][method], **expected}
    return table


# ------------------------------------------------------------------------------- routes and requests


@dataclass(frozen=True)
class Route:
    pattern: str
    methods: tuple[str, ...]


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, object]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def routes() -> list[Route]:
    found = []
    for pattern, callback in _walk(get_resolver().url_patterns):
        methods = ("GET", "POST")
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if pattern.startswith("api/") and view_class is not None:
            methods += tuple(method for method in API_WRITE_METHODS if hasattr(view_class, method.lower()))
        found.append(Route(pattern, methods))
    return found


_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def _object_ids(shop: Shop) -> dict[str, str]:
    """Company B's object for the models that belong to a company; some object for the others."""
    cart = Cart.objects.filter(contact=shop.b.buyer).first()
    return {
        "accounts.company": str(shop.b.company.pk),
        "accounts.contact": str(shop.b.buyer.pk),
        "accounts.user": str(shop.staff.pk),  # the user admin lists staff users
        "orders.order": str(shop.b.order.pk),
        "orders.orderlist": str(shop.b.order_list.pk),
        "orders.cart": str(cart.pk),
    }


def url_for(pattern: str, shop: Shop) -> str:
    """The pattern with its parameters filled in."""
    ids = _object_ids(shop)
    admin_model = re.match(r"admin/(\w+)/(\w+)/", pattern)

    def value(match: re.Match) -> str:
        name = match.group("name") or match.group("group")
        if admin_model and name == "object_id" and "content_type_id" not in pattern:
            label = f"{admin_model.group(1)}.{admin_model.group(2)}"
            if label in ids:
                return ids[label]
            model = admin.site._registry and next(m for m in admin.site._registry if m._meta.label_lower == label)
            last = model._default_manager.order_by("pk").last()
            return str(last.pk) if last else "0"
        if pattern.startswith("api/segments/") and name == "slug":
            return shop.segment.slug
        by_route = {
            "api/promotions/": str(shop.promotion.pk),
            "api/shipping-rules/": str(shop.shipping_rule.pk),
            "orders/": str(shop.b.order.pk),
            "lists/": str(shop.b.order_list.pk),
            "account/company/users/": str(shop.b.colleague.pk),
        }
        for prefix, pk in by_route.items():
            if pattern.startswith(prefix) and name == "pk":
                return pk
        return {
            "slug": shop.category.slug,
            "contact_id": str(shop.b.buyer.pk),
            "run_id": str(shop.sync_run.pk),
            "entity": "companies",
            "secret": "not-the-secret",
            "uidb64": "MQ",
            "token": "not-a-token",
            "sku": "TULIP-YEL",
            "content_type_id": str(ContentType.objects.get_for_model(type(shop.b.company)).pk),
            "object_id": str(shop.b.company.pk),
            "id": str(shop.staff.pk),  # the user admin lists staff users
            "app_label": "segments",
            "url": "no-such-page/",
            "path": "no-such-file.png",
        }[name]

    path = _PARAMETER.sub(value, pattern)
    return "/" + path.replace("^", "").replace("$", "")


def _client(role: str, shop: Shop) -> Client:
    if role == "integration":
        return Client(headers={"Authorization": f"Bearer {shop.erp_token}"})
    client = Client()
    user = {
        "buyer": shop.a.buyer, "company_admin": shop.a.admin, "staff": shop.staff, "marketer": shop.marketer,
        "superuser": shop.superuser,
    }.get(role)
    if user is not None:
        client.force_login(user)
    return client


def answer(response) -> int | str:
    if response.status_code == 302:
        location = response.get("Location", "")
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        if location.startswith("/account/login/"):
            return SHOP_LOGIN
    return response.status_code


def _call(client: Client, method: str, url: str):
    with transaction.atomic():
        response = getattr(client, method.lower())(url)
        transaction.set_rollback(True)
    return response


def full_table(shop: Shop) -> dict[str, dict[str, dict[str, int | str]]]:
    table = {**admin_model_table(shop.superuser), **TABLE}
    for pattern, methods in table.items():
        for method, expected in methods.items():
            expected["integration"] = TOKEN_ANSWERS.get(pattern, {}).get(method, expected["anonymous"])
    return table


# ------------------------------------------------------------------------------------------------ tests


def test_every_route_has_an_entry(shop):
    """A new route (or a renamed one) must be added to the table with its expected answers."""
    table = full_table(shop)
    known = {route.pattern for route in routes()}
    assert known - table.keys() == set(), "routes without an entry in the permission matrix"
    assert table.keys() - known - DEBUG_ONLY_ROUTES == set(), "entries for routes that no longer exist"
    for route in routes():
        assert set(route.methods) <= table[route.pattern].keys(), route


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(role, shop):
    client = _client(role, shop)
    table = full_table(shop)  # after the login: it writes a row to the admin's access log
    mismatches = []
    requests = 0
    for route in routes():
        url = url_for(route.pattern, shop)
        for method in route.methods:
            expected = table[route.pattern][method][role]
            actual = answer(_call(client, method, url))
            requests += 1
            if actual != expected:
                mismatches.append(f"{role} {method} {url} ({route.pattern}): expected {expected}, got {actual}")
            if "logout" in route.pattern:
                client = _client(role, shop)  # the session ended: log in again
    print(f"{role}: {requests} requests")
    assert mismatches == [], "\n".join(mismatches)
