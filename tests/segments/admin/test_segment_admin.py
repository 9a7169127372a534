import json
from decimal import Decimal

import pytest
from django.urls import reverse

from segments.forms import rule_error_location
from segments.models import CompanyValue, MembershipEvent, RefreshRun, Segment
from segments.services import segment_refresh, segment_save
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import ProductFactory
from tests.segments.factories import CompanyValueFactory, MembershipEventFactory, SegmentFactory, SegmentMembershipFactory

DUTCH = {"field": "company.country", "op": "eq", "value": "NL"}
DUTCH_RULE = {"all": [DUTCH]}
CHANGELIST = reverse("admin:segments_segment_changelist")
ADD = reverse("admin:segments_segment_add")


def _change_url(segment: Segment) -> str:
    return reverse("admin:segments_segment_change", args=[segment.pk])


def _form(**overrides):
    data = {"name": "Dutch customers", "slug": "", "description": "", "is_active": "on", "rule": json.dumps(DUTCH_RULE)}
    data.update(overrides)
    return data


ADMIN_PAGES = [
    "admin:segments_segment_changelist",
    "admin:segments_segment_add",
    "admin:segments_refreshrun_changelist",
    "admin:segments_membershipevent_changelist",
    "admin:segments_segmentmembership_changelist",
    "admin:segments_companyvalue_changelist",
]


@pytest.mark.django_db
class SegmentAdminAccessTests:
    @pytest.mark.parametrize("client_name", ["superuser_client", "marketer_client"])
    @pytest.mark.parametrize("page", ADMIN_PAGES)
    def test_pages_render_for_superusers_and_marketers(self, request, client_name, page):
        client = request.getfixturevalue(client_name)
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH_RULE, refresh=False)
        segment_refresh(segment_id=segment.pk)
        MembershipEventFactory(segment=segment)
        CompanyValueFactory()
        response = client.get(reverse(page))
        assert response.status_code == 200

    @pytest.mark.parametrize("client_name", ["superuser_client", "marketer_client"])
    def test_change_page_renders_with_builder_members_and_panels(self, request, client_name):
        client = request.getfixturevalue(client_name)
        member = ContactFactory(email="member@example.com", company=CompanyFactory(country="NL"))
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH_RULE, refresh=False)
        segment_refresh(segment_id=segment.pk)
        response = client.get(_change_url(segment))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'class="rule-builder"' in page
        assert 'type="hidden" name="rule"' in page
        assert "<textarea" not in page.split('id="segment-builder-config"')[0].split("fieldset-0-1-heading")[1]
        assert member.email in page
        assert "/api/segments/dutch/members/?format=csv" in page
        assert 'id="segment-history"' in page
        assert "segments/rule-builder.js" in page
        config = response.context["rule_builder"]
        assert config["segment"] == "dutch"
        assert config["urls"]["history"] == "/api/segments/dutch/history/"

    def test_the_builder_gets_the_registry_with_labels_operators_and_choices(self, marketer_client):
        config = marketer_client.get(ADD).context["rule_builder"]
        fields = {field["key"]: field for field in config["registry"]["fields"]}
        assert fields["company.continent"]["label"] == "Continent"
        assert {"value": "europe", "label": "Europe"} in fields["company.continent"]["choices"]
        assert [op["op"] for op in fields["cart.quantity"]["operators"]][:3] == ["eq", "ne", "gt"]
        assert fields["sales.revenue"]["windowed"] is True
        assert fields["contact.last_login"]["nullable"] is True
        assert fields["contact.date_joined"]["nullable"] is False
        assert fields["sales.bought_product"]["reference"] == "product"
        assert "this_year" in config["registry"]["windows"]
        assert config["segment"] is None

    @pytest.mark.parametrize("page", ADMIN_PAGES)
    def test_plain_staff_and_buyers_cannot_reach_the_pages(self, staff_client, buyer_client, page):
        assert staff_client.get(reverse(page)).status_code == 403
        response = buyer_client.get(reverse(page))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_staff_with_segment_permissions_but_without_the_marketing_group_is_refused(self, db):
        from django.contrib.auth.models import Permission
        from django.test import Client

        from tests.accounts.factories import StaffUserFactory

        user = StaffUserFactory()
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="segments"))
        client = Client()
        client.force_login(user)
        assert client.get(CHANGELIST).status_code == 403

    def test_a_view_only_marketer_sees_the_rule_read_only(self, db):
        from django.contrib.auth.models import Group, Permission
        from django.test import Client

        from accounts.services import MARKETING_GROUP_NAME
        from tests.accounts.factories import StaffUserFactory

        user = StaffUserFactory()
        user.groups.add(Group.objects.get_or_create(name=MARKETING_GROUP_NAME)[0])
        user.user_permissions.add(Permission.objects.get(codename="view_segment"))
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH_RULE, refresh=False)
        client = Client()
        client.force_login(user)
        page = client.get(_change_url(segment)).content.decode()
        assert 'name="rule"' not in page
        assert "company.country" in page  # the stored JSON, read-only
        assert 'id="segment-explain"' not in page
        assert client.post(_change_url(segment), _form()).status_code == 403

    def test_the_admin_index_lists_segments_for_marketers_only(self, marketer_client, staff_client):
        assert "Segments" in marketer_client.get(reverse("admin:index")).content.decode()
        assert reverse("admin:segments_segment_changelist") not in staff_client.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
class SegmentAdminSaveTests:
    def test_saving_a_valid_rule_creates_and_refreshes_the_segment(self, marketer, marketer_client, django_capture_on_commit_callbacks):
        member = ContactFactory(company=CompanyFactory(country="NL"))
        ContactFactory(company=CompanyFactory(country="BE"))
        with django_capture_on_commit_callbacks(execute=True):
            response = marketer_client.post(ADD, _form())
        assert response.status_code == 302, response.context["adminform"].form.errors
        segment = Segment.objects.get()
        assert (segment.name, segment.slug, segment.rule, segment.created_by) == ("Dutch customers", "dutch-customers", DUTCH_RULE, marketer)
        assert segment.member_count == 1
        assert list(segment.memberships.values_list("contact_id", flat=True)) == [member.pk]
        assert RefreshRun.objects.get().trigger == RefreshRun.Trigger.SAVE

    def test_saving_a_change_keeps_the_slug_and_refreshes(self, marketer_client, django_capture_on_commit_callbacks):
        ContactFactory(company=CompanyFactory(country="BE"))
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH_RULE, refresh=False)
        belgian = {"all": [{"field": "company.country", "op": "eq", "value": "BE"}]}
        with django_capture_on_commit_callbacks(execute=True):
            response = marketer_client.post(_change_url(segment), _form(name="Belgian", slug="other", rule=json.dumps(belgian)))
        assert response.status_code == 302
        segment.refresh_from_db()
        assert (segment.name, segment.slug, segment.rule, segment.member_count) == ("Belgian", "dutch", belgian, 1)

    def test_an_invalid_rule_shows_the_errors_in_the_page_and_saves_nothing(self, marketer_client, django_capture_on_commit_callbacks):
        rule = {"all": [{"field": "company.name", "op": "gt", "value": 3}, {"field": "company.contry", "op": "eq", "value": "NL"}]}
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = marketer_client.post(ADD, _form(rule=json.dumps(rule)))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Condition 1: operator &#x27;gt&#x27; is not valid for text field company.name" in page
        assert "Condition 2: unknown field &#x27;company.contry&#x27;; did you mean company.country" in page
        paths = [error["path"] for error in response.context["rule_builder"]["errors"]]
        assert paths == ["/all/0/op", "/all/1/field"]
        assert not Segment.objects.exists()
        assert not RefreshRun.objects.exists()
        assert callbacks == []

    def test_unknown_references_and_malformed_json_are_errors(self, marketer_client):
        ProductFactory(sku="ROSE-1")
        rule = {"all": [{"field": "sales.bought_product", "op": "contains_any", "value": ["ROSE-1", "NOPE-9"]}]}
        response = marketer_client.post(ADD, _form(rule=json.dumps(rule)))
        assert response.context["rule_builder"]["errors"] == [{"path": "/all/0/value/1", "message": "there is no product 'NOPE-9'"}]
        response = marketer_client.post(ADD, _form(rule="{not json"))
        assert response.status_code == 200
        assert "Enter a valid JSON." in response.content.decode()
        assert not Segment.objects.exists()

    def test_a_rule_closing_a_cycle_is_refused_in_the_page(self, marketer_client):
        first = segment_save(name="First", slug="first", rule=DUTCH_RULE, refresh=False)
        segment_save(name="Second", slug="second", rule={"field": "segment.member_of", "op": "contains_any", "value": ["first"]}, refresh=False)
        rule = {"all": [{"field": "segment.member_of", "op": "contains_any", "value": ["second"]}]}
        response = marketer_client.post(_change_url(first), _form(name="First", rule=json.dumps(rule)))
        assert response.status_code == 200
        assert "circular reference: first -&gt; second -&gt; first" in response.content.decode()
        first.refresh_from_db()
        assert first.rule == DUTCH_RULE
        assert list(first.depends_on.all()) == []

    def test_the_name_must_be_unique(self, marketer_client):
        segment_save(name="Dutch customers", rule=DUTCH_RULE, refresh=False)
        response = marketer_client.post(ADD, _form())
        assert response.status_code == 200
        assert "Segment with this Name already exists." in response.content.decode()

    def test_deleting_goes_through_the_service_and_spares_used_segments(self, marketer_client):
        used = segment_save(name="Used", slug="used", rule=DUTCH_RULE, refresh=False)
        segment_save(name="User", slug="user", rule={"field": "segment.member_of", "op": "contains_any", "value": ["used"]}, refresh=False)
        delete_url = reverse("admin:segments_segment_delete", args=[used.pk])
        page = marketer_client.get(delete_url).content.decode()
        assert "Segment User uses it in its rule" in page
        marketer_client.post(delete_url, {"post": "yes"})
        assert Segment.objects.filter(slug="used").exists()
        lone = segment_save(name="Lone", slug="lone", rule=DUTCH_RULE, refresh=False)
        SegmentMembershipFactory(segment=lone)
        response = marketer_client.post(reverse("admin:segments_segment_delete", args=[lone.pk]), {"post": "yes"})
        assert response.status_code == 302
        assert not Segment.objects.filter(slug="lone").exists()


@pytest.mark.django_db
class SegmentAdminChangelistTests:
    def test_changelist_query_count_does_not_grow_with_segments(self, marketer_client, django_assert_max_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def queries_for(total: int) -> int:
            base = SegmentFactory(slug="base")
            for _ in range(total - Segment.objects.count()):
                segment = SegmentFactory()
                segment.depends_on.add(base)
            with CaptureQueriesContext(connection) as captured:
                response = marketer_client.get(CHANGELIST)
            assert response.status_code == 200
            return len(captured)

        assert queries_for(5) == queries_for(25)

    def test_changelist_shows_members_dirty_and_dependencies(self, marketer_client):
        base = segment_save(name="Base", slug="base", rule=DUTCH_RULE, refresh=False)
        segment_save(name="Derived", slug="derived", rule={"field": "segment.member_of", "op": "contains_any", "value": ["base"]}, refresh=False)
        Segment.objects.filter(pk=base.pk).update(member_count=1234)
        page = marketer_client.get(CHANGELIST).content.decode()
        assert "1,234" in page
        assert '<td class="field-depends_on_list">Base</td>' in page
        assert marketer_client.get(CHANGELIST, {"uses_segments": "yes"}).context["cl"].result_count == 1
        assert marketer_client.get(CHANGELIST, {"q": "deriv"}).context["cl"].result_count == 1

    def test_refresh_now_enqueues_a_manual_refresh(self, marketer_client, django_capture_on_commit_callbacks):
        ContactFactory(company=CompanyFactory(country="NL"))
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH_RULE, refresh=False)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = marketer_client.post(CHANGELIST, {"action": "refresh_now", "_selected_action": [segment.pk]}, follow=True)
        assert "Refresh queued for 1 segment." in response.content.decode()
        assert callbacks[0].func.__self__.name == "segments.segment_refresh"  # queued after commit
        run = RefreshRun.objects.get()
        assert (run.trigger, run.status, run.member_count) == (RefreshRun.Trigger.MANUAL, RefreshRun.Status.SUCCEEDED, 1)
        segment.refresh_from_db()
        assert segment.member_count == 1

    def test_bulk_delete_is_not_offered(self, marketer_client):
        response = marketer_client.get(CHANGELIST)
        actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
        assert "delete_selected" not in actions
        assert "refresh_now" in actions


@pytest.mark.django_db
class ReadOnlyAdminTests:
    def test_refresh_runs_are_listed_read_only(self, marketer_client, django_assert_max_num_queries):
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH_RULE, refresh=False)
        for _ in range(3):
            segment_refresh(segment_id=segment.pk)
        RefreshRun.objects.create(segment=segment, status=RefreshRun.Status.FAILED, error="x" * 200, duration_ms=1500)
        response = marketer_client.get(reverse("admin:segments_refreshrun_changelist"))
        page = response.content.decode()
        assert "1.5 s" in page and "x" * 79 + "…" in page
        run = RefreshRun.objects.first()
        change = marketer_client.get(reverse("admin:segments_refreshrun_change", args=[run.pk]))
        assert change.status_code == 200
        assert 'name="status"' not in change.content.decode()
        assert marketer_client.get(reverse("admin:segments_refreshrun_add")).status_code == 403

    @pytest.mark.parametrize(
        ("page", "make"),
        [
            ("admin:segments_refreshrun_changelist", lambda segment: RefreshRun.objects.create(segment=segment)),
            ("admin:segments_membershipevent_changelist", lambda segment: MembershipEventFactory(segment=segment)),
            ("admin:segments_segmentmembership_changelist", lambda segment: SegmentMembershipFactory(segment=segment)),
            ("admin:segments_companyvalue_changelist", lambda segment: CompanyValueFactory()),
        ],
    )
    def test_list_query_count_does_not_grow_with_rows(self, marketer_client, page, make):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        segment = SegmentFactory()

        def queries_for(total: int, model) -> int:
            while model.objects.count() < total:
                make(segment)
            with CaptureQueriesContext(connection) as captured:
                assert marketer_client.get(reverse(page)).status_code == 200
            return len(captured)

        model = {"refreshrun": RefreshRun, "membershipevent": MembershipEvent, "companyvalue": CompanyValue}.get(
            page.split("_")[1], Segment.memberships.rel.related_model
        )
        assert queries_for(3, model) == queries_for(12, model)

    def test_company_values_show_rfm_percentile_and_clv(self, marketer_client):
        CompanyValueFactory(
            company=CompanyFactory(name="Bloemenhuis"), rfm_recency=5, rfm_frequency=4, rfm_monetary=3,
            rfm_segment=CompanyValue.RfmSegment.CHAMPIONS, revenue_12m=Decimal("1234.50"), revenue_rank=3, company_total=4,
            top_25_percent=False, lifetime_revenue=Decimal("9999.00"), predicted_clv_12m=Decimal("321.00"),
        )
        page = marketer_client.get(reverse("admin:segments_companyvalue_changelist")).content.decode()
        for text in ("Bloemenhuis", "Champions", "1234.50", "75.0", "9999.00", "321.00"):
            assert text in page
        assert marketer_client.get(reverse("admin:segments_companyvalue_changelist"), {"q": "bloem"}).context["cl"].result_count == 1


@pytest.mark.django_db
class BuilderJsonViewTests:
    LOOKUP = reverse("admin:segments_segment_lookup")
    EXPLAIN = reverse("admin:segments_segment_explain")

    def test_lookups_search_products_categories_segments_and_contacts(self, marketer_client):
        rose = ProductFactory(sku="ROSE-RED", name="Red rose")
        ProductFactory(sku="TULIP-1", name="Tulip")
        segment_save(name="Dutch customers", slug="dutch", rule=DUTCH_RULE, refresh=False)
        contact = ContactFactory(email="anna@bloem.example")
        assert marketer_client.get(self.LOOKUP, {"kind": "product", "q": "rose"}).json() == {
            "results": [{"value": "ROSE-RED", "label": "ROSE-RED · Red rose"}]
        }
        category = rose.category
        results = marketer_client.get(self.LOOKUP, {"kind": "category", "q": category.name[:4]}).json()["results"]
        assert {"value": category.slug, "label": f"{category.name} ({category.slug})"} in results
        assert marketer_client.get(self.LOOKUP, {"kind": "segment", "q": "dutch"}).json()["results"] == [
            {"value": "dutch", "label": "Dutch customers (dutch)"}
        ]
        assert marketer_client.get(self.LOOKUP, {"kind": "contact", "q": "anna@"}).json()["results"][0]["value"] == str(contact.pk)
        assert marketer_client.get(self.LOOKUP, {"kind": "contact", "q": str(contact.pk)}).json()["results"][0]["value"] == str(contact.pk)

    def test_lookup_of_an_unknown_kind_is_400(self, marketer_client):
        response = marketer_client.get(self.LOOKUP, {"kind": "password", "q": "x"})
        assert response.status_code == 400
        assert "message" in response.json()

    def test_json_views_are_for_marketers_only(self, staff_client):
        assert staff_client.get(self.LOOKUP, {"kind": "product"}).status_code == 403
        assert staff_client.post(self.EXPLAIN, "{}", content_type="application/json").status_code == 403

    def test_explain_evaluates_the_edited_rule_for_one_contact(self, marketer_client):
        dutch = ContactFactory(company=CompanyFactory(country="NL"))
        segment = segment_save(name="Dutch", slug="dutch", rule=DUTCH_RULE, refresh=False)
        segment_refresh(segment_id=segment.pk)
        rule = {"all": [DUTCH, {"field": "company.continent", "op": "eq", "value": "asia"}]}
        response = marketer_client.post(self.EXPLAIN, {"rule": rule, "contact": dutch.pk, "segment": "dutch"}, content_type="application/json")
        body = response.json()
        assert body["valid"] is True and body["is_member"] is True
        assert body["tree"]["result"] is False
        assert [(child["result"], child["actual"]) for child in body["tree"]["children"]] == [(True, "NL"), (False, "europe")]

    def test_explain_answers_validation_errors_and_bad_bodies(self, marketer_client):
        contact = ContactFactory()
        body = {"rule": {"all": [{"field": "company.nope", "op": "eq", "value": 1}]}, "contact": contact.pk}
        response = marketer_client.post(self.EXPLAIN, body, content_type="application/json")
        assert response.json()["valid"] is False
        assert response.json()["errors"][0]["path"] == "/all/0/field"
        assert marketer_client.post(self.EXPLAIN, "{nope", content_type="application/json").status_code == 400
        assert marketer_client.post(self.EXPLAIN, {"rule": {}, "contact": "x"}, content_type="application/json").status_code == 400
        missing = marketer_client.post(self.EXPLAIN, {"rule": {"all": []}, "contact": 999999}, content_type="application/json")
        assert missing.status_code == 404
        assert marketer_client.get(self.EXPLAIN).status_code == 405


class RuleErrorLocationTests:
    @pytest.mark.parametrize(
        ("path", "location"),
        [("", "Rule"), ("/all", "Rule"), ("/all/1/op", "Condition 2"), ("/all/0/any/2/value/0", "Condition 1.3"),
         ("/not/any/1/field", "Condition 2"), ("/any/0/not/all/3", "Condition 1.4")],
    )
    def test_pointer_to_row_number(self, path, location):
        assert rule_error_location(path) == location
