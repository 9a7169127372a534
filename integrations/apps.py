from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'integrations'

    def ready(self) -> None:
        from integrations.mailchimp import tasks  # noqa: F401  Celery autodiscovery only imports integrations.tasks
        from integrations.mailchimp.receivers import on_membership_changed
        from segments.signals import membership_changed

        membership_changed.connect(on_membership_changed, dispatch_uid="integrations.mailchimp.on_membership_changed")
