"""The demo's segments: what a flower wholesaler's marketer would set up first, with a history.

A shop that has run for a while has refreshed its segments many times, so the marketer's
insight page shows member counts over time. The demo replays that history: the segments
whose rules can be evaluated as of a past instant (`DemoSegment.replayable`) are refreshed
weekly over the 13 weeks before the demo's `today`, with the engine's own refresh at each
instant, before the usual refresh at now. See docs/demo-data.md, "Segment history".
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from segments.models import RefreshRun, Segment
from segments.permissions import marketing_segment_permissions_grant
from segments.selectors import segment_dependencies, segments_in_dependency_order
from segments.services import (
    segment_save,
    segments_refresh_all,
    segments_refresh_ordered,
)
from segments.value import company_values_refresh
from segments.windows import shop_zone

Progress = Callable[[str], None]

HISTORY_WEEKS = 13
# Each replayed refresh is evaluated at this shop time: a nightly refresh before the shop opens.
HISTORY_LOCAL_TIME = datetime.time(6, 0)


@dataclass(frozen=True)
class DemoSegment:
    slug: str
    name: str
    description: str
    rule: dict[str, Any]
    # True when evaluating the rule at a past `now` gives what the shop would have computed
    # then: it reads value.* (12 months before now's day) and sales windows of the last N
    # days, which end at now, plus company and contact data as of today. False when it reads
    # current state (open carts, last_login), a calendar window (this_year ends on 31
    # December, not at now, so it would count later orders) or master data only (no history).
    replayable: bool = False


DEMO_SEGMENTS: tuple[DemoSegment, ...] = (
    DemoSegment(
        "sana-example", "Big spenders with a full cart who went quiet",
        "The Sana example: European customers who spent more than EUR 50,000 this year, have more than 15 items "
        "in the cart and did not log in for two weeks.",
        {"all": [
            {"field": "company.continent", "op": "eq", "value": "europe"},
            {"field": "sales.revenue", "op": "gt", "value": 50000, "window": "this_year"},
            {"field": "cart.quantity", "op": "gt", "value": 15},
            {"field": "contact.last_login", "op": "more_than_days_ago", "value": 14},
        ]},
    ),
    DemoSegment("champions", "Champions", "Ordered recently and often (RFM).",
                {"field": "value.rfm_segment", "op": "eq", "value": "champions"}, replayable=True),
    DemoSegment("at-risk", "At risk", "Used to order often, not lately: re-engage them (RFM at risk or can't lose).",
                {"field": "value.rfm_segment", "op": "in", "value": ["at_risk", "cant_lose"]}, replayable=True),
    DemoSegment("top-25", "Top 25% customers", "The focus group: revenue in the last 12 months above the 75th percentile.",
                {"field": "value.top_25_percent", "op": "is_true"}, replayable=True),
    DemoSegment("never-logged-in", "Never logged in", "Web accounts that were never used: invite them to the shop.",
                {"field": "contact.last_login", "op": "is_empty"}),
    DemoSegment(
        "abandoned-carts", "Abandoned carts (3+ days)", "Something in the cart, nothing added for more than 3 days.",
        {"all": [
            {"field": "cart.line_count", "op": "gt", "value": 0},
            {"field": "cart.last_item_added_at", "op": "more_than_days_ago", "value": 3},
        ]},
    ),
    DemoSegment("garden-centres", "Garden centres", "Customer group garden centre (sector-based campaigns).",
                {"field": "company.customer_group", "op": "eq", "value": "garden_centre"}),
    DemoSegment("dealers", "Dealer accounts", "Resellers with dealer conditions.",
                {"field": "company.account_type", "op": "eq", "value": "dealer"}),
    DemoSegment("belgium", "Belgian customers", "Customers in Belgium: own shipping costs and campaigns.",
                {"all": [{"field": "company.country", "op": "eq", "value": "BE"},
                         {"field": "company.account_type", "op": "ne", "value": "prospect"}]}),
    DemoSegment(
        "tulip-buyers", "Tulip buyers this year", "Bought tulips (any variety) this calendar year.",
        {"field": "sales.bought_category", "op": "contains_any", "value": ["tulips"], "window": "this_year"},
    ),
    DemoSegment(
        "web-first", "Web-first buyers", "At least 80% of the last year's orders placed in the web shop.",
        {"all": [{"field": "sales.web_share", "op": "gte", "value": 80, "window": {"last_days": 365}},
                 {"field": "sales.order_count", "op": "gte", "value": 3, "window": {"last_days": 365}}]},
        replayable=True,
    ),
    DemoSegment(
        "phone-and-fax", "Still ordering by phone or fax", "Ordered by phone or fax in the last 90 days and never on the web: "
        "candidates for the self-service shop.",
        {"all": [{"field": "sales.channel", "op": "contains_any", "value": ["phone", "fax"], "window": {"last_days": 90}},
                 {"field": "sales.channel", "op": "contains_none", "value": ["web"], "window": {"last_days": 90}}]},
        replayable=True,
    ),
    DemoSegment(
        "champions-newsletter", "Champions who want our newsletter", "Champions with marketing consent (synced to email).",
        {"all": [{"field": "segment.member_of", "op": "contains_any", "value": ["champions"]},
                 {"field": "contact.marketing_consent", "op": "is_true"}]},
        replayable=True,
    ),
)


def demo_segments_ensure(*, history_until: datetime.date | None = None, progress: Progress | None = None) -> int:
    """Create the demo segments that do not exist yet (a marketer's edits are kept); then refresh all.

    With `history_until` (the demo data's today), the replayable segments that were never
    refreshed first get their weekly history before that day (`demo_segment_history_replay`).
    The Marketing group gets its segment permissions, so the demo marketer can use the builder.
    """
    created = 0
    marketing_segment_permissions_grant()
    with transaction.atomic():
        existing = set(Segment.objects.values_list("slug", flat=True))
        for demo in DEMO_SEGMENTS:  # in order: referenced segments come first
            if demo.slug not in existing:
                segment_save(name=demo.name, slug=demo.slug, description=demo.description, rule=demo.rule, refresh=False)
                created += 1
    if history_until is not None:
        demo_segment_history_replay(today=history_until, progress=progress)
    if progress is not None:
        progress("refreshing every segment now")
    segments_refresh_all()
    return created


@dataclass(frozen=True)
class HistoryReplayResult:
    segment_slugs: tuple[str, ...]
    instants: tuple[datetime.datetime, ...]


def demo_history_instants(*, today: datetime.date) -> tuple[datetime.datetime, ...]:
    """One instant a week over the HISTORY_WEEKS weeks before `today` (its weekday, 06:00 shop time), oldest first."""
    zone = shop_zone()
    return tuple(
        datetime.datetime.combine(today - datetime.timedelta(weeks=weeks), HISTORY_LOCAL_TIME, tzinfo=zone)
        for weeks in range(HISTORY_WEEKS, 0, -1)
    )


def demo_segment_history_replay(*, today: datetime.date, progress: Progress | None = None) -> HistoryReplayResult:
    """Refresh the replayable demo segments at each weekly instant before `today`, oldest first.

    At each instant the customer values are recomputed as of then and the segments are
    refreshed in dependency order, as `segments_refresh_all(now=instant)` does for all
    segments: memberships, membership events and refresh runs are the engine's own, from
    the orders placed before that instant. Only segments that were never refreshed are
    replayed (a second seed_demo writes no second history), and only instants before the
    real now.
    """
    segments = _replay_candidates()
    now = timezone.now()
    instants = tuple(instant for instant in demo_history_instants(today=today) if instant < now)
    if not segments or not instants:
        return HistoryReplayResult(segment_slugs=(), instants=())
    if progress is not None:
        progress(f"replaying the history of {len(segments)} segments: weekly refreshes from "
                 f"{instants[0]:%Y-%m-%d} to {instants[-1]:%Y-%m-%d}")
    for step, instant in enumerate(instants, start=1):
        company_values_refresh(now=instant)
        results = segments_refresh_ordered(segments=segments, now=instant, trigger=RefreshRun.Trigger.SCHEDULE)
        if progress is not None:
            joined, left = sum(result.joined for result in results), sum(result.left for result in results)
            progress(f"      [{step}/{len(instants)}] {instant:%Y-%m-%d %H:%M}: {joined} joined, {left} left")
    return HistoryReplayResult(segment_slugs=tuple(segment.slug for segment in segments), instants=instants)


def _replay_candidates() -> list[Segment]:
    """The replayable demo segments, unchanged and never refreshed, in dependency order.

    A segment is kept only when the segments its rule refers to are replayed too: it reads
    their stored membership, which must be the one of the same instant.
    """
    rules = {demo.slug: demo.rule for demo in DEMO_SEGMENTS if demo.replayable}
    never_refreshed = Segment.objects.filter(slug__in=rules, is_active=True, refresh_runs__isnull=True)
    dependencies = segment_dependencies()
    chosen: list[Segment] = []
    chosen_ids: set[int] = set()
    for segment in segments_in_dependency_order(never_refreshed, dependencies=dependencies):
        if segment.rule == rules[segment.slug] and dependencies.get(segment.pk, frozenset()) <= chosen_ids:
            chosen.append(segment)
            chosen_ids.add(segment.pk)
    return chosen


# Segments the demo's email campaigns use: synced to Mailchimp (the local stand-in by default).
SYNCED_SEGMENTS: tuple[str, ...] = ("champions-newsletter", "abandoned-carts", "at-risk", "never-logged-in")


def demo_mailchimp_sync() -> int:
    """Turn on the sync of the campaign segments and run it once; the number of tags synced."""
    from integrations.mailchimp.services import (
        mailchimp_segment_sync_save,
        mailchimp_sync,
    )

    segments = list(Segment.objects.filter(slug__in=SYNCED_SEGMENTS))
    for segment in segments:
        mailchimp_segment_sync_save(segment=segment, enabled=True, sync_now=False)
    mailchimp_sync()
    return len(segments)
