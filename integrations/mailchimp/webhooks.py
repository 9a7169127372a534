"""Writes for Mailchimp webhook deliveries and the email changes they report.

Mailchimp posts form-encoded events (`type`, `fired_at`, `data[email]`, `data[list_id]`,
...). Webhooks are unsigned, so the URL carries a secret (checked in the view). Each
delivery is stored under a key derived from its content; a second delivery of the
same event finds the key taken and changes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Contact, User
from b2bshop.exceptions import ApplicationError
from integrations.mailchimp.conf import mailchimp_settings
from integrations.mailchimp.consent import email_normalize
from integrations.mailchimp.selectors import syncs_tagging_emails
from integrations.models import (
    MailchimpEmailChangeRequest,
    MailchimpMember,
    MailchimpSyncRun,
    MailchimpWebhookEvent,
)

EVENT_TYPES = ("subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign")


def webhook_event_key(data: Mapping[str, str]) -> str:
    """The same delivery gives the same key, whatever the order of the form fields."""
    canonical = json.dumps(sorted((str(k), str(v)) for k, v in data.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fired_at(value: str) -> datetime.datetime | None:
    """Mailchimp sends 'YYYY-MM-DD HH:MM:SS' in UTC."""
    try:
        parsed = datetime.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
    except (AttributeError, ValueError):
        return None
    return parsed.replace(tzinfo=datetime.UTC)


def mailchimp_webhook_receive(*, data: Mapping[str, str]) -> tuple[MailchimpWebhookEvent, bool]:
    """Store and process one delivery; (event, False) when it was delivered before."""
    key = webhook_event_key(data)
    existing = MailchimpWebhookEvent.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    kind = str(data.get("type", ""))[:32]
    email = email_normalize(data.get("data[email]", "") or data.get("data[old_email]", ""))
    try:
        with transaction.atomic():
            event = MailchimpWebhookEvent.objects.create(
                key=key, type=kind, fired_at=_fired_at(data.get("fired_at", "")), email=email[:254],
                list_id=str(data.get("data[list_id]", ""))[:64], payload=dict(data),
            )
            _process(event, data)
    except IntegrityError:  # the same delivery, processed concurrently
        return MailchimpWebhookEvent.objects.get(key=key), False
    return event, True


def _process(event: MailchimpWebhookEvent, data: Mapping[str, str]) -> None:
    from integrations.mailchimp.services import mailchimp_sync_enqueue

    conf = mailchimp_settings()
    if event.list_id and event.list_id != conf.list_id:
        _ignore(event, f"another audience ({event.list_id})")
        return
    if event.type not in EVENT_TYPES:
        _ignore(event, f"unknown event type '{event.type}'")
        return
    if event.type in ("unsubscribe", "cleaned"):
        if not event.email:
            _ignore(event, "no email")
            return
        contacts = Contact.objects.filter(email__iexact=event.email)
        contact_ids = list(contacts.values_list("pk", flat=True))
        contacts.update(marketing_consent=False)
        event.contacts.set(contact_ids)
        status = MailchimpMember.Status.UNSUBSCRIBED if event.type == "unsubscribe" else MailchimpMember.Status.CLEANED
        MailchimpMember.objects.update_or_create(email=event.email, defaults={"status": status})
        segment_ids = syncs_tagging_emails(emails=[event.email])
        for segment_id in segment_ids:
            mailchimp_sync_enqueue(segment_id=segment_id, trigger=MailchimpSyncRun.Trigger.WEBHOOK)
        event.message = (
            f"marketing consent cleared for {len(contact_ids)} contact(s); "
            f"removal from {len(segment_ids)} tag(s) queued"
        )
    elif event.type == "subscribe":
        if event.email:
            MailchimpMember.objects.update_or_create(
                email=event.email, defaults={"status": MailchimpMember.Status.SUBSCRIBED}
            )
        event.message = "recorded; marketing consent is only given in the shop"
    elif event.type == "profile":
        # The shop owns the merge fields it sends: the next sync writes them again.
        MailchimpMember.objects.filter(email=event.email).update(merge_digest="")
        event.message = "recorded; the shop's merge fields are sent again at the next sync"
    elif event.type == "upemail":
        old_email = email_normalize(data.get("data[old_email]", ""))
        new_email = email_normalize(data.get("data[new_email]", ""))
        contact = Contact.objects.filter(email__iexact=old_email).order_by("pk").first()
        MailchimpEmailChangeRequest.objects.create(
            contact=contact, old_email=old_email, new_email=new_email, webhook_event=event
        )
        if contact is not None:
            event.contacts.set([contact.pk])
        event.message = "email change recorded for review"
    else:
        event.message = "recorded"
    event.save(update_fields=["message"])


def _ignore(event: MailchimpWebhookEvent, message: str) -> None:
    event.status, event.message = MailchimpWebhookEvent.Status.IGNORED, message
    event.save(update_fields=["status", "message"])


# ------------------------------------------------------------ email changes


@transaction.atomic
def mailchimp_email_change_approve(*, change_id: int, user: User | None = None) -> MailchimpEmailChangeRequest:
    """Apply a reviewed email change to the contact; the next sync moves the tags."""
    from integrations.mailchimp.services import mailchimp_sync_enqueue

    change = MailchimpEmailChangeRequest.objects.select_for_update().get(pk=change_id)
    if change.status != MailchimpEmailChangeRequest.Status.PENDING:
        raise ApplicationError(f"This email change was already {change.get_status_display().lower()}.")
    if change.contact_id is None:
        raise ApplicationError(f"No contact has the email {change.old_email}; nothing to change.")
    if User.objects.filter(email__iexact=change.new_email).exclude(pk=change.contact_id).exists():
        raise ApplicationError(f"Another account already uses {change.new_email}.")
    User.objects.filter(pk=change.contact_id).update(email=change.new_email)
    change.status, change.decided_at, change.decided_by = (
        MailchimpEmailChangeRequest.Status.APPROVED, timezone.now(), user,
    )
    change.save(update_fields=["status", "decided_at", "decided_by"])
    for segment_id in syncs_tagging_emails(emails=[change.old_email]):
        mailchimp_sync_enqueue(segment_id=segment_id, trigger=MailchimpSyncRun.Trigger.WEBHOOK, user=user)
    return change


@transaction.atomic
def mailchimp_email_change_reject(
    *, change_id: int, user: User | None = None, note: str = ""
) -> MailchimpEmailChangeRequest:
    change = MailchimpEmailChangeRequest.objects.select_for_update().get(pk=change_id)
    if change.status != MailchimpEmailChangeRequest.Status.PENDING:
        raise ApplicationError(f"This email change was already {change.get_status_display().lower()}.")
    change.status, change.decided_at, change.decided_by = (
        MailchimpEmailChangeRequest.Status.REJECTED, timezone.now(), user,
    )
    change.note = note
    change.save(update_fields=["status", "decided_at", "decided_by", "note"])
    return change
