from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "segments"
    verbose_name = "Segments"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from integrations.erp.signals import erp_import_finished
        from segments.receivers import on_erp_import_finished, on_user_logged_in

        erp_import_finished.connect(on_erp_import_finished, dispatch_uid="segments.on_erp_import_finished")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="segments.on_user_logged_in")
