import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]


class DeliveryMomentListApiTests:
    def test_anonymous_gets_the_generic_moments(self, client, shop_data):
        body = client.get("/api/shop/delivery-moments/").json()
        assert body["company"] is None
        first = body["moments"][0]
        assert (first["departure_date"], first["delivery_date"]) == ("2026-11-26", "2026-11-27")
        assert first["label"] == "between Fri 27 Nov 00:00 and Sun 29 Nov 00:00"
        assert first["block_start"].startswith("2026-11-27T00:00:00")

    def test_buyer_gets_their_companys_moments(self, client, shop_data):
        shop_data["company_a"].departure_weekdays = "mon"
        shop_data["company_a"].save()
        client.force_login(shop_data["buyer_a"])
        body = client.get("/api/shop/delivery-moments/").json()
        assert body["company"] == "Bloemen A"
        assert {moment["departure_date"][:10] for moment in body["moments"][:2]} == {"2026-11-30", "2026-12-07"}

    def test_no_moment_gives_the_reason(self, client, shop_data):
        shop_data["company_a"].departure_weekdays = "sun"
        shop_data["company_a"].save()
        client.force_login(shop_data["buyer_a"])
        body = client.get("/api/shop/delivery-moments/").json()
        assert body["moments"] == [] and "Sunday" in body["message"]


class ShopProductListApiTests:
    def test_anonymous_gets_the_assortment_without_prices(self, client, shop_data):
        body = client.get("/api/shop/products/").json()
        assert [row["sku"] for row in body["results"]] == ["ROSE-RED", "TULIP-YEL"]
        assert {row["price"] for row in body["results"]} == {None}

    def test_buyer_gets_prices_and_the_assortment_of_the_date(self, client, shop_data):
        client.force_login(shop_data["buyer_a"])
        body = client.get("/api/shop/products/?delivery_date=2026-12-01&category=flowers").json()
        assert {row["sku"]: row["price"] for row in body["results"]} == {
            "ROSE-RED": "8.40",
            "PEONY-TUE": "6.00",
            "TULIP-YEL": "3.00",
        }

    def test_category_filter_includes_sub_categories_only(self, client, shop_data):
        body = client.get("/api/shop/products/?category=roses").json()
        assert [row["sku"] for row in body["results"]] == ["ROSE-RED"]

    @pytest.mark.parametrize(
        "query, path",
        [
            ("delivery_date=tomorrow", "/delivery_date"),
            ("delivery_date=2026-11-29", "/delivery_date"),
            ("category=nope", "/category"),
            ("category=%00%01", "/category"),
            ("page=0", "/page"),
            ("delivery_date=99999-01-01", "/delivery_date"),
        ],
    )
    def test_bad_input_is_400_naming_the_field(self, client, shop_data, query, path):
        response = client.get(f"/api/shop/products/?{query}")
        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] == path

    def test_page_past_the_end_is_404_json(self, client, shop_data):
        response = client.get("/api/shop/products/?page=9")
        assert response.status_code == 404 and "message" in response.json()


def test_schema_documents_the_shop_endpoints(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    assert "/api/shop/delivery-moments/" in paths
    assert {p["name"] for p in paths["/api/shop/products/"]["get"]["parameters"]} >= {"delivery_date", "category"}


@pytest.mark.django_db
def test_schema_with_the_shop_endpoints_validates_without_warnings(tmp_path, settings):
    from django.core.management import call_command

    settings.ROOT_URLCONF = "tests.shop.urls"
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/shop/products/" in target.read_text()
