from django.urls import path

from segments.insight import api

urlpatterns = [
    path("kpis/", api.InsightKpisApi.as_view(), name="insight-kpis"),
    path("rfm-grid/", api.InsightRfmGridApi.as_view(), name="insight-rfm-grid"),
    path("rfm-grid/cell/", api.InsightRfmCellApi.as_view(), name="insight-rfm-cell"),
    path("pareto/", api.InsightParetoApi.as_view(), name="insight-pareto"),
    path("lift/", api.InsightLiftApi.as_view(), name="insight-lift"),
    path("lift/look-alike/", api.InsightLookAlikeApi.as_view(), name="insight-lookalike"),
    path("overlap/", api.InsightOverlapApi.as_view(), name="insight-overlap"),
    path("trends/", api.InsightTrendsApi.as_view(), name="insight-trends"),
]
