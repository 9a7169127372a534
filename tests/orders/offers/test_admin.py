"""The offers admin: the Marketing group manages promotions, shipping and payment rules; the insight page and CSV."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.offer_models import Promotion, ShippingRule
from orders.services import order_place
from tests.accounts.factories import ContactFactory
from tests.admin_support import page_query_count
from tests.catalog.factories import ProductFactory
from tests.orders.offers.factories import (
    PaymentMethodRuleFactory,
    PromotionFactory,
    ShippingRuleFactory,
)
from tests.orders.offers.support import NOW, cart_for, member_of
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def _promotion_form(**fields) -> dict:
    data = {
        "name": "Spring", "kind": "percentage", "scope": "order", "percentage": "10", "priority": "0",
        "is_active": "on", "tiers-TOTAL_FORMS": "0", "tiers-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


class OffersAdminTests:
    def test_the_marketing_group_may_manage_offers(self, marketer):
        for codename in ("add_promotion", "change_promotion", "delete_promotion", "add_promotiontier",
                         "add_shippingrule", "add_shippingband", "add_paymentmethodrule", "view_promotionredemption"):
            assert marketer.has_perm(f"orders.{codename}"), codename
        assert not marketer.has_perm("orders.change_promotionredemption")

    @pytest.mark.parametrize(
        "name",
        ["orders_promotion", "orders_shippingrule", "orders_paymentmethodrule", "orders_productshippingweight",
         "orders_promotionredemption"],
    )
    def test_the_pages_render_for_a_marketer(self, client, marketer, name):
        client.force_login(marketer)
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
        if name != "orders_promotionredemption":
            assert client.get(reverse(f"admin:{name}_add")).status_code == 200

    def test_the_promotion_list_costs_the_same_for_5_or_25_promotions(self, client, marketer):
        client.force_login(marketer)
        segment = SegmentFactory()
        url = reverse("admin:orders_promotion_changelist")
        PromotionFactory.create_batch(5, include_segments=[segment])
        few = page_query_count(client, url)
        PromotionFactory.create_batch(20, include_segments=[segment], exclude_segments=[SegmentFactory()])
        assert page_query_count(client, url) == few

    def test_a_marketer_adds_a_promotion_with_a_normalised_code(self, client, marketer):
        client.force_login(marketer)
        response = client.post(reverse("admin:orders_promotion_add"), _promotion_form(coupon_code=" spring10 "))
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert Promotion.objects.get().coupon_code == "SPRING10"

    def test_missing_fields_of_the_kind_are_named(self, client, marketer):
        client.force_login(marketer)
        response = client.post(
            reverse("admin:orders_promotion_add"), _promotion_form(kind="free_product", percentage="")
        )
        errors = response.context["adminform"].form.errors
        assert set(errors) >= {"free_product", "buy_quantity", "free_quantity"}
        assert not Promotion.objects.exists()

    def test_a_tiered_price_needs_a_tier(self, client, marketer):
        client.force_login(marketer)
        product = ProductFactory()
        response = client.post(
            reverse("admin:orders_promotion_add"),
            _promotion_form(kind="tiered_price", scope="products", products=[product.pk], percentage=""),
        )
        assert response.status_code == 200
        assert "needs at least one tier" in response.content.decode()
        tiers = {"tiers-TOTAL_FORMS": "1", "tiers-0-min_quantity": "50", "tiers-0-unit_price": "0.80"}
        response = client.post(
            reverse("admin:orders_promotion_add"),
            _promotion_form(kind="tiered_price", scope="products", products=[product.pk], percentage="", **tiers),
        )
        assert response.status_code == 302
        assert Promotion.objects.get().tiers.get().unit_price == Decimal("0.80")

    def test_shipping_countries_are_checked_and_normalised(self, client, marketer):
        client.force_login(marketer)
        data = {"name": "Belgium", "countries": "be, lu", "kind": "per_order", "cost": "24.50", "priority": "0",
                "is_active": "on", "bands-TOTAL_FORMS": "0", "bands-INITIAL_FORMS": "0"}
        assert client.post(reverse("admin:orders_shippingrule_add"), data).status_code == 302
        assert ShippingRule.objects.get().countries == "BE,LU"
        bad = client.post(reverse("admin:orders_shippingrule_add"), {**data, "countries": "BE,XX"})
        assert "unknown country code(s): XX" in bad.content.decode()
        table = client.post(reverse("admin:orders_shippingrule_add"), {**data, "kind": "value_bands"})
        assert "needs at least one band" in table.content.decode()


class PromotionInsightTests:
    def test_orders_revenue_and_discount_per_promotion_and_segment_with_csv(self, client, marketer, settings):
        champions = SegmentFactory(name="Champions")
        promotion = PromotionFactory(name="Champions 10%", percentage=Decimal(10), include_segments=[champions])
        PromotionFactory(name="Unused", include_segments=[SegmentFactory()])
        for price in ("100.00", "50.00"):
            contact = ContactFactory()
            member_of(contact, champions)
            cart_for(contact, (ProductFactory(list_price=Decimal(price)), 1))
            order_place(contact=contact, now=NOW)
        ShippingRuleFactory()
        PaymentMethodRuleFactory()
        client.force_login(marketer)

        page = client.get(reverse("admin:orders_promotion_insight"))
        download = client.get(reverse("admin:orders_promotion_insight"), {"format": "csv"})

        assert page.status_code == 200
        assert "Champions 10%" in page.content.decode()
        rows = list(csv.reader(io.StringIO(download.content.decode())))
        # 100.00 - 10.00 and 50.00 - 5.00: revenue 135.00, discount 15.00, for all buyers and for the champions
        assert rows[1:] == [
            [str(promotion.pk), "Champions 10%", "All buyers", "2", "135.00", "15.00"],
            [str(promotion.pk), "Champions 10%", "Champions", "2", "135.00", "15.00"],
            [str(Promotion.objects.get(name="Unused").pk), "Unused", "All buyers", "0", "0.00", "0.00"],
        ]
        assert download["Content-Disposition"] == 'attachment; filename="promotion-insight.csv"'

    def test_staff_without_permission_cannot_see_it(self, client):
        from tests.accounts.factories import StaffUserFactory

        client.force_login(StaffUserFactory())
        assert client.get(reverse("admin:orders_promotion_insight")).status_code == 403
