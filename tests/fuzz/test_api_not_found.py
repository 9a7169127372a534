"""Paths under /api/ that match no route answer JSON in the API's error shape (found by the fuzzer)."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/promotions/-1/", "/api/segments/not a slug/", "/api/no-such-endpoint/"])
def test_an_api_path_without_a_route_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "Not found.", "errors": []}


@pytest.mark.django_db
def test_a_shop_path_without_a_route_is_still_the_html_404(client):
    response = client.get("/no-such-page/here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
