"""The webhook: secret in the URL, GET validation, idempotent events, consent flowing back."""

import pytest
from django.urls import reverse

from accounts.models import Contact
from integrations.mailchimp.services import mailchimp_sync
from integrations.mailchimp.standin import subscriber_hash
from integrations.mailchimp.webhooks import mailchimp_email_change_approve
from integrations.models import MailchimpEmailChangeRequest, MailchimpMember, MailchimpSyncRun, MailchimpWebhookEvent
from tests.accounts.factories import ContactFactory
from tests.integrations.mailchimp.conftest import LIST_ID
from tests.integrations.mailchimp.factories import MailchimpSegmentSyncFactory
from tests.segments.factories import SegmentFactory

pytestmark = [pytest.mark.urls("tests.integrations.mailchimp.urls"), pytest.mark.django_db]

SECRET = "s3cret-webhook"


def _url(secret=SECRET):
    return reverse("mailchimp-webhook", kwargs={"secret": secret})


def _unsubscribe(email, **extra):
    return {
        "type": "unsubscribe", "fired_at": "2026-11-26 09:15:02", "data[action]": "unsub", "data[reason]": "manual",
        "data[id]": "8a25ff1d98", "data[list_id]": LIST_ID, "data[email]": email, "data[email_type]": "html",
        "data[merges][EMAIL]": email, **extra,
    }


class MailchimpWebhookTests:
    def test_get_validates_the_url(self, client, standin):
        assert client.get(_url()).status_code == 200

    def test_a_wrong_secret_is_404_for_get_and_post(self, client, standin):
        assert client.get(_url("guess")).status_code == 404
        assert client.post(_url("s3cret-webhooK"), _unsubscribe("a@example.com")).status_code == 404
        assert MailchimpWebhookEvent.objects.count() == 0

    def test_no_configured_secret_closes_the_webhook(self, client, standin, settings):
        settings.MAILCHIMP_WEBHOOK_SECRET = ""
        assert client.get(reverse("mailchimp-webhook", kwargs={"secret": "x"})).status_code == 404

    def test_unsubscribe_clears_consent_and_removes_the_contact_from_tags(self, client, standin, members_set, django_capture_on_commit_callbacks):
        sync = MailchimpSegmentSyncFactory(segment=SegmentFactory(name="Loyal", slug="loyal"))
        leaving = ContactFactory(email="leaving@shop.example", marketing_consent=True)
        staying = ContactFactory(email="staying@shop.example", marketing_consent=True)
        members_set(sync.segment, [leaving, staying])
        mailchimp_sync(segment_id=sync.segment_id)
        # Mailchimp unsubscribed the member itself before telling us.
        standin.state.member_patch(LIST_ID, subscriber_hash("leaving@shop.example"), {"status": "unsubscribed"})

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(_url(), _unsubscribe("Leaving@Shop.example"))

        assert response.status_code == 200
        leaving.refresh_from_db()
        assert leaving.marketing_consent is False
        assert MailchimpMember.objects.get(email="leaving@shop.example").status == "unsubscribed"
        assert standin.state.tag_emails(LIST_ID, "shop: Loyal") == {"staying@shop.example"}
        run = MailchimpSyncRun.objects.filter(trigger=MailchimpSyncRun.Trigger.WEBHOOK).get()
        assert (run.status, run.removed) == (MailchimpSyncRun.Status.SUCCEEDED, 1)
        event = MailchimpWebhookEvent.objects.get()
        assert (event.type, event.email, list(event.contacts.all())) == ("unsubscribe", "leaving@shop.example", [leaving])

    def test_cleaned_clears_consent(self, client, standin):
        contact = ContactFactory(email="bounced@shop.example", marketing_consent=True)

        client.post(_url(), {"type": "cleaned", "fired_at": "2026-11-26 09:15:02", "data[list_id]": LIST_ID,
                             "data[email]": "bounced@shop.example", "data[reason]": "hard"})

        contact.refresh_from_db()
        assert contact.marketing_consent is False
        assert MailchimpMember.objects.get().status == "cleaned"

    def test_a_duplicate_delivery_changes_nothing(self, client, standin):
        contact = ContactFactory(email="twice@shop.example", marketing_consent=True)
        form = _unsubscribe("twice@shop.example")
        first = client.post(_url(), form)
        Contact.objects.filter(pk=contact.pk).update(marketing_consent=True)  # given again in the shop

        second = client.post(_url(), dict(reversed(list(form.items()))))

        assert (first.content, second.content) == (b"ok", b"duplicate")
        assert MailchimpWebhookEvent.objects.count() == 1
        contact.refresh_from_db()
        assert contact.marketing_consent is True

    def test_upemail_is_recorded_for_review_not_applied(self, client, standin):
        contact = ContactFactory(email="old@shop.example")

        client.post(_url(), {"type": "upemail", "fired_at": "2026-11-26 09:15:02", "data[list_id]": LIST_ID,
                             "data[new_id]": "51aa6ea7b6", "data[new_email]": "New@Shop.example",
                             "data[old_email]": "old@shop.example"})

        contact.refresh_from_db()
        assert contact.email == "old@shop.example"
        change = MailchimpEmailChangeRequest.objects.get()
        assert (change.contact, change.old_email, change.new_email, change.status) == (
            contact, "old@shop.example", "new@shop.example", "pending"
        )

    def test_an_approved_email_change_is_applied(self, standin):
        contact = ContactFactory(email="old@shop.example")
        change = MailchimpEmailChangeRequest.objects.create(contact=contact, old_email="old@shop.example", new_email="new@shop.example")

        mailchimp_email_change_approve(change_id=change.pk)

        contact.refresh_from_db()
        assert contact.email == "new@shop.example"
        assert MailchimpEmailChangeRequest.objects.get().status == "approved"

    def test_events_of_another_audience_are_ignored(self, client, standin):
        contact = ContactFactory(email="other@shop.example", marketing_consent=True)

        client.post(_url(), _unsubscribe("other@shop.example", **{"data[list_id]": "someone-else"}))

        contact.refresh_from_db()
        assert contact.marketing_consent is True
        assert MailchimpWebhookEvent.objects.get().status == "ignored"

    def test_a_post_without_type_is_400(self, client, standin):
        assert client.post(_url(), {"data[email]": "x@example.com"}).status_code == 400
