"""The Marketing group views the audit trail by a permission, no longer by code.

The audit trail's admin used to open to every marketer by code; it now follows the group's
`b2bshop.view_auditentry` permission (`accounts.services.MARKETING_PERMISSIONS`). An install
whose Marketing group already exists gets the permission here, so its marketers keep the
trail. A new install has no group yet: `marketing_group_ensure()` creates it with the permission.
"""

from django.db import migrations

# accounts.services.MARKETING_GROUP_NAME when this was written (migrations do not import app code).
MARKETING_GROUP_NAME = "Marketing"


def marketing_group_view_audit_trail(apps, schema_editor):
    alias = schema_editor.connection.alias
    group = apps.get_model("auth", "Group").objects.using(alias).filter(name=MARKETING_GROUP_NAME).first()
    if group is None:
        return
    # Permissions are created after `migrate`; an install that never ran it with the audit trail lacks this one.
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.using(alias).get_or_create(
        app_label="b2bshop", model="auditentry"
    )
    permission, _ = apps.get_model("auth", "Permission").objects.using(alias).get_or_create(
        content_type=content_type, codename="view_auditentry", defaults={"name": "Can view audit entry"}
    )
    group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("b2bshop", "0001_audit_trail"),
    ]

    # Going back leaves the permission: the code that opened the trail by code did not need it, nor is it harmed by it.
    operations = [migrations.RunPython(marketing_group_view_audit_trail, migrations.RunPython.noop)]
