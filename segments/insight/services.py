"""Writes of the marketer insight: segments created from an RFM cell or as look-alikes, through segment_save."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from b2bshop.exceptions import ApplicationError
from segments.insight.rules import (
    lookalike_build,
    lookalike_name,
    rfm_cell_name,
    rfm_cell_rule,
)
from segments.insight.selectors import insight_lift
from segments.models import Segment
from segments.services import segment_save

NAME_LENGTH = Segment._meta.get_field("name").max_length


def _free_name_and_slug(name: str) -> tuple[str, str]:
    """The name, or the name with " (2)", " (3)", ... when a segment has it (names and slugs are unique)."""
    number = 1
    while True:
        candidate = (name if number == 1 else f"{name} ({number})")[:NAME_LENGTH]
        slug = slugify(candidate)[:NAME_LENGTH]
        if not Segment.objects.filter(name=candidate).exists() and not Segment.objects.filter(slug=slug).exists():
            return candidate, slug
        number += 1


@transaction.atomic
def segment_from_rfm_cell_create(*, recency: int, frequency: int, segment: Segment | None = None, user=None) -> Segment:
    """A new segment of the contacts whose company sits in the RFM cell (within `segment` when given)."""
    try:
        rule = rfm_cell_rule(recency=recency, frequency=frequency, segment=segment)
    except ValueError as error:
        raise ApplicationError(str(error)) from error
    name, slug = _free_name_and_slug(rfm_cell_name(recency=recency, frequency=frequency, segment=segment))
    return segment_save(
        name=name, slug=slug, rule=rule, user=user,
        description=f"Created from the RFM grid of the insight page (recency {recency}, frequency {frequency}).",
    )


@transaction.atomic
def lookalike_segment_create(*, segment: Segment | None = None, user=None) -> Segment:
    """A new segment from the strongest firmographic traits of `segment` (default: the top 25%)."""
    proposal = lookalike_build(lift=insight_lift(segment=segment), segment=segment)
    if proposal.rule is None:
        raise ApplicationError("No company trait sets this segment apart enough to build a look-alike.")
    name, slug = _free_name_and_slug(lookalike_name(segment=segment))
    traits = "; ".join(f"{trait.label}: {', '.join(trait.value_labels)}" for trait in proposal.traits)
    return segment_save(
        name=name, slug=slug, rule=proposal.rule, user=user,
        description=f"Look-alike built on the insight page from the strongest traits ({traits}).",
    )
