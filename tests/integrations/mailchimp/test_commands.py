"""manage.py sync_mailchimp: thin over the service; the dry run prints the plan per tag."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.accounts.factories import ContactFactory
from tests.integrations.mailchimp.conftest import LIST_ID
from tests.integrations.mailchimp.factories import MailchimpSegmentSyncFactory
from tests.segments.factories import SegmentFactory


@pytest.fixture
def loyal(db, members_set):
    sync = MailchimpSegmentSyncFactory(segment=SegmentFactory(name="Loyal", slug="loyal"))
    members_set(sync.segment, [ContactFactory(email=f"c{n}@shop.example", marketing_consent=True) for n in range(3)]
                + [ContactFactory(email="no@shop.example", marketing_consent=False)])
    return sync


@pytest.mark.django_db
class SyncMailchimpCommandTests:
    def test_dry_run_prints_would_add_remove_and_skipped_and_writes_nothing(self, standin, loyal):
        out = StringIO()

        call_command("sync_mailchimp", "--dry-run", "--segment", "loyal", stdout=out, stderr=StringIO())

        assert "shop: Loyal: would add 3, would remove 0, would upsert 3; skipped: No marketing consent: 1" in out.getvalue()
        assert {c.method for c in standin.call_list()} == {"GET"}

    def test_sync_with_progress_bar_and_summary(self, standin, loyal):
        out, err = StringIO(), StringIO()

        call_command("sync_mailchimp", "--full", stdout=out, stderr=err)

        assert "added 3, removed 0, upserted 3, member errors 0" in out.getvalue()
        assert "chunk" in err.getvalue()  # tqdm
        assert standin.state.tag_emails(LIST_ID, "shop: Loyal") == {"c0@shop.example", "c1@shop.example", "c2@shop.example"}

    def test_an_unknown_or_unsynced_segment_is_an_error(self, standin, loyal):
        SegmentFactory(name="Plain", slug="plain")
        with pytest.raises(CommandError, match="no segment 'nope'"):
            call_command("sync_mailchimp", "--segment", "nope")
        with pytest.raises(CommandError, match="not synced"):
            call_command("sync_mailchimp", "--segment", "plain")
