"""The task outbox: tasks whose enqueue failed, kept until they are queued again."""

from django.db import models


class PendingTask(models.Model):
    """A Celery task that could not be handed to the broker; `outbox_flush` queues it again.

    Written only when publishing fails, so the normal path costs nothing. Tasks are
    idempotent: a task queued twice (a flush that died after publishing) does no harm.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    # sha256 of name and kwargs: the same call recorded twice while the broker is down is kept once.
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed attempts to queue it again.")
    last_error = models.TextField(blank=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A flush is queuing it; another flush leaves it alone until then."
    )

    class Meta:
        verbose_name = "pending task"
        verbose_name_plural = "pending tasks"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task_name}({self.kwargs})"
