from django.urls import include, path

from segments import api

urlpatterns = [
    path("segment-fields/", api.SegmentFieldsApi.as_view(), name="segment-fields"),
    path("segments/", api.SegmentListApi.as_view(), name="segment-list"),
    path("segments/preview/", api.SegmentPreviewApi.as_view(), name="segment-preview"),
    path("segments/<slug:slug>/", api.SegmentDetailApi.as_view(), name="segment-detail"),
    path("segments/<slug:slug>/members/", api.SegmentMembersApi.as_view(), name="segment-members"),
    path("segments/<slug:slug>/explain/<int:contact_id>/", api.SegmentExplainApi.as_view(), name="segment-explain"),
    path("segments/<slug:slug>/refresh/", api.SegmentRefreshApi.as_view(), name="segment-refresh"),
    path("segments/<slug:slug>/history/", api.SegmentHistoryApi.as_view(), name="segment-history"),
    path("contacts/<int:contact_id>/segments/", api.ContactSegmentsApi.as_view(), name="contact-segments"),
    path("insight/", include("segments.insight.urls")),
]
