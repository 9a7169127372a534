import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.admin_support import page_query_count
from tests.accounts.factories import CompanyFactory
from tests.catalog.factories import CategoryFactory, PriceFactory, ProductFactory


@pytest.mark.django_db
class CatalogAdminPagesLoadTests:
    @pytest.mark.parametrize("role", ["superuser", "marketer"])
    def test_changelists_and_change_pages_load(self, request, admin_client_for, role):
        client = admin_client_for(request.getfixturevalue(role))
        product = ProductFactory()
        company_price = PriceFactory(product=product, company=CompanyFactory())
        group_price = PriceFactory(product=product, price_group="A")
        urls = [
            reverse("admin:catalog_category_changelist"),
            reverse("admin:catalog_category_change", args=[product.category.pk]),
            reverse("admin:catalog_product_changelist"),
            reverse("admin:catalog_product_change", args=[product.pk]),
            reverse("admin:catalog_price_changelist"),
            reverse("admin:catalog_price_change", args=[company_price.pk]),
            reverse("admin:catalog_price_change", args=[group_price.pk]),
        ]
        for url in urls:
            assert client.get(url).status_code == 200, url

    def test_catalog_rows_cannot_be_added_or_deleted_here(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        product = ProductFactory()
        for url in [
            reverse("admin:catalog_category_add"),
            reverse("admin:catalog_product_add"),
            reverse("admin:catalog_price_add"),
            reverse("admin:catalog_product_delete", args=[product.pk]),
        ]:
            assert client.get(url).status_code == 403, url


@pytest.mark.django_db
class CategoryAdminTests:
    def test_the_tree_is_listed_in_path_order_and_indented_by_depth(self, marketer, admin_client_for):
        plants = CategoryFactory(slug="plants", name="Plants")
        CategoryFactory(slug="roses", name="Roses", parent=CategoryFactory(slug="cut-flowers", name="Cut flowers"))
        CategoryFactory(slug="orchids", name="Orchids", parent=plants)
        response = admin_client_for(marketer).get(reverse("admin:catalog_category_changelist"))
        assert [c.slug for c in response.context["cl"].result_list] == ["cut-flowers", "roses", "plants", "orchids"]
        content = response.content.decode()
        # One indent step per level, as spaces (the CSP forbids style attributes).
        assert ">\u2003\u2002Roses<" in content and ">Cut flowers<" in content
        assert "style=" not in content.split('id="result_list"')[1]

    def test_posting_a_change_alters_the_position_but_no_erp_field(self, superuser, admin_client_for):
        category = CategoryFactory(slug="roses", name="Roses")
        response = admin_client_for(superuser).post(
            reverse("admin:catalog_category_change", args=[category.pk]),
            {"position": "7", "name": "Hacked", "slug": "hacked", "parent": CategoryFactory().pk},
        )
        category.refresh_from_db()
        assert response.status_code == 302
        assert (category.position, category.name, category.slug, category.parent) == (7, "Roses", "roses", None)


@pytest.mark.django_db
class ProductAdminTests:
    def test_posting_a_change_alters_shop_content_but_no_erp_field(self, superuser, admin_client_for):
        product = ProductFactory(sku="R-1", name="Rose Avalanche", list_price=Decimal("10.00"), is_active=True)
        response = admin_client_for(superuser).post(
            reverse("admin:catalog_product_change", args=[product.pk]),
            {
                "description": "White roses from our own greenhouse.",
                "sku": "HACK",
                "name": "Hacked",
                "list_price": "0.01",
                "available_weekdays": "mon",
                "is_active": "",
            },
        )
        product.refresh_from_db()
        assert response.status_code == 302
        assert product.description == "White roses from our own greenhouse."
        assert (product.sku, product.name, product.list_price, product.available_weekdays, product.is_active) == (
            "R-1",
            "Rose Avalanche",
            Decimal("10.00"),
            "",
            True,
        )

    def test_a_marketer_cannot_change_a_product(self, marketer, admin_client_for):
        product = ProductFactory()
        response = admin_client_for(marketer).post(
            reverse("admin:catalog_product_change", args=[product.pk]), {"description": "new"}
        )
        product.refresh_from_db()
        assert response.status_code == 403
        assert product.description == ""

    def test_the_change_page_says_the_erp_manages_the_product(self, superuser, admin_client_for):
        product = ProductFactory()
        content = admin_client_for(superuser).get(reverse("admin:catalog_product_change", args=[product.pk])).content
        assert b"Managed in the ERP" in content
        assert b'name="description"' in content
        assert b'name="list_price"' not in content

    @pytest.mark.parametrize(
        ("availability", "expected"),
        [("current", ["always", "window"]), ("upcoming", ["later"]), ("ended", ["ended"])],
    )
    def test_filter_by_availability_today(self, marketer, admin_client_for, availability, expected):
        today = timezone.localdate()
        day = datetime.timedelta(days=1)
        ProductFactory(sku="always")
        ProductFactory(sku="window", available_from=today - day, available_until=today)
        ProductFactory(sku="later", available_from=today + day)
        ProductFactory(sku="ended", available_until=today - day)
        response = admin_client_for(marketer).get(
            reverse("admin:catalog_product_changelist"), {"availability": availability}
        )
        assert sorted(p.sku for p in response.context["cl"].result_list) == expected

    def test_changelist_query_count_does_not_grow_with_rows(self, marketer, admin_client_for):
        client = admin_client_for(marketer)
        url = reverse("admin:catalog_product_changelist")
        ProductFactory.create_batch(5)
        client.get(url)
        few = page_query_count(client, url)
        ProductFactory.create_batch(20)
        # Each factory product has its own category, and the category filter lists them all in one query.
        assert page_query_count(client, url) == few


@pytest.mark.django_db
class PriceAdminTests:
    def test_prices_are_view_only(self, superuser, admin_client_for):
        price = PriceFactory(company=CompanyFactory(), price=Decimal("8.50"))
        response = admin_client_for(superuser).post(
            reverse("admin:catalog_price_change", args=[price.pk]), {"price": "0.01"}
        )
        price.refresh_from_db()
        assert response.status_code == 403
        assert price.price == Decimal("8.50")

    def test_filter_by_company_or_price_group(self, marketer, admin_client_for):
        company_price = PriceFactory(company=CompanyFactory())
        group_price = PriceFactory(price_group="A")
        client = admin_client_for(marketer)
        url = reverse("admin:catalog_price_changelist")
        assert [p.pk for p in client.get(url, {"kind": "company"}).context["cl"].result_list] == [company_price.pk]
        assert [p.pk for p in client.get(url, {"kind": "price_group"}).context["cl"].result_list] == [group_price.pk]

    def test_search_by_company_erp_id(self, marketer, admin_client_for):
        wanted = PriceFactory(company=CompanyFactory(erp_id="000777"))
        PriceFactory(company=CompanyFactory(erp_id="000888"))
        response = admin_client_for(marketer).get(reverse("admin:catalog_price_changelist"), {"q": "000777"})
        assert [p.pk for p in response.context["cl"].result_list] == [wanted.pk]

    def test_changelist_query_count_does_not_grow_with_rows(self, marketer, admin_client_for):
        client = admin_client_for(marketer)
        url = reverse("admin:catalog_price_changelist")
        for _ in range(5):
            PriceFactory(company=CompanyFactory())
        client.get(url)
        few = page_query_count(client, url)
        for _ in range(20):
            PriceFactory(price_group="A")
        assert page_query_count(client, url) == few
