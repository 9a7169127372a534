"""A contact's segment ids are cached per contact and never outlive a membership change."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction

from segments import selectors
from segments.models import SegmentMembership
from segments.selectors import (
    contact_segment_ids,
    contact_segments_cache_clear,
    contact_segments_cache_key,
)
from tests.accounts.factories import ContactFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory
from tests.shop.test_redis_down import UNREACHABLE_REDIS

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    contact = ContactFactory()
    SegmentMembershipFactory(contact=contact, segment=SegmentFactory(slug="first"))
    return contact


def _join(contact, slug):
    return SegmentMembershipFactory(contact=contact, segment=SegmentFactory(slug=slug)).segment_id


class ContactSegmentCacheTests:
    def test_a_second_read_is_served_from_the_cache(self, member, django_assert_num_queries):
        with django_assert_num_queries(1):
            first = contact_segment_ids(contact_id=member.pk)
        with django_assert_num_queries(0):
            assert contact_segment_ids(contact_id=member.pk) == first
        assert len(first) == 1

    def test_clearing_makes_the_next_read_see_the_new_membership(self, member, django_assert_num_queries):
        before = contact_segment_ids(contact_id=member.pk)
        added = _join(member, "second")
        assert contact_segment_ids(contact_id=member.pk) == before  # still cached: nobody said it changed

        contact_segments_cache_clear([member.pk])

        with django_assert_num_queries(1):
            assert contact_segment_ids(contact_id=member.pk) == before | {added}

    def test_clearing_leaves_other_contacts_cached(self, member, django_assert_num_queries):
        other = ContactFactory()
        contact_segment_ids(contact_id=other.pk)
        contact_segments_cache_clear([member.pk])
        with django_assert_num_queries(0):
            assert contact_segment_ids(contact_id=other.pk) == frozenset()

    def test_ids_read_before_a_concurrent_change_are_not_served_afterwards(self, member):
        """A request reads the old membership; the change and its invalidation land before it writes the cache."""
        key = contact_segments_cache_key(member.pk)
        real_set = cache.set
        added = {}

        def change_then_set(cache_key, value, *args, **kwargs):
            if cache_key == key and not added:
                added["id"] = _join(member, "late")
                contact_segments_cache_clear([member.pk])  # the concurrent refresh, after its commit
            return real_set(cache_key, value, *args, **kwargs)  # the slow request stores what it read before

        with mock.patch.object(selectors.cache, "set", side_effect=change_then_set):
            stale = contact_segment_ids(contact_id=member.pk)

        assert added["id"] not in stale
        assert added["id"] in contact_segment_ids(contact_id=member.pk)

    def test_inside_a_transaction_the_invalidation_is_repeated_after_the_commit(
        self, member, django_capture_on_commit_callbacks
    ):
        contact_segment_ids(contact_id=member.pk)
        with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
            added = _join(member, "in-transaction")
            contact_segments_cache_clear([member.pk])
            # Another request, not seeing the uncommitted row yet, caches the old ids under the new generation.
            SegmentMembership.objects.filter(segment_id=added).delete()
            stale = contact_segment_ids(contact_id=member.pk)
            SegmentMembershipFactory(contact=member, segment_id=added)
        assert added not in stale and len(callbacks) == 1
        assert added in contact_segment_ids(contact_id=member.pk)

    def test_without_a_cache_every_read_uses_sql(self, member, settings, django_assert_num_queries):
        settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
        settings.CACHES = UNREACHABLE_REDIS
        for _ in range(2):
            with django_assert_num_queries(1):
                assert len(contact_segment_ids(contact_id=member.pk)) == 1
        contact_segments_cache_clear([member.pk])  # no error either
