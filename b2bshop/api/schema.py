"""The OpenAPI schema documents the error answers of every operation, in the one error shape.

The error answers follow from how a view is built, so they are derived here instead of
being repeated on every view: 400 for what takes input or writes, 401 when the first
authenticator asks for credentials (the ERP token), 403 behind a permission or CSRF, 404
for a path naming an object or a page past the end, 415 for a request body. A view documents any other error
(a 404 for an unknown slug in the query, a 409) in its own `extend_schema` responses.

Input serializers that refuse unknown fields say so with `rejects_unknown_fields = True`;
their schema then has `additionalProperties: false`.
"""

from __future__ import annotations

import re
from typing import Any

from django.urls.converters import get_converters
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_ROUTE_PARAMETER = re.compile(r"<(\w+):(\w+)>")


class ErrorDetailOutputSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="JSON pointer into the input; empty for the input as a whole.")
    message = serializers.CharField()


class ErrorOutputSerializer(serializers.Serializer):
    """b2bshop/api/exception_handler.py."""

    message = serializers.CharField()
    errors = ErrorDetailOutputSerializer(many=True)

    class Meta:
        ref_name = "Error"


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorOutputSerializer, description=description)


class ErrorDocumentingAutoSchema(AutoSchema):
    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        """A path parameter documents what its URL converter matches; anything else is not this operation."""
        parameters = super()._resolve_path_parameters(variables)
        converters = {name: converter for converter, name in _ROUTE_PARAMETER.findall(self.path_regex)}
        registered = get_converters()
        for parameter in parameters:
            converter = registered.get(converters.get(parameter["name"], ""))
            schema = parameter["schema"]
            if converter is None or "enum" in schema:
                continue
            if schema.get("type") == "integer":
                schema.setdefault("minimum", 0)  # <int:...> matches digits only
            elif schema.get("type") == "string":
                schema.setdefault("pattern", f"^(?:{converter.regex})$")
        return parameters

    def _map_basic_serializer(self, serializer, direction: str) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if getattr(serializer, "rejects_unknown_fields", False):
            schema["additionalProperties"] = False  # its to_internal_value answers 400 for unknown fields
        return schema

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_answers():
            if code not in responses:
                responses[code] = self._get_response_for_code(error_response(description), code, direction=direction)
        return responses

    def _error_answers(self) -> list[tuple[str, str]]:
        view = self.view
        takes_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        has_query = any(parameter["in"] == "query" for parameter in self._get_parameters())
        authenticators = view.get_authenticators()
        asks_credentials = bool(authenticators and authenticators[0].authenticate_header(view.request))
        restricted = not all(isinstance(permission, AllowAny) for permission in view.get_permissions())
        csrf = self.method in WRITE_METHODS and any(isinstance(auth, SessionAuthentication) for auth in authenticators)
        answers = []
        if takes_body or has_query or self.method in WRITE_METHODS:
            answers.append(("400", "The request is invalid: the errors name the fields."))
        if asks_credentials:
            answers.append(("401", "No credentials, or invalid ones."))
        if restricted or csrf:
            answers.append(("403", "Not allowed for this user, or the CSRF check failed."))
        if "{" in self.path:
            answers.append(("404", "No such object, or not one of yours."))
        elif self.method == "GET" and self._is_list_view() and self._get_paginator():
            answers.append(("404", "No such page."))
        if takes_body:
            answers.append(("415", "The request body's media type is not accepted."))
        return answers
