import pytest
from django.utils import timezone

from integrations import admin_mailchimp  # noqa: F401  registers the admin pages (integrations/admin.py imports it)
from integrations.mailchimp.standin import MailchimpStandin
from segments.models import MembershipEvent, SegmentMembership

LIST_ID = "test-audience"


@pytest.fixture
def standin(settings):
    """A fresh stand-in on a free port; the sync's client points at it (no API key = stand-in)."""
    server = MailchimpStandin().start()
    settings.MAILCHIMP_API_KEY = ""
    settings.MAILCHIMP_STANDIN_URL = server.url
    settings.MAILCHIMP_LIST_ID = LIST_ID
    settings.MAILCHIMP_RETRY_BASE_SECONDS = 0.001
    settings.MAILCHIMP_RETRY_MAX_SECONDS = 0.01
    settings.MAILCHIMP_TIMEOUT_SECONDS = 5
    settings.MAILCHIMP_CHUNK_SIZE = 5
    settings.MAILCHIMP_WEBHOOK_SECRET = "s3cret-webhook"
    yield server
    server.stop()


@pytest.fixture
def members_set():
    """Set a segment's members the way a refresh does: membership rows plus joined/left events."""

    def apply(segment, contacts):
        wanted = {contact.pk for contact in contacts}
        current = set(SegmentMembership.objects.filter(segment=segment).values_list("contact_id", flat=True))
        now = timezone.now()
        SegmentMembership.objects.filter(segment=segment, contact_id__in=current - wanted).delete()
        SegmentMembership.objects.bulk_create(
            [SegmentMembership(segment=segment, contact_id=pk, since=now) for pk in sorted(wanted - current)]
        )
        MembershipEvent.objects.bulk_create(
            [MembershipEvent(segment=segment, contact_id=pk, kind="joined", at=now) for pk in sorted(wanted - current)]
            + [MembershipEvent(segment=segment, contact_id=pk, kind="left", at=now) for pk in sorted(current - wanted)]
        )

    return apply
