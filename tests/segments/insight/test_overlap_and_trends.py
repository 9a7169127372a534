"""Overlap of segments (counts and Jaccard) and member counts over time."""

import datetime
from decimal import Decimal

import pytest

from segments.insight.selectors import insight_overlap, insight_trends
from segments.models import MembershipEvent, RefreshRun
from tests.accounts.factories import ContactFactory
from tests.segments.factories import (
    MembershipEventFactory,
    SegmentFactory,
    SegmentMembershipFactory,
)
from tests.segments.insight.conftest import AMS, NOW


def _members(segment, contacts):
    for contact in contacts:
        SegmentMembershipFactory(segment=segment, contact=contact)


@pytest.mark.django_db
class OverlapTests:
    def test_disjoint_identical_and_partly_shared_segments(self):
        people = [ContactFactory() for _ in range(6)]
        first, twin, other, partial = (SegmentFactory(slug=slug) for slug in ("first", "twin", "other", "partial"))
        _members(first, people[:3])
        _members(twin, people[:3])
        _members(other, people[3:])
        _members(partial, people[2:4])

        overlap = insight_overlap(segments=[first, twin, other, partial])

        assert [s.members for s in overlap.segments] == [3, 3, 3, 2]
        identical = overlap.cell("first", "twin")
        assert (identical.both, identical.either, identical.jaccard) == (3, 3, Decimal("1.0000"))
        disjoint = overlap.cell("first", "other")
        assert (disjoint.both, disjoint.either, disjoint.jaccard) == (0, 6, Decimal("0.0000"))
        shared = overlap.cell("partial", "first")  # one of 2 and one of 3: 1 / 4
        assert (shared.both, shared.either, shared.jaccard) == (1, 4, Decimal("0.2500"))
        assert overlap.cell("other", "other").jaccard == Decimal("1.0000")
        assert len(overlap.cells) == 16

    def test_two_empty_segments_have_no_jaccard(self):
        empty, void = SegmentFactory(slug="empty"), SegmentFactory(slug="void")

        cell = insight_overlap(segments=[empty, void]).cell("empty", "void")

        assert (cell.both, cell.either, cell.jaccard) == (0, 0, None)

    def test_overlap_is_one_query(self, django_assert_num_queries):
        segments = [SegmentFactory() for _ in range(4)]
        _members(segments[0], [ContactFactory() for _ in range(3)])
        with django_assert_num_queries(1):
            insight_overlap(segments=segments)


@pytest.mark.django_db
class TrendTests:
    def test_member_count_per_day_is_carried_forward_and_events_are_counted_per_local_day(self):
        segment = SegmentFactory(slug="trend")

        def run(day: int, hour: int, count: int):
            at = datetime.datetime(2026, 6, day, hour, tzinfo=AMS)
            RefreshRun.objects.filter(pk=RefreshRun.objects.create(segment=segment, status=RefreshRun.Status.SUCCEEDED,
                                                                     member_count=count).pk).update(finished_at=at)

        run(1, 12, 7)  # before the window: the starting value
        run(13, 9, 10)
        run(13, 18, 12)  # the day's last refresh counts
        RefreshRun.objects.create(segment=segment, status=RefreshRun.Status.FAILED, member_count=99)
        contact = ContactFactory()
        MembershipEventFactory(segment=segment, contact=contact, at=datetime.datetime(2026, 6, 13, 23, 30, tzinfo=AMS))
        MembershipEventFactory(segment=segment, contact=contact, kind=MembershipEvent.Kind.LEFT,
                               at=datetime.datetime(2026, 6, 14, 0, 30, tzinfo=AMS))

        (trend,) = insight_trends(segments=[segment], days=4, now=NOW)

        assert [(d.day.isoformat(), d.member_count, d.joined, d.left) for d in trend.days] == [
            ("2026-06-12", 7, 0, 0),
            ("2026-06-13", 12, 1, 0),
            ("2026-06-14", 12, 0, 1),  # 00:30 local is the 14th, though it is the 13th in UTC
            ("2026-06-15", 12, 0, 0),
        ]

    def test_a_segment_never_refreshed_has_no_count(self):
        (trend,) = insight_trends(segments=[SegmentFactory(slug="new")], days=2, now=NOW)

        assert [d.member_count for d in trend.days] == [None, None]

    def test_a_run_counts_on_the_day_it_was_evaluated_for_not_the_day_it_finished(self):
        segment = SegmentFactory(slug="replayed")
        finished = datetime.datetime(2026, 6, 15, 9, tzinfo=AMS)
        for day, count in ((12, 3), (14, 5)):  # replayed history: evaluated for past days, both finished today
            run = RefreshRun.objects.create(segment=segment, status=RefreshRun.Status.SUCCEEDED, member_count=count,
                                            evaluated_at=datetime.datetime(2026, 6, day, 6, tzinfo=AMS))
            RefreshRun.objects.filter(pk=run.pk).update(finished_at=finished)

        (trend,) = insight_trends(segments=[segment], days=4, now=NOW)

        assert [(d.day.day, d.member_count) for d in trend.days] == [(12, 3), (13, 3), (14, 5), (15, 5)]
