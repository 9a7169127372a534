"""The project's URLs plus the Mailchimp ones (until b2bshop/urls.py includes them)."""

from django.urls import include, path

from b2bshop.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("", include("integrations.mailchimp.urls")), *project_urlpatterns]
