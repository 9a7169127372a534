import csv
import io

import pytest
from rest_framework.test import APIClient

from segments.models import RefreshRun, Segment
from segments.services import segment_refresh, segment_save
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory

DUTCH = {"field": "company.country", "op": "eq", "value": "NL"}


@pytest.mark.django_db
class SegmentPermissionTests:
    @pytest.mark.parametrize("path", ["/api/segment-fields/", "/api/segments/", "/api/segments/dutch/", "/api/segments/dutch/members/",
                                      "/api/segments/dutch/history/"])
    def test_buyers_anonymous_and_plain_staff_are_refused(self, path, buyer_client):
        segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
        staff = APIClient()
        staff.force_authenticate(StaffUserFactory())
        assert buyer_client.get(path).status_code == 403
        assert APIClient().get(path).status_code == 403
        assert staff.get(path).status_code == 403

    def test_buyers_cannot_create_segments(self, buyer_client):
        response = buyer_client.post("/api/segments/", {"name": "X", "rule": DUTCH}, format="json")
        assert response.status_code == 403
        assert not Segment.objects.exists()


@pytest.mark.django_db
class SegmentCrudApiTests:
    def test_create_validates_refreshes_and_answers_the_segment(self, marketer_client, django_capture_on_commit_callbacks):
        ContactFactory(company=CompanyFactory(country="NL"))
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = marketer_client.post("/api/segments/", {"name": "Dutch customers", "rule": DUTCH}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["slug"] == "dutch-customers"
        assert callbacks[0].func.__self__.name == "segments.segment_refresh"  # queued after commit; eager Celery runs it
        assert Segment.objects.get(slug="dutch-customers").member_count == 1

    def test_invalid_rule_answers_400_with_json_pointers(self, marketer_client):
        rule = {"all": [{"field": "company.name", "op": "gt", "value": 3}, {"field": "company.contry", "op": "eq", "value": "NL"}]}
        response = marketer_client.post("/api/segments/", {"name": "Broken", "rule": rule}, format="json")
        assert response.status_code == 400
        errors = {error["path"]: error["message"] for error in response.json()["errors"]}
        assert "use one of eq, ne, in" in errors["/all/0/op"]
        assert "company.country" in errors["/all/1/field"]
        assert not Segment.objects.exists()

    @pytest.mark.parametrize(
        "body",
        [b"{not json", b"[]", b'{"name": "X"}', b'{"name": "X", "rule": {"all": []}, "colour": "red"}', b'{"name": 5, "rule": 7}'],
    )
    def test_bad_bodies_are_400_never_500(self, marketer_client, body):
        response = marketer_client.post("/api/segments/", body, content_type="application/json")
        assert response.status_code == 400
        assert "message" in response.json()

    def test_duplicate_name_is_400(self, marketer_client):
        segment_save(name="Dutch", rule=DUTCH, refresh=False)
        response = marketer_client.post("/api/segments/", {"name": "Dutch", "rule": DUTCH}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] == "/name"

    def test_patch_changes_the_rule_and_delete_removes(self, marketer_client):
        segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
        response = marketer_client.patch("/api/segments/dutch/", {"rule": {"field": "company.country", "op": "eq", "value": "be"}}, format="json")
        assert response.status_code == 200
        assert Segment.objects.get(slug="dutch").rule["value"] == "be"
        assert marketer_client.delete("/api/segments/dutch/").status_code == 204
        assert marketer_client.get("/api/segments/dutch/").status_code == 404

    def test_list_is_paginated(self, marketer_client):
        for index in range(3):
            segment_save(name=f"S{index}", rule={"all": []}, refresh=False)
        body = marketer_client.get("/api/segments/").json()
        assert body["count"] == 3
        assert [item["name"] for item in body["results"]] == ["S0", "S1", "S2"]


@pytest.mark.django_db
class SegmentFieldsApiTests:
    def test_lists_the_registry_with_operators_and_choices(self, marketer_client):
        body = marketer_client.get("/api/segment-fields/").json()
        fields = {field["key"]: field for field in body["fields"]}
        assert fields["sales.revenue"]["windowed"] is True
        assert [op["op"] for op in fields["company.name"]["operators"]][:3] == ["eq", "ne", "in"]
        assert {"value": "champions", "label": "Champions"} in fields["value.rfm_segment"]["choices"]
        assert fields["segment.member_of"]["reference"] == "segment"

    def test_declared_custom_attributes_appear(self, marketer_client):
        from accounts.models import CompanyAttributeDefinition

        CompanyAttributeDefinition.objects.create(name="greenhouse_m2", value_type="number", label="Greenhouse area")
        fields = {field["key"]: field for field in marketer_client.get("/api/segment-fields/").json()["fields"]}
        assert fields["company.attr.greenhouse_m2"]["type"] == "number"
        assert fields["company.attr.greenhouse_m2"]["label"] == "Greenhouse area"


@pytest.mark.django_db
class SegmentPreviewApiTests:
    def test_preview_answers_count_sample_and_impact(self, marketer_client):
        ContactFactory.create_batch(2, company=CompanyFactory(country="NL"))
        ContactFactory(company=CompanyFactory(country="BE"))
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
        segment_refresh(segment_id=segment.pk)
        response = marketer_client.post(
            "/api/segments/preview/", {"rule": {"field": "company.country", "op": "eq", "value": "BE"}, "segment": "dutch"},
            format="json",
        )
        body = response.json()
        assert body["valid"] is True
        assert body["count"] == 1
        assert len(body["sample"]) == 1
        assert body["impact"] == {"would_join": 1, "would_leave": 2, "would_stay": 0}
        assert Segment.objects.get(slug="dutch").member_count == 2

    def test_preview_of_an_invalid_rule_lists_the_errors(self, marketer_client):
        body = marketer_client.post("/api/segments/preview/", {"rule": {"all": [{"field": "cart.value", "op": "gt"}]}}, format="json").json()
        assert body["valid"] is False
        assert body["errors"] == [{"path": "/all/0/value", "message": "operator 'gt' needs a value"}]


@pytest.mark.django_db
class SegmentMembersApiTests:
    def test_members_paginated_and_as_streamed_csv(self, marketer_client):
        contacts = ContactFactory.create_batch(3, company=CompanyFactory(country="NL", name="Bloemen BV"))
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
        segment_refresh(segment_id=segment.pk)

        page = marketer_client.get("/api/segments/dutch/members/").json()
        assert page["count"] == 3
        assert {row["email"] for row in page["results"]} == {c.email for c in contacts}

        response = marketer_client.get("/api/segments/dutch/members/?format=csv")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:2] == ["email", "first_name"]
        assert sorted(row[0] for row in rows[1:]) == sorted(c.email for c in contacts)
        assert {row[4] for row in rows[1:]} == {"Bloemen BV"}


@pytest.mark.django_db
class SegmentExplainRefreshHistoryApiTests:
    def test_explain_a_contact(self, marketer_client):
        contact = ContactFactory(company=CompanyFactory(country="BE"))
        segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
        body = marketer_client.get(f"/api/segments/dutch/explain/{contact.pk}/").json()
        assert body["is_member"] is False
        assert body["tree"] == {"kind": "condition", "result": False, "condition": DUTCH, "label": "Country", "actual": "BE"}
        assert marketer_client.get("/api/segments/dutch/explain/999999/").status_code == 404

    def test_refresh_answers_202_with_the_run_and_history_shows_it(self, marketer_client, django_capture_on_commit_callbacks):
        ContactFactory(company=CompanyFactory(country="NL"))
        segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
        with django_capture_on_commit_callbacks(execute=True):
            response = marketer_client.post("/api/segments/dutch/refresh/")
        assert response.status_code == 202
        run = RefreshRun.objects.get(pk=response.json()["run_id"])
        assert run.status == RefreshRun.Status.SUCCEEDED  # eager Celery in tests
        history = marketer_client.get("/api/segments/dutch/history/").json()
        assert history["member_counts"][-1]["member_count"] == 1
        assert history["events"][0]["kind"] == "joined"

    def test_contact_segments(self, marketer_client):
        contact = ContactFactory(company=CompanyFactory(country="NL"))
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
        segment_refresh(segment_id=segment.pk)
        body = marketer_client.get(f"/api/contacts/{contact.pk}/segments/").json()
        assert [item["slug"] for item in body] == ["dutch"]
        assert marketer_client.get("/api/contacts/999999/segments/").status_code == 404


@pytest.mark.django_db
class SegmentMailchimpSettingsApiTests:
    def test_sync_settings_are_written_and_shown(self, marketer_client):
        response = marketer_client.post(
            "/api/segments/", {"name": "Dutch", "rule": DUTCH, "mailchimp_sync": {"enabled": True}}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert response.json()["mailchimp_sync"]["enabled"] is True
        response = marketer_client.patch("/api/segments/dutch/", {"mailchimp_sync": {"enabled": False}}, format="json")
        assert response.json()["mailchimp_sync"]["enabled"] is False
        assert marketer_client.get("/api/segments/").json()["results"][0]["mailchimp_sync"]["enabled"] is False

    def test_a_segment_without_sync_shows_null(self, marketer_client):
        segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
        assert marketer_client.get("/api/segments/dutch/").json()["mailchimp_sync"] is None
