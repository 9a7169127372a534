"""Segment membership on the shop pages: banners per placement, hidden categories, segment assortments."""

import pytest

from personalization.models import ContentBlock
from tests.personalization.factories import CategoryRestrictionFactory, ContentBlockFactory, ProductRestrictionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls"), pytest.mark.usefixtures("category_tree")]


class ShopBannerTests:
    def test_members_see_their_segment_banner_and_others_the_fallback(self, client, shop_data, dealers):
        ContentBlockFactory(headline="Dealer days: 10% off trolleys", include_segments=[dealers], priority=5)
        ContentBlockFactory(headline="Welcome to our shop", fallback=True)

        client.force_login(shop_data["buyer_a"])
        member_page = client.get("/").content.decode()
        client.force_login(shop_data["buyer_b"])
        other_page = client.get("/").content.decode()
        client.logout()
        anonymous_page = client.get("/").content.decode()

        assert "Dealer days" in member_page and "Welcome to our shop" not in member_page
        assert "Welcome to our shop" in other_page and "Dealer days" not in other_page
        assert "Welcome to our shop" in anonymous_page

    def test_category_banner_shows_on_its_category(self, client, shop_data):
        ContentBlockFactory(
            headline="Roses of the week", placement=ContentBlock.Placement.CATEGORY_TOP, category=shop_data["roses"]
        )
        assert "Roses of the week" in client.get("/c/roses/").content.decode()
        assert "Roses of the week" not in client.get("/").content.decode()


class SegmentAssortmentTests:
    def test_a_hidden_category_is_gone_from_navigation_and_its_url_is_404(self, client, shop_data, dealers):
        CategoryRestrictionFactory(category=shop_data["roses"], include_segments=[dealers])

        client.force_login(shop_data["buyer_b"])
        assert client.get("/c/roses/").status_code == 404
        assert client.get("/p/ROSE-RED/").status_code == 404
        page = client.get("/c/flowers/?all=1").content.decode()
        assert "Red Naomi rose" not in page and 'href="/c/roses/"' not in page
        assert "Red Naomi rose" not in client.get("/search/?q=naomi").content.decode()

        client.force_login(shop_data["buyer_a"])
        assert client.get("/c/roses/").status_code == 200
        assert client.get("/p/ROSE-RED/").status_code == 200

    def test_a_restricted_product_is_invisible_outside_its_segments(self, client, shop_data, dealers):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        assert client.get("/p/TULIP-YEL/").status_code == 404
        assert "Yellow tulip" not in client.get("/search/?q=tulip").content.decode()
        client.force_login(shop_data["buyer_a"])
        assert client.get("/p/TULIP-YEL/").status_code == 200
        assert "Yellow tulip" in client.get("/search/?q=tulip").content.decode()
