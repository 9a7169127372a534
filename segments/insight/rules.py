"""Rule builders: an RFM cell and the look-alike of a segment become ordinary rules (spec rules.md),
validated like any rule a marketer writes in the builder."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Company
from segments.fields import RFM_SEGMENT_CHOICES
from segments.insight.selectors import Lift, LiftRow
from segments.models import Segment
from segments.selectors import field_registry, rule_matching_contacts
from segments.services import segment_rule_check
from segments.value import rfm_segment_for

# A trait value is "strong" with this lift or more, held by at least this share of the segment.
LOOKALIKE_MIN_LIFT = Decimal("1.20")
LOOKALIKE_MIN_SHARE = Decimal(5)
# The chosen values of one trait together cover at least this share of the segment (%), or the trait is left out:
# a look-alike that excludes most of the best customers describes noise.
LOOKALIKE_MIN_COVERAGE = Decimal(50)
LOOKALIKE_MAX_TRAITS = 3


def rfm_cell_rule(*, recency: int, frequency: int, segment: Segment | None = None) -> dict[str, Any]:
    """Contacts whose company sits in the (recency, frequency) cell, within the segment when one is given."""
    if recency not in range(1, 6) or frequency not in range(1, 6):
        raise ValueError("RFM scores are 1 to 5")
    conditions: list[dict[str, Any]] = [
        {"field": "value.rfm_recency", "op": "eq", "value": recency},
        {"field": "value.rfm_frequency", "op": "eq", "value": frequency},
    ]
    if segment is not None:
        conditions.append({"field": "segment.member_of", "op": "contains_any", "value": [segment.slug]})
    rule = {"all": conditions}
    segment_rule_check(rule=rule)
    return rule


def rfm_cell_name(*, recency: int, frequency: int, segment: Segment | None = None) -> str:
    label = dict(RFM_SEGMENT_CHOICES)[rfm_segment_for(recency, frequency)]
    base = f"RFM R{recency} F{frequency} ({label})"
    return f"{base} in {segment.name}" if segment else base


@dataclass(frozen=True)
class LookAlikeTrait:
    trait: str
    label: str
    values: tuple[str, ...]
    value_labels: tuple[str, ...]
    coverage: Decimal  # % of the segment's companies with one of the values
    lift: Decimal  # coverage in the segment / coverage of all companies


@dataclass(frozen=True)
class LookAlike:
    rule: dict[str, Any] | None  # None: no trait sets the segment apart
    traits: tuple[LookAlikeTrait, ...]
    contacts: int
    companies: int
    prospects: int  # matching companies with account type prospect
    non_buyers: int  # matching companies without an order in the 12 months
    outside_segment: int  # matching companies not (yet) in the segment


def _condition(field: str, rows: list[LiftRow]) -> dict[str, Any] | None:
    values = [row.value for row in rows]
    if field.startswith("company.attr.") and set(values) <= {"true", "false"}:
        if len(values) != 1:
            return None  # both yes and no: says nothing
        return {"field": field, "op": "is_true" if values[0] == "true" else "is_false"}
    return {"field": field, "op": "in", "value": values}


def _reaches_non_buyers(rows: list[LiftRow], *, lift: Lift) -> bool:
    """The values are at least half as common among companies without orders as among all companies.

    Values that only buyers have (a loyalty tier earned by spending, say) describe the
    purchase history, not the company, and would find no prospect.
    """
    if not lift.non_buyer_companies:
        return True
    reach = Decimal(sum(row.non_buyer_companies for row in rows)) / lift.non_buyer_companies
    overall = Decimal(sum(row.companies for row in rows)) / lift.companies
    return reach * 2 >= overall


def lookalike_build(*, lift: Lift, segment: Segment | None) -> LookAlike:
    """The strongest firmographic traits of the segment as a rule that prospects and non-buyers can match too."""
    by_trait: dict[str, list[LiftRow]] = {}
    for row in lift.rows:
        strong = (
            row.rule_field and row.value and row.lift is not None and row.lift >= LOOKALIKE_MIN_LIFT
            and (row.segment_share or 0) >= LOOKALIKE_MIN_SHARE
        )
        if strong:
            by_trait.setdefault(row.trait, []).append(row)
    chosen: list[tuple[LookAlikeTrait, dict[str, Any]]] = []
    for rows in by_trait.values():
        inside = sum(row.segment_companies for row in rows)
        overall = sum(row.companies for row in rows)
        coverage = Decimal(inside * 100) / lift.segment_companies if lift.segment_companies else Decimal(0)
        if coverage < LOOKALIKE_MIN_COVERAGE or not overall:
            continue
        if not _reaches_non_buyers(rows, lift=lift):
            continue
        condition = _condition(rows[0].rule_field, rows)
        if condition is None:
            continue
        trait_lift = Decimal(inside) * lift.companies / (Decimal(overall) * lift.segment_companies)
        chosen.append((
            LookAlikeTrait(
                trait=rows[0].trait, label=rows[0].trait_label, values=tuple(row.value for row in rows),
                value_labels=tuple(row.value_label for row in rows), coverage=coverage.quantize(Decimal("0.01")),
                lift=trait_lift.quantize(Decimal("0.01")),
            ),
            condition,
        ))
    chosen.sort(key=lambda item: (-item[0].lift, item[0].trait))
    chosen = chosen[:LOOKALIKE_MAX_TRAITS]
    if not chosen:
        return LookAlike(None, (), 0, 0, 0, 0, 0)
    rule = {"all": [condition for _trait, condition in chosen]}
    registry = field_registry()
    node = segment_rule_check(rule=rule, registry=registry)
    contacts = rule_matching_contacts(node=node, registry=registry, now=timezone.now())
    in_segment = (
        Q(company__customer_value__top_25_percent=True) if segment is None
        else Q(company_id__in=segment.memberships.values("contact__company_id"))
    )
    # One evaluation of the rule: companies are counted through their matching contacts.
    counts = contacts.order_by().aggregate(
        contacts=Count("pk"),
        companies=Count("company_id", distinct=True),
        prospects=Count("company_id", distinct=True, filter=Q(company__account_type=Company.AccountType.PROSPECT)),
        non_buyers=Count("company_id", distinct=True,
                         filter=Q(company__customer_value__orders_12m=0) | Q(company__customer_value__isnull=True)),
        outside=Count("company_id", distinct=True, filter=~in_segment),
    )
    return LookAlike(
        rule=rule, traits=tuple(trait for trait, _condition in chosen), contacts=counts["contacts"],
        companies=counts["companies"], prospects=counts["prospects"], non_buyers=counts["non_buyers"],
        outside_segment=counts["outside"],
    )


def lookalike_name(*, segment: Segment | None) -> str:
    return f"Look-alikes of {segment.name if segment else 'the top 25%'}"
