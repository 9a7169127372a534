"""Who may be in the audience and tagged (spec mailchimp.md, "Consent"), and why someone is skipped."""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

# Mailchimp statuses we never write over: such members are never resubscribed or tagged.
BLOCKED_STATUSES = frozenset({"unsubscribed", "cleaned", "archived", "transactional"})


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", "No marketing consent"
    INACTIVE = "inactive", "Contact inactive"
    INVALID_EMAIL = "invalid_email", "Invalid email address"
    DUPLICATE_EMAIL = "duplicate_email", "Email used by another contact"
    PERMANENT_ERROR = "permanent_error", "Mailchimp refused the member (permanent error)"
    DEAD_LETTERED = "dead_lettered", "Failed too often (dead-lettered)"
    MAILCHIMP_UNSUBSCRIBED = "mailchimp_unsubscribed", "Unsubscribed in Mailchimp"
    MAILCHIMP_CLEANED = "mailchimp_cleaned", "Cleaned in Mailchimp"
    MAILCHIMP_ARCHIVED = "mailchimp_archived", "Archived in Mailchimp"
    MAILCHIMP_TRANSACTIONAL = "mailchimp_transactional", "Transactional-only in Mailchimp"
    CHANGED_SINCE_PLAN = "changed_since_plan", "Changed while the run was under way"


def email_normalize(email: str) -> str:
    """The member key: Mailchimp matches emails case-insensitively (subscriber hash of the lower case)."""
    return (email or "").strip().lower()


def consent_skip_reason(*, marketing_consent: bool, is_active: bool) -> SkipReason | None:
    """Inactive contacts are treated like contacts without consent."""
    if not is_active:
        return SkipReason.INACTIVE
    if not marketing_consent:
        return SkipReason.NO_CONSENT
    return None


def contact_skip_reason(*, email: str, marketing_consent: bool, is_active: bool) -> SkipReason | None:
    """Why a segment member may not be in the audience at all, or None when they may."""
    reason = consent_skip_reason(marketing_consent=marketing_consent, is_active=is_active)
    if reason is not None:
        return reason
    return None if email_is_valid(email) else SkipReason.INVALID_EMAIL


@lru_cache(maxsize=2**18)
def email_is_valid(email: str) -> bool:
    """Django's email validation, cached: a contact in several synced segments is checked once."""
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def status_skip_reason(status: str | None) -> SkipReason | None:
    """Members Mailchimp holds as unsubscribed, cleaned, archived or transactional are left alone."""
    if status in BLOCKED_STATUSES:
        return SkipReason(f"mailchimp_{status}")
    return None


def status_if_new(*, double_opt_in: bool) -> str:
    return "pending" if double_opt_in else "subscribed"
