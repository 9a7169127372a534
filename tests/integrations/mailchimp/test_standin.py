"""The stand-in speaks Mailchimp's shapes and injects Mailchimp's failures."""

import hashlib
import json
import threading
import urllib.error
import urllib.request

import pytest

from integrations.mailchimp.standin import Fault, MailchimpStandin, subscriber_hash


def _request(standin, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(standin.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


@pytest.fixture
def server():
    with MailchimpStandin() as standin:
        yield standin


class StandinTests:
    def test_subscriber_hash_is_md5_of_the_lower_cased_email(self):
        assert subscriber_hash(" Anna@Example.COM ") == hashlib.md5(b"anna@example.com").hexdigest()

    def test_batch_upsert_uses_status_if_new_for_new_members_and_keeps_existing_status(self, server):
        server.state.member_seed("L", "gone@example.com", status="unsubscribed")

        status, _headers, answer = _request(server, "POST", "/lists/L", {
            "members": [
                {"email_address": "new@example.com", "status_if_new": "subscribed", "merge_fields": {"FNAME": "N"}},
                {"email_address": "gone@example.com", "status_if_new": "subscribed", "merge_fields": {"FNAME": "G"}},
            ],
            "update_existing": True,
        })

        assert status == 200
        assert [m["status"] for m in answer["new_members"]] == ["subscribed"]
        assert [(m["email_address"], m["status"]) for m in answer["updated_members"]] == [("gone@example.com", "unsubscribed")]
        assert (answer["total_created"], answer["total_updated"], answer["error_count"]) == (1, 1, 0)

    def test_per_member_errors_are_in_the_errors_array(self, server):
        server.state.member_errors["stuck@example.com"] = "compliance"

        _status, _headers, answer = _request(server, "POST", "/lists/L", {
            "members": [{"email_address": "stuck@example.com", "status_if_new": "subscribed"}, {"email_address": "nope"}],
            "update_existing": True,
        })

        assert [e["email_address"] for e in answer["errors"]] == ["stuck@example.com", "nope"]
        assert "compliance state" in answer["errors"][0]["error"]
        assert "looks fake or invalid" in answer["errors"][1]["error"]

    def test_more_than_500_members_is_refused(self, server):
        members = [{"email_address": f"m{n}@example.com", "status_if_new": "subscribed"} for n in range(501)]

        status, headers, problem = _request(server, "POST", "/lists/L", {"members": members})

        assert status == 400
        assert headers["Content-Type"].startswith("application/problem+json")
        assert problem["title"] == "Invalid Resource"

    def test_static_segments_add_remove_rename_and_list_members_with_paging(self, server):
        for n in range(3):
            server.state.member_seed("L", f"m{n}@example.com")
        server.state.member_seed("L", "out@example.com", status="unsubscribed")
        _s, _h, segment = _request(server, "POST", "/lists/L/segments", {"name": "shop: A", "static_segment": []})

        _s, _h, batch = _request(server, "POST", f"/lists/L/segments/{segment['id']}", {
            "members_to_add": ["m0@example.com", "m1@example.com", "m2@example.com", "out@example.com", "x@example.com"],
            "members_to_remove": ["m2@example.com"],
        })
        _s, _h, renamed = _request(server, "PATCH", f"/lists/L/segments/{segment['id']}", {"name": "shop: B"})
        _s, _h, page = _request(server, "GET", f"/lists/L/segments/{segment['id']}/members?count=1&offset=1")
        _s, _h, everyone = _request(server, "GET", f"/lists/L/segments/{segment['id']}/members?include_unsubscribed=true")

        assert (batch["total_added"], batch["total_removed"]) == (4, 1)
        assert batch["errors"] == [{"email_addresses": ["x@example.com"], "error": "Email addresses are not members of this list."}]
        assert renamed["name"] == "shop: B"
        assert page["total_items"] == 2 and [m["email_address"] for m in page["members"]] == ["m1@example.com"]
        assert everyone["total_items"] == 3

    def test_fields_projects_the_answer(self, server):
        server.state.member_seed("L", "m@example.com")

        _s, _h, answer = _request(server, "GET", "/lists/L/members?fields=members.email_address,total_items")

        assert answer == {"members": [{"email_address": "m@example.com"}], "total_items": 1}

    def test_injected_429_carries_retry_after_and_is_used_up(self, server):
        server.inject(Fault(status=429, retry_after=7, path="/ping"))

        first = _request(server, "GET", "/ping")
        second = _request(server, "GET", "/ping")

        assert (first[0], first[1]["Retry-After"], first[2]["status"]) == (429, "7", 429)
        assert second[0] == 200

    def test_the_eleventh_concurrent_connection_is_refused(self):
        with MailchimpStandin(latency=0.3) as server:
            results = []
            threads = [threading.Thread(target=lambda: results.append(_request(server, "GET", "/ping")[0])) for _ in range(11)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        assert sorted(results) == [200] * 10 + [429]
        assert server.peak_concurrency == 11
        assert server.refused_connections == 1

    def test_calls_are_recorded(self, server):
        _request(server, "GET", "/ping")
        _request(server, "GET", "/lists/L/members/" + "0" * 32)

        assert [(c.method, c.path, c.status) for c in server.call_list()] == [
            ("GET", "/3.0/ping", 200), ("GET", f"/3.0/lists/L/members/{'0' * 32}", 404),
        ]

    def test_control_api_injects_faults_and_reports_state(self, server):
        base = server.url.removesuffix("/3.0")
        request = urllib.request.Request(
            base + "/_standin/faults", data=json.dumps({"faults": [{"status": 500, "path": "/ping"}]}).encode(), method="POST"
        )
        urllib.request.urlopen(request, timeout=5).read()

        assert _request(server, "GET", "/ping")[0] == 500
        with urllib.request.urlopen(base + "/_standin/state", timeout=5) as response:
            state = json.loads(response.read())
        assert state["calls"] == 1
