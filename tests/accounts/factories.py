import factory
from factory.django import DjangoModelFactory

from accounts.text import fold
from accounts.models import Company, CompanyAttributeDefinition, Contact, User


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("erp_id",)

    erp_id = factory.Sequence(lambda n: f"{n + 1:06d}")
    name = factory.Sequence(lambda n: f"Company {n}")
    country = "NL"
    city = "Aalsmeer"
    region = ""
    sector = ""
    customer_group = ""
    price_group = ""
    # Shadow columns as the services write them (accounts/text.py).
    erp_id_ci = factory.LazyAttribute(lambda o: fold(o.erp_id))
    name_ci = factory.LazyAttribute(lambda o: fold(o.name))
    region_ci = factory.LazyAttribute(lambda o: fold(o.region))
    city_ci = factory.LazyAttribute(lambda o: fold(o.city))
    sector_ci = factory.LazyAttribute(lambda o: fold(o.sector))
    customer_group_ci = factory.LazyAttribute(lambda o: fold(o.customer_group))
    price_group_ci = factory.LazyAttribute(lambda o: fold(o.price_group))

    class Params:
        blocked_account = factory.Trait(blocked=True)
        prospect = factory.Trait(account_type=Company.AccountType.PROSPECT)


class CompanyAttributeDefinitionFactory(DjangoModelFactory):
    class Meta:
        model = CompanyAttributeDefinition
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"attribute_{n}")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"de Vries {n}")
    company = factory.SubFactory(CompanyFactory)
    role = User.Role.BUYER
    job_title = ""
    job_title_ci = factory.LazyAttribute(lambda o: fold(o.job_title))
    password = factory.PostGenerationMethodCall("set_password", "buyer-pass-123")

    class Params:
        never_logged_in = factory.Trait(last_login=None)
        consenting = factory.Trait(marketing_consent=True)
        company_admin = factory.Trait(shop_role=User.ShopRole.ADMIN)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])


class StaffUserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"staff{n}@b2bshop.example")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "staff-pass-123")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])
