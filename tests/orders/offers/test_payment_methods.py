"""Payment methods per segment; blocked companies never pay on account."""

import pytest

from orders.offer_models import PaymentMethod
from orders.offers.payment import payment_methods_for
from tests.orders.offers.factories import PaymentMethodRuleFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def _methods(segment_ids=frozenset(), *, blocked=False, authenticated=True) -> list[str]:
    return [
        option.value
        for option in payment_methods_for(segment_ids=frozenset(segment_ids), is_authenticated=authenticated,
                                          company_blocked=blocked)
    ]


class PaymentMethodsTests:
    def test_without_rules_buyers_pay_in_advance(self):
        assert _methods() == ["prepaid"]

    def test_invoice_only_for_the_trusted_segment(self):
        trusted = SegmentFactory()
        PaymentMethodRuleFactory(method=PaymentMethod.INVOICE, include_segments=[trusted])
        PaymentMethodRuleFactory(method=PaymentMethod.PREPAID)
        assert _methods({trusted.pk}) == ["invoice", "prepaid"]
        assert _methods({SegmentFactory().pk}) == ["prepaid"]

    def test_prospects_get_prepaid_only(self):
        trusted, prospects = SegmentFactory(), SegmentFactory()
        PaymentMethodRuleFactory(method=PaymentMethod.INVOICE, include_segments=[trusted], exclude_segments=[prospects])
        PaymentMethodRuleFactory(method=PaymentMethod.PREPAID, include_segments=[prospects])
        assert _methods({trusted.pk, prospects.pk}) == ["prepaid"]

    def test_a_blocked_company_never_gets_invoice_or_direct_debit(self):
        trusted = SegmentFactory()
        PaymentMethodRuleFactory(method=PaymentMethod.INVOICE, include_segments=[trusted])
        PaymentMethodRuleFactory(method=PaymentMethod.DIRECT_DEBIT)
        assert _methods({trusted.pk}) == ["invoice", "direct_debit"]
        assert _methods({trusted.pk}, blocked=True) == ["prepaid"]

    def test_inactive_rules_offer_nothing(self):
        PaymentMethodRuleFactory(method=PaymentMethod.INVOICE, is_active=False)
        assert _methods() == ["prepaid"]

    def test_a_segment_rule_is_never_for_anonymous_visitors(self):
        segment = SegmentFactory()
        PaymentMethodRuleFactory(method=PaymentMethod.INVOICE, include_segments=[segment])
        assert _methods({segment.pk}, authenticated=False) == ["prepaid"]

    def test_the_labels_are_for_buyers(self):
        PaymentMethodRuleFactory(method=PaymentMethod.INVOICE)
        [option] = payment_methods_for(segment_ids=frozenset(), is_authenticated=True, company_blocked=False)
        assert option.label == "Invoice (on account)"
