"""One error shape for every API answer: {"message": str, "errors": [{"path", "message"}]}."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from b2bshop.exceptions import ApplicationError


def _flatten(detail: Any, path: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error detail into JSON-pointer paths."""
    if isinstance(detail, dict):
        errors: list[dict[str, str]] = []
        for key, value in detail.items():
            child = path if key == "non_field_errors" else f"{path}/{key}"
            errors.extend(_flatten(value, child))
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"path": path, "message": str(item)} for item in detail]
        errors = []
        for index, item in enumerate(detail):
            errors.extend(_flatten(item, f"{path}/{index}"))
        return errors
    return [{"path": path, "message": str(detail)}]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(
            {"message": exc.message, "errors": [error.as_dict() for error in exc.errors]},
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django logs it and answers 500

    if isinstance(exc, exceptions.ValidationError):
        message = "The request is invalid."
        errors = _flatten(exc.detail)
    elif isinstance(exc, exceptions.ParseError):
        message = f"The request body could not be read: {exc.detail}"
        errors = []
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        message = str(detail) if not isinstance(detail, (dict, list)) else "The request failed."
        errors = [] if not isinstance(detail, (dict, list)) else _flatten(detail)
    response.data = {"message": message, "errors": errors}
    return response
