"""Listeners of other apps' notifications; they only mark and enqueue, the services do the work."""


def on_erp_import_finished(sender, import_run, **kwargs) -> None:
    """Imported data changes company, contact and sales fields: refresh the dirty segments."""
    from b2bshop.outbox.services import task_enqueue_on_commit
    from segments.services import segments_mark_dirty
    from segments.tasks import segments_refresh_all_task

    segments_mark_dirty(reason=f"{import_run.entity} import {import_run.pk}")
    task_enqueue_on_commit(segments_refresh_all_task, only_dirty=True)


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """A login changes contact.last_login: re-evaluate the contact after commit."""
    if getattr(user, "company_id", None) is None:
        return  # staff are never segment members
    from segments.services import contacts_reevaluate_enqueue

    contacts_reevaluate_enqueue(contact_ids=[user.pk])
