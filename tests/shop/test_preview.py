"""The marketer's read-only "view the shop as segment X / contact Y / anonymous" preview."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.delivery_calendar import DeliveryMoment
from orders.models import Cart, CartLine, Order
from orders.services import cart_line_set, cart_moment_set
from personalization.models import ContentBlock
from personalization.preview import PREVIEW_SESSION_KEY
from segments.models import SegmentMembership
from segments.selectors import contact_segments_cache_key
from tests.accounts.factories import StaffUserFactory
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.personalization.factories import (
    ContentBlockFactory,
    ProductRestrictionFactory,
)
from tests.shop.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls"), pytest.mark.usefixtures("category_tree")]

FRIDAY = DeliveryMoment(departure_date=NOW.date(), delivery_date=NOW.date().replace(day=27))
BANNER = 'data-testid="preview-banner"'


@pytest.fixture
def blocks(dealers):
    ContentBlockFactory(headline="Dealer days", include_segments=[dealers], priority=5)
    ContentBlockFactory(headline="Welcome to our shop", fallback=True)


@pytest.fixture
def marketer_client(client, marketer):
    client.force_login(marketer)
    return client


def _start(client, **data):
    return client.post("/preview/", data)


class PreviewPermissionTests:
    def test_anonymous_users_are_sent_to_the_admin_login(self, client, shop_data):
        response = client.get("/preview/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
        assert client.post("/preview/", {"kind": "anonymous"}).status_code == 302
        assert PREVIEW_SESSION_KEY not in client.session

    @pytest.mark.parametrize("who", ["buyer", "staff_without_marketing"])
    def test_non_marketers_get_403(self, client, shop_data, dealers, who):
        user = shop_data["buyer_a"] if who == "buyer" else StaffUserFactory()
        client.force_login(user)
        assert client.get(f"/preview/?segment={dealers.pk}").status_code == 403
        assert client.post("/preview/", {"kind": "segment", "segment": dealers.pk}).status_code == 403
        assert PREVIEW_SESSION_KEY not in client.session

    def test_a_preview_in_a_non_marketers_session_is_ignored(self, client, shop_data, dealers, blocks):
        client.force_login(shop_data["buyer_b"])
        session = client.session
        session[PREVIEW_SESSION_KEY] = {"kind": "segment", "id": dealers.pk}
        session.save()
        html = client.get("/").content.decode()
        assert BANNER not in html and "Dealer days" not in html and "Welcome to our shop" in html

    def test_a_marketer_who_loses_the_role_sees_the_real_shop(self, marketer_client, marketer, dealers, blocks):
        _start(marketer_client, kind="segment", segment=dealers.pk)
        assert "Dealer days" in marketer_client.get("/").content.decode()
        marketer.groups.remove(Group.objects.get(name="Marketing"))
        html = marketer_client.get("/").content.decode()
        assert BANNER not in html and "Dealer days" not in html

    def test_superusers_may_preview(self, client, superuser, dealers, blocks):
        client.force_login(superuser)
        assert client.get("/preview/").status_code == 200
        _start(client, kind="segment", segment=dealers.pk)
        assert "Dealer days" in client.get("/").content.decode()


class SegmentPreviewTests:
    def test_the_start_page_preselects_the_segment(self, marketer_client, dealers):
        html = marketer_client.get(f"/preview/?segment={dealers.pk}").content.decode()
        assert f'<option value="{dealers.pk}" selected>Dealers' in html
        assert "csrfmiddlewaretoken" in html

    def test_viewing_as_a_segment_shows_its_banner_and_the_preview_banner(self, marketer_client, dealers, blocks):
        response = _start(marketer_client, kind="segment", segment=dealers.pk)
        assert response.status_code == 302 and response["Location"] == "/"
        html = marketer_client.get("/").content.decode()
        assert BANNER in html and "Viewing as members of segment “Dealers”" in html
        assert "Dealer days" in html and "Welcome to our shop" not in html
        assert "Leave preview" in html

    def test_restricted_assortment_follows_the_previewed_segment(self, marketer_client, shop_data, dealers):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        assert marketer_client.get("/p/TULIP-YEL/").status_code == 404
        _start(marketer_client, kind="segment", segment=dealers.pk)
        assert marketer_client.get("/p/TULIP-YEL/").status_code == 200
        _start(marketer_client, kind="anonymous")
        assert marketer_client.get("/p/TULIP-YEL/").status_code == 404

    def test_the_cart_and_checkout_placements_can_be_previewed(self, marketer_client, dealers):
        ContentBlockFactory(headline="Dealer cart tip", placement=ContentBlock.Placement.CART, include_segments=[dealers])
        ContentBlockFactory(headline="Dealer invoice", placement=ContentBlock.Placement.CHECKOUT, include_segments=[dealers])
        assert marketer_client.get("/cart/").status_code == 403  # staff cannot buy, outside a preview
        _start(marketer_client, kind="segment", segment=dealers.pk)
        cart = marketer_client.get("/cart/")
        checkout = marketer_client.get("/checkout/")
        assert cart.status_code == 200 and "Dealer cart tip" in cart.content.decode()
        assert checkout.status_code == 200 and "Dealer invoice" in checkout.content.decode()
        assert "Place order" not in checkout.content.decode()

    def test_leaving_the_preview(self, marketer_client, dealers, blocks):
        _start(marketer_client, kind="segment", segment=dealers.pk)
        response = marketer_client.post("/preview/stop/", {"next": "/"})
        assert response.status_code == 302 and response["Location"] == "/"
        assert PREVIEW_SESSION_KEY not in marketer_client.session
        assert BANNER not in marketer_client.get("/").content.decode()

    def test_a_deleted_segment_ends_the_preview_without_an_error(self, marketer_client, dealers, blocks):
        _start(marketer_client, kind="segment", segment=dealers.pk)
        SegmentMembership.objects.filter(segment=dealers).delete()
        dealers.delete()
        response = marketer_client.get("/")
        assert response.status_code == 200 and BANNER not in response.content.decode()

    @pytest.mark.parametrize(
        "data",
        [{"kind": "segment", "segment": "987654"}, {"kind": "segment", "segment": "x"}, {"kind": "segment"},
         {"kind": "contact", "contact": "nobody@example.com"}, {"kind": "contact", "contact": ""}, {"kind": "boss"}],
    )
    def test_bad_choices_are_400_and_start_nothing(self, marketer_client, shop_data, data):
        response = _start(marketer_client, **data)
        assert response.status_code == 400 and 'data-testid="preview-error"' in response.content.decode()
        assert PREVIEW_SESSION_KEY not in marketer_client.session


class ContactPreviewTests:
    def test_viewing_as_a_contact_shows_their_blocks_moment_prices_and_cart_read_only(
        self, marketer_client, shop_data, dealers, blocks
    ):
        shop_data["company_a"].departure_weekdays = "mon"
        shop_data["company_a"].save()
        _start(marketer_client, kind="contact", contact="ANNA@a.example")
        home = marketer_client.get("/").content.decode()
        assert "Viewing as contact anna@a.example" in home and "Dealer days" in home
        assert 'data-testid="delivery-date">Tue 1 Dec<' in home  # company A departs on Mondays
        category = marketer_client.get("/c/roses/").content.decode()
        assert "€ 8.40" in category  # company A's price
        assert 'action="/cart/lines/"' not in category  # no buying in a preview

    def test_the_contacts_cart_is_shown_read_only_with_restricted_lines_marked(self, marketer_client, shop_data, dealers):
        buyer = shop_data["buyer_b"]
        cart_moment_set(contact=buyer, moment=FRIDAY, now=NOW)
        cart_line_set(contact=buyer, product=shop_data["tulip"], quantity=10, now=NOW)
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        _start(marketer_client, kind="contact", contact=str(buyer.pk))
        html = marketer_client.get("/cart/").content.decode()
        assert 'data-sku="TULIP-YEL" data-restricted="1"' in html
        assert "No longer in your assortment" in html
        assert 'action="/cart/lines/"' not in html and 'href="/checkout/"' not in html

    def test_a_contact_preview_never_writes(self, marketer_client, shop_data, dealers, blocks):
        buyer = shop_data["buyer_a"]
        cart_moment_set(contact=buyer, moment=FRIDAY, now=NOW)
        cart_line_set(contact=buyer, product=shop_data["rose"], quantity=5, now=NOW)
        order = OrderFactory(company=shop_data["company_a"], contact=buyer)
        OrderLineFactory(order=order, product=shop_data["tulip"], quantity=10)
        _start(marketer_client, kind="contact", contact=buyer.email)
        cache.clear()
        before = (
            list(Cart.objects.values_list("pk", "status", "departure_date", "delivery_date", "updated_at")),
            list(CartLine.objects.values_list("pk", "quantity")), Order.objects.count(),
            SegmentMembership.objects.count(),
        )
        last_login = type(buyer).objects.get(pk=buyer.pk).last_login

        with CaptureQueriesContext(connection) as reads:
            for url in ["/", "/c/flowers/", "/p/ROSE-RED/", "/search/?q=rose", "/cart/", "/checkout/",
                        "/api/shop/content/?placement=home_hero"]:
                assert marketer_client.get(url).status_code == 200, url
            # Choosing a moment in a preview is the marketer's own (session) choice, not the contact's cart's.
            assert marketer_client.post("/delivery-moment/", {"moment": "2026-11-30_2026-12-01"}).status_code == 302
            assert 'data-testid="delivery-date">Tue 1 Dec<' in marketer_client.get("/").content.decode()
        writes = [
            query["sql"] for query in reads.captured_queries
            if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and "django_session" not in query["sql"]
        ]
        assert writes == []

        refused = [
            marketer_client.post("/cart/lines/", {"product": shop_data["tulip"].pk, "quantity": 10, "add": "1"}),
            marketer_client.post("/cart/lines/", {"product": shop_data["rose"].pk, "quantity": 0}),
            marketer_client.post("/quick-order/", {"lines": "ROSE-RED 10"}),
            marketer_client.post("/checkout/"),
            marketer_client.post(f"/orders/{order.pk}/reorder/"),
            marketer_client.get("/orders/"),
            marketer_client.get(f"/orders/{order.pk}/"),
        ]
        assert [response.status_code for response in refused] == [403] * len(refused)
        after = (
            list(Cart.objects.values_list("pk", "status", "departure_date", "delivery_date", "updated_at")),
            list(CartLine.objects.values_list("pk", "quantity")), Order.objects.count(),
            SegmentMembership.objects.count(),
        )
        assert after == before
        assert type(buyer).objects.get(pk=buyer.pk).last_login == last_login
        assert cache.get(contact_segments_cache_key(buyer.pk)) is None  # not even the segment cache was filled
        assert "_auth_user_id" in marketer_client.session
        assert int(marketer_client.session["_auth_user_id"]) != buyer.pk


class AnonymousPreviewTests:
    def test_viewing_as_an_anonymous_visitor_shows_the_fallback(self, marketer_client, blocks):
        _start(marketer_client, kind="anonymous")
        html = marketer_client.get("/").content.decode()
        assert "Viewing as an anonymous visitor" in html
        assert "Welcome to our shop" in html and "Dealer days" not in html


class AdminLinkTests:
    def test_the_segment_change_page_links_to_its_preview(self, client, superuser, dealers):
        client.force_login(superuser)
        html = client.get(f"/admin/segments/segment/{dealers.pk}/change/").content.decode()
        assert f'href="/preview/?segment={dealers.pk}"' in html

    def test_the_content_block_page_links_to_the_preview_of_its_segments(self, client, superuser, dealers):
        block = ContentBlockFactory(headline="Dealer days", include_segments=[dealers])
        client.force_login(superuser)
        html = client.get(f"/admin/personalization/contentblock/{block.pk}/change/").content.decode()
        assert f'href="/preview/?segment={dealers.pk}"' in html

    def test_the_contact_change_page_links_to_the_preview_as_that_contact(self, client, superuser, shop_data):
        buyer = shop_data["buyer_a"]
        client.force_login(superuser)
        html = client.get(f"/admin/accounts/contact/{buyer.pk}/change/").content.decode()
        assert f'href="/preview/?contact={buyer.pk}"' in html
