from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from b2bshop.views import healthz

admin.site.site_header = "b2bshop administration"
admin.site.site_title = "b2bshop admin"
admin.site.index_title = "Shop, segments and integrations"

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/erp/", include("integrations.erp.urls")),
    path("api/", include("segments.urls")),
    path("api/shop/", include("orders.shop_api_urls")),
    path("", include("integrations.mailchimp.urls")),
    path("", include("accounts.shop_urls")),
    path("", include("orders.shop_urls")),
    path("", include("catalog.shop_urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
