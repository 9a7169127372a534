import pytest
from django.contrib.auth.models import Group, Permission

from accounts.services import MARKETING_GROUP_NAME, marketing_group_ensure
from segments.permissions import marketing_segment_permissions_grant


def _segment_codenames(group: Group) -> set[str]:
    return set(group.permissions.filter(content_type__app_label="segments").values_list("codename", flat=True))


EXPECTED = {
    "add_segment", "change_segment", "delete_segment", "view_segment",
    "view_refreshrun", "view_membershipevent", "view_segmentmembership", "view_companyvalue",
}


@pytest.mark.django_db
class MarketingSegmentPermissionsGrantTests:
    def test_creates_the_group_when_missing(self):
        Group.objects.filter(name=MARKETING_GROUP_NAME).delete()
        group = marketing_segment_permissions_grant()
        assert group.name == MARKETING_GROUP_NAME
        assert _segment_codenames(group) == EXPECTED

    def test_marketers_only_read_what_the_refresh_writes(self):
        codenames = _segment_codenames(marketing_segment_permissions_grant())
        assert "change_refreshrun" not in codenames
        assert "delete_segmentmembership" not in codenames
        assert "add_companyvalue" not in codenames

    def test_is_idempotent(self):
        first = marketing_segment_permissions_grant()
        count = first.permissions.count()
        second = marketing_segment_permissions_grant()
        assert second.pk == first.pk
        assert second.permissions.count() == count
        assert Group.objects.filter(name=MARKETING_GROUP_NAME).count() == 1

    def test_keeps_the_groups_other_permissions_both_ways(self):
        group = marketing_group_ensure()
        elsewhere = set(group.permissions.exclude(content_type__app_label="segments").values_list("pk", flat=True))
        extra = Permission.objects.get(codename="view_user")
        group.permissions.add(extra)
        marketing_segment_permissions_grant()
        assert elsewhere | {extra.pk} <= set(group.permissions.values_list("pk", flat=True))
        marketing_group_ensure()  # the accounts side leaves the segment permissions alone
        assert _segment_codenames(group) == EXPECTED

    def test_a_marketer_gets_the_permissions_through_the_group(self):
        from tests.accounts.factories import StaffUserFactory

        user = StaffUserFactory()
        user.groups.add(marketing_segment_permissions_grant())
        assert user.has_perms(["segments.change_segment", "segments.view_refreshrun", "segments.view_companyvalue"])
        assert not user.has_perm("segments.change_refreshrun")
