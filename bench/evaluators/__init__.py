"""Independent evaluators of segment rules for the benchmarks (bench/refresh.py).

Each evaluator reads rules.md, not segments/compiler.py, and returns, per segment
slug, the set of matching contact ids. They share only these small helpers: the
walk over a rule, the benchmark segment file and the UTC bounds of windows and days.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

SEGMENTS_PATH = Path(__file__).resolve().parents[1] / "segments.json"


def segments_load(path: Path | None = None) -> list[dict[str, Any]]:
    """The benchmark segments, referenced segments first (the file keeps that order)."""
    return json.loads(Path(path or SEGMENTS_PATH).read_text())


def conditions(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "all" in node or "any" in node:
        for child in node.get("all", node.get("any")):
            yield from conditions(child)
    elif "not" in node:
        yield from conditions(node["not"])
    else:
        yield node


def zone() -> ZoneInfo:
    return ZoneInfo(settings.SHOP_TIME_ZONE)


def local_today(now: datetime.datetime) -> datetime.date:
    return now.astimezone(zone()).date()


def midnight(day: datetime.date) -> datetime.datetime:
    """The UTC instant of a local midnight in SHOP_TIME_ZONE."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=zone()).astimezone(datetime.UTC)


def window_key(window: Any) -> str:
    return json.dumps(window if window is not None else "all_time", sort_keys=True)


def window_bounds(window: Any, now: datetime.datetime) -> tuple[datetime.datetime | None, datetime.datetime | None, bool]:
    """(start, end, end_inclusive) in UTC of a sales window; None = open."""
    today = local_today(now)
    if window is None or window == "all_time":
        return None, None, False
    if window == "this_year":
        return midnight(datetime.date(today.year, 1, 1)), midnight(datetime.date(today.year + 1, 1, 1)), False
    if window == "last_year":
        return midnight(datetime.date(today.year - 1, 1, 1)), midnight(datetime.date(today.year, 1, 1)), False
    if window == "this_quarter":
        first = (today.month - 1) // 3 * 3 + 1
        end = datetime.date(today.year + (first + 3 > 12), (first + 2) % 12 + 1, 1)
        return midnight(datetime.date(today.year, first, 1)), midnight(end), False
    if window == "this_month":
        end = datetime.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
        return midnight(datetime.date(today.year, today.month, 1)), midnight(end), False
    if "last_days" in window:
        return midnight(today - datetime.timedelta(days=int(window["last_days"]))), now, True
    start = datetime.date.fromisoformat(window["from"].strip())
    end = datetime.date.fromisoformat(window["to"].strip()) + datetime.timedelta(days=1)
    return midnight(start), midnight(end), False


def number(raw: Any) -> Fraction:
    return Fraction(Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip()))


def day_cut(op: str, raw: Any, now: datetime.datetime) -> datetime.date:
    """The local day a within_last_days / more_than_days_ago condition compares with."""
    return local_today(now) - datetime.timedelta(days=int(raw))
