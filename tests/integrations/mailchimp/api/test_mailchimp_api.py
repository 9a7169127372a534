"""POST /api/mailchimp/sync/ and GET /api/mailchimp/runs/: marketers only, 400 for bad input."""

import json

import pytest
from django.urls import reverse

from accounts.services import marketing_group_ensure
from integrations.models import MailchimpSyncRun
from tests.accounts.factories import ContactFactory, StaffUserFactory
from tests.integrations.mailchimp.factories import MailchimpSegmentSyncFactory
from tests.segments.factories import SegmentFactory

pytestmark = [pytest.mark.urls("tests.integrations.mailchimp.urls"), pytest.mark.django_db]


@pytest.fixture
def marketer_client(client):
    user = StaffUserFactory()
    user.groups.add(marketing_group_ensure())
    client.force_login(user)
    return client


@pytest.fixture
def loyal(db):
    return MailchimpSegmentSyncFactory(segment=SegmentFactory(name="Loyal", slug="loyal"))


def _post(client, body):
    return client.post(reverse("mailchimp-sync"), data=body if isinstance(body, str) else json.dumps(body),
                       content_type="application/json")


class MailchimpSyncStartApiTests:
    def test_starts_a_sync_and_answers_202_with_the_run_id(self, marketer_client, standin, loyal, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = _post(marketer_client, {"segment": "loyal", "dry_run": True})

        assert response.status_code == 202
        run = MailchimpSyncRun.objects.get(pk=response.json()["run_id"])
        assert (run.segment, run.dry_run, run.full, run.trigger) == (loyal.segment, True, False, "api")
        assert len(callbacks) == 1
        assert run.__class__.objects.get(pk=run.pk).status == MailchimpSyncRun.Status.SUCCEEDED  # eager task ran

    def test_without_segment_syncs_every_synced_segment(self, marketer_client, standin, loyal):
        response = _post(marketer_client, {})

        assert response.status_code == 202
        assert MailchimpSyncRun.objects.get().segment is None

    @pytest.mark.parametrize(
        "body, path",
        [
            ({"segment": "nope"}, "/segment"),
            ({"segment": "not a slug!"}, "/segment"),
            ({"dry_run": "perhaps"}, "/dry_run"),
            ({"full": [1]}, "/full"),
            ({"segmnet": "loyal"}, "/segmnet"),
        ],
    )
    def test_bad_input_is_400_naming_the_field(self, marketer_client, standin, loyal, body, path):
        response = _post(marketer_client, body)

        assert response.status_code == 400
        assert [error["path"] for error in response.json()["errors"]] == [path]

    def test_a_segment_that_is_not_synced_is_400(self, marketer_client, standin):
        SegmentFactory(name="Plain", slug="plain")

        response = _post(marketer_client, {"segment": "plain"})

        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] == "/segment"

    @pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', "null"])
    def test_malformed_bodies_are_400(self, marketer_client, standin, body):
        assert _post(marketer_client, body).status_code == 400

    def test_buyers_and_anonymous_users_are_refused(self, client, standin, loyal):
        assert _post(client, {}).status_code == 403
        client.force_login(ContactFactory())
        assert _post(client, {}).status_code == 403
        assert MailchimpSyncRun.objects.count() == 0


class MailchimpSyncRunListApiTests:
    def test_lists_runs_newest_first_with_counts(self, marketer_client, loyal):
        older = MailchimpSyncRun.objects.create(segment=loyal.segment, status="succeeded", added=3, skipped={"no_consent": 1})
        newer = MailchimpSyncRun.objects.create(status="queued")

        response = marketer_client.get(reverse("mailchimp-runs"))

        assert response.status_code == 200
        results = response.json()["results"]
        assert [run["id"] for run in results] == [newer.pk, older.pk]
        assert (results[1]["segment"], results[1]["added"], results[1]["skipped"]) == ("loyal", 3, {"no_consent": 1})

    def test_filters_by_segment_and_status(self, marketer_client, loyal):
        MailchimpSyncRun.objects.create(segment=loyal.segment, status="failed")
        MailchimpSyncRun.objects.create(status="failed")

        response = marketer_client.get(reverse("mailchimp-runs"), {"segment": "loyal", "status": "failed"})

        assert response.json()["count"] == 1

    def test_a_bad_filter_is_400(self, marketer_client):
        response = marketer_client.get(reverse("mailchimp-runs"), {"status": "exploded"})

        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] == "/status"

    def test_detail_shows_chunk_progress(self, marketer_client, loyal):
        run = MailchimpSyncRun.objects.create(segment=loyal.segment, status="interrupted")

        response = marketer_client.get(reverse("mailchimp-run-detail", kwargs={"run_id": run.pk}))

        assert response.status_code == 200
        assert response.json()["chunks"] == {"pending": 0, "done": 0, "failed": 0, "superseded": 0}

    def test_buyers_are_refused(self, client):
        client.force_login(ContactFactory())
        assert client.get(reverse("mailchimp-runs")).status_code == 403


class MailchimpApiSchemaTests:
    def test_the_schema_documents_the_endpoints(self, marketer_client):
        response = marketer_client.get(reverse("api-schema"), {"format": "json"})

        assert response.status_code == 200
        paths = response.json()["paths"]
        assert {"/api/mailchimp/sync/", "/api/mailchimp/runs/", "/api/mailchimp/runs/{run_id}/"} <= set(paths)


class MailchimpSyncStartApiOutageTests:
    def test_mailchimp_down_in_the_embedded_mode_still_answers_202_and_the_run_is_resumable(
        self, marketer_client, standin, loyal, members_set, settings, django_capture_on_commit_callbacks
    ):
        from integrations.mailchimp.standin import Fault
        from tests.accounts.factories import ContactFactory as Contacts

        settings.MAILCHIMP_MAX_ATTEMPTS = 1
        members_set(loyal.segment, [Contacts(marketing_consent=True)])
        standin.inject(Fault(status=503, times=100))

        with django_capture_on_commit_callbacks(execute=True):
            response = _post(marketer_client, {"segment": "loyal"})

        assert response.status_code == 202
        assert MailchimpSyncRun.objects.get().status == MailchimpSyncRun.Status.INTERRUPTED
