"""The demo's segment history: weekly refreshes replayed at past instants (b2bshop/demo/segments.py)."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from b2bshop.demo.segments import (
    DEMO_SEGMENTS,
    HISTORY_WEEKS,
    demo_history_instants,
    demo_segment_history_replay,
    demo_segments_ensure,
)
from orders.models import Order
from segments.models import (
    CompanyValue,
    MembershipEvent,
    RefreshRun,
    Segment,
    SegmentMembership,
)
from segments.selectors import segments_in_dependency_order
from segments.services import segment_save, segments_refresh_ordered
from segments.value import company_values_refresh
from segments.windows import local_today, start_of_day
from tests.catalog.factories import CategoryFactory

TODAY = datetime.date(2025, 6, 15)
TINY_ARGS = ["--companies", "20", "--contacts", "60", "--order-lines", "500", "--today", TODAY.isoformat()]
REPLAYED = tuple(demo.slug for demo in DEMO_SEGMENTS if demo.replayable)
NOT_REPLAYED = tuple(demo.slug for demo in DEMO_SEGMENTS if not demo.replayable)


@pytest.fixture(scope="class")
def seeded_output(django_db_setup, django_db_blocker):
    """One tiny demo shop for a whole class (seeding is the slow part), rolled back after it.

    Each test still runs in its own savepoint (the `db` fixture), so what a test writes
    is undone before the next one.
    """
    fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_passwords, transaction.atomic():
        out = StringIO()
        call_command("seed_demo", *TINY_ARGS, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_output, db):
    return seeded_output


def _past_runs(slug: str) -> list[RefreshRun]:
    """The segment's succeeded runs evaluated before the demo's today, oldest first."""
    return list(
        RefreshRun.objects.filter(
            segment__slug=slug, status=RefreshRun.Status.SUCCEEDED, evaluated_at__lt=start_of_day(TODAY)
        ).order_by("evaluated_at")
    )


def _members_at(slug: str, instant: datetime.datetime) -> set[int]:
    """The members at `instant` as the membership events tell it (the last event of each contact)."""
    last_kind: dict[int, str] = {}
    events = MembershipEvent.objects.filter(segment__slug=slug, at__lte=instant).order_by("at", "pk")
    for contact_id, kind in events.values_list("contact_id", "kind"):
        last_kind[contact_id] = kind
    return {contact_id for contact_id, kind in last_kind.items() if kind == MembershipEvent.Kind.JOINED}


def _history() -> tuple[list[tuple], list[tuple]]:
    """The replayed runs and events, by slug and email (ids differ between databases)."""
    before_today = start_of_day(TODAY)
    runs = RefreshRun.objects.filter(evaluated_at__lt=before_today).order_by("segment__slug", "evaluated_at")
    events = MembershipEvent.objects.filter(at__lt=before_today).order_by("segment__slug", "at", "contact__email")
    return (
        list(runs.values_list("segment__slug", "status", "evaluated_at", "member_count", "joined", "left")),
        list(events.values_list("segment__slug", "contact__email", "kind", "at")),
    )


class HistoryInstantsTests:
    def test_weekly_over_thirteen_weeks_before_today_at_six_in_the_morning_shop_time(self):
        instants = demo_history_instants(today=TODAY)
        assert len(instants) == HISTORY_WEEKS == 13
        days = [local_today(instant) for instant in instants]
        assert days == [TODAY - datetime.timedelta(weeks=weeks) for weeks in range(13, 0, -1)]
        assert {instant.hour for instant in instants} == {6}
        # Across the change to summer time (30 March 2025) the local hour stays; the UTC hour moves.
        assert {instant.utcoffset() for instant in instants} == {datetime.timedelta(hours=1), datetime.timedelta(hours=2)}

    def test_depend_on_the_day_only(self):
        assert demo_history_instants(today=TODAY) == demo_history_instants(today=TODAY)
        assert demo_history_instants(today=TODAY + datetime.timedelta(days=1))[0] > demo_history_instants(today=TODAY)[0]


class SeededHistoryTests:
    def test_replayable_segments_are_refreshed_at_every_weekly_instant_then_now(self, seeded):
        instants = list(demo_history_instants(today=TODAY))
        for slug in REPLAYED:
            assert [run.evaluated_at for run in _past_runs(slug)] == instants, slug
            latest = RefreshRun.objects.filter(segment__slug=slug).order_by("-evaluated_at").first()
            assert latest.evaluated_at == Segment.objects.get(slug=slug).last_refreshed_at > instants[-1]
        for slug in NOT_REPLAYED:
            assert _past_runs(slug) == [], slug
            assert RefreshRun.objects.filter(segment__slug=slug).count() == 1, slug

    def test_member_counts_of_the_runs_are_the_members_the_events_tell_and_change_over_the_weeks(self, seeded):
        changing = []
        for slug in REPLAYED:
            runs = _past_runs(slug)
            for run in runs:
                assert run.member_count == len(_members_at(slug, run.evaluated_at)), (slug, run.evaluated_at)
            if len({run.member_count for run in runs}) > 1:
                changing.append(slug)
        assert changing, "no replayed segment's member count changed over the weeks"

    def test_membership_events_are_at_the_replayed_instants(self, seeded):
        instants = set(demo_history_instants(today=TODAY))
        first = min(instants)
        for slug in REPLAYED:
            final = Segment.objects.get(slug=slug).last_refreshed_at
            moments = set(MembershipEvent.objects.filter(segment__slug=slug).values_list("at", flat=True))
            assert moments <= instants | {final}, slug
            first_joined = MembershipEvent.objects.filter(segment__slug=slug, at=first, kind=MembershipEvent.Kind.JOINED)
            assert first_joined.count() == _past_runs(slug)[0].member_count, slug
        later_moves = MembershipEvent.objects.filter(segment__slug__in=REPLAYED, at__in=instants - {first})
        assert later_moves.filter(kind=MembershipEvent.Kind.JOINED).exists()
        assert later_moves.filter(kind=MembershipEvent.Kind.LEFT).exists()

    def test_each_replayed_membership_is_what_the_orders_placed_by_then_give(self, seeded):
        """Evaluating at a past instant must ignore later data: delete it and compute again, latest instant first."""
        instants = demo_history_instants(today=TODAY)
        told = {(slug, instant): _members_at(slug, instant) for slug in REPLAYED for instant in instants}
        segments = segments_in_dependency_order(Segment.objects.filter(slug__in=REPLAYED))
        assert Order.objects.filter(ordered_at__gt=instants[0]).exists()
        for instant in reversed(instants):
            Order.objects.filter(ordered_at__gt=instant).delete()
            company_values_refresh(now=instant)
            segments_refresh_ordered(segments=segments, now=instant)
            for slug in REPLAYED:
                computed = set(SegmentMembership.objects.filter(segment__slug=slug).values_list("contact_id", flat=True))
                assert computed == told[(slug, instant)], (slug, instant)

    def test_membership_at_the_end_equals_a_fresh_refresh_at_now(self, seeded):
        segments = segments_in_dependency_order(Segment.objects.filter(slug__in=[demo.slug for demo in DEMO_SEGMENTS]))
        now = segments[0].last_refreshed_at
        assert {segment.last_refreshed_at for segment in segments} == {now}
        stored = {segment.slug: set(segment.memberships.values_list("contact_id", flat=True)) for segment in segments}
        assert company_values_refresh(now=now).rows_written == 0
        results = segments_refresh_ordered(segments=segments, now=now)
        assert [(result.joined, result.left) for result in results] == [(0, 0)] * len(segments)
        assert {segment.slug: set(segment.memberships.values_list("contact_id", flat=True)) for segment in segments} == stored

    def test_seeding_again_writes_no_second_history(self, seeded):
        history = _history()
        call_command("seed_demo", *TINY_ARGS, stdout=StringIO())
        assert _history() == history
        for slug in REPLAYED:
            assert len(_past_runs(slug)) == HISTORY_WEEKS

    def test_replaying_again_gives_the_same_history(self, seeded):
        history = _history()
        assert history[0] and history[1]
        MembershipEvent.objects.all().delete()
        SegmentMembership.objects.all().delete()
        RefreshRun.objects.all().delete()
        CompanyValue.objects.all().delete()
        Segment.objects.update(member_count=0, last_refreshed_at=None, is_dirty=True)
        demo_segments_ensure(history_until=TODAY)
        assert _history() == history

    def test_the_command_reports_the_replay_as_it_goes(self, seeded):
        output = seeded
        assert f"replaying the history of {len(REPLAYED)} segments: weekly refreshes from 2025-03-16 to 2025-06-08" in output
        assert f"[{HISTORY_WEEKS}/{HISTORY_WEEKS}] 2025-06-08 06:00:" in output


@pytest.mark.django_db
class HistoryReplayCandidatesTests:
    @pytest.fixture(autouse=True)
    def _tulips(self):
        CategoryFactory(slug="tulips")  # referenced by a demo rule

    def test_segments_refreshed_before_are_not_replayed_nor_those_that_refer_to_them(self):
        demo_segments_ensure()  # no history: every segment is refreshed once, now
        RefreshRun.objects.filter(segment__slug__in=["champions-newsletter", "web-first"]).delete()
        result = demo_segment_history_replay(today=TODAY)
        # champions-newsletter reads champions' membership, which would not be of the same instant.
        assert result.segment_slugs == ("web-first",)
        assert result.instants == demo_history_instants(today=TODAY)

    def test_a_demo_segment_whose_rule_a_marketer_changed_is_not_replayed(self):
        demo_segments_ensure()
        web_first = Segment.objects.get(slug="web-first")
        segment_save(
            segment=web_first, name=web_first.name, refresh=False,
            rule={"field": "sales.web_share", "op": "gte", "value": 50, "window": "this_year"},
        )
        RefreshRun.objects.filter(segment=web_first).delete()
        assert demo_segment_history_replay(today=TODAY).segment_slugs == ()

    def test_instants_not_before_the_real_now_are_skipped(self):
        for slug in REPLAYED:
            demo = next(demo for demo in DEMO_SEGMENTS if demo.slug == slug)
            segment_save(name=demo.name, slug=slug, description=demo.description, rule=demo.rule, refresh=False)
        far_future = datetime.date(9000, 1, 1)
        result = demo_segment_history_replay(today=far_future)
        assert result.instants == ()
        assert not RefreshRun.objects.exists()
