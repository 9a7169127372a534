"""Mailchimp faults, typed by what to do next: retry (transient) or record (permanent)."""

from __future__ import annotations


class MailchimpError(Exception):
    """A call to Mailchimp failed."""

    def __init__(self, message: str, *, status: int | None = None, title: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.title = title
        self.detail = detail


class MailchimpTransientError(MailchimpError):
    """429, 5xx, a timeout or a dropped connection: retrying later may succeed."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class MailchimpPermanentError(MailchimpError):
    """The request itself is wrong (4xx other than 429): record it, do not retry."""


class MailchimpNotFoundError(MailchimpPermanentError):
    """404: the list, member or segment does not exist."""
