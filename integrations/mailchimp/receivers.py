"""Listeners of other apps' notifications: they only enqueue; the services do the work."""

from __future__ import annotations

from typing import Any


def on_membership_changed(sender: Any, segment_id: int, contact_ids: frozenset[int] = frozenset(), **kwargs: Any) -> None:
    """A refresh changed a segment's members (sent after commit): sync its tag if it is synced."""
    from integrations.mailchimp.selectors import mailchimp_segment_is_synced
    from integrations.mailchimp.services import mailchimp_sync_enqueue
    from integrations.models import MailchimpSyncRun

    if mailchimp_segment_is_synced(segment_id=segment_id):
        mailchimp_sync_enqueue(segment_id=segment_id, trigger=MailchimpSyncRun.Trigger.MEMBERSHIP)
