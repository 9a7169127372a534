import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from segments.evaluate import explain, impact, preview
from segments.services import segment_refresh, segment_save
from segments.validation import RuleValidationError
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.orders.factories import CartLineFactory, OrderFactory

NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
SANA = {"all": [
    {"field": "company.continent", "op": "eq", "value": "europe"},
    {"field": "sales.revenue", "op": "gt", "value": 50000, "window": "this_year"},
    {"field": "cart.quantity", "op": "gt", "value": 15},
    {"field": "contact.last_login", "op": "more_than_days_ago", "value": 14},
]}


@pytest.mark.django_db
class ExplainTests:
    def test_explain_shows_each_conditions_actual_value_and_result(self):
        contact = ContactFactory(company=CompanyFactory(country="DE"), last_login=NOW - datetime.timedelta(days=3))
        OrderFactory(company=contact.company, ordered_at=NOW - datetime.timedelta(days=30), total_amount=Decimal("60000.00"))
        CartLineFactory(cart__contact=contact, quantity=20)

        tree = explain(rule=SANA, contact=contact, now=NOW).as_dict()

        assert tree["kind"] == "all"
        assert tree["result"] is False
        continent, revenue, cart, login = tree["children"]
        assert (continent["actual"], continent["result"]) == ("europe", True)
        assert (revenue["actual"], revenue["result"]) == ("60000", True)
        assert (cart["actual"], cart["result"]) == (20, True)
        assert login["result"] is False
        assert login["label"] == "Last login"

    def test_explain_of_not_and_reference_fields(self):
        contact = ContactFactory(last_login=None)
        OrderFactory(company=contact.company, ordered_at=NOW - datetime.timedelta(days=1), channel="phone")
        rule = {"any": [
            {"not": {"field": "contact.last_login", "op": "within_last_days", "value": 14}},
            {"field": "sales.channel", "op": "contains_any", "value": ["web"]},
        ]}
        tree = explain(rule=rule, contact=contact, now=NOW).as_dict()
        never, channels = tree["children"]
        assert never["kind"] == "not" and never["result"] is True
        assert never["children"][0]["result"] is False
        assert channels["actual"] == ["phone"]
        assert channels["result"] is False
        assert tree["result"] is True


@pytest.mark.django_db
class PreviewTests:
    def test_preview_counts_and_samples_without_saving(self):
        ContactFactory.create_batch(3, company=CompanyFactory(country="NL"))
        ContactFactory(company=CompanyFactory(country="BE"))
        result = preview(rule={"field": "company.country", "op": "eq", "value": "nl"}, now=NOW)
        assert result.count == 3
        assert len(result.sample) == 3
        assert all(row["company__name"] for row in result.sample)

    def test_preview_of_an_invalid_rule_raises_the_validation_error(self):
        with pytest.raises(RuleValidationError):
            preview(rule={"field": "company.nope", "op": "eq", "value": 1}, now=NOW)


@pytest.mark.django_db
class ImpactTests:
    def test_impact_counts_who_would_join_and_leave(self):
        dutch = ContactFactory.create_batch(2, company=CompanyFactory(country="NL"))
        belgian = ContactFactory(company=CompanyFactory(country="BE"))
        segment = segment_save(name="Dutch", rule={"field": "company.country", "op": "eq", "value": "NL"}, refresh=False)
        segment_refresh(segment_id=segment.pk, now=NOW)

        result = impact(segment=segment, rule={"field": "company.country", "op": "in", "value": ["BE"]}, now=NOW)

        assert (result.would_join, result.would_leave, result.would_stay) == (1, 2, 0)
        assert belgian.pk not in segment.memberships.values_list("contact_id", flat=True)
        assert len(dutch) == 2
