"""The Mailchimp settings, read from `django.conf.settings` at call time with embedded-mode defaults.

Required ones live in settings.py (MAILCHIMP_API_KEY, MAILCHIMP_SERVER, MAILCHIMP_LIST_ID,
MAILCHIMP_WEBHOOK_SECRET); the tuning knobs below are optional and default sensibly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Mailchimp's own limits.
MAX_CONNECTIONS = 10
MAX_BATCH = 500
MAX_PAGE = 1000
MAX_TAG_NAME = 100

DEFAULT_MERGE_FIELDS = {"FNAME": "first_name", "LNAME": "last_name", "COMPANY": "company"}


@dataclass(frozen=True)
class MailchimpSettings:
    api_key: str
    server: str
    list_id: str
    webhook_secret: str
    standin_url: str = ""
    timeout: float = 30.0
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 60.0
    max_attempts: int = 5
    max_connections: int = MAX_CONNECTIONS
    chunk_size: int = MAX_BATCH
    tag_prefix: str = "shop: "
    double_opt_in: bool = False
    merge_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MERGE_FIELDS))
    status_scan_threshold: int = 200
    lease_seconds: int = 600
    member_max_attempts: int = 5

    @property
    def uses_standin(self) -> bool:
        return not self.api_key


def mailchimp_settings() -> MailchimpSettings:
    extra_merge_fields = getattr(settings, "MAILCHIMP_MERGE_FIELDS", {}) or {}
    if not isinstance(extra_merge_fields, dict):
        raise ImproperlyConfigured("MAILCHIMP_MERGE_FIELDS must map Mailchimp merge tags to contact fields.")
    return MailchimpSettings(
        api_key=settings.MAILCHIMP_API_KEY,
        server=settings.MAILCHIMP_SERVER,
        list_id=settings.MAILCHIMP_LIST_ID,
        webhook_secret=settings.MAILCHIMP_WEBHOOK_SECRET,
        standin_url=getattr(settings, "MAILCHIMP_STANDIN_URL", ""),
        timeout=float(getattr(settings, "MAILCHIMP_TIMEOUT_SECONDS", 30.0)),
        retry_base_seconds=float(getattr(settings, "MAILCHIMP_RETRY_BASE_SECONDS", 1.0)),
        retry_max_seconds=float(getattr(settings, "MAILCHIMP_RETRY_MAX_SECONDS", 60.0)),
        max_attempts=max(1, int(getattr(settings, "MAILCHIMP_MAX_ATTEMPTS", 5))),
        max_connections=max(1, min(MAX_CONNECTIONS, int(getattr(settings, "MAILCHIMP_MAX_CONNECTIONS", MAX_CONNECTIONS)))),
        chunk_size=max(1, min(MAX_BATCH, int(getattr(settings, "MAILCHIMP_CHUNK_SIZE", MAX_BATCH)))),
        tag_prefix=getattr(settings, "MAILCHIMP_TAG_PREFIX", "shop: "),
        double_opt_in=bool(getattr(settings, "MAILCHIMP_DOUBLE_OPT_IN", False)),
        merge_fields={**DEFAULT_MERGE_FIELDS, **extra_merge_fields},
        status_scan_threshold=int(getattr(settings, "MAILCHIMP_STATUS_SCAN_THRESHOLD", 200)),
        lease_seconds=int(getattr(settings, "MAILCHIMP_LEASE_SECONDS", 600)),
        member_max_attempts=int(getattr(settings, "MAILCHIMP_MEMBER_MAX_ATTEMPTS", 5)),
    )
