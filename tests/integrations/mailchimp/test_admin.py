"""Admin pages of the sync: load for superusers and marketers; actions call the services."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import User
from accounts.services import marketing_group_ensure
from integrations.models import (
    MailchimpEmailChangeRequest,
    MailchimpMemberError,
    MailchimpSegmentSync,
    MailchimpSyncRun,
    MailchimpWebhookEvent,
)
from tests.accounts.factories import ContactFactory, StaffUserFactory
from tests.integrations.mailchimp.factories import MailchimpMemberErrorFactory, MailchimpSegmentSyncFactory
from tests.segments.factories import SegmentFactory

MODELS = ["mailchimpsegmentsync", "mailchimpsyncrun", "mailchimpmembererror", "mailchimpwebhookevent",
          "mailchimpemailchangerequest", "mailchimpmember"]


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin@b2bshop.example", "admin-pass-123")


@pytest.fixture
def marketer(db):
    """A marketer with the Mailchimp permissions that accounts.services.MARKETING_PERMISSIONS should grant."""
    user = StaffUserFactory()
    user.groups.add(marketing_group_ensure())
    codenames = [f"view_{model}" for model in MODELS] + [
        "add_mailchimpsegmentsync", "change_mailchimpsegmentsync", "change_mailchimpmembererror",
        "change_mailchimpemailchangerequest",
    ]
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="integrations", codename__in=codenames))
    return user


@pytest.fixture
def records(db):
    sync = MailchimpSegmentSyncFactory(segment=SegmentFactory(name="Loyal", slug="loyal"))
    run = MailchimpSyncRun.objects.create(
        segment=sync.segment, status="partial", added=2, skipped={"no_consent": 1},
        summary={str(sync.segment_id): {"tag": "shop: Loyal", "state": "done", "would_add": 2, "skipped": {"no_consent": 1}}},
    )
    error = MailchimpMemberErrorFactory(permanent=True, last_run=run)
    event = MailchimpWebhookEvent.objects.create(key="k", type="unsubscribe", email="x@example.com", payload={"type": "unsubscribe"})
    change = MailchimpEmailChangeRequest.objects.create(
        contact=ContactFactory(email="old@shop.example"), old_email="old@shop.example", new_email="new@shop.example",
        webhook_event=event,
    )
    return {"sync": sync, "run": run, "error": error, "event": event, "change": change}


@pytest.mark.django_db
class MailchimpAdminTests:
    @pytest.mark.parametrize("role", ["superuser", "marketer"])
    def test_changelists_and_change_pages_load(self, request, client, records, role):
        client.force_login(request.getfixturevalue(role))
        objects = {
            "mailchimpsegmentsync": records["sync"], "mailchimpsyncrun": records["run"],
            "mailchimpmembererror": records["error"], "mailchimpwebhookevent": records["event"],
            "mailchimpemailchangerequest": records["change"],
        }
        for model, obj in objects.items():
            assert client.get(reverse(f"admin:integrations_{model}_changelist")).status_code == 200, model
            assert client.get(reverse(f"admin:integrations_{model}_change", args=[obj.pk])).status_code == 200, model

    def test_a_marketer_turns_on_the_sync_of_a_segment(self, client, marketer, standin, django_capture_on_commit_callbacks):
        segment = SegmentFactory(name="Tulips", slug="tulips")
        client.force_login(marketer)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:integrations_mailchimpsegmentsync_add"),
                {"segment": segment.pk, "enabled": "on", "tag_prefix": "b2b: "},
            )

        assert response.status_code == 302
        sync = MailchimpSegmentSync.objects.get(segment=segment)
        assert (sync.tag_prefix, sync.tag_name) == ("b2b: ", "b2b: Tulips")
        assert MailchimpSyncRun.objects.get().trigger == "admin"

    def test_retry_action_reopens_permanent_errors(self, client, marketer, records):
        client.force_login(marketer)

        client.post(reverse("admin:integrations_mailchimpmembererror_changelist"),
                    {"action": "retry", "_selected_action": [records["error"].pk]})

        assert MailchimpMemberError.objects.get().resolved_at is not None

    def test_approve_action_applies_the_email_change(self, client, marketer, records):
        client.force_login(marketer)

        client.post(reverse("admin:integrations_mailchimpemailchangerequest_changelist"),
                    {"action": "approve", "_selected_action": [records["change"].pk]})

        records["change"].refresh_from_db()
        assert records["change"].status == "approved"
        assert User.objects.filter(email="new@shop.example").exists()

    def test_sync_runs_are_read_only(self, client, superuser, records):
        client.force_login(superuser)

        response = client.get(reverse("admin:integrations_mailchimpsyncrun_changelist"))

        assert b"Add Mailchimp sync run" not in response.content


@pytest.mark.django_db
class MailchimpSegmentSyncAdminActionTests:
    def test_sync_now_queues_a_run_per_enabled_segment(self, client, marketer, standin, django_capture_on_commit_callbacks):
        enabled = MailchimpSegmentSyncFactory(segment=SegmentFactory(name="On", slug="on"))
        disabled = MailchimpSegmentSyncFactory(segment=SegmentFactory(name="Off", slug="off"), disabled=True)
        client.force_login(marketer)

        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("admin:integrations_mailchimpsegmentsync_changelist"),
                        {"action": "full_reconcile_now", "_selected_action": [enabled.pk, disabled.pk]})

        run = MailchimpSyncRun.objects.get()
        assert (run.segment_id, run.full, run.trigger, run.status) == (enabled.segment_id, True, "admin", "succeeded")
