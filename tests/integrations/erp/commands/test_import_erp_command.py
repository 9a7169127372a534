import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Company
from integrations.models import ErpConnection, ImportRun


def _call(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_erp", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def companies_file(tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text("erp_id,name,country\n000123,A,NL\n000124,B,XX\n000125,C,BE\n")
    return path


@pytest.mark.django_db
class ImportErpCommandTests:
    def test_imports_the_file_and_prints_a_summary_with_the_errors(self, companies_file):
        out, err = _call("companies", str(companies_file))
        run = ImportRun.objects.get()
        assert f"import {run.pk} of companies (companies.csv): succeeded with row errors" in out
        assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 failed" in out
        assert (
            "line 3, column country: unknown country code 'XX'; use an ISO 3166-1 alpha-2 code such as NL or BE "
            "(value 'XX')"
        ) in out
        assert "rows" in err  # the progress bar
        assert Company.objects.count() == 2

    def test_only_the_first_20_errors_are_printed(self, tmp_path):
        path = tmp_path / "companies.csv"
        path.write_text("erp_id,name,country\n" + "".join(f"{n:06d},C,XX\n" for n in range(25)) + "000999,Good,NL\n")
        out, _err = _call("companies", str(path))
        assert out.count("unknown country code") == 20
        assert "... and 5 more bad rows" in out

    def test_a_dry_run_says_what_would_happen(self, companies_file):
        out, _err = _call("companies", str(companies_file), "--dry-run")
        assert "(dry run, nothing written)" in out
        assert "2 would be created" in out
        assert Company.objects.count() == 0

    def test_strict_with_a_bad_row_fails_with_a_non_zero_exit(self, companies_file):
        with pytest.raises(CommandError, match="nothing was imported"):
            _call("companies", str(companies_file), "--strict")
        assert Company.objects.count() == 0

    def test_a_file_level_error_fails(self, tmp_path):
        path = tmp_path / "empty.csv"
        path.write_bytes(b"")
        with pytest.raises(CommandError, match="the file is empty"):
            _call("companies", str(path))
        assert ImportRun.objects.get().status == ImportRun.Status.FAILED

    def test_the_format_can_be_given(self, tmp_path):
        path = tmp_path / "companies.data"
        path.write_text('{"erp_id": "000123", "name": "A"}\n')
        out, _err = _call("companies", str(path), "--format", "jsonl")
        assert "1 created" in out

    def test_a_missing_file_fails(self, tmp_path):
        with pytest.raises(CommandError, match="no such file"):
            _call("companies", str(tmp_path / "nope.csv"))

    def test_exits_with_a_non_zero_code_when_the_run_failed(self, companies_file):
        from django.core.management import execute_from_command_line

        with pytest.raises(SystemExit) as caught:
            execute_from_command_line(["manage.py", "import_erp", "companies", str(companies_file), "--strict"])
        assert caught.value.code == 1


@pytest.mark.django_db
class ErpConnectionCreateCommandTests:
    def test_prints_the_token_once_and_stores_only_its_digest(self):
        out, err = io.StringIO(), io.StringIO()
        call_command("erp_connection_create", "Exact Online", stdout=out, stderr=err)
        token = out.getvalue().strip()
        connection = ErpConnection.objects.get()
        assert connection.name == "Exact Online"
        assert connection.token_digest == ErpConnection.digest(token)
        assert token not in connection.token_digest
        assert "shown only now" in err.getvalue()

    def test_a_name_in_use_fails(self):
        call_command("erp_connection_create", "Exact Online", stdout=io.StringIO(), stderr=io.StringIO())
        with pytest.raises(CommandError):
            call_command("erp_connection_create", "Exact Online", stdout=io.StringIO(), stderr=io.StringIO())
