import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from b2bshop.exceptions import ApplicationError
from segments.models import MembershipEvent, RefreshRun, Segment, SegmentMembership
from segments.selectors import contact_segment_ids
from segments.services import (
    SegmentCycleError,
    contacts_segments_reevaluate,
    segment_refresh,
    segment_refresh_locked,
    segment_save,
    segments_refresh_all,
    refresh_lock_key,
)
from segments.validation import RuleValidationError
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.orders.factories import CartLineFactory, OrderFactory

NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
DUTCH = {"field": "company.country", "op": "eq", "value": "NL"}


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


@pytest.mark.django_db
class SegmentRefreshTests:
    def test_refresh_materializes_members_and_records_joined_events(self):
        dutch = ContactFactory(company=CompanyFactory(country="NL"))
        ContactFactory(company=CompanyFactory(country="BE"))
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)

        result = segment_refresh(segment_id=segment.pk, now=NOW)

        assert set(SegmentMembership.objects.values_list("contact_id", flat=True)) == {dutch.pk}
        assert (result.joined, result.left, result.member_count) == (1, 0, 1)
        assert list(MembershipEvent.objects.values_list("contact_id", "kind")) == [(dutch.pk, "joined")]
        segment.refresh_from_db()
        assert segment.member_count == 1
        assert segment.is_dirty is False
        assert RefreshRun.objects.get(pk=result.run_id).status == RefreshRun.Status.SUCCEEDED

    def test_a_refresh_without_change_writes_no_membership_rows(self):
        ContactFactory.create_batch(3, company=CompanyFactory(country="NL"))
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)
        segment_refresh(segment_id=segment.pk, now=NOW)
        events_before = MembershipEvent.objects.count()

        with CaptureQueriesContext(connection) as queries:
            result = segment_refresh(segment_id=segment.pk, now=NOW)

        membership_writes = [sql for sql in _writes(queries) if "segmentmembership" in sql or "membershipevent" in sql]
        assert membership_writes == []
        assert (result.joined, result.left) == (0, 0)
        assert MembershipEvent.objects.count() == events_before

    def test_contacts_that_no_longer_match_leave_with_an_event(self):
        company = CompanyFactory(country="NL")
        contact = ContactFactory(company=company)
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)
        segment_refresh(segment_id=segment.pk, now=NOW)
        company.country = "BE"
        company.save()

        result = segment_refresh(segment_id=segment.pk, now=NOW)

        assert result.left == 1
        assert not SegmentMembership.objects.exists()
        assert MembershipEvent.objects.filter(contact=contact, kind="left").count() == 1

    def test_refresh_query_count_does_not_grow_with_contacts(self):
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)
        ContactFactory.create_batch(2, company=CompanyFactory(country="NL"))
        segment_refresh(segment_id=segment.pk, now=NOW)  # values computed, members stored
        ContactFactory.create_batch(2, company=CompanyFactory(country="NL"))
        with CaptureQueriesContext(connection) as small:
            segment_refresh(segment_id=segment.pk, now=NOW)
        ContactFactory.create_batch(40, company=CompanyFactory(country="NL"))
        with CaptureQueriesContext(connection) as large:
            segment_refresh(segment_id=segment.pk, now=NOW)
        assert len(large) == len(small)

    def test_inactive_segment_has_no_members(self):
        ContactFactory(company=CompanyFactory(country="NL"))
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)
        segment_refresh(segment_id=segment.pk, now=NOW)
        Segment.objects.filter(pk=segment.pk).update(is_active=False)
        segment_refresh(segment_id=segment.pk, now=NOW)
        assert not SegmentMembership.objects.filter(segment=segment).exists()

    def test_a_running_refresh_makes_a_second_one_skip(self, settings):
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)
        from django.core.cache import cache

        cache.add(refresh_lock_key(segment.pk), "1", 60)
        try:
            result = segment_refresh_locked(segment_id=segment.pk, now=NOW)
        finally:
            cache.delete(refresh_lock_key(segment.pk))
        assert result.status == RefreshRun.Status.SKIPPED


    def test_saving_a_stale_instance_keeps_the_refreshed_member_count(self):
        ContactFactory.create_batch(2, company=CompanyFactory(country="NL"))
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)
        segment_refresh(segment_id=segment.pk, now=NOW)  # the instance above still says 0 members

        segment_save(segment=segment, name="Dutch customers", rule=DUTCH, refresh=False)

        segment.refresh_from_db()
        assert (segment.name, segment.member_count, segment.last_refreshed_at is not None) == ("Dutch customers", 2, True)

@pytest.mark.django_db
class SegmentCompositionTests:
    def test_member_of_sees_the_dependency_refreshed_first(self):
        dutch_buyer = ContactFactory(company=CompanyFactory(country="NL"), role="buyer")
        ContactFactory(company=CompanyFactory(country="NL"), role="finance")
        dutch = segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
        buyers = segment_save(
            name="Dutch buyers", slug="dutch-buyers", refresh=False,
            rule={"all": [{"field": "segment.member_of", "op": "contains_any", "value": ["dutch"]},
                          {"field": "contact.role", "op": "eq", "value": "buyer"}]},
        )
        results = segments_refresh_all(now=NOW)
        assert [r.segment_id for r in results].index(dutch.pk) < [r.segment_id for r in results].index(buyers.pk)
        assert set(SegmentMembership.objects.filter(segment=buyers).values_list("contact_id", flat=True)) == {dutch_buyer.pk}

    def test_a_cycle_is_rejected_on_save(self):
        segment_save(name="A", slug="a", rule={"all": []}, refresh=False)
        segment_save(name="B", slug="b", rule={"field": "segment.member_of", "op": "contains_any", "value": ["a"]}, refresh=False)
        a = Segment.objects.get(slug="a")
        with pytest.raises(SegmentCycleError, match="a -> b -> a"):
            segment_save(segment=a, name="A", rule={"field": "segment.member_of", "op": "contains_any", "value": ["b"]}, refresh=False)
        a.refresh_from_db()
        assert a.rule == {"all": []}

    def test_a_segment_cannot_refer_to_itself(self):
        with pytest.raises(RuleValidationError) as error:
            segment_save(name="Self", slug="self", rule={"field": "segment.member_of", "op": "contains_any", "value": ["self"]}, refresh=False)
        assert error.value.errors[0].path == "/value/0"

    def test_unknown_references_are_reported_at_their_path(self):
        with pytest.raises(RuleValidationError) as error:
            segment_save(name="X", rule={"all": [{"field": "sales.bought_product", "op": "contains_any", "value": ["NOPE"]}]}, refresh=False)
        assert [(e.path, e.message) for e in error.value.errors] == [("/all/0/value/0", "there is no product 'NOPE'")]

    def test_a_segment_used_by_another_cannot_be_deleted(self):
        from segments.services import segment_delete

        a = segment_save(name="A", slug="a", rule={"all": []}, refresh=False)
        segment_save(name="B", slug="b", rule={"field": "segment.member_of", "op": "contains_any", "value": ["a"]}, refresh=False)
        with pytest.raises(ApplicationError, match="used by other segments"):
            segment_delete(segment=a)


@pytest.mark.django_db
class ContactReevaluationTests:
    def test_a_cart_change_shows_in_the_contacts_segments_at_once(self):
        contact = ContactFactory()
        segment = segment_save(name="Big carts", rule={"field": "cart.quantity", "op": "gt", "value": 15}, refresh=False)
        segment_refresh(segment_id=segment.pk, now=NOW)
        assert contact_segment_ids(contact_id=contact.pk) == frozenset()
        CartLineFactory(cart__contact=contact, quantity=20)

        evaluation = contacts_segments_reevaluate(contact_ids=[contact.pk], now=NOW)

        assert evaluation.joined == {(segment.pk, contact.pk)}
        assert contact_segment_ids(contact_id=contact.pk) == frozenset({segment.pk})
        segment.refresh_from_db()
        assert segment.member_count == 1

    def test_a_changed_rule_is_evaluated_at_once_although_the_sql_is_kept(self):
        contact = ContactFactory(company=CompanyFactory(country="NL"))
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)
        assert contacts_segments_reevaluate(contact_ids=[contact.pk], now=NOW).joined == {(segment.pk, contact.pk)}

        segment.refresh_from_db()
        segment_save(segment=segment, name="Dutch", rule={"field": "company.country", "op": "eq", "value": "BE"}, refresh=False)

        assert contacts_segments_reevaluate(contact_ids=[contact.pk], now=NOW).left == {(segment.pk, contact.pk)}

    def test_a_last_days_window_ends_at_each_calls_now(self):
        """The kept SQL takes `now` as a parameter: an order placed after an earlier call counts."""
        contact = ContactFactory()
        segment = segment_save(name="Recent buyers", refresh=False, rule={
            "field": "sales.order_count", "op": "gte", "value": 1, "window": {"last_days": 7}})
        assert contacts_segments_reevaluate(contact_ids=[contact.pk], now=NOW).joined == frozenset()
        OrderFactory(company=contact.company, ordered_at=NOW + datetime.timedelta(hours=1))

        assert contacts_segments_reevaluate(contact_ids=[contact.pk], now=NOW).joined == frozenset()  # still in the future
        later = contacts_segments_reevaluate(contact_ids=[contact.pk], now=NOW + datetime.timedelta(hours=2))
        assert later.joined == {(segment.pk, contact.pk)}

    def test_percent_signs_in_rule_values_stay_literal_in_the_kept_sql(self):
        roses = ContactFactory(company=CompanyFactory(name="100% Roses"))
        other = ContactFactory(company=CompanyFactory(name="1000 Roses"))
        segment = segment_save(name="Percent", refresh=False, rule={"field": "company.name", "op": "contains", "value": "0% r"})

        evaluation = contacts_segments_reevaluate(contact_ids=[roses.pk, other.pk], now=NOW)
        again = contacts_segments_reevaluate(contact_ids=[other.pk], now=NOW)

        assert evaluation.joined == {(segment.pk, roses.pk)}
        assert again.joined == again.left == frozenset()

    def test_results_stay_right_when_kept_statements_are_dropped(self, monkeypatch):
        monkeypatch.setattr("segments.selectors._PREPARED_KEPT", 1)  # every new plan drops the connection's statements
        contact = ContactFactory(company=CompanyFactory(country="NL"))
        segment = segment_save(name="Country", rule=DUTCH, refresh=False)
        for country, member in (("BE", False), ("NL", True), ("BE", False)):
            segment.refresh_from_db()
            segment_save(segment=segment, name="Country", refresh=False,
                         rule={"field": "company.country", "op": "eq", "value": country})
            contacts_segments_reevaluate(contact_ids=[contact.pk], now=NOW)
            assert (segment.pk in contact_segment_ids(contact_id=contact.pk)) is member

    def test_several_contacts_are_evaluated_together(self):
        dutch = ContactFactory.create_batch(2, company=CompanyFactory(country="NL"))
        other = ContactFactory(company=CompanyFactory(country="DE"))
        segment = segment_save(name="Dutch", rule=DUTCH, refresh=False)

        evaluation = contacts_segments_reevaluate(contact_ids=[c.pk for c in [*dutch, other]], now=NOW)

        assert evaluation.joined == {(segment.pk, dutch[0].pk), (segment.pk, dutch[1].pk)}

    def test_reevaluation_query_count_is_constant_in_the_number_of_contacts(self, django_assert_max_num_queries):
        for index in range(3):
            segment_save(name=f"S{index}", rule={"field": "cart.quantity", "op": "gt", "value": index}, refresh=False)
        contact = ContactFactory()
        with CaptureQueriesContext(connection) as few:
            contacts_segments_reevaluate(contact_ids=[contact.pk], now=NOW)
        ContactFactory.create_batch(30)
        with CaptureQueriesContext(connection) as many:
            contacts_segments_reevaluate(contact_ids=[contact.pk], now=NOW)
        assert len(many) == len(few)


@pytest.mark.django_db
class RefreshDirtyTests:
    def test_only_dirty_segments_and_their_dependents_are_refreshed(self):
        base = segment_save(name="Base", slug="base", rule=DUTCH, refresh=False)
        dependent = segment_save(name="Dependent", slug="dependent", refresh=False,
                                 rule={"field": "segment.member_of", "op": "contains_any", "value": ["base"]})
        clean = segment_save(name="Clean", slug="clean", rule={"all": []}, refresh=False)
        segments_refresh_all(now=NOW)
        Segment.objects.filter(pk=base.pk).update(is_dirty=True)

        refreshed = {result.segment_id for result in segments_refresh_all(now=NOW, only_dirty=True)}

        assert refreshed == {base.pk, dependent.pk}
        assert clean.pk not in refreshed


@pytest.mark.django_db
def test_a_name_without_letters_or_digits_needs_a_slug():
    from segments.services import SegmentSlugError

    with pytest.raises(SegmentSlugError) as caught:
        segment_save(name="%", rule=DUTCH, refresh=False)

    assert [error.path for error in caught.value.errors] == ["/slug"]
    assert not Segment.objects.exists()
    assert segment_save(name="%", slug="percent", rule=DUTCH, refresh=False).slug == "percent"
