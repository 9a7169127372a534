"""A refresh that changes a synced segment queues its sync after commit (apps.py wires the receiver)."""

import pytest

from integrations.models import MailchimpSyncRun
from segments.services import segment_refresh, segment_save
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.integrations.mailchimp.conftest import LIST_ID
from tests.integrations.mailchimp.factories import MailchimpSegmentSyncFactory

DUTCH = {"field": "company.country", "op": "eq", "value": "NL"}


@pytest.mark.django_db
class MembershipChangedReceiverTests:
    def test_a_refresh_that_changes_a_synced_segment_syncs_it_on_commit(self, standin, django_capture_on_commit_callbacks):
        dutch = ContactFactory(email="dutch@shop.example", company=CompanyFactory(country="NL"), marketing_consent=True)
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)
        MailchimpSegmentSyncFactory(segment=segment)

        with django_capture_on_commit_callbacks(execute=True):
            segment_refresh(segment_id=segment.pk)

        run = MailchimpSyncRun.objects.get()
        assert (run.segment, run.trigger, run.status) == (segment, "membership", "succeeded")
        assert standin.state.tag_emails(LIST_ID, "shop: Dutch") == {dutch.email}

    def test_a_refresh_without_changes_or_of_an_unsynced_segment_queues_nothing(self, standin, django_capture_on_commit_callbacks):
        ContactFactory(company=CompanyFactory(country="NL"), marketing_consent=True)
        synced = segment_save(name="Dutch", rule=DUTCH, refresh=False)
        MailchimpSegmentSyncFactory(segment=synced)
        unsynced = segment_save(name="Also Dutch", rule=DUTCH, refresh=False)
        MailchimpSegmentSyncFactory(segment=unsynced, disabled=True)
        with django_capture_on_commit_callbacks(execute=True):
            segment_refresh(segment_id=synced.pk)
        MailchimpSyncRun.objects.all().delete()

        with django_capture_on_commit_callbacks(execute=True):
            segment_refresh(segment_id=synced.pk)
            segment_refresh(segment_id=unsynced.pk)

        assert MailchimpSyncRun.objects.count() == 0
