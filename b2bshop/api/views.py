"""Answers for API paths that no view handles: JSON in the API's error shape, like every other API error."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found

API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The site's 404 handler: the shop's page for shop paths, JSON for API paths (an id that is no id)."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"message": "Not found.", "errors": []}, status=404)
    return page_not_found(request, exception)
