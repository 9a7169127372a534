"""Fuzz every operation of the OpenAPI schema, as every API role (docs/reliability.md, "API fuzzing").

schemathesis reads the drf-spectacular schema from /api/schema/ and generates requests for
each operation, valid ones and invalid ones, which go through the WSGI application inside
the test transaction. Every answer must be a non-5xx answer that the schema documents: the
status code, the content type and the body.

Path and query parameters are drawn half from the generator and half from the fixture
shop's real slugs and ids, so the operations reach real objects and not only 404s. Each
example runs in a savepoint that is rolled back, so a DELETE does not starve the examples
after it. Hypothesis is derandomized: the same examples in every run.

The ERP connection also sends the import files of generated rows
(tests/integrations/erp/strategies.py), and each answer must report those rows as the
file says: every valid row imported, every bad line reported, nothing written under strict.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from integrations.models import ImportRun
from segments.selectors import field_registry
from segments.validation import validate_rule
from tests.fuzz.conftest import Shop
from tests.integrations.erp.strategies import (
    ErpFile,
    References,
    erp_files,
    run_check,
    stored_rows,
)
from tests.segments.test_properties import JSON as RULE_SHAPED_JSON

# ERP files travel as text: CSV and JSON lines bodies are sent like text/plain.
schemathesis.serializer.alias("text/csv", "text/plain")
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

ROLES = ["anonymous", "buyer", "company_admin", "marketer", "integration"]
PUBLIC_SHOP = ("/api/shop/delivery-moments/", "/api/shop/products/", "/api/shop/content/")
BUYER_ONLY = ("/api/shop/cart/quote/",)
ERP = ("/api/erp/import/{entity}/", "/api/erp/imports/")


def may_use(role: str, path: str) -> bool:
    """Which operations a role may use (spec api.md); it must get a 2xx from them, and never from the others."""
    if path in PUBLIC_SHOP:
        return True
    if role in ("buyer", "company_admin"):
        return path in BUYER_ONLY
    if role == "marketer":
        return path not in BUYER_ONLY and path != "/api/erp/import/{entity}/"
    if role == "integration":
        return path in ERP
    return False
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation and generation mode (valid, invalid input): 42 operations x 2 x 12 x 5 roles fit in CI.
EXAMPLES_PER_OPERATION = 12
# ERP files of generated rows (tests/integrations/erp/strategies.py) sent to the import as the ERP connection.
ERP_FILE_EXAMPLES = 36
# A fixed CSRF secret: sent as cookie and header, so session-authenticated writes pass the CSRF check.
CSRF_SECRET = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"

@pytest.fixture
def _requests_share_the_test_transaction():
    """Like Django's test client: a request must not close the connection that holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def _examples_independent_of_imported_modules(monkeypatch):
    """Hypothesis also draws constants found in the project's modules imported so far.

    Which modules those are depends on the tests that ran before in the same process
    (pytest-xdist spreads them differently on every run), so even derandomized examples
    differed between runs: the cause of the fuzzer's flakiness. Without them every run
    draws the same examples. (A private hook of hypothesis: pinned in the test extra.)
    """
    from hypothesis.internal.conjecture import providers

    monkeypatch.setattr(providers, "_get_local_constants", providers.Constants)
    providers.CONSTANTS_CACHE.cache.clear()
    yield
    providers.CONSTANTS_CACHE.cache.clear()


def _real_values(shop: Shop) -> dict[str, list[Any]]:
    """Real values per parameter name (path and query alike); `id` per resource, see `_with_real_values`."""
    return {
        "slug": [shop.segment.slug, shop.synced_segment.slug],
        "segment": [shop.segment.slug, shop.synced_segment.slug],
        "segments": [shop.segment.slug, f"{shop.segment.slug},{shop.synced_segment.slug}"],
        "contact_id": [shop.a.buyer.pk, shop.b.buyer.pk],
        "/api/promotions/{id}/": [shop.promotion.pk],
        "/api/shipping-rules/{id}/": [shop.shipping_rule.pk],
        "run_id": [shop.sync_run.pk],
        "entity": ["companies", "contacts", "products"],
        "category": [shop.category.slug],
        "product": [shop.product.sku],
        "placement": ["home_hero", "cart"],
    }


def _with_real_values(values: dict[str, list[Any]]):
    """Each parameter: the generated value or one of the real ones (the id of the operation's own resource)."""

    def mix(context, parameters: dict[str, Any] | None) -> st.SearchStrategy:
        path = context.operation.path if context.operation else ""
        choices = []
        for name in parameters or {}:
            real = values.get(path, []) if name == "id" else values.get(name, [])
            if real:
                candidates = [parameters[name], *real, *real]  # the real value two times in three
                choices.append(st.sampled_from(candidates).map(lambda value, name=name: (name, value)))
        if not choices:
            return st.just(parameters)
        return st.tuples(*choices).map(lambda pairs: {**parameters, **dict(pairs)})

    return mix


# Rules the validator accepts (checked by the test), so that segment writes and previews also succeed.
VALID_RULES = [
    {"all": []},
    {"all": [{"field": "company.country", "op": "eq", "value": "NL"}]},
    {"any": [{"field": "company.name", "op": "contains", "value": "Bloemen"}, {"not": {"field": "company.eu_member", "op": "is_true"}}]},
]
# Terms that make a promotion body valid whatever else the generator put in it.
VALID_PROMOTION_TERMS = {
    "kind": "percentage", "percentage": "10.00", "scope": "order", "amount": None, "threshold": None, "free_product": None,
    "buy_quantity": None, "free_quantity": None, "tiers": [], "include_segments": [], "exclude_segments": [],
    "products": [], "categories": [],
}
VALID_SHIPPING_TERMS = {
    "kind": "per_order", "cost": "5.00", "free_above": None, "bands": [], "countries": "NL",
    "include_segments": [], "exclude_segments": [],
}
# With the terms, a body that is valid as a whole: the generated name and dates can still make a body with
# only the terms invalid (4 of 12 valid-mode POSTs reached a 2xx), so the positive check hung on the generator.
VALID_PROMOTION_HEAD = {"name": "Fuzz", "description": "", "starts_at": None, "ends_at": None}
RULE_BODIES = ("/api/segments/", "/api/segments/{slug}/", "/api/segments/preview/")


def _with_valid_parts(context, body: Any) -> st.SearchStrategy:
    """Bodies as generated, or with a valid rule, a rule-shaped JSON (tests/segments) or valid promotion terms."""
    path = context.operation.path if context.operation else ""
    if not isinstance(body, dict):
        return st.just(body)
    if path in RULE_BODIES:
        valid = st.sampled_from(VALID_RULES).map(lambda rule: {**body, "rule": rule})
        shaped = RULE_SHAPED_JSON.map(lambda rule: {**body, "rule": rule})
        return st.one_of(st.just(body), valid, valid, shaped)  # a valid rule half the time
    if path.startswith("/api/promotions/"):
        whole = {**body, **VALID_PROMOTION_TERMS, **VALID_PROMOTION_HEAD}
        return st.sampled_from([body, {**body, **VALID_PROMOTION_TERMS}, whole])
    if path.startswith("/api/shipping-rules/"):
        whole = {**body, **VALID_SHIPPING_TERMS, "name": "Fuzz"}
        return st.sampled_from([body, {**body, **VALID_SHIPPING_TERMS}, whole])
    return st.just(body)


FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _without_nulls_in_forms(context, case):
    """A form cannot carry null: a None would be sent as the text "None", so the field is left out instead.

    Without this a valid-mode body with null terms (and the valid terms above) was refused
    whenever the generator picked a form media type.
    """
    if case.media_type in FORM_MEDIA_TYPES and isinstance(case.body, dict):
        case.body = {name: value for name, value in case.body.items() if value is not None}
    return case


def test_the_valid_rules_are_valid(db):
    registry = field_registry()
    for rule in VALID_RULES:
        validate_rule(rule, registry=registry)


def _api_schema(shop: Shop):
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    mix = _with_real_values(_real_values(shop))
    loaded.hook("flatmap_path_parameters")(mix)
    loaded.hook("flatmap_query")(mix)
    loaded.hook("flatmap_body")(_with_valid_parts)
    loaded.hook("map_case")(_without_nulls_in_forms)
    return loaded


@dataclass(frozen=True)
class Credentials:
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


def _credentials(role: str, shop: Shop) -> Credentials:
    if role == "anonymous":
        return Credentials()
    if role == "integration":
        return Credentials(headers={"Authorization": f"Bearer {shop.erp_token}"})
    user = {"buyer": shop.a.buyer, "company_admin": shop.a.admin, "marketer": shop.marketer}[role]
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return Credentials(
        headers={"X-CSRFToken": CSRF_SECRET},
        cookies={django_settings.SESSION_COOKIE_NAME: session, django_settings.CSRF_COOKIE_NAME: CSRF_SECRET},
    )


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the report names the first failing request
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Outcome:
    examples: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))


def _fuzz(operation, mode: GenerationMode, credentials: Credentials, outcome: Outcome) -> None:
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        outcome.examples += 1
        with transaction.atomic():
            response = case.call(headers=credentials.headers, cookies=credentials.cookies)
            transaction.set_rollback(True)
        outcome.statuses[operation.label][response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=credentials.headers)

    try:
        run()
    except Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:
            raise
        # Nothing of the operation can be made invalid (no parameters, no body).
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - every operation is fuzzed, failures listed at the end
        outcome.failures.append(f"{operation.label} ({mode.value}): {str(failure)[:1500]}")


def _erp_references(shop: Shop) -> References:
    return References(
        company_erp_ids=(shop.a.company.erp_id, shop.b.company.erp_id),
        skus=(shop.product.sku, "TULIP-YEL"),
        category_slugs=(shop.category.slug, "flowers"),
    )


def _fuzz_erp_files(operation, credentials: Credentials, outcome: Outcome, references: References) -> None:
    """The import answers a file of generated rows row by row: 201 with per-row errors, 400 for a missing column."""
    files = st.sampled_from(list(ImportRun.Entity.values)).flatmap(lambda entity: erp_files(entity, references))

    @settings(FUZZ_SETTINGS, max_examples=ERP_FILE_EXAMPLES)
    @given(file=files, strict=st.booleans())
    def run(file: ErpFile, strict: bool) -> None:
        outcome.examples += 1
        case = operation.Case(
            path_parameters={"entity": file.entity},
            query={"strict": "true" if strict else "false"},
            body=file.content().decode(),
            media_type=file.media_type,
        )
        with transaction.atomic():
            before = stored_rows(file.entity)
            response = case.call(headers=credentials.headers, cookies=credentials.cookies)
            after = stored_rows(file.entity)
            transaction.set_rollback(True)
        outcome.statuses[operation.label][response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=credentials.headers)
        if file.missing_column is not None:
            assert response.status_code == 400, response.text
            assert file.missing_column in response.json()["message"]
            assert after == before
            return
        assert response.status_code == 201, response.text
        run_check(file, response.json(), strict=strict)
        if strict and file.bad_rows:
            assert after == before, "a strict import with a bad row wrote rows"

    try:
        run()
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - listed with the other failures
        outcome.failures.append(f"{operation.label} (generated ERP files): {str(failure)[:3000]}")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented_and_never_5xx(
    role, shop, _requests_share_the_test_transaction, _examples_independent_of_imported_modules
):
    api_schema = _api_schema(shop)
    credentials = _credentials(role, shop)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 40, "the schema lost operations"
    outcome = Outcome()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, credentials, outcome)
        if role == "integration" and operation.path == "/api/erp/import/{entity}/" and operation.method == "post":
            _fuzz_erp_files(operation, credentials, outcome, _erp_references(shop))
    print(f"{role}: {len(operations)} operations, {outcome.examples} examples")
    for label, counts in outcome.statuses.items():
        print(f"  {label}: {dict(sorted(counts.items()))}")
    assert outcome.failures == [], "\n\n".join(outcome.failures)
    succeeded = {label for label, counts in outcome.statuses.items() if any(200 <= code < 300 for code in counts)}
    allowed = {operation.label for operation in operations if may_use(role, operation.path)}
    assert allowed - succeeded == set(), "operations of this role that never succeeded: the fuzzing did not reach them"
    assert succeeded - allowed == set(), "operations that succeeded for a role that may not use them"
