"""A segment refresh that fails half-way leaves the old membership whole; the next one completes it."""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError

from segments import services
from segments.models import MembershipEvent, RefreshRun, Segment, SegmentMembership
from segments.services import segment_refresh, segment_save
from tests.accounts.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
DUTCH = {"field": "company.country", "op": "eq", "value": "NL"}


def _members(segment) -> set[int]:
    return set(SegmentMembership.objects.filter(segment=segment).values_list("contact_id", flat=True))


@pytest.fixture
def moved():
    """A Dutch segment refreshed with {stays, leaves}; then `leaves` moves to Belgium and `joins` to the Netherlands."""
    stays, leaves = ContactFactory(company=CompanyFactory(country="NL")), ContactFactory(company=CompanyFactory(country="NL"))
    joins = ContactFactory(company=CompanyFactory(country="BE"))
    segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)
    segment_refresh(segment_id=segment.pk, now=NOW)
    type(leaves.company).objects.filter(pk=leaves.company_id).update(country="BE")
    type(joins.company).objects.filter(pk=joins.company_id).update(country="NL")
    return segment, stays, leaves, joins


def test_a_database_failure_while_writing_the_difference_keeps_the_old_membership_whole(moved):
    segment, stays, leaves, joins = moved
    events_before = MembershipEvent.objects.count()
    real_insert = services._rows_insert
    calls = []

    def insert_then_lose_the_connection(model, fields, rows):
        calls.append(model)
        if model is MembershipEvent:  # the memberships are already deleted and inserted at this point
            raise OperationalError("server closed the connection unexpectedly")
        return real_insert(model, fields, rows)

    with (
        mock.patch.object(services, "_rows_insert", side_effect=insert_then_lose_the_connection),
        pytest.raises(OperationalError),
    ):
        segment_refresh(segment_id=segment.pk, now=NOW + datetime.timedelta(minutes=15))

    assert calls == [SegmentMembership, MembershipEvent]
    assert _members(segment) == {stays.pk, leaves.pk}  # the old set, complete: no mix of old and new
    assert MembershipEvent.objects.count() == events_before
    failed = RefreshRun.objects.filter(segment=segment).latest("pk")
    assert failed.status == RefreshRun.Status.FAILED and "connection" in failed.error
    segment.refresh_from_db()
    assert segment.member_count == 2

    result = segment_refresh(segment_id=segment.pk, now=NOW + datetime.timedelta(minutes=30))

    assert (result.status, result.joined, result.left) == (RefreshRun.Status.SUCCEEDED, 1, 1)
    assert _members(segment) == {stays.pk, joins.pk}
    assert set(MembershipEvent.objects.filter(refresh_run_id=result.run_id).values_list("contact_id", "kind")) == {
        (joins.pk, "joined"), (leaves.pk, "left"),
    }
    assert MembershipEvent.objects.count() == events_before + 2  # each change recorded once
    assert Segment.objects.get(pk=segment.pk).member_count == 2


def test_a_failure_while_evaluating_the_rule_changes_nothing(moved):
    segment, stays, leaves, _joins = moved
    events_before = MembershipEvent.objects.count()

    with (
        mock.patch.object(services, "compile_rule", side_effect=OperationalError("connection lost")),
        pytest.raises(OperationalError),
    ):
        segment_refresh(segment_id=segment.pk, now=NOW + datetime.timedelta(minutes=15))

    assert _members(segment) == {stays.pk, leaves.pk}
    assert MembershipEvent.objects.count() == events_before
    assert RefreshRun.objects.filter(segment=segment).latest("pk").status == RefreshRun.Status.FAILED
