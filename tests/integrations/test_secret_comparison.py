"""The ERP token and the Mailchimp webhook secret: every wrong guess is refused alike, compared in constant time."""

import hmac

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

import integrations.erp.selectors as erp_selectors
import integrations.mailchimp.views as webhook_views
from integrations.models import ImportRun
from tests.integrations.erp.factories import ErpConnectionFactory

pytestmark = pytest.mark.django_db

TOKEN = "erp_" + "k" * 43
WEBHOOK_SECRET = "w3bhook-secret-value"

WRONG_TOKENS = [
    pytest.param(TOKEN[:-1], id="one-character-short"),
    pytest.param(TOKEN + "k", id="one-character-long"),
    pytest.param(TOKEN[:-1] + "x", id="same-length-last-character-wrong"),
    pytest.param("x" + TOKEN[1:], id="same-length-first-character-wrong"),
    pytest.param("erp_", id="prefix-only"),
    pytest.param("é" * 47, id="non-ascii"),
    pytest.param("k" * 10_000, id="very-long"),
]


def _erp_post(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post(reverse("erp-import", args=["companies"]), "erp_id,name,country\n1,A,NL\n", content_type="text/csv")


@pytest.fixture
def compare_spy(monkeypatch):
    """Records every hmac.compare_digest call made by the ERP selector and the webhook view."""
    calls = []
    compare = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(erp_selectors.hmac, "compare_digest", spy)
    return calls


class ErpTokenTests:
    def test_the_right_token_imports(self, compare_spy):
        ErpConnectionFactory(token=TOKEN)
        assert _erp_post(TOKEN).status_code == 201
        assert len(compare_spy) == 1 and len(compare_spy[0][0]) == len(compare_spy[0][1]) == 64

    @pytest.mark.parametrize("token", WRONG_TOKENS)
    def test_every_wrong_token_is_the_same_401(self, token):
        ErpConnectionFactory(token=TOKEN)
        response = _erp_post(token)
        assert (response.status_code, response.json()["message"]) == (401, "Invalid or inactive token.")
        assert ImportRun.objects.count() == 0

    def test_an_inactive_connections_token_gets_the_same_401_as_a_wrong_one(self):
        ErpConnectionFactory(token=TOKEN, inactive=True)
        response = _erp_post(TOKEN)
        assert (response.status_code, response.json()["message"]) == (401, "Invalid or inactive token.")

    def test_a_digest_match_is_confirmed_in_constant_time(self, compare_spy, monkeypatch):
        """If the database lookup ever matched loosely (collation, trailing spaces), the constant-time check refuses."""
        connection = ErpConnectionFactory(token=TOKEN)
        found = type(connection).objects.filter(pk=connection.pk)
        monkeypatch.setattr(erp_selectors.ErpConnection.objects, "filter", lambda **kwargs: found)
        assert _erp_post("a-different-token").status_code == 401
        assert compare_spy and compare_spy[-1][0] != compare_spy[-1][1]


@pytest.mark.urls("tests.integrations.mailchimp.urls")
class WebhookSecretTests:
    @pytest.fixture(autouse=True)
    def secret(self, settings):
        settings.MAILCHIMP_WEBHOOK_SECRET = WEBHOOK_SECRET

    def _get(self, client, secret):
        return client.get(reverse("mailchimp-webhook", kwargs={"secret": secret}))

    def test_the_right_secret_answers(self, client):
        assert self._get(client, WEBHOOK_SECRET).status_code == 200

    @pytest.mark.parametrize(
        "secret",
        [WEBHOOK_SECRET[:-1], WEBHOOK_SECRET + "e", WEBHOOK_SECRET[:-1] + "X", "W" + WEBHOOK_SECRET[1:], "é" * 20, "x"],
        ids=["short", "long", "last-wrong", "first-wrong", "non-ascii", "one-character"],
    )
    def test_every_wrong_secret_is_the_same_404(self, client, secret):
        response = self._get(client, secret)
        assert response.status_code == 404

    def test_the_secret_is_compared_in_constant_time(self, client, monkeypatch):
        calls = []
        compare = hmac.compare_digest

        def spy(a, b):
            calls.append((a, b))
            return compare(a, b)

        monkeypatch.setattr(webhook_views.hmac, "compare_digest", spy)
        assert self._get(client, "guess").status_code == 404
        assert calls == [(b"guess", WEBHOOK_SECRET.encode())]
