"""Segment API inputs the fuzzer found mishandled (docs/reliability.md, "API fuzzing")."""

import pytest

from segments.models import Segment
from tests.segments.factories import SegmentFactory


@pytest.fixture
def marketer_client(client, marketer):
    from segments.permissions import marketing_segment_permissions_grant

    marketer.groups.add(marketing_segment_permissions_grant())
    client.force_login(marketer)
    return client


@pytest.mark.django_db
def test_a_name_without_letters_or_digits_needs_a_slug(marketer_client):
    response = marketer_client.post("/api/segments/", {"name": "%\u0002", "rule": {"all": []}}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "/slug"
    assert not Segment.objects.filter(slug="").exists()
    given = marketer_client.post(
        "/api/segments/", {"name": "%\u0002", "slug": "odd", "rule": {"all": []}}, content_type="application/json"
    )
    assert given.status_code == 201


@pytest.mark.django_db
def test_a_sync_setting_without_enabled_is_a_400_also_in_a_patch(marketer_client):
    SegmentFactory(slug="loyal", name="Loyal")
    response = marketer_client.patch(
        "/api/segments/loyal/", {"mailchimp_sync": {"tag": "x"}}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "/mailchimp_sync/enabled", "message": "This field is required."}]
