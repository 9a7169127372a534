"""A segment refresh under real PostgreSQL faults: a lost connection, a twin refresh, readers, a killed worker.

Each test moves contacts so that the refresh of the Dutch segment has leavers and joiners,
and compares the end state with a reference segment of the same rule that was refreshed
once without any fault. Other sessions are real: threads on their own connections, a
backend ended by `pg_terminate_backend`, a worker process killed with SIGKILL while its
write transaction is open.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import OperationalError, connection, connections, transaction
from django.db.models import F, Sum

from accounts.models import Company
from segments import services
from segments.models import MembershipEvent, RefreshRun, Segment, SegmentMembership
from segments.selectors import (
    contact_segment_ids,
    contact_segment_list,
    segment_member_list,
)
from segments.services import (
    REFRESH_INTERRUPTED,
    REFRESH_LOCK_SECONDS,
    refresh_lock_key,
    refresh_runs_interrupted_mark,
    segment_refresh,
    segment_refresh_enqueue,
    segment_save,
    segments_mark_dirty,
    segments_refresh_all,
)
from segments.tasks import segment_refresh_task
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.reliability.processes import sigkill_at

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: concurrent sessions, row locks, pg_terminate_backend (CI runs on PostgreSQL)",
    ),
    pytest.mark.django_db(transaction=True),
]

NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
LATER = NOW + datetime.timedelta(minutes=15)
DUTCH = {"field": "company.country", "op": "eq", "value": "NL"}
# A thread or process that does not finish by then is stuck: fail instead of hanging the suite.
STUCK_SECONDS = 60
# How libpq reports a session the server ended.
CONNECTION_LOST = "server closed the connection|terminating connection"


@dataclass(frozen=True)
class Moved:
    """The Dutch segment after contacts moved country, and its reference (same rule, refreshed once since)."""

    segment_id: int
    reference_id: int
    stays: frozenset[int]
    leaves: frozenset[int]
    joins: frozenset[int]

    @property
    def old(self) -> frozenset[int]:
        return self.stays | self.leaves

    @property
    def new(self) -> frozenset[int]:
        return self.stays | self.joins


@pytest.fixture
def moved() -> Moved:
    """Three Dutch contacts stay, two move to Belgium, two Belgians move to the Netherlands (an ERP import)."""
    stays = [ContactFactory(company=CompanyFactory(country="NL")) for _ in range(3)]
    leaves = [ContactFactory(company=CompanyFactory(country="NL")) for _ in range(2)]
    joins = [ContactFactory(company=CompanyFactory(country="BE")) for _ in range(2)]
    ContactFactory(company=CompanyFactory(country="BE"))  # never a member
    segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH, refresh=False)
    reference = segment_save(name="Dutch (reference)", slug="dutch-reference", rule=DUTCH, refresh=False)
    for refreshed in (segment, reference):
        segment_refresh(segment_id=refreshed.pk, now=NOW)
    Company.objects.filter(pk__in=[contact.company_id for contact in leaves]).update(country="BE")
    Company.objects.filter(pk__in=[contact.company_id for contact in joins]).update(country="NL")
    segments_mark_dirty(reason="ERP import")
    segment_refresh(segment_id=reference.pk, now=LATER)  # the uninterrupted refresh every test compares with
    return Moved(
        segment_id=segment.pk,
        reference_id=reference.pk,
        stays=frozenset(contact.pk for contact in stays),
        leaves=frozenset(contact.pk for contact in leaves),
        joins=frozenset(contact.pk for contact in joins),
    )


def _members(segment_id: int) -> frozenset[int]:
    return frozenset(SegmentMembership.objects.filter(segment_id=segment_id).values_list("contact_id", flat=True))


def _end_state(segment_id: int, *, with_times: bool = True) -> tuple:
    """What a refresh leaves: members, count, flag, every event (counted), the runs' summed counts.

    `with_times`: also when members joined, events happened and the segment was refreshed
    (the same when both refreshes evaluated at LATER; a task evaluates at the wall clock).
    """
    segment = Segment.objects.get(pk=segment_id)
    runs = RefreshRun.objects.filter(segment_id=segment_id).aggregate(joined=Sum("joined"), left=Sum("left"))
    member_fields = ("contact_id", "since") if with_times else ("contact_id",)
    event_fields = ("contact_id", "kind", "at") if with_times else ("contact_id", "kind")
    return (
        sorted(SegmentMembership.objects.filter(segment_id=segment_id).values_list(*member_fields)),
        (segment.member_count, segment.is_dirty, segment.last_refreshed_at if with_times else None),
        Counter(MembershipEvent.objects.filter(segment_id=segment_id).values_list(*event_fields)),
        (runs["joined"], runs["left"]),
    )


def _events(segment_id: int) -> Counter:
    return Counter(MembershipEvent.objects.filter(segment_id=segment_id).values_list("contact_id", "kind", "at"))


# ------------------------------------------------------------ other sessions


@dataclass
class Session:
    """Work running in a thread on its own database connection, i.e. another PostgreSQL session."""

    thread: threading.Thread | None = None
    connected: threading.Event = field(default_factory=threading.Event)
    backend_pid: int | None = None
    outcome: dict[str, Any] = field(default_factory=dict)

    def result(self) -> Any:
        assert self.thread is not None
        self.thread.join(timeout=STUCK_SECONDS)
        assert not self.thread.is_alive(), "the other session is stuck"
        if "error" in self.outcome:
            raise self.outcome["error"]
        return self.outcome["value"]


def _session_start(work: Callable[[], Any]) -> Session:
    session = Session()

    def run() -> None:
        try:
            connection.ensure_connection()
            session.backend_pid = connection.connection.get_backend_pid()
            session.connected.set()
            session.outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test by result())
            session.outcome["error"] = exc
        finally:
            session.connected.set()
            connections.close_all()  # the test database cannot be flushed while a session is open

    session.thread = threading.Thread(target=run)
    session.thread.start()
    return session


def _in_another_session(work: Callable[[], Any]) -> Any:
    return _session_start(work).result()


def _backend_terminate(backend_pid: int) -> bool:
    """What an operator, a fail-over or a network cut does to a session; waits until the backend has exited."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, %s)", [backend_pid, STUCK_SECONDS * 1000])
        return cursor.fetchone()[0]


def _wait_until_blocked_by_this_session(other: Session) -> None:
    """Until `other` waits for a lock this session holds (the segment row)."""
    assert other.connected.wait(timeout=STUCK_SECONDS)
    own_pid = connection.connection.get_backend_pid()
    deadline = time.monotonic() + STUCK_SECONDS
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT %s = ANY(pg_blocking_pids(%s))", [own_pid, other.backend_pid])
            if cursor.fetchone()[0]:
                return
            assert other.thread is not None and other.thread.is_alive(), f"the other refresh did not wait: {other.outcome}"
            assert time.monotonic() < deadline, "the other refresh never reached the segment's row lock"
            time.sleep(0.01)


@contextmanager
def _inside_the_write_transaction(action: Callable[[], Any]) -> Iterator[None]:
    """Run `action` once inside the refresh's write transaction, after the leavers' rows are deleted and before
    the joiners' rows are inserted (the moment a mix of old and new would be visible)."""
    real_insert = services._rows_insert
    done: list[bool] = []

    def insert(model, fields, rows):
        if model is SegmentMembership and not done:
            done.append(True)
            action()
        return real_insert(model, fields, rows)

    with mock.patch.object(services, "_rows_insert", side_effect=insert):
        yield
    assert done, "the refresh never reached its write transaction"


@contextmanager
def _while_evaluating(action: Callable[[], Any]) -> Iterator[None]:
    """Run `action` once while the refresh evaluates its rule (no transaction open, the cache lock held)."""
    real_compile = services.compile_rule
    done: list[bool] = []

    def compile_rule(*args, **kwargs):
        if not done:
            done.append(True)
            action()
        return real_compile(*args, **kwargs)

    with mock.patch.object(services, "compile_rule", side_effect=compile_rule):
        yield
    assert done, "the refresh never evaluated its rule"


# ------------------------------------------------------------ 1. connection lost


class ConnectionLostTests:
    def test_a_connection_lost_while_writing_keeps_the_old_membership_and_the_next_refresh_completes_it(self, moved):
        events_before = _events(moved.segment_id)
        seen: dict[str, Any] = {}

        def lose_the_connection() -> None:
            seen["backend"] = connection.connection.get_backend_pid()
            seen["terminated"] = _in_another_session(partial(_backend_terminate, seen["backend"]))
            seen["members"] = _in_another_session(partial(_members, moved.segment_id))

        with (
            _inside_the_write_transaction(lose_the_connection),
            pytest.raises(OperationalError, match=CONNECTION_LOST),
        ):
            segment_refresh(segment_id=moved.segment_id, now=LATER)

        assert seen["terminated"] is True
        assert seen["members"] == moved.old  # the leavers' deletes were never visible to another session
        assert _members(moved.segment_id) == moved.old  # rolled back by the server: the old set, complete
        assert _events(moved.segment_id) == events_before
        segment = Segment.objects.get(pk=moved.segment_id)
        assert (segment.member_count, segment.is_dirty, segment.last_refreshed_at) == (len(moved.old), True, NOW)
        failed = RefreshRun.objects.filter(segment_id=moved.segment_id).latest("pk")
        assert failed.status == RefreshRun.Status.FAILED and re.search(CONNECTION_LOST, failed.error)
        assert connection.connection.get_backend_pid() != seen["backend"]  # a new session recorded the failure

        results = segments_refresh_all(now=LATER)  # the next scheduled refresh

        assert [(r.segment_id, r.joined, r.left) for r in results if r.segment_id == moved.segment_id] == [
            (moved.segment_id, len(moved.joins), len(moved.leaves))
        ]
        assert _members(moved.segment_id) == moved.new
        assert _end_state(moved.segment_id) == _end_state(moved.reference_id)  # each change counted once

    def test_a_connection_lost_while_evaluating_the_rule_is_recorded_and_the_next_refresh_completes_it(self, moved):
        """Outside a transaction Django keeps the dead connection: the failure used to be lost with it."""
        terminated = []

        def lose_the_connection() -> None:
            pid = connection.connection.get_backend_pid()
            terminated.append(_in_another_session(partial(_backend_terminate, pid)))

        with (
            _while_evaluating(lose_the_connection),
            pytest.raises(OperationalError, match=CONNECTION_LOST),
        ):
            segment_refresh(segment_id=moved.segment_id, now=LATER)

        assert terminated == [True]
        failed = RefreshRun.objects.filter(segment_id=moved.segment_id).latest("pk")
        assert failed.status == RefreshRun.Status.FAILED and re.search(CONNECTION_LOST, failed.error)
        assert _members(moved.segment_id) == moved.old

        result = segment_refresh(segment_id=moved.segment_id, now=LATER)  # the same worker, the next task

        assert (result.status, result.joined, result.left) == (RefreshRun.Status.SUCCEEDED, 2, 2)
        assert _end_state(moved.segment_id) == _end_state(moved.reference_id)


# ------------------------------------------------------------ 2. two refreshes at once


class ConcurrentRefreshTests:
    def test_a_second_refresh_waits_for_the_row_lock_then_finds_nothing_to_write(self, moved):
        """The beat's path (no cache lock): the segment's row lock serialises the two writers."""
        second: list[Session] = []

        def second_refresh_starts() -> None:
            second.append(_session_start(partial(segment_refresh, segment_id=moved.segment_id, now=LATER)))
            _wait_until_blocked_by_this_session(second[0])

        with _inside_the_write_transaction(second_refresh_starts):
            first = segment_refresh(segment_id=moved.segment_id, now=LATER)
        waited = second[0].result()

        assert (first.status, first.joined, first.left) == (RefreshRun.Status.SUCCEEDED, 2, 2)
        assert (waited.status, waited.joined, waited.left, waited.member_count) == (
            RefreshRun.Status.SUCCEEDED, 0, 0, len(moved.new)
        )
        assert _end_state(moved.segment_id) == _end_state(moved.reference_id)

    @pytest.mark.parametrize(
        "cache_state, second_status",
        [("up", RefreshRun.Status.SKIPPED), ("down", RefreshRun.Status.SUCCEEDED)],
        ids=["cache-up-the-second-skips", "cache-down-the-second-waits"],
    )
    def test_two_refresh_tasks_at_once_write_the_difference_once(self, moved, request, cache_state, second_status):
        """The worker's path (`segment_refresh_task` with its queued run), as a save and a data change queue it.

        With the cache the second task starts while the first evaluates the rule, holding the
        cache lock: it skips at once. Without the cache it starts while the first writes: it
        waits for the segment's row (even to record its queued run, whose foreign key needs
        the row) and then finds nothing to write.
        """
        if cache_state == "down":
            request.getfixturevalue("cache_down")
        segment = Segment.objects.get(pk=moved.segment_id)
        second: list[Session] = []

        def second_task_starts() -> None:
            second.append(
                _session_start(partial(segment_refresh_enqueue, segment=segment, trigger=RefreshRun.Trigger.DATA_CHANGE))
            )
            if cache_state == "down":
                _wait_until_blocked_by_this_session(second[0])
            else:
                second[0].result()  # done while the first one still runs

        overlap = _while_evaluating if cache_state == "up" else _inside_the_write_transaction
        with overlap(second_task_starts):
            first_run = segment_refresh_enqueue(segment=segment, trigger=RefreshRun.Trigger.SAVE)  # eager: runs now
        second_run = second[0].result()

        first_run.refresh_from_db()
        second_run.refresh_from_db()
        assert (first_run.status, first_run.joined, first_run.left) == (RefreshRun.Status.SUCCEEDED, 2, 2)
        assert (second_run.status, second_run.joined, second_run.left) == (second_status, 0, 0)
        assert cache.get(refresh_lock_key(moved.segment_id)) is None
        assert _end_state(moved.segment_id, with_times=False) == _end_state(moved.reference_id, with_times=False)


# ------------------------------------------------------------ 3. buyers read during a refresh


class ReadersDuringRefreshTests:
    @pytest.mark.parametrize("cache_state", ["up", "down"], ids=["cache-up", "cache-down"])
    def test_readers_see_the_old_set_until_the_commit_then_the_new_one_never_a_mix(self, moved, request, cache_state):
        if cache_state == "down":
            request.getfixturevalue("cache_down")
        contact_ids = sorted(moved.old | moved.new)

        def read() -> dict[str, Any]:
            """The membership as the shop (a buyer's segments), the API and the admin (members, count) read it."""
            segment = Segment.objects.get(pk=moved.segment_id)
            members = segment_member_list(segment=segment)
            return {
                "shop": frozenset(c for c in contact_ids if moved.segment_id in contact_segment_ids(contact_id=c)),
                "contact segments": frozenset(
                    c for c in contact_ids if contact_segment_list(contact_id=c).filter(pk=moved.segment_id).exists()
                ),
                "members": frozenset(members.values_list("pk", flat=True)),
                "count": members.count(),
                "member_count": segment.member_count,
            }

        def as_read(members: frozenset[int]) -> dict[str, Any]:
            keys = ("shop", "contact segments", "members")
            return {**dict.fromkeys(keys, members), "count": len(members), "member_count": len(members)}

        assert _in_another_session(read) == as_read(moved.old)  # with the cache up this also fills it
        real_insert = services._rows_insert
        reads = []

        def read_then_insert(model, fields, rows):
            reads.append((model, _in_another_session(read)))
            return real_insert(model, fields, rows)

        with mock.patch.object(services, "_rows_insert", side_effect=read_then_insert):
            segment_refresh(segment_id=moved.segment_id, now=LATER)

        # After the leavers were deleted (joiners not yet inserted), and after the joiners were inserted.
        assert [model for model, _ in reads] == [SegmentMembership, MembershipEvent]
        assert [seen for _, seen in reads] == [as_read(moved.old)] * 2
        assert _in_another_session(read) == as_read(moved.new)  # committed: the new set, no stale cache
        assert _end_state(moved.segment_id) == _end_state(moved.reference_id)


# ------------------------------------------------------------ 4. a worker killed mid-refresh

WORKER = """
import sys, time
import django
django.setup()
from django.conf import settings
path, segment_id, run_id, cache_prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
settings.CACHES["default"]["KEY_PREFIX"] = cache_prefix  # the test's cache keys: the lock is left where it looks

from segments import services
from segments.tasks import segment_refresh_task, segments_refresh_all_task

real_insert = services._rows_insert

def insert_then_hang(model, fields, rows):
    if model is services.SegmentMembership:
        print("writing", flush=True)  # the leavers are deleted, the write transaction is open
        time.sleep(120)  # killed here
    return real_insert(model, fields, rows)

services._rows_insert = insert_then_hang
if path == "task":
    segment_refresh_task(segment_id=segment_id, trigger="data_change", run_id=run_id)
else:
    segments_refresh_all_task()
"""


def _worker_killed_while_writing(*, path: str, segment_id: int, run_id: int | None = None) -> None:
    """A worker process runs the refresh and is killed with SIGKILL inside its write transaction."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "b2bshop.settings",
        "CELERY_BROKER_URL": "memory://localhost/",
    }
    cache_prefix = django_settings.CACHES["default"].get("KEY_PREFIX", "")
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, path, str(segment_id), str(run_id or 0), cache_prefix],
        cwd=django_settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    sigkill_at(process, line_starts_with="writing\n", timeout=STUCK_SECONDS)  # a whole line: "writing" exactly
    # The server rolls the dead session back when it sees the socket closed; until then the row stays locked.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = %s", [f"{STUCK_SECONDS}s"])
        Segment.objects.select_for_update().get(pk=segment_id)


class KilledWorkerTests:
    def test_a_scheduled_refresh_killed_while_writing_leaves_the_old_set_and_the_next_one_completes_it(self, moved):
        events_before = _events(moved.segment_id)

        _worker_killed_while_writing(path="beat", segment_id=moved.segment_id)

        assert _members(moved.segment_id) == moved.old
        assert _events(moved.segment_id) == events_before
        assert Segment.objects.get(pk=moved.segment_id).is_dirty is True
        dead = RefreshRun.objects.get(segment_id=moved.segment_id, status=RefreshRun.Status.RUNNING)
        # A young run may belong to a refresh still evaluating its rule: it is left alone.
        assert refresh_runs_interrupted_mark(segment_id=moved.segment_id) == 0
        # Later than any refresh may take, the next scheduled refresh runs.
        age = datetime.timedelta(seconds=REFRESH_LOCK_SECONDS + 60)
        RefreshRun.objects.filter(pk=dead.pk).update(started_at=F("started_at") - age)

        results = segments_refresh_all(now=LATER)

        dead.refresh_from_db()
        assert (dead.status, dead.error, dead.joined, dead.left) == (RefreshRun.Status.FAILED, REFRESH_INTERRUPTED, 0, 0)
        assert dead.finished_at is not None
        assert [(r.joined, r.left) for r in results if r.segment_id == moved.segment_id] == [(2, 2)]
        assert _end_state(moved.segment_id) == _end_state(moved.reference_id)
        assert not RefreshRun.objects.filter(status=RefreshRun.Status.RUNNING).exists()

    def test_a_refresh_task_killed_while_writing_is_completed_by_its_redelivery(self, moved):
        """Celery delivers the task of a lost worker again (`reject_on_worker_lost`) with the same queued run."""
        events_before = _events(moved.segment_id)
        queued = RefreshRun.objects.create(
            segment_id=moved.segment_id, trigger=RefreshRun.Trigger.DATA_CHANGE, status=RefreshRun.Status.QUEUED
        )

        _worker_killed_while_writing(path="task", segment_id=moved.segment_id, run_id=queued.pk)

        assert _members(moved.segment_id) == moved.old
        assert _events(moved.segment_id) == events_before
        queued.refresh_from_db()
        assert queued.status == RefreshRun.Status.RUNNING
        # The dead worker's lock outlives it in the shared Redis cache (the suite's setting; a
        # process-local cache dies with the process).
        shared_cache = django_settings.CACHES["default"]["BACKEND"].startswith("django_redis")
        assert cache.get(refresh_lock_key(moved.segment_id)) == (f"run:{queued.pk}" if shared_cache else None)
        other = RefreshRun.objects.create(segment_id=moved.segment_id, status=RefreshRun.Status.QUEUED)
        if shared_cache:
            segment_refresh_task.delay(segment_id=moved.segment_id, run_id=other.pk)  # another run still skips
            other.refresh_from_db()
            assert (other.status, _members(moved.segment_id)) == (RefreshRun.Status.SKIPPED, moved.old)

        segment_refresh_task.delay(segment_id=moved.segment_id, trigger="data_change", run_id=queued.pk)  # redelivered

        queued.refresh_from_db()
        assert (queued.status, queued.joined, queued.left) == (RefreshRun.Status.SUCCEEDED, 2, 2)
        assert RefreshRun.objects.filter(segment_id=moved.segment_id).count() == 3  # the same run, no extra one
        assert cache.get(refresh_lock_key(moved.segment_id)) is None
        assert _end_state(moved.segment_id, with_times=False) == _end_state(moved.reference_id, with_times=False)
