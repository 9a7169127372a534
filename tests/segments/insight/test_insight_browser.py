"""The insight page in real Chromium: a marketer opens it, clicks an RFM cell and creates a segment from it.

Playwright is imported inside the test, so a missing package fails this test
(fixture 'page' not found) without stopping the collection of the others.
"""

import datetime
import os

import pytest
from django.utils import timezone

from accounts.models import Contact
from segments.models import CompanyValue, Segment
from segments.permissions import marketing_segment_permissions_grant
from segments.value import company_values_refresh
from segments.windows import local_today
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory
from tests.segments.insight.conftest import order

STAFF_PASSWORD = "staff-pass-123"  # StaffUserFactory's


def _shop() -> str:
    """Five companies, company i with i + 1 orders, the last 2 + 10 i days ago: one per cell R(5-i) F(i+1)."""
    today = local_today(timezone.now())
    for index in range(5):
        company = CompanyFactory(name=f"Kwekerij {index}")
        for n in range(index + 1):
            order(company, day=today - datetime.timedelta(days=2 + 10 * index + 7 * n), amount="120.00")
        for _ in range(2):
            ContactFactory(company=company)
    company_values_refresh(now=timezone.now())
    marketer = StaffUserFactory(email="marketer@b2bshop.example")
    marketer.groups.add(marketing_segment_permissions_grant())
    return marketer.email


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_marketer_clicks_an_rfm_cell_and_creates_a_segment_from_it(live_server, page, screenshot_dir):
    from playwright.sync_api import expect

    email = _shop()
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/segments/segment/")
    page.fill("#id_username", email)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/segments/segment/")
    page.click("#insight-link")
    page.wait_for_url("**/admin/segments/segment/insight/")

    page.click("#insight-tab-profile")
    expect(page.locator('svg[data-chart="lift"]')).to_be_visible()
    page.click("#insight-tab-overview")
    expect(page.locator('svg[data-chart="rfm"]')).to_be_visible()
    expect(page.locator('svg[data-chart="pareto"]')).to_be_visible()
    page.screenshot(path=os.path.join(screenshot_dir, "insight-page.png"), full_page=True)

    value = CompanyValue.objects.select_related("company").order_by("-orders_12m").first()  # the busiest company
    cell = page.locator(f'a.rfm-cell[data-recency="{value.rfm_recency}"][data-frequency="{value.rfm_frequency}"]')
    cell.click()
    page.wait_for_url("**cell=*")
    section = page.locator("#rfm-cell")
    expect(section).to_contain_text(value.company.name)
    page.screenshot(path=os.path.join(screenshot_dir, "insight-rfm-cell.png"), full_page=True)

    page.click("#create-from-cell")
    page.wait_for_url("**/change/")
    expect(page.locator(".messagelist .success")).to_contain_text("created from the RFM cell")
    segment = Segment.objects.get(name__startswith=f"RFM R{value.rfm_recency} F{value.rfm_frequency}")
    expect(page.locator("#id_name")).to_have_value(segment.name)
    # The rule is a normal rule in the builder: two conditions, members = the cell's contacts.
    builder = page.locator(".rule-builder")
    expect(builder.locator(".rb-root > .rb-group-body > .rb-condition")).to_have_count(2)
    expected = set(Contact.objects.filter(
        company__customer_value__rfm_recency=value.rfm_recency, company__customer_value__rfm_frequency=value.rfm_frequency
    ).values_list("pk", flat=True))
    assert len(expected) == 2  # the busiest company's two contacts
    expect(builder.locator(".rb-count")).to_have_attribute("data-count", "2")
    assert set(segment.memberships.values_list("contact_id", flat=True)) == expected
    page.wait_for_load_state("networkidle")
    page.screenshot(path=os.path.join(screenshot_dir, "insight-created-segment.png"), full_page=True)
