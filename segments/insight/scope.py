"""Which companies and contacts a figure is about: every company, or the companies of a segment's members."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.models import Contact
from segments.models import CompanyValue, Segment, SegmentMembership
from segments.windows import Period, start_of_day, value_period


@dataclass(frozen=True)
class Scope:
    """A segment (its members and their companies), or everyone when `segment` is None."""

    segment: Segment | None = None

    @property
    def slug(self) -> str | None:
        return self.segment.slug if self.segment else None

    def company_ids(self) -> QuerySet:
        """A subquery of the scope's company ids (only used when there is a segment)."""
        assert self.segment is not None
        return SegmentMembership.objects.filter(segment=self.segment).values("contact__company_id")

    def companies(self, prefix: str = "") -> Q:
        """Condition on a company id reached through `prefix` (e.g. "company_" for CompanyValue.company_id)."""
        if self.segment is None:
            return Q()
        return Q(**{f"{prefix}id__in" if prefix else "pk__in": self.company_ids()})

    def contacts(self) -> QuerySet[Contact]:
        if self.segment is None:
            return Contact.objects.all()
        return Contact.objects.filter(segment_memberships__segment=self.segment)


def values_day() -> datetime.date | None:
    """The local day the stored customer values were computed for (None before the first refresh)."""
    return CompanyValue.objects.aggregate(day=Max("computed_for"))["day"]


def values_period(day: datetime.date | None) -> Period:
    """The 12 months of value.* that the stored values cover: [day - 12 months, day - 1]."""
    return value_period(now=start_of_day(day) if day else timezone.now())
