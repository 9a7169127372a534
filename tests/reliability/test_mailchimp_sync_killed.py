"""A worker killed in the middle of a Mailchimp sync: the redelivered task resumes the run, nothing twice.

The sync runs as the Celery task (eager here). The worker dies right after Mailchimp
answered a call and before the shop recorded it (the worst moment: the change is applied
in Mailchimp, the chunk is still pending in the shop). Celery redelivers the task
(`acks_late`, `reject_on_worker_lost`), which resumes the same run: only unfinished chunks
are sent again, the run's counts and the shop's records are the same as without the crash,
and so is the audience in the stand-in.
"""

import itertools
import threading
from unittest import mock

import pytest

from integrations.mailchimp.client import MailchimpClient
from integrations.mailchimp.services import mailchimp_sync_enqueue
from integrations.mailchimp.tasks import mailchimp_sync_task
from integrations.models import (
    MailchimpMember,
    MailchimpSegmentSync,
    MailchimpSyncChunk,
    MailchimpSyncRun,
    MailchimpTagMember,
)
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.integrations.mailchimp.conftest import LIST_ID
from tests.integrations.mailchimp.factories import MailchimpSegmentSyncFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

MEMBERS = 23  # chunks of 5 (the stand-in fixture's chunk size): 5 upsert chunks, 5 tag chunks


class WorkerKilled(BaseException):
    """The worker process dies: no `except Exception` clean-up runs."""


@pytest.fixture
def loyal(standin, members_set):
    sync = MailchimpSegmentSyncFactory(segment=SegmentFactory(name="Loyal", slug="loyal"))
    company = CompanyFactory(name="Bloemen BV")
    contacts = [
        ContactFactory(email=f"buyer{n:02d}@shop.example", company=company, marketing_consent=True)
        for n in range(MEMBERS)
    ]
    members_set(sync.segment, contacts)
    return sync


def _killed_after(method_name: str, calls: int):
    """Patch the client so that the worker dies right after the `calls`-th answer of that call.

    A dead process sends nothing more: from then on every call of any thread dies before it is sent.
    """
    original = getattr(MailchimpClient, method_name)
    counter, lock, dead = itertools.count(1), threading.Lock(), threading.Event()

    def answered_then_killed(self, **kwargs):
        if dead.is_set():
            raise WorkerKilled
        answer = original(self, **kwargs)
        with lock:
            if next(counter) == calls:
                dead.set()
        if dead.is_set():
            raise WorkerKilled
        return answer

    return mock.patch.object(MailchimpClient, method_name, answered_then_killed)


def _queue_sync(segment_id, capture) -> MailchimpSyncRun:
    with capture(execute=False):
        run = mailchimp_sync_enqueue(segment_id=segment_id)
    return run


def _tag_adds(standin) -> list[str]:
    return [
        email
        for call in standin.call_list(method="POST")
        if "/segments/" in call.path
        for email in call.body.get("members_to_add", [])
    ]


def _shop_records(sync) -> tuple:
    run = MailchimpSyncRun.objects.get()
    return (
        run.status, run.added, run.removed, run.upserted, run.failed,
        MailchimpMember.objects.count(), MailchimpTagMember.objects.filter(sync=sync).count(),
    )


@pytest.mark.parametrize("killed_in", ["members_upsert", "tag_update"])
def test_a_killed_sync_resumes_to_the_same_result_and_counts_nothing_twice(
    standin, loyal, killed_in, django_capture_on_commit_callbacks
):
    run = _queue_sync(loyal.segment_id, django_capture_on_commit_callbacks)

    with _killed_after(killed_in, calls=3), pytest.raises(WorkerKilled):
        mailchimp_sync_task.delay(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == MailchimpSyncRun.Status.RUNNING
    assert run.chunks.exclude(status="done").exists()  # the chunks answered at the kill and the rest
    recorded_adds = {
        item[-1] if isinstance(item, list) else item  # [contact id, email] or the email
        for items in run.chunks.filter(phase="tag_add", status="done").values_list("items", flat=True)
        for item in items
    }
    adds_before = _tag_adds(standin)

    mailchimp_sync_task.delay(run_id=run.pk)  # the broker redelivers the unacknowledged task

    emails = {f"buyer{n:02d}@shop.example" for n in range(MEMBERS)}
    assert MailchimpSyncRun.objects.count() == 1  # the same run was resumed, no second one
    assert MailchimpSyncChunk.objects.filter(run=run).exclude(status="done").count() == 0
    crashed_records = _shop_records(loyal)
    assert crashed_records == ("succeeded", MEMBERS, 0, MEMBERS, 0, MEMBERS, MEMBERS)
    assert standin.state.tag_emails(LIST_ID, "shop: Loyal") == emails
    adds = _tag_adds(standin)
    assert set(adds) == emails
    # Chunks recorded as done are never sent again; only chunks Mailchimp had answered when the worker
    # died (in flight in its threads) are sent once more, which changes nothing (adding a present member).
    sent_twice = {email for email in adds if adds.count(email) > 1}
    assert sent_twice == set(adds_before) - recorded_adds
    assert all(adds.count(email) <= 2 for email in emails)
    if killed_in == "tag_update":
        assert len(sent_twice) >= 5  # at least the chunk of the killing answer
    crashed_state = standin.state.snapshot()

    # The same sync without the kill, from scratch, ends in the same audience and the same shop records.
    standin.reset()
    MailchimpSyncRun.objects.all().delete()
    MailchimpSegmentSync.objects.filter(pk=loyal.pk).update(mailchimp_segment_id=None, tag_name="", last_synced_event_id=None)
    MailchimpMember.objects.all().delete()
    MailchimpTagMember.objects.all().delete()
    run = _queue_sync(loyal.segment_id, django_capture_on_commit_callbacks)
    mailchimp_sync_task.delay(run_id=run.pk)

    assert standin.state.snapshot() == crashed_state
    assert _shop_records(loyal) == crashed_records
