"""Celery wrappers of the segment services: ids in, one service call, idempotent."""

from celery import shared_task
from django.conf import settings

from b2bshop.outbox.services import task_enqueue_on_commit
from segments.insight.figures import insight_figures_warm
from segments.models import RefreshRun
from segments.services import (
    contacts_segments_reevaluate,
    segment_refresh_locked,
    segments_refresh_all,
)


@shared_task(name="segments.segment_refresh", acks_late=True)
def segment_refresh_task(*, segment_id: int, trigger: str = RefreshRun.Trigger.MANUAL, run_id: int | None = None) -> None:
    segment_refresh_locked(segment_id=segment_id, trigger=trigger, run_id=run_id)


@shared_task(name="segments.segments_refresh_all", acks_late=True)
def segments_refresh_all_task(*, only_dirty: bool = False) -> None:
    refreshed = segments_refresh_all(trigger=RefreshRun.Trigger.SCHEDULE, only_dirty=only_dirty)
    if refreshed and not only_dirty:  # the scheduled full refresh; an import's partial one is not worth it
        task_enqueue_on_commit(insight_warm_task)  # the runs invalidated every cached insight figure


@shared_task(name="segments.insight_warm", acks_late=True)
def insight_warm_task() -> None:
    insight_figures_warm(segments_limit=settings.INSIGHT_WARM_SEGMENTS)


@shared_task(name="segments.contacts_reevaluate", acks_late=True)
def contacts_reevaluate_task(*, contact_ids: list[int]) -> None:
    contacts_segments_reevaluate(contact_ids=contact_ids)
