from django.urls import path

from integrations.erp import api

urlpatterns = [
    path("import/<str:entity>/", api.ErpImportApi.as_view(), name="erp-import"),
    path("imports/", api.ImportRunListApi.as_view(), name="erp-import-runs"),
]
