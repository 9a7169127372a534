"""Helpers shared by the admin tests of every app."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def page_query_count(client, url: str) -> int:
    """Queries needed to render a page that must answer 200."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)
