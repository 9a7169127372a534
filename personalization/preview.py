"""The marketer's "view the shop as segment X / contact Y / an anonymous visitor" preview.

A preview is a choice stored in the marketer's own session; every shop page and the
buyer API then render for the preview `Viewer` instead of the marketer. The session is the
only thing a preview writes: no carts, orders, logins, cached segment ids or memberships.
The choice counts only while the user is a marketer (is_marketer is checked on every
request that carries one), so a session that lost the role silently shows the real shop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest

from accounts.models import User
from b2bshop.api.permissions import is_marketer
from personalization.selectors import (
    Viewer,
    anonymous_preview_viewer,
    viewer_for_contact_preview,
    viewer_for_segment_preview,
    viewer_for_user,
)

PREVIEW_SESSION_KEY = "shop_preview"
PreviewKind = Literal["segment", "contact", "anonymous"]
PREVIEW_KINDS: tuple[PreviewKind, ...] = ("segment", "contact", "anonymous")


@dataclass(frozen=True)
class PreviewChoice:
    kind: PreviewKind
    object_id: int | None = None

    def as_session(self) -> dict[str, object]:
        return {"kind": self.kind, "id": self.object_id}


def preview_viewer(choice: PreviewChoice) -> Viewer:
    """The read-only viewer of a preview choice (Http404 when its segment or contact is gone)."""
    if choice.kind == "segment" and choice.object_id is not None:
        return viewer_for_segment_preview(segment_id=choice.object_id)
    if choice.kind == "contact" and choice.object_id is not None:
        return viewer_for_contact_preview(contact_id=choice.object_id)
    if choice.kind == "anonymous":
        return anonymous_preview_viewer()
    raise Http404("No such preview.")


def session_preview_choice(request: HttpRequest) -> PreviewChoice | None:
    """The preview stored in the session, if it is well formed (no query)."""
    stored = request.session.get(PREVIEW_SESSION_KEY) if hasattr(request, "session") else None
    if not isinstance(stored, dict) or stored.get("kind") not in PREVIEW_KINDS:
        return None
    object_id = stored.get("id")
    if object_id is not None and not isinstance(object_id, int):
        return None
    return PreviewChoice(kind=stored["kind"], object_id=object_id)


def request_preview_viewer(request: HttpRequest) -> Viewer | None:
    """The preview viewer for this request: only for a marketer with a preview in their session."""
    choice = session_preview_choice(request)
    user: User | AnonymousUser = request.user
    if choice is None or not is_marketer(user):
        return None
    try:
        return preview_viewer(choice)
    except Http404:  # the segment or contact was deleted while previewing: show the real shop
        return None


def request_viewer(request: HttpRequest) -> Viewer:
    """Whom the shop renders for: the marketer's preview, else the real visitor. Built once per request."""
    if not hasattr(request, "_shop_viewer"):
        request._shop_viewer = request_preview_viewer(request) or viewer_for_user(request.user)  # type: ignore[attr-defined]
    return request._shop_viewer  # type: ignore[attr-defined]
