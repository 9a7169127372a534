"""Mailchimp API (spec api.md): start a sync, list runs. Marketers only; one view per operation."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from b2bshop.api.permissions import IsMarketer
from integrations.mailchimp.selectors import mailchimp_sync_run_chunk_counts, mailchimp_sync_run_list
from integrations.mailchimp.services import mailchimp_sync_enqueue
from integrations.models import MailchimpSyncRun
from segments.models import Segment


class _StrictSerializer(serializers.Serializer):
    """Unknown fields are errors (a typo must not silently start a different sync)."""

    rejects_unknown_fields = True  # the schema says so: additionalProperties false

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class SyncRunOutputSerializer(serializers.ModelSerializer):
    segment = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SerializerMethodField()

    class Meta:
        model = MailchimpSyncRun
        fields = [
            "id", "segment", "status", "trigger", "dry_run", "full", "created_at", "started_at", "finished_at",
            "added", "removed", "upserted", "failed", "skipped", "chunks_total", "chunks_done", "tags", "error",
        ]

    def get_tags(self, run: MailchimpSyncRun) -> list[dict]:
        return [
            {
                "segment_id": int(segment_id), "tag": state.get("tag", ""), "state": state.get("state", ""),
                "would_add": state.get("would_add", 0), "would_remove": state.get("would_remove", 0),
                "upserts": state.get("upserts", 0), "skipped": state.get("skipped", {}),
            }
            for segment_id, state in sorted(run.summary.items(), key=lambda item: int(item[0]))
        ]


class MailchimpSyncStartApi(APIView):
    permission_classes = [IsMarketer]

    class InputSerializer(_StrictSerializer):
        segment = serializers.SlugField(required=False, help_text="Slug of a synced segment; omit for all.")
        dry_run = serializers.BooleanField(required=False, default=False, help_text="Only GET calls; report the plan.")
        full = serializers.BooleanField(required=False, default=False, help_text="Compare with the tags in Mailchimp.")

    @extend_schema(
        request=InputSerializer,
        responses={202: inline_serializer("MailchimpSyncStarted", {"run_id": serializers.IntegerField(), "status": serializers.CharField()})},
        summary="Start a Mailchimp sync",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        segment_id = None
        if "segment" in data:
            segment = Segment.objects.filter(slug=data["segment"]).only("pk").first()
            if segment is None:
                raise serializers.ValidationError({"segment": [f"There is no segment '{data['segment']}'."]})
            segment_id = segment.pk
        run = mailchimp_sync_enqueue(
            segment_id=segment_id, dry_run=data["dry_run"], full=data["full"],
            trigger=MailchimpSyncRun.Trigger.API, user=request.user,
        )
        return Response({"run_id": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)


class MailchimpSyncRunListApi(APIView):
    permission_classes = [IsMarketer]
    pagination_class = PageNumberPagination  # also tells the schema that the list is paginated

    class FilterSerializer(serializers.Serializer):
        segment = serializers.SlugField(required=False)
        status = serializers.ChoiceField(choices=MailchimpSyncRun.Status.choices, required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter("segment", str, description="Only runs of this segment (slug)."),
            OpenApiParameter("status", str, enum=MailchimpSyncRun.Status.values),
        ],
        responses=SyncRunOutputSerializer(many=True),
        summary="Mailchimp sync runs, newest first",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        segment_id = None
        if "segment" in filters.validated_data:
            segment_id = get_object_or_404(Segment, slug=filters.validated_data["segment"]).pk
        runs = mailchimp_sync_run_list(segment_id=segment_id, status=filters.validated_data.get("status"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response(SyncRunOutputSerializer(page, many=True).data)


class MailchimpSyncRunDetailApi(APIView):
    permission_classes = [IsMarketer]

    class OutputSerializer(SyncRunOutputSerializer):
        chunks = serializers.SerializerMethodField()

        class Meta(SyncRunOutputSerializer.Meta):
            fields = [*SyncRunOutputSerializer.Meta.fields, "chunks"]

        def get_chunks(self, run: MailchimpSyncRun) -> dict[str, int]:
            return mailchimp_sync_run_chunk_counts(run_id=run.pk)

    @extend_schema(responses=OutputSerializer, summary="One Mailchimp sync run with its chunk progress")
    def get(self, request, run_id: int):
        run = get_object_or_404(MailchimpSyncRun.objects.select_related("segment"), pk=run_id)
        return Response(self.OutputSerializer(run).data)
