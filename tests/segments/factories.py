import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from segments.models import CompanyValue, MembershipEvent, Segment, SegmentMembership
from tests.accounts.factories import CompanyFactory, ContactFactory


class SegmentFactory(DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Segment {n}")
    slug = factory.Sequence(lambda n: f"segment-{n}")
    rule = factory.LazyFunction(lambda: {"all": []})


class SegmentMembershipFactory(DjangoModelFactory):
    class Meta:
        model = SegmentMembership

    segment = factory.SubFactory(SegmentFactory)
    contact = factory.SubFactory(ContactFactory)
    since = factory.LazyFunction(timezone.now)


class MembershipEventFactory(DjangoModelFactory):
    class Meta:
        model = MembershipEvent

    segment = factory.SubFactory(SegmentFactory)
    contact = factory.SubFactory(ContactFactory)
    kind = MembershipEvent.Kind.JOINED
    at = factory.LazyFunction(timezone.now)


class CompanyValueFactory(DjangoModelFactory):
    class Meta:
        model = CompanyValue

    company = factory.SubFactory(CompanyFactory)
    computed_for = factory.LazyFunction(lambda: timezone.localdate())
    products_12m = 0  # computed, as a refresh leaves it (NULL marks values from before the column existed)
