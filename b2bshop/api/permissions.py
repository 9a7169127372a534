"""API roles (spec api.md): marketer, buyer, integration."""

from rest_framework.permissions import BasePermission

from accounts.services import MARKETING_GROUP_NAME as MARKETING_GROUP


def is_marketer(user) -> bool:
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=MARKETING_GROUP).exists()


class IsMarketer(BasePermission):
    """Staff in the Marketing group (or superusers): segments, content, Mailchimp."""

    message = "This is for marketers (staff in the Marketing group)."

    def has_permission(self, request, view) -> bool:
        return is_marketer(request.user)
