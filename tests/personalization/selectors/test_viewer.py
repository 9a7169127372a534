"""The visitor's segments and the marketer's read-only previews ("view as segment X / contact Y")."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import Http404

from accounts.models import Contact
from personalization.selectors import (
    ANONYMOUS_VIEWER,
    anonymous_preview_viewer,
    viewer_for_contact_preview,
    viewer_for_segment_preview,
    viewer_for_user,
    visitor_segment_ids,
)
from segments.models import SegmentMembership
from tests.accounts.factories import ContactFactory, StaffUserFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory

pytestmark = pytest.mark.django_db


class VisitorSegmentIdsTests:
    def test_anonymous_visitors_have_no_segments(self):
        assert visitor_segment_ids(AnonymousUser()) == frozenset()
        assert viewer_for_user(AnonymousUser()) is ANONYMOUS_VIEWER

    def test_staff_without_a_company_have_no_segments_but_are_logged_in(self):
        viewer = viewer_for_user(StaffUserFactory())

        assert viewer.segment_ids == frozenset()
        assert viewer.is_authenticated is True
        assert viewer.contact_id is None

    def test_contact_segments_come_from_the_membership(self):
        membership = SegmentMembershipFactory()
        contact = Contact.objects.get(pk=membership.contact_id)

        viewer = viewer_for_user(contact)

        assert viewer.segment_ids == {membership.segment_id}
        assert viewer.contact_id == contact.pk
        assert viewer.is_preview is False

    def test_a_cached_contact_costs_no_query(self, django_assert_num_queries):
        contact = SegmentMembershipFactory().contact
        visitor_segment_ids(contact)

        with django_assert_num_queries(0):
            visitor_segment_ids(contact)


class PreviewViewerTests:
    def test_segment_preview_is_a_logged_in_member_of_that_segment(self):
        segment = SegmentFactory(name="Dealers")

        viewer = viewer_for_segment_preview(segment_id=segment.pk)

        assert viewer.segment_ids == {segment.pk}
        assert viewer.is_authenticated is True
        assert viewer.is_preview is True
        assert "Dealers" in viewer.preview_label

    def test_contact_preview_uses_the_contacts_memberships(self):
        contact = ContactFactory(email="anna@example.com")
        segments = SegmentFactory.create_batch(2)
        for segment in segments:
            SegmentMembershipFactory(contact=contact, segment=segment)

        viewer = viewer_for_contact_preview(contact_id=contact.pk)

        assert viewer.segment_ids == {segment.pk for segment in segments}
        assert viewer.contact_id == contact.pk
        assert "anna@example.com" in viewer.preview_label

    def test_previews_never_write(self, django_assert_num_queries):
        contact = ContactFactory()
        segment = SegmentFactory()
        SegmentMembershipFactory(contact=contact, segment=segment)
        cache.clear()
        last_login = contact.last_login
        memberships = SegmentMembership.objects.count()

        with django_assert_num_queries(2) as queries:
            viewer_for_contact_preview(contact_id=contact.pk)
        with django_assert_num_queries(1):
            viewer_for_segment_preview(segment_id=segment.pk)

        assert all(query["sql"].lstrip().upper().startswith("SELECT") for query in queries.captured_queries)
        contact.refresh_from_db()
        assert contact.last_login == last_login
        assert SegmentMembership.objects.count() == memberships
        assert cache.get(f"segments:contact:{contact.pk}") is None

    def test_unknown_segment_or_contact_is_404(self):
        with pytest.raises(Http404):
            viewer_for_segment_preview(segment_id=987654)
        with pytest.raises(Http404):
            viewer_for_contact_preview(contact_id=987654)

    def test_anonymous_preview_has_no_segments_and_a_banner(self):
        viewer = anonymous_preview_viewer()

        assert (viewer.segment_ids, viewer.is_authenticated, viewer.is_preview) == (frozenset(), False, True)
