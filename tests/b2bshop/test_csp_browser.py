"""In real Chromium, under the Content Security Policy: the shop, the admin with its rule builder and the
API docs run their scripts and styles, and the browser reports no policy violation."""

import pytest

from segments.permissions import marketing_segment_permissions_grant
from segments.services import segment_save
from tests.accounts.factories import StaffUserFactory
from tests.segments.admin.conftest import STAFF_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch_violations(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return violations


def test_shop_admin_rule_builder_and_api_docs_run_under_the_policy(live_server, page, screenshot_dir):
    marketer = StaffUserFactory(email="marketer@b2bshop.example")
    marketer.groups.add(marketing_segment_permissions_grant())
    segment = segment_save(
        name="Dutch", rule={"all": [{"field": "company.country", "op": "eq", "value": "NL"}]}, refresh=False
    )
    violations = _watch_violations(page)

    page.goto(f"{live_server.url}/")
    page.wait_for_function("document.documentElement.dataset.shopJs === 'ready'")  # shop.js ran

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", marketer.email)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/segments/segment/{segment.pk}/change/")
    page.locator(".rule-builder select").first.wait_for()  # the builder drew the rule
    page.locator("#segment-audit").wait_for()
    page.screenshot(path=f"{screenshot_dir}/csp-segment-change.png", full_page=True)

    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".opblock").first.wait_for()  # Swagger UI rendered the operations
    page.screenshot(path=f"{screenshot_dir}/csp-api-docs.png")

    assert violations == []
