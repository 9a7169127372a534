from django.urls import path

from personalization import preview_views

urlpatterns = [
    path("", preview_views.PreviewStartView.as_view(), name="shop-preview"),
    path("stop/", preview_views.PreviewStopView.as_view(), name="shop-preview-stop"),
]
