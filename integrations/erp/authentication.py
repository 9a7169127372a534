"""Token authentication for ERP connections: `Authorization: Bearer <token>` (or `Token <token>`)."""

from dataclasses import dataclass
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from integrations.erp.selectors import erp_connection_get_active
from integrations.erp.services import erp_connection_touch
from integrations.models import ErpConnection

_KEYWORDS = (b"bearer", b"token")
_REFUSED = "Invalid or inactive token."


@dataclass(frozen=True)
class ErpConnectionUser:
    """`request.user` of a request made with an ERP connection's token (not a person)."""

    connection: ErpConnection
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    pk: None = None

    def __str__(self) -> str:
        return f"ERP connection {self.connection.name}"


class ErpTokenAuthentication(BaseAuthentication):
    """Finds the active ErpConnection whose token digest matches; `request.auth` is the connection."""

    def authenticate(self, request: Request) -> tuple[ErpConnectionUser, ErpConnection] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in _KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Invalid Authorization header: use 'Bearer <token>'.")
        # Every wrong token gets the same answer, whatever its length, bytes or connection state.
        try:
            token = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed(_REFUSED) from exc
        connection = erp_connection_get_active(token=token)
        if connection is None:
            raise AuthenticationFailed(_REFUSED)
        erp_connection_touch(connection=connection)
        return ErpConnectionUser(connection), connection

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ErpTokenScheme(OpenApiAuthenticationExtension):
    """Documents the token scheme in the OpenAPI schema."""

    target_class = "integrations.erp.authentication.ErpTokenAuthentication"
    name = "erpToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "The token of an ERP connection."}
