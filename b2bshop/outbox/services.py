"""Queuing Celery tasks after commit without failing the request when the broker is down.

Every task the project queues goes through `task_enqueue_on_commit`: after the commit it
publishes the task; when the broker cannot be reached the task is recorded as a
`PendingTask` instead of raising, and `outbox_flush` (beat task and management command)
publishes it later.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from b2bshop.outbox.models import PendingTask

logger = logging.getLogger(__name__)

# What publishing raises when the broker is unreachable (kombu wraps connection errors in
# OperationalError after its retries; the others come straight from a transport's socket).
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, ConnectionError, TimeoutError)
# A flush that died while publishing releases its claim after this long.
CLAIM_SECONDS = 5 * 60


@dataclass(frozen=True)
class TaskEnqueue:
    """The after-commit callback that publishes one task; `name` is the task's name."""

    task: Task
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.task.name

    def send(self) -> bool:
        """Publish now; record the task for a later flush when the broker is unreachable. True if published."""
        try:
            self.task.delay(**self.kwargs)
        except BROKER_ERRORS as exc:
            if self.task.app.conf.task_always_eager:
                raise  # no broker in eager mode: this came from the task itself
            pending_task_record(task_name=self.task.name, kwargs=self.kwargs, error=exc)
            return False
        return True


def task_enqueue_on_commit(task: Task, **kwargs: Any) -> None:
    """Queue `task(**kwargs)` once the current transaction commits (now, outside one)."""
    transaction.on_commit(partial(TaskEnqueue(task=task, kwargs=kwargs).send))


def _key(task_name: str, kwargs: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps([task_name, kwargs], sort_keys=True, default=str).encode()).hexdigest()


def pending_task_record(*, task_name: str, kwargs: dict[str, Any], error: BaseException) -> PendingTask:
    """Keep a task that could not be queued (once per name and arguments)."""
    logger.warning("broker unreachable, %s(%s) kept in the outbox: %s", task_name, kwargs, error)
    pending, _ = PendingTask.objects.get_or_create(
        key=_key(task_name, kwargs),
        defaults={"task_name": task_name, "kwargs": kwargs, "last_error": str(error)[:2000]},
    )
    return pending


@dataclass
class FlushResult:
    queued: int = 0
    failed: int = 0
    left: int = 0


def _task_by_name(task_name: str) -> Task:
    from b2bshop.celery import app

    if task_name not in app.tasks:
        app.loader.import_default_modules()  # the apps' tasks modules register the tasks
    return app.tasks[task_name]


def outbox_flush(*, limit: int | None = None) -> FlushResult:
    """Queue the recorded tasks again, oldest first; stop at the first broker error (it is still down).

    Each task is claimed with a conditional UPDATE, published outside any transaction and
    then deleted, so two flushes never publish one task at the same time. A flush that dies
    between publishing and deleting leaves the claim to expire; the task is then queued a
    second time, which idempotent tasks allow.
    """
    result = FlushResult()
    now = timezone.now()
    candidates = PendingTask.objects.filter(_claim_free(now)).values_list("pk", flat=True)
    for pk in list(candidates[:limit] if limit else candidates):
        claimed = PendingTask.objects.filter(_claim_free(now), pk=pk).update(
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
        )
        if not claimed:
            continue  # another flush has it
        pending = PendingTask.objects.get(pk=pk)
        task = _task_by_name(pending.task_name)
        try:
            task.delay(**pending.kwargs)
        except Exception as exc:
            PendingTask.objects.filter(pk=pk).update(
                claimed_until=None, attempts=pending.attempts + 1, last_error=str(exc)[:2000]
            )
            result.failed += 1
            if isinstance(exc, BROKER_ERRORS) and not task.app.conf.task_always_eager:
                break  # the broker is still down: the rest waits for the next flush
            logger.exception("queuing %s from the outbox failed", pending)
            continue
        PendingTask.objects.filter(pk=pk).delete()
        result.queued += 1
    result.left = PendingTask.objects.count()
    return result


def _claim_free(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
