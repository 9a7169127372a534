"""Offers API: the buyer's cart quote (own cart, own segments only) and marketer CRUD for promotions and shipping."""

from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command

from orders.offer_models import PaymentMethod, Promotion, ShippingRule
from tests.accounts.factories import ContactFactory
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.orders.factories import OrderFactory
from tests.orders.offers.factories import (
    PaymentMethodRuleFactory,
    PromotionFactory,
    ShippingBandFactory,
    ShippingRuleFactory,
)
from tests.orders.offers.support import NOW, cart_for, member_of
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

QUOTE_URL = "/api/shop/cart/quote/"


@pytest.fixture
def buyer():
    champions = SegmentFactory(slug="champions")
    contact = ContactFactory()
    member_of(contact, champions)
    cart_for(contact, (ProductFactory(sku="ROSE", list_price=Decimal("20.00")), 5))
    PromotionFactory(name="Champions 10%", percentage=Decimal(10), include_segments=[champions])
    ShippingRuleFactory(name="Netherlands", cost=Decimal("12.50"))
    PaymentMethodRuleFactory(method=PaymentMethod.INVOICE, include_segments=[champions])
    return contact


class CartQuoteApiTests:
    def test_the_buyer_gets_lines_promotions_shipping_payment_and_totals(self, client, buyer):
        client.force_login(buyer)
        body = client.get(QUOTE_URL).json()
        [line] = body["lines"]
        assert (line["sku"], line["quantity"], line["base_amount"], line["saving"], line["amount"]) == (
            "ROSE", 5, "100.00", "10.00", "90.00",
        )
        assert line["savings"][0]["name"] == "Champions 10%"
        assert [(p["name"], p["saving"], p["reason"]) for p in body["applied"]] == [("Champions 10%", "10.00", "")]
        assert (body["shipping"]["name"], body["shipping"]["cost"]) == ("Netherlands", "12.50")
        assert [m["value"] for m in body["payment_methods"]] == ["invoice"]
        assert (body["subtotal"], body["discount"], body["goods_total"], body["total"]) == (
            "100.00", "10.00", "90.00", "102.50",
        )
        assert body["delivery_date"] == "2026-11-27"
        assert len(body["version"]) == 16

    def test_anonymous_visitors_and_staff_get_403(self, client, buyer, marketer):
        assert client.get(QUOTE_URL).status_code == 403
        client.force_login(marketer)
        response = client.get(QUOTE_URL)
        assert response.status_code == 403
        assert response.json()["message"] == "Log in with a buyer account to see your cart."

    def test_a_buyer_only_sees_their_own_cart(self, client, buyer):
        colleague = ContactFactory(company=buyer.company)
        client.force_login(colleague)
        body = client.get(QUOTE_URL).json()
        assert (body["lines"], body["total"], body["shipping"]["cost"]) == ([], "0.00", "0.00")

    def test_another_segments_promotion_is_never_shown_or_applied(self, client, buyer):
        outsider = ContactFactory()
        cart_for(outsider, (ProductFactory(list_price=Decimal("20.00")), 5))
        PromotionFactory(name="Secret dealer deal", coupon_code="DEALER", include_segments=[SegmentFactory()])
        client.force_login(outsider)

        plain = client.get(QUOTE_URL)
        with_code = client.get(QUOTE_URL, {"coupon": "dealer"})

        assert plain.json()["applied"] == plain.json()["not_applied"] == []
        assert with_code.json()["applied"] == []
        assert with_code.json()["not_applied"] == [
            {"promotion_id": None, "name": "DEALER", "reason": "not_valid_for_you",
             "message": "This code is not valid for your account.", "saving": "0.00", "coupon_code": "DEALER"}
        ]
        for response in (plain, with_code):
            assert b"Champions 10%" not in response.content
            assert b"Secret dealer deal" not in response.content
        assert with_code.json()["total"] == "112.50"

    def test_bad_input_is_a_400_naming_the_field(self, client, buyer):
        client.force_login(buyer)
        too_long = client.get(QUOTE_URL, {"coupon": "X" * 41})
        unknown = client.get(QUOTE_URL, {"promotion": "1"})
        assert too_long.status_code == unknown.status_code == 400
        assert too_long.json()["errors"][0]["path"] == "/coupon"
        assert unknown.json()["errors"][0]["path"] == "/promotion"


class PromotionApiTests:
    def test_buyers_cannot_manage_promotions(self, client, buyer):
        client.force_login(buyer)
        assert client.get("/api/promotions/").status_code == 403
        assert client.post("/api/promotions/", {}, content_type="application/json").status_code == 403

    def test_a_marketer_creates_reads_changes_and_deletes_a_promotion(self, client, marketer):
        champions = SegmentFactory(slug="champions")
        tulips = CategoryFactory(slug="tulips")
        client.force_login(marketer)

        created = client.post(
            "/api/promotions/",
            {"name": "Tulip tiers", "kind": "tiered_price", "scope": "categories", "categories": ["tulips"],
             "include_segments": ["champions"], "tiers": [{"min_quantity": 100, "unit_price": "0.40"}],
             "coupon_code": "tulip100", "usage_limit_per_company": 3, "ends_at": "2026-12-01T00:00:00+01:00"},
            content_type="application/json",
        )
        assert created.status_code == 201, created.json()
        body = created.json()
        assert (body["coupon_code"], body["categories"], body["include_segments"]) == ("TULIP100", ["tulips"], ["champions"])
        assert body["tiers"] == [{"min_quantity": 100, "unit_price": "0.40"}]
        promotion = Promotion.objects.get()
        assert (promotion.categories.get(), promotion.include_segments.get()) == (tulips, champions)

        changed = client.patch(f"/api/promotions/{promotion.pk}/", {"priority": 7}, content_type="application/json")
        assert changed.status_code == 200
        assert (changed.json()["priority"], changed.json()["tiers"], changed.json()["categories"]) == (
            7, [{"min_quantity": 100, "unit_price": "0.40"}], ["tulips"],
        )
        assert client.get("/api/promotions/").json()["results"][0]["name"] == "Tulip tiers"
        assert client.delete(f"/api/promotions/{promotion.pk}/").status_code == 204
        assert not Promotion.objects.exists()

    def test_missing_kind_fields_are_named(self, client, marketer):
        client.force_login(marketer)
        response = client.post(
            "/api/promotions/", {"name": "Free vase", "kind": "free_product", "scope": "products"},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert {error["path"] for error in response.json()["errors"]} == {
            "/free_product", "/buy_quantity", "/free_quantity", "/products",
        }

    def test_unknown_fields_wrong_types_and_duplicate_codes_are_400(self, client, marketer):
        PromotionFactory(coupon_code="TAKEN")
        client.force_login(marketer)
        for body, path in (
            ({"name": "x", "kind": "percentage", "percentage": "10", "colour": "red"}, "/colour"),
            ({"name": "x", "kind": "percentage", "percentage": "abc"}, "/percentage"),
            ({"name": "x", "kind": "percentage", "percentage": "10", "coupon_code": "taken"}, "/coupon_code"),
            ({"name": "x", "kind": "percentage", "percentage": "10", "include_segments": ["nope"]}, "/include_segments"),
        ):
            response = client.post("/api/promotions/", body, content_type="application/json")
            assert response.status_code == 400, body
            assert path in {error["path"] for error in response.json()["errors"]}, response.json()
        assert client.post("/api/promotions/", "{not json", content_type="application/json").status_code == 400

    @pytest.mark.parametrize(
        ("field", "body"),
        [
            ("usage_limit_per_company", {"kind": "percentage", "percentage": "10"}),
            ("buy_quantity", {"kind": "free_product", "free_quantity": 1}),
            ("free_quantity", {"kind": "free_product", "buy_quantity": 1}),
        ],
    )
    def test_counts_beyond_what_the_database_holds_are_400_not_500(self, client, marketer, field, body):
        """Found by the API fuzzer: 2**31 and more reached PostgreSQL's integer column."""
        client.force_login(marketer)
        promotion = PromotionFactory()
        for too_large in (2**31, 33996283313823563776):
            response = client.post("/api/promotions/", {"name": "x", **body, field: too_large}, content_type="application/json")
            assert response.status_code == 400
            assert f"/{field}" in {error["path"] for error in response.json()["errors"]}
            patched = client.patch(f"/api/promotions/{promotion.pk}/", {field: too_large}, content_type="application/json")
            assert patched.status_code == 400
        tiers = {"name": "x", "kind": "tiered_price", "tiers": [{"min_quantity": 2**31, "unit_price": "1.00"}]}
        assert client.post("/api/promotions/", tiers, content_type="application/json").status_code == 400

    def test_a_used_promotion_cannot_be_deleted(self, client, marketer):
        promotion = PromotionFactory()
        order = OrderFactory()
        promotion.redemptions.create(
            company=order.company, order=order, use_number=1, discount_amount=Decimal("1.00"), redeemed_at=NOW
        )
        client.force_login(marketer)
        response = client.delete(f"/api/promotions/{promotion.pk}/")
        assert response.status_code == 400
        assert "switch it off" in response.json()["message"]


class ShippingRuleApiTests:
    def test_a_marketer_creates_and_changes_a_band_table(self, client, marketer):
        SegmentFactory(slug="belgium")
        client.force_login(marketer)
        created = client.post(
            "/api/shipping-rules/",
            {"name": "Belgium", "countries": "be, lu", "kind": "value_bands", "free_above": "750.00",
             "include_segments": ["belgium"],
             "bands": [{"from_value": "0", "cost": "29.50"}, {"from_value": "400", "cost": "19.50"}]},
            content_type="application/json",
        )
        assert created.status_code == 201, created.json()
        assert (created.json()["countries"], len(created.json()["bands"])) == ("BE,LU", 2)
        rule = ShippingRule.objects.get()
        changed = client.patch(f"/api/shipping-rules/{rule.pk}/", {"is_overriding": True}, content_type="application/json")
        assert changed.status_code == 200
        assert changed.json()["is_overriding"] is True and len(changed.json()["bands"]) == 2
        assert client.delete(f"/api/shipping-rules/{rule.pk}/").status_code == 204

    def test_unknown_countries_and_a_table_without_bands_are_refused(self, client, marketer):
        client.force_login(marketer)
        response = client.post(
            "/api/shipping-rules/", {"name": "X", "countries": "BE,XX", "kind": "weight_bands"},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert {error["path"] for error in response.json()["errors"]} == {"/countries", "/bands"}

    def test_buyers_cannot_see_shipping_rules(self, client, buyer):
        ShippingBandFactory()
        client.force_login(buyer)
        assert client.get("/api/shipping-rules/").status_code == 403


class OffersSchemaTests:
    def test_the_offer_endpoints_are_in_the_schema(self, tmp_path):
        target = tmp_path / "schema.yml"
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
        paths = yaml.safe_load(target.read_text())["paths"]
        for path in ("/api/shop/cart/quote/", "/api/promotions/", "/api/promotions/{id}/", "/api/shipping-rules/",
                     "/api/shipping-rules/{id}/"):
            assert path in paths, path
