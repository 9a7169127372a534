"""Reads of the ERP integration: connections by token, import runs, data freshness."""

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from integrations.models import ErpConnection, ImportRun

# Imports run nightly; a day and a half without one means a night was missed.
STALE_AFTER = timedelta(hours=36)

# Runs that wrote data: a partial run applied its good rows. Dry runs write nothing.
_APPLIED = Q(status__in=(ImportRun.Status.SUCCEEDED, ImportRun.Status.PARTIAL), dry_run=False)
_FAILED = Q(status=ImportRun.Status.FAILED, dry_run=False)


def erp_connection_get_active(*, token: str) -> ErpConnection | None:
    """The active connection whose token this is, or None.

    The plain token is never compared: the database looks up its SHA-256 digest, whose
    timing says nothing about the token (a guess cannot steer its digest's prefix), and
    the digest found is compared again in constant time, whatever the database does.
    """
    digest = ErpConnection.digest(token)
    connection = ErpConnection.objects.filter(token_digest=digest, is_active=True).first()
    if connection is None or not hmac.compare_digest(connection.token_digest.encode(), digest.encode()):
        return None
    return connection


def import_run_list(*, entity: str | None = None, status: str | None = None) -> QuerySet[ImportRun]:
    """Import runs, newest first, optionally for one entity and/or status."""
    runs = ImportRun.objects.select_related("connection").order_by("-started_at", "-id")
    if entity:
        runs = runs.filter(entity=entity)
    if status:
        runs = runs.filter(status=status)
    return runs


@dataclass(frozen=True)
class EntityFreshness:
    """How current one ERP entity's data is: its last successful import."""

    entity: str
    label: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    age: timedelta | None
    is_stale: bool

    @property
    def failed_since_success(self) -> bool:
        """The latest finished import failed: the data is older than it should be."""
        if self.last_failure_at is None:
            return False
        return self.last_success_at is None or self.last_failure_at > self.last_success_at


def erp_import_freshness(
    *, now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> list[EntityFreshness]:
    """Every ERP entity in load order with its last successful import, in one query.

    Never imported counts as stale; failed runs and dry runs do not make data fresh.
    """
    now = now or timezone.now()
    rows = (
        ImportRun.objects.filter(finished_at__isnull=False)
        .values("entity")
        .annotate(
            last_success_at=Max("finished_at", filter=_APPLIED),
            last_failure_at=Max("finished_at", filter=_FAILED),
        )
        .order_by()
    )
    by_entity = {row["entity"]: row for row in rows}
    result = []
    for entity in ImportRun.Entity:
        row = by_entity.get(entity.value, {})
        last_success_at = row.get("last_success_at")
        age = now - last_success_at if last_success_at is not None else None
        result.append(
            EntityFreshness(
                entity=entity.value,
                label=str(entity.label),
                last_success_at=last_success_at,
                last_failure_at=row.get("last_failure_at"),
                age=age,
                is_stale=age is None or age > stale_after,
            )
        )
    return result
