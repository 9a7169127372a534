"""The demo's segments: what a flower wholesaler's marketer would set up first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from segments.models import Segment
from segments.permissions import marketing_segment_permissions_grant
from segments.services import segment_save, segments_refresh_all


@dataclass(frozen=True)
class DemoSegment:
    slug: str
    name: str
    description: str
    rule: dict[str, Any]


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
                {"field": "value.rfm_segment", "op": "eq", "value": "champions"}),
    DemoSegment("at-risk", "At risk", "Used to order often, not lately: re-engage them (RFM at risk or can't lose).",
                {"field": "value.rfm_segment", "op": "in", "value": ["at_risk", "cant_lose"]}),
    DemoSegment("top-25", "Top 25% customers", "The focus group: revenue in the last 12 months above the 75th percentile.",
                {"field": "value.top_25_percent", "op": "is_true"}),
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
    ),
    DemoSegment(
        "phone-and-fax", "Still ordering by phone or fax", "Ordered by phone or fax in the last 90 days and never on the web: "
        "candidates for the self-service shop.",
        {"all": [{"field": "sales.channel", "op": "contains_any", "value": ["phone", "fax"], "window": {"last_days": 90}},
                 {"field": "sales.channel", "op": "contains_none", "value": ["web"], "window": {"last_days": 90}}]},
    ),
    DemoSegment(
        "champions-newsletter", "Champions who want our newsletter", "Champions with marketing consent (synced to email).",
        {"all": [{"field": "segment.member_of", "op": "contains_any", "value": ["champions"]},
                 {"field": "contact.marketing_consent", "op": "is_true"}]},
    ),
)


def demo_segments_ensure() -> int:
    """Create the demo segments that do not exist yet (a marketer's edits are kept); then refresh all.

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
    segments_refresh_all()
    return created


# Segments the demo's email campaigns use: synced to Mailchimp (the local stand-in by default).
SYNCED_SEGMENTS: tuple[str, ...] = ("champions-newsletter", "abandoned-carts", "at-risk", "never-logged-in")


def demo_mailchimp_sync() -> int:
    """Turn on the sync of the campaign segments and run it once; the number of tags synced."""
    from integrations.mailchimp.services import mailchimp_segment_sync_save, mailchimp_sync

    segments = list(Segment.objects.filter(slug__in=SYNCED_SEGMENTS))
    for segment in segments:
        mailchimp_segment_sync_save(segment=segment, enabled=True, sync_now=False)
    mailchimp_sync()
    return len(segments)
