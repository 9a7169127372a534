"""Notifications of the segment engine for decoupled listeners (cache, Mailchimp sync)."""

from django.dispatch import Signal

# Sent after commit when a refresh changed a segment's members: segment_id, contact_ids.
membership_changed = Signal()
