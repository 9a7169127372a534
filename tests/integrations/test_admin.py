from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.erp.connections import erp_connection_create
from integrations.models import ErpConnection, ImportRun
from tests.admin_support import page_query_count
from tests.accounts.factories import StaffUserFactory


def _run(entity=ImportRun.Entity.COMPANIES, *, hours_ago=1, status=ImportRun.Status.SUCCEEDED, **fields):
    finished_at = timezone.now() - timedelta(hours=hours_ago)
    run = ImportRun.objects.create(
        entity=entity, source=ImportRun.Source.FILE, status=status, finished_at=finished_at, **fields
    )
    ImportRun.objects.filter(pk=run.pk).update(started_at=finished_at - timedelta(seconds=75))
    run.refresh_from_db()
    return run


@pytest.mark.django_db
class ImportRunAdminTests:
    @pytest.mark.parametrize("role", ["superuser", "marketer"])
    def test_changelist_and_change_page_load(self, request, admin_client_for, role):
        client = admin_client_for(request.getfixturevalue(role))
        run = _run(triggered_by=StaffUserFactory(), connection=erp_connection_create(name="ERP")[0])
        assert client.get(reverse("admin:integrations_importrun_changelist")).status_code == 200
        assert client.get(reverse("admin:integrations_importrun_change", args=[run.pk])).status_code == 200

    def test_runs_cannot_be_added_changed_or_deleted(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        run = _run(status=ImportRun.Status.FAILED)
        assert client.get(reverse("admin:integrations_importrun_add")).status_code == 403
        assert client.get(reverse("admin:integrations_importrun_delete", args=[run.pk])).status_code == 403
        response = client.post(reverse("admin:integrations_importrun_change", args=[run.pk]), {"status": "succeeded"})
        run.refresh_from_db()
        assert response.status_code == 403
        assert run.status == ImportRun.Status.FAILED

    def test_row_errors_are_shown_as_a_table(self, marketer, admin_client_for):
        run = _run(
            status=ImportRun.Status.PARTIAL,
            rows=3,
            failed=2,
            errors=[
                {"line": 3, "column": "country", "value": "XX", "message": "unknown country code 'XX'"},
                {"line": 4, "column": "employee_count", "value": "<b>many</b>", "message": "not a whole number"},
            ],
        )
        content = admin_client_for(marketer).get(
            reverse("admin:integrations_importrun_change", args=[run.pk])
        ).content.decode()
        assert "<th>Line</th><th>Column</th><th>Value</th><th>Message</th>" in content
        assert (
            "<tr><td>3</td><td>country</td><td><code>XX</code></td><td>unknown country code &#x27;XX&#x27;</td></tr>"
            in content
        )
        assert "&lt;b&gt;many&lt;/b&gt;" in content
        assert "1 min 15 s" in content

    def test_truncated_errors_say_so(self, marketer, admin_client_for):
        run = _run(
            status=ImportRun.Status.PARTIAL,
            failed=5000,
            errors=[{"line": 2, "column": "sku", "value": "", "message": "required"}],
            errors_truncated=True,
        )
        content = admin_client_for(marketer).get(
            reverse("admin:integrations_importrun_change", args=[run.pk])
        ).content.decode()
        assert "Only the first 1 row errors were kept; 5000 rows failed in all." in content

    def test_the_changelist_shows_freshness_per_entity(self, marketer, admin_client_for):
        _run(ImportRun.Entity.COMPANIES, hours_ago=3)
        _run(ImportRun.Entity.PRODUCTS, hours_ago=48)
        _run(ImportRun.Entity.CONTACTS, hours_ago=1, status=ImportRun.Status.FAILED)
        response = admin_client_for(marketer).get(reverse("admin:integrations_importrun_changelist"))
        content = response.content.decode()
        freshness = {f.entity: f for f in response.context["erp_freshness_list"]}
        assert (freshness["companies"].is_stale, freshness["products"].is_stale, freshness["contacts"].is_stale) == (
            False,
            True,
            True,
        )
        assert "3\xa0hours ago" in content
        assert "Never imported" in content
        assert "Stale" in content
        assert 'class="erp-stale"' in content

    def test_changelist_query_count_does_not_grow_with_rows(self, marketer, admin_client_for):
        client = admin_client_for(marketer)
        url = reverse("admin:integrations_importrun_changelist")
        erp = erp_connection_create(name="ERP")[0]
        for _ in range(5):
            _run(connection=erp, triggered_by=StaffUserFactory())
        client.get(url)
        few = page_query_count(client, url)
        for _ in range(20):
            _run(connection=erp_connection_create(name=f"ERP {_}")[0], triggered_by=StaffUserFactory())
        assert page_query_count(client, url) == few


@pytest.mark.django_db
class ErpManagedPagesTests:
    def test_an_erp_changelist_shows_the_last_import_of_its_entity(self, marketer, admin_client_for):
        _run(ImportRun.Entity.COMPANIES, hours_ago=3)
        content = admin_client_for(marketer).get(reverse("admin:accounts_company_changelist")).content.decode()
        assert "Managed in the ERP" in content
        assert "Last successful companies import" in content
        assert "3\xa0hours ago" in content
        assert "erp-note erp-stale" not in content
        assert "?entity__exact=companies" in content

    def test_an_erp_changelist_warns_when_never_imported(self, marketer, admin_client_for):
        content = admin_client_for(marketer).get(reverse("admin:catalog_product_changelist")).content.decode()
        assert "No successful products import yet." in content
        assert "erp-note erp-stale" in content

    def test_an_erp_changelist_warns_when_stale(self, marketer, admin_client_for):
        _run(ImportRun.Entity.ORDERS, hours_ago=40)
        content = admin_client_for(marketer).get(reverse("admin:orders_order_changelist")).content.decode()
        assert "older than 36 hours" in content
        assert "erp-note erp-stale" in content


@pytest.mark.django_db
class ErpConnectionAdminTests:
    def test_creating_a_connection_shows_its_token_once(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        response = client.post(reverse("admin:integrations_erpconnection_add"), {"name": "Exact Online"})
        assert response.status_code == 200
        token = response.context["token"]
        connection = ErpConnection.objects.get()
        assert connection.name == "Exact Online"
        assert connection.token_digest == ErpConnection.digest(token)
        assert token in response.content.decode()
        change_page = client.get(reverse("admin:integrations_erpconnection_change", args=[connection.pk]))
        assert token not in change_page.content.decode()
        assert connection.token_digest not in change_page.content.decode()

    def test_a_taken_name_shows_a_form_error(self, superuser, admin_client_for):
        erp_connection_create(name="Exact Online")
        response = admin_client_for(superuser).post(
            reverse("admin:integrations_erpconnection_add"), {"name": "Exact Online"}
        )
        assert response.status_code == 200
        assert "already exists" in response.content.decode()
        assert ErpConnection.objects.count() == 1

    def test_a_connection_is_revoked_by_deactivating_it(self, superuser, admin_client_for):
        connection, _ = erp_connection_create(name="Exact Online")
        digest = connection.token_digest
        response = admin_client_for(superuser).post(
            reverse("admin:integrations_erpconnection_change", args=[connection.pk]), {"name": "Exact Online"}
        )
        connection.refresh_from_db()
        assert response.status_code == 302
        assert connection.is_active is False
        assert connection.token_digest == digest

    def test_pages_load_for_a_superuser(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        connection, _ = erp_connection_create(name="Exact Online")
        for url in [
            reverse("admin:integrations_erpconnection_changelist"),
            reverse("admin:integrations_erpconnection_add"),
            reverse("admin:integrations_erpconnection_change", args=[connection.pk]),
        ]:
            assert client.get(url).status_code == 200, url

    def test_a_marketer_cannot_see_connections(self, marketer, admin_client_for):
        response = admin_client_for(marketer).get(reverse("admin:integrations_erpconnection_changelist"))
        assert response.status_code == 403
