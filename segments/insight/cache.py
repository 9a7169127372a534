"""Insight figures are cached per refresh: the key holds the latest succeeded refresh run, the day of the
stored customer values and the channel costs, so a new run, a value refresh or a cost change invalidates them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Count, Max

from orders.models import ChannelCost
from segments.models import CompanyValue, RefreshRun

INSIGHT_CACHE_SECONDS = 24 * 60 * 60

T = TypeVar("T")


def insight_version() -> str:
    """What the figures depend on, in three small queries."""
    run = RefreshRun.objects.filter(status=RefreshRun.Status.SUCCEEDED).aggregate(latest=Max("pk"))["latest"]
    values = CompanyValue.objects.aggregate(day=Max("computed_for"))["day"]
    costs = ChannelCost.objects.aggregate(n=Count("pk"), changed=Max("updated_at"))
    return f"{run}|{values}|{costs['n']}|{costs['changed']}"


def insight_cached(name: str, params: tuple, compute: Callable[[], T]) -> T:
    """The cached figure `name` for `params`, computed and stored on a miss."""
    digest = hashlib.sha256(repr((insight_version(), params)).encode()).hexdigest()[:32]
    key = f"insight:{name}:{digest}"
    found = cache.get(key)
    if found is not None:
        return found
    value = compute()
    cache.set(key, value, INSIGHT_CACHE_SECONDS)
    return value
