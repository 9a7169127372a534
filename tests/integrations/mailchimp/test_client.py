"""The client wrapper over the real mailchimp-marketing library, against the stand-in."""

import pytest

from integrations.mailchimp.client import MailchimpClient, RetryPolicy, member_error_is_permanent
from integrations.mailchimp.exceptions import MailchimpNotFoundError, MailchimpPermanentError, MailchimpTransientError
from integrations.mailchimp.standin import Fault, MailchimpStandin


@pytest.fixture
def server():
    with MailchimpStandin() as standin:
        yield standin


def _client(server, *, sleeps=None, attempts=5, timeout=5.0):
    return MailchimpClient(
        api_key="", server="standin", list_id="L", host=server.url, timeout=timeout,
        retry=RetryPolicy(max_attempts=attempts, base_seconds=0.01, max_seconds=0.05),
        sleep=(sleeps.append if sleeps is not None else lambda _seconds: None),
    )


class MailchimpClientTests:
    def test_ping_goes_through_the_library_to_the_host(self, server):
        assert _client(server).ping() == {"health_status": "Everything's Chimpy!"}
        assert server.call_list()[0].path == "/3.0/ping"

    def test_retry_after_is_honoured(self, server):
        sleeps = []
        server.inject(Fault(status=429, retry_after=3, path="/ping"))

        _client(server, sleeps=sleeps).ping()

        assert len(sleeps) == 1 and sleeps[0] >= 3

    def test_backoff_grows_exponentially_with_jitter(self):
        policy = RetryPolicy(max_attempts=5, base_seconds=1, max_seconds=60)

        delays = [policy.delay(attempt, None) for attempt in (1, 2, 3, 4)]

        assert [0.5 <= d / 2 ** (n) <= 1.0 for n, d in enumerate(delays)] == [True] * 4

    def test_an_empty_5xx_answer_comes_back_as_a_response_object_and_is_retried(self, server):
        server.inject(Fault(status=503, empty_body=True, path="/ping", times=2))

        assert _client(server).ping()["health_status"]
        assert [c.status for c in server.call_list()] == [503, 503, 200]

    def test_a_timeout_has_no_status_and_is_transient(self, server):
        server.inject(Fault(hang=0.5, apply=True, path="/ping", times=5))

        with pytest.raises(MailchimpTransientError) as raised:
            _client(server, attempts=2, timeout=0.2).ping()

        assert raised.value.status is None

    def test_transient_errors_give_up_after_the_attempts(self, server):
        server.inject(Fault(status=500, path="/ping", times=10))

        with pytest.raises(MailchimpTransientError, match="500"):
            _client(server, attempts=3).ping()
        assert len(server.call_list()) == 3

    def test_a_400_is_permanent_and_not_retried(self, server):
        with pytest.raises(MailchimpPermanentError, match="Invalid Resource"):
            _client(server).tag_create(name="")
        assert len(server.call_list()) == 1

    def test_a_missing_member_is_none(self, server):
        assert _client(server).member_get(email="nobody@example.com") is None

    def test_a_missing_segment_is_not_found(self, server):
        with pytest.raises(MailchimpNotFoundError):
            _client(server).tag_rename(tag_id=99, name="x")

    def test_the_raw_problem_document_of_apiclienterror_is_parsed(self, server):
        with pytest.raises(MailchimpNotFoundError) as raised:
            _client(server).tag_update(tag_id=1, add=["a@example.com"])

        assert (raised.value.status, raised.value.title) == (404, "Resource Not Found")
        assert raised.value.detail == "The requested resource could not be found."

    def test_upsert_answer_is_typed_and_member_errors_classified(self, server):
        server.state.member_errors["stuck@example.com"] = "compliance"
        server.state.member_errors["flaky@example.com"] = "generic"

        result = _client(server).members_upsert(members=[
            {"email_address": "New@Example.com", "status_if_new": "subscribed"},
            {"email_address": "stuck@example.com", "status_if_new": "subscribed"},
            {"email_address": "flaky@example.com", "status_if_new": "subscribed"},
        ])

        assert [m.email for m in result.created] == ["new@example.com"]
        assert {e.email: e.permanent for e in result.errors} == {"stuck@example.com": True, "flaky@example.com": False}

    def test_permanent_member_errors(self):
        assert member_error_is_permanent("x is in a compliance state due to unsubscribe") is True
        assert member_error_is_permanent("Forgotten Email Not Subscribed") is True
        assert member_error_is_permanent("x looks fake or invalid, please enter a real email address.") is True
        assert member_error_is_permanent("An unexpected internal error occurred") is False


class MailchimpClientOddAnswerTests:
    def test_a_2xx_answer_that_is_not_json_is_transient(self, server, monkeypatch):
        from integrations.mailchimp.standin.server import _Handler

        def html(self, status, document):
            self._send(200, b"<html>maintenance</html>", "text/html")

        monkeypatch.setattr(_Handler, "_json", html)

        with pytest.raises(MailchimpTransientError, match="unreadable answer"):
            _client(server, attempts=1).ping()
