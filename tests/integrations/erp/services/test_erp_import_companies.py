from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Company, CompanyAttributeDefinition, CompanyAttributeValue
from integrations.models import ImportRun
from tests.accounts.factories import CompanyAttributeDefinitionFactory, CompanyFactory
from tests.integrations.erp.files import counts_of, csv_text, errors_of

HEADER = (
    "erp_id,name,country,region,city,sector,employee_count,customer_group,price_group,credit_limit,"
    "payment_terms_days,customer_since,blocked,account_type,departure_weekdays,transit_days"
)
FULL_ROW = (
    "000123,Bloemenhuis De Tulp,nl,Noord-Holland,Aalsmeer,G,12,retail,gold,2500.50,30,2019-04-01,Ja,dealer,ma;wo,2"
)


@pytest.mark.django_db
class CompanyImportTests:
    def test_imports_every_column_with_its_type(self, run_import):
        run = run_import("companies", csv_text(HEADER, FULL_ROW.replace("ma;wo", '"ma,wo"')))
        assert run.status == ImportRun.Status.SUCCEEDED
        company = Company.objects.get()
        assert company.erp_id == "000123"
        assert (company.name, company.country, company.region, company.city) == (
            "Bloemenhuis De Tulp",
            "NL",
            "Noord-Holland",
            "Aalsmeer",
        )
        assert (company.sector, company.employee_count, company.customer_group, company.price_group) == (
            "G",
            12,
            "retail",
            "gold",
        )
        assert company.credit_limit == Decimal("2500.50")
        assert (company.payment_terms_days, company.customer_since) == (30, date(2019, 4, 1))
        assert (company.blocked, company.account_type) == (True, Company.AccountType.DEALER)
        assert (company.departure_weekdays, company.transit_days) == ("mon,wed", 2)

    def test_the_erp_id_keeps_its_leading_zeros(self, run_import):
        run_import("companies", csv_text("erp_id,name", "000123,A", "123,B"))
        assert sorted(Company.objects.values_list("erp_id", flat=True)) == ["000123", "123"]

    def test_semicolon_file_with_a_decimal_comma(self, run_import):
        run = run_import("companies", csv_text("erp_id;name;credit_limit", "000001;A;1250,75"))
        assert run.failed == 0
        assert Company.objects.get().credit_limit == Decimal("1250.75")

    def test_a_file_with_a_byte_order_mark(self, run_import):
        run_import("companies", ("\ufeff" + csv_text("erp_id,name", "000001,A")).encode("utf-8"))
        assert Company.objects.get().erp_id == "000001"

    def test_empty_cells_take_the_defaults_or_stay_empty(self, run_import):
        run_import("companies", csv_text(HEADER, "000001,A,,,,,,,,,,,,,,"))
        company = Company.objects.get()
        assert (company.blocked, company.account_type, company.transit_days) == (False, "customer", 1)
        assert (company.country, company.departure_weekdays) == ("", "")
        assert (company.employee_count, company.credit_limit, company.customer_since) == (None, None, None)

    @pytest.mark.parametrize(
        ("column", "value", "message"),
        [
            ("country", "XX", "unknown country code 'XX'; use an ISO 3166-1 alpha-2 code such as NL or BE"),
            ("blocked", "maybe", "'maybe' is not a yes/no value; use true/false, 1/0, yes/no or ja/nee"),
            ("customer_since", "01-04-2019", "'01-04-2019' is not a date; write dates as YYYY-MM-DD, e.g. 2024-12-31"),
            ("credit_limit", "-5", "must not be negative"),
            ("employee_count", "-1", "must not be negative"),
            ("account_type", "supplier", "'supplier' is not allowed; use one of customer, prospect, dealer"),
            ("departure_weekdays", "someday", "unknown weekday 'someday'; use mon, tue, wed, thu, fri, sat, sun"),
        ],
    )
    def test_a_bad_cell_is_a_row_error_and_the_row_is_not_imported(self, run_import, column, value, message):
        run = run_import("companies", csv_text(f"erp_id,name,{column}", "000001,Good,", f"000002,Bad,{value}"))
        assert errors_of(run) == [(3, column, message)]
        assert run.errors[0]["value"] == value
        assert list(Company.objects.values_list("erp_id", flat=True)) == ["000001"]

    def test_a_missing_name_is_a_row_error(self, run_import):
        run = run_import("companies", csv_text("erp_id,name", "000001,"))
        assert errors_of(run) == [(2, "name", "a value is required")]

    def test_importing_the_same_file_again_changes_nothing(self, run_import):
        content = csv_text(
            HEADER + ",attr.tier", FULL_ROW.replace("ma;wo", "mon") + ",gold", "000124,Other,BE,,,,,,,,,,,,,,"
        )
        first = run_import("companies", content)
        second = run_import("companies", content)
        assert counts_of(first) == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "failed": 0}
        assert counts_of(second) == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "failed": 0}

    def test_a_changed_value_updates_the_company(self, run_import):
        CompanyFactory(erp_id="000001", name="Old", city="Aalsmeer")
        run = run_import("companies", csv_text("erp_id,name", "000001,New"))
        assert counts_of(run)["updated"] == 1
        company = Company.objects.get()
        assert (company.name, company.city) == ("New", "Aalsmeer")  # a column not in the file stays

    def test_the_case_insensitive_shadow_columns_are_written(self, run_import):
        run_import("companies", csv_text("erp_id,name,city", "AB-1,Bloemen ÉÉN,Den HAAG"))
        company = Company.objects.get()
        assert (company.erp_id_ci, company.name_ci, company.city_ci) == ("ab-1", "bloemen één", "den haag")

    def test_the_same_erp_id_twice_reports_the_later_row(self, run_import):
        run = run_import("companies", csv_text("erp_id,name", "000001,First", "000002,Other", "000001,Second"))
        assert errors_of(run) == [(4, "erp_id", "duplicate key: already on line 2; only the first one is imported")]
        assert Company.objects.get(erp_id="000001").name == "First"

    def test_a_duplicate_in_a_later_chunk_points_to_the_first_line(self, run_import, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 2
        run = run_import("companies", csv_text("erp_id,name", "1,A", "2,B", "3,C", "1,D"))
        assert errors_of(run) == [(5, "erp_id", "duplicate key: already on line 2; only the first one is imported")]


@pytest.mark.django_db
class CompanyAttributeImportTests:
    def test_an_unknown_attribute_becomes_a_text_attribute(self, run_import):
        run_import("companies", csv_text("erp_id,name,attr.Tier", "000001,A,Gold Plus"))
        definition = CompanyAttributeDefinition.objects.get()
        assert (definition.name, definition.value_type) == ("Tier", CompanyAttributeDefinition.ValueType.TEXT)
        value = CompanyAttributeValue.objects.get()
        assert (value.raw_value, value.text_value) == ("Gold Plus", "gold plus")

    def test_values_follow_the_declared_type(self, run_import):
        CompanyAttributeDefinitionFactory(name="hectares", value_type="number")
        CompanyAttributeDefinitionFactory(name="audit", value_type="date")
        CompanyAttributeDefinitionFactory(name="organic", value_type="boolean")
        run = run_import(
            "companies", csv_text("erp_id;name;attr.hectares;attr.audit;attr.organic", "000001;A;12,5;2024-05-01;Nee")
        )
        assert run.failed == 0
        values = {v.definition.name: v for v in CompanyAttributeValue.objects.select_related("definition")}
        assert (values["hectares"].number_value, values["hectares"].raw_value) == (Decimal("12.5"), "12,5")
        assert values["audit"].date_value == date(2024, 5, 1)
        assert values["organic"].boolean_value is False
        assert values["organic"].text_value is None

    def test_an_unparsable_typed_value_is_a_row_error_and_nothing_of_the_row_is_applied(self, run_import):
        CompanyAttributeDefinitionFactory(name="hectares", value_type="number")
        run = run_import("companies", csv_text("erp_id,name,attr.hectares", "000001,A,many"))
        assert errors_of(run) == [(2, "attr.hectares", "'many' is not a number; write it like 12.50")]
        assert Company.objects.count() == 0

    def test_an_empty_cell_removes_the_value(self, run_import):
        run_import("companies", csv_text("erp_id,name,attr.tier", "000001,A,gold"))
        run = run_import("companies", csv_text("erp_id,name,attr.tier", "000001,A,"))
        assert counts_of(run)["updated"] == 1
        assert CompanyAttributeValue.objects.count() == 0

    def test_a_changed_attribute_alone_updates_the_company_row(self, run_import):
        run_import("companies", csv_text("erp_id,name,attr.tier", "000001,A,gold"))
        run = run_import("companies", csv_text("erp_id,name,attr.tier", "000001,A,silver"))
        assert counts_of(run) == {"rows": 1, "created": 0, "updated": 1, "unchanged": 0, "failed": 0}
        assert CompanyAttributeValue.objects.get().raw_value == "silver"

    def test_an_invalid_attribute_name_fails_the_file(self, run_import):
        from integrations.erp.exceptions import ErpImportFileError

        with pytest.raises(ErpImportFileError, match="the column 'attr.a b' has no valid attribute name"):
            run_import("companies", csv_text("erp_id,name,attr.a b", "000001,A,x"))
        assert CompanyAttributeDefinition.objects.count() == 0

    def test_a_dry_run_creates_no_attribute_definition(self, run_import):
        run = run_import("companies", csv_text("erp_id,name,attr.tier", "000001,A,gold"), dry_run=True)
        assert run.created == 1
        assert CompanyAttributeDefinition.objects.count() == 0
