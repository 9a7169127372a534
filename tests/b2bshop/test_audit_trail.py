"""The audit trail: every create, change, enable, disable and delete of a segment, a content block or a
Mailchimp sync setting, through the admin and the API, with who, when and the state before and after."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from b2bshop.audit.diff import field_changes, json_diff
from b2bshop.models import AuditEntry
from integrations.models import MailchimpSegmentSync
from personalization.models import ContentBlock
from segments.models import Segment
from segments.services import SegmentCycleError, segment_save
from tests.accounts.factories import ContactFactory, StaffUserFactory
from tests.personalization.factories import ContentBlockFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

DUTCH_RULE = {"all": [{"field": "company.country", "op": "eq", "value": "NL"}]}
BELGIAN_RULE = {"all": [{"field": "company.country", "op": "eq", "value": "BE"}]}
Action, Target = AuditEntry.Action, AuditEntry.TargetType


@pytest.fixture
def admin_client(marketer):
    client = Client()
    client.force_login(marketer)
    return client


@pytest.fixture
def root(db):
    return StaffUserFactory(email="root@b2bshop.example", is_superuser=True)


@pytest.fixture
def root_client(root):
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def api(marketer):
    client = APIClient()
    client.force_authenticate(marketer)
    return client


def _entries(target_type=None):
    entries = AuditEntry.objects.order_by("id")
    return list(entries.filter(target_type=target_type) if target_type else entries)


def _segment_form(**overrides):
    data = {"name": "Dutch", "slug": "dutch", "description": "", "is_active": "on", "rule": json.dumps(DUTCH_RULE)}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class SegmentAdminTrailTests:
    def test_create_change_disable_enable_delete(self, admin_client, marketer):
        assert admin_client.post(reverse("admin:segments_segment_add"), _segment_form()).status_code == 302
        segment = Segment.objects.get(slug="dutch")
        change_url = reverse("admin:segments_segment_change", args=[segment.pk])
        assert admin_client.post(change_url, _segment_form(rule=json.dumps(BELGIAN_RULE))).status_code == 302
        assert admin_client.post(change_url, _segment_form(rule=json.dumps(BELGIAN_RULE), is_active=None)).status_code == 302
        assert admin_client.post(change_url, _segment_form(rule=json.dumps(BELGIAN_RULE))).status_code == 302
        delete_url = reverse("admin:segments_segment_delete", args=[segment.pk])
        assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302

        created, changed, disabled, enabled, deleted = _entries()
        assert [e.action for e in (created, changed, disabled, enabled, deleted)] == [
            Action.CREATED, Action.CHANGED, Action.DISABLED, Action.ENABLED, Action.DELETED,
        ]
        for entry in (created, changed, disabled, enabled, deleted):
            assert (entry.actor, entry.actor_label, entry.target_type) == (marketer, marketer.email, Target.SEGMENT)
            assert (entry.target_id, entry.segment_id, entry.target_label) == (segment.pk, segment.pk, "Dutch")
        assert created.before is None and created.after["rule"] == DUTCH_RULE
        assert (changed.before["rule"], changed.after["rule"]) == (DUTCH_RULE, BELGIAN_RULE)
        assert changed.changed_fields == ["rule"]
        assert (disabled.before["is_active"], disabled.after["is_active"]) == (True, False)
        assert enabled.after["is_active"] is True
        assert deleted.before["rule"] == BELGIAN_RULE and deleted.after is None

    def test_saving_without_a_change_records_nothing(self, admin_client):
        admin_client.post(reverse("admin:segments_segment_add"), _segment_form())
        segment = Segment.objects.get(slug="dutch")
        admin_client.post(reverse("admin:segments_segment_change", args=[segment.pk]), _segment_form())
        assert [e.action for e in _entries()] == [Action.CREATED]

    def test_a_refused_save_records_nothing(self, marketer):
        a = segment_save(name="A", slug="a", rule={"all": []}, user=marketer, refresh=False)
        b = segment_save(
            name="B", slug="b", rule={"all": [{"field": "segment.member_of", "op": "contains_any", "value": ["a"]}]},
            user=marketer, refresh=False,
        )
        count = AuditEntry.objects.count()
        with pytest.raises(SegmentCycleError):
            segment_save(
                segment=a, name="A", rule={"all": [{"field": "segment.member_of", "op": "contains_any", "value": ["b"]}]},
                user=marketer, refresh=False,
            )
        assert AuditEntry.objects.count() == count
        assert b.pk

    def test_the_change_page_shows_the_history_with_the_rule_diff(self, admin_client):
        admin_client.post(reverse("admin:segments_segment_add"), _segment_form())
        segment = Segment.objects.get(slug="dutch")
        change_url = reverse("admin:segments_segment_change", args=[segment.pk])
        admin_client.post(change_url, _segment_form(rule=json.dumps(BELGIAN_RULE)))

        html = admin_client.get(change_url).content.decode()
        history = html[html.index('id="segment-audit"'):]
        assert "<strong>Changed</strong>" in history and "<strong>Created</strong>" in history
        assert "by marketer@b2bshop.example" in history
        assert '<span class="audit-removed">-      &quot;value&quot;: &quot;NL&quot;</span>' in history
        assert '<span class="audit-added">+      &quot;value&quot;: &quot;BE&quot;</span>' in history

    def test_a_segment_created_by_a_command_is_by_the_system(self, admin_client):
        segment = segment_save(name="Seeded", rule={"all": []}, refresh=False)
        entry = AuditEntry.objects.get()
        assert (entry.actor, entry.actor_label) == (None, "")
        html = admin_client.get(reverse("admin:segments_segment_change", args=[segment.pk])).content.decode()
        assert "by the system" in html


class SegmentApiTrailTests:
    def test_create_change_disable_enable_delete(self, api, marketer):
        assert api.post("/api/segments/", {"name": "Dutch", "rule": DUTCH_RULE}, format="json").status_code == 201
        assert api.patch("/api/segments/dutch/", {"rule": BELGIAN_RULE}, format="json").status_code == 200
        assert api.patch("/api/segments/dutch/", {"is_active": False}, format="json").status_code == 200
        assert api.put("/api/segments/dutch/", {"name": "Dutch", "rule": BELGIAN_RULE, "is_active": True}, format="json").status_code == 200
        segment_id = Segment.objects.get(slug="dutch").pk
        assert api.delete("/api/segments/dutch/").status_code == 204

        entries = _entries()
        assert [e.action for e in entries] == [Action.CREATED, Action.CHANGED, Action.DISABLED, Action.ENABLED, Action.DELETED]
        assert all((e.actor, e.target_id, e.segment_id) == (marketer, segment_id, segment_id) for e in entries)
        assert (entries[1].before["rule"], entries[1].after["rule"]) == (DUTCH_RULE, BELGIAN_RULE)

    def test_the_history_endpoint_lists_the_trail_and_keeps_its_other_keys(self, api):
        api.post("/api/segments/", {"name": "Dutch", "rule": DUTCH_RULE}, format="json")
        api.patch("/api/segments/dutch/", {"rule": BELGIAN_RULE, "mailchimp_sync": {"enabled": True}}, format="json")

        body = api.get("/api/segments/dutch/history/").json()
        assert set(body) == {"member_counts", "events", "audit"}
        actions = [(item["action"], item["target_type"]) for item in body["audit"]]
        assert actions == [("created", "mailchimp_sync"), ("changed", "segment"), ("created", "segment")]
        changed = body["audit"][1]
        assert changed["actor"] == "marketer@b2bshop.example"
        assert changed["changed_fields"] == ["rule"]
        assert (changed["before"]["rule"], changed["after"]["rule"]) == (DUTCH_RULE, BELGIAN_RULE)

    def test_a_refused_api_save_records_nothing(self, api):
        response = api.post("/api/segments/", {"name": "Bad", "rule": {"all": [{"field": "nope", "op": "eq", "value": 1}]}}, format="json")
        assert response.status_code == 400
        assert AuditEntry.objects.count() == 0


class MailchimpSyncTrailTests:
    def test_through_the_api_enable_and_disable(self, api, marketer):
        api.post("/api/segments/", {"name": "Dutch", "rule": DUTCH_RULE, "mailchimp_sync": {"enabled": True}}, format="json")
        api.patch("/api/segments/dutch/", {"mailchimp_sync": {"enabled": False}}, format="json")
        api.patch("/api/segments/dutch/", {"mailchimp_sync": {"enabled": True}}, format="json")

        entries = _entries(Target.MAILCHIMP_SYNC)
        sync = MailchimpSegmentSync.objects.get()
        assert [e.action for e in entries] == [Action.CREATED, Action.DISABLED, Action.ENABLED]
        assert all((e.actor, e.target_id, e.segment_id, e.target_label) == (marketer, sync.pk, sync.segment_id, "Dutch") for e in entries)
        assert entries[1].before == {"segment": "dutch", "enabled": True, "tag_prefix": "shop: "}
        assert entries[1].after == {"segment": "dutch", "enabled": False, "tag_prefix": "shop: "}

    def test_through_the_admin_create_change_disable_delete(self, root_client, root):
        segment = SegmentFactory(name="Tulips", slug="tulips")
        add = reverse("admin:integrations_mailchimpsegmentsync_add")
        assert root_client.post(add, {"segment": segment.pk, "enabled": "on", "tag_prefix": "b2b: "}).status_code == 302
        sync = MailchimpSegmentSync.objects.get()
        change = reverse("admin:integrations_mailchimpsegmentsync_change", args=[sync.pk])
        assert root_client.post(change, {"enabled": "on", "tag_prefix": "shop: "}).status_code == 302
        assert root_client.post(change, {"tag_prefix": "shop: "}).status_code == 302
        delete = reverse("admin:integrations_mailchimpsegmentsync_delete", args=[sync.pk])
        assert root_client.post(delete, {"post": "yes"}).status_code == 302

        entries = _entries(Target.MAILCHIMP_SYNC)
        assert [e.action for e in entries] == [Action.CREATED, Action.CHANGED, Action.DISABLED, Action.DELETED]
        assert all(e.actor == root and e.segment_id == segment.pk for e in entries)
        assert (entries[1].before["tag_prefix"], entries[1].after["tag_prefix"]) == ("b2b: ", "shop: ")
        assert entries[3].after is None and not MailchimpSegmentSync.objects.exists()

    def test_the_segment_history_shows_sync_changes(self, admin_client, marketer):
        segment = segment_save(name="Dutch", rule=DUTCH_RULE, user=marketer, refresh=False)
        from integrations.mailchimp.services import mailchimp_segment_sync_save

        mailchimp_segment_sync_save(segment=segment, enabled=True, user=marketer, sync_now=False)
        html = admin_client.get(reverse("admin:segments_segment_change", args=[segment.pk])).content.decode()
        assert "Mailchimp sync setting" in html[html.index('id="segment-audit"'):]


def _block_form(block=None, **overrides):
    data = {
        "name": "Spring", "placement": ContentBlock.Placement.HOME_HERO, "kind": ContentBlock.Kind.TEXT,
        "headline": "Spring is here", "text": "<p>Tulips</p>", "link_url": "", "priority": "0", "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class ContentBlockTrailTests:
    def test_create_change_disable_enable_delete_through_the_admin(self, root_client, root):
        dealers = SegmentFactory(slug="dealers")
        add = reverse("admin:personalization_contentblock_add")
        assert root_client.post(add, _block_form(include_segments=[dealers.pk])).status_code == 302
        block = ContentBlock.objects.get()
        change = reverse("admin:personalization_contentblock_change", args=[block.pk])
        assert root_client.post(change, _block_form(headline="Summer", include_segments=[dealers.pk])).status_code == 302
        assert root_client.post(change, _block_form(headline="Summer", is_active=None)).status_code == 302
        assert root_client.post(change, _block_form(headline="Summer")).status_code == 302
        delete = reverse("admin:personalization_contentblock_delete", args=[block.pk])
        assert root_client.post(delete, {"post": "yes"}).status_code == 302

        entries = _entries(Target.CONTENT_BLOCK)
        assert [e.action for e in entries] == [Action.CREATED, Action.CHANGED, Action.DISABLED, Action.ENABLED, Action.DELETED]
        assert all((e.actor, e.target_id, e.target_label) == (root, block.pk, "Spring") for e in entries)
        # The segments, saved after the block itself, are part of the recorded state.
        assert entries[0].after["include_segments"] == ["dealers"]
        assert entries[1].changed_fields == ["headline"]
        assert (entries[2].before["include_segments"], entries[2].after["include_segments"]) == (["dealers"], [])
        assert entries[4].before["headline"] == "Summer" and entries[4].after is None

    def test_the_change_list_toggle_and_bulk_delete_are_recorded(self, root_client, root):
        first, second = ContentBlockFactory(priority=1), ContentBlockFactory(priority=2)
        changelist = reverse("admin:personalization_contentblock_changelist")
        response = root_client.post(changelist, {
            "form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2",
            "form-0-id": str(second.pk), "form-0-priority": "2", "form-0-is_active": "on",
            "form-1-id": str(first.pk), "form-1-priority": "1",
            "_save": "Save",
        })
        assert response.status_code == 302
        assert [(e.action, e.target_id) for e in _entries()] == [(Action.DISABLED, first.pk)]

        root_client.post(changelist, {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"})
        assert sorted((e.action, e.target_id) for e in _entries()[1:]) == [(Action.DELETED, first.pk), (Action.DELETED, second.pk)]
        assert not ContentBlock.objects.exists()


class AuditAdminTests:
    def test_marketers_read_and_filter_the_trail(self, admin_client, marketer):
        segment_save(name="Dutch", rule=DUTCH_RULE, user=marketer, refresh=False)
        ContentBlockFactory()
        changelist = reverse("admin:b2bshop_auditentry_changelist")
        response = admin_client.get(changelist, {"target_type": "segment", "action": "created"})
        assert response.status_code == 200
        assert [entry.target_label for entry in response.context["cl"].result_list] == ["Dutch"]
        entry = AuditEntry.objects.get()
        detail = admin_client.get(reverse("admin:b2bshop_auditentry_change", args=[entry.pk]))
        assert detail.status_code == 200
        assert "company.country" in detail.content.decode()

    def test_nobody_adds_changes_or_deletes_entries(self, root_client, root):
        entry = segment_save(name="Dutch", rule=DUTCH_RULE, user=root, refresh=False) and AuditEntry.objects.get()
        assert root_client.get(reverse("admin:b2bshop_auditentry_add")).status_code == 403
        assert root_client.post(reverse("admin:b2bshop_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
        root_client.post(reverse("admin:b2bshop_auditentry_change", args=[entry.pk]), {"target_label": "Forged"})
        entry.refresh_from_db()
        assert entry.target_label == "Dutch"

    def test_buyers_and_staff_outside_marketing_cannot_read_it(self, db):
        changelist = reverse("admin:b2bshop_auditentry_changelist")
        buyer, staff = Client(), Client()
        buyer.force_login(ContactFactory())
        staff.force_login(StaffUserFactory(email="ops@b2bshop.example"))
        assert buyer.get(changelist).status_code == 302  # to the admin login
        assert staff.get(changelist).status_code == 403
        assert Client().get(changelist).status_code == 302

    def test_entries_outlive_their_target_and_actor(self, marketer):
        segment = segment_save(name="Dutch", rule=DUTCH_RULE, user=marketer, refresh=False)
        from segments.services import segment_delete

        segment_delete(segment=segment, user=marketer)
        marketer.delete()
        entries = _entries()
        assert [(e.action, e.actor, e.actor_label, e.target_label) for e in entries] == [
            (Action.CREATED, None, "marketer@b2bshop.example", "Dutch"),
            (Action.DELETED, None, "marketer@b2bshop.example", "Dutch"),
        ]


class DiffTests:
    def test_a_rule_change_is_a_line_diff(self):
        lines = json_diff(DUTCH_RULE, BELGIAN_RULE)
        assert [line.text for line in lines if line.kind == "removed"] == ['-      "value": "NL"']
        assert [line.text for line in lines if line.kind == "added"] == ['+      "value": "BE"']

    def test_equal_values_have_no_diff_and_no_change(self):
        assert json_diff(DUTCH_RULE, json.loads(json.dumps(DUTCH_RULE))) == []
        assert field_changes({"rule": DUTCH_RULE, "name": "A"}, {"rule": DUTCH_RULE, "name": "B"})[0].field == "name"
