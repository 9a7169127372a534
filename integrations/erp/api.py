"""ERP import API (spec api.md, erp-import.md): push a file, list import runs."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from b2bshop.api.schema import ErrorOutputSerializer
from b2bshop.exceptions import ApplicationError
from integrations.erp.authentication import ErpTokenAuthentication
from integrations.erp.exceptions import ErpBodyTooLargeError
from integrations.erp.permissions import IsErpConnection, IsErpConnectionOrStaff
from integrations.erp.selectors import import_run_list
from integrations.erp.services import erp_import
from integrations.models import ImportRun

# Media types of an import body; anything else is refused, no type at all is sniffed.
_FORMATS: dict[str, str | None] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/json": "json",
    "text/plain": None,
    "application/octet-stream": None,
    "": None,
}
_READ_BYTES = 1024 * 1024
_SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024

_ERROR = ErrorOutputSerializer


class ImportRunOutputSerializer(serializers.ModelSerializer):
    connection = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "entity",
            "source",
            "source_name",
            "status",
            "dry_run",
            "strict",
            "started_at",
            "finished_at",
            "rows",
            "created",
            "updated",
            "unchanged",
            "failed",
            "message",
            "errors",
            "errors_truncated",
            "connection",
        ]


class ErpImportApi(APIView):
    """Push one ERP file: CSV, JSON lines or a JSON array, as the request body."""

    authentication_classes = [ErpTokenAuthentication, SessionAuthentication]
    permission_classes = [IsErpConnection]

    class QueryInputSerializer(serializers.Serializer):
        strict = serializers.BooleanField(required=False, default=False)
        dry_run = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        summary="Import an ERP file",
        description=(
            "The body is the file: CSV with a header row (`,` or `;`), JSON lines or a JSON array of objects; "
            "columns per entity as in erp-import.md. Bad rows are reported in `errors` (line, column, value, "
            "message); with `strict=true` any bad row rejects the whole body. A file-level problem (empty body, "
            "missing or unknown columns) answers 400 and is still recorded as a failed import run."
        ),
        parameters=[
            OpenApiParameter("entity", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ImportRun.Entity.values),
            OpenApiParameter("strict", OpenApiTypes.BOOL, description="Reject the whole file when a row is bad."),
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Check and count only; write nothing."),
        ],
        request={
            "text/csv": OpenApiTypes.STR,
            "application/x-ndjson": OpenApiTypes.STR,
            "application/json": {"type": "array", "items": {"type": "object"}},
        },
        responses={
            201: ImportRunOutputSerializer,
            400: OpenApiResponse(_ERROR, description="File-level problem, bad query or oversize body."),
            401: OpenApiResponse(_ERROR, description="No or an invalid/inactive token."),
            403: OpenApiResponse(_ERROR, description="Not an ERP connection."),
            404: OpenApiResponse(_ERROR, description="Unknown entity."),
        },
    )
    def post(self, request: Request, entity: str) -> Response:
        if entity not in ImportRun.Entity.values:
            raise NotFound(f"unknown entity '{entity}'; use one of {', '.join(ImportRun.Entity.values)}")
        query = self.QueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        fmt = _body_format(request)
        with _body_spool(request) as body:
            run = erp_import(
                entity=entity,
                stream=body,
                source=ImportRun.Source.API,
                source_name=request.auth.name,
                fmt=fmt,
                dry_run=query.validated_data["dry_run"],
                strict=query.validated_data["strict"],
                connection=request.auth,
            )
        return Response(ImportRunOutputSerializer(run).data, status=status.HTTP_201_CREATED)


class ImportRunListApi(APIView):
    """Import runs, newest first (file imports and API pushes)."""

    authentication_classes = [ErpTokenAuthentication, SessionAuthentication]
    permission_classes = [IsErpConnectionOrStaff]
    pagination_class = PageNumberPagination  # also tells the schema that the list is paginated

    class FilterSerializer(serializers.Serializer):
        entity = serializers.ChoiceField(choices=ImportRun.Entity.choices, required=False)
        status = serializers.ChoiceField(choices=ImportRun.Status.choices, required=False)

    @extend_schema(
        summary="List ERP import runs",
        parameters=[
            OpenApiParameter("entity", OpenApiTypes.STR, enum=ImportRun.Entity.values),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ImportRun.Status.values),
        ],
        responses={200: ImportRunOutputSerializer(many=True), 401: _ERROR, 403: _ERROR},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        runs = import_run_list(**filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response(ImportRunOutputSerializer(page, many=True).data)


def _body_format(request: Request) -> str | None:
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type not in _FORMATS:
        raise ApplicationError(
            f"unsupported content type '{media_type}'; send text/csv, application/x-ndjson or application/json"
        )
    return _FORMATS[media_type]


@contextmanager
def _body_spool(request: Request) -> Iterator[BinaryIO]:
    """The body in a temporary file (in memory up to a few MiB), refused past the size limit."""
    limit = settings.ERP_IMPORT_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    stream: BinaryIO | None = request.stream
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES) as spool:
        total = 0
        while stream is not None and (block := stream.read(_READ_BYTES)):
            total += len(block)
            if total > limit:
                raise _too_large(limit)
            spool.write(block)
        spool.seek(0)
        yield spool  # type: ignore[misc]


def _too_large(limit: int) -> ErpBodyTooLargeError:
    return ErpBodyTooLargeError(
        f"the request body is larger than the limit of {limit:,} bytes; split the file or import it with "
        "the import_erp command"
    )
