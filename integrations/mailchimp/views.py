"""The Mailchimp webhook endpoint: /integrations/mailchimp/webhook/<secret>/ (an adapter only)."""

from __future__ import annotations

import hmac

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from integrations.mailchimp.conf import mailchimp_settings
from integrations.mailchimp.webhooks import mailchimp_webhook_receive


def _secret_ok(given: str) -> bool:
    expected = mailchimp_settings().webhook_secret
    # Constant time, so the secret cannot be guessed from response times; no secret configured: closed.
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
def mailchimp_webhook(request: HttpRequest, secret: str) -> HttpResponse:
    """GET: Mailchimp's URL validation (200). POST: one form-encoded event. Wrong secret: 404."""
    if not _secret_ok(secret):
        raise Http404("No such webhook.")
    if request.method in ("GET", "HEAD"):
        return HttpResponse("ok", content_type="text/plain")
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    data = {key: request.POST.get(key, "") for key in request.POST}
    if not data.get("type"):
        return HttpResponse("missing event type", status=400, content_type="text/plain")
    event, created = mailchimp_webhook_receive(data=data)
    return HttpResponse("ok" if created else "duplicate", content_type="text/plain")
