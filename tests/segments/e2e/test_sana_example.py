"""The Sana example segment end to end: ERP files in, a refresh, the members through the API."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Contact
from accounts.services import MARKETING_GROUP_NAME
from integrations.erp.services import erp_import
from integrations.models import ImportRun
from orders.services import cart_line_set
from catalog.models import Product
from tests.accounts.factories import StaffUserFactory

SANA = {"all": [
    {"field": "company.continent", "op": "eq", "value": "europe"},
    {"field": "sales.revenue", "op": "gt", "value": 50000, "window": "this_year"},
    {"field": "cart.quantity", "op": "gt", "value": 15},
    {"field": "contact.last_login", "op": "more_than_days_ago", "value": 14},
]}


def _import(entity: str, text: str) -> ImportRun:
    run = erp_import(entity=entity, stream=io.BytesIO(text.encode()), source=ImportRun.Source.API, source_name=entity)
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors or run.message
    return run


@pytest.mark.django_db
def test_sana_example_from_erp_files_to_api_members(django_capture_on_commit_callbacks):
    now = timezone.now()
    this_year = now.astimezone().replace(month=1, day=2, hour=12).isoformat()
    _import("categories", "slug,name,parent_slug\nroses,Roses,\n")
    _import(
        "companies",
        "erp_id,name,country\n"
        "000001,Bloemen Groot BV,NL\n"  # big spender, European
        "000002,Fleurs Petit SARL,FR\n"  # small spender
        "000003,Flowers Inc,US\n",  # big spender, not European
    )
    _import(
        "contacts",
        "email,company_erp_id,first_name,last_name\n"
        "quiet@groot.example,000001,Anna,Groot\n"
        "active@groot.example,000001,Bert,Groot\n"
        "petit@petit.example,000002,Claire,Petit\n"
        "us@flowers.example,000003,Dan,Flowers\n",
    )
    _import("products", "sku,name,category_slug,list_price,unit\nROSE-1,Rose Avalanche,roses,2.50,stem\n")
    _import(
        "orders",
        "order_number,line_no,company_erp_id,ordered_at,channel,sku,quantity,unit_price\n"
        f"SO1,1,000001,{this_year},phone,ROSE-1,30000,2.00\n"
        f"SO2,1,000002,{this_year},web,ROSE-1,100,2.00\n"
        f"SO3,1,000003,{this_year},edi,ROSE-1,30000,2.00\n",
    )
    for email in ("quiet@groot.example", "active@groot.example", "petit@petit.example", "us@flowers.example"):
        contact = Contact.objects.get(email=email)
        cart_line_set(contact=contact, product=Product.objects.get(sku="ROSE-1"), quantity=20)
    Contact.objects.filter(email="active@groot.example").update(last_login=now - datetime.timedelta(days=2))
    Contact.objects.exclude(email="active@groot.example").update(last_login=now - datetime.timedelta(days=30))

    marketer = StaffUserFactory()
    marketer.groups.add(Group.objects.get_or_create(name=MARKETING_GROUP_NAME)[0])
    client = APIClient()
    client.force_authenticate(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/segments/", {"name": "Sana example", "slug": "sana", "rule": SANA}, format="json")
    assert created.status_code == 201, created.json()

    members = client.get("/api/segments/sana/members/").json()
    assert [row["email"] for row in members["results"]] == ["quiet@groot.example"]

    explained = client.get(f"/api/segments/sana/explain/{Contact.objects.get(email='us@flowers.example').pk}/").json()
    assert explained["is_member"] is False
    assert [child["result"] for child in explained["tree"]["children"]] == [False, True, True, True]
