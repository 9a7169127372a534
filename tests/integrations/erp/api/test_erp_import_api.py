import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Company
from integrations.models import ErpConnection, ImportRun
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory
from tests.integrations.erp.factories import ErpConnectionFactory, ImportRunFactory

TOKEN = "erp-secret-token"
COMPANIES_CSV = "erp_id,name,country\n000123,Bloemenhuis De Tulp,NL\n000124,Kwekerij West,BE\n"


def _url(entity: str = "companies", **query: str) -> str:
    url = reverse("erp-import", args=[entity])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


@pytest.fixture
def connection(db) -> ErpConnection:
    return ErpConnectionFactory(name="Exact Online", token=TOKEN)


@pytest.fixture
def erp_client(connection) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return client


@pytest.mark.django_db
class ErpImportApiTests:
    def test_a_csv_body_is_imported_and_answered_with_the_run_summary(self, erp_client, connection):
        response = erp_client.post(_url(), COMPANIES_CSV, content_type="text/csv")
        assert response.status_code == 201
        body = response.json()
        run = ImportRun.objects.get()
        assert body["id"] == run.pk
        assert (body["entity"], body["source"], body["source_name"], body["connection"]) == (
            "companies",
            "api",
            "Exact Online",
            "Exact Online",
        )
        assert (body["status"], body["rows"], body["created"], body["updated"], body["unchanged"], body["failed"]) == (
            "succeeded",
            2,
            2,
            0,
            0,
            0,
        )
        assert body["errors"] == []
        assert run.connection == connection
        assert Company.objects.count() == 2

    def test_row_errors_are_in_the_answer(self, erp_client):
        response = erp_client.post(_url(), "erp_id,name,country\n000123,A,XX\n000124,B,NL\n", content_type="text/csv")
        assert response.status_code == 201
        assert response.json()["status"] == "partial"
        assert response.json()["errors"] == [
            {
                "line": 2,
                "column": "country",
                "value": "XX",
                "message": "unknown country code 'XX'; use an ISO 3166-1 alpha-2 code such as NL or BE",
            }
        ]

    def test_json_lines_and_json_array_bodies(self, erp_client):
        lines = '{"erp_id": "000123", "name": "A"}\n{"erp_id": "000124", "name": "B"}\n'
        response = erp_client.post(_url(), lines, content_type="application/x-ndjson")
        assert (response.status_code, response.json()["created"]) == (201, 2)
        array = json.dumps([{"erp_id": "000123", "name": "A2"}, {"erp_id": "000125", "name": "C"}])
        response = erp_client.post(_url(), array, content_type="application/json")
        assert (response.json()["created"], response.json()["updated"]) == (1, 1)

    def test_the_token_keyword_works_too(self, connection):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {TOKEN}")
        assert client.post(_url(), COMPANIES_CSV, content_type="text/csv").status_code == 201

    def test_using_the_token_records_when_the_connection_was_last_used(self, erp_client, connection):
        erp_client.post(_url(), COMPANIES_CSV, content_type="text/csv")
        connection.refresh_from_db()
        assert connection.last_used_at is not None

    def test_strict_via_the_query_rejects_the_whole_body(self, erp_client):
        response = erp_client.post(
            _url(strict="true"), "erp_id,name,country\n000123,A,NL\n000124,B,XX\n", content_type="text/csv"
        )
        assert response.status_code == 201
        assert (response.json()["status"], response.json()["strict"]) == ("failed", True)
        assert Company.objects.count() == 0

    def test_dry_run_via_the_query_writes_nothing(self, erp_client):
        response = erp_client.post(_url(dry_run="true"), COMPANIES_CSV, content_type="text/csv")
        assert (response.json()["dry_run"], response.json()["created"]) == (True, 2)
        assert Company.objects.count() == 0

    def test_a_wrong_query_value_is_400(self, erp_client):
        response = erp_client.post(_url(strict="perhaps"), COMPANIES_CSV, content_type="text/csv")
        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] == "/strict"

    def test_a_missing_column_is_400_with_the_error_shape_and_still_recorded(self, erp_client):
        response = erp_client.post(_url(), "erp_id,city\n000123,Aalsmeer\n", content_type="text/csv")
        assert response.status_code == 400
        assert response.json() == {
            "message": "the companies file misses the column name; the header has erp_id, city",
            "errors": [],
        }
        assert ImportRun.objects.get().status == ImportRun.Status.FAILED

    def test_an_empty_body_is_400(self, erp_client):
        response = erp_client.post(_url(), "", content_type="text/csv")
        assert (response.status_code, response.json()["message"]) == (400, "the file is empty")

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            (b"\x00\xff\xfe\x89PNG garbage \xc3\x28", "application/octet-stream"),
            (b"[{]", "application/json"),
            (b"{not json\n", "application/x-ndjson"),
            (b'"just a string"', "application/json"),
            (b'name\n"never closed\n', "text/csv"),
            (b"erp_id,name\n1,A,b,c,d\n", "text/csv"),
        ],
    )
    def test_garbage_bodies_are_400_not_500(self, erp_client, body, content_type):
        response = erp_client.post(_url(), body, content_type=content_type)
        assert response.status_code == 400
        assert set(response.json()) == {"message", "errors"}

    def test_an_unsupported_content_type_is_400(self, erp_client):
        response = erp_client.post(_url(), "<companies/>", content_type="application/xml")
        assert response.status_code == 400
        assert response.json()["message"].startswith("unsupported content type 'application/xml'")

    def test_a_body_over_the_limit_is_400_and_nothing_is_imported(self, erp_client, settings):
        settings.ERP_IMPORT_MAX_BODY_BYTES = 20
        response = erp_client.post(_url(), COMPANIES_CSV, content_type="text/csv")
        assert response.status_code == 400
        assert "larger than the limit of 20 bytes" in response.json()["message"]
        assert ImportRun.objects.count() == 0

    def test_an_unknown_entity_is_404(self, erp_client):
        response = erp_client.post(_url("suppliers"), COMPANIES_CSV, content_type="text/csv")
        assert response.status_code == 404
        assert response.json()["message"].startswith("unknown entity 'suppliers'")

    def test_without_a_token_it_is_401(self, db):
        response = APIClient().post(_url(), COMPANIES_CSV, content_type="text/csv")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'

    def test_a_wrong_token_is_401(self, connection):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Bearer not-the-token")
        response = client.post(_url(), COMPANIES_CSV, content_type="text/csv")
        assert (response.status_code, response.json()["message"]) == (401, "Invalid or inactive token.")

    def test_the_token_of_an_inactive_connection_is_401(self, db):
        ErpConnectionFactory(token=TOKEN, inactive=True)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert client.post(_url(), COMPANIES_CSV, content_type="text/csv").status_code == 401

    def test_a_logged_in_staff_user_is_403(self, db):
        client = APIClient()
        client.force_login(StaffUserFactory(is_superuser=True))
        response = client.post(_url(), COMPANIES_CSV, content_type="text/csv")
        assert response.status_code == 403
        assert Company.objects.count() == 0


@pytest.mark.django_db
class ImportRunListApiTests:
    def test_an_erp_connection_lists_the_runs_newest_first(self, erp_client):
        older = ImportRunFactory(entity="companies")
        newer = ImportRunFactory(
            entity="orders", status="partial", errors=[{"line": 2, "column": "sku", "value": "X", "message": "m"}]
        )
        response = erp_client.get(reverse("erp-import-runs"))
        assert response.status_code == 200
        results = response.json()["results"]
        assert [run["id"] for run in results] == [newer.pk, older.pk]
        assert results[0]["errors"][0]["column"] == "sku"

    def test_runs_can_be_filtered_by_entity_and_status(self, erp_client):
        ImportRunFactory(entity="companies")
        orders = ImportRunFactory(entity="orders", status="failed")
        response = erp_client.get(reverse("erp-import-runs"), {"entity": "orders", "status": "failed"})
        assert [run["id"] for run in response.json()["results"]] == [orders.pk]

    def test_staff_may_read_the_runs(self, db):
        client = APIClient()
        client.force_login(StaffUserFactory())
        assert client.get(reverse("erp-import-runs")).status_code == 200

    def test_a_buyer_may_not(self, db):
        client = APIClient()
        client.force_login(ContactFactory(company=CompanyFactory()))
        assert client.get(reverse("erp-import-runs")).status_code == 403

    def test_anonymous_is_401(self, db):
        assert APIClient().get(reverse("erp-import-runs")).status_code == 401


@pytest.mark.django_db
class ErpApiSchemaTests:
    def test_the_schema_documents_both_endpoints_and_the_token(self, client):
        schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
        post = schema["paths"]["/api/erp/import/{entity}/"]["post"]
        assert set(post["requestBody"]["content"]) == {"text/csv", "application/x-ndjson", "application/json"}
        assert {parameter["name"] for parameter in post["parameters"]} >= {"entity", "strict", "dry_run"}
        assert {"201", "400", "401", "403", "404"} <= set(post["responses"])
        assert "get" in schema["paths"]["/api/erp/imports/"]
        assert schema["components"]["securitySchemes"]["erpToken"]["scheme"] == "bearer"
