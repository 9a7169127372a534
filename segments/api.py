"""Segment API (spec api.md): one view per operation, marketers only."""

from __future__ import annotations

import csv
from typing import Any

from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Contact
from b2bshop.api.permissions import IsMarketer
from b2bshop.api.schema import error_response
from b2bshop.audit.selectors import segment_audit_entries
from integrations.mailchimp.services import mailchimp_segment_sync_save
from segments.evaluate import explain, impact, preview
from segments.fields import NAMESPACE_LABELS, OPERATOR_LABELS, WINDOW_NAMES
from segments.models import Segment
from segments.selectors import contact_segment_list, field_registry, segment_history, segment_member_list
from segments.services import segment_delete, segment_refresh_enqueue, segment_save
from segments.validation import RuleValidationError


class MailchimpSyncOutputSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    tag_name = serializers.CharField()
    mailchimp_segment_id = serializers.IntegerField(allow_null=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)


class SegmentOutputSerializer(serializers.ModelSerializer):
    depends_on = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    mailchimp_sync = serializers.SerializerMethodField()

    class Meta:
        model = Segment
        fields = [
            "slug", "name", "description", "rule", "is_active", "is_dirty", "member_count", "last_refreshed_at",
            "depends_on", "mailchimp_sync", "created_at", "updated_at",
        ]

    @extend_schema_field(MailchimpSyncOutputSerializer(allow_null=True))
    def get_mailchimp_sync(self, segment: Segment) -> dict[str, Any] | None:
        sync = getattr(segment, "mailchimp_sync", None)
        if sync is None:
            return None
        return MailchimpSyncOutputSerializer(sync).data


class MailchimpSyncInputSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # Also in a PATCH: a sync setting without `enabled` says nothing (it used to answer 500).
        if "enabled" not in data:
            raise serializers.ValidationError({"enabled": ["This field is required."]})
        return data


class SegmentInputSerializer(serializers.Serializer):
    rejects_unknown_fields = True  # the schema says so: additionalProperties false

    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    rule = serializers.JSONField()
    is_active = serializers.BooleanField(required=False, default=True)
    mailchimp_sync = MailchimpSyncInputSerializer(required=False, help_text="Sync the members to a Mailchimp tag.")

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


def _unique(*, name: str, slug: str | None, exclude: Segment | None) -> None:
    others = Segment.objects.exclude(pk=exclude.pk) if exclude else Segment.objects.all()
    errors = {}
    if others.filter(name=name).exists():
        errors["name"] = ["A segment with this name exists."]
    if slug and others.filter(slug=slug).exists():
        errors["slug"] = ["A segment with this slug exists."]
    if errors:
        raise serializers.ValidationError(errors)


def _sync_settings_apply(*, segment: Segment, sync: dict[str, Any] | None, user) -> None:
    if sync is not None:
        mailchimp_segment_sync_save(segment=segment, enabled=sync["enabled"], user=user)
        segment.refresh_from_db()


class SegmentFieldsApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="The rule field registry")
    def get(self, request):
        registry = field_registry()
        fields = [
            {
                "key": spec.key, "namespace": spec.namespace, "type": str(spec.type), "label": spec.label,
                "help_text": spec.help_text, "operators": [{"op": op, "label": OPERATOR_LABELS[op]} for op in spec.operators],
                "choices": [{"value": value, "label": label} for value, label in spec.choices],
                "windowed": spec.windowed, "reference": spec.reference, "unit": spec.unit,
            }
            for spec in registry
        ]
        namespaces = [{"key": key, "label": label} for key, label in NAMESPACE_LABELS.items()]
        return Response({"namespaces": namespaces, "fields": fields, "windows": list(WINDOW_NAMES) + ["last_days", "range"]})


class SegmentListApi(APIView):
    permission_classes = [IsMarketer]
    pagination_class = PageNumberPagination  # also tells the schema that the list is paginated

    @extend_schema(responses=SegmentOutputSerializer(many=True))
    def get(self, request):
        segments = Segment.objects.select_related("mailchimp_sync").prefetch_related("depends_on").order_by("name")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(segments, request, view=self)
        return paginator.get_paginated_response(SegmentOutputSerializer(page, many=True).data)

    @extend_schema(request=SegmentInputSerializer, responses={201: SegmentOutputSerializer})
    def post(self, request):
        serializer = SegmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not data.get("slug") and not slugify(data["name"]):
            # segment_save makes the slug from the name; an empty slug would be saved (found by the API fuzzing).
            raise serializers.ValidationError({"slug": ["The name has no letters or digits to make a slug of: give a slug."]})
        _unique(name=data["name"], slug=data.get("slug"), exclude=None)
        sync = data.pop("mailchimp_sync", None)
        with transaction.atomic():
            segment = segment_save(user=request.user, **data)
            _sync_settings_apply(segment=segment, sync=sync, user=request.user)
        return Response(SegmentOutputSerializer(segment).data, status=status.HTTP_201_CREATED)


class SegmentDetailApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(responses=SegmentOutputSerializer)
    def get(self, request, slug: str):
        return Response(SegmentOutputSerializer(get_object_or_404(Segment, slug=slug)).data)

    @extend_schema(request=SegmentInputSerializer, responses=SegmentOutputSerializer)
    def put(self, request, slug: str):
        return self._update(request, slug, partial=False)

    @extend_schema(request=SegmentInputSerializer, responses=SegmentOutputSerializer)
    def patch(self, request, slug: str):
        return self._update(request, slug, partial=True)

    def _update(self, request, slug: str, *, partial: bool):
        segment = get_object_or_404(Segment, slug=slug)
        serializer = SegmentInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = {
            "name": segment.name, "slug": segment.slug, "description": segment.description, "rule": segment.rule,
            "is_active": segment.is_active, **serializer.validated_data,
        }
        _unique(name=data["name"], slug=data["slug"], exclude=segment)
        sync = data.pop("mailchimp_sync", None)
        with transaction.atomic():
            segment = segment_save(segment=segment, user=request.user, **data)
            _sync_settings_apply(segment=segment, sync=sync, user=request.user)
        return Response(SegmentOutputSerializer(segment).data)

    @extend_schema(responses={204: None})
    def delete(self, request, slug: str):
        with transaction.atomic():
            segment_delete(segment=get_object_or_404(Segment, slug=slug), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentPreviewApi(APIView):
    permission_classes = [IsMarketer]

    class SegmentPreviewInputSerializer(serializers.Serializer):
        rule = serializers.JSONField()
        segment = serializers.SlugField(required=False, help_text="Also report the impact on this segment's members.")

    @extend_schema(
        request=SegmentPreviewInputSerializer,
        responses={
            200: inline_serializer(
                "SegmentPreview",
                {
                    "valid": serializers.BooleanField(), "errors": serializers.ListField(child=serializers.DictField()),
                    "count": serializers.IntegerField(allow_null=True), "sample": serializers.ListField(child=serializers.DictField()),
                    "impact": serializers.DictField(allow_null=True),
                },
            ),
            404: error_response("No segment with the slug given in `segment`."),
        },
    )
    def post(self, request):
        serializer = self.SegmentPreviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = serializer.validated_data["rule"]
        registry = field_registry()
        try:
            result = preview(rule=rule, registry=registry)
        except RuleValidationError as error:
            return Response({"valid": False, "errors": [e.as_dict() for e in error.errors], "count": None, "sample": [], "impact": None})
        change = None
        if slug := serializer.validated_data.get("segment"):
            segment = get_object_or_404(Segment, slug=slug)
            effect = impact(segment=segment, rule=rule, registry=registry)
            change = {"would_join": effect.would_join, "would_leave": effect.would_leave, "would_stay": effect.would_stay}
        sample = [
            {"id": row["pk"], "email": row["email"], "name": f"{row['first_name']} {row['last_name']}".strip(),
             "company": row["company__name"], "company_erp_id": row["company__erp_id"]}
            for row in result.sample
        ]
        return Response({"valid": True, "errors": [], "count": result.count, "sample": sample, "impact": change})


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"

    def render(self, data: Any, accepted_media_type=None, renderer_context=None) -> bytes:
        return b""  # the members CSV is streamed by the view; errors are rendered as JSON (finalize_response)


class MemberSerializer(serializers.ModelSerializer):
    company_erp_id = serializers.CharField(source="company.erp_id")
    company_name = serializers.CharField(source="company.name")
    since = serializers.DateTimeField(source="membership_since")

    class Meta:
        model = Contact
        fields = ["id", "email", "first_name", "last_name", "company_erp_id", "company_name", "since"]


class _Echo:
    def write(self, value: str) -> str:
        return value


class SegmentMembersApi(APIView):
    permission_classes = [IsMarketer]
    pagination_class = PageNumberPagination  # also tells the schema that the list is paginated
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CsvRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], description="csv streams every member")],
        responses=MemberSerializer(many=True),
    )
    def get(self, request, slug: str, format: str | None = None):
        segment = get_object_or_404(Segment, slug=slug)
        members = segment_member_list(segment=segment)
        if request.accepted_renderer.format == "csv":
            return self._csv(segment, members)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(members, request, view=self)
        return paginator.get_paginated_response(MemberSerializer(page, many=True).data)

    def finalize_response(self, request, response, *args, **kwargs):
        # An error of a CSV request (403, 404, bad page) is JSON in the error shape, not an empty CSV.
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and isinstance(renderer, CsvRenderer):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def _csv(self, segment: Segment, members) -> StreamingHttpResponse:
        writer = csv.writer(_Echo())
        header = ["email", "first_name", "last_name", "company_erp_id", "company_name", "member_since"]
        rows = members.values_list("email", "first_name", "last_name", "company__erp_id", "company__name", "membership_since")

        def lines():
            yield writer.writerow(header)
            for row in rows.iterator(chunk_size=2000):
                yield writer.writerow([*row[:5], row[5].isoformat() if row[5] else ""])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="segment-{segment.slug}-members.csv"'
        return response


class SegmentExplainApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, slug: str, contact_id: int):
        segment = get_object_or_404(Segment, slug=slug)
        contact = get_object_or_404(Contact, pk=contact_id)
        tree = explain(rule=segment.rule, contact=contact)
        is_member = segment.memberships.filter(contact=contact).exists()
        return Response({"segment": segment.slug, "contact": contact.pk, "is_member": is_member, "tree": tree.as_dict()})


class SegmentRefreshApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(request=None, responses={202: inline_serializer("RefreshQueued", {"run_id": serializers.IntegerField()})})
    def post(self, request, slug: str):
        segment = get_object_or_404(Segment, slug=slug)
        with transaction.atomic():
            run = segment_refresh_enqueue(segment=segment, trigger="api")
        return Response({"run_id": run.pk}, status=status.HTTP_202_ACCEPTED)


AUDIT_ENTRIES_SHOWN = 100


class SegmentHistoryApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, slug: str):
        segment = get_object_or_404(Segment, slug=slug)
        runs, events = segment_history(segment=segment)
        return Response(
            {
                "member_counts": [
                    {"at": run.finished_at or run.started_at, "member_count": run.member_count, "joined": run.joined, "left": run.left}
                    for run in runs
                ],
                "events": [
                    {"at": event.at, "kind": event.kind, "contact": event.contact_id, "email": event.contact.email}
                    for event in events
                ],
                # Who created, changed, enabled, disabled the segment or its Mailchimp sync setting, newest first.
                "audit": [
                    {
                        "at": entry.at, "action": entry.action, "target_type": entry.target_type,
                        "actor": entry.actor.email if entry.actor else (entry.actor_label or None),
                        "changed_fields": entry.changed_fields, "before": entry.before, "after": entry.after,
                    }
                    for entry in segment_audit_entries(segment_id=segment.pk)[:AUDIT_ENTRIES_SHOWN]
                ],
            }
        )


class ContactSegmentsApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(responses=SegmentOutputSerializer(many=True))
    def get(self, request, contact_id: int):
        if not Contact.objects.filter(pk=contact_id).exists():
            raise Http404
        segments = contact_segment_list(contact_id=contact_id).prefetch_related("depends_on")
        return Response(SegmentOutputSerializer(segments, many=True).data)
