from datetime import date
from decimal import Decimal

import pytest

from catalog.models import Price
from tests.accounts.factories import CompanyFactory
from tests.catalog.factories import ProductFactory
from tests.integrations.erp.files import counts_of, csv_text, errors_of

HEADER = "price_group,company_erp_id,sku,price,valid_from,valid_until"


@pytest.fixture
def catalog(db):
    return CompanyFactory(erp_id="000123"), ProductFactory(sku="R-1")


@pytest.mark.django_db
class PriceImportTests:
    def test_imports_company_and_price_group_prices(self, run_import, catalog):
        company, product = catalog
        run = run_import("prices", csv_text(HEADER, ",000123,R-1,9.50,2025-01-01,2025-12-31", "gold,,R-1,9.75,,"))
        assert run.failed == 0
        company_price = Price.objects.get(company=company)
        assert (company_price.product, company_price.price, company_price.price_group) == (product, Decimal("9.50"), "")
        assert (company_price.valid_from, company_price.valid_until) == (date(2025, 1, 1), date(2025, 12, 31))
        group_price = Price.objects.get(price_group="gold")
        assert (group_price.company, group_price.valid_from) == (None, None)

    def test_a_file_with_only_a_price_group_column(self, run_import, catalog):
        run = run_import("prices", csv_text("price_group,sku,price", "gold,R-1,9"))
        assert run.created == 1

    def test_a_file_without_either_owner_column_fails(self, run_import, catalog):
        from integrations.erp.exceptions import ErpImportFileError

        with pytest.raises(ErpImportFileError, match="misses the column price_group or company_erp_id"):
            run_import("prices", csv_text("sku,price", "R-1,9"))

    def test_both_or_neither_owner_is_a_row_error(self, run_import, catalog):
        run = run_import("prices", csv_text(HEADER, "gold,000123,R-1,9,,", ",,R-1,9,,"))
        assert errors_of(run) == [
            (2, "company_erp_id", "give either a company_erp_id or a price_group, not both"),
            (3, "company_erp_id", "give a company_erp_id or a price_group"),
        ]

    def test_an_unknown_company_or_sku_is_a_row_error(self, run_import, catalog):
        run = run_import("prices", csv_text(HEADER, ",000999,R-1,9,,", "gold,,NOPE,9,,"))
        assert errors_of(run) == [
            (2, "company_erp_id", "no company with ERP id '000999'; import the companies first"),
            (3, "sku", "no product with SKU 'NOPE'; import the products first"),
        ]

    def test_a_negative_price_is_a_row_error(self, run_import, catalog):
        run = run_import("prices", csv_text(HEADER, "gold,,R-1,-0.01,,"))
        assert errors_of(run) == [(2, "price", "must not be negative")]

    def test_prices_with_another_start_date_are_other_prices(self, run_import, catalog):
        run = run_import(
            "prices", csv_text(HEADER, "gold,,R-1,9,2025-01-01,", "gold,,R-1,8,2025-07-01,", "gold,,R-1,10,,")
        )
        assert run.created == 3

    def test_the_same_key_twice_reports_the_later_row(self, run_import, catalog):
        run = run_import("prices", csv_text(HEADER, "gold,,R-1,9,2025-01-01,", "gold,,R-1,8,2025-01-01,"))
        assert [(line, column) for line, column, _message in errors_of(run)] == [
            (3, "company_erp_id / price_group / sku / valid_from")
        ]
        assert Price.objects.get().price == Decimal("9")

    def test_importing_the_same_file_again_changes_nothing_and_a_new_price_updates(self, run_import, catalog):
        content = csv_text(HEADER, ",000123,R-1,9.50,2025-01-01,", "gold,,R-1,9.75,,")
        run_import("prices", content)
        assert counts_of(run_import("prices", content))["unchanged"] == 2
        changed = run_import("prices", content.replace("9.75", "9.70"))
        assert (changed.updated, changed.unchanged) == (1, 1)
        assert Price.objects.get(price_group="gold").price == Decimal("9.70")
