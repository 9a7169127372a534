"""Payment methods per segment: which methods a buyer may choose at checkout.

A method is offered when at least one active `PaymentMethodRule` for it holds for the buyer
(the shared segment semantics). Credit methods (invoice / on account, direct debit) are never
offered to a blocked company, whatever the rules say. When no rule offers anything, prepayment
is offered: a shop must always be able to take an order, and prepayment carries no credit risk.
"""

from __future__ import annotations

from dataclasses import dataclass

from orders.offer_models import CREDIT_PAYMENT_METHODS, PaymentMethod, PaymentMethodRule
from personalization.selectors import segment_conditions_hold

FALLBACK_METHOD = PaymentMethod.PREPAID


@dataclass(frozen=True)
class PaymentOption:
    value: str
    label: str


def payment_methods_for(
    *, segment_ids: frozenset[int], is_authenticated: bool, company_blocked: bool
) -> tuple[PaymentOption, ...]:
    """The methods the buyer may choose, in the shop's order (invoice, direct debit, prepayment); one query."""
    holds = segment_conditions_hold(PaymentMethodRule, segment_ids=segment_ids, is_authenticated=is_authenticated)
    granted = set(PaymentMethodRule.objects.filter(holds, is_active=True).values_list("method", flat=True).distinct())
    if company_blocked:
        granted -= CREDIT_PAYMENT_METHODS
    if not granted:
        granted = {FALLBACK_METHOD}
    return tuple(PaymentOption(method.value, method.label) for method in PaymentMethod if method.value in granted)
