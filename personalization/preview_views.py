"""Pages that start and leave a marketer's read-only "view the shop as ..." preview.

Only marketers (staff in the Marketing group, or superusers) may preview: anonymous users
are sent to the admin login, every other user gets 403. Starting a preview writes the
choice to the marketer's own session and nothing else (personalization/preview.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View

from accounts.models import Contact
from b2bshop.api.permissions import is_marketer
from catalog.shop_views import ShopPageMixin, safe_next
from personalization.preview import PREVIEW_KINDS, PREVIEW_SESSION_KEY, PreviewChoice
from segments.models import Segment


class MarketerRequiredMixin:
    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not is_marketer(request.user):
            raise PermissionDenied("Previews of the shop are for marketers.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _contact_find(value: str) -> Contact | None:
    """A contact by id or by email (case-insensitive)."""
    value = value.strip()[:254]
    if not value:
        return None
    if value.isdigit():
        return Contact.objects.filter(pk=int(value)).only("id", "email").first()
    return Contact.objects.filter(email__iexact=value).only("id", "email").order_by("pk").first()


class PreviewStartView(MarketerRequiredMixin, ShopPageMixin, View):
    """GET: choose whom to view the shop as (`?segment=<id>` / `?contact=<id or email>` preselect).

    POST `kind` (segment, contact, anonymous) with `segment` or `contact`: store the choice
    in the session and open the shop home as that visitor.
    """

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._form(
            request,
            segment_id=_int(request.GET.get("segment")),
            contact_value=request.GET.get("contact", "")[:254],
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        kind = request.POST.get("kind", "")
        segment_id = _int(request.POST.get("segment"))
        contact_value = request.POST.get("contact", "")[:254]
        choice: PreviewChoice | None = None
        error = ""
        if kind == "segment":
            segment = Segment.objects.filter(pk=segment_id).only("id").first() if segment_id else None
            choice = PreviewChoice(kind="segment", object_id=segment.pk) if segment else None
            error = "" if choice else "Choose a segment."
        elif kind == "contact":
            contact = _contact_find(contact_value)
            choice = PreviewChoice(kind="contact", object_id=contact.pk) if contact else None
            error = "" if choice else f"There is no contact “{contact_value}”. Give an email address or a contact id."
        elif kind == "anonymous":
            choice = PreviewChoice(kind="anonymous")
        else:
            error = f"Choose one of: {', '.join(PREVIEW_KINDS)}."
        if choice is None:
            return self._form(request, segment_id=segment_id, contact_value=contact_value, error=error, status=400)
        request.session[PREVIEW_SESSION_KEY] = choice.as_session()
        return HttpResponseRedirect(reverse("shop-home"))

    def _form(
        self, request: HttpRequest, *, segment_id: int | None, contact_value: str, error: str = "", status: int = 200
    ) -> HttpResponse:
        segments = list(Segment.objects.order_by("name").only("id", "name", "is_active", "member_count"))
        return self.shop_render(
            "shop/preview_start.html",
            {
                "segments": segments,
                "segment_id": segment_id,
                "contact_value": contact_value,
                "error": error,
            },
            status=status,
        )


class PreviewStopView(View):
    """POST: leave the preview; back to `next` (same host) or the admin.

    Open to every user: it only removes the choice from their own session.
    """

    def post(self, request: HttpRequest) -> HttpResponse:
        request.session.pop(PREVIEW_SESSION_KEY, None)
        messages.info(request, "You left the preview.")
        return HttpResponseRedirect(safe_next(request, reverse("admin:index")))
