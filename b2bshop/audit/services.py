"""Writing the audit trail (called by the services that change the audited objects)."""

from __future__ import annotations

from typing import Any

from b2bshop.models import AuditEntry

Action = AuditEntry.Action


def audit_action(*, before: dict[str, Any] | None, after: dict[str, Any] | None, switch_field: str) -> str:
    """created / deleted; enabled or disabled when the on/off field flipped; else changed."""
    if before is None:
        return Action.CREATED
    if after is None:
        return Action.DELETED
    if before.get(switch_field) != after.get(switch_field):
        return Action.ENABLED if after.get(switch_field) else Action.DISABLED
    return Action.CHANGED


def _actor(user: Any) -> Any:
    """A person's account, or None (the system, an ERP connection, anonymous)."""
    from accounts.models import User

    return user if isinstance(user, User) and user.pk else None


def audit_record(
    *,
    user: Any,
    target_type: str,
    target_id: int,
    target_label: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    switch_field: str,
    segment_id: int | None = None,
) -> AuditEntry | None:
    """Record one change; a save that changed nothing records nothing (returns None).

    Call it inside the transaction of the change, with `before` read from the database
    before the change (None when creating) and `after` read after it (None when deleting).
    """
    if before is not None and after is not None and before == after:
        return None
    actor = _actor(user)
    return AuditEntry.objects.create(
        actor=actor,
        actor_label=actor.email if actor else "",
        action=audit_action(before=before, after=after, switch_field=switch_field),
        target_type=target_type,
        target_id=target_id,
        target_label=str(target_label)[:255],
        segment_id=segment_id,
        before=before,
        after=after,
    )
