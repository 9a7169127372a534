"""The buyers of bench/load.py, for locust: log in, browse, search, pick a delivery moment, fill the cart, order.

Started by bench/load.py as `locust -f bench/load_locustfile.py --headless ...`; it reads
its plan (buyer emails, their password, categories, search words, the request cap) from
the JSON file named by LOAD_PLAN, and writes every request it made (page type, start,
milliseconds, status, error) to the JSON file named by LOAD_SAMPLES when locust quits.
Imports no Django: it only speaks HTTP to the shop.

Every request is named after its page type. Each buyer first walks through every page
type once (so even a short run requests them all; the smoke run stops once every buyer
has, after a least number of seconds), then picks actions at random,
weighted like a buyer's visit: mostly category and product pages. The delivery moment
is changed only while the cart is empty (a buyer picks the day first, then shops), so
every line added is orderable at checkout.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text()) if "LOAD_PLAN" in os.environ else {}
SAMPLES: list[dict[str, Any]] = []
_environment: dict[str, Any] = {}  # the runner, when the load started, how many buyers finished their first visit
_buyer_numbers = itertools.count()

# Expected status per page type: anything else is an error.
EXPECTED = {
    "login_page": 200, "login": 302, "home": 200, "category": 200, "product": 200, "search": 200,
    "delivery_moment": 302, "cart_add": 302, "cart": 200, "checkout_page": 200, "checkout_place": 302,
}
# Where a successful POST redirects to (a checkout that fails for a business reason goes back to the cart).
REDIRECTS = {"login": "/", "checkout_place": "/orders/"}
FIRST_VISIT = ["home", "category", "product", "search", "delivery_moment", "cart_add", "cart", "checkout"]
WEIGHTS = {
    "home": 2, "category": 10, "product": 7, "search": 4, "delivery_moment": 1, "cart_add": 4, "cart": 1, "checkout": 1,
}

_CARD = re.compile(
    r'<li class="card" data-sku="([^"]+)">.*?name="product" value="(\d+)".*?name="quantity" min="(\d+)"', re.DOTALL
)
_MOMENT = re.compile(r'<option value="(\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d)"')
_ALERT = re.compile(r'role="alert"[^>]*>(.*?)</(?:div|p)>', re.DOTALL)
_VERSION = re.compile(r'name="confirmed_version" value="([^"]*)"')
_PAYMENT = re.compile(r'name="payment_method" value="([^"]+)" checked')


@events.request.add_listener
def _sample(request_type, name, response_time, response_length, response=None, exception=None, start_time=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    SAMPLES.append({
        "name": name, "method": request_type, "start": start_time, "ms": round(response_time, 3),
        "status": status, "error": str(exception)[:300] if exception else None,
    })
    limit = PLAN.get("max_requests")
    if limit and len(SAMPLES) == limit and _environment.get("runner") is not None:
        gevent.spawn(_environment["runner"].quit)  # the request cap; not from inside this user's greenlet


@events.init.add_listener
def _keep_runner(environment, **kwargs):
    _environment["runner"] = environment.runner


@events.test_start.add_listener
def _note_start(environment, **kwargs):
    _environment["started"] = time.monotonic()


def _first_visit_done() -> None:
    """With `stop_after_first_visits` (the smoke run): quit once every buyer has requested every page type,
    but not before `min_seconds` of load."""
    _environment["first_visits"] = _environment.get("first_visits", 0) + 1
    if not PLAN.get("stop_after_first_visits") or _environment["first_visits"] < PLAN["users"]:
        return
    remaining = PLAN.get("min_seconds", 0) - (time.monotonic() - _environment.get("started", time.monotonic()))
    gevent.spawn_later(max(0.0, remaining), _environment["runner"].quit)


@events.quitting.add_listener
def _write_samples(environment, **kwargs):
    path = os.environ.get("LOAD_SAMPLES")
    if path:
        Path(path).write_text(json.dumps({"samples": SAMPLES, "written_at": time.time()}))


class Buyer(HttpUser):
    wait_time = between(PLAN.get("wait_min", 1.0), PLAN.get("wait_max", 3.0))

    def on_start(self) -> None:
        buyers = PLAN["buyers"]
        self.email = buyers[next(_buyer_numbers) % len(buyers)]
        self.products: dict[str, tuple[int, int]] = {}  # sku -> (product id, minimum quantity), from listings
        self.moments: list[str] = []
        self.cart_lines = 0
        self.planned = list(FIRST_VISIT)
        self._request("login_page", "GET", "/account/login/")
        response = self._request(
            "login", "POST", "/account/login/",
            data={"username": self.email, "password": PLAN["password"], "csrfmiddlewaretoken": self._csrf()},
        )
        if response is None or response.status_code != 302:
            raise StopUser()  # counted as an error already; a buyer that cannot log in cannot buy

    # --- one request, checked ------------------------------------------------------------------------------------

    def _csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def _request(self, name: str, method: str, path: str, *, data: dict | None = None, accept: tuple[int, ...] = ()):
        with self.client.request(
            method, path, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            expected = (EXPECTED[name], *accept)
            if response.status_code not in expected:
                alert = _ALERT.search(response.text or "")
                reason = re.sub(r"<[^>]+>|\s+", " ", alert.group(1)).strip()[:200] if alert else ""
                response.failure(f"{method} {path}: {response.status_code}, expected {expected[0]} {reason}".rstrip())
                return None
            location = response.headers.get("Location", "")
            if response.status_code == 302 and not location.startswith(REDIRECTS.get(name, "/")):
                response.failure(f"{method} {path}: redirected to {location}")
                return None
            if response.status_code == 302 and name != "login" and location.startswith("/account/login/"):
                response.failure(f"{method} {path}: redirected to the login page")
                return None
            response.success()
            return response

    def _page(self, name: str, path: str):
        response = self._request(name, "GET", path)
        if response is not None:
            moments = _MOMENT.findall(response.text)
            if moments:
                self.moments = moments
        return response

    # --- what a buyer does ---------------------------------------------------------------------------------------

    @task
    def visit(self) -> None:
        if self.planned:
            getattr(self, f"_{self.planned.pop(0)}")()
            if not self.planned:
                _first_visit_done()
            return
        getattr(self, f"_{random.choices(list(WEIGHTS), weights=WEIGHTS.values())[0]}")()

    def _home(self) -> None:
        self._page("home", "/")

    def _category(self) -> None:
        response = self._page("category", f"/c/{random.choice(PLAN['categories'])}/")
        if response is not None:
            for sku, product_id, minimum in _CARD.findall(response.text):
                self.products[sku] = (int(product_id), int(minimum))

    def _product(self) -> None:
        if not self.products:
            self._category()
            return
        self._page("product", f"/p/{random.choice(list(self.products))}/")

    def _search(self) -> None:
        self._page("search", f"/search/?q={random.choice(PLAN['search_terms'])}")

    def _delivery_moment(self) -> None:
        if self.cart_lines or len(self.moments) < 2:
            self._home()  # moments come with every page; the day is chosen before shopping
            if self.cart_lines or len(self.moments) < 2:
                return
        moment = random.choice(self.moments[:4])
        response = self._request(
            "delivery_moment", "POST", "/delivery-moment/",
            data={"moment": moment, "next": "/", "csrfmiddlewaretoken": self._csrf()},
        )
        if response is not None:
            self.products.clear()  # what is orderable depends on the moment: read the listings again

    def _cart_add(self) -> None:
        if not self.products:
            self._category()
        if not self.products:
            return
        sku = random.choice(list(self.products))
        product_id, minimum = self.products[sku]
        response = self._request(
            "cart_add", "POST", "/cart/lines/",
            data={"product": product_id, "quantity": minimum, "add": "1", "next": "/cart/",
                  "csrfmiddlewaretoken": self._csrf()},
        )
        if response is not None:
            self.cart_lines += 1

    def _cart(self) -> None:
        self._page("cart", "/cart/")

    def _checkout(self) -> None:
        if not self.cart_lines:
            self._cart_add()
        if not self.cart_lines:
            return
        page = self._request("checkout_page", "GET", "/checkout/")
        if page is None:
            return
        version, payment = _VERSION.search(page.text), _PAYMENT.search(page.text)
        for _attempt in range(2):
            data = {"confirmed_version": version.group(1) if version else "", "csrfmiddlewaretoken": self._csrf()}
            if payment:
                data["payment_method"] = payment.group(1)
            # 409: the quote changed since the page was shown (a refresh moved the buyer's segments) or the
            # cut-off passed; the page shows the new quote, which the buyer confirms once.
            placed = self._request("checkout_place", "POST", "/checkout/", data=data, accept=(409,))
            if placed is None:
                return
            if placed.status_code == 302:
                self.cart_lines = 0
                return
            version, payment = _VERSION.search(placed.text), _PAYMENT.search(placed.text) or payment
