"""The validated rule tree: frozen dataclasses produced by the validator only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Union

RuleValue = Union[None, bool, Decimal, str, datetime.date, tuple["RuleValue", ...]]


@dataclass(frozen=True)
class SalesWindow:
    """A period of sales: all_time, this_year, last_year, this_quarter, this_month, last_days or a date range."""

    kind: Literal["all_time", "this_year", "last_year", "this_quarter", "this_month", "last_days", "range"]
    days: int | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None

    def as_json(self) -> str | dict[str, object]:
        if self.kind == "last_days":
            return {"last_days": self.days}
        if self.kind == "range":
            return {"from": self.start.isoformat(), "to": self.end.isoformat()}  # type: ignore[union-attr]
        return self.kind


ALL_TIME = SalesWindow("all_time")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: RuleValue = None
    window: SalesWindow | None = None


@dataclass(frozen=True)
class Group:
    kind: Literal["all", "any"]
    children: tuple["RuleNode", ...]


@dataclass(frozen=True)
class Not:
    child: "RuleNode"


RuleNode = Union[Condition, Group, Not]


def iter_conditions(node: RuleNode):
    """Every condition of the tree, depth first."""
    if isinstance(node, Condition):
        yield node
    elif isinstance(node, Group):
        for child in node.children:
            yield from iter_conditions(child)
    else:
        yield from iter_conditions(node.child)


def referenced_segment_slugs(node: RuleNode) -> frozenset[str]:
    """Slugs of the segments a rule refers to through segment.member_of."""
    return frozenset(
        slug
        for condition in iter_conditions(node)
        if condition.field == "segment.member_of"
        for slug in condition.value  # type: ignore[union-attr]
    )
