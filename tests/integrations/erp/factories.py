import factory
from factory.django import DjangoModelFactory

from integrations.models import ErpConnection, ImportRun


class ErpConnectionFactory(DjangoModelFactory):
    """`ErpConnectionFactory(token="...")` stores the digest of that token (the token itself never)."""

    class Meta:
        model = ErpConnection
        django_get_or_create = ("name",)

    class Params:
        token = factory.Sequence(lambda n: f"erp-test-token-{n:04d}")
        inactive = factory.Trait(is_active=False)

    name = factory.Sequence(lambda n: f"ERP {n}")
    token_digest = factory.LazyAttribute(lambda o: ErpConnection.digest(o.token))


class ImportRunFactory(DjangoModelFactory):
    class Meta:
        model = ImportRun

    entity = ImportRun.Entity.COMPANIES
    source = ImportRun.Source.FILE
    status = ImportRun.Status.SUCCEEDED
