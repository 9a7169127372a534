"""What every import shares: file-level errors, strict, dry run, the run record, the signal, query counts."""

import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Company
from integrations.erp.exceptions import ErpImportFileError, ErpUnknownEntityError
from integrations.erp.schemas import SCHEMAS
from integrations.erp.services import erp_import, erp_import_file
from integrations.erp.signals import erp_import_finished
from integrations.models import ImportRun
from tests.accounts.factories import CompanyFactory
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.integrations.erp.files import counts_of, csv_text, errors_of
from tests.integrations.erp.strategies import (
    ErpFile,
    References,
    byte_soups,
    cell_soups,
    erp_files,
    orders_whole_check,
    run_check,
    stored_rows,
)

COMPANIES = "erp_id,name,country"


def _companies(count: int, *, start: int = 1) -> str:
    return csv_text(COMPANIES, *(f"{n:06d},Company {n},NL" for n in range(start, start + count)))


@pytest.mark.django_db
class FileLevelErrorTests:
    def test_an_empty_file_fails_the_run_with_a_clear_message(self, run_import):
        with pytest.raises(ErpImportFileError, match="^the file is empty$") as caught:
            run_import("companies", b"")
        run = ImportRun.objects.get()
        assert caught.value.import_run == run
        assert (run.status, run.message, run.rows) == (ImportRun.Status.FAILED, "the file is empty", 0)
        assert run.finished_at is not None

    def test_a_header_only_file_succeeds_with_no_rows(self, run_import):
        run = run_import("companies", "erp_id,name\n")
        assert run.status == ImportRun.Status.SUCCEEDED
        assert counts_of(run) == {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "failed": 0}

    def test_a_missing_required_column_is_one_error_and_nothing_is_written(self, run_import):
        with pytest.raises(ErpImportFileError) as caught:
            run_import("companies", csv_text("erp_id,city", "000001,Aalsmeer", "000002,Naaldwijk"))
        run = ImportRun.objects.get()
        assert run.status == ImportRun.Status.FAILED
        assert run.message == "the companies file misses the column name; the header has erp_id, city"
        assert caught.value.message == run.message
        assert run.errors == []
        assert Company.objects.count() == 0

    def test_an_unknown_column_is_one_error_and_nothing_is_written(self, run_import):
        with pytest.raises(ErpImportFileError, match="unknown column colour in the companies file"):
            run_import("companies", csv_text("erp_id,name,colour", "000001,A,red"))
        assert Company.objects.count() == 0

    def test_attribute_columns_are_not_unknown(self, run_import):
        run = run_import("companies", csv_text("erp_id,name,attr.tier", "000001,A,gold"))
        assert run.status == ImportRun.Status.SUCCEEDED

    def test_a_broken_file_in_a_later_chunk_rolls_back_the_earlier_chunks(self, run_import, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 2
        content = _companies(4) + "000009,Too,many,values,here\n"
        with pytest.raises(ErpImportFileError, match="line 6: the row has 5 values but the header has 3 columns"):
            run_import("companies", content)
        assert Company.objects.count() == 0

    def test_an_unknown_entity_is_refused(self, db):
        with pytest.raises(ErpUnknownEntityError, match="unknown entity 'suppliers'"):
            erp_import(entity="suppliers", stream=io.BytesIO(b"a\n"), source=ImportRun.Source.FILE)
        assert ImportRun.objects.count() == 0


@pytest.mark.django_db
class StrictAndDryRunTests:
    def test_strict_with_one_bad_row_writes_nothing(self, run_import):
        content = csv_text(COMPANIES, "000001,Good,NL", "000002,Bad,XX", "000003,Good too,BE")
        run = run_import("companies", content, strict=True)
        assert run.status == ImportRun.Status.FAILED
        assert run.strict is True
        assert run.message == "1 of 3 rows have errors; with strict, nothing was imported"
        assert errors_of(run) == [
            (3, "country", "unknown country code 'XX'; use an ISO 3166-1 alpha-2 code such as NL or BE")
        ]
        assert counts_of(run) == {"rows": 3, "created": 0, "updated": 0, "unchanged": 0, "failed": 1}
        assert Company.objects.count() == 0

    def test_strict_rolls_back_chunks_written_before_the_bad_row(self, run_import, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 2
        content = _companies(4) + "000005,Bad,XX\n"
        run = run_import("companies", content, strict=True)
        assert run.status == ImportRun.Status.FAILED
        assert Company.objects.count() == 0

    def test_strict_without_bad_rows_imports_everything(self, run_import):
        run = run_import("companies", _companies(3), strict=True)
        assert run.status == ImportRun.Status.SUCCEEDED
        assert Company.objects.count() == 3

    def test_a_dry_run_counts_what_would_change_and_writes_nothing(self, run_import):
        CompanyFactory(erp_id="000001", name="Old name", country="NL")
        CompanyFactory(erp_id="000002", name="Company 2", country="NL", city="")
        run = run_import("companies", _companies(3), dry_run=True)
        assert run.dry_run is True
        assert run.status == ImportRun.Status.SUCCEEDED
        assert counts_of(run) == {"rows": 3, "created": 1, "updated": 1, "unchanged": 1, "failed": 0}
        assert Company.objects.get(erp_id="000001").name == "Old name"
        assert not Company.objects.filter(erp_id="000003").exists()
        assert ImportRun.objects.filter(dry_run=True).count() == 1

    def test_a_dry_run_reports_bad_rows(self, run_import):
        run = run_import("companies", csv_text(COMPANIES, "000001,A,NL", "000002,B,XX"), dry_run=True)
        assert run.status == ImportRun.Status.PARTIAL
        assert errors_of(run)[0][:2] == (3, "country")
        assert Company.objects.count() == 0


@pytest.mark.django_db
class ImportRunRecordTests:
    def test_a_run_with_some_bad_rows_is_partial_and_applies_the_good_ones(self, run_import):
        run = run_import("companies", csv_text(COMPANIES, "000001,A,NL", "000002,B,XX"))
        assert run.status == ImportRun.Status.PARTIAL
        assert run.message == "1 of 2 rows have errors and were not imported"
        assert list(Company.objects.values_list("erp_id", flat=True)) == ["000001"]

    def test_a_run_where_every_row_is_bad_fails(self, run_import):
        run = run_import("companies", csv_text(COMPANIES, "000001,A,XX"))
        assert run.status == ImportRun.Status.FAILED
        assert run.message == "no row could be imported; see the errors"

    def test_errors_are_capped_and_the_cap_is_flagged(self, run_import, settings):
        settings.ERP_IMPORT_MAX_REPORTED_ERRORS = 2
        run = run_import("companies", csv_text(COMPANIES, *(f"00000{n},C,XX" for n in range(1, 6))))
        assert [error["line"] for error in run.errors] == [2, 3]
        assert run.errors_truncated is True
        assert run.failed == 5

    def test_errors_have_line_column_value_and_message(self, run_import):
        run = run_import("companies", csv_text(COMPANIES, "000001,A,XX"))
        assert run.errors == [
            {
                "line": 2,
                "column": "country",
                "value": "XX",
                "message": "unknown country code 'XX'; use an ISO 3166-1 alpha-2 code such as NL or BE",
            }
        ]

    def test_a_file_import_records_the_file_name_and_who_started_it(self, db, tmp_path):
        from tests.accounts.factories import StaffUserFactory

        staff = StaffUserFactory()
        path = tmp_path / "companies-2025-03-01.csv"
        path.write_text(_companies(2))
        run = erp_import_file(entity="companies", path=path, triggered_by=staff)
        assert (run.source, run.source_name, run.triggered_by) == (ImportRun.Source.FILE, path.name, staff)
        assert run.started_at <= run.finished_at

    def test_progress_is_reported_with_the_rows_read_so_far(self, run_import, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 2
        seen: list[int] = []
        run_import("companies", _companies(5), progress=seen.append)
        assert seen == [2, 4, 5]


@pytest.mark.django_db
class ImportFinishedSignalTests:
    @pytest.fixture
    def received(self):
        runs: list[ImportRun] = []

        def receiver(sender, import_run, **kwargs):
            runs.append(import_run)

        erp_import_finished.connect(receiver, dispatch_uid="test-erp-import-finished")
        yield runs
        erp_import_finished.disconnect(dispatch_uid="test-erp-import-finished")

    def test_is_sent_on_commit_after_a_successful_import(
        self, run_import, received, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            run = run_import("companies", _companies(1))
        assert received == []
        for callback in callbacks:
            callback()
        assert received == [run]

    def test_is_sent_after_a_partial_import(self, run_import, received, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            run = run_import("companies", csv_text(COMPANIES, "000001,A,NL", "000002,B,XX"))
        assert received == [run]

    def test_is_not_sent_after_a_dry_run_or_a_failed_import(
        self, run_import, received, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            run_import("companies", _companies(1), dry_run=True)
            run_import("companies", csv_text(COMPANIES, "000001,A,XX"), strict=True)
        assert received == []


@pytest.mark.django_db
class QueryCountTests:
    """Importing N rows costs a number of queries that does not grow with N."""

    def _queries(self, run_import, entity: str, content: str) -> int:
        with CaptureQueriesContext(connection) as context:
            run = run_import(entity, content)
        assert run.failed == 0, run.errors
        return len(context)

    def test_companies(self, run_import, django_assert_max_num_queries):
        few = self._queries(
            run_import, "companies", csv_text("erp_id,name,attr.tier", *(f"A{n},C{n},gold" for n in range(10)))
        )
        with django_assert_max_num_queries(few):
            run_import("companies", csv_text("erp_id,name,attr.tier", *(f"B{n},C{n},gold" for n in range(40))))

    def test_contacts(self, run_import, django_assert_max_num_queries):
        CompanyFactory(erp_id="000001")
        header = "email,company_erp_id,first_name"
        few = self._queries(run_import, "contacts", csv_text(header, *(f"a{n}@x.nl,000001,A" for n in range(10))))
        with django_assert_max_num_queries(few):
            run_import("contacts", csv_text(header, *(f"b{n}@x.nl,000001,B" for n in range(40))))

    def test_products_and_prices(self, run_import, django_assert_max_num_queries):
        from tests.catalog.factories import CategoryFactory

        CategoryFactory(slug="roses")
        header = "sku,name,category_slug,list_price"
        few = self._queries(run_import, "products", csv_text(header, *(f"A{n},Rose,roses,1.00" for n in range(10))))
        with django_assert_max_num_queries(few):
            run_import("products", csv_text(header, *(f"B{n},Rose,roses,1.00" for n in range(40))))
        few = self._queries(
            run_import, "prices", csv_text("price_group,sku,price", *(f"gold,A{n},0.90" for n in range(10)))
        )
        with django_assert_max_num_queries(few):
            run_import("prices", csv_text("price_group,sku,price", *(f"gold,B{n},0.90" for n in range(40))))

    def test_orders(self, run_import, django_assert_max_num_queries):
        CompanyFactory(erp_id="000001")
        ProductFactory(sku="R1")
        header = "order_number,line_no,company_erp_id,ordered_at,channel,sku,quantity,unit_price"

        def lines(prefix: str, count: int) -> list[str]:
            return [f"{prefix}{n // 5},{n % 5 + 1},000001,2025-01-02T10:00:00Z,web,R1,2,1.50" for n in range(count)]

        few = self._queries(run_import, "orders", csv_text(header, *lines("A", 10)))
        with django_assert_max_num_queries(few):
            run_import("orders", csv_text(header, *lines("B", 100)))


@pytest.mark.django_db
class ArbitraryInputTests:
    @given(
        entity=st.sampled_from(list(ImportRun.Entity.values)),
        content=byte_soups(),
        strict=st.booleans(),
    )
    @hypothesis_settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_any_bytes_import_or_fail_with_a_file_error_and_nothing_else(self, run_import, entity, content, strict):
        try:
            run = run_import(entity, content, strict=strict)
        except ErpImportFileError as exc:
            assert exc.import_run.status == ImportRun.Status.FAILED
            assert exc.message
        else:
            assert run.status in (ImportRun.Status.SUCCEEDED, ImportRun.Status.PARTIAL, ImportRun.Status.FAILED)
            assert run.rows == run.created + run.updated + run.unchanged + run.failed or (strict and run.failed)

    @given(
        entity=st.sampled_from(list(ImportRun.Entity.values)),
        rows=cell_soups(),
        chunk_rows=st.integers(min_value=1, max_value=5),
    )
    @hypothesis_settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_any_cells_under_a_valid_header_never_break_the_import(
        self, run_import, settings, entity, rows, chunk_rows
    ):
        settings.ERP_IMPORT_CHUNK_ROWS = chunk_rows
        CompanyFactory(erp_id="000123")
        ProductFactory(sku="R1")
        columns = [column.name for column in SCHEMAS[entity].columns]
        body = ",".join(columns) + "\n" + "".join(",".join(row) + "\n" for row in rows)
        try:
            run = run_import(entity, body)
        except ErpImportFileError as exc:
            assert exc.message
            return
        assert run.rows == run.created + run.updated + run.unchanged + run.failed

    @given(
        file=st.sampled_from(list(ImportRun.Entity.values)).flatmap(lambda entity: erp_files(entity, REFERENCES)),
        strict=st.booleans(),
        chunk_rows=st.integers(min_value=1, max_value=5),
    )
    @hypothesis_settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_generated_rows_are_imported_or_reported_on_their_line(self, run_import, settings, file, strict, chunk_rows):
        settings.ERP_IMPORT_CHUNK_ROWS = chunk_rows
        with transaction.atomic():
            _references_create()
            before = stored_rows(file.entity)
            _import_checked(run_import, file, strict=strict, before=before)
            transaction.set_rollback(True)


REFERENCES = References(company_erp_ids=("000123", "000124"), skus=("R1", "R2"), category_slugs=("roses",))


def _references_create() -> None:
    roses = CategoryFactory(slug="roses")
    for erp_id in REFERENCES.company_erp_ids:
        CompanyFactory(erp_id=erp_id)
    for sku in REFERENCES.skus:
        ProductFactory(sku=sku, category=roses)


def _import_checked(run_import, file: ErpFile, *, strict: bool, before) -> None:
    try:
        run = run_import(file.entity, file.content(), fmt=file.fmt, strict=strict)
    except ErpImportFileError as exc:
        assert file.missing_column is not None, exc.message
        assert file.missing_column in exc.message
        assert stored_rows(file.entity) == before
        return
    run_check(file, _run_fields(run), strict=strict)
    if strict and file.bad_rows:
        assert stored_rows(file.entity) == before
    if file.entity == "orders":
        orders_whole_check(file)


def _run_fields(run: ImportRun) -> dict[str, object]:
    return {
        "status": run.status, "rows": run.rows, "created": run.created, "updated": run.updated,
        "unchanged": run.unchanged, "failed": run.failed, "errors": run.errors, "message": run.message,
    }
