"""Who opens the audit trail in the admin: Django's `b2bshop.view_auditentry` permission, which the
Marketing group holds (accounts.services.MARKETING_PERMISSIONS), and no code of its own."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.services import MARKETING_GROUP_NAME, marketing_group_ensure
from b2bshop.models import AuditEntry
from b2bshop.templatetags.audit import HISTORY_SHOWN
from segments.permissions import marketing_segment_permissions_grant
from segments.services import segment_save
from tests.accounts.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

DUTCH_RULE = {"all": [{"field": "company.country", "op": "eq", "value": "NL"}]}
CHANGELIST = "admin:b2bshop_auditentry_changelist"
migration = importlib.import_module("accounts.migrations.0002_marketing_group_views_audit_trail")


def _view_auditentry() -> Permission:
    return Permission.objects.get(content_type__app_label="b2bshop", codename="view_auditentry")


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _migrate_marketing_group() -> None:
    migration.marketing_group_view_audit_trail(apps, SimpleNamespace(connection=connection))


class AuditTrailPermissionTests:
    def test_the_marketing_group_may_view_the_trail_and_nothing_more(self):
        group = marketing_group_ensure()
        codenames = set(group.permissions.filter(content_type__app_label="b2bshop").values_list("codename", flat=True))
        assert codenames == {"view_auditentry"}

    def test_marketing_group_ensure_gives_back_a_removed_permission(self):
        group = marketing_group_ensure()
        group.permissions.remove(_view_auditentry())
        assert marketing_group_ensure().permissions.filter(codename="view_auditentry").exists() is True

    def test_a_marketer_reads_the_trail_by_the_groups_permission(self, marketer):
        segment_save(name="Dutch", rule=DUTCH_RULE, user=marketer, refresh=False)
        client = _logged_in(marketer)
        response = client.get(reverse(CHANGELIST))
        assert response.status_code == 200
        assert [entry.target_label for entry in response.context["cl"].result_list] == ["Dutch"]
        assert client.get(reverse("admin:index")).content.decode().count(reverse(CHANGELIST)) >= 1

    def test_a_marketer_whose_group_lacks_the_permission_cannot_open_it(self):
        group = marketing_segment_permissions_grant()  # a group with the segment permissions only
        user = StaffUserFactory(email="segments-only@b2bshop.example")
        user.groups.add(group)
        client = _logged_in(user)
        assert client.get(reverse(CHANGELIST)).status_code == 403
        assert reverse(CHANGELIST) not in client.get(reverse("admin:index")).content.decode()

    def test_staff_outside_marketing_given_the_permission_read_it(self):
        user = StaffUserFactory(email="auditor@b2bshop.example")
        user.user_permissions.add(_view_auditentry())
        assert _logged_in(user).get(reverse(CHANGELIST)).status_code == 200

    def test_the_permission_to_view_is_no_permission_to_change(self, marketer):
        segment_save(name="Dutch", rule=DUTCH_RULE, user=marketer, refresh=False)
        entry = AuditEntry.objects.get()
        client = _logged_in(marketer)
        assert client.get(reverse("admin:b2bshop_auditentry_change", args=[entry.pk])).status_code == 200
        assert client.post(reverse("admin:b2bshop_auditentry_change", args=[entry.pk]), {}).status_code == 403
        assert client.post(reverse("admin:b2bshop_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
        assert AuditEntry.objects.filter(pk=entry.pk, target_label="Dutch").exists() is True


def _renamed_many_times(segment, *, by) -> None:
    """As many renames as the history panel shows: with the creation, one more than it lists."""
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=by, actor_label=by.email, action=AuditEntry.Action.CHANGED,
            target_type=AuditEntry.TargetType.SEGMENT, target_id=segment.pk, target_label="Dutch",
            segment_id=segment.pk, before={"name": f"Dutch {n}"}, after={"name": f"Dutch {n + 1}"},
        )
        for n in range(HISTORY_SHOWN)
    )


class SegmentHistoryTests:
    """The segment's change page shows its trail to whoever may open the segment."""

    def test_a_marketer_sees_the_history_and_follows_it_to_the_whole_trail(self, marketer):
        segment = segment_save(name="Dutch", rule=DUTCH_RULE, user=marketer, refresh=False)
        _renamed_many_times(segment, by=marketer)
        client = _logged_in(marketer)
        html = client.get(reverse("admin:segments_segment_change", args=[segment.pk])).content.decode()
        assert html.count('class="audit-entry ') == HISTORY_SHOWN
        whole_trail = f"{reverse(CHANGELIST)}?segment_id={segment.pk}"
        assert whole_trail in html
        response = client.get(whole_trail)
        assert response.status_code == 200
        assert response.context["cl"].result_count == HISTORY_SHOWN + 1

    def test_the_history_shows_without_the_trails_own_permission_but_links_no_page_it_cannot_open(self):
        user = StaffUserFactory(email="segments-only@b2bshop.example")
        user.groups.add(marketing_segment_permissions_grant())
        segment = segment_save(name="Dutch", rule=DUTCH_RULE, user=user, refresh=False)
        _renamed_many_times(segment, by=user)
        response = _logged_in(user).get(reverse("admin:segments_segment_change", args=[segment.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count('class="audit-entry ') == HISTORY_SHOWN
        assert f"The latest {HISTORY_SHOWN}." in html
        assert reverse(CHANGELIST) not in html  # the whole trail would answer 403


class ExistingInstallMigrationTests:
    """accounts 0002: an install whose marketers read the trail by code keeps it by permission."""

    def test_an_existing_marketing_group_gets_the_permission(self):
        group = marketing_group_ensure()
        group.permissions.remove(_view_auditentry())
        other = group.permissions.count()
        _migrate_marketing_group()
        assert group.permissions.filter(codename="view_auditentry").exists() is True
        assert group.permissions.count() == other + 1

    def test_the_permission_row_is_made_when_it_does_not_exist_yet(self):
        marketing_group_ensure()
        _view_auditentry().delete()
        _migrate_marketing_group()
        assert Group.objects.get(name=MARKETING_GROUP_NAME).permissions.filter(codename="view_auditentry").exists() is True

    def test_a_new_install_gets_no_group(self):
        _migrate_marketing_group()
        assert Group.objects.filter(name=MARKETING_GROUP_NAME).exists() is False
