"""Merge fields: which contact data goes to which Mailchimp merge tag (an allowlist of sources)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# Source name -> the contact's value path (ORM `values()` lookup). Only these can be configured.
MERGE_FIELD_SOURCES: dict[str, str] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company__name",
    "company_erp_id": "company__erp_id",
    "sector": "company__sector",
    "customer_group": "company__customer_group",
    "country": "company__country",
    "region": "company__region",
    "city": "company__city",
    "language": "language",
    "role": "role",
    "job_title": "job_title",
}


def merge_field_lookups(mapping: Mapping[str, str]) -> dict[str, str]:
    """Merge tag -> ORM lookup; unknown sources or malformed tags are configuration errors."""
    lookups = {}
    for tag, source in mapping.items():
        if not (isinstance(tag, str) and tag.isupper() and 0 < len(tag) <= 10 and tag.replace("_", "").isalnum()):
            raise ImproperlyConfigured(f"Mailchimp merge tag {tag!r} must be 1-10 upper-case letters or digits.")
        if source not in MERGE_FIELD_SOURCES:
            raise ImproperlyConfigured(
                f"Mailchimp merge field {tag} uses unknown source {source!r}; use one of {', '.join(MERGE_FIELD_SOURCES)}."
            )
        lookups[tag] = MERGE_FIELD_SOURCES[source]
    return lookups


def merge_values(row: Mapping[str, Any], *, lookups: Mapping[str, str]) -> dict[str, str]:
    """The merge fields of one contact row (from `values()`), as Mailchimp stores them: text."""
    return {tag: "" if row.get(lookup) is None else str(row[lookup]) for tag, lookup in lookups.items()}


def merge_digest(values: Mapping[str, Any], *, tags: list[str] | None = None) -> str:
    """A fingerprint of the merge fields we own, to send an update only when one changed."""
    keys = sorted(tags if tags is not None else values)
    canonical = "\x1e".join(f"{key}\x1f{'' if values.get(key) is None else values.get(key)}" for key in keys)
    return hashlib.md5(canonical.encode()).hexdigest()
