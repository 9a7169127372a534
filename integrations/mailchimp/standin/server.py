"""A stateful local Mailchimp Marketing API stand-in (the endpoints the sync uses).

It speaks Mailchimp's request and response shapes closely enough for the official
`mailchimp-marketing` client to be exercised end to end:

    GET    /3.0/ping
    POST   /3.0/lists/{list_id}                          batch subscribe (members + update_existing)
    GET    /3.0/lists/{list_id}/members                  count, offset, status, fields
    GET    /3.0/lists/{list_id}/members/{hash}
    PUT    /3.0/lists/{list_id}/members/{hash}           upsert (status_if_new)
    PATCH  /3.0/lists/{list_id}/members/{hash}
    GET    /3.0/lists/{list_id}/segments                 type, count, offset
    POST   /3.0/lists/{list_id}/segments                 create a static segment (tag)
    GET    /3.0/lists/{list_id}/segments/{id}
    PATCH  /3.0/lists/{list_id}/segments/{id}            rename
    DELETE /3.0/lists/{list_id}/segments/{id}
    POST   /3.0/lists/{list_id}/segments/{id}            batch add/remove (members_to_add/_remove)
    GET    /3.0/lists/{list_id}/segments/{id}/members    count, offset, include_unsubscribed/_cleaned

Errors are problem documents (`application/problem+json`), as Mailchimp sends them;
the subscriber hash is the MD5 of the lower-cased email. Lists are created on first
use. Fault injection (`Fault`, `member_errors`, `latency`) covers 429 with
Retry-After, 5xx (with or without a body), slow answers, time-outs, per-member batch
errors and Mailchimp's limit of 10 simultaneous connections (the 11th gets a 429).
Every call is recorded with the peak concurrency so tests can assert on them.

A small control API under `/_standin/` (state, reset, faults, members) serves the
`manage.py mailchimp_standin` process; in-process users call the methods directly.
Standard library only: it must run anywhere the shop runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_CONCURRENT_CONNECTIONS = 10
MAX_BATCH = 500
MAX_PAGE = 1000
STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived")
_UNREADABLE = object()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Per-member failures as Mailchimp words them (batch `errors` entries and single-member problems).
MEMBER_ERRORS: dict[str, tuple[str, str]] = {
    "compliance": (
        "Member In Compliance State",
        "{email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.",
    ),
    "forgotten": (
        "Forgotten Email Not Subscribed",
        "{email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.",
    ),
    "invalid": ("Invalid Resource", "{email} looks fake or invalid, please enter a real email address."),
    "generic": ("Internal Server Error", "An unexpected internal error occurred while processing {email}; please retry."),
}


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode()).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class Fault:
    """An injected failure for the next `times` requests matching `method` and `path` (a regex)."""

    status: int = 500
    method: str | None = None
    path: str | None = None
    times: int = 1
    retry_after: int | None = None
    empty_body: bool = False  # no body, no content type: the client hands back a response object
    hang: float = 0.0  # seconds to wait before answering (longer than the client's timeout = a time-out)
    apply: bool = False  # perform the request, then answer with the fault (the answer is lost)

    def matches(self, method: str, path: str) -> bool:
        if self.times <= 0:
            return False
        if self.method and self.method.upper() != method:
            return False
        return not self.path or re.search(self.path, path) is not None


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int = 0  # 0 while the call is being answered


@dataclass
class _Segment:
    id: int
    name: str
    created_at: str
    updated_at: str
    members: dict[str, None] = field(default_factory=dict)  # hash -> None; keeps insertion order


@dataclass
class _List:
    id: str
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # hash -> member
    segments: dict[int, _Segment] = field(default_factory=dict)


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class StandinState:
    """Audiences, members and static segments; every method holds the lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.lists: dict[str, _List] = {}
        self._segment_ids = itertools.count(1)
        self.member_errors: dict[str, str] = {}  # lower-cased email -> key of MEMBER_ERRORS

    def reset(self) -> None:
        with self.lock:
            self.lists.clear()
            self.member_errors.clear()
            self._segment_ids = itertools.count(1)

    def audience(self, list_id: str) -> _List:
        with self.lock:
            return self.lists.setdefault(list_id, _List(id=list_id))

    # ------------------------------------------------------------- members

    def _member_json(self, audience: _List, member: dict[str, Any]) -> dict[str, Any]:
        tags = [
            {"id": segment.id, "name": segment.name}
            for segment in audience.segments.values()
            if member["id"] in segment.members
        ]
        return {**member, "tags_count": len(tags), "tags": tags, "list_id": audience.id, "_links": []}

    def member_seed(
        self, list_id: str, email: str, *, status: str = "subscribed", merge_fields: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Put a member into an audience directly (test set-up: e.g. someone who unsubscribed)."""
        with self.lock:
            audience = self.audience(list_id)
            member = self._member_new(audience, email, status, merge_fields or {})
            member["status"] = status
            return self._member_json(audience, member)

    def _member_new(self, audience: _List, email: str, status: str, merge_fields: dict[str, Any]) -> dict[str, Any]:
        key = subscriber_hash(email)
        member = audience.members.get(key)
        if member is None:
            now = _now()
            member = {
                "id": key,
                "email_address": email.strip(),
                "unique_email_id": key[:10],
                "email_type": "html",
                "status": status,
                "merge_fields": {},
                "timestamp_signup": now,
                "last_changed": now,
            }
            audience.members[key] = member
        member["merge_fields"] = {**member["merge_fields"], **merge_fields}
        return member

    def _member_problem(self, email: str) -> tuple[str, str] | None:
        if not isinstance(email, str) or not _EMAIL.match(email.strip()):
            title, detail = MEMBER_ERRORS["invalid"]
            return title, detail.format(email=email)
        kind = self.member_errors.get(email.strip().lower())
        if kind:
            title, detail = MEMBER_ERRORS[kind]
            return title, detail.format(email=email)
        return None

    def member_upsert(self, list_id: str, body: dict[str, Any], *, update_existing: bool = True) -> tuple[str, dict[str, Any]]:
        """Mailchimp's rules: `status` changes an existing member; `status_if_new` only applies to new ones."""
        email = body.get("email_address", "")
        problem = self._member_problem(email)
        if problem:
            raise ApiProblem(400, *problem)
        status = body.get("status")
        status_if_new = body.get("status_if_new")
        for value in (status, status_if_new):
            if value is not None and value not in STATUSES:
                raise ApiProblem(400, "Invalid Resource", f"The resource submitted could not be validated: status '{value}'.")
        merge_fields = body.get("merge_fields") or {}
        if not isinstance(merge_fields, dict):
            raise ApiProblem(400, "Invalid Resource", "merge_fields must be an object.")
        with self.lock:
            audience = self.audience(list_id)
            existing = audience.members.get(subscriber_hash(email))
            if existing is not None:
                if not update_existing:
                    raise ApiProblem(
                        400, "Member Exists",
                        f"{email} is already a list member. Use PUT to insert or update list members.",
                    )
                existing["merge_fields"] = {**existing["merge_fields"], **merge_fields}
                if status is not None and status != existing["status"]:
                    existing["status"] = status
                existing["last_changed"] = _now()
                return "updated", self._member_json(audience, existing)
            initial = status or status_if_new
            if initial is None:
                raise ApiProblem(400, "Invalid Resource", "The resource submitted could not be validated: status is required.")
            member = self._member_new(audience, email, initial, merge_fields)
            return "created", self._member_json(audience, member)

    def batch_members(self, list_id: str, body: dict[str, Any]) -> dict[str, Any]:
        members = body.get("members")
        if not isinstance(members, list):
            raise ApiProblem(400, "Invalid Resource", "The resource submitted could not be validated: members is required.")
        if len(members) > MAX_BATCH:
            raise ApiProblem(400, "Invalid Resource", f"You can add or update at most {MAX_BATCH} members per request.")
        update_existing = bool(body.get("update_existing", False))
        created, updated, errors = [], [], []
        for item in members:
            email = item.get("email_address", "") if isinstance(item, dict) else ""
            try:
                outcome, member = self.member_upsert(list_id, item, update_existing=update_existing)
            except ApiProblem as problem:
                code = "ERROR_CONTACT_EXISTS" if problem.title == "Member Exists" else "ERROR_GENERIC"
                errors.append(
                    {"email_address": email, "error": problem.detail, "error_code": code, "field": "", "field_message": ""}
                )
                continue
            (created if outcome == "created" else updated).append(member)
        return {
            "new_members": created,
            "updated_members": updated,
            "errors": errors,
            "total_created": len(created),
            "total_updated": len(updated),
            "error_count": len(errors),
            "_links": [],
        }

    def member_get(self, list_id: str, key: str) -> dict[str, Any]:
        with self.lock:
            audience = self.audience(list_id)
            member = audience.members.get(key)
            if member is None:
                raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")
            return self._member_json(audience, member)

    def member_patch(self, list_id: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            audience = self.audience(list_id)
            member = audience.members.get(key)
            if member is None:
                raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")
            if body.get("status") in STATUSES:
                member["status"] = body["status"]
            if isinstance(body.get("merge_fields"), dict):
                member["merge_fields"] = {**member["merge_fields"], **body["merge_fields"]}
            member["last_changed"] = _now()
            return self._member_json(audience, member)

    def members_list(self, list_id: str, *, count: int, offset: int, status: str | None) -> dict[str, Any]:
        with self.lock:
            audience = self.audience(list_id)
            members = [m for m in audience.members.values() if status is None or m["status"] == status]
            page = [self._member_json(audience, m) for m in members[offset : offset + count]]
            return {"members": page, "list_id": list_id, "total_items": len(members), "_links": []}

    # ------------------------------------------------------------ segments

    def _segment_json(self, audience: _List, segment: _Segment) -> dict[str, Any]:
        return {
            "id": segment.id,
            "name": segment.name,
            "member_count": len(segment.members),
            "type": "static",
            "created_at": segment.created_at,
            "updated_at": segment.updated_at,
            "options": {"match": "any", "conditions": []},
            "list_id": audience.id,
            "_links": [],
        }

    def _segment(self, audience: _List, segment_id: int) -> _Segment:
        segment = audience.segments.get(segment_id)
        if segment is None:
            raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")
        return segment

    def _name_check(self, audience: _List, name: Any, *, exclude: int | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise ApiProblem(400, "Invalid Resource", "The resource submitted could not be validated: name is required.")
        if len(name) > 100:
            raise ApiProblem(400, "Invalid Resource", "The segment name must be at most 100 characters.")
        for other in audience.segments.values():
            if other.id != exclude and other.name == name:
                raise ApiProblem(400, "Invalid Resource", f"Sorry, a tag or segment named '{name}' already exists.")
        return name

    def segment_create(self, list_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            audience = self.audience(list_id)
            name = self._name_check(audience, body.get("name"))
            now = _now()
            segment = _Segment(id=next(self._segment_ids), name=name, created_at=now, updated_at=now)
            for email in body.get("static_segment") or []:
                key = subscriber_hash(email)
                if key in audience.members:
                    segment.members[key] = None
            audience.segments[segment.id] = segment
            return self._segment_json(audience, segment)

    def segment_update(self, list_id: str, segment_id: int, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            audience = self.audience(list_id)
            segment = self._segment(audience, segment_id)
            segment.name = self._name_check(audience, body.get("name"), exclude=segment_id)
            segment.updated_at = _now()
            return self._segment_json(audience, segment)

    def segment_delete(self, list_id: str, segment_id: int) -> None:
        with self.lock:
            audience = self.audience(list_id)
            self._segment(audience, segment_id)
            del audience.segments[segment_id]

    def segment_get(self, list_id: str, segment_id: int) -> dict[str, Any]:
        with self.lock:
            audience = self.audience(list_id)
            return self._segment_json(audience, self._segment(audience, segment_id))

    def segments_list(self, list_id: str, *, count: int, offset: int) -> dict[str, Any]:
        with self.lock:
            audience = self.audience(list_id)
            segments = list(audience.segments.values())
            page = [self._segment_json(audience, s) for s in segments[offset : offset + count]]
            return {"segments": page, "list_id": list_id, "total_items": len(segments), "_links": []}

    def segment_batch(self, list_id: str, segment_id: int, body: dict[str, Any]) -> dict[str, Any]:
        to_add = body.get("members_to_add") or []
        to_remove = body.get("members_to_remove") or []
        if not isinstance(to_add, list) or not isinstance(to_remove, list):
            raise ApiProblem(400, "Invalid Resource", "members_to_add and members_to_remove must be arrays.")
        if len(to_add) > MAX_BATCH or len(to_remove) > MAX_BATCH:
            raise ApiProblem(400, "Invalid Resource", f"At most {MAX_BATCH} members can be sent per array.")
        with self.lock:
            audience = self.audience(list_id)
            segment = self._segment(audience, segment_id)
            added, removed, missing = [], [], []
            for email in to_add:
                key = subscriber_hash(email)
                member = audience.members.get(key)
                if member is None:
                    missing.append(email)
                elif key not in segment.members:
                    segment.members[key] = None
                    added.append(member)
            for email in to_remove:
                key = subscriber_hash(email)
                if key in segment.members:
                    del segment.members[key]
                    removed.append(audience.members[key])
            if added or removed:
                segment.updated_at = _now()
            errors = []
            if missing:
                errors.append({"email_addresses": missing, "error": "Email addresses are not members of this list."})
            return {
                "members_added": [self._member_json(audience, m) for m in added],
                "members_removed": [self._member_json(audience, m) for m in removed],
                "errors": errors,
                "total_added": len(added),
                "total_removed": len(removed),
                "error_count": sum(len(e["email_addresses"]) for e in errors),
                "_links": [],
            }

    def segment_members(
        self, list_id: str, segment_id: int, *, count: int, offset: int, include_unsubscribed: bool, include_cleaned: bool
    ) -> dict[str, Any]:
        with self.lock:
            audience = self.audience(list_id)
            segment = self._segment(audience, segment_id)
            hidden = set()
            if not include_unsubscribed:
                hidden.add("unsubscribed")
            if not include_cleaned:
                hidden.add("cleaned")
            members = [audience.members[key] for key in segment.members if audience.members[key]["status"] not in hidden]
            page = [self._member_json(audience, m) for m in members[offset : offset + count]]
            return {"members": page, "total_items": len(members), "_links": []}

    # ------------------------------------------------------------ inspection

    def tag_emails(self, list_id: str, name: str) -> set[str]:
        """Lower-cased emails in the tag called `name` (test assertions)."""
        with self.lock:
            audience = self.audience(list_id)
            for segment in audience.segments.values():
                if segment.name == name:
                    return {audience.members[key]["email_address"].lower() for key in segment.members}
            raise KeyError(name)

    def snapshot(self) -> dict[str, Any]:
        """Everything, as plain data: members by email and tags by name (comparisons across runs)."""
        with self.lock:
            lists = {}
            for audience in self.lists.values():
                lists[audience.id] = {
                    "members": {
                        m["email_address"].lower(): {"status": m["status"], "merge_fields": dict(m["merge_fields"])}
                        for m in audience.members.values()
                    },
                    "tags": {
                        s.name: sorted(audience.members[key]["email_address"].lower() for key in s.members)
                        for s in audience.segments.values()
                    },
                }
            return lists


def _project(document: Any, paths: list[str]) -> Any:
    """Mailchimp's `fields=a.b,c` projection (dot paths into objects and arrays of objects)."""
    if not paths:
        return document
    if isinstance(document, list):
        return [_project(item, paths) for item in document]
    if not isinstance(document, dict):
        return document
    tree: dict[str, list[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        tree.setdefault(head, [])
        if rest:
            tree[head].append(rest)
    return {key: _project(document[key], rest) for key, rest in tree.items() if key in document}


class MailchimpStandin:
    """The server: start it on 127.0.0.1 (port 0 = a free port), point the client at `.url`."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0,
                 max_connections: int = MAX_CONCURRENT_CONNECTIONS) -> None:
        self.state = StandinState()
        self.latency = latency
        self.max_connections = max_connections
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self.peak_concurrency = 0
        self.refused_connections = 0
        self._active = 0
        self._lock = threading.Lock()
        self._server = _Server((host, port), _Handler)
        self._server.standin = self
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------- life cycle

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The API root to use as the client's host."""
        return f"http://{self._server.server_address[0]}:{self.port}/3.0"

    def start(self) -> MailchimpStandin:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="mailchimp-standin", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> MailchimpStandin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------- fault control

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def reset(self) -> None:
        """Forget state, faults and recorded calls."""
        self.state.reset()
        with self._lock:
            self.faults.clear()
            self.calls.clear()
            self.peak_concurrency = 0
            self.refused_connections = 0

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()
            self.peak_concurrency = 0
            self.refused_connections = 0

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    # ----------------------------------------------------------- recording

    def call_list(self, *, method: str | None = None, path: str | None = None) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [
            c for c in calls
            if (method is None or c.method == method) and (path is None or re.search(path, c.path))
        ]

    def stats(self) -> dict[str, Any]:
        """Counts only (cheap for large audiences): calls by method, concurrency, members and tag sizes."""
        calls = self.call_list()
        with self.state.lock:
            lists = {
                audience.id: {
                    "members": len(audience.members),
                    "statuses": dict(Counter(m["status"] for m in audience.members.values())),
                    "tags": {segment.name: len(segment.members) for segment in audience.segments.values()},
                }
                for audience in self.state.lists.values()
            }
        return {
            "calls": dict(Counter(call.method for call in calls)),
            "peak_concurrency": self.peak_concurrency,
            "refused_connections": self.refused_connections,
            "lists": lists,
        }

    @property
    def write_calls(self) -> list[Call]:
        return [c for c in self.call_list() if c.method != "GET"]

    def _enter(self) -> bool:
        with self._lock:
            self._active += 1
            self.peak_concurrency = max(self.peak_concurrency, self._active)
            if self._active > self.max_connections:
                self.refused_connections += 1
                return False
            return True

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True
    standin: MailchimpStandin


_ROUTES: list[tuple[str, re.Pattern[str]]] = [
    ("ping", re.compile(r"^/3\.0/ping/?$")),
    ("list", re.compile(r"^/3\.0/lists/(?P<list_id>[^/]+)/?$")),
    ("members", re.compile(r"^/3\.0/lists/(?P<list_id>[^/]+)/members/?$")),
    ("member", re.compile(r"^/3\.0/lists/(?P<list_id>[^/]+)/members/(?P<key>[^/]+)/?$")),
    ("segments", re.compile(r"^/3\.0/lists/(?P<list_id>[^/]+)/segments/?$")),
    ("segment", re.compile(r"^/3\.0/lists/(?P<list_id>[^/]+)/segments/(?P<segment_id>\d+)/?$")),
    ("segment_members", re.compile(r"^/3\.0/lists/(?P<list_id>[^/]+)/segments/(?P<segment_id>\d+)/members/?$")),
    ("control", re.compile(r"^/_standin/(?P<action>state|stats|reset|reset_calls|faults|members)/?$")),
]


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name) or ["false"])[0].lower() in ("true", "1", "yes")


def _int(query: dict[str, list[str]], name: str, default: int, *, maximum: int | None = None) -> int:
    try:
        value = int((query.get(name) or [str(default)])[0])
    except ValueError:
        raise ApiProblem(400, "Invalid Resource", f"'{name}' must be an integer.") from None
    if value < 0 or (maximum is not None and value > maximum):
        raise ApiProblem(400, "Invalid Resource", f"'{name}' must be between 0 and {maximum}.")
    return value


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "MailchimpStandin/1.0"
    # Buffered: the answer leaves only when the handler returns, after the call stopped counting as
    # active. Unbuffered, a client could read the answer and send its next call before `_leave`, and
    # the stand-in would count one connection too many.
    wbufsize = -1

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # --------------------------------------------------------------- core

    def _handle(self, method: str) -> None:
        standin = self.server.standin
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path.startswith("/_standin/"):
            self._control(method, path, raw)
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = _UNREADABLE
        call = Call(method=method, path=path, query=query, body=None if body is _UNREADABLE else body)
        standin._record(call)  # on arrival: a call still being answered (or hanging) is already visible
        admitted = standin._enter()
        try:
            if not admitted:
                call.status = 429
                self._problem(429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections.")
                return
            if body is _UNREADABLE:
                call.status = 400
                self._problem(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.")
                return
            if standin.latency:
                time.sleep(standin.latency)
            fault = standin._fault_for(method, path)
            if fault is not None and fault.hang:
                time.sleep(fault.hang)
            if fault is not None and not fault.apply:
                call.status = fault.status
                self._fault(fault)
                return
            try:
                status, document = self._dispatch(method, path, query, call.body)
            except ApiProblem as problem:
                call.status = fault.status if fault is not None else problem.status
                if fault is not None:
                    self._fault(fault)
                else:
                    self._problem(problem.status, problem.title, problem.detail)
                return
            call.status = fault.status if fault is not None else status
            if fault is not None:
                self._fault(fault)
                return
            fields = [f for value in query.get("fields", []) for f in value.split(",") if f]
            self._json(status, _project(document, fields) if document is not None else None)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its time-out); the work above stands, as at Mailchimp
        finally:
            standin._leave()

    def _dispatch(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        state = self.server.standin.state
        for name, pattern in _ROUTES:
            match = pattern.match(path)
            if match:
                break
        else:
            raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")
        params = match.groupdict()
        if body is not None and not isinstance(body, dict):
            raise ApiProblem(400, "Invalid Resource", "The request body must be a JSON object.")
        body = body or {}
        list_id = params.get("list_id", "")
        if name == "ping" and method == "GET":
            return 200, {"health_status": "Everything's Chimpy!"}
        if name == "list" and method == "POST":
            return 200, state.batch_members(list_id, body)
        if name == "members" and method == "GET":
            status = (query.get("status") or [None])[0]
            return 200, state.members_list(
                list_id, count=_int(query, "count", 10, maximum=MAX_PAGE), offset=_int(query, "offset", 0), status=status
            )
        if name == "member":
            key = params["key"].lower()
            if "@" in key:
                key = subscriber_hash(key)
            if method == "GET":
                return 200, state.member_get(list_id, key)
            if method == "PUT":
                if subscriber_hash(body.get("email_address", "")) != key:
                    raise ApiProblem(400, "Invalid Resource", "The subscriber hash does not match the email address.")
                return 200, state.member_upsert(list_id, body)[1]
            if method == "PATCH":
                return 200, state.member_patch(list_id, key, body)
        if name == "segments":
            if method == "GET":
                return 200, state.segments_list(
                    list_id, count=_int(query, "count", 10, maximum=MAX_PAGE), offset=_int(query, "offset", 0)
                )
            if method == "POST":
                return 200, state.segment_create(list_id, body)
        if name == "segment":
            segment_id = int(params["segment_id"])
            if method == "GET":
                return 200, state.segment_get(list_id, segment_id)
            if method == "PATCH":
                return 200, state.segment_update(list_id, segment_id, body)
            if method == "POST":
                return 200, state.segment_batch(list_id, segment_id, body)
            if method == "DELETE":
                state.segment_delete(list_id, segment_id)
                return 204, None
        if name == "segment_members" and method == "GET":
            return 200, state.segment_members(
                list_id, int(params["segment_id"]),
                count=_int(query, "count", 10, maximum=MAX_PAGE), offset=_int(query, "offset", 0),
                include_unsubscribed=_flag(query, "include_unsubscribed"), include_cleaned=_flag(query, "include_cleaned"),
            )
        raise ApiProblem(405, "Method Not Allowed", f"The requested method and resource are not compatible: {method} {path}.")

    # ------------------------------------------------------------ control

    def _control(self, method: str, path: str, raw: bytes) -> None:
        standin = self.server.standin
        action = path.strip("/").split("/")[-1]
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            self._problem(400, "JSON Parse Error", "The control request body is not JSON.")
            return
        if action == "state" and method == "GET":
            self._json(200, {
                "lists": standin.state.snapshot(), "calls": len(standin.calls),
                "peak_concurrency": standin.peak_concurrency, "refused_connections": standin.refused_connections,
            })
        elif action == "stats" and method == "GET":
            self._json(200, standin.stats())
        elif action == "reset_calls" and method == "POST":
            standin.reset_calls()
            self._json(200, {"reset_calls": True})
        elif action == "reset" and method == "POST":
            standin.reset()
            self._json(200, {"reset": True})
        elif action == "faults" and method == "POST":
            try:
                if "latency" in body:
                    standin.latency = float(body["latency"])
                standin.inject(*(Fault(**fault) for fault in body.get("faults", [])))
                standin.state.member_errors.update({k.lower(): v for k, v in body.get("member_errors", {}).items()})
            except (TypeError, ValueError) as exc:
                self._problem(400, "Invalid Resource", str(exc))
                return
            self._json(200, {"faults": len(standin.faults), "latency": standin.latency})
        elif action == "members" and method == "POST":
            try:
                member = standin.state.member_seed(
                    body["list_id"], body["email_address"], status=body.get("status", "subscribed"),
                    merge_fields=body.get("merge_fields"),
                )
            except KeyError as exc:
                self._problem(400, "Invalid Resource", f"missing {exc}")
                return
            self._json(200, member)
        else:
            self._problem(405, "Method Not Allowed", f"{method} {path}")

    # ------------------------------------------------------------ answers

    def _send(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.close_connection = True

    def _json(self, status: int, document: Any) -> None:
        body = b"" if document is None else json.dumps(document).encode()
        self._send(status, body, "application/json; charset=utf-8" if body else None)

    def _problem(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        document = {
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": str(uuid.uuid4()),
        }
        self._send(status, json.dumps(document).encode(), "application/problem+json; charset=utf-8", headers)

    def _fault(self, fault: Fault) -> None:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.empty_body:
            self._send(fault.status, b"", None, headers)
            return
        try:
            title = HTTPStatus(fault.status).phrase
        except ValueError:
            title = "Error"
        detail = (
            "You have exceeded the limit of 10 simultaneous connections."
            if fault.status == 429 else "An unexpected internal error has occurred. Please contact Support for more information."
        )
        self._problem(fault.status, title, detail, headers)
