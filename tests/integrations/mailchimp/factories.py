import factory
from factory.django import DjangoModelFactory

from integrations.models import MailchimpMemberError, MailchimpSegmentSync
from tests.segments.factories import SegmentFactory


class MailchimpSegmentSyncFactory(DjangoModelFactory):
    class Meta:
        model = MailchimpSegmentSync
        django_get_or_create = ("segment",)

    segment = factory.SubFactory(SegmentFactory)
    enabled = True
    tag_prefix = "shop: "

    class Params:
        disabled = factory.Trait(enabled=False)


class MailchimpMemberErrorFactory(DjangoModelFactory):
    class Meta:
        model = MailchimpMemberError

    email = factory.Sequence(lambda n: f"refused{n}@example.com")
    operation = MailchimpMemberError.Operation.UPSERT
    scope = "audience"
    message = "refused"
