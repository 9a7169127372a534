"""GET /api/shop/content/?placement=: the content blocks for the calling visitor."""

import datetime

import pytest
from django.core.cache import cache

from catalog.services import category_tree_rebuild
from personalization.models import ContentBlock
from tests.personalization.factories import (
    CategoryRestrictionFactory,
    ContentBlockFactory,
    ProductRestrictionFactory,
)
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory
from tests.shop.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]

URL = "/api/shop/content/"


@pytest.fixture(autouse=True)
def _category_tree(shop_data):
    category_tree_rebuild()


@pytest.fixture
def segments(shop_data):
    """Company A's buyer is a dealer, company B's buyer a florist."""
    dealers = SegmentFactory(slug="dealers", name="Dealers")
    florists = SegmentFactory(slug="florists", name="Florists")
    SegmentMembershipFactory(segment=dealers, contact=shop_data["buyer_a"])
    SegmentMembershipFactory(segment=florists, contact=shop_data["buyer_b"])
    cache.clear()
    return {"dealers": dealers, "florists": florists}


@pytest.fixture
def hero_blocks(segments):
    return {
        "dealers": ContentBlockFactory(headline="Dealer days", include_segments=[segments["dealers"]], priority=5),
        "florists": ContentBlockFactory(headline="Florist week", include_segments=[segments["florists"]], priority=5),
        "fallback": ContentBlockFactory(headline="Welcome", fallback=True),
    }


def _headlines(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [block["headline"] for block in response.json()["blocks"]]


class ContentApiTests:
    def test_anonymous_visitors_get_the_blocks_for_everyone_or_the_fallback(self, client, hero_blocks):
        body = client.get(URL, {"placement": "home_hero"}).json()
        assert body["placement"] == "home_hero"
        assert [block["headline"] for block in body["blocks"]] == ["Welcome"]
        assert body["blocks"][0]["is_fallback"] is True
        assert set(body["blocks"][0]) == {
            "id", "placement", "kind", "headline", "text", "image_url", "link_url", "is_fallback", "products",
        }

    def test_each_buyer_gets_only_their_own_segments_blocks(self, client, shop_data, hero_blocks):
        client.force_login(shop_data["buyer_a"])
        assert _headlines(client.get(URL, {"placement": "home_hero"})) == ["Dealer days"]
        client.force_login(shop_data["buyer_b"])
        assert _headlines(client.get(URL, {"placement": "home_hero"})) == ["Florist week"]

    def test_no_parameter_chooses_another_visitor(self, client, shop_data, segments, hero_blocks):
        client.force_login(shop_data["buyer_b"])
        for extra in ({"contact": shop_data["buyer_a"].pk}, {"segment": segments["dealers"].pk},
                      {"company": shop_data["company_a"].pk}):
            assert _headlines(client.get(URL, {"placement": "home_hero", **extra})) == ["Florist week"]

    def test_each_placement_answers_its_own_blocks(self, client, hero_blocks):
        ContentBlockFactory(headline="Cart tip", placement=ContentBlock.Placement.CART)
        ContentBlockFactory(headline="Checkout note", placement=ContentBlock.Placement.CHECKOUT)
        assert _headlines(client.get(URL, {"placement": "cart"})) == ["Cart tip"]
        assert _headlines(client.get(URL, {"placement": "checkout"})) == ["Checkout note"]
        assert _headlines(client.get(URL, {"placement": "product_list"})) == []

    def test_schedule_and_priority_apply(self, client):
        ContentBlockFactory(headline="Low", placement="cart", priority=1)
        ContentBlockFactory(headline="Expired", placement="cart", priority=9, ends_at=NOW - datetime.timedelta(seconds=1))
        ContentBlockFactory(headline="High", placement="cart", priority=5)
        assert _headlines(client.get(URL, {"placement": "cart"})) == ["High"]

    def test_category_and_product_scope(self, client, shop_data):
        ContentBlockFactory(headline="Roses only", placement="category_top", category=shop_data["roses"])
        ContentBlockFactory(headline="Rose page", placement="product_detail", product=shop_data["rose"])
        assert _headlines(client.get(URL, {"placement": "category_top"})) == []
        assert _headlines(client.get(URL, {"placement": "category_top", "category": "roses"})) == ["Roses only"]
        assert _headlines(client.get(URL, {"placement": "product_detail", "product": "ROSE-RED"})) == ["Rose page"]
        assert _headlines(client.get(URL, {"placement": "product_detail", "product": "TULIP-YEL"})) == []

    def test_a_carousel_lists_only_products_the_visitor_may_see(self, client, shop_data, segments):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[segments["dealers"]])
        ContentBlockFactory(headline="Picks", placement="product_list", carousel=True,
                            products=[shop_data["rose"], shop_data["tulip"]])
        block = client.get(URL, {"placement": "product_list"}).json()["blocks"][0]
        assert [product["sku"] for product in block["products"]] == ["ROSE-RED"]
        client.force_login(shop_data["buyer_a"])
        block = client.get(URL, {"placement": "product_list"}).json()["blocks"][0]
        assert [product["sku"] for product in block["products"]] == ["ROSE-RED", "TULIP-YEL"]

    def test_a_marketer_previewing_a_segment_gets_its_blocks(self, client, marketer, segments, hero_blocks):
        client.force_login(marketer)
        assert _headlines(client.get(URL, {"placement": "home_hero"})) == ["Welcome"]
        client.post("/preview/", {"kind": "segment", "segment": segments["florists"].pk})
        assert _headlines(client.get(URL, {"placement": "home_hero"})) == ["Florist week"]

    @pytest.mark.parametrize(
        "query, path",
        [
            ({}, "/placement"),
            ({"placement": "sidebar"}, "/placement"),
            ({"placement": ""}, "/placement"),
            ({"placement": "home_hero\x00"}, "/placement"),
            ({"placement": "home_hero", "category": "nope"}, "/category"),
            ({"placement": "home_hero", "category": "no spaces"}, "/category"),
            ({"placement": "home_hero", "product": "NOPE"}, "/product"),
            ({"placement": "home_hero", "product": "X" * 65}, "/product"),
        ],
    )
    def test_bad_input_is_400_in_the_error_shape(self, client, shop_data, query, path):
        response = client.get(URL, query)
        assert response.status_code == 400
        body = response.json()
        assert body["message"] and body["errors"][0]["path"] == path

    def test_hidden_category_and_invisible_product_are_unknown_to_outsiders(self, client, shop_data, segments):
        CategoryRestrictionFactory(category=shop_data["roses"], include_segments=[segments["dealers"]])
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[segments["dealers"]])
        client.force_login(shop_data["buyer_b"])
        assert client.get(URL, {"placement": "category_top", "category": "roses"}).status_code == 400
        assert client.get(URL, {"placement": "product_detail", "product": "TULIP-YEL"}).status_code == 400
        client.force_login(shop_data["buyer_a"])
        assert client.get(URL, {"placement": "category_top", "category": "roses"}).status_code == 200
        assert client.get(URL, {"placement": "product_detail", "product": "TULIP-YEL"}).status_code == 200


class ProductApiRestrictionTests:
    def test_the_product_api_hides_restricted_products_and_categories(self, client, shop_data, segments):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[segments["dealers"]])
        CategoryRestrictionFactory(category=shop_data["roses"], include_segments=[segments["dealers"]])
        client.force_login(shop_data["buyer_b"])
        assert [row["sku"] for row in client.get("/api/shop/products/").json()["results"]] == []
        assert client.get("/api/shop/products/?category=roses").status_code == 400
        client.force_login(shop_data["buyer_a"])
        assert [row["sku"] for row in client.get("/api/shop/products/").json()["results"]] == ["ROSE-RED", "TULIP-YEL"]


def test_schema_documents_the_content_endpoint(client, db):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    parameters = {parameter["name"]: parameter for parameter in paths["/api/shop/content/"]["get"]["parameters"]}
    assert parameters["placement"]["required"] is True
    assert set(parameters["placement"]["schema"]["enum"]) == set(ContentBlock.Placement.values)
