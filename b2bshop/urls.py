from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from b2bshop.views import healthz

admin.site.site_header = "b2bshop administration"
admin.site.site_title = "b2bshop admin"
admin.site.index_title = "Shop, segments and integrations"

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start script from a URL: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/erp/", include("integrations.erp.urls")),
    path("api/", include("segments.urls")),
    path("api/", include("orders.offers.urls")),
    path("api/shop/", include("orders.shop_api_urls")),
    path("", include("integrations.mailchimp.urls")),
    path("preview/", include("personalization.preview_urls")),
    path("", include("accounts.shop_urls")),
    path("", include("orders.shop_urls")),
    path("", include("catalog.shop_urls")),
]

# API paths that match no route (e.g. /api/promotions/-1/) answer JSON like every API error.
handler404 = "b2bshop.api.views.not_found"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
