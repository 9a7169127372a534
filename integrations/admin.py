from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from integrations.erp.connections import erp_connection_create
from integrations.erp.selectors import STALE_AFTER, EntityFreshness, erp_import_freshness
from integrations.models import ErpConnection, ImportRun

_ISSUED_TOKEN_ATTR = "_erp_connection_issued_token"


class ErpManagedAdmin(admin.ModelAdmin):
    """Admin for data that the ERP import writes.

    The ERP is the master: `erp_fields` are read-only for everyone, rows are neither
    added nor deleted here, and the pages say where the data comes from and how
    fresh it is.
    """

    erp_entity: str = ""
    erp_fields: tuple[str, ...] = ()
    erp_note: str = ""
    change_list_template = "admin/erp/change_list.html"
    change_form_template = "admin/erp/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        fields = (*self.erp_fields, *super().get_readonly_fields(request, obj))
        return tuple(dict.fromkeys(fields))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def erp_context(self, request: HttpRequest) -> dict[str, Any]:
        freshness = next(f for f in erp_import_freshness() if f.entity == self.erp_entity)
        runs_url = None
        if request.user.has_perm("integrations.view_importrun"):
            runs_url = reverse("admin:integrations_importrun_changelist") + f"?entity__exact={self.erp_entity}"
        note = self.erp_note or (
            f"{capfirst(self.opts.verbose_name_plural)} come from the ERP {self.erp_entity} import. "
            "Fields from the ERP are read-only here: change them in the ERP."
        )
        return {
            "erp_freshness": freshness,
            "erp_import_runs_url": runs_url,
            "erp_note": note,
            "erp_stale_hours": _stale_hours(),
        }

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return super().changelist_view(request, {**self.erp_context(request), **(extra_context or {})})

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return super().changeform_view(
            request, object_id, form_url, {**self.erp_context(request), **(extra_context or {})}
        )


@admin.register(ErpConnection)
class ErpConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    readonly_fields = ("created_at", "last_used_at")

    def get_fieldsets(self, request: HttpRequest, obj: ErpConnection | None = None) -> Any:
        if obj is None:
            description = (
                "Saving creates the connection with a new API token. The token is shown once, "
                "on the next page; only a digest of it is stored."
            )
            return [(None, {"fields": ("name",), "description": description})]
        description = (
            "Clear “Is active” to revoke the token. A lost token cannot be shown again: create a new connection."
        )
        return [(None, {"fields": ("name", "is_active", "created_at", "last_used_at"), "description": description})]

    def save_model(self, request: HttpRequest, obj: ErpConnection, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        connection, token = erp_connection_create(name=form.cleaned_data["name"])
        # The admin goes on with `obj` (history entry, response): make it the saved row.
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(connection, field.attname))
        obj._state.adding = False
        obj._state.db = connection._state.db
        setattr(request, _ISSUED_TOKEN_ATTR, token)

    def response_add(
        self, request: HttpRequest, obj: ErpConnection, post_url_continue: str | None = None
    ) -> HttpResponse:
        token = getattr(request, _ISSUED_TOKEN_ATTR, None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "ERP connection created",
            "opts": self.opts,
            "connection": obj,
            "token": token,
        }
        return TemplateResponse(request, "admin/integrations/erpconnection/token_created.html", context)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Import runs are the record of what the ERP import did: read-only for everyone."""

    list_display = (
        "started_at", "entity", "status", "dry_run", "source_name", "started_by",
        "rows", "created", "updated", "failed", "duration",
    )
    list_filter = ("entity", "status", "source", "dry_run", "strict")
    search_fields = ("source_name", "message")
    date_hierarchy = "started_at"
    list_select_related = ("connection", "triggered_by")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("entity", "status"), ("source", "source_name"), ("connection", "triggered_by"), ("dry_run", "strict"),
                ),
            },
        ),
        ("Time", {"fields": (("started_at", "finished_at", "duration"),)}),
        ("Rows", {"fields": (("rows", "failed"), ("created", "updated", "unchanged"))}),
        ("Problems", {"fields": ("message", "errors_table")}),
    )
    readonly_fields = (
        "entity", "status", "source", "source_name", "connection", "triggered_by", "dry_run", "strict",
        "started_at", "finished_at", "duration", "rows", "created", "updated", "unchanged", "failed",
        "message", "errors_table",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        freshness: list[EntityFreshness] = erp_import_freshness()
        context = {"erp_freshness_list": freshness, "erp_stale_hours": _stale_hours(), **(extra_context or {})}
        return super().changelist_view(request, context)

    @admin.display(description="Duration")
    def duration(self, obj: ImportRun) -> str:
        if obj.finished_at is None or obj.started_at is None:
            return "–"
        seconds = round((obj.finished_at - obj.started_at).total_seconds())
        minutes, seconds = divmod(seconds, 60)
        return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"

    @admin.display(description="Started by")
    def started_by(self, obj: ImportRun) -> str:
        if obj.connection is not None:
            return f"API: {obj.connection}"
        if obj.triggered_by is not None:
            return str(obj.triggered_by)
        return "–"

    @admin.display(description="Row errors")
    def errors_table(self, obj: ImportRun) -> str:
        if not obj.errors:
            return "None"
        rows = format_html_join(
            "\n",
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            (
                (error.get("line", ""), error.get("column", ""), _cell(error.get("value")), error.get("message", ""))
                for error in obj.errors
            ),
        )
        truncated = ""
        if obj.errors_truncated:
            truncated = format_html(
                '<p class="help">Only the first {} row errors were kept; {} rows failed in all.</p>',
                len(obj.errors),
                obj.failed,
            )
        return format_html(
            '<table class="import-errors"><thead><tr><th>Line</th><th>Column</th><th>Value</th>'
            "<th>Message</th></tr></thead><tbody>{}</tbody></table>{}",
            rows,
            truncated,
        )


def _stale_hours() -> int:
    return round(STALE_AFTER.total_seconds() / 3600)


def _cell(value: object) -> str:
    return "" if value is None else str(value)
from integrations import admin_mailchimp  # noqa: E402,F401  (registers the Mailchimp admin)
