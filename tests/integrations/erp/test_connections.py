import pytest
from django.core.exceptions import ValidationError

from integrations.erp.connections import erp_connection_create
from integrations.models import ErpConnection


@pytest.mark.django_db
class ErpConnectionCreateTests:
    def test_stores_only_the_digest_of_the_returned_token(self):
        connection, token = erp_connection_create(name=" Exact Online ")
        stored = ErpConnection.objects.get()
        assert stored.pk == connection.pk
        assert stored.name == "Exact Online"
        assert stored.token_digest == ErpConnection.digest(token)
        assert token not in stored.token_digest

    def test_every_connection_gets_its_own_long_random_token(self):
        _, first = erp_connection_create(name="first")
        _, second = erp_connection_create(name="second")
        assert first != second
        assert len(first) >= 40

    def test_a_taken_name_is_rejected(self):
        erp_connection_create(name="Exact Online")
        with pytest.raises(ValidationError, match="already exists"):
            erp_connection_create(name="Exact Online")
        assert ErpConnection.objects.count() == 1
