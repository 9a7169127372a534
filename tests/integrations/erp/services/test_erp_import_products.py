from datetime import date
from decimal import Decimal

import pytest

from catalog.models import Product
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.integrations.erp.files import counts_of, csv_text, errors_of

HEADER = (
    "sku,name,category_slug,list_price,unit,available_from,available_until,available_weekdays,"
    "lead_time_days,min_order_quantity,is_active"
)


@pytest.fixture
def roses(db):
    return CategoryFactory(slug="roses")


@pytest.mark.django_db
class ProductImportTests:
    def test_imports_every_column_with_its_type(self, run_import, roses):
        run = run_import(
            "products", csv_text(HEADER, 'R-001,Rose Avalanche,roses,12.95,Bunch,2025-03-01,2025-10-31,"di,vr",2,5,nee')
        )
        assert run.failed == 0
        product = Product.objects.get()
        assert (product.sku, product.name, product.category, product.list_price) == (
            "R-001",
            "Rose Avalanche",
            roses,
            Decimal("12.95"),
        )
        assert (product.unit, product.available_from, product.available_until) == (
            "bunch",
            date(2025, 3, 1),
            date(2025, 10, 31),
        )
        assert (product.available_weekdays, product.lead_time_days, product.min_order_quantity, product.is_active) == (
            "tue,fri",
            2,
            5,
            False,
        )

    def test_empty_cells_take_the_defaults(self, run_import, roses):
        run_import("products", csv_text(HEADER, "R-001,Rose,roses,1,,,,,,,"))
        product = Product.objects.get()
        assert (product.unit, product.lead_time_days, product.min_order_quantity, product.is_active) == (
            "piece",
            0,
            1,
            True,
        )
        assert (product.available_from, product.available_until, product.available_weekdays) == (None, None, "")

    def test_an_unknown_category_is_a_row_error(self, run_import, roses):
        run = run_import("products", csv_text("sku,name,category_slug,list_price", "R-1,Rose,tulips,1"))
        assert errors_of(run) == [(2, "category_slug", "no category with slug 'tulips'; import the categories first")]

    def test_a_negative_price_is_a_row_error(self, run_import, roses):
        run = run_import("products", csv_text("sku,name,category_slug,list_price", "R-1,Rose,roses,-1.00"))
        assert errors_of(run) == [(2, "list_price", "must not be negative")]

    def test_a_minimum_order_quantity_of_0_is_a_row_error(self, run_import, roses):
        run = run_import(
            "products", csv_text("sku,name,category_slug,list_price,min_order_quantity", "R-1,Rose,roses,1,0")
        )
        assert errors_of(run) == [(2, "min_order_quantity", "must be at least 1")]

    def test_an_availability_that_ends_before_it_starts_is_a_row_error(self, run_import, roses):
        run = run_import(
            "products",
            csv_text(
                "sku,name,category_slug,list_price,available_from,available_until",
                "R-1,Rose,roses,1,2025-05-01,2025-04-01",
            ),
        )
        assert errors_of(run) == [(2, "available_until", "is before available_from")]

    def test_importing_the_same_file_again_changes_nothing(self, run_import, roses):
        content = csv_text(HEADER, "R-001,Rose,roses,12.95,tray,2025-03-01,,mon,2,5,1")
        run_import("products", content)
        again = run_import("products", content)
        assert counts_of(again) == {"rows": 1, "created": 0, "updated": 0, "unchanged": 1, "failed": 0}

    def test_a_new_price_updates_the_product(self, run_import, roses):
        ProductFactory(sku="R-1", category=roses, list_price=Decimal("1.00"), name="Rose")
        run = run_import("products", csv_text("sku,name,category_slug,list_price", "R-1,Rose,roses,1.10"))
        assert counts_of(run)["updated"] == 1
        assert Product.objects.get().list_price == Decimal("1.10")
