"""Mailchimp URLs, included at the site root: the marketer API and the webhook."""

from django.urls import path

from integrations.mailchimp import api, views

urlpatterns = [
    path("api/mailchimp/sync/", api.MailchimpSyncStartApi.as_view(), name="mailchimp-sync"),
    path("api/mailchimp/runs/", api.MailchimpSyncRunListApi.as_view(), name="mailchimp-runs"),
    path("api/mailchimp/runs/<int:run_id>/", api.MailchimpSyncRunDetailApi.as_view(), name="mailchimp-run-detail"),
    path("integrations/mailchimp/webhook/<str:secret>/", views.mailchimp_webhook, name="mailchimp-webhook"),
]
