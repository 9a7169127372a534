"""Project-wide Celery tasks."""

from celery import shared_task

from b2bshop.outbox.services import outbox_flush


@shared_task(name="b2bshop.outbox_flush", acks_late=True)
def outbox_flush_task() -> None:
    """Beat: queue again the tasks that could not be queued while the broker was down."""
    outbox_flush()
