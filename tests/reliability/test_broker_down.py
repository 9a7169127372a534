"""Redis down as the broker: requests answer normally, tasks that could not be queued wait in the outbox.

Celery runs as in production (not eager) against a broker on a closed port. Login, a cart
change, checkout, a segment save and a Mailchimp sync request all answer as usual; the
tasks they queue after commit land in `PendingTask`. When the broker is back,
`manage.py outbox_flush` queues them (eager here: they run in-process) and the end state
is the one a shop with a working broker reaches.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import Contact
from b2bshop.outbox.models import PendingTask
from b2bshop.outbox.services import outbox_flush
from b2bshop.tasks import outbox_flush_task
from integrations.erp.services import erp_import
from integrations.models import ImportRun, MailchimpSyncRun
from orders.models import Cart, Order
from segments.models import RefreshRun, Segment, SegmentMembership
from segments.services import contacts_reevaluate_enqueue
from segments.tasks import contacts_reevaluate_task
from tests.accounts.factories import ContactFactory
from tests.integrations.mailchimp.conftest import LIST_ID
from tests.integrations.mailchimp.factories import MailchimpSegmentSyncFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]

ORDERED = {"all": [{"field": "sales.order_count", "op": "gt", "value": 0, "window": "all_time"}]}
BIG_CART = {"all": [{"field": "cart.quantity", "op": "gt", "value": 3}]}


@pytest.fixture
def segments(shop_data):
    return {
        "ordered": SegmentFactory(slug="ordered", name="Ordered", rule=ORDERED),
        "big-cart": SegmentFactory(slug="big-cart", name="Big cart", rule=BIG_CART),
    }


def _memberships() -> set[tuple[str, str]]:
    return set(SegmentMembership.objects.values_list("segment__slug", "contact__email"))


def _buy(client, shop_data) -> Order:
    """Log in with the password, put 5 roses in the cart, check out: each step must answer normally."""
    response = client.post("/account/login/", {"username": "anna@a.example", "password": "buyer-pass-123", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.post("/cart/lines/", {"product": shop_data["rose"].pk, "quantity": "5", "add": "1"})
    assert response.status_code == 302
    assert "€ 42.00" in client.get("/cart/").content.decode()
    assert client.get("/checkout/").status_code == 200
    response = client.post("/checkout/")
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/?placed=1"
    assert client.get(response["Location"]).status_code == 200
    return order


class BrokerDownTests:
    def test_the_broker_is_really_unreachable(self, broker_down):
        with pytest.raises(OperationalError):
            contacts_reevaluate_task.delay(contact_ids=[1])

    @pytest.mark.parametrize("broker", ["up", "down"])
    def test_login_cart_and_checkout_answer_and_reach_the_same_segments(
        self, request, client, shop_data, segments, shop_now, broker, django_capture_on_commit_callbacks
    ):
        colleague = ContactFactory(company=shop_data["company_a"], email="carl@a.example")
        if broker == "down":
            broker_back_eager = request.getfixturevalue("broker_down")
            request.getfixturevalue("cache_down")

        with django_capture_on_commit_callbacks(execute=True):
            order = _buy(client, shop_data)

        assert (order.total_amount, order.delivery_date) == (42, datetime.date(2026, 11, 27))
        assert Cart.objects.get(contact=shop_data["buyer_a"]).status == Cart.Status.ORDERED
        if broker == "down":
            # Nothing ran yet: the re-evaluations wait in the outbox (the login's and the cart change's
            # are the same call, kept once).
            assert _memberships() == set()
            contact_ids = sorted([shop_data["buyer_a"].pk, colleague.pk])
            assert [(task.task_name, task.kwargs) for task in PendingTask.objects.order_by("id")] == [
                ("segments.contacts_reevaluate", {"contact_ids": [shop_data["buyer_a"].pk]}),
                ("segments.contacts_reevaluate", {"contact_ids": contact_ids}),
            ]
            broker_back_eager()
            call_command("outbox_flush")
            assert not PendingTask.objects.exists()

        # With a working broker the tasks ran when queued; after a broker outage, after the flush.
        assert _memberships() == {("ordered", "anna@a.example"), ("ordered", "carl@a.example")}

    @pytest.mark.urls("b2bshop.urls")
    def test_a_segment_saved_by_a_marketer_is_refreshed_after_the_outage(
        self, marketer_api, shop_data, broker_down, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = marketer_api.post("/api/segments/", {"name": "Big cart", "rule": BIG_CART}, format="json")

        assert response.status_code == 201
        segment = Segment.objects.get(slug="big-cart")
        run = RefreshRun.objects.get(segment=segment)
        assert run.status == RefreshRun.Status.QUEUED
        pending = PendingTask.objects.get()
        assert (pending.task_name, pending.kwargs) == (
            "segments.segment_refresh", {"segment_id": segment.pk, "trigger": "save", "run_id": run.pk}
        )

        broker_down()  # back, eager
        assert outbox_flush().queued == 1
        run.refresh_from_db()
        assert run.status == RefreshRun.Status.SUCCEEDED

    def test_the_flush_keeps_the_tasks_while_the_broker_is_still_down(
        self, shop_data, broker_down, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            for contact in (shop_data["buyer_a"], shop_data["buyer_b"]):
                contacts_reevaluate_enqueue(contact_ids=[contact.pk])
        assert PendingTask.objects.count() == 2

        with pytest.raises(CommandError, match="stay in the outbox"):
            call_command("outbox_flush")
        first = PendingTask.objects.first()
        assert (PendingTask.objects.count(), first.attempts, first.claimed_until) == (2, 1, None)
        assert "127.0.0.1:1" in first.last_error

        broker_down()  # back, eager
        outbox_flush_task.delay()  # the beat task does the same as the command
        assert not PendingTask.objects.exists()

    def test_a_task_claimed_by_another_flush_is_left_alone(
        self, shop_data, broker_down, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            contacts_reevaluate_enqueue(contact_ids=[shop_data["buyer_a"].pk])
        PendingTask.objects.update(claimed_until=timezone.now() + datetime.timedelta(minutes=1))
        broker_down()
        assert (outbox_flush().queued, PendingTask.objects.count()) == (0, 1)
        PendingTask.objects.update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))  # that flush died
        assert (outbox_flush().queued, PendingTask.objects.count()) == (1, 0)

    @pytest.mark.urls("b2bshop.urls")
    def test_a_mailchimp_sync_requested_during_the_outage_runs_after_it(
        self, marketer_api, standin, shop_data, broker_down, django_capture_on_commit_callbacks
    ):
        segment = SegmentFactory(slug="loyal", name="Loyal")
        MailchimpSegmentSyncFactory(segment=segment)
        buyer = shop_data["buyer_a"]
        Contact.objects.filter(pk=buyer.pk).update(marketing_consent=True)
        SegmentMembershipFactory(segment=segment, contact=buyer)

        with django_capture_on_commit_callbacks(execute=True):
            response = marketer_api.post("/api/mailchimp/sync/", {"segment": "loyal"}, format="json")

        assert response.status_code == 202
        run = MailchimpSyncRun.objects.get(pk=response.json()["run_id"])
        assert run.status == MailchimpSyncRun.Status.QUEUED
        assert [(task.task_name, task.kwargs) for task in PendingTask.objects.all()] == [
            ("integrations.mailchimp_sync", {"run_id": run.pk})
        ]
        assert standin.call_list() == []  # nothing reached Mailchimp yet

        broker_down()  # back, eager
        call_command("outbox_flush")

        run.refresh_from_db()
        assert (run.status, run.added) == (MailchimpSyncRun.Status.SUCCEEDED, 1)
        assert standin.state.tag_emails(LIST_ID, "shop: Loyal") == {"anna@a.example"}

    def test_an_erp_import_during_the_outage_refreshes_the_segments_after_it(
        self, shop_data, segments, broker_down, django_capture_on_commit_callbacks
    ):
        Segment.objects.update(is_dirty=False)
        with django_capture_on_commit_callbacks(execute=True):
            run = erp_import(
                entity="companies", stream=io.BytesIO(b"erp_id,name\nNEW-1,Bloemen C\n"),
                source=ImportRun.Source.FILE, source_name="companies.csv",
            )

        assert (run.status, run.created) == ("succeeded", 1)
        assert [(task.task_name, task.kwargs) for task in PendingTask.objects.all()] == [
            ("segments.segments_refresh_all", {"only_dirty": True})
        ]
        assert set(Segment.objects.values_list("is_dirty", flat=True)) == {True}

        broker_down()  # back, eager
        call_command("outbox_flush")

        assert set(Segment.objects.values_list("is_dirty", flat=True)) == {False}
        assert RefreshRun.objects.filter(status=RefreshRun.Status.SUCCEEDED).count() == 2

    def test_beat_flushes_the_outbox_every_minute(self, settings):
        entry = settings.CELERY_BEAT_SCHEDULE["outbox-flush"]
        assert (entry["task"], entry["schedule"]) == (outbox_flush_task.name, 60)


@pytest.mark.django_db
def test_superusers_see_the_recorded_tasks_in_the_admin_read_only(client, superuser):
    task = PendingTask.objects.create(task_name="segments.refresh", kwargs={"segment_id": 7}, key="k1", last_error="down")
    client.force_login(superuser)

    listing = client.get(reverse("admin:b2bshop_pendingtask_changelist"))
    edit = client.post(reverse("admin:b2bshop_pendingtask_change", args=[task.pk]), {"task_name": "other"})

    assert listing.status_code == 200 and "segments.refresh" in listing.content.decode()
    assert edit.status_code == 403
    task.refresh_from_db()
    assert task.task_name == "segments.refresh"
