"""Celery wrappers of the Mailchimp sync services: ids in, one service call, idempotent."""

from celery import Task, shared_task

from integrations.mailchimp.exceptions import MailchimpTransientError
from integrations.mailchimp.services import mailchimp_full_reconcile_enqueue, mailchimp_sync_execute


@shared_task(
    name="integrations.mailchimp_sync",
    bind=True,
    acks_late=True,
    autoretry_for=(MailchimpTransientError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def mailchimp_sync_task(self: Task, *, run_id: int) -> None:
    """One sync run (a segment's after its membership changed, or all); a retry resumes the run."""
    try:
        mailchimp_sync_execute(run_id=run_id)
    except MailchimpTransientError:
        if self.request.is_eager:
            # Embedded mode: retrying at once is pointless. The run stays interrupted (resumable);
            # `sync_mailchimp` resumes it, and any later sync of the segment picks up its work.
            return
        raise


@shared_task(name="integrations.mailchimp_full_reconcile", acks_late=True)
def mailchimp_full_reconcile_task() -> None:
    """Nightly (beat): compare every synced tag with Mailchimp and repair the differences."""
    mailchimp_full_reconcile_enqueue()
