"""The naive evaluator: per contact, load its rows and evaluate every rule in Python.

This is what per-request personalization engines do: for the contact at hand, load
the contact with its company, the company's orders and lines, the open cart, the
customer value row and the custom attributes (a handful of queries), then walk each
rule. The per-field semantics are the test suite's reference evaluator
(tests/segments/reference.py), fed a one-contact snapshot.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from accounts.models import CompanyAttributeDefinition, CompanyAttributeValue, Contact
from bench.evaluators import zone
from catalog.models import Category, Product
from orders.models import Cart, CartLine, Order, OrderLine
from segments.models import CompanyValue, SegmentMembership
from tests.segments.reference import ATTRIBUTE_TYPES, Snapshot, evaluate


class NaiveEvaluator:
    def __init__(self, *, segments: list[dict[str, Any]], now: datetime.datetime) -> None:
        self.segments, self.now, self.zone = segments, now, zone()
        # Shop-wide data a personalization engine keeps in memory: the category tree, attribute types.
        categories = list(Category.objects.all())
        self.category_parent = {category.pk: category.parent_id for category in categories}
        self.category_slug = {category.pk: category.slug for category in categories}
        self.attribute_types = {
            definition.name: ATTRIBUTE_TYPES[definition.value_type] for definition in CompanyAttributeDefinition.objects.all()
        }
        self.own_slugs = {segment["slug"] for segment in segments}

    def contact_segments(self, contact_id: int) -> set[str]:
        """The benchmark segments this contact is a member of (loading its data first)."""
        contact = Contact.objects.select_related("company").get(pk=contact_id)
        company = contact.company
        orders = list(Order.objects.filter(company_id=company.pk))
        lines: dict[int, list[OrderLine]] = defaultdict(list)
        for line in OrderLine.objects.filter(order__company_id=company.pk):
            lines[line.order_id].append(line)
        cart_lines = list(CartLine.objects.filter(cart__contact_id=contact.pk, cart__status=Cart.Status.OPEN))
        product_ids = {line.product_id for group in lines.values() for line in group} | {line.product_id for line in cart_lines}
        products = {product.pk: product for product in Product.objects.filter(pk__in=product_ids)}
        value = CompanyValue.objects.filter(company_id=company.pk).first()
        attributes = {row.definition.name: row for row in CompanyAttributeValue.objects.filter(company_id=company.pk).select_related("definition")}
        stored = set(
            SegmentMembership.objects.filter(contact_id=contact.pk).exclude(segment__slug__in=self.own_slugs)
            .values_list("segment__slug", flat=True)
        )
        snapshot = Snapshot(
            now=self.now, zone=self.zone, contacts=[contact], companies={company.pk: company},
            orders={company.pk: orders}, order_lines=lines, open_cart_lines={contact.pk: cart_lines}, products=products,
            category_parent=self.category_parent, category_slug=self.category_slug,
            values={company.pk: value} if value else {}, attributes={company.pk: attributes},
            attribute_types=self.attribute_types, memberships={contact.pk: stored},
        )
        matched: set[str] = set()
        for segment in self.segments:  # referenced segments come first
            if evaluate(segment["rule"], contact, snapshot):
                matched.add(segment["slug"])
                stored.add(segment["slug"])
        return matched

    def members(self, contact_ids: list[int]) -> dict[str, set[int]]:
        result: dict[str, set[int]] = {segment["slug"]: set() for segment in self.segments}
        for contact_id in contact_ids:
            for slug in self.contact_segments(contact_id):
                result[slug].add(contact_id)
        return result
