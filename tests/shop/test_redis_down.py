"""The shop keeps working when the cache (Redis) is unreachable: pages render, login and checkout work.

The cache points at a closed local port with the project's django-redis options (errors
ignored, short timeouts), so every cache call fails at once. Segment ids then come from
SQL on every request: the buyer still sees their segment's banner, everyone else the fallback.
"""

import datetime

import pytest
from django.core.cache import cache
from django.test import override_settings

from catalog.services import category_tree_rebuild
from orders.models import Cart, Order
from personalization.models import ContentBlock
from segments.selectors import contact_segment_ids
from tests.personalization.factories import ContentBlockFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]

# As b2bshop/settings.py configures Redis, but on a port nothing listens on.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
}


@pytest.fixture
def redis_down(settings):
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False  # one log line per cache call would drown the output
    with override_settings(CACHES=UNREACHABLE_REDIS):
        cache.set("probe", "value")
        assert cache.get("probe") is None, "the cache must really be unreachable for this test"
        yield


@pytest.fixture
def banners(shop_data):
    category_tree_rebuild()
    dealers = SegmentFactory(slug="dealers", name="Dealers")
    SegmentMembershipFactory(segment=dealers, contact=shop_data["buyer_a"])
    for placement in (ContentBlock.Placement.HOME_HERO, ContentBlock.Placement.CATEGORY_TOP):
        ContentBlockFactory(placement=placement, headline="Dealer days", include_segments=[dealers], priority=5)
        ContentBlockFactory(placement=placement, headline="Welcome to our shop", fallback=True)
    return dealers


class RedisDownTests:
    def test_pages_render_with_fallback_content_for_anonymous_visitors(self, client, shop_data, banners, redis_down):
        for url in ("/", "/c/flowers/", "/p/ROSE-RED/", "/search/?q=rose"):
            response = client.get(url)
            assert response.status_code == 200, url
        assert "Welcome to our shop" in client.get("/").content.decode()
        page = client.get("/c/flowers/").content.decode()
        assert "Welcome to our shop" in page and "Dealer days" not in page and "Yellow tulip" in page

    def test_segment_ids_come_from_sql_on_every_call(self, shop_data, banners, redis_down, django_assert_num_queries):
        for _ in range(2):
            with django_assert_num_queries(1):
                assert contact_segment_ids(contact_id=shop_data["buyer_a"].pk) == {banners.pk}

    def test_a_buyer_logs_in_sees_their_banner_and_places_an_order(self, client, shop_data, banners, redis_down):
        response = client.post(
            "/account/login/", {"username": "anna@a.example", "password": "buyer-pass-123", "next": "/c/flowers/"}
        )
        assert response.status_code == 302 and response["Location"] == "/c/flowers/"

        page = client.get("/c/flowers/").content.decode()
        assert "Dealer days" in page and "Welcome to our shop" not in page and "€ 8.40" in page
        assert "Dealer days" in client.get("/").content.decode()
        assert client.get("/p/ROSE-RED/").status_code == 200

        assert client.post("/cart/lines/", {"product": shop_data["rose"].pk, "quantity": "5", "add": "1"}).status_code == 302
        assert "€ 42.00" in client.get("/cart/").content.decode()
        assert client.get("/checkout/").status_code == 200
        response = client.post("/checkout/")

        order = Order.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/?placed=1"
        assert (order.total_amount, order.delivery_date, order.channel) == (
            42,
            datetime.date(2026, 11, 27),
            "web",
        )
        assert Cart.objects.get(contact=shop_data["buyer_a"]).status == Cart.Status.ORDERED
        assert client.get(response["Location"]).status_code == 200
