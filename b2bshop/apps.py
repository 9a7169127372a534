from django.apps import AppConfig


class B2bshopConfig(AppConfig):
    name = "b2bshop"
    verbose_name = "b2bshop"
