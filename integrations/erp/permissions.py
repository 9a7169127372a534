"""Who may use the ERP endpoints: ERP connections import; staff and connections read runs."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from integrations.models import ErpConnection


def _is_erp_connection(request: Request) -> bool:
    return isinstance(request.auth, ErpConnection)


class IsErpConnection(BasePermission):
    """Only a request authenticated with an ERP connection's token (a logged-in person is not)."""

    message = "This endpoint is for ERP connections: authenticate with 'Authorization: Bearer <token>'."

    def has_permission(self, request: Request, view: Any) -> bool:
        return _is_erp_connection(request)


class IsErpConnectionOrStaff(BasePermission):
    """ERP connections and active staff users (marketers are staff)."""

    message = "Import runs are for staff and ERP connections."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return _is_erp_connection(request) or bool(user and user.is_authenticated and user.is_active and user.is_staff)
