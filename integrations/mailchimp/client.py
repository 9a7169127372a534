"""The one module that talks to `mailchimp_marketing`: calls, retries, errors, answers as dataclasses.

The official client builds URLs from `api_client.host` ("https://server.api.mailchimp.com/3.0",
with "server" replaced by the data centre). For the local stand-in the host is set to
the stand-in's URL; everything else (request building, JSON, the `requests` call) is
the library's own.

Quirks of the library handled here (spec mailchimp.md):
- an error answer raises `ApiClientError` whose `.text` is the raw problem document
  (a JSON string, because Mailchimp answers `application/problem+json`), or the parsed
  dict for `application/json`, or the `requests` exception itself;
- a time-out or connection failure raises `ApiClientError` without `status_code`;
- an answer with an empty body (or no content type) is returned as the `requests.Response`
  object, also for non-2xx statuses;
- the response headers (Retry-After) are not exposed, so the client's `request` method is
  wrapped to remember the last response of this client (one client per thread).

429, 5xx, time-outs and connection failures are retried with exponential backoff and
jitter, honouring Retry-After; at most 10 calls are in flight per process (Mailchimp
allows 10 simultaneous connections per account).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import mailchimp_marketing
from mailchimp_marketing.api_client import ApiClientError

from integrations.mailchimp.conf import MAX_BATCH, MAX_CONNECTIONS, MAX_PAGE, MailchimpSettings, mailchimp_settings
from integrations.mailchimp.consent import email_normalize
from integrations.mailchimp.exceptions import (
    MailchimpError,
    MailchimpNotFoundError,
    MailchimpPermanentError,
    MailchimpTransientError,
)

logger = logging.getLogger(__name__)

# Mailchimp allows 10 simultaneous connections per account; never more from one process.
_CONNECTION_SLOTS = threading.BoundedSemaphore(MAX_CONNECTIONS)

# Per-member errors that no retry will fix (matched case-insensitively in the error text).
_PERMANENT_MEMBER_ERRORS = (
    "compliance state",
    "forgotten email",
    "permanently deleted",
    "fake or invalid",
    "invalid email",
    "valid email address",
    "invalid resource",
)


def subscriber_hash(email: str) -> str:
    """MD5 of the lower-cased email: the member's id in Mailchimp."""
    return hashlib.md5(email_normalize(email).encode()).hexdigest()


def member_error_is_permanent(message: str) -> bool:
    text = (message or "").lower()
    return any(marker in text for marker in _PERMANENT_MEMBER_ERRORS)


@dataclass(frozen=True)
class MemberInfo:
    email: str  # lower-cased
    status: str
    merge_fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberError:
    email: str  # lower-cased
    message: str
    code: str = ""
    permanent: bool = False


@dataclass(frozen=True)
class UpsertResult:
    created: list[MemberInfo]
    updated: list[MemberInfo]
    errors: list[MemberError]


@dataclass(frozen=True)
class TagBatchResult:
    added: int
    removed: int
    errors: list[MemberError]


@dataclass(frozen=True)
class TagInfo:
    id: int
    name: str
    member_count: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter (attempt 1 = the first retry); never shorter than Retry-After."""
        backoff = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        jittered = backoff * random.uniform(0.5, 1.0)
        return max(jittered, retry_after or 0.0)


def _problem(text: Any) -> dict[str, Any]:
    """The problem document of an error answer, whatever form the library left it in."""
    if isinstance(text, dict):
        return text
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    if isinstance(text, str):
        try:
            document = json.loads(text)
        except ValueError:
            return {"detail": text}
        return document if isinstance(document, dict) else {"detail": text}
    return {"detail": str(text)}


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


def _error_for(status: int | None, document: dict[str, Any], *, retry_after: float | None, what: str) -> MailchimpError:
    title = str(document.get("title", ""))
    detail = str(document.get("detail", ""))
    message = f"{what}: {status or 'no answer'} {title} {detail}".strip()
    if status is None or status == 429 or status >= 500:
        return MailchimpTransientError(message, status=status, title=title, detail=detail, retry_after=retry_after)
    if status == 404:
        return MailchimpNotFoundError(message, status=status, title=title, detail=detail)
    return MailchimpPermanentError(message, status=status, title=title, detail=detail)


class MailchimpClient:
    """One audience, one `mailchimp_marketing.Client`; not shared between threads."""

    def __init__(
        self,
        *,
        api_key: str,
        server: str,
        list_id: str,
        host: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.list_id = list_id
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._client = mailchimp_marketing.Client()
        self._client.set_config({"api_key": api_key, "server": server, "timeout": timeout})
        if host:
            self._client.api_client.host = host.rstrip("/")
        self._last_response: Any = None
        send = self._client.api_client.request

        def observed_request(*args: Any, **kwargs: Any) -> Any:
            response = send(*args, **kwargs)
            self._last_response = response
            return response

        self._client.api_client.request = observed_request

    # ------------------------------------------------------------- calling

    def _call(self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._once(what, method, *args, **kwargs)
            except MailchimpTransientError as error:
                if attempt >= self.retry.max_attempts:
                    raise
                delay = self.retry.delay(attempt, error.retry_after)
                logger.info("Mailchimp %s failed (%s); retry %d in %.2fs", what, error.message, attempt, delay)
                self._sleep(delay)

    def _once(self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._last_response = None
        with _CONNECTION_SLOTS:
            try:
                answer = method(*args, **kwargs)
            except ApiClientError as exc:
                # No status code: the request never got an answer (time-out, refused connection).
                raise _error_for(
                    exc.status_code, _problem(exc.text), retry_after=_retry_after(self._last_response), what=what
                ) from None
        if hasattr(answer, "status_code") and hasattr(answer, "ok"):
            # The library hands back the Response when the body is empty or not JSON.
            if not answer.ok:
                raise _error_for(answer.status_code, _problem(answer.text), retry_after=_retry_after(answer), what=what)
            try:
                return answer.json() if answer.content else {}
            except ValueError:
                raise MailchimpTransientError(f"{what}: unreadable answer", status=answer.status_code) from None
        if not isinstance(answer, dict):
            # A 2xx answer that is not JSON (a proxy's page, say): the library passes the text on.
            document = _problem(answer)
            if "detail" in document and len(document) == 1:
                raise MailchimpTransientError(f"{what}: unreadable answer: {str(answer)[:200]}")
            return document
        return answer

    # ------------------------------------------------------------ health

    def ping(self) -> dict[str, Any]:
        return self._call("ping", self._client.ping.get)

    # ----------------------------------------------------------- members

    def member_get(self, *, email: str) -> MemberInfo | None:
        """The member, or None when the audience has no such email."""
        try:
            answer = self._call(
                "get member", self._client.lists.get_list_member, self.list_id, subscriber_hash(email),
                fields=["email_address", "status", "merge_fields"],
            )
        except MailchimpNotFoundError:
            return None
        return _member_info(answer)

    def members_page(self, *, offset: int, count: int = MAX_PAGE) -> tuple[list[MemberInfo], int]:
        """One page of the whole audience (every status): (members, total)."""
        answer = self._call(
            "list members", self._client.lists.get_list_members_info, self.list_id,
            count=min(count, MAX_PAGE), offset=offset,
            fields=["members.email_address", "members.status", "members.merge_fields", "total_items"],
        )
        return [_member_info(item) for item in answer.get("members", [])], int(answer.get("total_items", 0))

    def members_upsert(self, *, members: list[dict[str, Any]]) -> UpsertResult:
        """Batch upsert (<= 500). The caller decides the member bodies; `update_existing` updates merge fields."""
        if len(members) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} members per batch")
        answer = self._call(
            "batch upsert members", self._client.lists.batch_list_members, self.list_id,
            {"members": members, "update_existing": True},
        )
        errors = [
            MemberError(
                email=email_normalize(item.get("email_address", "")),
                message=str(item.get("error", "")),
                code=str(item.get("error_code", "")),
                permanent=member_error_is_permanent(str(item.get("error", ""))),
            )
            for item in answer.get("errors") or []
        ]
        return UpsertResult(
            created=[_member_info(item) for item in answer.get("new_members") or []],
            updated=[_member_info(item) for item in answer.get("updated_members") or []],
            errors=errors,
        )

    # -------------------------------------------------------------- tags

    def tags_page(self, *, offset: int, count: int = MAX_PAGE) -> tuple[list[TagInfo], int]:
        answer = self._call(
            "list segments", self._client.lists.list_segments, self.list_id,
            type="static", count=min(count, MAX_PAGE), offset=offset,
            fields=["segments.id", "segments.name", "segments.member_count", "total_items"],
        )
        tags = [TagInfo(int(s["id"]), str(s["name"]), int(s.get("member_count") or 0)) for s in answer.get("segments", [])]
        return tags, int(answer.get("total_items", 0))

    def tag_find(self, *, name: str) -> TagInfo | None:
        offset = 0
        while True:
            tags, total = self.tags_page(offset=offset)
            for tag in tags:
                if tag.name == name:
                    return tag
            offset += len(tags)
            if not tags or offset >= total:
                return None

    def tag_create(self, *, name: str) -> TagInfo:
        answer = self._call(
            "create segment", self._client.lists.create_segment, self.list_id, {"name": name, "static_segment": []}
        )
        return TagInfo(int(answer["id"]), str(answer["name"]), int(answer.get("member_count") or 0))

    def tag_rename(self, *, tag_id: int, name: str) -> TagInfo:
        answer = self._call("rename segment", self._client.lists.update_segment, self.list_id, tag_id, {"name": name})
        return TagInfo(int(answer["id"]), str(answer["name"]), int(answer.get("member_count") or 0))

    def tag_members_page(self, *, tag_id: int, offset: int, count: int = MAX_PAGE) -> tuple[list[MemberInfo], int]:
        """One page of a tag's members, unsubscribed and cleaned ones included: (members, total)."""
        answer = self._call(
            "list segment members", self._client.lists.get_segment_members_list, self.list_id, tag_id,
            count=min(count, MAX_PAGE), offset=offset, include_unsubscribed=True, include_cleaned=True,
            fields=["members.email_address", "members.status", "members.merge_fields", "total_items"],
        )
        return [_member_info(item) for item in answer.get("members", [])], int(answer.get("total_items", 0))

    def tag_members_iter(self, *, tag_id: int) -> Iterator[MemberInfo]:
        offset = 0
        while True:
            members, total = self.tag_members_page(tag_id=tag_id, offset=offset)
            yield from members
            offset += len(members)
            if not members or offset >= total:
                return

    def tag_update(self, *, tag_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()) -> TagBatchResult:
        """Add and remove members of a static segment (<= 500 each); adding a present or removing an absent one is a no-op."""
        if len(add) > MAX_BATCH or len(remove) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} members to add and to remove per call")
        body: dict[str, Any] = {}
        if add:
            body["members_to_add"] = list(add)
        if remove:
            body["members_to_remove"] = list(remove)
        answer = self._call(
            "batch segment members", self._client.lists.batch_segment_members, body, self.list_id, tag_id
        )
        errors = []
        for item in answer.get("errors") or []:
            message = str(item.get("error", ""))
            for email in item.get("email_addresses") or []:
                errors.append(MemberError(email=email_normalize(email), message=message, permanent=member_error_is_permanent(message)))
        return TagBatchResult(
            added=int(answer.get("total_added") or 0), removed=int(answer.get("total_removed") or 0), errors=errors
        )


def _member_info(item: dict[str, Any]) -> MemberInfo:
    return MemberInfo(
        email=email_normalize(item.get("email_address", "")),
        status=str(item.get("status", "")),
        merge_fields=dict(item.get("merge_fields") or {}),
    )


# ------------------------------------------------------------------ factory

_embedded_lock = threading.Lock()
_embedded_standin: Any = None


def embedded_standin_url() -> str:
    """Start the local stand-in in this process on first use (embedded mode) and return its URL."""
    global _embedded_standin
    with _embedded_lock:
        if _embedded_standin is None:
            from integrations.mailchimp.standin import MailchimpStandin

            _embedded_standin = MailchimpStandin().start()
            logger.warning("Mailchimp: no MAILCHIMP_API_KEY, using the local stand-in at %s", _embedded_standin.url)
        return _embedded_standin.url


def mailchimp_client(*, conf: MailchimpSettings | None = None) -> MailchimpClient:
    """A client for the configured audience: Mailchimp with an API key, else the local stand-in."""
    conf = conf or mailchimp_settings()
    retry = RetryPolicy(
        max_attempts=conf.max_attempts, base_seconds=conf.retry_base_seconds, max_seconds=conf.retry_max_seconds
    )
    if conf.uses_standin:
        host = conf.standin_url or embedded_standin_url()
        return MailchimpClient(api_key="", server="standin", list_id=conf.list_id, host=host, timeout=conf.timeout, retry=retry)
    server = conf.server or (conf.api_key.rsplit("-", 1)[-1] if "-" in conf.api_key else "")
    return MailchimpClient(api_key=conf.api_key, server=server, list_id=conf.list_id, timeout=conf.timeout, retry=retry)
