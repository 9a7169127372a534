"""The sync against the local stand-in, through the real mailchimp-marketing client."""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from accounts.models import Contact
from integrations.mailchimp.exceptions import MailchimpTransientError
from integrations.mailchimp.services import SyncProgress, mailchimp_sync, mailchimp_sync_execute
from integrations.mailchimp.standin import Fault, subscriber_hash
from integrations.models import (
    MailchimpMember,
    MailchimpMemberError,
    MailchimpSegmentSync,
    MailchimpSyncChunk,
    MailchimpSyncRun,
)
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.integrations.mailchimp.conftest import LIST_ID
from tests.integrations.mailchimp.factories import MailchimpSegmentSyncFactory
from tests.segments.factories import SegmentFactory


class WorkerCrash(BaseException):
    """A worker dying mid-run: no Python clean-up code catches it."""


def _contacts(count, *, prefix="buyer", consenting=True, **fields):
    company = CompanyFactory(name="Bloemen BV", sector="A")
    return [
        ContactFactory(email=f"{prefix}{n}@shop.example", company=company, marketing_consent=consenting, **fields)
        for n in range(count)
    ]


def _tag(standin, name="shop: Loyal"):
    return standin.state.tag_emails(LIST_ID, name)


def _emails(contacts):
    return {contact.email.lower() for contact in contacts}


@pytest.fixture
def loyal(db):
    return MailchimpSegmentSyncFactory(segment=SegmentFactory(name="Loyal", slug="loyal"))


@pytest.mark.django_db
class MailchimpSyncTests:
    def test_first_sync_creates_the_tag_upserts_members_and_tags_them(self, standin, loyal, members_set):
        contacts = _contacts(12)
        members_set(loyal.segment, contacts)

        result = mailchimp_sync(segment_id=loyal.segment_id)

        assert result.status == MailchimpSyncRun.Status.SUCCEEDED
        assert (result.added, result.removed, result.upserted) == (12, 0, 12)
        assert _tag(standin) == _emails(contacts)
        member = standin.state.member_get(LIST_ID, subscriber_hash(contacts[0].email))
        assert member["status"] == "subscribed"
        assert member["merge_fields"] == {"FNAME": "Anna", "LNAME": contacts[0].last_name, "COMPANY": "Bloemen BV"}
        loyal.refresh_from_db()
        assert loyal.tag_name == "shop: Loyal"
        assert loyal.mailchimp_segment_id == standin.state.segments_list(LIST_ID, count=10, offset=0)["segments"][0]["id"]
        assert loyal.last_synced_event_id is not None
        # chunks of <= 5 (the test chunk size): 3 upsert calls and 3 tag calls
        assert len(standin.call_list(method="POST", path=rf"^/3.0/lists/{LIST_ID}$")) == 3
        assert len(standin.call_list(method="POST", path=r"/segments/\d+$")) == 3

    def test_upserts_send_status_if_new_and_never_status(self, standin, loyal, members_set):
        members_set(loyal.segment, _contacts(3))

        mailchimp_sync(segment_id=loyal.segment_id)

        (call,) = standin.call_list(method="POST", path=rf"^/3.0/lists/{LIST_ID}$")
        assert call.body["update_existing"] is True
        assert {m["status_if_new"] for m in call.body["members"]} == {"subscribed"}
        assert all("status" not in m for m in call.body["members"])

    def test_configured_merge_fields_are_sent(self, standin, loyal, members_set, settings):
        settings.MAILCHIMP_MERGE_FIELDS = {"SECTOR": "sector", "CITY": "city"}
        (contact,) = _contacts(1)
        members_set(loyal.segment, [contact])

        mailchimp_sync(segment_id=loyal.segment_id)

        merge_fields = standin.state.member_get(LIST_ID, subscriber_hash(contact.email))["merge_fields"]
        assert (merge_fields["SECTOR"], merge_fields["CITY"], merge_fields["COMPANY"]) == ("A", "Aalsmeer", "Bloemen BV")

    def test_an_unknown_merge_field_source_is_a_configuration_error(self, standin, loyal, members_set, settings):
        settings.MAILCHIMP_MERGE_FIELDS = {"SECRET": "password"}
        members_set(loyal.segment, _contacts(1))

        with pytest.raises(ImproperlyConfigured, match="unknown source 'password'"):
            mailchimp_sync(segment_id=loyal.segment_id)

    def test_double_opt_in_makes_new_members_pending(self, standin, loyal, members_set, settings):
        settings.MAILCHIMP_DOUBLE_OPT_IN = True
        (contact,) = _contacts(1)
        members_set(loyal.segment, [contact])

        mailchimp_sync(segment_id=loyal.segment_id)

        assert standin.state.member_get(LIST_ID, subscriber_hash(contact.email))["status"] == "pending"

    def test_incremental_sync_sends_only_the_differences(self, standin, loyal, members_set):
        contacts = _contacts(8)
        members_set(loyal.segment, contacts[:6])
        mailchimp_sync(segment_id=loyal.segment_id)
        standin.reset_calls()

        members_set(loyal.segment, contacts[1:7])  # contact 0 leaves, contact 6 joins
        result = mailchimp_sync(segment_id=loyal.segment_id)

        writes = standin.write_calls
        upsert, add, remove = (
            [c for c in writes if c.path == f"/3.0/lists/{LIST_ID}"],
            [c for c in writes if c.body and "members_to_add" in c.body],
            [c for c in writes if c.body and "members_to_remove" in c.body],
        )
        assert [m["email_address"] for m in upsert[0].body["members"]] == [contacts[6].email]
        assert add[0].body == {"members_to_add": [contacts[6].email]}
        assert remove[0].body == {"members_to_remove": [contacts[0].email]}
        assert len(writes) == 3
        (lookup,) = standin.call_list(method="GET")  # the unknown joiner's status
        assert lookup.path == f"/3.0/lists/{LIST_ID}/members/{subscriber_hash(contacts[6].email)}"
        assert (result.added, result.removed) == (1, 1)
        assert _tag(standin) == _emails(contacts[1:7])

    def test_a_sync_without_changes_makes_no_write_call(self, standin, loyal, members_set):
        members_set(loyal.segment, _contacts(7))
        mailchimp_sync(segment_id=loyal.segment_id)
        standin.reset_calls()

        incremental = mailchimp_sync(segment_id=loyal.segment_id)
        full = mailchimp_sync(segment_id=loyal.segment_id, full=True)

        assert standin.write_calls == []
        assert (incremental.added, incremental.removed, incremental.upserted) == (0, 0, 0)
        assert (full.added, full.removed, full.upserted) == (0, 0, 0)
        assert full.status == MailchimpSyncRun.Status.SUCCEEDED

    def test_a_changed_merge_field_is_updated_without_touching_the_tag(self, standin, loyal, members_set):
        contacts = _contacts(3)
        members_set(loyal.segment, contacts)
        mailchimp_sync(segment_id=loyal.segment_id)
        standin.reset_calls()
        Contact.objects.filter(pk=contacts[1].pk).update(last_name="Jansen")

        result = mailchimp_sync(segment_id=loyal.segment_id)

        (call,) = standin.write_calls
        assert call.body["members"][0]["merge_fields"]["LNAME"] == "Jansen"
        assert (result.upserted, result.added) == (1, 0)

    def test_contacts_without_consent_or_inactive_are_not_added(self, standin, loyal, members_set):
        consenting = _contacts(2)
        refusing = _contacts(2, prefix="noconsent", consenting=False)
        inactive = _contacts(1, prefix="inactive", is_active=False)
        members_set(loyal.segment, consenting + refusing + inactive)

        result = mailchimp_sync(segment_id=loyal.segment_id)

        assert _tag(standin) == _emails(consenting)
        assert set(standin.state.snapshot()[LIST_ID]["members"]) == _emails(consenting)
        assert result.skipped == {"inactive": 1, "no_consent": 2}

    def test_a_contact_who_loses_consent_is_removed_from_every_synced_tag(self, standin, loyal, members_set):
        other = MailchimpSegmentSyncFactory(segment=SegmentFactory(name="Tulips", slug="tulips"))
        contacts = _contacts(3)
        members_set(loyal.segment, contacts)
        members_set(other.segment, contacts)
        mailchimp_sync()
        Contact.objects.filter(pk=contacts[0].pk).update(marketing_consent=False)

        result = mailchimp_sync()

        assert _tag(standin) == _emails(contacts[1:])
        assert _tag(standin, "shop: Tulips") == _emails(contacts[1:])
        assert result.removed == 2
        # removed from the tags, not resubscribed or unsubscribed by the shop
        assert standin.state.member_get(LIST_ID, subscriber_hash(contacts[0].email))["status"] == "subscribed"

    def test_an_unsubscribed_member_is_never_resubscribed(self, standin, loyal, members_set):
        contacts = _contacts(3)
        standin.state.member_seed(LIST_ID, contacts[0].email, status="unsubscribed")
        standin.state.member_seed(LIST_ID, contacts[1].email, status="cleaned")
        members_set(loyal.segment, contacts)

        result = mailchimp_sync(segment_id=loyal.segment_id)
        mailchimp_sync(segment_id=loyal.segment_id, full=True)

        assert standin.state.member_get(LIST_ID, subscriber_hash(contacts[0].email))["status"] == "unsubscribed"
        assert standin.state.member_get(LIST_ID, subscriber_hash(contacts[1].email))["status"] == "cleaned"
        assert _tag(standin) == {contacts[2].email}
        assert result.skipped == {"mailchimp_cleaned": 1, "mailchimp_unsubscribed": 1}
        sent = {m["email_address"] for c in standin.write_calls if c.body and "members" in c.body for m in c.body["members"]}
        assert sent == {contacts[2].email}

    def test_a_stale_record_never_resubscribes_either(self, standin, loyal, members_set):
        """The shop thinks the member is subscribed; Mailchimp knows better. No `status` is sent, so nothing changes."""
        contacts = _contacts(2)
        members_set(loyal.segment, contacts)
        mailchimp_sync(segment_id=loyal.segment_id)
        standin.state.member_patch(LIST_ID, subscriber_hash(contacts[0].email), {"status": "unsubscribed"})
        Contact.objects.filter(pk=contacts[0].pk).update(first_name="Anne")  # forces an upsert

        result = mailchimp_sync(segment_id=loyal.segment_id)

        assert standin.state.member_get(LIST_ID, subscriber_hash(contacts[0].email))["status"] == "unsubscribed"
        assert result.skipped == {"mailchimp_unsubscribed": 1}
        assert MailchimpMember.objects.get(email=contacts[0].email).status == "unsubscribed"

    def test_renaming_the_segment_renames_the_tag(self, standin, loyal, members_set):
        contacts = _contacts(2)
        members_set(loyal.segment, contacts)
        mailchimp_sync(segment_id=loyal.segment_id)
        tag_id = MailchimpSegmentSync.objects.get(pk=loyal.pk).mailchimp_segment_id
        loyal.segment.name = "Loyal customers"
        loyal.segment.save()
        standin.reset_calls()

        mailchimp_sync(segment_id=loyal.segment_id)

        (rename,) = standin.write_calls
        assert (rename.method, rename.path, rename.body) == (
            "PATCH", f"/3.0/lists/{LIST_ID}/segments/{tag_id}", {"name": "shop: Loyal customers"}
        )
        assert _tag(standin, "shop: Loyal customers") == _emails(contacts)
        assert MailchimpSegmentSync.objects.get(pk=loyal.pk).tag_name == "shop: Loyal customers"

    def test_a_tag_deleted_in_mailchimp_is_created_again(self, standin, loyal, members_set):
        contacts = _contacts(3)
        members_set(loyal.segment, contacts)
        mailchimp_sync(segment_id=loyal.segment_id)
        standin.state.segment_delete(LIST_ID, MailchimpSegmentSync.objects.get(pk=loyal.pk).mailchimp_segment_id)
        loyal.segment.name = "Loyal customers"
        loyal.segment.save()

        mailchimp_sync(segment_id=loyal.segment_id)

        assert _tag(standin, "shop: Loyal customers") == _emails(contacts)

    def test_a_full_reconcile_against_an_emptied_audience_rebuilds_it(self, standin, loyal, members_set):
        """E.g. the embedded stand-in after a restart, or a new audience: the shop's records are stale."""
        contacts = _contacts(4)
        members_set(loyal.segment, contacts)
        mailchimp_sync(segment_id=loyal.segment_id)
        standin.reset()

        result = mailchimp_sync(segment_id=loyal.segment_id, full=True)

        assert result.status == MailchimpSyncRun.Status.SUCCEEDED
        assert _tag(standin) == _emails(contacts)
        assert set(standin.state.snapshot()[LIST_ID]["members"]) == _emails(contacts)

    def test_full_reconcile_repairs_changes_made_in_mailchimp(self, standin, loyal, members_set):
        contacts = _contacts(4)
        stranger = "stranger@elsewhere.example"
        members_set(loyal.segment, contacts)
        mailchimp_sync(segment_id=loyal.segment_id)
        tag_id = MailchimpSegmentSync.objects.get(pk=loyal.pk).mailchimp_segment_id
        standin.state.member_seed(LIST_ID, stranger)
        standin.state.segment_batch(LIST_ID, tag_id, {"members_to_add": [stranger], "members_to_remove": [contacts[0].email]})

        assert mailchimp_sync(segment_id=loyal.segment_id).added == 0  # incremental trusts its record
        result = mailchimp_sync(segment_id=loyal.segment_id, full=True)

        assert (result.added, result.removed) == (1, 1)
        assert _tag(standin) == _emails(contacts)

    def test_many_unknown_members_are_looked_up_with_a_listing_not_one_by_one(self, standin, loyal, members_set, settings):
        settings.MAILCHIMP_STATUS_SCAN_THRESHOLD = 3
        contacts = _contacts(6)
        standin.state.member_seed(LIST_ID, contacts[0].email, status="unsubscribed")
        members_set(loyal.segment, contacts)

        result = mailchimp_sync(segment_id=loyal.segment_id)

        assert standin.call_list(method="GET", path=r"/members/[0-9a-f]{32}$") == []
        assert len(standin.call_list(method="GET", path=rf"^/3.0/lists/{LIST_ID}/members$")) == 1
        assert result.skipped == {"mailchimp_unsubscribed": 1}
        assert _tag(standin) == _emails(contacts[1:])

    def test_emails_are_lower_cased_and_hashed_in_lower_case(self, standin, loyal, members_set):
        contact = ContactFactory(email="Anna.De.Vries@Bloemen.EXAMPLE", marketing_consent=True)
        twin = ContactFactory(email="anna.de.vries@bloemen.example", marketing_consent=True)
        members_set(loyal.segment, [contact, twin])

        result = mailchimp_sync(segment_id=loyal.segment_id)

        member = standin.state.member_get(LIST_ID, subscriber_hash("anna.de.vries@bloemen.example"))
        assert member["email_address"] == "anna.de.vries@bloemen.example"
        assert _tag(standin) == {"anna.de.vries@bloemen.example"}
        assert result.skipped == {"duplicate_email": 1}
        assert MailchimpMember.objects.get().email == "anna.de.vries@bloemen.example"


@pytest.mark.django_db
class MailchimpSyncFaultTests:
    def test_429_with_retry_after_is_waited_for_then_succeeds(self, standin, loyal, members_set):
        members_set(loyal.segment, _contacts(2))
        standin.inject(Fault(status=429, retry_after=1, method="POST", path=rf"^/3.0/lists/{LIST_ID}$"))

        started = time.monotonic()
        result = mailchimp_sync(segment_id=loyal.segment_id)

        assert time.monotonic() - started >= 1.0
        assert result.status == MailchimpSyncRun.Status.SUCCEEDED
        statuses = [c.status for c in standin.call_list(method="POST", path=rf"^/3.0/lists/{LIST_ID}$")]
        assert statuses == [429, 200]

    def test_a_burst_of_500s_with_and_without_body_is_retried(self, standin, loyal, members_set):
        contacts = _contacts(6)
        members_set(loyal.segment, contacts)
        standin.inject(
            Fault(status=500, path=r"/segments/\d+$", method="POST", times=2),
            Fault(status=503, empty_body=True, path=r"/segments/\d+$", method="POST", times=2),
        )

        result = mailchimp_sync(segment_id=loyal.segment_id)

        assert result.status == MailchimpSyncRun.Status.SUCCEEDED
        assert _tag(standin) == _emails(contacts)
        assert sorted(c.status for c in standin.call_list(method="POST", path=r"/segments/\d+$")) == [200, 200, 500, 500, 503, 503]

    def test_a_timeout_is_retried_and_the_repeated_write_changes_nothing(self, standin, loyal, members_set, settings):
        settings.MAILCHIMP_TIMEOUT_SECONDS = 0.3
        contacts = _contacts(3)
        members_set(loyal.segment, contacts)
        # Mailchimp does the work but the answer never arrives in time.
        standin.inject(Fault(status=200, hang=0.6, apply=True, method="POST", path=r"/segments/\d+$"))

        result = mailchimp_sync(segment_id=loyal.segment_id)

        assert result.status == MailchimpSyncRun.Status.SUCCEEDED
        assert _tag(standin) == _emails(contacts)
        assert len(standin.call_list(method="POST", path=r"/segments/\d+$")) == 2

    def test_mailchimp_down_interrupts_the_run_and_the_next_one_resumes_it(self, standin, loyal, members_set, settings):
        settings.MAILCHIMP_MAX_ATTEMPTS = 2
        contacts = _contacts(4)
        members_set(loyal.segment, contacts)
        standin.inject(Fault(status=503, method="POST", path=r"/segments/\d+$", times=2))

        first = mailchimp_sync(segment_id=loyal.segment_id)
        second = mailchimp_sync(segment_id=loyal.segment_id)

        assert first.status == MailchimpSyncRun.Status.INTERRUPTED
        assert second.run_id == first.run_id
        assert second.status == MailchimpSyncRun.Status.SUCCEEDED
        assert _tag(standin) == _emails(contacts)
        assert len(standin.call_list(method="POST", path=rf"^/3.0/lists/{LIST_ID}$")) == 1  # upserts were not repeated

    def test_the_task_entry_point_raises_transient_errors_so_the_worker_retries(self, standin, loyal, members_set, settings):
        settings.MAILCHIMP_MAX_ATTEMPTS = 1
        members_set(loyal.segment, _contacts(2))
        run = MailchimpSyncRun.objects.create(segment=loyal.segment)
        standin.inject(Fault(status=500, times=1))

        with pytest.raises(MailchimpTransientError):
            mailchimp_sync_execute(run_id=run.pk)
        result = mailchimp_sync_execute(run_id=run.pk)  # the retry resumes the same run

        assert result.status == MailchimpSyncRun.Status.SUCCEEDED
        assert mailchimp_sync_execute(run_id=run.pk) == result  # a redelivered task does nothing

    def test_a_compliance_error_is_recorded_per_contact_and_not_retried(self, standin, loyal, members_set):
        contacts = _contacts(3)
        standin.state.member_errors[contacts[0].email] = "compliance"
        standin.state.member_errors[contacts[1].email] = "forgotten"
        members_set(loyal.segment, contacts)

        first = mailchimp_sync(segment_id=loyal.segment_id)
        Contact.objects.update(last_name="Changed")  # every member would be upserted again
        standin.reset_calls()
        second = mailchimp_sync(segment_id=loyal.segment_id)

        assert first.status == MailchimpSyncRun.Status.PARTIAL
        assert first.failed == 2
        errors = {e.email: e for e in MailchimpMemberError.objects.all()}
        assert set(errors) == {contacts[0].email, contacts[1].email}
        assert all(e.permanent and e.attempts == 1 and e.contact_id for e in errors.values())
        assert "compliance state" in errors[contacts[0].email].message
        sent = {m["email_address"] for c in standin.write_calls if c.body and "members" in c.body for m in c.body["members"]}
        assert sent == {contacts[2].email}
        assert second.skipped == {"permanent_error": 2}
        assert _tag(standin) == {contacts[2].email}

    def test_other_member_errors_are_retried_then_dead_lettered(self, standin, loyal, members_set):
        contacts = _contacts(2)
        standin.state.member_errors[contacts[0].email] = "generic"
        members_set(loyal.segment, contacts)

        for _ in range(5):
            mailchimp_sync(segment_id=loyal.segment_id)
        error = MailchimpMemberError.objects.get()
        standin.reset_calls()
        sixth = mailchimp_sync(segment_id=loyal.segment_id)

        assert (error.permanent, error.attempts, error.dead_lettered) == (False, 5, True)
        assert standin.write_calls == []
        assert sixth.skipped == {"dead_lettered": 1}

    def test_a_retried_member_that_succeeds_has_its_error_resolved(self, standin, loyal, members_set):
        contacts = _contacts(2)
        standin.state.member_errors[contacts[0].email] = "generic"
        members_set(loyal.segment, contacts)
        mailchimp_sync(segment_id=loyal.segment_id)
        del standin.state.member_errors[contacts[0].email]

        mailchimp_sync(segment_id=loyal.segment_id)

        assert MailchimpMemberError.objects.get().resolved_at is not None
        assert _tag(standin) == _emails(contacts)

    def test_a_crash_in_the_middle_resumes_to_the_same_result(self, standin, loyal, members_set):
        contacts = _contacts(23)
        members_set(loyal.segment, contacts)

        def crash_after_seven(progress: SyncProgress) -> None:
            if progress.chunks_done == 7:
                raise WorkerCrash

        with pytest.raises(WorkerCrash):
            mailchimp_sync(segment_id=loyal.segment_id, on_progress=crash_after_seven)
        run = MailchimpSyncRun.objects.get()
        assert run.status == MailchimpSyncRun.Status.RUNNING
        done_before = set(run.chunks.filter(status="done").values_list("seq", flat=True))
        calls_before = len(standin.write_calls)

        resumed = mailchimp_sync(segment_id=loyal.segment_id)
        crashed_state = standin.state.snapshot()

        assert resumed.run_id == run.pk
        assert resumed.status == MailchimpSyncRun.Status.SUCCEEDED
        assert len(done_before) == 7
        chunk_count = MailchimpSyncChunk.objects.filter(run=run).count()
        assert len(standin.write_calls) - calls_before == chunk_count - 7  # only the pending chunks were sent
        # The same data synced without a crash ends in the same state.
        standin.reset()
        MailchimpSegmentSync.objects.filter(pk=loyal.pk).update(mailchimp_segment_id=None, tag_name="")
        MailchimpMember.objects.all().delete()
        loyal.tag_members.all().delete()
        mailchimp_sync(segment_id=loyal.segment_id)
        assert standin.state.snapshot() == crashed_state

    def test_dry_run_makes_only_get_calls_and_reports_the_plan(self, standin, loyal, members_set):
        contacts = _contacts(4)
        refusing = _contacts(1, prefix="noconsent", consenting=False)
        members_set(loyal.segment, contacts[:3] + refusing)
        mailchimp_sync(segment_id=loyal.segment_id)
        members_set(loyal.segment, contacts[1:] + refusing)
        standin.reset_calls()
        before = standin.state.snapshot()

        result = mailchimp_sync(segment_id=loyal.segment_id, dry_run=True, full=True)

        assert {c.method for c in standin.call_list()} == {"GET"}
        assert standin.state.snapshot() == before
        (tag,) = result.tags
        assert (tag.tag, tag.would_add, tag.would_remove, tag.skipped) == ("shop: Loyal", 1, 1, {"no_consent": 1})
        assert MailchimpSyncChunk.objects.filter(run_id=result.run_id).count() == 0

    def test_dry_run_of_a_new_tag_creates_nothing(self, standin, loyal, members_set):
        members_set(loyal.segment, _contacts(3))

        result = mailchimp_sync(dry_run=True)

        assert {c.method for c in standin.call_list()} == {"GET"}
        assert result.tags[0].would_add == 3
        assert MailchimpSegmentSync.objects.get(pk=loyal.pk).mailchimp_segment_id is None

    def test_never_more_than_ten_concurrent_connections(self, standin, members_set, settings):
        standin.latency = 0.03
        syncs = [MailchimpSegmentSyncFactory(segment=SegmentFactory(name=f"S{n}", slug=f"s{n}")) for n in range(2)]
        contacts = _contacts(60)
        for sync in syncs:
            members_set(sync.segment, contacts)

        result = mailchimp_sync(full=True)

        assert result.status == MailchimpSyncRun.Status.SUCCEEDED
        assert 2 <= standin.peak_concurrency <= 10
        assert standin.refused_connections == 0

    def test_a_segment_locked_by_another_sync_is_skipped_and_synced_again_after(self, standin, loyal, members_set):
        members_set(loyal.segment, _contacts(2))
        MailchimpSegmentSync.objects.filter(pk=loyal.pk).update(
            lease_token="other-worker", lease_expires_at=timezone.now() + timedelta(minutes=5)
        )

        result = mailchimp_sync(segment_id=loyal.segment_id)

        assert result.status == MailchimpSyncRun.Status.SKIPPED
        assert standin.write_calls == []
        assert MailchimpSegmentSync.objects.get(pk=loyal.pk).rerun_requested is True

    def test_a_run_another_worker_is_carrying_out_is_left_alone(self, standin, loyal, members_set):
        members_set(loyal.segment, _contacts(2))
        run = MailchimpSyncRun.objects.create(segment=loyal.segment, status=MailchimpSyncRun.Status.RUNNING)
        MailchimpSegmentSync.objects.filter(pk=loyal.pk).update(
            lease_token="busy-worker", lease_expires_at=timezone.now() + timedelta(minutes=5)
        )

        result = mailchimp_sync_execute(run_id=run.pk)  # e.g. the task delivered a second time

        assert result.status == MailchimpSyncRun.Status.RUNNING
        assert standin.call_list() == []

    def test_an_expired_lease_of_a_dead_worker_does_not_block(self, standin, loyal, members_set):
        members_set(loyal.segment, _contacts(2))
        MailchimpSegmentSync.objects.filter(pk=loyal.pk).update(
            lease_token="dead-worker", lease_expires_at=timezone.now() - timedelta(seconds=1)
        )

        assert mailchimp_sync(segment_id=loyal.segment_id).status == MailchimpSyncRun.Status.SUCCEEDED
