from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "segments"
    verbose_name = "Segments"

    def ready(self) -> None:
        from integrations.erp.signals import erp_import_finished
        from segments.receivers import on_erp_import_finished

        erp_import_finished.connect(on_erp_import_finished, dispatch_uid="segments.on_erp_import_finished")
