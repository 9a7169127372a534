"""A change form posted without a change writes nothing (b2bshop.unchanged_admin_saves), on the product admin:
only its description and image are editable, the ERP owns the rest."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from tests.catalog.factories import ProductFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - datetime.timedelta(days=30)


@pytest.fixture
def product():
    product = ProductFactory(sku="R-1", name="Rose Avalanche", description="")
    Product.objects.filter(pk=product.pk).update(updated_at=LONG_AGO)
    return Product.objects.get(pk=product.pk)


@pytest.fixture
def root_client(superuser, admin_client_for):
    return admin_client_for(superuser)


def _change_url(product: Product) -> str:
    return reverse("admin:catalog_product_change", args=[product.pk])


def _written(product: Product) -> tuple[datetime.datetime, int]:
    """When the row was last saved, and how many history entries the admin keeps for it."""
    return Product.objects.get(pk=product.pk).updated_at, LogEntry.objects.filter(object_id=str(product.pk)).count()


class UnchangedProductSaveTests:
    def test_an_empty_post_saves_nothing_and_says_so(self, root_client, product):
        response = root_client.post(_change_url(product), {})
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:catalog_product_changelist")
        assert _written(product) == (LONG_AGO, 0)
        assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [
            ("info", f"Nothing changed: the product “{product}” was not saved.")
        ]

    def test_posting_only_erp_fields_is_no_change(self, root_client, product):
        response = root_client.post(_change_url(product), {"sku": "HACK", "name": "Hacked", "list_price": "0.01"})
        assert response.status_code == 302
        assert _written(product) == (LONG_AGO, 0)
        assert Product.objects.filter(pk=product.pk, sku="R-1", name="Rose Avalanche").exists() is True

    def test_save_and_continue_without_a_change_returns_to_the_form(self, root_client, product):
        response = root_client.post(_change_url(product), {"_continue": "Save and continue editing"})
        assert response.status_code == 302
        assert response["Location"] == _change_url(product)
        assert _written(product) == (LONG_AGO, 0)

    def test_a_changed_description_is_saved_and_logged(self, root_client, product):
        response = root_client.post(_change_url(product), {"description": "From our own greenhouse."})
        assert response.status_code == 302
        updated_at, history = _written(product)
        assert updated_at > LONG_AGO
        assert history == 1
        assert LogEntry.objects.get(object_id=str(product.pk)).get_change_message() == "Changed Description."
        assert Product.objects.get(pk=product.pk).description == "From our own greenhouse."

    def test_an_empty_post_clears_an_existing_description_a_real_change(self, root_client, product):
        Product.objects.filter(pk=product.pk).update(description="Old text", updated_at=LONG_AGO)
        root_client.post(_change_url(product), {})
        updated_at, history = _written(product)
        assert (updated_at > LONG_AGO, history) == (True, 1)
        assert Product.objects.get(pk=product.pk).description == ""
