"""The rule builder in real Chromium: a marketer builds the Sana example segment by clicking.

Playwright is imported inside the tests, so a missing package fails these tests
(fixture 'page' not found) without stopping the collection of the others.
"""

import datetime
import json
import os
from decimal import Decimal

import pytest
from django.utils import timezone

from segments.models import Segment
from segments.permissions import marketing_segment_permissions_grant
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory
from tests.orders.factories import CartFactory, CartLineFactory, OrderFactory, OrderLineFactory
from tests.segments.admin.conftest import STAFF_PASSWORD

SANA_RULE = {
    "all": [
        {"field": "company.continent", "op": "eq", "value": "europe"},
        {"field": "sales.revenue", "op": "gt", "value": 50000, "window": "this_year"},
        {"field": "cart.quantity", "op": "gt", "value": 15},
        {"field": "contact.last_login", "op": "more_than_days_ago", "value": 14},
    ]
}


def _sana_dataset() -> dict[str, str]:
    """One contact matches; the others miss one condition each."""
    now = timezone.now()
    dutch = CompanyFactory(name="Bloemenhuis De Tulp", country="NL")
    american = CompanyFactory(name="Flowers Inc", country="US")
    for company in (dutch, american):
        order = OrderFactory(company=company, ordered_at=now, total_amount=Decimal("60000.00"))
        OrderLineFactory(order=order, quantity=100, unit_price=Decimal("600.00"))

    def contact(email: str, company, *, last_login, cart_quantity: int = 20):
        person = ContactFactory(email=email, company=company, last_login=last_login)
        CartLineFactory(cart=CartFactory(contact=person), quantity=cart_quantity)
        return person

    month_ago = now - datetime.timedelta(days=30)
    contact("anna@tulp.example", dutch, last_login=month_ago)  # the member
    contact("recent@tulp.example", dutch, last_login=now - datetime.timedelta(days=1))
    contact("never@tulp.example", dutch, last_login=None)  # more_than_days_ago is false on NULL
    contact("small-cart@tulp.example", dutch, last_login=month_ago, cart_quantity=3)
    contact("joe@flowers.example", american, last_login=month_ago)
    marketer = StaffUserFactory(email="marketer@b2bshop.example")
    marketer.groups.add(marketing_segment_permissions_grant())
    return {"member": "anna@tulp.example", "marketer": marketer.email}


def _log_in(page, live_server, email: str, next_path: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next={next_path}")
    page.fill("#id_username", email)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_path}")


def _add_condition(builder, field: str, op: str):
    builder.locator(".rb-root > .rb-group-header .rb-add-condition").click()
    row = builder.locator(".rb-root > .rb-group-body > .rb-condition").last
    row.locator("select.rb-field").select_option(field)
    row.locator("select.rb-op").select_option(op)
    return row


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_marketer_builds_the_sana_segment_by_clicking(live_server, page, screenshot_dir):
    from playwright.sync_api import expect

    data = _sana_dataset()
    page.set_viewport_size({"width": 1280, "height": 1000})
    _log_in(page, live_server, data["marketer"], "/admin/segments/segment/add/")
    page.fill("#id_name", "Sana example")
    builder = page.locator(".rule-builder")
    count = builder.locator(".rb-count")
    expect(count).to_have_attribute("data-count", "5")  # the empty rule matches every contact (staff are not contacts)

    row = _add_condition(builder, "company.continent", "eq")
    row.get_by_label("Value", exact=True).select_option("europe")
    expect(count).to_have_attribute("data-count", "4")

    row = _add_condition(builder, "sales.revenue", "gt")
    expect(builder.locator(".rb-preview.rb-invalid")).to_be_visible()  # no value yet: the row says so
    expect(row.locator(".rb-errors li")).to_have_text("operator 'gt' needs a value")
    row.get_by_label("Value", exact=True).fill("50000")
    row.get_by_label("Period").select_option("this_year")

    row = _add_condition(builder, "cart.quantity", "gt")
    row.get_by_label("Value", exact=True).fill("15")
    expect(count).to_have_attribute("data-count", "3")

    row = _add_condition(builder, "contact.last_login", "more_than_days_ago")
    row.get_by_label("Days").fill("14")
    expect(count).to_have_attribute("data-count", "1")
    assert json.loads(page.input_value("#id_rule")) == SANA_RULE
    page.screenshot(path=os.path.join(screenshot_dir, "segment-builder-sana.png"), full_page=True)

    # The "or never" shortcut takes in the contact who never logged in; unticked, the plain rule again.
    row.locator(".rb-or-never").check()
    expect(count).to_have_attribute("data-count", "2")
    assert json.loads(page.input_value("#id_rule"))["all"][3] == {
        "any": [{"field": "contact.last_login", "op": "is_empty"}, SANA_RULE["all"][3]]
    }
    row.locator(".rb-or-never").uncheck()
    expect(count).to_have_attribute("data-count", "1")

    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    segment = Segment.objects.get(name="Sana example")
    assert segment.rule == SANA_RULE
    members = page.locator("#segment-members table.sb-members tbody tr")
    expect(members).to_have_count(1)
    expect(members.first).to_contain_text(data["member"])
    expect(page.locator("#segment-members")).to_contain_text("Export all members as CSV")
    expect(page.locator("#segment-history svg.sb-chart-svg")).to_be_visible()
    # The saved rule loads back into the same rows, with the impact of edits against the members.
    expect(builder.locator(".rb-root > .rb-group-body > .rb-condition")).to_have_count(4)
    expect(builder.locator(".rb-impact")).to_have_text("+0 join, −0 leave")
    page.wait_for_load_state("networkidle")  # the live server answers nothing after the test's data is gone
    page.screenshot(path=os.path.join(screenshot_dir, "segment-change-page.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/segments/segment/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list td.field-members")).to_have_text("1")
    page.screenshot(path=os.path.join(screenshot_dir, "segment-changelist.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_explain_and_nested_groups_and_server_errors(live_server, page, screenshot_dir):
    from playwright.sync_api import expect

    data = _sana_dataset()
    page.set_viewport_size({"width": 1280, "height": 1000})
    _log_in(page, live_server, data["marketer"], "/admin/segments/segment/add/")
    page.fill("#id_name", "Nested")
    builder = page.locator(".rule-builder")
    _add_condition(builder, "company.continent", "eq").get_by_label("Value", exact=True).select_option("europe")
    builder.locator(".rb-root > .rb-group-header .rb-add-group").click()
    nested = builder.locator(".rb-root > .rb-group-body > .rb-group")
    expect(nested.locator("select.rb-kind")).to_have_value("any")
    first = nested.locator(".rb-condition").first
    first.locator("select.rb-field").select_option("sales.bought_product")
    first.get_by_label("Values").fill("NOPE")
    first.get_by_label("Values").press("Enter")
    nested.locator(".rb-group-header .rb-add-condition").click()
    second = nested.locator(".rb-condition").last
    second.locator("select.rb-field").select_option("contact.last_login")
    second.locator("select.rb-op").select_option("is_empty")
    expect(builder.locator(".rb-count")).to_have_attribute("data-count", "1")
    assert json.loads(page.input_value("#id_rule")) == {
        "all": [
            {"field": "company.continent", "op": "eq", "value": "europe"},
            {"any": [
                {"field": "sales.bought_product", "op": "contains_any", "value": ["NOPE"]},
                {"field": "contact.last_login", "op": "is_empty"},
            ]},
        ]
    }

    explain = page.locator("#segment-explain")
    explain.get_by_label("Contact").fill("never@")
    explain.locator(".rb-suggest li").first.click()
    explain.get_by_role("button", name="Explain").click()
    expect(explain.locator(".sb-verdict")).to_contain_text("never@tulp.example")
    expect(explain.locator(".sb-verdict")).to_contain_text("matches the rule")
    expect(explain.locator(".rb-explain-tree .rb-x-true")).to_have_count(4)  # all, continent, any, last login empty
    expect(explain.locator(".rb-explain-tree .rb-x-false")).to_have_count(1)  # the product was not bought
    page.screenshot(path=os.path.join(screenshot_dir, "segment-explain.png"), full_page=True)

    # The unknown SKU is only caught on save: the page comes back with the error next to the row.
    page.click("input[name=_save]")
    expect(page.locator(".errornote")).to_be_visible()
    bad_row = builder.locator(".rb-condition.rb-has-error")
    expect(bad_row).to_have_count(1)
    expect(bad_row).to_contain_text("there is no product 'NOPE'")
    expect(bad_row.locator("select.rb-field")).to_have_value("sales.bought_product")
    assert not Segment.objects.exists()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=os.path.join(screenshot_dir, "segment-server-error.png"), full_page=True)
